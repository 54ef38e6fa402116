package node

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/agentws"
	"github.com/edgedesk/edgedesk/node/auth"
)

// Every answer of /v1/auth/ and /v1/admin/ — errors included, which
// ctx.Error writes after resetting the headers — is kept out of caches
// and not content-sniffed: they name staff, customers and their messages.
func TestStaffAnswersNotCached(t *testing.T) {
	_, base, _ := startNode(t, withStaffAgents(t))
	admin, _ := auth.Sign(testStaffSecret, auth.Claims{Subject: "ana", Role: "admin"}, time.Hour)
	agent, _ := auth.Sign(testStaffSecret, auth.Claims{Subject: "bob", Role: "agent"}, time.Hour)
	for _, c := range []struct {
		method, path, bearer string
		code                 int
	}{
		{"GET", "/v1/admin/faq", admin, 200},
		{"GET", "/v1/admin/sessions/s_nope", admin, 404},
		{"GET", "/v1/admin/sessions/a%2Fb", admin, 400},
		{"GET", "/v1/admin/sessions/" + strings.Repeat("x", 2000), admin, 400},
		{"GET", "/v1/admin/sessions/s_nope", agent, 403},
		{"GET", "/v1/admin/stats", "", 401},
		{"GET", "/v1/admin/stats", agent, 403},
		{"GET", "/v1/admin/stats/live", agent, 403},
		{"DELETE", "/v1/admin/faq", admin, 405},
		{"GET", "/v1/auth/me", "", 401},
		{"GET", "/v1/auth/login", "", 405},
	} {
		req, _ := http.NewRequest(c.method, base+c.path, nil)
		if c.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+c.bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		name := c.method + " " + c.path[:min(len(c.path), 40)]
		if resp.StatusCode != c.code {
			t.Errorf("%s = %d, want %d", name, resp.StatusCode, c.code)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", name, cc)
		}
		if v := resp.Header.Get("X-Content-Type-Options"); v != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", name, v)
		}
	}
}

// A cookie-authenticated change is refused from anything but this node's
// own origin, however the Origin is disguised; nothing changes.
func TestCrossSiteChangesRefused(t *testing.T) {
	n, base, _ := startNode(t, withStaffAgents(t))
	r := login(t, base, "ana@shop.example", anaPassword, "Origin: "+base)
	if r.code != 200 || r.cookie == nil {
		t.Fatalf("login = %d %v", r.code, r.body)
	}
	host := strings.TrimPrefix(base, "http://")
	faqBody := `{"intent":"hours","lang":"en","answer":"Always open."}`
	version := n.faq.Version()
	for _, origin := range []string{
		"https://evil.example", "null", "http://" + host + ".evil.example", "http://evil.example/" + host,
		"https://" + host + "@evil.example", "http://evil.example@" + host, "http://" + host + "/", "http://" + host + "?x",
		"http://" + host + "#x", "",
	} {
		for _, req := range []struct{ method, path, body string }{
			{"PUT", "/v1/admin/faq", faqBody}, {"POST", "/v1/admin/faq", faqBody}, {"POST", "/v1/auth/logout", ""},
		} {
			h := []string{cookieHeader(r.cookie.Value), "Sec-Fetch-Site: cross-site"}
			if origin != "" {
				h = append(h, "Origin: "+origin)
			}
			if out := call(t, req.method, base+req.path, "application/x-ndjson", req.body, h...); out.code != 403 || out.cookie != nil {
				t.Errorf("%s %s with the cookie from %q = %d", req.method, req.path, origin, out.code)
			}
		}
		if origin == "" {
			continue // an API client's sign-in (no Origin) is allowed: Sec-Fetch-Site alone is tested elsewhere
		}
		if out := login(t, base, "ana@shop.example", anaPassword, "Origin: "+origin); out.code != 403 || out.cookie != nil {
			t.Errorf("login from %q = %d", origin, out.code)
		}
		// WebSocket hijacking: another site's upgrade carries the cookie,
		// which does not count.
		if _, f := dialWithCookie(t, base, r.cookie.Value, origin); f.Type != "error" || f.Code != "unauthorized" {
			t.Errorf("agent WebSocket with the cookie from %q: %+v", origin, f)
		}
	}
	if v := n.faq.Version(); v != version {
		t.Fatalf("FAQ version %d → %d: a cross-site import went through", version, v)
	}
	// The node's own page may.
	if out := call(t, "PUT", base+"/v1/admin/faq", "application/x-ndjson", faqBody, cookieHeader(r.cookie.Value), "Origin: "+base); out.code != 200 {
		t.Fatalf("same-origin import = %d %v", out.code, out.body)
	}
	if _, f := dialWithCookie(t, base, r.cookie.Value, base); f.Type != "welcome" {
		t.Fatalf("same-origin agent WebSocket: %+v", f)
	}
}

// Every refused frame is answered with an error naming its cid and a
// code, whatever is wrong with it; nothing is done.
func TestAgentFrameErrorsCarryCID(t *testing.T) {
	_, base, _ := startNode(t, withConsoleAgents)
	c, w := dialConsole(t, base, "ana", "agent", nil, "mx-es")
	if w.Type != "welcome" {
		t.Fatalf("welcome: %+v", w)
	}
	for _, tc := range []struct {
		frame map[string]any
		code  string
	}{
		{map[string]any{"type": "transfer", "cid": "t1", "session": "s_x", "group": "uk-en", "note": 5}, "bad_frame"},
		{map[string]any{"type": "status", "cid": "s1", "status": "busy"}, "bad_frame"},
		{map[string]any{"type": "status", "cid": "s2", "status": 12}, "bad_frame"},
		{map[string]any{"type": "status", "cid": "s3"}, "bad_frame"},
		{map[string]any{"type": "msg", "cid": "m1", "session": []string{"s_x"}, "text": "hi"}, "bad_frame"},
		{map[string]any{"type": "canned", "cid": "c1", "session": "s_x", "q": strings.Repeat("pedido ", 8000)}, "not_your_chat"},
		{map[string]any{"type": "canned", "cid": "c2"}, "bad_frame"},
		// 1,001 characters (2,002 bytes) is too long; 1,000 is not
		// (then the chat not being ana's is what is wrong).
		{map[string]any{"type": "transfer", "cid": "n1", "session": "s_x", "group": "uk-en", "note": strings.Repeat("é", 1001)}, "bad_frame"},
		{map[string]any{"type": "transfer", "cid": "n2", "session": "s_x", "group": "uk-en", "note": strings.Repeat("é", 1000)}, "not_your_chat"},
		{map[string]any{"type": "transfer", "cid": "r1", "session": "s_x", "agent": "bob"}, "not_your_chat"},
		{map[string]any{"type": "close", "cid": "x1", "session": "s_x"}, "not_your_chat"},
		{map[string]any{"type": "queues", "cid": "q1"}, "forbidden"},
		{map[string]any{"type": "nope", "cid": "u1"}, "unknown_type"},
	} {
		f := c.reply(tc.frame)
		if f.Type != "error" || f.Code != tc.code {
			t.Errorf("%v: %+v, want error %s", tc.frame["cid"], f, tc.code)
		}
	}
	// An unknown field is ignored, not an error.
	if f := c.reply(map[string]any{"type": "heartbeat", "cid": "h1", "extra": map[string]any{"a": 1}}); f.Type != "ack" {
		t.Errorf("heartbeat with an unknown field: %+v", f)
	}
	// Still connected and online after all that.
	if f := c.reply(map[string]any{"type": "agents", "cid": "a1"}); f.Type != "agents" || !strings.Contains(string(f.Agents), `"ana"`) {
		t.Fatalf("agents after bad frames: %+v", f)
	}
	// The roster tells an agent who to transfer to, nothing more: no
	// emails, no chats.
	if f := c.reply(map[string]any{"type": "agents", "cid": "a2"}); strings.Contains(string(f.Agents), "chats") || strings.Contains(string(f.Agents), "@") {
		t.Errorf("roster leaks: %s", f.Agents)
	}
}

// Only FAQ imports and uploads may send big bodies: a sign-in (or any
// other request) announcing 8 MB is refused before its body is read, so
// a flood of them holds no memory.
func TestBigBodiesOnlyWhereFilesGo(t *testing.T) {
	_, base, _ := startNode(t, withStaffAgents(t))
	for _, path := range []string{"/v1/auth/login", "/v1/auth/logout", "/v1/admin/stats", "/v1/agent/ws", "/nope"} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", path, 8<<20)
		conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("POST %s announcing 8 MB: %v (the server waits for the body)", path, err)
		}
		resp.Body.Close()
		conn.Close()
		if resp.StatusCode != 413 {
			t.Errorf("POST %s announcing 8 MB = %d, want 413", path, resp.StatusCode)
		}
	}
	// A sign-in body past 8 KiB gets the sign-in's own answer.
	if r := call(t, "POST", base+"/v1/auth/login", "", `{"email":"ana@shop.example","password":"`+strings.Repeat("p", 12000)+`"}`); r.code != 413 || !strings.Contains(r.body["error"].(string), "8192") {
		t.Errorf("12 kB sign-in = %d %v", r.code, r.body)
	}
	// A 1 MB FAQ import is read (and refused for what it says).
	admin, _ := auth.Sign(testStaffSecret, auth.Claims{Subject: "ana", Role: "admin"}, time.Hour)
	big := strings.Repeat(`{"intent":"x","lang":"en","answer":"`+strings.Repeat("a", 1000)+`"}`+"\n", 1000)
	if r := call(t, "PUT", base+"/v1/admin/faq", "application/x-ndjson", big, "Authorization: Bearer "+admin); r.code == 413 {
		t.Errorf("1 MB FAQ import = 413")
	}
}

// One agent id holds at most agentws.MaxConnsPerAgent connections: the
// next is refused until one closes.
func TestAgentConnectionsPerTokenBounded(t *testing.T) {
	_, base, _ := startNode(t, withConsoleAgents)
	var open []*consoleConn
	for range agentws.MaxConnsPerAgent {
		c, w := dialConsole(t, base, "ana", "agent", nil, "mx-es")
		if w.Type != "welcome" {
			t.Fatalf("connection %d: %+v", len(open)+1, w)
		}
		open = append(open, c)
	}
	if _, w := dialConsole(t, base, "ana", "agent", nil, "mx-es"); w.Type != "error" || w.Code != "too_many_connections" {
		t.Fatalf("connection %d: %+v", agentws.MaxConnsPerAgent+1, w)
	}
	if _, w := dialConsole(t, base, "bo", "agent", nil, "mx-es"); w.Type != "welcome" {
		t.Fatalf("another agent: %+v", w)
	}
	open[0].ws.Close()
	waitFor(t, "a freed connection slot", func() bool {
		c, w := dialConsole(t, base, "ana", "agent", nil, "mx-es")
		c.ws.Close()
		return w.Type == "welcome"
	})
}

// With routing.trust_headers off, no header a client sets moves it to
// another address's sign-in budget.
func TestSignInAddressNotSpoofable(t *testing.T) {
	_, base, _ := startNode(t, withStaff(t), func(c *config.Config) {
		c.Auth.LoginMaxFailuresPerAddress = 3
		c.Routing.TrustHeaders = nil
	})
	spoofs := []string{"X-Forwarded-For: 198.51.100.1", "CF-Connecting-IP: 198.51.100.2", "X-Real-IP: 198.51.100.3"}
	for i, h := range spoofs {
		if r := login(t, base, "guess"+strconv.Itoa(i)+"@shop.example", "password123", h, "Forwarded: for=198.51.100.9"); r.code != 401 {
			t.Fatalf("guess %d = %d", i, r.code)
		}
	}
	if r := login(t, base, "bob@shop.example", bobPassword, "X-Forwarded-For: 203.0.113.77", "CF-Connecting-IP: 203.0.113.78"); r.code != 429 {
		t.Fatalf("4th attempt from the same address with other headers = %d %v", r.code, r.body)
	}
}
