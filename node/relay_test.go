package node

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/routing"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// TestCrossRegionChat: a Spanish customer is connected to node A, whose
// only team speaks English; node B's Spanish team has an agent online.
// Routing on A sees B's team in the presence bucket and hands the chat
// to B; B's agent gets it with the history, and the conversation runs
// through A with A's seqs: the agent's reply is stored at A before the
// agent's receipt, the customer's next message reaches the agent, and the
// agent's close gives the customer back to A's bot.
func TestCrossRegionChat(t *testing.T) {
	addr := freeTCP(t)
	core, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: filepath.Join(t.TempDir(), "core"), Listen: addr, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Shutdown()
	a, baseA, _ := startNode(t, func(c *config.Config) {
		c.NATS.URL, c.NATS.Node = "nats://"+addr, "edge-a"
		withAgents(c)
		c.Routing.FallbackLanguage = ""
		c.Routing.Groups = c.Routing.Groups[1:] // uk-en only
	})
	b, baseB, _ := startNode(t, func(c *config.Config) {
		c.NATS.URL, c.NATS.Node = "nats://"+addr, "edge-b"
		withAgents(c)
		c.Routing.Groups = c.Routing.Groups[:1] // mx-es only
	})
	ana, _ := dialAgent(t, baseB, "ana", "agent", "mx-es")
	waitFor(t, "A to see B's Spanish agent", func() bool {
		r := a.relayPtr.Load()
		for _, g := range r.Groups() {
			if g.Node == "edge-b" && g.Name == "mx-es" && g.Free > 0 {
				return true
			}
		}
		return false
	})

	es, wes := dialWidget(t, baseA, map[string]any{"locale": "es-MX", "tz": "America/Mexico_City"})
	es.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "quiero hablar con un agente"})
	asg := ana.next(func(f agentFrame) bool { return f.Type == "assigned" })
	if asg.Session != wes.Session || asg.Lang != "es" || len(asg.History) < 2 {
		t.Fatalf("ana's assignment %+v", asg)
	}
	// A recorded why the chat left, then B's own decision.
	metaA, _ := a.Store().Get(wes.Session)
	if !strings.Contains(string(metaA.Route), `"group":"mx-es"`) {
		t.Fatalf("A's route %s", metaA.Route)
	}
	// Both stay in the session's decisions at A: relayed to B, then
	// assigned to ana there.
	if h := metaA.History(); len(h) != 2 || !strings.Contains(string(h[0]), `"outcome":"relayed"`) || !strings.Contains(string(h[0]), `"node":"edge-b"`) ||
		!strings.Contains(string(h[1]), `"agent":"ana"`) || !strings.Contains(string(h[1]), `"node":"edge-b"`) {
		t.Fatalf("A's decisions %s", h)
	}
	// The customer, on A, is told who joined (B's notice, stored at A).
	joined := widgetNext(t, es, func(f map[string]any) bool { return f["type"] == "msg" && f["from"] == "system" })
	if !strings.Contains(joined["text"].(string), "Ana") {
		t.Fatalf("joined notice %v", joined)
	}

	// The agent answers from B: durable at A (A's seq) before the receipt.
	ana.ws.WriteJSON(map[string]any{"type": "msg", "cid": "a1", "session": wes.Session, "text": "¡Hola! Soy Ana."})
	rc := ana.next(func(f agentFrame) bool { return f.Type == "receipt" || f.Type == "error" })
	if rc.Type != "receipt" || rc.Seq == 0 {
		t.Fatalf("agent receipt %+v", rc)
	}
	if msgs, _ := a.Store().Messages(wes.Session, rc.Seq-1, 1); len(msgs) != 1 || msgs[0].Text != "¡Hola! Soy Ana." {
		t.Fatalf("A holds %+v at seq %d", msgs, rc.Seq)
	}
	got := widgetNext(t, es, func(f map[string]any) bool { return f["type"] == "msg" && f["from"] == "agent" })
	if got["text"] != "¡Hola! Soy Ana." || uint64(got["seq"].(float64)) != rc.Seq {
		t.Fatalf("customer got %v (receipt seq %d)", got, rc.Seq)
	}
	// A retried reply (same cid) is stored once.
	ana.ws.WriteJSON(map[string]any{"type": "msg", "cid": "a1", "session": wes.Session, "text": "¡Hola! Soy Ana."})
	if rc2 := ana.next(func(f agentFrame) bool { return f.Type == "receipt" || f.Type == "error" }); rc2.Seq != rc.Seq {
		t.Fatalf("retried reply: %+v, first seq %d", rc2, rc.Seq)
	}

	// The customer's next message, stored at A, reaches the agent at B.
	es.WriteJSON(map[string]any{"type": "msg", "cid": "h2", "text": "mi pedido 48213 no llega"})
	m := ana.next(func(f agentFrame) bool { return f.Type == "msg" && f.From == "customer" })
	if m.Text != "mi pedido 48213 no llega" || m.Seq != rc.Seq+1 {
		t.Fatalf("agent got %+v", m)
	}
	// B's mirror has the same history, seq for seq.
	waitFor(t, "B's mirror to catch up", func() bool {
		mb, _ := b.Store().Get(wes.Session)
		return mb.LastSeq == m.Seq
	})
	ha, _ := a.Store().Messages(wes.Session, 0, 0)
	hb, _ := b.Store().Messages(wes.Session, 0, 0)
	if len(ha) != len(hb) {
		t.Fatalf("A has %d messages, B %d", len(ha), len(hb))
	}
	for i := range ha {
		if ha[i].Seq != hb[i].Seq || ha[i].Text != hb[i].Text {
			t.Fatalf("message %d: A %+v, B %+v", i, ha[i], hb[i])
		}
	}
	// Only A syncs the session to the core: B's mirror is not in B's
	// outbox.
	if mb, _ := b.Store().Get(wes.Session); mb.Origin != "edge-a" {
		t.Fatalf("B's mirror origin %q", mb.Origin)
	}
	if d := b.Store().OutboxDepth(); d != 0 {
		t.Fatalf("B's outbox holds %d events", d)
	}
	// A request from a node the chat was not handed to is refused.
	nc, err := nats.Connect("nats://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c := edgesync.NewRelay(nc, "edge-c", nil)
	if _, err := c.Request(t.Context(), "edge-a", "post", []byte(`{"session":"`+wes.Session+`","from":"agent","text":"x"}`)); err == nil {
		t.Fatal("edge-a took a post from a node the chat is not handed to")
	}

	// The agent closes: A's bot answers the customer again.
	ana.ws.WriteJSON(map[string]any{"type": "close", "cid": "c1", "session": wes.Session})
	if f := ana.next(func(f agentFrame) bool { return f.Type == "ack" || f.Type == "error" }); f.Type != "ack" {
		t.Fatalf("close: %+v", f)
	}
	if _, answers := ask(t, es, "h3", "¿Dónde está mi pedido 48213?", false); answers[0].Intent != "track_order" {
		t.Fatalf("after close: %+v", answers)
	}

	// With B's agent gone, A routes Spanish chats among its own groups.
	ana.ws.Close()
	waitFor(t, "B's presence without agents", func() bool {
		for _, g := range a.relayPtr.Load().Groups() {
			if g.Node == "edge-b" && g.Online == 0 {
				return true
			}
		}
		return false
	})
	es2, wes2 := dialWidget(t, baseA, map[string]any{"locale": "es-MX"})
	es2.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "quiero hablar con un agente"})
	widgetNext(t, es2, func(f map[string]any) bool { return f["type"] == "msg" && f["from"] == "system" })
	meta2, _ := a.Store().Get(wes2.Session)
	var d routing.Decision
	if json.Unmarshal(meta2.Route, &d) != nil || d.Outcome == routing.Relayed {
		t.Fatalf("without agents at B: %s", meta2.Route)
	}
}

// TestCrossRegionLeaf: the same across two leaf nodes of one core (each
// with its own JetStream domain; presence in the core's domain).
func TestCrossRegionLeaf(t *testing.T) {
	clientAddr, leafAddr := freeTCP(t), freeTCP(t)
	core, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: filepath.Join(t.TempDir(), "core"), Listen: clientAddr, LeafListen: leafAddr, SyncAlways: true, Domain: "core"})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Shutdown()
	leaf := func(name string, groups func([]config.AgentGroup) []config.AgentGroup) func(*config.Config) {
		return func(c *config.Config) {
			c.NATS.Leaf, c.NATS.Node, c.NATS.CoreDomain = "nats-leaf://"+leafAddr, name, "core"
			withAgents(c)
			c.Routing.FallbackLanguage = ""
			c.Routing.Groups = groups(c.Routing.Groups)
		}
	}
	a, baseA, _ := startNode(t, leaf("leaf-a", func(g []config.AgentGroup) []config.AgentGroup { return g[1:] }))
	_, baseB, _ := startNode(t, leaf("leaf-b", func(g []config.AgentGroup) []config.AgentGroup { return g[:1] }))
	ana, _ := dialAgent(t, baseB, "ana", "agent", "mx-es")
	waitFor(t, "A to see B's Spanish agent through the core", func() bool {
		for _, g := range a.relayPtr.Load().Groups() {
			if g.Node == "leaf-b" && g.Free > 0 {
				return true
			}
		}
		return false
	})
	es, wes := dialWidget(t, baseA, map[string]any{"locale": "es-MX"})
	es.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "quiero hablar con un agente"})
	// A decides at once: a decision that keeps the chat at A (its only
	// group is uk-en) fails now, not after the waits below. (The route
	// A records is its hand-over to leaf-b's mx-es, then B's decision.)
	var d routing.Decision
	waitFor(t, "A's routing decision", func() bool {
		m, _ := a.Store().Get(wes.Session)
		return json.Unmarshal(m.Route, &d) == nil && d.Outcome != ""
	})
	if d.Group != "mx-es" {
		t.Fatalf("A decided %+v, want the chat handed to leaf-b's mx-es", d)
	}
	// Each frame below crosses the core, twice over leaf links: on a
	// loaded machine that takes longer than a local frame's 10 s. A lost
	// hand-over or reply still fails, after a minute.
	ana.within = time.Minute
	if asg := ana.next(func(f agentFrame) bool { return f.Type == "assigned" }); asg.Session != wes.Session {
		t.Fatalf("ana's assignment %+v", asg)
	}
	ana.ws.WriteJSON(map[string]any{"type": "msg", "cid": "a1", "session": wes.Session, "text": "Hola, soy Ana."})
	rc := ana.next(func(f agentFrame) bool { return f.Type == "receipt" || f.Type == "error" })
	got := widgetNextWithin(t, es, time.Minute, func(f map[string]any) bool { return f["type"] == "msg" && f["from"] == "agent" })
	if rc.Type != "receipt" || uint64(got["seq"].(float64)) != rc.Seq {
		t.Fatalf("receipt %+v, customer got %v", rc, got)
	}
}
