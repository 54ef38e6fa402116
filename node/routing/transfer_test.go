package routing

import (
	"context"
	"testing"
	"time"
)

// TestTransferToOwnGroupQueues: an agent who hands a chat to their own
// group, with nobody else free, does not get it straight back: it waits at
// the front of the queue, with the note, for the next agent.
func TestTransferToOwnGroupQueues(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	r, st := newRouter(t, testRouting(), clk)
	s1, s2 := &sink{}, &sink{}
	ana, _ := connectAgent(r, "ana", "Ana", "agent", []string{"mx-es"}, s1)
	id := escalate(t, r, st, "es", "ayuda")
	waitFor(t, "ana has the chat", func() bool { return r.Owns(ana, id) })
	if err := r.TransferChat(context.Background(), ana, id, Move{Group: "mx-es", Note: "necesita factura"}); err != nil {
		t.Fatal(err)
	}
	if r.Owns(ana, id) {
		t.Fatal("the chat came straight back to the agent who transferred it")
	}
	var queued bool
	for _, g := range r.Overview() {
		queued = queued || (g.Name == "mx-es" && len(g.Queue) == 1 && g.Queue[0].Session == id)
	}
	if !queued {
		t.Fatalf("not queued: %+v", r.Overview())
	}
	connectAgent(r, "bo", "Bo", "agent", []string{"mx-es"}, s2)
	waitFor(t, "bo gets the chat", func() bool { return s2.count() == 1 })
	s2.mu.Lock()
	got := s2.assigned[0]
	s2.mu.Unlock()
	if got.Session != id || got.Note != "necesita factura" || got.FromAgent == nil || got.FromAgent.ID != "ana" {
		t.Fatalf("bo's assignment: %+v", got)
	}
}
