package node

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/audit"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/files"
	"github.com/edgedesk/edgedesk/node/session"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// adminDo sends method url with a staff token of role ("": none).
func adminDo(t *testing.T, method, url, role string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if role != "" {
		tok, err := auth.Sign(testStaffSecret, auth.Claims{Subject: "sue", Role: role}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// customerWidget opens a session as customer id and returns the socket,
// the session and its upload token.
func customerWidget(t *testing.T, base, id, name, email string) (*websocket.Conn, string, string) {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(base, "http", "ws", 1)+"/v1/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	ws.WriteJSON(map[string]any{"type": "hello", "v": 1, "customer": map[string]any{"id": id, "name": name, "email": email}})
	var welcome struct{ Session, Upload string }
	if err := ws.ReadJSON(&welcome); err != nil || welcome.Session == "" {
		t.Fatalf("welcome: %+v %v", welcome, err)
	}
	return ws, welcome.Session, welcome.Upload
}

// streamHolds reports whether the core's stream has an event of session sid.
func streamHolds(t *testing.T, js jetstream.JetStream, stream, sid string) bool {
	t.Helper()
	st, err := js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.GetLastMsgForSubject(context.Background(), edgesync.SubjectPrefix+"*."+edgesync.SessionToken(sid)+".>")
	return err == nil
}

// TestCustomerExportAndErase: a customer with two sessions on node a
// (messages with an email and a phone, an upload, a rated chat) and one on
// node b, both clients of a core. The export holds all of a's; the
// erasure removes them from a's store (no plaintext left in its files),
// from the core's stream and its uploads, and, through the announcement,
// b's session too; a second erasure erases nothing; the roles are kept.
func TestCustomerExportAndErase(t *testing.T) {
	addr := freeTCP(t)
	core, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: filepath.Join(t.TempDir(), "core"), Listen: addr, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Shutdown()
	edge := func(name string) (*Node, string, func()) {
		return startNode(t, noBot, func(c *config.Config) {
			c.NATS.URL, c.NATS.Node, c.Auth.StaffSecret = "nats://"+addr, name, testStaffSecret
		})
	}
	a, baseA, stopA := edge("edge-a")
	b, baseB, _ := edge("edge-b")
	const (
		cust  = "cust-77"
		email = "zoe.private@example.com"
		phone = "+44 7700 900456"
		words = "my parcel 88231 arrived crushed"
	)
	ws1, s1, upTok := customerWidget(t, baseA, cust, "Zoe Private", email)
	ask(t, ws1, "m1", "call me on "+phone+" or "+email, true)
	att := upload(t, baseA, upTok, onePixelPNG, http.StatusCreated)
	link := strings.SplitN(att["url"].(string), "?", 2)[0]
	fileID := link[strings.LastIndexByte(link, '/')+1:]
	ws2, s2, _ := customerWidget(t, baseA, cust, "Zoe Private", email)
	ask(t, ws2, "m2", words, true)
	ctx := context.Background()
	if _, err := a.store.Update(ctx, s2, func(m *session.Meta) error {
		m.LastChat = &session.Chat{Group: "support", Agent: session.AgentRef{ID: "ana"}, Closed: time.Now()}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.store.Rate(ctx, s2, session.Rating{Score: 2, Comment: "slow", TS: time.Now()}); err != nil {
		t.Fatal(err)
	}
	wsB, sB, _ := customerWidget(t, baseB, cust, "Zoe Private", email)
	ask(t, wsB, "b1", words, true)
	wsO, other, _ := customerWidget(t, baseA, "someone-else", "Else Person", "else@example.com")
	ask(t, wsO, "o1", "unrelated question", true)

	url := baseA + AdminCustomersPath + cust
	for _, c := range []struct {
		method, url, role string
		want              int
	}{
		{"GET", url + "/export", "", http.StatusUnauthorized},
		{"GET", url + "/export", "supervisor", http.StatusForbidden},
		{"DELETE", url, "agent", http.StatusForbidden},
		{"GET", baseA + AdminCustomersPath + "nobody/export", "admin", http.StatusNotFound},
		{"POST", url, "admin", http.StatusMethodNotAllowed},
	} {
		if code, body := adminDo(t, c.method, c.url, c.role); code != c.want {
			t.Fatalf("%s %s as %q: %d %s, want %d", c.method, c.url, c.role, code, body, c.want)
		}
	}
	code, body := adminDo(t, "GET", url+"/export", "admin")
	if code != http.StatusOK {
		t.Fatalf("export: %d %s", code, body)
	}
	var e CustomerExport
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatal(err)
	}
	if e.Customer != cust || len(e.Sessions) != 2 || e.Profile == nil || e.Profile.Email != email {
		t.Fatalf("export: %s", body)
	}
	for _, want := range []string{phone, words, fileID, `"score":2`, `"decisions":[]`, s1, s2} {
		if !bytes.Contains(body, []byte(want)) {
			t.Fatalf("export lacks %q: %s", want, body)
		}
	}
	if bytes.Contains(body, []byte(other)) {
		t.Fatalf("export holds another customer's session")
	}

	// The core has the sessions and the file before the erasure.
	nc, err := nats.Connect("nats://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	waitFor(t, "the sessions at the core", func() bool {
		return streamHolds(t, js, edgesync.Stream, s1) && streamHolds(t, js, edgesync.Stream, s2) && streamHolds(t, js, edgesync.Stream, sB)
	})
	obs, err := js.ObjectStore(ctx, files.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := obs.GetInfo(ctx, s1+"/"+fileID); err != nil {
		t.Fatalf("the upload at the core: %v", err)
	}

	code, body = adminDo(t, "DELETE", url, "admin")
	var rep ErasureReport
	if code != http.StatusOK || json.Unmarshal(body, &rep) != nil || len(rep.Sessions) != 2 || rep.Messages < 2 || rep.Uploads != 1 || !rep.Scrubbed || rep.Core != "done" {
		t.Fatalf("erase: %d %s", code, body)
	}
	for _, sid := range []string{s1, s2} {
		if streamHolds(t, js, edgesync.Stream, sid) {
			t.Fatalf("the core still holds session %s", sid)
		}
		if _, err := a.store.Get(sid); err != session.ErrNoSession {
			t.Fatalf("node a still holds %s: %v", sid, err)
		}
	}
	if _, err := obs.GetInfo(ctx, s1+"/"+fileID); err == nil {
		t.Fatal("the upload is still at the core")
	}
	// Node b erases its session when the announcement reaches it, and
	// purges it at the core.
	waitFor(t, "node b's erasure", func() bool {
		_, err := b.store.Get(sB)
		return err == session.ErrNoSession && !streamHolds(t, js, edgesync.Stream, sB)
	})
	if _, err := a.store.Get(other); err != nil {
		t.Fatalf("another customer's session: %v", err)
	}
	// Both are in the audit logs: the export and the erasure on node a
	// (by the admin), the erasure on node b (by node a's announcement).
	for _, c := range []struct {
		n      *Node
		action string
	}{{a, audit.ActionExport}, {a, audit.ActionErase}, {b, audit.ActionErase}} {
		waitFor(t, c.action+" in the audit log", func() bool {
			p, err := c.n.audit.Query(audit.Query{Action: c.action, Target: cust})
			return err == nil && len(p.Entries) > 0
		})
	}
	// Again: nothing left, no error.
	code, body = adminDo(t, "DELETE", url, "admin")
	if code != http.StatusOK || json.Unmarshal(body, &rep) != nil || len(rep.Sessions) != 0 || rep.Messages != 0 {
		t.Fatalf("second erase: %d %s", code, body)
	}
	if code, _ := adminDo(t, "GET", url+"/export", "admin"); code != http.StatusNotFound {
		t.Fatalf("export after the erasure: %d", code)
	}

	// No plaintext in node a's files once it stopped.
	dir := a.cfg.DataDir
	stopA()
	err = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, needle := range []string{email, phone, words, "Zoe Private"} {
			if bytes.Contains(data, []byte(needle)) {
				t.Errorf("%s holds %q after the erasure", p, needle)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCustomerEraseLeafArchive: leaf nodes whose core archives them
// (edgedesk core archive): the erasure purges the edge's own stream and
// files, the core's archive of sessions and of uploads, and reaches the
// other leaf node through the announcement.
func TestCustomerEraseLeafArchive(t *testing.T) {
	clientAddr, leafAddr := freeTCP(t), freeTCP(t)
	core, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: filepath.Join(t.TempDir(), "core"), Listen: clientAddr, LeafListen: leafAddr, SyncAlways: true, Domain: "core"})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Shutdown()
	edge := func(name string) (*Node, string, func()) {
		return startNode(t, noBot, func(c *config.Config) {
			c.NATS.Node, c.Auth.StaffSecret = name, testStaffSecret
			c.NATS.Leaf, c.NATS.CoreDomain = "nats-leaf://"+leafAddr, "core"
		})
	}
	a, baseA, _ := edge("node-a")
	b, baseB, _ := edge("node-b")
	nc, err := nats.Connect("nats://" + clientAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if err := edgesync.EnsureArchive(ctx, js, edgesync.ArchiveOptions{Domains: []string{"edge-node-a", "edge-node-b"}}); err != nil {
		t.Fatal(err)
	}
	const cust, email = "leaf-cust", "leaf.customer@example.com"
	ws, sA, upTok := customerWidget(t, baseA, cust, "Lea Leaf", email)
	ask(t, ws, "m1", "write to "+email, true)
	att := upload(t, baseA, upTok, onePixelPNG, http.StatusCreated)
	link := strings.SplitN(att["url"].(string), "?", 2)[0]
	name := sA + "/" + link[strings.LastIndexByte(link, '/')+1:]
	wsB, sB, _ := customerWidget(t, baseB, cust, "Lea Leaf", email)
	ask(t, wsB, "b1", "hello from b", true)

	archived, err := js.ObjectStore(ctx, edgesync.UploadsArchive)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the sessions and the file in the core's archive", func() bool {
		_, ferr := archived.GetInfo(ctx, name)
		return ferr == nil && streamHolds(t, js, edgesync.Archive, sA) && streamHolds(t, js, edgesync.Archive, sB)
	})
	code, body := adminDo(t, "DELETE", baseA+AdminCustomersPath+cust, "admin")
	var rep ErasureReport
	if code != http.StatusOK || json.Unmarshal(body, &rep) != nil || len(rep.Sessions) != 1 || rep.Core != "done" {
		t.Fatalf("erase: %d %s", code, body)
	}
	if streamHolds(t, js, edgesync.Archive, sA) {
		t.Fatal("the archive still holds the session")
	}
	if streamHolds(t, a.link.JetStream(), edgesync.Stream, sA) {
		t.Fatal("the edge's stream still holds the session")
	}
	if _, err := archived.GetInfo(ctx, name); err == nil {
		t.Fatal("the core's archive of uploads still holds the file")
	}
	own, err := a.link.JetStream().ObjectStore(ctx, files.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := own.GetInfo(ctx, name); err == nil {
		t.Fatal("the edge still holds the file")
	}
	waitFor(t, "node b's erasure, at the core too", func() bool {
		_, err := b.store.Get(sB)
		return err == session.ErrNoSession && !streamHolds(t, js, edgesync.Archive, sB)
	})
}

// TestCustomerEraseCoreAway: with the core away the node erases what it
// holds, its unsent events included, answers "pending", and finishes the
// core's part (the announcement) once the core is back.
func TestCustomerEraseCoreAway(t *testing.T) {
	addr := freeTCP(t)
	n, base, _ := startNode(t, noBot, func(c *config.Config) {
		c.NATS.URL, c.NATS.Node, c.Auth.StaffSecret = "nats://"+addr, "edge-away", testStaffSecret
		c.Store.SweepInterval = 100 * time.Millisecond
		c.Files.Enabled = false // the files need the object store at start
	})
	ws, sid, _ := customerWidget(t, base, "away-1", "Al Away", "al.away@example.com")
	ask(t, ws, "m1", "nobody at the core hears this", true)
	if n.store.OutboxDepth() == 0 {
		t.Fatal("no event waits in the outbox")
	}
	code, body := adminDo(t, "DELETE", base+AdminCustomersPath+"away-1", "admin")
	var rep ErasureReport
	if code != http.StatusOK || json.Unmarshal(body, &rep) != nil || len(rep.Sessions) != 1 || rep.Outbox == 0 || !strings.HasPrefix(rep.Core, "pending: ") {
		t.Fatalf("erase with the core away: %d %s", code, body)
	}
	if n.store.OutboxDepth() != 0 {
		t.Fatalf("%d events of the erased session still wait", n.store.OutboxDepth())
	}
	if p, _ := n.store.PendingErasures(); len(p) != 1 || p[0].Sessions[0] != sid {
		t.Fatalf("pending: %+v", p)
	}
	core, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: filepath.Join(t.TempDir(), "core"), Listen: addr, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Shutdown()
	waitFor(t, "the pending erasure finished", func() bool {
		p, err := n.store.PendingErasures()
		return err == nil && len(p) == 0
	})
	nc, err := nats.Connect("nats://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	obs, err := js.ObjectStore(context.Background(), edgesync.Files)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := obs.GetBytes(context.Background(), edgesync.ErasePrefix+"away-1")
	var e edgesync.Erasure
	if err != nil || json.Unmarshal(raw, &e) != nil || e.Node != "edge-away" || len(e.Sessions) != 1 || e.Sessions[0] != sid {
		t.Fatalf("announcement: %s %v", raw, err)
	}
}
