package node

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/edgedesk/edgedesk/node/auth"
)

// The sign-in cookie authenticates pages of this node only: a cross-site
// page's WebSocket upgrade or state-changing request carrying it is
// refused, the same page's is accepted.
func TestStaffCookieSameOriginOnly(t *testing.T) {
	_, base, _ := startNode(t, withAgents)
	tok, err := auth.Sign(testStaffSecret, auth.Claims{Subject: "ana", Name: "Ana", Role: "admin", Groups: []string{"mx-es"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(base, "http://")
	dial := func(origin string) agentFrame {
		h := http.Header{"Cookie": {auth.CookieName + "=" + tok}, "Origin": {origin}}
		ws, _, err := websocket.DefaultDialer.Dial("ws://"+host+"/v1/agent/ws", h)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		ws.WriteJSON(map[string]any{"type": "hello", "v": 1})
		var f agentFrame
		ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatal(err)
		}
		return f
	}
	if f := dial(base); f.Type != "welcome" {
		t.Fatalf("same-origin upgrade with the cookie: %+v", f)
	}
	if f := dial("https://evil.example"); f.Code != "unauthorized" {
		t.Fatalf("cross-site upgrade with the cookie: %+v", f)
	}
	put := func(origin string) int {
		req, _ := http.NewRequest("PUT", base+"/v1/admin/faq", strings.NewReader(""))
		req.Header.Set("Cookie", auth.CookieName+"="+tok)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := put("https://evil.example"); code != 403 {
		t.Fatalf("cross-site PUT with the cookie: %d, want 403", code)
	}
	if code := put(""); code != 403 {
		t.Fatalf("PUT with the cookie and no Origin: %d, want 403", code)
	}
	if code := put(base); code == 403 || code == 401 {
		t.Fatalf("same-origin PUT with the cookie: %d", code)
	}
	// A cookie GET (reading) is fine without Origin.
	req, _ := http.NewRequest("GET", base+"/v1/admin/faq", nil)
	req.Header.Set("Cookie", auth.CookieName+"="+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("cookie GET: %d", resp.StatusCode)
	}
}
