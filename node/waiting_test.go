package node

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/localtime"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// notice is a msg frame's notice, as the widget reads it.
type notice struct {
	Kind    string `json:"kind"`
	OpensAt string `json:"opens_at"`
	Group   string `json:"group"`
	Agent   *struct {
		ID, Name string
	} `json:"agent"`
}

// systemNotice reads widget frames until a system msg with a notice of kind.
func systemNotice(t *testing.T, ws interface {
	ReadJSON(any) error
	SetReadDeadline(time.Time) error
}, kind string) (string, notice) {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var f struct {
			Type, From, Text string
			Notice           *notice `json:"notice"`
		}
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("waiting for a %s notice: %v", kind, err)
		}
		if f.Type == "msg" && f.From == "system" && f.Notice != nil && f.Notice.Kind == kind {
			return f.Text, *f.Notice
		}
	}
}

// TestWaitingChatAcrossRestartCsatAndContact is issue 12 end to end: a
// customer asks for a person while the team is closed and is told when it
// opens, in Spanish; leaves an email and a message; the node restarts;
// the team opens (a configuration reload); the agent connected over
// /v1/agent/ws gets the chat with the message and the email; the customer
// is told someone is looking at it; the agent closes it; the customer is
// told, the bot answers again, and the customer's rating is stored,
// counted and synced.
func TestWaitingChatAcrossRestartCsatAndContact(t *testing.T) {
	mx, _ := time.LoadLocation("America/Mexico_City")
	now := time.Now().In(mx)
	day := func(d int) string { return now.AddDate(0, 0, d).Format("2006-01-02") }
	closed := func(c *config.Config) {
		withAgents(c)
		c.Routing.Groups[0].Overrides = map[string][]string{day(-1): {}, day(0): {}, day(1): {}} // mx-es closed until the day after tomorrow
	}
	dir := t.TempDir()
	inDir := func(c *config.Config) { c.DataDir = dir }

	_, base, stop := startNode(t, closed, inDir)
	ws, w := dialWidget(t, base, map[string]any{"locale": "es-MX", "tz": "America/Mexico_City"})
	ws.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "quiero hablar con un agente"})
	text, n := systemNotice(t, ws, "team_closed")
	opens, err := time.Parse(time.RFC3339, n.OpensAt)
	wantOpens := time.Date(now.Year(), now.Month(), now.Day()+2, 0, 0, 0, 0, mx)
	if err != nil || !opens.Equal(wantOpens) || n.Group != "mx-es" {
		t.Fatalf("notice %+v, want opens_at %s", n, wantOpens.UTC())
	}
	// The time in the text is the customer's, in Spanish.
	if want := localtime.Format("es-MX", opens, time.Now(), mx); !strings.Contains(text, want) || !strings.HasPrefix(want, localtime.Weekday("es", wantOpens.Weekday())) {
		t.Fatalf("text %q lacks %q", text, want)
	}
	ws.WriteJSON(map[string]any{"type": "contact", "cid": "k1", "email": "ana.garcia@example.com"})
	if ok := widgetNext(t, ws, func(f map[string]any) bool { return f["type"] == "ok" || f["type"] == "error" }); ok["type"] != "ok" || ok["for"] != "contact" || ok["cid"] != "k1" {
		t.Fatalf("contact: %v", ok)
	}
	ws.WriteJSON(map[string]any{"type": "msg", "cid": "h2", "text": "mi pedido 48213 no llega"})
	widgetNext(t, ws, func(f map[string]any) bool { return f["type"] == "receipt" && f["cid"] == "h2" })
	// Nothing to rate yet.
	ws.WriteJSON(map[string]any{"type": "csat", "cid": "r0", "score": 5})
	if e := widgetNext(t, ws, func(f map[string]any) bool { return f["type"] == "error" || f["type"] == "ok" }); e["code"] != "no_chat" || e["cid"] != "r0" {
		t.Fatalf("early csat: %v", e)
	}
	ws.Close()
	stop()

	// The restart: the chat still waits; the team is still closed.
	natsAddr := freeTCP(t)
	n2, base2, _ := startNode(t, closed, inDir, func(c *config.Config) {
		c.NATS.Listen, c.NATS.Node = natsAddr, "edge-w"
		c.NATS.ListenUser, c.NATS.ListenPassword = "ops", "ops-password"
	})
	ana, _ := dialAgent(t, base2, "ana", "agent", "mx-es")
	// The team opens.
	open := config.Default()
	withAgents(open)
	if err := n2.ReloadRouting(open.Routing); err != nil {
		t.Fatal(err)
	}
	asg := ana.next(func(f agentFrame) bool { return f.Type == "assigned" })
	if asg.Session != w.Session || asg.Customer.Email != "ana.garcia@example.com" || asg.Group != "mx-es" {
		t.Fatalf("assignment %+v", asg)
	}
	var kept bool
	for _, h := range asg.History {
		kept = kept || h.Text == "mi pedido 48213 no llega"
	}
	if !kept || !strings.Contains(strings.Join(asg.Why, "; "), "picked up") {
		t.Fatalf("history %+v, why %v", asg.History, asg.Why)
	}
	// The customer comes back and reads that someone is on it.
	ws2, _ := dialWidget(t, base2, map[string]any{"session": w.Session, "last_seq": 0})
	text, n = systemNotice(t, ws2, "picked_up")
	if n.Agent == nil || n.Agent.ID != "ana" || !strings.Contains(text, "Ana") || !strings.Contains(text, "mensaje") {
		t.Fatalf("picked up: %q %+v", text, n)
	}
	// The agent closes the chat: the customer is told, the bot is back.
	ana.ws.WriteJSON(map[string]any{"type": "close", "cid": "c1", "session": w.Session})
	if a := ana.next(func(f agentFrame) bool { return f.Type == "ack" || f.Type == "error" }); a.Type != "ack" {
		t.Fatalf("close: %+v", a)
	}
	if _, n = systemNotice(t, ws2, "chat_closed"); n.Agent == nil || n.Agent.ID != "ana" || n.Group != "mx-es" {
		t.Fatalf("chat_closed %+v", n)
	}
	if _, answers := ask(t, ws2, "h3", "¿Dónde está mi pedido 48213?", false); answers[0].Intent != "track_order" {
		t.Fatalf("after close: %+v", answers)
	}
	// The rating: stored, counted, synced.
	ws2.WriteJSON(map[string]any{"type": "csat", "cid": "r1", "score": 5, "comment": "¡Muy amable, gracias!"})
	if ok := widgetNext(t, ws2, func(f map[string]any) bool { return f["type"] == "ok" || f["type"] == "error" }); ok["type"] != "ok" || ok["for"] != "csat" {
		t.Fatalf("csat: %v", ok)
	}
	meta, _ := n2.Store().Get(w.Session)
	if meta.LastChat == nil || meta.LastChat.Rating == nil || meta.LastChat.Rating.Score != 5 || meta.LastChat.Agent.ID != "ana" {
		t.Fatalf("stored %+v", meta.LastChat)
	}
	if _, body := get(t, base2+"/metrics"); !strings.Contains(body, `edgedesk_csat_ratings_total{agent="ana",group="mx-es",score="5"} 1`) {
		t.Fatal("rating not counted")
	}
	nc, err := nats.Connect("nats://"+natsAddr, nats.UserInfo("ops", "ops-password"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var st jetstream.Stream
	for st == nil {
		if st, err = js.Stream(ctx, edgesync.Stream); err != nil && ctx.Err() != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{edgesync.SubjectPrefix + "*.*.csat"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := cons.Next(jetstream.FetchMaxWait(10 * time.Second))
	if err != nil {
		t.Fatalf("csat event not synced: %v", err)
	}
	var ev struct {
		Session string
		Score   int
		Group   string
		Agent   struct{ ID string }
	}
	if err := json.Unmarshal(m.Data(), &ev); err != nil || ev.Session != w.Session || ev.Score != 5 || ev.Group != "mx-es" || ev.Agent.ID != "ana" {
		t.Fatalf("csat event %s: %v", m.Data(), err)
	}
}

// TestNoAgentGroupsWaiting: with no agent groups at all the customer is
// told nobody is available and the message is kept, without a time.
func TestNoAgentGroupsWaiting(t *testing.T) {
	n, base, _ := startNode(t)
	ws, w := dialWidget(t, base, map[string]any{"locale": "zh-CN", "tz": "Asia/Shanghai"})
	ws.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "我要转人工客服"})
	text, nt := systemNotice(t, ws, "no_agents")
	if nt.OpensAt != "" || !strings.Contains(text, "您的留言已保存") {
		t.Fatalf("%q %+v", text, nt)
	}
	if meta, _ := n.Store().Get(w.Session); meta.Waiting == nil {
		t.Fatal("not waiting")
	}
}

// TestRouteQueuePositionsResentOnTierJump: a VIP (tier from the widget
// token) goes ahead of a customer already waiting, who is sent the new
// position.
func TestRouteQueuePositionsResentOnTierJump(t *testing.T) {
	const secret = "widget-secret-for-tests-0123456789abcdef"
	_, base, _ := startNode(t, withAgents, func(c *config.Config) {
		c.Auth.WidgetSecret = secret
		c.Routing.Groups[0].Capacity = 1
	})
	dialAgent(t, base, "ana", "agent", "mx-es")
	widget := func(sub, tier string) *websocket.Conn {
		tok, err := auth.Sign(secret, auth.Claims{Subject: sub, Tier: tier}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		ws, _ := dialWidget(t, base, map[string]any{"token": tok, "locale": "es-MX", "tz": "America/Mexico_City"})
		ws.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "quiero hablar con un agente"})
		return ws
	}
	first := widget("c1", "")
	systemNotice(t, first, "agent_joined") // Ana is now full
	waiting := widget("c2", "")
	if q := widgetNext(t, waiting, func(f map[string]any) bool { return f["type"] == "queue" }); q["position"] != 1.0 {
		t.Fatalf("first in line: %v", q)
	}
	vip := widget("c3", "vip")
	if q := widgetNext(t, vip, func(f map[string]any) bool { return f["type"] == "queue" }); q["position"] != 1.0 {
		t.Fatalf("vip: %v", q)
	}
	if q := widgetNext(t, waiting, func(f map[string]any) bool { return f["type"] == "queue" }); q["position"] != 2.0 || q["group"] != "mx-es" {
		t.Fatalf("after the vip went ahead: %v", q)
	}
}
