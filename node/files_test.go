package node

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/edgedesk/edgedesk/config"
)

// onePixelPNG is a 1×1 PNG.
var onePixelPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

// uploadWidget connects a widget and uploads a file with the upload token
// of its welcome; it returns the socket, the session and the attachment
// the upload answered.
func uploadWidget(t *testing.T, base string, file []byte) (*websocket.Conn, string, map[string]any) {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(base, "http", "ws", 1)+"/v1/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	ws.WriteJSON(map[string]any{"type": "hello", "v": 1})
	var welcome struct{ Session, Upload string }
	if err := ws.ReadJSON(&welcome); err != nil || welcome.Upload == "" {
		t.Fatalf("welcome: %+v %v", welcome, err)
	}
	req, _ := http.NewRequest("POST", base+"/v1/files", bytes.NewReader(file))
	req.Header.Set("Authorization", "Bearer "+welcome.Upload)
	req.Header.Set("X-Edgedesk-Filename", "parcel.png")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var att map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&att); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %s %v", resp.Status, err)
	}
	return ws, welcome.Session, att
}

// A customer's photo is stored as the node recorded it, whatever the msg
// declares, comes back in the receipt with a fresh link, and goes with its
// session when the sweeper expires it.
func TestCustomerFiles(t *testing.T) {
	n, base, _ := startNode(t, noBot)
	ws, sid, att := uploadWidget(t, base, onePixelPNG)
	ws.WriteJSON(map[string]any{"type": "msg", "cid": "p1", "attachments": []map[string]any{
		{"url": base + att["url"].(string), "mime": "text/html", "name": "x.html", "size": 1},
	}})
	var receipt struct {
		Type        string
		Attachments []struct{ URL, MIME, Name string }
	}
	if err := ws.ReadJSON(&receipt); err != nil || receipt.Type != "receipt" || len(receipt.Attachments) != 1 {
		t.Fatalf("receipt: %+v %v", receipt, err)
	}
	// The receipt gives the widget the file as stored, with a fresh link.
	if a := receipt.Attachments[0]; a.MIME != "image/png" || a.Name != "parcel.png" || !strings.Contains(a.URL, "sig=") {
		t.Fatalf("receipt attachment %+v", a)
	}
	if code, _ := get(t, base+receipt.Attachments[0].URL); code != http.StatusOK {
		t.Fatalf("GET the receipt's link: %d", code)
	}
	msgs, _ := n.Store().Messages(sid, 0, 0)
	if len(msgs) != 1 || len(msgs[0].Attachments) != 1 {
		t.Fatalf("stored %+v", msgs)
	}
	if a := msgs[0].Attachments[0]; a.MIME != "image/png" || a.Name != "parcel.png" || a.Size != int64(len(onePixelPNG)) || strings.Contains(a.URL, "?") {
		t.Fatalf("stored attachment %+v", a)
	}
	if code, _ := get(t, base+att["url"].(string)); code != http.StatusOK {
		t.Fatalf("GET the file: %d", code)
	}

	ws.Close()
	waitFor(t, "the session to expire", func() bool {
		swept, err := n.Store().Sweep(time.Now().Add(time.Hour), 100)
		return err == nil && swept > 0 // none while the gateway still has the session
	})
	if code, _ := get(t, base+att["url"].(string)); code != http.StatusNotFound {
		t.Fatalf("GET the file of an expired session: %d, want 404", code)
	}
}

// A session's files are recorded with it (Meta.Uploads), durably: after
// a restart its quota still counts them, and when the sweeper expires the
// session they are deleted by those names.
func TestCustomerFilesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	opts := func(c *config.Config) {
		noBot(c)
		c.DataDir = dir
		c.Files.MaxFilesPerSession = 2
	}
	n, base, stop := startNode(t, opts)
	ws, sid, att := uploadWidget(t, base, onePixelPNG)
	ws.Close()
	meta, err := n.Store().Get(sid)
	if err != nil || len(meta.Uploads) != 1 || !strings.Contains(att["url"].(string), "/"+sid+"/"+meta.Uploads[0].ID+"?") {
		t.Fatalf("the session records %+v (%v), uploaded %v", meta.Uploads, err, att["url"])
	}
	second := upload(t, base, resumeUpload(t, base, sid), onePixelPNG, http.StatusCreated)
	stop()

	n, base, _ = startNode(t, opts)
	// The third file is one too many, as before the restart.
	upload(t, base, resumeUpload(t, base, sid), onePixelPNG, http.StatusRequestEntityTooLarge)
	for _, a := range []map[string]any{att, second} {
		if code, _ := get(t, base+a["url"].(string)); code != http.StatusOK {
			t.Fatalf("GET %s after the restart: %d", a["url"], code)
		}
	}
	waitFor(t, "the session to expire", func() bool {
		swept, err := n.Store().Sweep(time.Now().Add(time.Hour), 100)
		return err == nil && swept > 0 // none while the gateway still has the session
	})
	for _, a := range []map[string]any{att, second} {
		if code, _ := get(t, base+a["url"].(string)); code != http.StatusNotFound {
			t.Fatalf("GET %s of an expired session: %d, want 404", a["url"], code)
		}
	}
}

// resumeUpload resumes session sid and returns the upload token of its
// welcome; the widget disconnects.
func resumeUpload(t *testing.T, base, sid string) string {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(base, "http", "ws", 1)+"/v1/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.WriteJSON(map[string]any{"type": "hello", "v": 1, "session": sid})
	var welcome struct{ Session, Upload string }
	if err := ws.ReadJSON(&welcome); err != nil || welcome.Session != sid || welcome.Upload == "" {
		t.Fatalf("welcome: %+v %v", welcome, err)
	}
	return welcome.Upload
}

// upload POSTs file with token and checks the status; it returns the
// attachment of a 201.
func upload(t *testing.T, base, token string, file []byte, want int) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/v1/files", bytes.NewReader(file))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("upload: %s, want %d", resp.Status, want)
	}
	var att map[string]any
	json.NewDecoder(resp.Body).Decode(&att)
	return att
}

// The upload budget of a client network is keyed on the address the
// gateway takes for the client (gateway.ClientIP): a trusted CDN's header
// (here Cloudflare's, routing.trust_headers), whatever the sessions.
func TestUploadBudgetPerClient(t *testing.T) {
	_, base, _ := startNode(t, noBot, func(c *config.Config) {
		c.Routing.TrustHeaders = []string{"cloudflare"}
		c.Files.IPFilesPerMinute = 2
	})
	post := func(ip string) *http.Response {
		t.Helper()
		ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(base, "http", "ws", 1)+"/v1/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		ws.WriteJSON(map[string]any{"type": "hello", "v": 1}) // a new session each time
		var welcome struct{ Upload string }
		if err := ws.ReadJSON(&welcome); err != nil || welcome.Upload == "" {
			t.Fatalf("welcome: %+v %v", welcome, err)
		}
		req, _ := http.NewRequest("POST", base+"/v1/files", bytes.NewReader(onePixelPNG))
		req.Header.Set("Authorization", "Bearer "+welcome.Upload)
		req.Header.Set("CF-Connecting-IP", ip)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := range 2 {
		if resp := post("203.0.113.1"); resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload %d: %s", i+1, resp.Status)
		}
	}
	if resp := post("203.0.113.1"); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a third file from one client in a minute: %s, Retry-After %q", resp.Status, resp.Header.Get("Retry-After"))
	}
	if resp := post("203.0.113.2"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("another client: %s", resp.Status)
	}
}
