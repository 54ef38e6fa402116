package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/agentws"
	"github.com/edgedesk/edgedesk/node/auth"
)

func allWeek() map[string][]string {
	m := map[string][]string{}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		m[d] = []string{"00:00-24:00"}
	}
	return m
}

func withAgents(c *config.Config) {
	c.Auth.StaffSecret = testStaffSecret
	c.Routing.AgentGrace = 300 * time.Millisecond
	c.Routing.Groups = []config.AgentGroup{
		{Name: "mx-es", Region: "amer", Languages: []string{"es"}, TZ: "America/Mexico_City", Hours: allWeek(), Capacity: 2},
		{Name: "uk-en", Region: "emea", Languages: []string{"en"}, TZ: "Europe/London", Hours: allWeek(), Capacity: 2},
	}
}

// agentFrame is any frame the agent endpoint sends.
type agentFrame struct {
	Type     string          `json:"type"`
	Session  string          `json:"session"`
	Seq      uint64          `json:"seq"`
	From     string          `json:"from"`
	Text     string          `json:"text"`
	CID      string          `json:"cid"`
	Lang     string          `json:"lang"`
	Group    string          `json:"group"`
	Why      []string        `json:"why"`
	History  []agentFrame    `json:"history"`
	Chats    []agentFrame    `json:"chats"`
	Code     string          `json:"code"`
	Reason   string          `json:"reason"`
	Groups   json.RawMessage `json:"groups"`
	Customer struct{ ID, Email string }
}

type agentConn struct {
	t  *testing.T
	ws *websocket.Conn
	// within bounds each next (default 10 s): a test across nodes, whose
	// frames cross a core, may allow longer.
	within time.Duration
}

// agentSocket signs a staff token for id, connects to the agent endpoint
// and sends hello with the token and extra's fields (status, …).
func agentSocket(t *testing.T, base, id, role string, extra map[string]any, groups ...string) *websocket.Conn {
	t.Helper()
	tok, err := auth.Sign(testStaffSecret, auth.Claims{Subject: id, Name: strings.ToUpper(id[:1]) + id[1:], Role: role, Groups: groups}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(base, "http", "ws", 1)+"/v1/agent/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	hello := map[string]any{"type": "hello", "v": 1, "token": tok}
	for k, v := range extra {
		hello[k] = v
	}
	if err := ws.WriteJSON(hello); err != nil {
		t.Fatal(err)
	}
	return ws
}

func dialAgent(t *testing.T, base, id, role string, groups ...string) (*agentConn, agentFrame) {
	t.Helper()
	a := &agentConn{t: t, ws: agentSocket(t, base, id, role, nil, groups...)}
	w := a.next(func(f agentFrame) bool { return f.Type == "welcome" || f.Type == "error" })
	if w.Type != "welcome" {
		t.Fatalf("agent %s: %+v", id, w)
	}
	return a, w
}

// next reads frames until match accepts one.
func (a *agentConn) next(match func(agentFrame) bool) agentFrame {
	a.t.Helper()
	within := a.within
	if within == 0 {
		within = 10 * time.Second
	}
	a.ws.SetReadDeadline(time.Now().Add(within))
	for {
		var f agentFrame
		if err := a.ws.ReadJSON(&f); err != nil {
			a.t.Fatalf("agent read: %v", err)
		}
		if match(f) {
			return f
		}
	}
}

// widgetNext reads widget frames until match accepts one.
func widgetNext(t *testing.T, ws *websocket.Conn, match func(map[string]any) bool) map[string]any {
	t.Helper()
	return widgetNextWithin(t, ws, 10*time.Second, match)
}

// widgetNextWithin is widgetNext with a deadline of its own for all the
// frames it reads.
func widgetNextWithin(t *testing.T, ws *websocket.Conn, within time.Duration, match func(map[string]any) bool) map[string]any {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(within))
	for {
		var f map[string]any
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("widget read: %v", err)
		}
		if match(f) {
			return f
		}
	}
}

func TestCustomersReachOpenGroupsAndAgents(t *testing.T) {
	n, base, _ := startNode(t, withAgents)
	ana, _ := dialAgent(t, base, "ana", "agent", "mx-es")
	cy, _ := dialAgent(t, base, "cy", "agent", "uk-en")

	// A Spanish customer in Mexico City and an English one in London ask
	// for a person at the same moment.
	es, wes := dialWidget(t, base, map[string]any{"locale": "es-MX", "tz": "America/Mexico_City"})
	en, wen := dialWidget(t, base, map[string]any{"locale": "en-GB", "tz": "Europe/London"})
	var wg sync.WaitGroup
	for _, c := range []struct {
		ws   *websocket.Conn
		text string
	}{{es, "quiero hablar con un agente"}, {en, "I want to talk to a real person"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.ws.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": c.text})
		}()
	}
	wg.Wait()

	asg := ana.next(func(f agentFrame) bool { return f.Type == "assigned" })
	if asg.Session != wes.Session || asg.Lang != "es" || asg.Group != "mx-es" || len(asg.History) < 2 || len(asg.Why) == 0 {
		t.Fatalf("ana's assignment %+v", asg)
	}
	asgEn := cy.next(func(f agentFrame) bool { return f.Type == "assigned" })
	if asgEn.Session != wen.Session || asgEn.Lang != "en" || asgEn.Group != "uk-en" {
		t.Fatalf("cy's assignment %+v", asgEn)
	}
	// The customer is told who joined, in Spanish.
	joined := widgetNext(t, es, func(f map[string]any) bool { return f["type"] == "msg" && f["from"] == "system" })
	if !strings.Contains(joined["text"].(string), "Ana") || joined["lang"] != "es" {
		t.Fatalf("joined notice %v", joined)
	}

	// The agent answers; the customer sees it from the agent.
	ana.ws.WriteJSON(map[string]any{"type": "msg", "cid": "a1", "session": wes.Session, "text": "¡Hola! Soy Ana, ¿en qué te ayudo?"})
	rc := ana.next(func(f agentFrame) bool { return f.Type == "receipt" || f.Type == "error" })
	if rc.Type != "receipt" || rc.Seq == 0 {
		t.Fatalf("agent receipt %+v", rc)
	}
	got := widgetNext(t, es, func(f map[string]any) bool { return f["type"] == "msg" && f["from"] == "agent" })
	if got["text"] != "¡Hola! Soy Ana, ¿en qué te ayudo?" || uint64(got["seq"].(float64)) != rc.Seq {
		t.Fatalf("customer got %v", got)
	}
	if ag, _ := got["agent"].(map[string]any); ag["name"] != "Ana" {
		t.Fatalf("agent ref %v", got["agent"])
	}
	// The customer's reply reaches the agent; the bot stays out of it.
	es.WriteJSON(map[string]any{"type": "msg", "cid": "h2", "text": "mi pedido 48213 no llega"})
	if m := ana.next(func(f agentFrame) bool { return f.Type == "msg" && f.From == "customer" }); m.Text != "mi pedido 48213 no llega" {
		t.Fatalf("agent got %+v", m)
	}
	// Not hers: refused.
	ana.ws.WriteJSON(map[string]any{"type": "msg", "cid": "a2", "session": wen.Session, "text": "hi"})
	if e := ana.next(func(f agentFrame) bool { return f.Type == "error" }); e.Code != "not_your_chat" || e.CID != "a2" {
		t.Fatalf("foreign chat: %+v", e)
	}

	// Why it went there is stored with the session.
	meta, _ := n.Store().Get(wes.Session)
	if !strings.Contains(string(meta.Route), `"group":"mx-es"`) || !strings.Contains(string(meta.Route), "language es") {
		t.Fatalf("route %s", meta.Route)
	}

	// Ana's connection drops; after the grace period her chat goes to Bo,
	// with the history.
	ana.ws.Close()
	bo, _ := dialAgent(t, base, "bo", "agent", "mx-es")
	re := bo.next(func(f agentFrame) bool { return f.Type == "assigned" })
	if re.Session != wes.Session {
		t.Fatalf("bo got %+v", re)
	}
	var sawAna bool
	for _, h := range re.History {
		sawAna = sawAna || h.From == "agent"
	}
	if !sawAna {
		t.Fatal("requeued chat without the earlier agent's message")
	}

	// A supervisor sees the queues; an agent may not.
	sup, _ := dialAgent(t, base, "sue", "supervisor")
	sup.ws.WriteJSON(map[string]any{"type": "queues", "cid": "q1"})
	if q := sup.next(func(f agentFrame) bool { return f.Type == "queues" }); !strings.Contains(string(q.Groups), `"bo"`) {
		t.Fatalf("queues %s", q.Groups)
	}
	bo.ws.WriteJSON(map[string]any{"type": "queues", "cid": "q2"})
	if e := bo.next(func(f agentFrame) bool { return f.Type == "error" }); e.Code != "forbidden" {
		t.Fatalf("agent queues: %+v", e)
	}

	// Bo closes the chat: the bot answers the customer again.
	bo.ws.WriteJSON(map[string]any{"type": "close", "cid": "c1", "session": wes.Session})
	if a := bo.next(func(f agentFrame) bool { return f.Type == "ack" || f.Type == "error" }); a.Type != "ack" {
		t.Fatalf("close: %+v", a)
	}
	if _, answers := ask(t, es, "h3", "¿Dónde está mi pedido 48213?", false); answers[0].Intent != "track_order" {
		t.Fatalf("after close: %+v", answers)
	}
}

func TestAgentEndpointAuth(t *testing.T) {
	_, base, _ := startNode(t, withAgents)
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(base, "http", "ws", 1)+"/v1/agent/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.WriteJSON(map[string]any{"type": "hello", "v": 1, "token": "forged"})
	var f agentFrame
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := ws.ReadJSON(&f); err != nil || f.Code != "unauthorized" {
		t.Fatalf("forged token: %+v %v", f, err)
	}
	// Without a staff secret the endpoint is on, with the key the node
	// generated into its data directory (what sign-in signs with).
	n2, base2, _ := startNode(t, withAgents, func(c *config.Config) { c.Auth.StaffSecret = "" })
	tok, err := auth.Sign(nodeKey(t, n2), auth.Claims{Subject: "ana", Name: "Ana", Role: "agent", Groups: []string{"mx-es"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ws2, _, err := websocket.DefaultDialer.Dial(strings.Replace(base2, "http", "ws", 1)+"/v1/agent/ws", http.Header{"Authorization": {"Bearer " + tok}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws2.Close()
	ws2.WriteJSON(map[string]any{"type": "hello", "v": 1})
	ws2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := ws2.ReadJSON(&f); err != nil || f.Type != "welcome" {
		t.Fatalf("generated key: %+v %v", f, err)
	}
}

func TestTrustedHeadersFillHello(t *testing.T) {
	n, base, _ := startNode(t, func(c *config.Config) { c.Routing.TrustHeaders = []string{"accept-language", "cloudfront"} })
	h := http.Header{}
	h.Set("Accept-Language", "es;q=0.9, en;q=0.5")
	h.Set("CloudFront-Viewer-Country", "MX")
	h.Set("CloudFront-Viewer-Time-Zone", "America/Mexico_City")
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(base, "http", "ws", 1)+"/v1/ws", h)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.WriteJSON(map[string]any{"type": "hello", "v": 1})
	var w struct{ Session string }
	if err := ws.ReadJSON(&w); err != nil {
		t.Fatal(err)
	}
	meta, _ := n.Store().Get(w.Session)
	if meta.Locale != "es-MX" || meta.TZ != "America/Mexico_City" {
		t.Fatalf("locale %q tz %q", meta.Locale, meta.TZ)
	}
}

// TestAgentFrameRules: the agent endpoint holds its frames to the widget's
// rules — a cid of 1–128 safe characters or no echo at all, errors in the
// node's words with the frame's cid, session_full for a full session, a
// rate limit — and stores nothing a refused frame carried.
func TestAgentFrameRules(t *testing.T) {
	n, base, _ := startNode(t, withAgents, func(c *config.Config) {
		c.Store.MaxSessionMessages = 12
		c.Gateway.AgentRateLimit, c.Gateway.AgentRateBurst = 0.5, 25
	})
	// A frame before hello: bad_frame with its cid.
	early, _, err := websocket.DefaultDialer.Dial(strings.Replace(base, "http", "ws", 1)+"/v1/agent/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()
	early.WriteJSON(map[string]any{"type": "msg", "cid": "early", "session": "s_x", "text": "hi"})
	if f := (&agentConn{t: t, ws: early}).next(func(f agentFrame) bool { return f.Type == "error" }); f.Code != "bad_frame" || f.CID != "early" {
		t.Fatalf("frame before hello: %+v", f)
	}

	ana, _ := dialAgent(t, base, "ana", "agent", "mx-es")
	es, wes := dialWidget(t, base, map[string]any{"locale": "es-MX", "tz": "America/Mexico_City"})
	es.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "quiero hablar con un agente"})
	ana.next(func(f agentFrame) bool { return f.Type == "assigned" })
	errorOf := func(frame any) agentFrame {
		t.Helper()
		if s, ok := frame.(string); ok {
			ana.ws.WriteMessage(websocket.TextMessage, []byte(s))
		} else {
			ana.ws.WriteJSON(frame)
		}
		return ana.next(func(f agentFrame) bool { return f.Type == "error" || f.Type == "receipt" || f.Type == "ack" })
	}
	before, _ := n.Store().Get(wes.Session)
	for name, cid := range map[string]string{
		"12,000-byte cid": strings.Repeat("c", 12000),
		"bidi cid":        "m\u202e1",
		"129-byte cid":    strings.Repeat("c", 129),
		"space in cid":    "a b",
	} {
		if f := errorOf(map[string]any{"type": "msg", "cid": cid, "session": wes.Session, "text": "hola"}); f.Type != "error" || f.Code != "bad_frame" || f.CID != "" {
			t.Fatalf("msg with %s: %+v", name, f)
		}
	}
	if f := errorOf(map[string]any{"type": "heartbeat", "cid": strings.Repeat("h", 15<<10)}); f.Type != "error" || f.Code != "bad_frame" || f.CID != "" {
		t.Fatalf("heartbeat with a 15 KiB cid: %+v", f)
	}
	if after, _ := n.Store().Get(wes.Session); after.LastSeq != before.LastSeq {
		t.Fatalf("refused frames stored messages: seq %d → %d", before.LastSeq, after.LastSeq)
	}
	// A field of the wrong type: the node's words, naming the field.
	f := errorOf(`{"type":"msg","cid":"w1","session":"` + wes.Session + `","text":42}`)
	if f.Type != "error" || f.Code != "bad_frame" || f.CID != "w1" {
		t.Fatalf("wrong type: %+v", f)
	}
	var raw map[string]any
	ana.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"status","cid":"w2","status":true}`))
	ana.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := ana.ws.ReadJSON(&raw); err != nil || raw["message"] != "field status must be a string" || raw["cid"] != "w2" {
		t.Fatalf("wrong type message: %v %v", raw, err)
	}

	// Replies fill the session: session_full, as the widget is told.
	full := agentFrame{}
	for i := 0; i < 12; i++ {
		full = errorOf(map[string]any{"type": "msg", "cid": fmt.Sprintf("r%d", i), "session": wes.Session, "text": "respuesta"})
		if full.Type == "error" {
			break
		}
	}
	if full.Code != "session_full" || !strings.HasPrefix(full.CID, "r") {
		t.Fatalf("reply into a full session: %+v", full)
	}

	// The rate limit: past the burst, rate_limited with the frame's cid;
	// an agent that keeps on is closed with 1008.
	limited := false
	for i := 0; i < 40 && !limited; i++ {
		f := errorOf(map[string]any{"type": "status", "cid": fmt.Sprintf("s%d", i), "status": "online"})
		if f.Type == "error" {
			if f.Code != "rate_limited" || f.CID != fmt.Sprintf("s%d", i) {
				t.Fatalf("past the rate: %+v", f)
			}
			limited = true
		}
	}
	if !limited {
		t.Fatal("40 frames at once past a burst of 25: none refused")
	}
	for i := 0; i < agentws.MaxRefusedRun+5; i++ {
		if ana.ws.WriteJSON(map[string]any{"type": "agents", "cid": "flood"}) != nil {
			break
		}
	}
	ana.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := ana.ws.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
			t.Fatalf("a flooding agent: connection ended with %v, want 1008", err)
		}
		break
	}
}
