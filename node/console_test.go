package node

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/edgedesk/edgedesk/config"
)

// consoleFrame is the part of the agent frames the console additions
// carry.
type consoleFrame struct {
	Type     string `json:"type"`
	CID      string `json:"cid"`
	Code     string `json:"code"`
	Session  string `json:"session"`
	Status   string `json:"status"`
	Reason   string `json:"reason"`
	Lang     string `json:"lang"`
	TZ       string `json:"tz"`
	Channel  string `json:"channel"`
	Note     string `json:"note"`
	Why      []string
	Chats    []consoleFrame                 `json:"chats"`
	Entities []struct{ Kind, Value string } `json:"entities"`
	From     *struct{ ID string }           `json:"from_agent"`
	Answers  []struct {
		Intent, Lang, Text string
		Missing            []string
	} `json:"answers"`
	Groups json.RawMessage `json:"groups"` // queues: []queuesGroup; welcome, agents: names
	Agents json.RawMessage `json:"agents"`
}

// queuesGroup is a group of a queues answer.
type queuesGroup struct {
	Name  string
	Queue []struct {
		Session     string
		Since       time.Time
		WaitSeconds int `json:"wait_seconds"`
	}
	Agents []struct {
		ID, Status string
		Load       int
		Chats      []string
	}
}

type consoleConn struct {
	t  *testing.T
	ws *websocket.Conn
	// seen are frames read while looking for another, kept for the next
	// look (an assigned frame comes before the ack of the status frame
	// that made room for it).
	seen []consoleFrame
}

// dialConsole connects an agent with hello's extra fields (status).
func dialConsole(t *testing.T, base, id, role string, hello map[string]any, groups ...string) (*consoleConn, consoleFrame) {
	t.Helper()
	c := &consoleConn{t: t, ws: agentSocket(t, base, id, role, hello, groups...)}
	return c, c.next(func(f consoleFrame) bool { return f.Type == "welcome" || f.Type == "error" })
}

func (c *consoleConn) send(f map[string]any) {
	c.t.Helper()
	if err := c.ws.WriteJSON(f); err != nil {
		c.t.Fatal(err)
	}
}

func (c *consoleConn) next(match func(consoleFrame) bool) consoleFrame {
	c.t.Helper()
	for i, f := range c.seen {
		if match(f) {
			c.seen = append(c.seen[:i:i], c.seen[i+1:]...)
			return f
		}
	}
	c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			c.t.Fatalf("agent read: %v", err)
		}
		var f consoleFrame
		if err := json.Unmarshal(data, &f); err != nil {
			c.t.Fatalf("agent frame %s: %v", data, err)
		}
		if match(f) {
			return f
		}
		c.seen = append(c.seen, f)
	}
}

// reply sends f and returns the ack, answer or error with its cid.
func (c *consoleConn) reply(f map[string]any) consoleFrame {
	c.t.Helper()
	c.send(f)
	return c.next(func(g consoleFrame) bool { return g.CID == f["cid"] && g.Type != "" })
}

func withConsoleAgents(c *config.Config) {
	withAgents(c)
	c.Routing.Groups[0].Capacity = 1 // mx-es: one chat each, so a second customer queues
}

// TestAgentAvailabilityAndRicherAssigned: an away agent gets no new chat
// (the customer is told nobody is available); going online it takes the
// waiting chat, whose assigned frame carries the customer's zone, the
// channel the session records ("web": the widget) and the entities of
// their messages; canned answers come in the
// customer's language with the order number filled in.
func TestAgentAvailabilityAndRicherAssigned(t *testing.T) {
	_, base, _ := startNode(t, withConsoleAgents)
	ana, w := dialConsole(t, base, "ana", "agent", map[string]any{"status": "away"}, "mx-es")
	if w.Type != "welcome" || w.Status != "away" {
		t.Fatalf("welcome %+v", w)
	}
	if _, e := dialConsole(t, base, "x", "agent", map[string]any{"status": "busy"}, "mx-es"); e.Code != "bad_frame" {
		t.Fatalf("hello with status busy: %+v", e)
	}

	es, wes := dialWidget(t, base, map[string]any{"locale": "es-MX", "tz": "America/Mexico_City"})
	if _, answers := ask(t, es, "h1", "¿Dónde está mi pedido #48213?", false); !strings.Contains(answers[0].Text, "48213") {
		t.Fatalf("bot: %+v", answers)
	}
	es.WriteJSON(map[string]any{"type": "msg", "cid": "h2", "text": "quiero hablar con un agente, mi correo es lu@example.com"})
	// Ana is away: nobody takes it, the customer is told so.
	widgetNext(t, es, func(f map[string]any) bool {
		n, _ := f["notice"].(map[string]any)
		return n != nil && n["kind"] == "no_agents"
	})

	if a := ana.reply(map[string]any{"type": "status", "cid": "s0", "status": "lunch"}); a.Type != "error" || a.Code != "bad_frame" {
		t.Fatalf("status lunch: %+v", a)
	}
	if a := ana.reply(map[string]any{"type": "status", "cid": "s1", "status": "online"}); a.Type != "ack" {
		t.Fatalf("status online: %+v", a)
	}
	asg := ana.next(func(f consoleFrame) bool { return f.Type == "assigned" })
	if asg.Session != wes.Session || asg.TZ != "America/Mexico_City" || asg.Channel != "web" || asg.Lang != "es" || len(asg.Why) == 0 {
		t.Fatalf("assigned %+v", asg)
	}
	got := map[string]string{}
	for _, e := range asg.Entities {
		got[e.Kind] = e.Value
	}
	if !strings.Contains(got["order_number"], "48213") || got["email"] != "lu@example.com" {
		t.Fatalf("entities %+v", asg.Entities)
	}

	can := ana.reply(map[string]any{"type": "canned", "cid": "k1", "session": wes.Session, "q": "pedido"})
	if can.Type != "canned" || can.Lang != "es" || len(can.Answers) == 0 {
		t.Fatalf("canned %+v", can)
	}
	var track bool
	for _, a := range can.Answers {
		if strings.HasPrefix(a.Intent, "_") {
			t.Fatalf("routing text offered as canned: %+v", a)
		}
		if a.Intent == "track_order" {
			track = a.Lang == "es" && strings.Contains(a.Text, "Pedido #48213") && len(a.Missing) == 0
		}
	}
	if !track {
		t.Fatalf("track_order not in Spanish with the order number: %+v", can.Answers)
	}
	if e := ana.reply(map[string]any{"type": "canned", "cid": "k2", "session": "nope"}); e.Code != "not_your_chat" {
		t.Fatalf("canned of another chat: %+v", e)
	}

	// Away again: she keeps the chat and may answer.
	if a := ana.reply(map[string]any{"type": "status", "cid": "s2", "status": "away"}); a.Type != "ack" {
		t.Fatalf("status away: %+v", a)
	}
	ana.send(map[string]any{"type": "msg", "cid": "r1", "session": wes.Session, "text": "Hola, lo reviso"})
	if r := ana.next(func(f consoleFrame) bool { return f.CID == "r1" && f.Type != "msg" }); r.Type != "receipt" {
		t.Fatalf("away agent's reply: %+v", r)
	}
}

// TestTransferNoteAndSupervisorReassign: a transfer's note reaches the
// next agent only; supervisors see statuses, loads and waiting times, and
// move chats that are not theirs; agents may not.
func TestTransferNoteAndSupervisorReassign(t *testing.T) {
	n, base, _ := startNode(t, withConsoleAgents)
	ana, _ := dialConsole(t, base, "ana", "agent", nil, "mx-es")
	es, wes := dialWidget(t, base, map[string]any{"locale": "es-MX", "tz": "America/Mexico_City"})
	es.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "quiero hablar con un agente"})
	ana.next(func(f consoleFrame) bool { return f.Type == "assigned" && f.Session == wes.Session })

	// A second customer queues behind Ana's full room.
	es2, wes2 := dialWidget(t, base, map[string]any{"locale": "es-MX", "tz": "America/Mexico_City"})
	es2.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "quiero hablar con un agente"})
	widgetNext(t, es2, func(f map[string]any) bool { return f["type"] == "queue" })

	bo, _ := dialConsole(t, base, "bo", "agent", map[string]any{"status": "away"}, "mx-es")
	sue, _ := dialConsole(t, base, "sue", "supervisor", nil)
	var groups []queuesGroup
	if err := json.Unmarshal(sue.reply(map[string]any{"type": "queues", "cid": "q1"}).Groups, &groups); err != nil {
		t.Fatal(err)
	}
	mx := -1
	for i, g := range groups {
		if g.Name == "mx-es" {
			mx = i
		}
	}
	if mx < 0 || len(groups[mx].Queue) != 1 || groups[mx].Queue[0].Session != wes2.Session || groups[mx].Queue[0].Since.IsZero() {
		t.Fatalf("queues %+v", groups)
	}
	status := map[string]string{}
	for _, a := range groups[mx].Agents {
		status[a.ID] = a.Status
		if a.ID == "ana" && (a.Load != 1 || len(a.Chats) != 1 || a.Chats[0] != wes.Session) {
			t.Fatalf("ana in queues %+v", a)
		}
	}
	if status["ana"] != "online" || status["bo"] != "away" {
		t.Fatalf("statuses %v", status)
	}

	// Bo, away, cannot be given a chat; online he takes the queued one.
	long := strings.Repeat("n", 1001)
	if e := ana.reply(map[string]any{"type": "transfer", "cid": "t0", "session": wes.Session, "agent": "bo", "note": long}); e.Code != "bad_frame" {
		t.Fatalf("long note: %+v", e)
	}
	if e := ana.reply(map[string]any{"type": "transfer", "cid": "t1", "session": wes.Session, "agent": "bo"}); e.Code != "no_agent" {
		t.Fatalf("transfer to an away agent: %+v", e)
	}
	if a := bo.reply(map[string]any{"type": "status", "cid": "s1", "status": "online"}); a.Type != "ack" {
		t.Fatalf("bo online: %+v", a)
	}
	if a := bo.next(func(f consoleFrame) bool { return f.Type == "assigned" }); a.Session != wes2.Session {
		t.Fatalf("bo took %+v", a)
	}

	// Ana picks a transfer's target from her colleagues and the groups.
	roster := ana.reply(map[string]any{"type": "agents", "cid": "g1"})
	if roster.Type != "agents" || !strings.Contains(string(roster.Agents), `{"id":"bo","name":"Bo","status":"online","groups":["mx-es"],"load":1}`) ||
		!strings.Contains(string(roster.Groups), `"uk-en"`) {
		t.Fatalf("agents: %s %s", roster.Agents, roster.Groups)
	}

	// Bo may not move Ana's chat; Sue may, with a note.
	if e := bo.reply(map[string]any{"type": "transfer", "cid": "t2", "session": wes.Session, "group": "uk-en"}); e.Code != "not_your_chat" {
		t.Fatalf("agent moving another's chat: %+v", e)
	}
	cy, _ := dialConsole(t, base, "cy", "agent", nil, "uk-en")
	const note = "VIP: wants a refund, already checked the order"
	if a := sue.reply(map[string]any{"type": "transfer", "cid": "t3", "session": wes.Session, "agent": "cy", "note": note}); a.Type != "ack" {
		t.Fatalf("reassign: %+v", a)
	}
	if u := ana.next(func(f consoleFrame) bool { return f.Type == "unassigned" }); u.Session != wes.Session || u.Reason != "transferred" {
		t.Fatalf("ana: %+v", u)
	}
	got := cy.next(func(f consoleFrame) bool { return f.Type == "assigned" })
	if got.Session != wes.Session || got.Note != note || got.From == nil || got.From.ID != "sue" || !strings.Contains(strings.Join(got.Why, " "), "reassigned by supervisor sue from agent ana") {
		t.Fatalf("cy's assignment %+v", got)
	}
	// The note is never the customer's: no message of the session has it.
	msgs, err := n.Store().Messages(wes.Session, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if strings.Contains(m.Text, "refund") {
			t.Fatalf("note in the conversation: %+v", m)
		}
	}
	// Cy reconnects within the grace period: the note is still there.
	cy.ws.Close()
	_, w := dialConsole(t, base, "cy", "agent", nil, "uk-en")
	var kept bool
	for _, c := range w.Chats {
		kept = kept || (c.Session == wes.Session && c.Note == note)
	}
	if !kept {
		t.Fatalf("welcome after reconnect lost the note: %+v", w)
	}
}
