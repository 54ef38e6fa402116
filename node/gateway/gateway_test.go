package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/session"
)

const testSecret = "test-secret-test-secret-test-secret!"

type harness struct {
	t     testing.TB
	g     *Gateway
	store *session.Store
	url   string
	srv   *fasthttp.Server
}

func newHarness(t testing.TB, mod func(*config.Gateway), secret string) *harness {
	t.Helper()
	return newHarnessFiles(t, mod, secret, nil)
}

// newHarnessFiles is newHarness with the node's files (nil: none).
func newHarnessFiles(t testing.TB, mod func(*config.Gateway), secret string, files Files) *harness {
	t.Helper()
	return newHarnessStore(t, mod, secret, files, session.Options{})
}

// newHarnessStore is newHarnessFiles with the store's options (its Path
// is set here).
func newHarnessStore(t testing.TB, mod func(*config.Gateway), secret string, files Files, so session.Options) *harness {
	t.Helper()
	cfg := config.Default().Gateway
	cfg.HelloTimeout = 2 * time.Second
	if mod != nil {
		mod(&cfg)
	}
	so.Path = filepath.Join(t.TempDir(), "s.db")
	store, err := session.Open(so)
	if err != nil {
		t.Fatal(err)
	}
	var v *auth.Verifier
	if secret != "" {
		v = auth.NewVerifier(secret, time.Second, nil)
	}
	g := New(Options{Config: cfg, Store: store, Verifier: v, Files: files, KeepHijacked: true})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: g.ServeWS, ReduceMemoryUsage: true, KeepHijackedConns: true}
	go srv.Serve(ln)
	h := &harness{t: t, g: g, store: store, url: "ws://" + ln.Addr().String() + "/v1/ws", srv: srv}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		g.Shutdown(ctx)
		srv.ShutdownWithContext(ctx)
		store.Close(ctx)
	})
	return h
}

type client struct {
	t  testing.TB
	ws *websocket.Conn
}

func (h *harness) dial(hdr http.Header) *client {
	h.t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(h.url, hdr)
	if err != nil {
		h.t.Fatalf("dial: %v (resp %v)", err, resp)
	}
	h.t.Cleanup(func() { ws.Close() })
	return &client{t: h.t, ws: ws}
}

func (c *client) send(v any) {
	c.t.Helper()
	var data []byte
	switch x := v.(type) {
	case string:
		data = []byte(x)
	case []byte:
		data = x
	default:
		data, _ = json.Marshal(v)
	}
	if err := c.ws.WriteMessage(websocket.TextMessage, data); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

type srvFrame struct {
	Type        string               `json:"type"`
	Session     string               `json:"session"`
	Seq         uint64               `json:"seq"`
	Resumed     bool                 `json:"resumed"`
	ServerTime  string               `json:"server_time"`
	CID         string               `json:"cid"`
	Code        string               `json:"code"`
	Message     string               `json:"message"`
	From        string               `json:"from"`
	Text        string               `json:"text"`
	TS          string               `json:"ts"`
	Intent      string               `json:"intent"`
	Confidence  *float64             `json:"confidence"`
	Lang        string               `json:"lang"`
	On          bool                 `json:"on"`
	Quick       []string             `json:"quick_replies"`
	Attachments []session.Attachment `json:"attachments"`
}

// next reads one frame; it fails the test on a close or timeout.
func (c *client) next() srvFrame {
	c.t.Helper()
	f, err := c.read(5 * time.Second)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return f
}

func (c *client) read(timeout time.Duration) (srvFrame, error) {
	c.ws.SetReadDeadline(time.Now().Add(timeout))
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		return srvFrame{}, err
	}
	var f srvFrame
	if err := json.Unmarshal(data, &f); err != nil {
		c.t.Fatalf("node sent invalid JSON %q: %v", data, err)
	}
	return f, nil
}

// closeCode reads until the connection closes and returns the close code.
func (c *client) closeCode() int {
	c.t.Helper()
	for {
		_, err := c.read(5 * time.Second)
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		c.t.Fatalf("expected a close frame, got %v", err)
	}
}

func (c *client) hello(extra map[string]any) srvFrame {
	c.t.Helper()
	m := map[string]any{"type": "hello", "v": 1, "locale": "es-MX", "tz": "America/Mexico_City", "channel": "web"}
	for k, v := range extra {
		m[k] = v
	}
	c.send(m)
	f := c.next()
	if f.Type != "welcome" {
		c.t.Fatalf("hello answered with %+v", f)
	}
	return f
}

func (c *client) msg(cid, text string) srvFrame {
	c.t.Helper()
	c.send(map[string]any{"type": "msg", "cid": cid, "text": text})
	return c.next()
}

func TestHelloMsgReceipt(t *testing.T) {
	h := newHarness(t, nil, "")
	c := h.dial(nil)
	w := c.hello(nil)
	if !strings.HasPrefix(w.Session, "s_") || w.Seq != 0 || w.Resumed {
		t.Fatalf("welcome = %+v", w)
	}
	if _, err := time.Parse(time.RFC3339, w.ServerTime); err != nil {
		t.Fatalf("server_time %q: %v", w.ServerTime, err)
	}
	for i := 1; i <= 5; i++ {
		r := c.msg(fmt.Sprint("c", i), "¿Dónde está mi pedido #12345?")
		if r.Type != "receipt" || r.CID != fmt.Sprint("c", i) || r.Seq != uint64(i) {
			t.Fatalf("receipt %d = %+v", i, r)
		}
	}
	msgs, _ := h.store.Messages(w.Session, 0, 0)
	if len(msgs) != 5 {
		t.Fatalf("%d messages on disk", len(msgs))
	}
	m := msgs[0]
	if m.From != session.FromCustomer || m.Locale != "es-MX" || m.TZ != "America/Mexico_City" || m.Channel != "web" || m.Text != "¿Dónde está mi pedido #12345?" {
		t.Fatalf("normalised message = %+v", m)
	}
	// Attachments are carried through.
	c.send(`{"type":"msg","cid":"att","attachments":[{"url":"https://cdn.example/p.png","mime":"image/png","name":"p.png","size":1200}]}`)
	if r := c.next(); r.Type != "receipt" || r.Seq != 6 {
		t.Fatalf("attachment receipt = %+v", r)
	}
	msgs, _ = h.store.Messages(w.Session, 5, 0)
	if len(msgs[0].Attachments) != 1 || msgs[0].Attachments[0].Size != 1200 {
		t.Fatalf("attachment = %+v", msgs[0])
	}
}

func TestBadFramesKeepConnectionUsable(t *testing.T) {
	h := newHarness(t, nil, "")
	c := h.dial(nil)
	// msg before hello: no_session, and the connection stays open.
	c.send(`{"type":"msg","cid":"early","text":"hi"}`)
	if f := c.next(); f.Type != "error" || f.Code != CodeNoSession || f.CID != "early" {
		t.Fatalf("msg before hello = %+v", f)
	}
	c.hello(nil)
	cases := []struct{ frame, code, cid string }{
		{`not json`, CodeBadFrame, ""},
		{`[1,2]`, CodeBadFrame, ""},
		{`{"text":"no type"}`, CodeBadFrame, ""},
		{`{"type":"shout","cid":"x1"}`, CodeUnknownType, "x1"},
		{`{"type":"msg","text":"no cid"}`, CodeBadFrame, ""},
		{`{"type":"msg","cid":"c9"}`, CodeBadFrame, "c9"},
		{`{"type":"msg","cid":"bad cid with spaces","text":"x"}`, CodeBadFrame, ""},
		{`{"type":"msg","cid":"c10","text":7}`, CodeBadFrame, "c10"}, // a wrong type keeps the frame's valid cid
		{`{"type":"msg","cid":"c11","attachments":[{"url":"javascript:alert(1)"}]}`, CodeBadFrame, "c11"},
		{`{"type":"ack"}`, CodeBadFrame, ""},
		{`{"type":"typing"}`, CodeBadFrame, ""},
		{`{"type":"hello","v":1}`, CodeBadFrame, ""},
	}
	for _, tc := range cases {
		c.send(tc.frame)
		f := c.next()
		if f.Type != "error" || f.Code != tc.code || f.CID != tc.cid || f.Message == "" {
			t.Errorf("%s → %+v, want error %s cid %q", tc.frame, f, tc.code, tc.cid)
		}
		c.send(`{"type":"ack","seq":0}`) // a good frame resets the abuse counter
	}
	if r := c.msg("ok", "still here"); r.Type != "receipt" || r.Seq != 1 {
		t.Fatalf("after errors: %+v", r)
	}
	c.send(map[string]any{"type": "ack", "seq": 1})
	c.send(map[string]any{"type": "typing", "on": true})
	if r := c.msg("ok2", "x"); r.Type != "receipt" || r.Seq != 2 {
		t.Fatalf("after ack/typing: %+v", r)
	}
}

func TestHelloErrors(t *testing.T) {
	h := newHarness(t, nil, "")
	c := h.dial(nil)
	c.send(`{"type":"hello"}`)
	if f := c.next(); f.Code != CodeBadFrame {
		t.Fatalf("hello without v: %+v", f)
	}
	c.send(`{"type":"hello","v":2}`)
	if f := c.next(); f.Code != CodeUnsupported {
		t.Fatalf("hello v2: %+v", f)
	}
	c.send(`{"type":"hello","v":1,"tz":"Mars/Olympus"}`)
	if f := c.next(); f.Code != CodeBadFrame {
		t.Fatalf("bad tz: %+v", f)
	}
	c.send(`{"type":"hello","v":1,"session":"s_doesnotexist"}`)
	if f := c.next(); f.Code != CodeNoSession {
		t.Fatalf("unknown session: %+v", f)
	}
	c.hello(nil) // the connection is still usable
	// Once the session is open, any hello is a second hello: bad_frame
	// with its cid, whatever its version or fields.
	for _, again := range []string{
		`{"type":"hello","v":1,"cid":"h2"}`,
		`{"type":"hello","v":2,"cid":"h2"}`,
		`{"type":"hello","cid":"h2"}`,
		`{"type":"hello","v":1,"cid":"h2","tz":"Mars/Olympus"}`,
	} {
		c.send(again)
		if f := c.next(); f.Type != "error" || f.Code != CodeBadFrame || f.CID != "h2" {
			t.Fatalf("%s after hello: %+v", again, f)
		}
	}
}

func TestRepeatedBadFramesClose1008(t *testing.T) {
	h := newHarness(t, nil, "")
	c := h.dial(nil)
	c.hello(nil)
	for i := 0; i < maxConsecutiveErrors; i++ {
		c.send("garbage")
	}
	if code := c.closeCode(); code != ClosePolicy {
		t.Fatalf("close code %d, want 1008", code)
	}
}

func TestHelloDeadline(t *testing.T) {
	h := newHarness(t, func(g *config.Gateway) { g.HelloTimeout = 200 * time.Millisecond }, "")
	c := h.dial(nil)
	f := c.next()
	if f.Type != "error" || f.Code != CodeHelloTimeout {
		t.Fatalf("got %+v, want hello_timeout error", f)
	}
	if code := c.closeCode(); code != ClosePolicy {
		t.Fatalf("close %d, want 1008", code)
	}
}

func TestFrameTooLarge1009(t *testing.T) {
	h := newHarness(t, func(g *config.Gateway) { g.MaxFrameBytes = 1024 }, "")
	c := h.dial(nil)
	w := c.hello(nil)
	c.msg("small", "ok")
	c.send(`{"type":"msg","cid":"big","text":"` + strings.Repeat("x", 2000) + `"}`)
	if code := c.closeCode(); code != CloseTooLarge {
		t.Fatalf("close %d, want 1009", code)
	}
	msgs, _ := h.store.Messages(w.Session, 0, 0)
	if len(msgs) != 1 {
		t.Fatalf("accepted message lost or big one stored: %d messages", len(msgs))
	}
}

func TestInvalidUTF8Close1007(t *testing.T) {
	h := newHarness(t, nil, "")
	c := h.dial(nil)
	c.hello(nil)
	c.send([]byte("{\"type\":\"msg\",\"cid\":\"u\",\"text\":\"\xff\xfe\"}"))
	if code := c.closeCode(); code != CloseInvalidUTF8 {
		t.Fatalf("close %d, want 1007", code)
	}
}

func TestBinaryFrameRefused(t *testing.T) {
	h := newHarness(t, nil, "")
	c := h.dial(nil)
	c.hello(nil)
	c.ws.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"msg"}`))
	if f := c.next(); f.Code != CodeBadFrame {
		t.Fatalf("binary: %+v", f)
	}
}

func TestRateLimitLosesNothingReceipted(t *testing.T) {
	h := newHarness(t, func(g *config.Gateway) { g.RateLimit = 5; g.RateBurst = 5 }, "")
	c := h.dial(nil)
	w := c.hello(nil)
	const n = 25
	for i := 0; i < n; i++ {
		c.send(map[string]any{"type": "msg", "cid": fmt.Sprint("f", i), "text": "flood"})
	}
	receipted := map[string]uint64{}
	limited := 0
	for i := 0; i < n; i++ {
		f := c.next()
		switch {
		case f.Type == "receipt":
			receipted[f.CID] = f.Seq
		case f.Type == "error" && f.Code == CodeRateLimited && f.CID != "":
			limited++
		default:
			t.Fatalf("unexpected %+v", f)
		}
	}
	if limited == 0 || len(receipted) < 5 {
		t.Fatalf("receipted %d, limited %d", len(receipted), limited)
	}
	msgs, _ := h.store.Messages(w.Session, 0, 0)
	if len(msgs) != len(receipted) {
		t.Fatalf("%d stored, %d receipted", len(msgs), len(receipted))
	}
	for _, m := range msgs {
		if receipted[m.CID] != m.Seq {
			t.Fatalf("stored %s as %d, receipt said %d", m.CID, m.Seq, receipted[m.CID])
		}
	}
}

func TestConnectionCap503(t *testing.T) {
	h := newHarness(t, func(g *config.Gateway) { g.MaxConnections = 2 }, "")
	h.dial(nil).hello(nil)
	h.dial(nil).hello(nil)
	_, resp, err := websocket.DefaultDialer.Dial(h.url, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third dial: err=%v resp=%v, want 503", err, resp)
	}
}

func TestOriginAllowList(t *testing.T) {
	h := newHarness(t, func(g *config.Gateway) { g.AllowedOrigins = []string{"https://shop.example"} }, "")
	h.dial(http.Header{"Origin": {"https://shop.example"}}).hello(nil)
	h.dial(nil).hello(nil) // no Origin: not a browser
	_, resp, err := websocket.DefaultDialer.Dial(h.url, http.Header{"Origin": {"https://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: err=%v resp=%v, want 403", err, resp)
	}
}

func TestResumeReplaysInOrderAndCIDIsIdempotent(t *testing.T) {
	h := newHarness(t, nil, "")
	c := h.dial(nil)
	w := c.hello(nil)
	c.msg("a", "one")
	c.msg("b", "two")
	// A node message (bot) is pushed to the widget with the next seq.
	bot, err := h.store.Post(context.Background(), session.Message{Session: w.Session, From: session.FromBot, Text: "Tu pedido está en camino", Intent: "track_order", Confidence: 0.93, Lang: "es", QuickReplies: []string{"Gracias"}})
	if err != nil {
		t.Fatal(err)
	}
	f := c.next()
	if f.Type != "msg" || f.From != "bot" || f.Seq != 3 || f.Intent != "track_order" || f.Lang != "es" || len(f.Quick) != 1 || f.Confidence == nil {
		t.Fatalf("bot push = %+v (stored %+v)", f, bot)
	}
	// The same cid again: the original receipt, nothing stored.
	if r := c.msg("a", "one again"); r.Type != "receipt" || r.Seq != 1 {
		t.Fatalf("duplicate cid = %+v", r)
	}
	c.ws.Close()

	c2 := h.dial(nil)
	w2 := c2.hello(map[string]any{"session": w.Session, "last_seq": 1})
	if !w2.Resumed || w2.Session != w.Session || w2.Seq != 3 {
		t.Fatalf("resume welcome = %+v", w2)
	}
	for _, want := range []struct {
		seq  uint64
		from string
	}{{2, "customer"}, {3, "bot"}} {
		f := c2.next()
		if f.Type != "msg" || f.Seq != want.seq || f.From != want.from {
			t.Fatalf("replay = %+v, want seq %d from %s", f, want.seq, want.from)
		}
		if want.from == "customer" && (f.CID != "b" || f.Text != "two") {
			t.Fatalf("replayed customer message = %+v", f)
		}
	}
	if r := c2.msg("c", "three"); r.Seq != 4 {
		t.Fatalf("after resume: %+v", r)
	}
	msgs, _ := h.store.Messages(w.Session, 0, 0)
	if len(msgs) != 4 {
		t.Fatalf("%d messages stored", len(msgs))
	}
}

func TestResumeUnderConcurrentPosts(t *testing.T) {
	// Messages posted while a widget resumes arrive exactly once, in order.
	h := newHarness(t, nil, "")
	c := h.dial(nil)
	sid := c.hello(nil).Session
	c.ws.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			h.store.Post(ctx, session.Message{Session: sid, From: session.FromSystem, Text: fmt.Sprint(i)})
		}
	}()
	time.Sleep(5 * time.Millisecond)
	c2 := h.dial(nil)
	c2.hello(map[string]any{"session": sid, "last_seq": 0})
	wg.Wait()
	for want := uint64(1); want <= 200; want++ {
		f := c2.next()
		if f.Type != "msg" || f.Seq != want {
			t.Fatalf("got %+v, want msg seq %d", f, want)
		}
	}
}

func TestTypingAndQueueSignals(t *testing.T) {
	h := newHarness(t, nil, "")
	c := h.dial(nil)
	sid := c.hello(nil).Session
	h.store.Signal(sid, &session.Event{Kind: session.EventTyping, From: session.FromAgent, On: true}, 0)
	if f := c.next(); f.Type != "typing" || f.From != "agent" || !f.On {
		t.Fatalf("typing = %+v", f)
	}
	h.store.Signal(sid, &session.Event{Kind: session.EventQueue, Position: 3, ETASec: 90, Group: "es-support"}, 0)
	if f := c.next(); f.Type != "queue" {
		t.Fatalf("queue = %+v", f)
	}
}

func TestAuth(t *testing.T) {
	h := newHarness(t, nil, testSecret)
	// No or bad token: unauthorized and 1008.
	c := h.dial(nil)
	c.send(map[string]any{"type": "hello", "v": 1, "token": "nope"})
	if f := c.next(); f.Code != CodeUnauthorized {
		t.Fatalf("bad token: %+v", f)
	}
	if code := c.closeCode(); code != ClosePolicy {
		t.Fatalf("close %d", code)
	}
	tok, _ := auth.Sign(testSecret, auth.Claims{Subject: "cust-42", Tier: "vip"}, time.Minute)
	c2 := h.dial(nil)
	w := c2.hello(map[string]any{"token": tok, "customer": map[string]any{"id": "spoofed", "tier": "gold", "name": "Ana"}})
	meta, _ := h.store.Get(w.Session)
	if meta.Customer.ID != "cust-42" || meta.Customer.Tier != "vip" || meta.Customer.Name != "Ana" {
		t.Fatalf("customer = %+v, want the token's id and tier", meta.Customer)
	}
	// Another customer cannot resume it.
	other, _ := auth.Sign(testSecret, auth.Claims{Subject: "cust-7"}, time.Minute)
	c3 := h.dial(nil)
	c3.send(map[string]any{"type": "hello", "v": 1, "token": other, "session": w.Session})
	if f := c3.next(); f.Code != CodeUnauthorized {
		t.Fatalf("foreign resume: %+v", f)
	}
}

func TestByeClosesNormally(t *testing.T) {
	h := newHarness(t, nil, "")
	c := h.dial(nil)
	sid := c.hello(nil).Session
	c.msg("x", "thanks")
	c.send(map[string]any{"type": "ack", "seq": 1})
	c.send(`{"type":"bye"}`)
	if code := c.closeCode(); code != CloseNormal {
		t.Fatalf("close %d", code)
	}
	meta, _ := h.store.Get(sid)
	if meta.ClosedAt.IsZero() || meta.AckSeq != 1 {
		t.Fatalf("meta after bye = %+v", meta)
	}
}

func TestIdleTimeoutAndPings(t *testing.T) {
	h := newHarness(t, func(g *config.Gateway) {
		g.IdleTimeout = 400 * time.Millisecond
		g.PingInterval = 100 * time.Millisecond
	}, "")
	// A reading client answers pings (fasthttp/websocket does it inside
	// ReadMessage) and stays connected past several idle timeouts.
	alive := h.dial(nil)
	alive.hello(nil)
	if _, err := alive.read(1500 * time.Millisecond); err == nil {
		t.Fatal("unexpected frame")
	} else if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("live connection closed: %v", err)
	}
	// A client that never reads sends no pongs and is closed.
	silent := h.dial(nil)
	silent.hello(nil)
	time.Sleep(900 * time.Millisecond)
	if code := silent.closeCode(); code != ClosePolicy {
		t.Fatalf("silent client close %d, want 1008", code)
	}
}

func TestShutdownCloses1001(t *testing.T) {
	h := newHarness(t, nil, "")
	c := h.dial(nil)
	c.hello(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.g.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if code := c.closeCode(); code != CloseGoingAway {
		t.Fatalf("close %d, want 1001", code)
	}
	if h.g.Connections() != 0 {
		t.Fatalf("%d connections after shutdown", h.g.Connections())
	}
	_, resp, err := websocket.DefaultDialer.Dial(h.url, nil)
	if err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial during shutdown: %v %v", err, resp)
	}
}

// BenchmarkMsgReceipt sends customer messages over real WebSockets to a
// gateway with a real store and waits for their receipts. cpu-µs/msg is the
// process's CPU time (gateway, store and the test's clients) per message.
func BenchmarkMsgReceipt(b *testing.B) {
	const clients, window = 8, 16
	h := newHarness(b, func(c *config.Gateway) {
		c.RateLimit, c.RateBurst = 1e9, 1e9
		c.SessionRateLimit, c.SessionRateBurst = 1e9, 1e9
	}, "")
	cs := make([]*client, clients)
	for i := range cs {
		cs[i] = h.dial(nil)
		cs[i].hello(nil)
	}
	per := b.N/clients + 1
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots := make(chan struct{}, window)
			go func() {
				for n := 0; n < per; n++ {
					slots <- struct{}{}
					frame := fmt.Sprintf(`{"type":"msg","cid":"c%d-%d","text":"Where is my order #A-12345? It was due yesterday."}`, i, n)
					if err := c.ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
						return
					}
				}
			}()
			for n := 0; n < per; n++ {
				c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
				_, data, err := c.ws.ReadMessage()
				if err != nil || !strings.Contains(string(data), `"receipt"`) {
					b.Errorf("got %q, %v", data, err)
					return
				}
				<-slots
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(per*clients), "cpu-µs/msg")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkIdleSessionStack reports goroutine stack memory per idle session
// after each session sent a hello and a message: frames are handled off the
// reader goroutine, so an idle reader's stack must stay small.
func BenchmarkIdleSessionStack(b *testing.B) {
	const n = 500
	for b.Loop() {
		b.StopTimer()
		h := newHarness(b, func(c *config.Gateway) {
			c.MaxConnections, c.MaxConnectionsPerAddress = 2*n, 2*n
			c.AddressUpgradeRate, c.AddressUpgradeBurst = 1e6, 2*n // all from 127.0.0.1
		}, "")
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range n {
			c := h.dial(nil)
			c.hello(nil)
			if f := c.msg(fmt.Sprintf("c%d", i), "where is my order?"); f.Type != "receipt" {
				b.Fatalf("got %+v", f)
			}
		}
		var after runtime.MemStats
		runtime.GC()
		runtime.GC() // stacks shrink during GC
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.StackInuse-before.StackInuse)/n, "stack-B/session")
		b.StartTimer()
	}
}
