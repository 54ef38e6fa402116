package node

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/auth"
)

// suiteWidgetSecret signs the suite's widget tokens.
const suiteWidgetSecret = "widget-secret-for-the-hostile-suite-0123"

// hostileEnv is one node with widget and staff auth, a well-behaved
// customer (alice) who stays connected through every hostile case, and
// the message she sent before any of them.
type hostileEnv struct {
	t       *testing.T
	n       *Node
	base    string
	alice   *websocket.Conn
	session string
	sent    int // alice's messages so far, all receipted
}

// nested is depth opening brackets then as many closing ones.
func nested(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

// algNone is an unsigned token (alg "none") for sub with role.
func algNone(sub, role string) string {
	enc := base64.RawURLEncoding.EncodeToString
	h := enc([]byte(`{"alg":"none","typ":"JWT"}`))
	c, _ := json.Marshal(map[string]any{"sub": sub, "role": role, "exp": time.Now().Add(time.Hour).Unix()})
	return h + "." + enc(c) + "."
}

// expiredToken is a token signed with secret that expired five minutes ago.
func expiredToken(t *testing.T, secret string, c auth.Claims) string {
	t.Helper()
	tok, err := auth.Sign(secret, c, -5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func signed(t *testing.T, secret string, c auth.Claims) string {
	t.Helper()
	tok, err := auth.Sign(secret, c, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// healthy checks the node still serves: /healthz answers, alice's
// connection takes a new message, and her first message is still in the
// session's history.
func (e *hostileEnv) healthy(what string) {
	t := e.t
	t.Helper()
	if code, body := get(t, e.base+"/healthz"); code != 200 {
		t.Fatalf("after %s: healthz %d %q", what, code, body)
	}
	e.sent++
	cid := fmt.Sprintf("ok-%d", e.sent)
	// Alice is well-behaved: refused for her own rate, she resends the
	// same cid a little later, as the protocol asks.
	for try := 0; ; try++ {
		if err := e.alice.WriteJSON(map[string]any{"type": "msg", "cid": cid, "text": "still here " + cid}); err != nil {
			t.Fatalf("after %s: alice write: %v", what, err)
		}
		f := widgetNext(t, e.alice, func(f map[string]any) bool {
			return f["cid"] == cid && (f["type"] == "receipt" || f["type"] == "error")
		})
		if f["type"] == "receipt" {
			break
		}
		if f["code"] != "rate_limited" || try == 50 {
			t.Fatalf("after %s: alice refused: %v", what, f)
		}
		time.Sleep(100 * time.Millisecond)
	}
	msgs, err := e.n.Store().Messages(e.session, 0, 0)
	if err != nil {
		t.Fatalf("after %s: history: %v", what, err)
	}
	if len(msgs) < e.sent+1 || msgs[0].Text != "before the attack" {
		t.Fatalf("after %s: history lost what was accepted: %d messages, first %+v", what, len(msgs), msgs[0])
	}
}

// wsDial opens a raw WebSocket to path.
func (e *hostileEnv) wsDial(path string) *websocket.Conn {
	e.t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(e.base, "http", "ws", 1)+path, nil)
	if err != nil {
		e.t.Fatalf("dial %s: %v", path, err)
	}
	e.t.Cleanup(func() { ws.Close() })
	return ws
}

// widget opens a widget connection that said hello with a valid token for
// sub.
func (e *hostileEnv) widget(sub string) *websocket.Conn {
	e.t.Helper()
	ws := e.wsDial("/v1/ws")
	ws.WriteJSON(map[string]any{"type": "hello", "v": 1, "token": signed(e.t, suiteWidgetSecret, auth.Claims{Subject: sub})})
	w := widgetNext(e.t, ws, func(f map[string]any) bool { return f["type"] == "welcome" })
	if sub == "alice" {
		e.session, _ = w["session"].(string)
	}
	return ws
}

// agent opens an agent connection that said hello as an admin.
func (e *hostileEnv) agent() *websocket.Conn {
	e.t.Helper()
	ws := e.wsDial("/v1/agent/ws")
	ws.WriteJSON(map[string]any{"type": "hello", "v": 1, "token": signed(e.t, testStaffSecret, auth.Claims{Subject: "sue", Role: "admin"})})
	widgetNext(e.t, ws, func(f map[string]any) bool { return f["type"] == "welcome" })
	return ws
}

// errorFrame reads until an error frame, checks its code and cid (cid ""
// means none expected) and that it says why.
func errorFrame(t *testing.T, ws *websocket.Conn, code, cid string) {
	t.Helper()
	f := widgetNext(t, ws, func(f map[string]any) bool { return f["type"] == "error" })
	got, _ := f["cid"].(string)
	msg, _ := f["message"].(string)
	if f["code"] != code || got != cid || msg == "" {
		t.Fatalf("error frame %v, want code %q cid %q and a message", f, code, cid)
	}
}

// closed reads until the connection closes and checks the close code.
func closed(t *testing.T, ws *websocket.Conn, code int) {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := ws.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != code {
			t.Fatalf("connection ended with %v, want close %d", err, code)
		}
		return
	}
}

// httpDo sends body to path with headers and returns the status and body.
func (e *hostileEnv) httpDo(method, path, contentType string, body []byte, headers ...string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.base+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// refused checks an HTTP answer is the wanted 4xx with a message.
func refused(t *testing.T, what string, code int, body string, want int) {
	t.Helper()
	if code != want || strings.TrimSpace(body) == "" {
		t.Fatalf("%s = %d %q, want %d with a message", what, code, body, want)
	}
}

// TestHostileInputSuite sends hostile input to every endpoint that faces
// the network — the widget and agent WebSockets, sign-in and the admin
// API — and checks the documented answer for each, that a well-behaved
// customer connected throughout keeps being served, and that what was
// accepted before is still stored.
func TestHostileInputSuite(t *testing.T) {
	n, base, _ := startNode(t, noBot, withAgents, withStaff(t), func(c *config.Config) {
		c.Auth.WidgetSecret = suiteWidgetSecret
		c.Gateway.MaxFrameBytes = 64 << 10 // so 10,000 levels of nesting fit in a frame
		// The documented per-connection rate, for the flood.
		c.Gateway.RateLimit, c.Gateway.RateBurst = 10, 20
	})
	e := &hostileEnv{t: t, n: n, base: base}
	e.alice = e.widget("alice")
	e.alice.WriteJSON(map[string]any{"type": "msg", "cid": "before", "text": "before the attack"})
	widgetNext(t, e.alice, func(f map[string]any) bool { return f["type"] == "receipt" })

	staffOK := "Authorization: Bearer " + signed(t, testStaffSecret, auth.Claims{Subject: "sue", Role: "admin"})
	tokens := map[string]func(role string) string{
		"forged": func(role string) string {
			return signed(t, "not-the-secret-0123456789abcdefghijkl", auth.Claims{Subject: "alice", Role: role})
		},
		"expired": func(role string) string {
			if role == "" {
				return expiredToken(t, suiteWidgetSecret, auth.Claims{Subject: "alice"})
			}
			return expiredToken(t, testStaffSecret, auth.Claims{Subject: "sue", Role: role})
		},
		"alg-none": func(role string) string { return algNone("alice", role) },
		// A token of the other endpoint's secret: widget on the agent
		// side, staff on the widget side.
		"other-secret": func(role string) string {
			if role == "" {
				return signed(t, testStaffSecret, auth.Claims{Subject: "alice", Role: "admin"})
			}
			return signed(t, suiteWidgetSecret, auth.Claims{Subject: "sue", Role: role})
		},
	}

	type hostileCase struct {
		name string
		run  func(t *testing.T)
	}
	var cases []hostileCase
	add := func(name string, run func(t *testing.T)) { cases = append(cases, hostileCase{name, run}) }

	// Widget endpoint.
	add("widget/oversized frame", func(t *testing.T) {
		ws := e.widget("carol")
		ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"msg","cid":"big","text":"`+strings.Repeat("a", 70<<10)+`"}`))
		closed(t, ws, websocket.CloseMessageTooBig)
	})
	add("widget/malformed JSON", func(t *testing.T) {
		ws := e.widget("carol")
		ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"msg","cid":"m1","text":"unterminated`))
		errorFrame(t, ws, "bad_frame", "")
	})
	add("widget/deeply nested text", func(t *testing.T) {
		ws := e.widget("carol")
		// 10,000 levels is past encoding/json's nesting limit, which the
		// widget parser keeps: a syntax error, so no cid is trusted.
		ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"msg","cid":"deep","text":`+nested(10000)+`}`))
		errorFrame(t, ws, "bad_frame", "")
	})
	add("widget/nested unknown field", func(t *testing.T) {
		// Within the limit, an unknown field is skipped however deep.
		ws := e.widget("carol")
		ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"msg","cid":"deep2","text":"hi","x":`+nested(9990)+`}`))
		widgetNext(t, ws, func(f map[string]any) bool {
			if f["type"] == "error" {
				t.Fatalf("refused: %v", f)
			}
			return f["type"] == "receipt" && f["cid"] == "deep2"
		})
	})
	add("widget/invalid UTF-8", func(t *testing.T) {
		ws := e.widget("carol")
		ws.WriteMessage(websocket.TextMessage, []byte("{\"type\":\"msg\",\"cid\":\"u1\",\"text\":\"\xff\xfe\"}"))
		closed(t, ws, websocket.CloseInvalidFramePayloadData)
	})
	add("widget/wrong type", func(t *testing.T) {
		ws := e.widget("carol")
		ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"msg","cid":"w1","text":42}`))
		errorFrame(t, ws, "bad_frame", "w1")
	})
	add("widget/huge string", func(t *testing.T) {
		ws := e.widget("carol")
		ws.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": strings.Repeat("é", 20<<10)})
		errorFrame(t, ws, "too_large", "h1")
	})
	add("widget/huge cid", func(t *testing.T) {
		ws := e.widget("carol")
		ws.WriteJSON(map[string]any{"type": "msg", "cid": strings.Repeat("c", 40<<10), "text": "hi"})
		errorFrame(t, ws, "bad_frame", "")
	})
	for _, kind := range []string{"forged", "expired", "alg-none", "other-secret"} {
		add("widget/"+kind+" token", func(t *testing.T) {
			ws := e.wsDial("/v1/ws")
			ws.WriteJSON(map[string]any{"type": "hello", "v": 1, "token": tokens[kind]("")})
			errorFrame(t, ws, "unauthorized", "")
			closed(t, ws, websocket.ClosePolicyViolation)
		})
	}
	add("widget/another customer's session", func(t *testing.T) {
		ws := e.wsDial("/v1/ws")
		ws.WriteJSON(map[string]any{"type": "hello", "v": 1, "session": e.session, "last_seq": 0,
			"token": signed(t, suiteWidgetSecret, auth.Claims{Subject: "mallory"})})
		errorFrame(t, ws, "unauthorized", "")
		closed(t, ws, websocket.ClosePolicyViolation)
	})
	add("widget/another session's id without hello", func(t *testing.T) {
		ws := e.wsDial("/v1/ws")
		ws.WriteJSON(map[string]any{"type": "msg", "cid": "x1", "session": e.session, "text": "injected"})
		errorFrame(t, ws, "no_session", "x1")
	})

	add("widget/flood from one connection", func(t *testing.T) {
		ws := e.widget("carol")
		const sent = 200
		start := time.Now()
		for i := range sent {
			if ws.WriteJSON(map[string]any{"type": "msg", "cid": fmt.Sprint("f", i), "text": "flood"}) != nil {
				break // closed for flooding: allowed
			}
		}
		receipts, limited := 0, 0
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		for receipts+limited < sent {
			var f map[string]any
			if err := ws.ReadJSON(&f); err != nil {
				var ce *websocket.CloseError
				if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
					t.Fatalf("flood ended with %v after %d receipts, %d refusals; want answers or close 1008", err, receipts, limited)
				}
				break
			}
			cid, _ := f["cid"].(string)
			switch {
			case f["type"] == "receipt":
				receipts++
			case f["type"] == "error" && f["code"] == "rate_limited" && strings.HasPrefix(cid, "f"):
				limited++
			}
		}
		if max := 20 + int(10*time.Since(start).Seconds()) + 1; receipts > max || limited == 0 {
			t.Fatalf("flood: %d stored (at most %d allowed), %d refused with their cid", receipts, max, limited)
		}
	})
	add("widget/slow resumers", func(t *testing.T) {
		// Twenty connections resume alice's session from the start and
		// never read; alice is served meanwhile (healthy, below).
		for range 20 {
			ws := e.wsDial("/v1/ws")
			ws.WriteJSON(map[string]any{"type": "hello", "v": 1, "session": e.session, "last_seq": 0,
				"token": signed(t, suiteWidgetSecret, auth.Claims{Subject: "alice"})})
		}
	})

	// Agent endpoint.
	add("agent/oversized frame", func(t *testing.T) {
		ws := e.agent()
		ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"msg","cid":"big","text":"`+strings.Repeat("a", 70<<10)+`"}`))
		closed(t, ws, websocket.CloseMessageTooBig)
	})
	add("agent/malformed JSON", func(t *testing.T) {
		ws := e.agent()
		ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"msg","cid":"m1",`))
		errorFrame(t, ws, "bad_frame", "")
	})
	add("agent/deeply nested", func(t *testing.T) {
		ws := e.agent()
		ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"msg","cid":"deep","session":"`+e.session+`","text":`+nested(10000)+`}`))
		errorFrame(t, ws, "bad_frame", "")
	})
	add("agent/invalid UTF-8", func(t *testing.T) {
		ws := e.agent()
		ws.WriteMessage(websocket.TextMessage, []byte("{\"type\":\"msg\",\"cid\":\"u1\",\"text\":\"\xc3\x28\"}"))
		closed(t, ws, websocket.CloseInvalidFramePayloadData)
	})
	add("agent/wrong type", func(t *testing.T) {
		ws := e.agent()
		ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"msg","cid":"w1","session":"`+e.session+`","text":42}`))
		errorFrame(t, ws, "bad_frame", "w1")
	})
	add("agent/huge string", func(t *testing.T) {
		ws := e.agent()
		// Whose chat it is comes first: nothing is read of a chat the
		// agent does not hold.
		ws.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "session": e.session, "text": strings.Repeat("a", 20<<10)})
		errorFrame(t, ws, "not_your_chat", "h1")
	})
	add("agent/another's chat", func(t *testing.T) {
		ws := e.agent()
		ws.WriteJSON(map[string]any{"type": "msg", "cid": "n1", "session": e.session, "text": "I am your agent now"})
		errorFrame(t, ws, "not_your_chat", "n1")
	})
	for _, kind := range []string{"forged", "expired", "alg-none", "other-secret"} {
		add("agent/"+kind+" token", func(t *testing.T) {
			ws := e.wsDial("/v1/agent/ws")
			ws.WriteJSON(map[string]any{"type": "hello", "v": 1, "token": tokens[kind]("admin")})
			errorFrame(t, ws, "unauthorized", "")
			closed(t, ws, websocket.ClosePolicyViolation)
		})
	}

	// Sign-in.
	add("login/oversized body", func(t *testing.T) {
		body := `{"email":"ana@shop.example","password":"` + strings.Repeat("p", 64<<10) + `"}`
		code, msg := e.httpDo("POST", "/v1/auth/login", "application/json", []byte(body))
		refused(t, "oversized login", code, msg, http.StatusRequestEntityTooLarge)
	})
	add("login/malformed JSON", func(t *testing.T) {
		code, msg := e.httpDo("POST", "/v1/auth/login", "application/json", []byte(`{"email":`))
		refused(t, "malformed login", code, msg, http.StatusBadRequest)
	})
	add("login/deeply nested", func(t *testing.T) {
		code, msg := e.httpDo("POST", "/v1/auth/login", "application/json", []byte(`{"email":`+nested(4000)+`}`))
		refused(t, "nested login", code, msg, http.StatusBadRequest)
	})
	add("login/invalid UTF-8", func(t *testing.T) {
		code, msg := e.httpDo("POST", "/v1/auth/login", "application/json", []byte("{\"email\":\"\xff@shop.example\",\"password\":\"\xfe\xfe\"}"))
		if code != http.StatusUnauthorized && code != http.StatusBadRequest || strings.TrimSpace(msg) == "" {
			t.Fatalf("invalid UTF-8 login = %d %q, want 400 or 401 with a message", code, msg)
		}
	})
	add("login/wrong type", func(t *testing.T) {
		code, msg := e.httpDo("POST", "/v1/auth/login", "application/json", []byte(`{"email":["ana@shop.example"],"password":42}`))
		refused(t, "mistyped login", code, msg, http.StatusBadRequest)
	})

	// Admin API.
	add("admin/oversized body", func(t *testing.T) {
		code, msg := e.httpDo("DELETE", AdminCustomersPath+"alice", "application/json", bytes.Repeat([]byte("x"), 64<<10), staffOK)
		refused(t, "oversized admin body", code, msg, http.StatusRequestEntityTooLarge)
	})
	add("admin/oversized body, client still sending", func(t *testing.T) {
		// The 413 must reach a client that is still writing its body:
		// closing on unread data would reset the connection and lose it.
		c, err := net.Dial("tcp", strings.TrimPrefix(e.base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "DELETE %salice HTTP/1.1\r\nHost: x\r\n%s\r\nContent-Length: %d\r\n\r\n", AdminCustomersPath, staffOK, 4<<20)
		c.Write(bytes.Repeat([]byte("x"), 256<<10))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("no answer to an oversized body: %v", err)
		}
		msg, _ := io.ReadAll(resp.Body)
		refused(t, "oversized admin body still sending", resp.StatusCode, string(msg), http.StatusRequestEntityTooLarge)
	})
	add("admin/malformed FAQ JSON", func(t *testing.T) {
		code, msg := e.httpDo("PUT", "/v1/admin/faq?format=jsonl", "application/x-ndjson", []byte("{\"intent\":\n"), staffOK)
		refused(t, "malformed FAQ", code, msg, http.StatusBadRequest)
	})
	add("admin/deeply nested FAQ JSON", func(t *testing.T) {
		code, msg := e.httpDo("PUT", "/v1/admin/faq?format=jsonl", "application/x-ndjson", []byte(`{"intent":`+nested(10000)+"}\n"), staffOK)
		refused(t, "nested FAQ", code, msg, http.StatusBadRequest)
	})
	add("admin/invalid UTF-8 FAQ", func(t *testing.T) {
		code, msg := e.httpDo("PUT", "/v1/admin/faq?format=jsonl", "application/x-ndjson", []byte("{\"intent\":\"\xff\",\"lang\":\"en\",\"answer\":\"\xfe\"}\n"), staffOK)
		refused(t, "invalid UTF-8 FAQ", code, msg, http.StatusBadRequest)
	})
	add("admin/wrong type FAQ", func(t *testing.T) {
		code, msg := e.httpDo("PUT", "/v1/admin/faq?format=jsonl", "application/x-ndjson", []byte(`{"intent":42,"lang":["en"]}`+"\n"), staffOK)
		refused(t, "mistyped FAQ", code, msg, http.StatusBadRequest)
	})
	add("admin/huge path", func(t *testing.T) {
		code, msg := e.httpDo("GET", AdminSessionsPath+strings.Repeat("s", 6<<10), "", nil, staffOK)
		if code < 400 || code >= 500 || strings.TrimSpace(msg) == "" {
			t.Fatalf("huge session path = %d %q, want 4xx with a message", code, msg)
		}
	})
	add("admin/traversal path", func(t *testing.T) {
		code, msg := e.httpDo("GET", AdminCustomersPath+"..%2F..%2Fstaff.db", "", nil, staffOK)
		if code < 400 || code >= 500 || strings.TrimSpace(msg) == "" {
			t.Fatalf("traversal path = %d %q, want 4xx with a message", code, msg)
		}
	})
	for _, kind := range []string{"forged", "expired", "alg-none", "other-secret"} {
		add("admin/"+kind+" token", func(t *testing.T) {
			for _, path := range []string{"/v1/admin/faq", AdminCustomersPath + "alice", AdminSessionsPath + e.session, "/v1/admin/stats"} {
				code, msg := e.httpDo("GET", path, "", nil, "Authorization: Bearer "+tokens[kind]("admin"))
				refused(t, kind+" token on "+path, code, msg, http.StatusUnauthorized)
			}
		})
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			c.run(t)
			e.healthy(c.name)
		})
	}
}
