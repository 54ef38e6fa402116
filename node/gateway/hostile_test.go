package gateway

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/session"
)

// dialStatus dials and returns the HTTP status of a refused upgrade (101
// when it was accepted) and its Retry-After.
func (h *harness) dialStatus() (int, string) {
	h.t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(h.url, nil)
	if err == nil {
		h.t.Cleanup(func() { ws.Close() })
		return http.StatusSwitchingProtocols, ""
	}
	if resp == nil {
		h.t.Fatalf("dial: %v", err)
	}
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

func TestConnectionCapHasRetryAfter(t *testing.T) {
	h := newHarness(t, func(c *config.Gateway) { c.MaxConnections = 1; c.MaxAgentConnections = 1 }, "")
	h.dial(nil).hello(nil)
	if code, retry := h.dialStatus(); code != http.StatusServiceUnavailable || retry == "" {
		t.Fatalf("at the cap: %d, Retry-After %q", code, retry)
	}
}

func TestPerAddressLimits(t *testing.T) {
	t.Run("connections", func(t *testing.T) {
		h := newHarness(t, func(c *config.Gateway) { c.MaxConnectionsPerAddress = 3 }, "")
		for range 3 {
			h.dial(nil)
		}
		if code, retry := h.dialStatus(); code != http.StatusTooManyRequests || retry == "" {
			t.Fatalf("4th connection from one address: %d, Retry-After %q", code, retry)
		}
		if n := h.g.addrs.conns("127.0.0.1"); n != 3 {
			t.Fatalf("counted %d connections", n)
		}
	})
	t.Run("upgrades per second", func(t *testing.T) {
		h := newHarness(t, func(c *config.Gateway) { c.AddressUpgradeRate, c.AddressUpgradeBurst = 0.01, 4 }, "")
		for range 4 {
			c := h.dial(nil)
			c.ws.Close()
		}
		if code, retry := h.dialStatus(); code != http.StatusTooManyRequests || retry == "" {
			t.Fatalf("5th upgrade in a burst of 4: %d, Retry-After %q", code, retry)
		}
	})
	t.Run("IPv6 /64", func(t *testing.T) {
		if addressKey("2001:db8:1:2::1") != addressKey("2001:db8:1:2:ffff::9") || addressKey("2001:db8:1:3::1") == addressKey("2001:db8:1:2::1") {
			t.Fatal("IPv6 addresses are not counted by /64")
		}
		if addressKey("::ffff:192.0.2.1") != "192.0.2.1" {
			t.Fatal(addressKey("::ffff:192.0.2.1"))
		}
	})
}

func TestMalformedWebSocketKeyIs400(t *testing.T) {
	h := newHarness(t, nil, "")
	addr := strings.TrimSuffix(strings.TrimPrefix(h.url, "ws://"), "/v1/ws")
	for name, key := range map[string]string{
		"too short":  "c2hvcnQ=",
		"not base64": "!!!!!!!!!!!!!!!!!!!!!!==",
		"4 KB":       strings.Repeat("A", 4096),
		"17 bytes":   "AAAAAAAAAAAAAAAAAAAAAAA=",
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET /v1/ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n\r\n", addr, key)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		conn.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// A 4 KB header may be refused by the HTTP server itself (431).
		if resp.StatusCode != http.StatusBadRequest && !(name == "4 KB" && resp.StatusCode == http.StatusRequestHeaderFieldsTooLarge) {
			t.Errorf("%s: %d, want 400", name, resp.StatusCode)
		}
	}
	h.dial(nil).hello(nil) // a good key still works
}

// TestSessionRateIsShared: a session's connections share one rate, so
// more connections do not write faster.
func TestSessionRateIsShared(t *testing.T) {
	h := newHarness(t, func(c *config.Gateway) { c.SessionRateLimit, c.SessionRateBurst = 0.01, 10 }, "")
	first := h.dial(nil)
	sid := first.hello(nil).Session
	conns := []*client{first}
	for range 4 {
		c := h.dial(nil)
		c.hello(map[string]any{"session": sid, "last_seq": 1 << 40})
		conns = append(conns, c)
	}
	receipts, limited := 0, 0
	for i, c := range conns {
		for j := range 5 {
			f := c.msg(fmt.Sprintf("c%d-%d", i, j), "hi")
			for f.Type == "msg" && f.CID == "" { // another connection's message
				f = c.next()
			}
			switch {
			case f.Type == "receipt":
				receipts++
			case f.Type == "error" && f.Code == CodeRateLimited && f.CID != "":
				limited++
			default:
				t.Fatalf("answer %+v", f)
			}
		}
	}
	if receipts != 10 || limited != 15 {
		t.Fatalf("%d receipts and %d rate_limited for 25 messages over 5 connections with a session burst of 10", receipts, limited)
	}
	if m, _ := h.store.Get(sid); m.LastSeq != 10 {
		t.Fatalf("stored %d messages", m.LastSeq)
	}
}

// TestTypingIsRateLimited: a typing flood reaches the session's other
// connections as at most the typing burst.
func TestTypingIsRateLimited(t *testing.T) {
	h := newHarness(t, func(c *config.Gateway) { c.TypingRate, c.TypingBurst = 0.01, 3 }, "")
	a := h.dial(nil)
	sid := a.hello(nil).Session
	b := h.dial(nil)
	b.hello(map[string]any{"session": sid})
	for i := range 50 {
		a.send(map[string]any{"type": "typing", "on": i%2 == 0})
	}
	if f := a.msg("after", "done typing"); f.Type != "receipt" {
		t.Fatalf("msg after the flood: %+v", f)
	}
	typing := 0
	for {
		f := b.next()
		if f.Type == "typing" {
			typing++
			continue
		}
		if f.Type == "msg" && f.Text == "done typing" {
			break
		}
	}
	if typing != 3 {
		t.Fatalf("%d typing frames fanned out for 50 sent, burst 3", typing)
	}
}

// TestRefusalsFlushedBeforeClose: every error frame and receipt queued
// before the node closes reaches the widget before the close frame.
func TestRefusalsFlushedBeforeClose(t *testing.T) {
	h := newHarness(t, nil, "")
	t.Run("too many refused frames", func(t *testing.T) {
		c := h.dial(nil)
		c.hello(nil)
		for i := range maxConsecutiveErrors {
			c.send(fmt.Sprintf(`{"type":"msg","cid":"b%d","text":%d}`, i, i))
		}
		for i := range maxConsecutiveErrors {
			if f := c.next(); f.Type != "error" || f.CID != fmt.Sprintf("b%d", i) {
				t.Fatalf("refusal %d: %+v", i, f)
			}
		}
		if code := c.closeCode(); code != ClosePolicy {
			t.Fatalf("close %d", code)
		}
	})
	t.Run("msg then bye", func(t *testing.T) {
		c := h.dial(nil)
		c.hello(nil)
		for i := range 5 {
			c.send(map[string]any{"type": "msg", "cid": fmt.Sprintf("m%d", i), "text": "hi"})
		}
		c.send(`{"type":"bye"}`)
		got := map[string]bool{}
		for {
			f, err := c.read(5 * time.Second)
			if err != nil {
				if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != CloseNormal {
					t.Fatalf("after %d receipts: %v", len(got), err)
				}
				break
			}
			if f.Type == "receipt" {
				got[f.CID] = true
			}
		}
		if len(got) != 5 {
			t.Fatalf("receipts before the close: %v", got)
		}
	})
}

func TestSessionFullAnswer(t *testing.T) {
	h := newHarnessStore(t, nil, "", nil, session.Options{MaxSessionMessages: 2})
	c := h.dial(nil)
	c.hello(nil)
	for i := range 2 {
		if f := c.msg(fmt.Sprintf("k%d", i), "hi"); f.Type != "receipt" {
			t.Fatalf("msg %d: %+v", i, f)
		}
	}
	if f := c.msg("k2", "one more"); f.Type != "error" || f.Code != CodeSessionFull || f.CID != "k2" {
		t.Fatalf("past the cap: %+v", f)
	}
	// The answer says what to do: a new session takes messages.
	c2 := h.dial(nil)
	c2.hello(nil)
	if f := c2.msg("k0", "hi"); f.Type != "receipt" {
		t.Fatalf("new session: %+v", f)
	}
}

// TestUnavailableCarriesCID: a failed commit's result carries no message,
// and the error frame still names the msg it answers.
func TestUnavailableCarriesCID(t *testing.T) {
	var got session.Result
	c := &conn{inflight: make(chan struct{}, 1), onResult: func(r session.Result) { got = r }}
	c.g = &Gateway{m: NewMetrics(prometheus.NewRegistry())}
	c.inflight <- struct{}{}
	p := pendingPool.Get().(*pendingMsg)
	p.c, p.cid, p.start = c, "c42", time.Now()
	p.done(session.Result{Err: fmt.Errorf("session: commit: no space left on device")})
	if got.Msg.CID != "c42" || got.Err == nil {
		t.Fatalf("result %+v", got)
	}
}

// TestAnonymousHelloKeepsCustomer: the alice and mallory.
func TestAnonymousHelloKeepsCustomer(t *testing.T) {
	h := newHarness(t, nil, "")
	a := h.dial(nil)
	sid := a.hello(map[string]any{"customer": map[string]any{"id": "alice", "name": "alice"}}).Session
	m := h.dial(nil)
	m.hello(map[string]any{"session": sid, "customer": map[string]any{"id": "mallory", "name": "mallory"}})
	if got, _ := h.store.Get(sid); got.Customer.ID != "alice" || got.Customer.Name != "alice" {
		t.Fatalf("customer became %+v", got.Customer)
	}
}

func TestBidiAndControlsNeutralized(t *testing.T) {
	h := newHarness(t, nil, "")
	c := h.dial(nil)
	sid := c.hello(nil).Session
	if f := c.msg("x1", "order \u202e321#\u202c please\x1b[2J"); f.Type != "receipt" {
		t.Fatalf("%+v", f)
	}
	msgs, _ := h.store.Messages(sid, 0, 0)
	if len(msgs) != 1 || msgs[0].Text != "order 321# please[2J" {
		t.Fatalf("stored %q", msgs[0].Text)
	}
}

// TestReplayInPages: a resume gets a history many pages long, in order.
// (What a resumer that never reads costs is measured by
// scripts/slowresume.)
func TestReplayInPages(t *testing.T) {
	h := newHarness(t, func(c *config.Gateway) { c.WriteTimeout = 500 * time.Millisecond }, "")
	c := h.dial(nil)
	sid := c.hello(nil).Session
	const n = 5*replayPage + 3
	for i := range n {
		if _, err := h.store.Post(t.Context(), session.Message{Session: sid, From: session.FromCustomer, CID: fmt.Sprintf("p%d", i), Text: strings.Repeat("x", 4000)}); err != nil {
			t.Fatal(err)
		}
	}
	r := h.dial(nil)
	if w := r.hello(map[string]any{"session": sid, "last_seq": 0}); w.Seq != n {
		t.Fatalf("welcome last_seq %d", w.Seq)
	}
	for i := range n {
		if f := r.next(); f.Type != "msg" || f.Seq != uint64(i+1) {
			t.Fatalf("replay %d: %+v", i, f)
		}
	}
	// A resumer that never reads does not hold up the session's other
	// connections (its replay waits on its own socket only).
	ws, _, err := websocket.DefaultDialer.Dial(h.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.WriteJSON(map[string]any{"type": "hello", "v": 1, "session": sid, "last_seq": 0})
	f := c.msg("after", "still here")
	for f.Type == "msg" { // the posted history, delivered live
		f = c.next()
	}
	if f.Type != "receipt" || f.CID != "after" {
		t.Fatalf("%+v", f)
	}
}
