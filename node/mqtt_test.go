package node

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/internal/testpki"
	"github.com/edgedesk/edgedesk/node/mqtt"
	"github.com/edgedesk/edgedesk/node/session"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

const mqttSecret = "mqtt-test-widget-secret-0123456789abcdef"

// startMQTTNode starts a node with the MQTT listener on a free loopback
// port and returns the listener's address.
func startMQTTNode(t *testing.T, secret string, opts ...func(*config.Config)) (*Node, string) {
	t.Helper()
	addr := freeTCP(t)
	n, _, _ := startNode(t, append([]func(*config.Config){func(c *config.Config) {
		c.MQTT.Listen = addr
		c.Auth.WidgetSecret = secret
	}}, opts...)...)
	return n, addr
}

func widgetToken(t *testing.T, customer string) string {
	t.Helper()
	tok, err := auth.Sign(mqttSecret, auth.Claims{Subject: customer, Name: "Customer " + customer}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// mqttFrame is a server frame as the app reads it.
type mqttFrame struct {
	Type    string `json:"type"`
	Session string `json:"session"`
	Seq     uint64 `json:"seq"`
	Resumed bool   `json:"resumed"`
	CID     string `json:"cid"`
	From    string `json:"from"`
	Text    string `json:"text"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// app is an MQTT app: a real MQTT client (Eclipse Paho) on one key and
// connection token, reading its out topic at QoS 1.
type app struct {
	t      *testing.T
	c      paho.Client
	key    string
	in     string
	frames chan mqttFrame
}

func dialApp(t *testing.T, addr, clientID, user, password, key, conn string) (*app, error) {
	t.Helper()
	return dialAppTLS(t, nil, addr, clientID, user, password, key, conn)
}

// dialAppTLS is dialApp over TLS when tc is set.
func dialAppTLS(t *testing.T, tc *tls.Config, addr, clientID, user, password, key, conn string) (*app, error) {
	t.Helper()
	broker := "tcp://" + addr
	if tc != nil {
		broker = "ssl://" + addr
	}
	o := paho.NewClientOptions().AddBroker(broker).SetClientID(clientID).SetUsername(user).SetPassword(password).
		SetCleanSession(true).SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(5 * time.Second).SetTLSConfig(tc)
	c := paho.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return nil, fmt.Errorf("connect: %v", tok.Error())
	}
	a := &app{t: t, c: c, key: key, in: "edgedesk/mqtt/" + key + "/" + conn + "/in", frames: make(chan mqttFrame, 256)}
	t.Cleanup(func() { c.Disconnect(0) })
	out := "edgedesk/mqtt/" + key + "/" + conn + "/out"
	tok := c.Subscribe(out, 1, func(_ paho.Client, m paho.Message) {
		var f mqttFrame
		if err := json.Unmarshal(m.Payload(), &f); err != nil {
			t.Errorf("frame %q: %v", m.Payload(), err)
			return
		}
		a.frames <- f
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return nil, fmt.Errorf("subscribe: %v", tok.Error())
	}
	if r := tok.(*paho.SubscribeToken).Result()[out]; r != 1 {
		return nil, fmt.Errorf("subscribe %s: granted %d", out, r)
	}
	return a, nil
}

func (a *app) send(v any) {
	a.t.Helper()
	b, _ := json.Marshal(v)
	a.sendRaw(b)
}

func (a *app) sendRaw(b []byte) {
	a.t.Helper()
	if tok := a.c.Publish(a.in, 1, false, b); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		a.t.Fatalf("publish: %v", tok.Error())
	}
}

// next returns the next frame that is not typing or queue.
func (a *app) next() mqttFrame {
	a.t.Helper()
	for {
		select {
		case f := <-a.frames:
			if f.Type == "typing" || f.Type == "queue" {
				continue
			}
			return f
		case <-time.After(20 * time.Second):
			a.t.Fatal("no frame within 20s")
		}
	}
}

func (a *app) hello(fields map[string]any) mqttFrame {
	a.t.Helper()
	h := map[string]any{"type": "hello", "v": 1}
	for k, v := range fields {
		h[k] = v
	}
	a.send(h)
	// Frames before the welcome were meant for an earlier connection on
	// the same topics (docs/MQTT.md): an app skips them.
	w := a.next()
	for w.Type == "msg" || w.Type == "receipt" || w.Type == "ok" {
		w = a.next()
	}
	if w.Type != "welcome" {
		a.t.Fatalf("hello answered %+v", w)
	}
	return w
}

// TestMQTTChat: an app chats through the node over MQTT with a verified
// widget token: its msg is receipted only once it is in the store, and the
// bot answers.
func TestMQTTChat(t *testing.T) {
	n, addr := startMQTTNode(t, mqttSecret)
	tok := widgetToken(t, "cust-1")
	key := mqtt.CustomerKey("cust-1")
	a, err := dialApp(t, addr, "app-chat", key, tok, key, "phone1")
	if err != nil {
		t.Fatal(err)
	}
	w := a.hello(map[string]any{"token": tok, "locale": "en"})
	if w.Session == "" || w.Resumed {
		t.Fatalf("welcome %+v", w)
	}
	meta, err := n.Store().Get(w.Session)
	if err != nil || meta.Customer.ID != "cust-1" || meta.Channel != "app" {
		t.Fatalf("session %+v %v: want customer cust-1 from the token, channel app", meta, err)
	}
	a.send(map[string]any{"type": "msg", "cid": "m1", "text": "where is my order #12345?"})
	var receipt mqttFrame
	var bot bool
	for receipt.Type == "" || !bot {
		f := a.next()
		switch {
		case f.Type == "receipt":
			// The receipt comes after the commit: the message is in the store.
			msgs, err := n.Store().Messages(w.Session, f.Seq-1, 1)
			if err != nil || len(msgs) != 1 || msgs[0].CID != "m1" || msgs[0].Text != "where is my order #12345?" {
				t.Fatalf("receipt %+v, store has %+v %v", f, msgs, err)
			}
			receipt = f
		case f.Type == "msg" && f.From == "bot":
			bot = true
		case f.Type == "error":
			t.Fatalf("error frame %+v", f)
		}
	}
	if receipt.CID != "m1" || receipt.Seq == 0 {
		t.Fatalf("receipt %+v", receipt)
	}
	// A retried msg (same cid) is stored once and receipted again.
	a.send(map[string]any{"type": "msg", "cid": "m1", "text": "where is my order #12345?"})
	for f := a.next(); ; f = a.next() {
		if f.Type == "receipt" {
			if f.Seq != receipt.Seq {
				t.Fatalf("retry receipted as seq %d, first was %d", f.Seq, receipt.Seq)
			}
			break
		}
	}
}

// TestMQTTResume: an app that disconnects and comes back with its last
// seq gets what was posted meanwhile, in order, with no gap and no
// duplicate, over more than one replay page, then live messages.
func TestMQTTResume(t *testing.T) {
	n, addr := startMQTTNode(t, mqttSecret, noBot)
	tok := widgetToken(t, "cust-2")
	key := mqtt.CustomerKey("cust-2")
	a, err := dialApp(t, addr, "app-resume", key, tok, key, "tablet")
	if err != nil {
		t.Fatal(err)
	}
	w := a.hello(map[string]any{"token": tok})
	a.send(map[string]any{"type": "msg", "cid": "before", "text": "hello"})
	var last uint64
	for f := a.next(); ; f = a.next() {
		if f.Type == "receipt" {
			last = f.Seq
			break
		}
	}
	a.c.Disconnect(100)

	ctx := context.Background()
	const away = 40 // more than two replay pages
	for i := range away {
		if _, err := n.Store().Post(ctx, session.Message{Session: w.Session, From: session.FromAgent, Text: fmt.Sprintf("while away %d", i),
			Agent: &session.AgentRef{ID: "ag1", Name: "Ana"}}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := dialApp(t, addr, "app-resume", key, tok, key, "tablet")
	if err != nil {
		t.Fatal(err)
	}
	w2 := b.hello(map[string]any{"token": tok, "session": w.Session, "last_seq": last})
	if !w2.Resumed || w2.Session != w.Session || w2.Seq != last+away {
		t.Fatalf("welcome %+v: want session %s resumed at seq %d", w2, w.Session, last+away)
	}
	live, err := n.Store().Post(ctx, session.Message{Session: w.Session, From: session.FromAgent, Text: "live", Agent: &session.AgentRef{ID: "ag1", Name: "Ana"}})
	if err != nil {
		t.Fatal(err)
	}
	want := last + 1
	for want <= live.Seq {
		f := b.next()
		if f.Type != "msg" {
			t.Fatalf("frame %+v while waiting for seq %d", f, want)
		}
		if f.Seq != want {
			t.Fatalf("got seq %d (%q), want %d: a gap or a duplicate", f.Seq, f.Text, want)
		}
		if wantText := fmt.Sprintf("while away %d", want-last-1); want < live.Seq && f.Text != wantText {
			t.Fatalf("seq %d is %q, want %q", f.Seq, f.Text, wantText)
		}
		want++
	}
}

// TestMQTTAuth: a CONNECT without a valid widget token is refused; without
// a widget secret, an app connects anonymously with its install id.
func TestMQTTAuth(t *testing.T) {
	_, addr := startMQTTNode(t, mqttSecret)
	key := mqtt.CustomerKey("cust-3")
	forged, err := auth.Sign("another-secret-another-secret-another", auth.Claims{Subject: "cust-3"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := auth.Sign(mqttSecret, auth.Claims{Subject: "cust-3"}, -time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for name, pass := range map[string]string{"no token": "", "forged": forged, "expired": expired, "garbage": "not-a-jwt"} {
		if _, err := dialApp(t, addr, "app-auth-"+strings.ReplaceAll(name, " ", "-"), key, pass, key, "c"); err == nil {
			t.Errorf("%s: connected", name)
		}
	}

	_, anonAddr := startMQTTNode(t, "")
	if _, err := dialApp(t, anonAddr, "anon-short", "short", "", "short", "c"); err == nil {
		t.Error("anonymous app with a short install id connected")
	}
	install := "3f0c1a2b4d5e6f708192a3b4c5d6e7f8"
	a, err := dialApp(t, anonAddr, "anon-ok", install, "", install, "c")
	if err != nil {
		t.Fatal(err)
	}
	if w := a.hello(nil); w.Session == "" {
		t.Fatalf("welcome %+v", w)
	}
}

// TestMQTTIsolation: an app can neither read another customer's topics nor
// publish into them, nor resume another customer's session.
func TestMQTTIsolation(t *testing.T) {
	n, addr := startMQTTNode(t, mqttSecret, noBot)
	tokA, tokB := widgetToken(t, "alice"), widgetToken(t, "bob")
	keyA, keyB := mqtt.CustomerKey("alice"), mqtt.CustomerKey("bob")
	alice, err := dialApp(t, addr, "alice-phone", keyA, tokA, keyA, "p")
	if err != nil {
		t.Fatal(err)
	}
	wa := alice.hello(map[string]any{"token": tokA})

	// Bob's credentials on Alice's topics: the subscription is refused.
	if _, err := dialApp(t, addr, "bob-spy", keyB, tokB, keyA, "p"); err == nil || !strings.Contains(err.Error(), "granted 128") {
		t.Fatalf("bob subscribed to alice's out topic: %v", err)
	}
	bob, err := dialApp(t, addr, "bob-phone", keyB, tokB, keyB, "p")
	if err != nil {
		t.Fatal(err)
	}
	bob.hello(map[string]any{"token": tokB})
	// Bob publishes into Alice's inbound topic: the server drops it.
	forged, _ := json.Marshal(map[string]any{"type": "msg", "cid": "evil", "text": "bob was here"})
	if tok := bob.c.Publish("edgedesk/mqtt/"+keyA+"/p/in", 1, false, forged); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	// Bob resumes Alice's session on his own topics: refused as the widget
	// refuses it.
	bob.send(map[string]any{"type": "hello", "v": 1, "token": tokB, "session": wa.Session})
	if f := bob.next(); f.Type != "error" || f.Code != "unauthorized" {
		t.Fatalf("bob resuming alice's session: %+v", f)
	}
	// Alice's own msg after Bob's attempts: had Bob's frame reached her
	// connection, it would be stored before hers.
	alice.send(map[string]any{"type": "msg", "cid": "a1", "text": "only me"})
	for f := alice.next(); f.Type != "receipt"; f = alice.next() {
		if f.Type == "error" {
			t.Fatalf("alice: %+v", f)
		}
	}
	msgs, err := n.Store().Messages(wa.Session, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Text == "bob was here" {
			t.Fatalf("bob's frame was stored in alice's session: %+v", m)
		}
	}
	if len(msgs) != 1 {
		t.Fatalf("alice's session has %d messages, want 1", len(msgs))
	}
}

// TestMQTTBadFrames: a malformed payload is answered with the widget
// protocol's error frame, with its cid when it has a valid one, and the
// connection goes on.
func TestMQTTBadFrames(t *testing.T) {
	n, addr := startMQTTNode(t, mqttSecret, noBot, func(c *config.Config) { c.Gateway.MaxFrameBytes = 4096 })
	base := "http://" + n.Addr().String()
	tok := widgetToken(t, "cust-4")
	key := mqtt.CustomerKey("cust-4")
	a, err := dialApp(t, addr, "app-bad", key, tok, key, "c")
	if err != nil {
		t.Fatal(err)
	}
	a.send(map[string]any{"type": "msg", "cid": "early", "text": "before hello"})
	if f := a.next(); f.Type != "error" || f.Code != "no_session" || f.CID != "early" {
		t.Fatalf("msg before hello: %+v", f)
	}
	a.hello(map[string]any{"token": tok})
	cases := []struct {
		payload   string
		code, cid string
	}{
		{`{"type":"msg","cid":"x1"`, "bad_frame", ""},
		{`not json`, "bad_frame", ""},
		{`{"type":"msg","cid":"x2","text":7}`, "bad_frame", "x2"},
		{`{"type":"msg","cid":"x3"}`, "bad_frame", "x3"},
		{`{"type":"teleport","cid":"x4"}`, "unknown_type", "x4"},
		{`{"type":"msg","cid":"x5","text":"` + strings.Repeat("a", 5000) + `"}`, "too_large", ""},
		{"{\"type\":\"msg\",\"cid\":\"x6\",\"text\":\"\xff\"}", "bad_frame", ""},
	}
	for _, c := range cases {
		a.sendRaw([]byte(c.payload))
		f := a.next()
		if f.Type != "error" || f.Code != c.code || f.CID != c.cid {
			t.Errorf("%.40q answered %+v, want error %s cid %q", c.payload, f, c.code, c.cid)
		}
	}
	a.send(map[string]any{"type": "msg", "cid": "ok", "text": "still here"})
	if f := a.next(); f.Type != "receipt" || f.CID != "ok" {
		t.Fatalf("after bad frames: %+v", f)
	}
	_, body := get(t, base+"/metrics")
	for _, want := range []string{`edgedesk_mqtt_frames_in_total{type="invalid"} 7`, `edgedesk_mqtt_errors_total{code="too_large"} 1`, "edgedesk_mqtt_connections 1"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestMQTTLeftAppDropped: the bridge forgets an app connection once its app
// disconnected (memory bounded by the apps connected).
func TestMQTTLeftAppDropped(t *testing.T) {
	n, addr := startMQTTNode(t, mqttSecret, noBot, func(c *config.Config) { c.MQTT.SweepInterval = 250 * time.Millisecond })
	tok := widgetToken(t, "cust-5")
	key := mqtt.CustomerKey("cust-5")
	a, err := dialApp(t, addr, "app-left", key, tok, key, "c")
	if err != nil {
		t.Fatal(err)
	}
	w := a.hello(map[string]any{"token": tok})
	if got := n.mqtt.Clients(); got != 1 {
		t.Fatalf("clients %d, want 1", got)
	}
	a.send(map[string]any{"type": "msg", "cid": "m", "text": "hi"})
	f := a.next()
	if f.Type != "receipt" {
		t.Fatalf("frame %+v", f)
	}
	a.send(map[string]any{"type": "ack", "seq": f.Seq})
	a.c.Disconnect(100)
	waitFor(t, "the left app's connection forgotten", func() bool { return n.mqtt.Clients() == 0 })
	// What the app acknowledged is saved with the session, by the
	// forgotten connection's worker as it stops (after it left the map).
	waitFor(t, "the left app's ack saved with the session", func() bool {
		meta, err := n.Store().Get(w.Session)
		return err == nil && meta.AckSeq == f.Seq
	})
}

// BenchmarkMQTTRoundTrip: one app's msg to its receipt through the node
// (the app's publish, the bridge, the store's durable commit, the receipt
// published at QoS 1 and read by the app), one message at a time.
func BenchmarkMQTTRoundTrip(b *testing.B) {
	_, addr := startMQTTNodeB(b)
	tok, err := auth.Sign(mqttSecret, auth.Claims{Subject: "bench"}, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	key := mqtt.CustomerKey("bench")
	o := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("bench").SetUsername(key).SetPassword(tok).SetCleanSession(true)
	c := paho.NewClient(o)
	if ct := c.Connect(); !ct.WaitTimeout(10*time.Second) || ct.Error() != nil {
		b.Fatal(ct.Error())
	}
	defer c.Disconnect(0)
	frames := make(chan mqttFrame, 64)
	if st := c.Subscribe("edgedesk/mqtt/"+key+"/b/out", 1, func(_ paho.Client, m paho.Message) {
		var f mqttFrame
		json.Unmarshal(m.Payload(), &f)
		frames <- f
	}); !st.WaitTimeout(10*time.Second) || st.Error() != nil {
		b.Fatal(st.Error())
	}
	in := "edgedesk/mqtt/" + key + "/b/in"
	wait := func(typ string) {
		for {
			select {
			case f := <-frames:
				if f.Type == typ {
					return
				}
				if f.Type == "error" {
					b.Fatalf("error frame %+v", f)
				}
			case <-time.After(20 * time.Second):
				b.Fatalf("no %s", typ)
			}
		}
	}
	c.Publish(in, 1, false, `{"type":"hello","v":1,"token":"`+tok+`"}`).Wait()
	wait("welcome")
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		c.Publish(in, 1, false, fmt.Sprintf(`{"type":"msg","cid":"b%d","text":"where is my order?"}`, i))
		wait("receipt")
	}
}

func startMQTTNodeB(b *testing.B) (*Node, string) {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = b.TempDir()
	cfg.Bot.Enabled = false
	cfg.Gateway.RateLimit, cfg.Gateway.RateBurst = 1e6, 1000
	cfg.MQTT.Listen = addr
	cfg.Auth.WidgetSecret = mqttSecret
	n, err := New(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := n.Listen(); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("Run: %v", err)
		}
	})
	for !n.ready.Load() {
		time.Sleep(10 * time.Millisecond)
	}
	return n, addr
}

// TestMQTTOnLeaf: a node that is a leaf of a core serves MQTT from its own
// server (MQTT's streams in the edge's domain), and its apps keep chatting
// while the link to the core is down.
func TestMQTTOnLeaf(t *testing.T) {
	dir := t.TempDir()
	clientAddr, leafAddr := freeTCP(t), freeTCP(t)
	core, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: filepath.Join(dir, "core"), Listen: clientAddr, LeafListen: leafAddr, SyncAlways: true, Domain: "core"})
	if err != nil {
		t.Fatal(err)
	}
	_, addr := startMQTTNode(t, mqttSecret, noBot, func(c *config.Config) { c.NATS.Leaf = "nats-leaf://" + leafAddr; c.NATS.Node = "edge-m" })
	waitFor(t, "the leaf link", func() bool { return leafCount(core) > 0 })
	tok := widgetToken(t, "leaf-cust")
	key := mqtt.CustomerKey("leaf-cust")
	a, err := dialApp(t, addr, "leaf-app", key, tok, key, "c")
	if err != nil {
		t.Fatal(err)
	}
	a.hello(map[string]any{"token": tok})
	receipt := func(cid string) {
		t.Helper()
		a.send(map[string]any{"type": "msg", "cid": cid, "text": "hello from " + cid})
		for f := a.next(); f.Type != "receipt" || f.CID != cid; f = a.next() {
			if f.Type == "error" {
				t.Fatalf("%s: %+v", cid, f)
			}
		}
	}
	receipt("linked")
	core.Shutdown()
	core.WaitForShutdown()
	receipt("cut")
}

// TestMQTTLimits: the widget's write rate applies per app connection, and
// mqtt.max_conns_per_key caps one customer's connections.
func TestMQTTLimits(t *testing.T) {
	_, addr := startMQTTNode(t, mqttSecret, noBot, func(c *config.Config) {
		c.Gateway.RateLimit, c.Gateway.RateBurst = 0.001, 2
		c.MQTT.MaxConnsPerKey = 1
	})
	tok := widgetToken(t, "cust-6")
	key := mqtt.CustomerKey("cust-6")
	a, err := dialApp(t, addr, "limits-1", key, tok, key, "one")
	if err != nil {
		t.Fatal(err)
	}
	a.hello(map[string]any{"token": tok})
	for i := range 3 {
		a.send(map[string]any{"type": "msg", "cid": fmt.Sprint("r", i), "text": "hi"})
	}
	var receipts, limited int
	for receipts+limited < 3 {
		switch f := a.next(); {
		case f.Type == "receipt":
			receipts++
		case f.Type == "error" && f.Code == "rate_limited" && f.CID == "r2":
			limited++
		default:
			t.Fatalf("frame %+v", f)
		}
	}
	if receipts != 2 || limited != 1 {
		t.Fatalf("%d receipts, %d rate_limited; want 2 and 1", receipts, limited)
	}

	b, err := dialApp(t, addr, "limits-2", key, tok, key, "two")
	if err != nil {
		t.Fatal(err)
	}
	b.send(map[string]any{"type": "hello", "v": 1, "token": tok})
	if f := b.next(); f.Type != "error" || f.Code != "unavailable" || !strings.Contains(f.Message, "too many connections for this key") {
		t.Fatalf("a second connection of the key: %+v", f)
	}
}

// TestMQTTFlood: an app flooding the node with refused frames gets a
// bounded number of error frames (each costs the node a stored publish),
// and its next good msg is still taken.
func TestMQTTFlood(t *testing.T) {
	n, addr := startMQTTNode(t, mqttSecret, noBot)
	base := "http://" + n.Addr().String()
	tok := widgetToken(t, "cust-7")
	key := mqtt.CustomerKey("cust-7")
	a, err := dialApp(t, addr, "flood", key, tok, key, "c")
	if err != nil {
		t.Fatal(err)
	}
	a.hello(map[string]any{"token": tok})
	start := time.Now()
	const flood = 300
	for i := range flood {
		a.c.Publish(a.in, 0, false, fmt.Sprintf(`{"type":"nonsense","cid":"f%d"}`, i))
	}
	// A frame that finds the connection's queue full behind the flood is
	// dropped, like the flood's: the app resends it with the same cid, as
	// the protocol says, until its receipt comes (stored once).
	deadline := time.Now().Add(time.Minute)
	for got := false; !got; {
		if time.Now().After(deadline) {
			t.Fatal("no receipt for the good message within a minute of resending")
		}
		a.send(map[string]any{"type": "msg", "cid": "good", "text": "still here"})
		wait := time.After(2 * time.Second)
		for !got {
			var f mqttFrame
			select {
			case f = <-a.frames:
			case <-wait:
			}
			if f.Type == "" {
				break // resend
			}
			switch {
			case f.Type == "receipt" && f.CID == "good":
				got = true
			case f.Type != "error" && f.Type != "typing" && f.Type != "queue":
				t.Fatalf("frame %+v", f)
			}
		}
	}
	// Refused by the decoder or dropped for a full queue: two budgets of
	// 10 answers, refilled at one a second each.
	limit := 2*10 + 2*int(time.Since(start).Seconds()+1)
	_, body := get(t, base+"/metrics")
	var errs int
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "edgedesk_mqtt_errors_total{") {
			var v int
			fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
			errs += v
		}
	}
	if errs == 0 || errs > limit {
		t.Fatalf("%d error frames for %d refused frames, want 1 to %d", errs, flood, limit)
	}
}

// TestMQTTOverTLS: off loopback the listener needs TLS; an app connects
// over TLS, verifying the node's certificate, and chats.
func TestMQTTOverTLS(t *testing.T) {
	ca := testpki.New(t, "mqtt CA")
	cert, key := ca.Issue(t, time.Hour, "127.0.0.1", "localhost").Write(t, t.TempDir(), "mqtt")
	_, addr := startMQTTNode(t, mqttSecret, noBot, func(c *config.Config) { c.MQTT.TLSCert, c.MQTT.TLSKey = cert, key })
	tok := widgetToken(t, "cust-tls")
	k := mqtt.CustomerKey("cust-tls")
	if _, err := dialApp(t, addr, "plain", k, tok, k, "c"); err == nil {
		t.Fatal("a plain-text CONNECT was taken by the TLS listener")
	}
	a, err := dialAppTLS(t, &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"}, addr, "tls", k, tok, k, "c")
	if err != nil {
		t.Fatal(err)
	}
	a.hello(map[string]any{"token": tok})
	a.send(map[string]any{"type": "msg", "cid": "t1", "text": "over TLS"})
	if f := a.next(); f.Type != "receipt" || f.CID != "t1" {
		t.Fatalf("frame %+v", f)
	}
}

// TestMQTTTwoEdgesOneCore: two MQTT edges, leaves of one core: an app's
// frames are served by the edge it is connected to only (MQTT's subjects
// stay in the leaf's domain): one welcome, one receipt per message, no
// session on the other edge.
func TestMQTTTwoEdgesOneCore(t *testing.T) {
	dir := t.TempDir()
	clientAddr, leafAddr := freeTCP(t), freeTCP(t)
	core, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: filepath.Join(dir, "core"), Listen: clientAddr, LeafListen: leafAddr, SyncAlways: true, Domain: "core"})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Shutdown()
	nA, addrA := startMQTTNode(t, mqttSecret, noBot, func(c *config.Config) { c.NATS.Leaf = "nats-leaf://" + leafAddr; c.NATS.Node = "edge-a" })
	nB, _ := startMQTTNode(t, mqttSecret, noBot, func(c *config.Config) { c.NATS.Leaf = "nats-leaf://" + leafAddr; c.NATS.Node = "edge-b" })
	waitFor(t, "two leaf links", func() bool { return leafCount(core) > 1 })
	tok := widgetToken(t, "two-edges")
	key := mqtt.CustomerKey("two-edges")
	a, err := dialApp(t, addrA, "app-two", key, tok, key, "c")
	if err != nil {
		t.Fatal(err)
	}
	a.hello(map[string]any{"token": tok})
	for _, cid := range []string{"m1", "m2", "m3"} {
		a.send(map[string]any{"type": "msg", "cid": cid, "text": "hello " + cid})
		for f := a.next(); f.Type != "receipt" || f.CID != cid; f = a.next() {
			if f.Type == "welcome" || f.Type == "error" || f.Type == "receipt" {
				t.Fatalf("waiting for the receipt of %s: %+v (another edge served the app)", cid, f)
			}
		}
	}
	if nA.store.Sessions() != 1 || nB.store.Sessions() != 0 {
		t.Fatalf("sessions on the app's edge %d, on the other %d: want 1 and 0", nA.store.Sessions(), nB.store.Sessions())
	}
}
