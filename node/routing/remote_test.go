package routing

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/node/convo"
	"github.com/edgedesk/edgedesk/node/session"
)

// fakeRemote is another node's published groups, and the handoffs it got.
type fakeRemote struct {
	mu      sync.Mutex
	groups  []GroupPresence
	fail    error
	handoff chan Handoff
}

func (f *fakeRemote) Groups() []GroupPresence { f.mu.Lock(); defer f.mu.Unlock(); return f.groups }
func (f *fakeRemote) Handoff(node string, h Handoff) error {
	f.handoff <- h
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fail
}

func TestRemoteGroups(t *testing.T) {
	// Saturday noon in Mexico City: mx-es is closed; only the weekend
	// refunds team (English) is open here.
	clk := newClock(time.Date(2026, 11, 21, 18, 0, 0, 0, time.UTC))
	r, st := newRouter(t, testRouting(), clk)
	rm := &fakeRemote{handoff: make(chan Handoff, 4), groups: []GroupPresence{
		{Node: "eu", Name: "es-es", Languages: []string{"es-ES"}, Open: true, Online: 1, Free: 0}, // full
		{Node: "eu", Name: "fr", Languages: []string{"fr"}, Open: true, Online: 1, Free: 2},       // other language
		{Node: "sa", Name: "ar-es", Languages: []string{"es-AR"}, Region: "americas", Open: true, Online: 2, Free: 3},
		{Node: "ap", Name: "ph-es", Languages: []string{"es"}, Open: false, Online: 1, Free: 1}, // closed
	}}
	r.SetRemote(rm)
	id := escalate(t, r, st, "es-MX", "quiero hablar con alguien")
	var h Handoff
	select {
	case h = <-rm.handoff:
	case <-time.After(5 * time.Second):
		t.Fatal("no handoff")
	}
	if h.Escalation.Session != id || h.Group != "ar-es" {
		t.Fatalf("handoff %+v", h)
	}
	meta, _ := st.Get(id)
	var d Decision
	if json.Unmarshal(meta.Route, &d) != nil || d.Outcome != Relayed || d.Node != "sa" || d.Group != "ar-es" {
		t.Fatalf("decision %s", meta.Route)
	}
	if !r.Holds(id) {
		t.Fatal("a relayed chat is not held: the bot would answer")
	}
	// The customer is told nothing here: the other node does that.
	msgs, _ := st.Messages(id, 0, 0)
	if msgs[len(msgs)-1].From == session.FromSystem {
		t.Fatalf("told %+v", msgs[len(msgs)-1])
	}
	r.Forget(id)
	if r.Holds(id) {
		t.Fatal("forgotten chat still held")
	}

	// A chat handed here from another node is never handed on.
	sid := escalateMirror(t, r, st, "es-MX")
	select {
	case h := <-rm.handoff:
		t.Fatalf("mirror handed on: %+v", h)
	case <-time.After(100 * time.Millisecond):
	}
	meta, _ = st.Get(sid)
	if json.Unmarshal(meta.Route, &d) != nil || d.Outcome == Relayed {
		t.Fatalf("mirror decision %s", meta.Route)
	}

	// A failed handoff routes the chat here after all.
	rm.mu.Lock()
	rm.fail = errors.New("node gone")
	rm.mu.Unlock()
	id = escalate(t, r, st, "es-MX", "quiero hablar con alguien")
	<-rm.handoff
	deadline := time.Now().Add(5 * time.Second)
	for {
		meta, _ = st.Get(id)
		if json.Unmarshal(meta.Route, &d) == nil && d.Outcome != Relayed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a failed handoff: %s", meta.Route)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if d.Outcome != Message {
		t.Fatalf("after a failed handoff: %+v", d)
	}

	// Presence: this node's groups with hours and load.
	busy(r, "refunds")
	for _, g := range r.Presence() {
		if g.Name == "refunds" && (!g.Open || g.Online != 1 || g.Free != 0 || len(g.Skills) != 1) {
			t.Fatalf("presence %+v", g)
		}
		if g.Name == "mx-es" && (g.Open || g.Online != 0) {
			t.Fatalf("presence %+v", g)
		}
	}
}

// escalateMirror escalates a session mirrored from another node.
func escalateMirror(t *testing.T, r *Router, st *session.Store, locale string) string {
	t.Helper()
	sid := session.NewID()
	if _, err := st.Mirror(t.Context(), session.Meta{ID: sid, Locale: locale, Origin: "sa"}, []session.Message{{Session: sid, Seq: 1, From: session.FromCustomer, Text: "hola"}}); err != nil {
		t.Fatal(err)
	}
	r.route(escalationFor(sid, locale))
	return sid
}

func escalationFor(sid, lang string) convo.Escalation {
	return convo.Escalation{Session: sid, Seq: 1, Reason: convo.ReasonRequested, Lang: lang}
}
