package node

import (
	"bufio"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/staff"
)

// withStaffAgents: the agent groups, Ana (admin) and Bob (agent, uk-en)
// with accounts, and pings (so account checks) every 200 ms.
func withStaffAgents(t *testing.T) func(*config.Config) {
	return func(c *config.Config) {
		withAgents(c)
		withStaff(t)(c)
		c.Gateway.PingInterval = 200 * time.Millisecond
	}
}

// dialWithCookie opens the agent WebSocket with the sign-in cookie tok
// and origin, sends a hello without a token and returns the first frame.
func dialWithCookie(t *testing.T, base, tok, origin string) (*websocket.Conn, agentFrame) {
	t.Helper()
	h := http.Header{"Cookie": {auth.CookieName + "=" + tok}}
	if origin != "" {
		h.Set("Origin", origin)
	}
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(base, "http", "ws", 1)+"/v1/agent/ws", h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	ws.WriteJSON(map[string]any{"type": "hello", "v": 1})
	var f agentFrame
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := ws.ReadJSON(&f); err != nil {
		t.Fatalf("first frame: %v", err)
	}
	return ws, f
}

// Disabling an account signs it out everywhere: its open console gets an
// unauthorized error and a 1008 close, and neither its cookie nor its
// token opens another (Zendesk and Intercom end a deactivated agent's
// sessions; before, the agent WebSocket checked only the signature).
func TestDisabledAccountLosesAgentConsole(t *testing.T) {
	n, base, _ := startNode(t, withStaffAgents(t))
	r := login(t, base, "bob@shop.example", bobPassword, "Origin: "+base)
	if r.code != 200 || r.cookie == nil {
		t.Fatalf("login = %d %v", r.code, r.body)
	}
	ws, f := dialWithCookie(t, base, r.cookie.Value, base)
	if f.Type != "welcome" {
		t.Fatalf("console of an enabled account: %+v", f)
	}
	if _, err := staff.NewStore(n.cfg.DataDir).SetDisabled("bob@shop.example", true); err != nil {
		t.Fatal(err)
	}
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var sawError bool
	for {
		_, data, err := ws.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			if ce.Code != websocket.ClosePolicyViolation || !sawError {
				t.Fatalf("closed %d %q, error frame seen: %v", ce.Code, ce.Text, sawError)
			}
			break
		}
		if err != nil {
			t.Fatalf("open console of a disabled account: %v (want an error frame and a 1008 close)", err)
		}
		if strings.Contains(string(data), `"code":"unauthorized"`) && strings.Contains(string(data), "disabled") {
			sawError = true
		}
	}
	if _, f := dialWithCookie(t, base, r.cookie.Value, base); f.Type != "error" || f.Code != "unauthorized" {
		t.Fatalf("new console of a disabled account: %+v", f)
	}
	// The agent is gone from the router's roster once its grace ends.
	waitFor(t, "the disabled agent to leave the roster", func() bool {
		agents, _ := n.router.Roster()
		return len(agents) == 0
	})
}

// A disabled supervisor's live stream ends with an error event.
func TestDisabledAccountLosesLiveStream(t *testing.T) {
	n, base, _ := startNode(t, withStaffAgents(t), func(c *config.Config) { c.Analytics.LiveInterval = 200 * time.Millisecond })
	tok := signToken(t, testStaffSecret, auth.Claims{Subject: "ana", Name: "Ana", Role: "admin"}, time.Now(), time.Now().Add(time.Hour))
	req, _ := http.NewRequest("GET", base+"/v1/admin/stats/live", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("live stream = %d", resp.StatusCode)
	}
	if _, err := staff.NewStore(n.cfg.DataDir).SetDisabled("ana@shop.example", true); err != nil {
		t.Fatal(err)
	}
	ended := make(chan string, 1)
	go func() {
		var last string
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "event: ") {
				last = sc.Text()
			}
		}
		ended <- last
	}()
	select {
	case last := <-ended:
		if last != "event: error" {
			t.Fatalf("stream ended after %q, want an error event", last)
		}
	case <-time.After(liveRecheck + 5*time.Second):
		t.Fatal("a disabled account's live stream goes on")
	}
}

// A password change signs out every session of the old password: a
// stolen cookie is refreshed by /v1/auth/me for as long as the account
// is enabled, so without this it would outlive the change for good.
func TestPasswordChangeSignsOut(t *testing.T) {
	n, base, _ := startNode(t, withStaffAgents(t))
	old := signToken(t, testStaffSecret, auth.Claims{Subject: "bob", Name: "Bob", Role: "agent", Groups: []string{"uk-en"}}, time.Now().Add(-time.Minute), time.Now().Add(10*time.Minute))
	if r := call(t, "GET", base+"/v1/auth/me", "", "", cookieHeader(old)); r.code != 200 {
		t.Fatalf("me before the change = %d %v", r.code, r.body)
	}
	const newPassword = "bob's brand new passphrase"
	if _, err := staff.NewStore(n.cfg.DataDir).SetPassword(t.Context(), "bob@shop.example", newPassword); err != nil {
		t.Fatal(err)
	}
	if r := call(t, "GET", base+"/v1/auth/me", "", "", cookieHeader(old)); r.code != 401 || r.cookie == nil || !strings.Contains(r.body["error"].(string), "password changed") {
		t.Fatalf("me with a cookie of the old password = %d %v", r.code, r.body)
	}
	if r := call(t, "GET", base+"/v1/admin/faq", "", "", "Authorization: Bearer "+old); r.code != 401 {
		t.Fatalf("admin API with a token of the old password = %d", r.code)
	}
	if _, f := dialWithCookie(t, base, old, base); f.Type != "error" || f.Code != "unauthorized" {
		t.Fatalf("console with a cookie of the old password: %+v", f)
	}
	// Signing in with the new password works at once, in the same second.
	r := login(t, base, "bob@shop.example", newPassword, "Origin: "+base)
	if r.code != 200 || r.cookie == nil {
		t.Fatalf("login with the new password = %d %v", r.code, r.body)
	}
	if r := call(t, "GET", base+"/v1/auth/me", "", "", cookieHeader(r.cookie.Value)); r.code != 200 {
		t.Fatalf("me after signing in again = %d %v", r.code, r.body)
	}
	if _, f := dialWithCookie(t, base, r.cookie.Value, base); f.Type != "welcome" {
		t.Fatalf("console after signing in again: %+v", f)
	}
}
