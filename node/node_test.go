package node

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/session"
)

// startNode runs a node on a fresh data directory (an option may set
// another) and returns it, its base URL and a stop function that shuts it
// down and waits (also run at the test's end).
func startNode(t *testing.T, opts ...func(*config.Config)) (*Node, string, func()) {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Gateway.RateLimit, cfg.Gateway.RateBurst = 1000, 1000
	cfg.Gateway.SessionRateLimit, cfg.Gateway.SessionRateBurst = 1000, 1000
	// Every test connection comes from 127.0.0.1.
	cfg.Gateway.AddressUpgradeRate, cfg.Gateway.AddressUpgradeBurst = 10000, 10000
	for _, o := range opts {
		o(cfg)
	}
	n, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	base := "http://" + n.Addr().String()
	waitReady(t, base)
	return n, base, stop
}

// dialWidget connects a widget and completes hello/welcome.
func dialWidget(t *testing.T, base string, hello map[string]any) (*websocket.Conn, struct{ Session string }) {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(base, "http", "ws", 1)+"/v1/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	if hello == nil {
		hello = map[string]any{}
	}
	hello["type"], hello["v"] = "hello", 1
	ws.WriteJSON(hello)
	var welcome struct{ Session string }
	if err := ws.ReadJSON(&welcome); err != nil || welcome.Session == "" {
		t.Fatalf("welcome: %+v %v", welcome, err)
	}
	return ws, welcome
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestEndpoints(t *testing.T) {
	n, base, _ := startNode(t, noBot)
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("healthz = %d %q", code, body)
	}
	if code, body := get(t, base+"/nope"); code != 404 || !strings.Contains(body, "/v1/ws") {
		t.Fatalf("404 = %d %q", code, body)
	}
	if code, body := get(t, base+"/v1/ws"); code != 400 || !strings.Contains(body, "WebSocket") {
		t.Fatalf("plain GET /v1/ws = %d %q", code, body)
	}

	// A widget session; a system message through the internal API reaches it.
	ws, welcome := dialWidget(t, base, nil)
	ws.WriteJSON(map[string]any{"type": "msg", "cid": "1", "text": "hi"})
	var receipt struct{ Type string }
	ws.ReadJSON(&receipt)
	if _, err := n.Store().Post(context.Background(), session.Message{Session: welcome.Session, From: session.FromSystem, Text: "An agent will join shortly"}); err != nil {
		t.Fatal(err)
	}
	var pushed struct {
		Type, From, Text string
		Seq              uint64
	}
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := ws.ReadJSON(&pushed); err != nil || pushed.From != "system" || pushed.Seq != 2 {
		t.Fatalf("pushed = %+v %v", pushed, err)
	}

	code, body := get(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("metrics %d", code)
	}
	for _, want := range []string{
		"edgedesk_ws_connections 1",
		"edgedesk_messages_in_total 1",
		`edgedesk_messages_out_total{from="system"} 1`,
		"edgedesk_sessions 1",
		"edgedesk_store_commit_seconds_count",
		"edgedesk_receipt_seconds_bucket",
		`edgedesk_ws_frames_in_total{type="hello"} 1`,
		"edgedesk_ws_bytes_in_total",
		"go_memstats_heap_inuse_bytes",
		"process_resident_memory_bytes",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestNotReadyAfterClose(t *testing.T) {
	n, base, cancel := startNode(t, noBot)
	cancel()
	ctx, c2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer c2()
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if code, _ := get(t, base+"/readyz"); code == 200 {
		t.Fatal("ready after Close")
	}
}

func TestCustomerMessagesAreClassified(t *testing.T) {
	n, base, _ := startNode(t, noBot)
	ws, welcome := dialWidget(t, base, map[string]any{"locale": "es-MX"})
	cases := []struct{ text, intent, lang string }{
		{"where is my order #12345?", "track_order", "en"},
		{"我的订单到哪里了", "track_order", "zh"},
		{"quiero cancelar mi pedido", "cancel_order", "es"},
		{"I want to talk to a human agent", "talk_to_human", "en"},
	}
	for i, c := range cases {
		ws.WriteJSON(map[string]any{"type": "msg", "cid": fmt.Sprint(i), "text": c.text})
		var r struct{ Type string }
		if err := ws.ReadJSON(&r); err != nil || r.Type != "receipt" {
			t.Fatalf("receipt: %+v %v", r, err)
		}
	}
	msgs, err := n.Store().Messages(welcome.Session, 0, 0)
	if err != nil || len(msgs) != len(cases) {
		t.Fatalf("messages %d %v", len(msgs), err)
	}
	for i, c := range cases {
		m := msgs[i]
		if m.Intent != c.intent || m.Lang != c.lang || m.Confidence <= 0 {
			t.Errorf("%q stored as intent=%q lang=%q conf=%.2f, want %s/%s", c.text, m.Intent, m.Lang, m.Confidence, c.intent, c.lang)
		}
	}
	_, body := get(t, base+"/metrics")
	if !strings.Contains(body, "edgedesk_classify_seconds_count 4") {
		t.Errorf("classify metric missing:\n%s", body)
	}
}

func TestModelReloadKeepsConnections(t *testing.T) {
	// A classification that runs out of model.timeout (50 ms) is stored
	// unclassified by design; on a loaded machine under -race one can,
	// which is not what this test is about: the swap must not fail one.
	n, base, _ := startNode(t, noBot, func(c *config.Config) { c.Model.Timeout = time.Minute })
	ws, welcome := dialWidget(t, base, nil)
	before := n.Model().LoadedAt
	done := make(chan error, 1)
	go func() { // messages keep flowing while the model is swapped
		for i := 0; i < 50; i++ {
			ws.WriteJSON(map[string]any{"type": "msg", "cid": fmt.Sprint(i), "text": "refund please"})
			var r struct{ Type string }
			if err := ws.ReadJSON(&r); err != nil || r.Type != "receipt" {
				done <- fmt.Errorf("message %d: %+v %v", i, r, err)
				return
			}
		}
		done <- nil
	}()
	for i := 0; i < 3; i++ {
		if err := n.ReloadModel(); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !n.Model().LoadedAt.After(before) {
		t.Fatal("model not reloaded")
	}
	msgs, _ := n.Store().Messages(welcome.Session, 0, 0)
	for _, m := range msgs {
		if m.Intent == "" {
			t.Fatalf("message %d stored unclassified during the swap", m.Seq)
		}
	}
}

func TestMissingRuntimeFailsClearly(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Model.ORTLib = filepath.Join(t.TempDir(), "libonnxruntime.so.1")
	_, err := New(cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "libonnxruntime.so.1") {
		t.Fatalf("New with a missing ORT library: %v", err)
	}
}

// noBot turns the bot off, for tests about the transport and the model.
func noBot(c *config.Config) { c.Bot.Enabled = false }
