package routing

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/node/session"
)

// decisions returns the session's routing decisions, oldest first.
func decisions(t testing.TB, st *session.Store, id string) []Decision {
	t.Helper()
	meta, err := st.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	var out []Decision
	for _, b := range meta.History() {
		var d Decision
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("decision %s: %v", b, err)
		}
		out = append(out, d)
	}
	return out
}

// advance moves the clock on by d and wakes the router as its deadline
// timer would (the timer runs on real time; the test's clock is fake).
func advance(r *Router, clk *clock, d time.Duration) {
	clk.set(clk.now().Add(d))
	r.async(r.firstResponseDue)
}

// idle waits until the router's worker has run everything queued before.
func idle(r *Router) {
	done := make(chan struct{})
	r.async(func() { close(done) })
	<-done
}

func (s *sink) snapshot() ([]Assignment, []string, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Assignment(nil), s.assigned...), append([]string(nil), s.dropped...), append([]string(nil), s.reasons...)
}

func whyHas(d Decision, sub string) bool {
	for _, w := range d.Why {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

// TestDecisionHistory: queued, pulled from the queue, transferred, its
// agent lost and requeued: every step is a decision of its own, in order,
// and the first (why it was queued) stays.
func TestDecisionHistory(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	c := testRouting()
	c.AgentGrace = 20 * time.Millisecond
	r, st := newRouter(t, c, clk)
	busy(r, "mx-es")
	id := escalate(t, r, st, "es", "ayuda")
	s1 := &sink{}
	clk.set(clk.now().Add(42 * time.Second))
	ana, _ := connectAgent(r, "ana", "Ana", "agent", []string{"mx-es"}, s1)
	if s1.count() != 1 {
		t.Fatal("queued chat not pulled")
	}
	ds := decisions(t, st, id)
	if len(ds) != 2 || ds[0].Outcome != Queued || !whyHas(ds[0], "no free agent: queued") ||
		ds[1].Outcome != Assigned || ds[1].Agent != "ana" || !whyHas(ds[1], "from the queue of mx-es (waiting 42s)") {
		t.Fatalf("after the pull: %+v", ds)
	}
	connectAgent(r, "bo", "Bo", "agent", []string{"mx-es"}, &sink{})
	if err := r.Transfer(context.Background(), ana, id, "bo", ""); err != nil {
		t.Fatal(err)
	}
	bo := r.agent("bo")
	r.Disconnect(bo, bo.conn)
	waitFor(t, "the requeue decision", func() bool { return len(decisions(t, st, id)) >= 4 })
	ds = decisions(t, st, id)
	if ds[0].Outcome != Queued || ds[2].Outcome != Assigned || ds[2].Agent != "bo" || !whyHas(ds[2], "transferred by agent ana") || !whyHas(ds[2], "to agent bo") ||
		ds[3].Outcome != Queued || !whyHas(ds[3], "agent bo lost") {
		t.Fatalf("history %+v", ds)
	}
	// Ana has room: the requeued chat is hers again, one more decision.
	waitFor(t, "ana pulls the requeued chat", func() bool { return len(decisions(t, st, id)) == 5 })
	meta, _ := st.Get(id)
	if d := decisions(t, st, id)[4]; d.Agent != "ana" || !whyHas(d, "from the queue of mx-es") || string(meta.Route) != string(meta.Routes[4]) {
		t.Fatalf("last decision %+v; Route %s", d, meta.Route)
	}
}

// TestRoutesBounded: past session.MaxRoutes the first decision and the
// latest are kept, and the ones left out are counted.
func TestRoutesBounded(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	r, st := newRouter(t, testRouting(), clk)
	connectAgent(r, "ana", "Ana", "agent", []string{"mx-es"}, &sink{})
	connectAgent(r, "bo", "Bo", "agent", []string{"mx-es"}, &sink{})
	id := escalate(t, r, st, "es", "ayuda")
	holder, other := r.agent("ana"), r.agent("bo")
	const transfers = session.MaxRoutes + 5
	for i := 0; i < transfers; i++ {
		if err := r.Transfer(context.Background(), holder, id, other.ID, ""); err != nil {
			t.Fatal(err)
		}
		holder, other = other, holder
	}
	meta, _ := st.Get(id)
	ds := decisions(t, st, id)
	if len(ds) != session.MaxRoutes || meta.RoutesDropped != transfers+1-session.MaxRoutes {
		t.Fatalf("%d decisions kept, %d dropped", len(ds), meta.RoutesDropped)
	}
	if whyHas(ds[0], "transferred") || !whyHas(ds[len(ds)-1], "transferred by agent") {
		t.Fatalf("first %+v, last %+v", ds[0], ds[len(ds)-1])
	}
}

// TestFirstResponseTimeout: ana is given the chat and stays silent; after
// the timeout bo has it, with the history, ana is told why, the customer
// hears of bo only, and the decisions say what happened.
func TestFirstResponseTimeout(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	c := testRouting()
	c.FirstResponseTimeout = 60 * time.Second
	r, st := newRouter(t, c, clk)
	sa, sb := &sink{}, &sink{}
	connectAgent(r, "ana", "Ana", "agent", []string{"mx-es"}, sa)
	connectAgent(r, "bo", "Bo", "agent", []string{"mx-es"}, sb)
	id := escalate(t, r, st, "es", "ayuda")
	if sa.count() != 1 {
		t.Fatal("ana, the first to connect, should have the chat")
	}
	advance(r, clk, 61*time.Second)
	waitFor(t, "bo given the chat", func() bool { return sb.count() == 1 })
	got, _, _ := sb.snapshot()
	if got[0].Session != id || len(got[0].History) == 0 || !whyHas(got[0].Decision, "agent ana did not answer within 60s: back to the front of mx-es's queue") {
		t.Fatalf("bo's assignment %+v", got[0])
	}
	_, dropped, reasons := sa.snapshot()
	if len(dropped) != 1 || dropped[0] != id || reasons[0] != ReasonFirstResponseTimeout {
		t.Fatalf("ana told %v %v", dropped, reasons)
	}
	if r.Owns(r.agent("ana"), id) || !r.Owns(r.agent("bo"), id) {
		t.Fatal("the chat is not bo's alone")
	}
	ds := decisions(t, st, id)
	if len(ds) != 2 || ds[0].Agent != "ana" || ds[1].Outcome != Assigned || ds[1].Agent != "bo" || !whyHas(ds[1], "to another agent of mx-es: agent bo has 0 of 2 chats") {
		t.Fatalf("decisions %+v", ds)
	}
	// The customer hears that Ana, then Bo, joined: nothing else.
	msgs, _ := st.Messages(id, 0, 0)
	var kinds []string
	for _, m := range msgs {
		if m.Notice != nil {
			kinds = append(kinds, m.Notice.Kind+":"+m.Notice.Agent.ID)
		}
	}
	if strings.Join(kinds, ",") != "agent_joined:ana,agent_joined:bo" {
		t.Fatalf("customer notices %v", kinds)
	}
	// Bo answers: his deadline is gone, however long he takes next.
	if _, err := r.Reply(context.Background(), r.agent("bo"), id, "", "Hola, soy Bo"); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	pending := len(r.dues)
	r.mu.Unlock()
	if pending != 0 {
		t.Fatalf("%d deadlines left after the reply", pending)
	}
}

// TestFirstResponseTimeoutAlone: the only agent of the group who misses
// the deadline does not get the chat straight back, however long it
// waits: it waits at the front of the queue until she shows she is there
// (here: a message in another chat), then it is hers again.
func TestFirstResponseTimeoutAlone(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	c := testRouting()
	c.FirstResponseTimeout = 30 * time.Second
	r, st := newRouter(t, c, clk)
	sa := &sink{}
	connectAgent(r, "ana", "Ana", "agent", []string{"mx-es"}, sa)
	busy(r, "mx-es")
	first := escalate(t, r, st, "es", "ayuda")
	advance(r, clk, 31*time.Second)
	waitFor(t, "the chat taken from ana", func() bool { _, d, _ := sa.snapshot(); return len(d) == 1 })
	idle(r)
	queuedFirst := func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		q := r.queues["mx-es"]
		return len(q) > 0 && q[0].session == first
	}
	if got, dropped, _ := sa.snapshot(); dropped[0] != first || len(got) != 1 || !queuedFirst() {
		t.Fatalf("ana: dropped %v, %d assignments; queued first: %v", dropped, len(got), queuedFirst())
	}
	ds := decisions(t, st, first)
	last := ds[len(ds)-1]
	if last.Outcome != Queued || last.Position != 1 || !whyHas(last, "ana did not answer within 30s") || !whyHas(last, "no other agent of mx-es has room") {
		t.Fatalf("decision %+v", last)
	}
	if msgs, _ := st.Messages(first, 0, 0); lastNotice(t, st, first).Notice.Kind != session.NoticeQueued || len(msgs) != 3 {
		t.Fatalf("customer told %+v", msgs)
	}
	// Time passes, deadlines come and go: ana, silent, does not get it
	// back (no "Ana joined", "you are number 1" every timeout).
	advance(r, clk, 10*time.Minute)
	idle(r)
	if got, _, _ := sa.snapshot(); len(got) != 1 || !queuedFirst() {
		t.Fatalf("the missed chat bounced back to a silent agent: %d assignments", len(got))
	}
	// A new chat is hers (she did not miss it); she answers it: she is
	// back, and the first chat is hers again.
	second := escalate(t, r, st, "es", "ayuda")
	if got, _, _ := sa.snapshot(); len(got) != 2 || got[1].Session != second {
		t.Fatalf("new chat not given to ana: %+v", got)
	}
	clk.set(clk.now().Add(time.Second))
	if _, err := r.Reply(context.Background(), r.agent("ana"), second, "", "hola"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first chat back to ana", func() bool { got, _, _ := sa.snapshot(); return len(got) == 3 && got[2].Session == first })
	if d := decisions(t, st, first); !whyHas(d[len(d)-1], "from the queue of mx-es") {
		t.Fatalf("decision %+v", d[len(d)-1])
	}
}

// TestFirstResponseDeadlineCancelled: a transfer gives the new agent a
// deadline of its own; closing the chat, losing the agent and turning the
// setting off by a reload each leave none behind.
func TestFirstResponseDeadlineCancelled(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	c := testRouting()
	c.FirstResponseTimeout = 60 * time.Second
	c.AgentGrace = 10 * time.Millisecond
	r, st := newRouter(t, c, clk)
	sa, sb := &sink{}, &sink{}
	ana, _ := connectAgent(r, "ana", "Ana", "agent", []string{"mx-es"}, sa)
	connectAgent(r, "bo", "Bo", "agent", []string{"mx-es"}, sb)
	pending := func() (n int, owner string) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.dues) > 0 && r.dues[0].agent != nil {
			owner = r.dues[0].agent.ID
		}
		return len(r.dues), owner
	}
	id := escalate(t, r, st, "es", "ayuda")
	if n, who := pending(); n != 1 || who != "ana" {
		t.Fatalf("after assignment: %d deadlines, %q", n, who)
	}
	if err := r.Transfer(context.Background(), ana, id, "bo", ""); err != nil {
		t.Fatal(err)
	}
	if n, who := pending(); n != 1 || who != "bo" {
		t.Fatalf("after transfer: %d deadlines, %q", n, who)
	}
	if err := r.CloseChat(context.Background(), r.agent("bo"), id); err != nil {
		t.Fatal(err)
	}
	if n, _ := pending(); n != 0 {
		t.Fatalf("after close: %d deadlines", n)
	}
	// Lost: requeued (to ana), with a fresh deadline for her.
	id2 := escalate(t, r, st, "es", "ayuda")
	holder := "ana"
	if !r.Owns(ana, id2) {
		holder = "bo"
	}
	h := r.agent(holder)
	r.Disconnect(h, h.conn)
	waitFor(t, "the chat requeued to the other agent", func() bool { _, who := pending(); return who != "" && who != holder })
	if n, _ := pending(); n != 1 {
		t.Fatalf("after the agent was lost: %d deadlines", n)
	}
	// Turned off by a reload: the deadline lapses with no effect.
	off := testRouting()
	if err := r.Reload(off); err != nil {
		t.Fatal(err)
	}
	advance(r, clk, 2*time.Minute)
	waitFor(t, "the lapsed deadline", func() bool { n, _ := pending(); return n == 0 })
	idle(r)
	other := r.agent(map[string]string{"ana": "bo", "bo": "ana"}[holder])
	if !r.Owns(other, id2) {
		t.Fatal("a deadline turned off by a reload still took the chat")
	}
}

// TestFirstResponseDeadlineSurvivesReload: a reload that keeps the
// setting keeps the deadlines already running.
func TestFirstResponseDeadlineSurvivesReload(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	c := testRouting()
	c.FirstResponseTimeout = 60 * time.Second
	r, st := newRouter(t, c, clk)
	sa, sb := &sink{}, &sink{}
	connectAgent(r, "ana", "Ana", "agent", []string{"mx-es"}, sa)
	connectAgent(r, "bo", "Bo", "agent", []string{"mx-es"}, sb)
	escalate(t, r, st, "es", "ayuda")
	c.HandleTime = 7 * time.Minute
	if err := r.Reload(c); err != nil {
		t.Fatal(err)
	}
	advance(r, clk, 61*time.Second)
	waitFor(t, "bo given the chat after the reload", func() bool { return sb.count() == 1 })
}

// TestConcurrentDeadlines: agents answer some chats, close others and miss
// the rest while the clock runs past deadlines: nobody is over capacity,
// no chat is held twice, the deadline heap stays consistent, and every
// chat ends up with exactly one agent or in the queue.
func TestConcurrentDeadlines(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	c := testRouting()
	c.FirstResponseTimeout = 60 * time.Second
	r, st := newRouter(t, c, clk)
	const agents, chats = 8, 60
	as := make([]*Agent, agents)
	sinks := make([]*sink, agents)
	for i := range as {
		sinks[i] = &sink{}
		as[i], _ = connectAgent(r, fmt.Sprintf("a%d", i), "A", "agent", []string{"mx-es"}, sinks[i])
	}
	stop := make(chan struct{})
	var workers sync.WaitGroup
	for i := range as {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				r.mu.Lock()
				var id string
				for s := range as[i].chats {
					id = s
					break
				}
				r.mu.Unlock()
				switch {
				case id == "":
				case (n+i)%3 == 0:
					r.Reply(context.Background(), as[i], id, "", "hola")
				case (n+i)%7 == 0:
					r.CloseChat(context.Background(), as[i], id)
				} // otherwise: silent
				checkInvariants(t, r)
				time.Sleep(time.Millisecond)
			}
		}()
	}
	workers.Add(1)
	go func() { // the clock runs, past deadlines
		defer workers.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
				advance(r, clk, 20*time.Second)
			}
		}
	}()
	var wg sync.WaitGroup
	ids := make([]string, chats)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i] = escalate(t, r, st, "es", "ayuda")
		}()
	}
	wg.Wait()
	time.Sleep(50 * time.Millisecond) // let the workers and the clock run on a while
	close(stop)
	workers.Wait()
	idle(r)
	checkInvariants(t, r)
	missed := 0
	for _, sk := range sinks {
		_, _, reasons := sk.snapshot()
		missed += len(reasons)
	}
	if missed == 0 {
		t.Fatal("no deadline was missed: the test did not test them")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		c := r.chats[id]
		if c == nil {
			continue // closed
		}
		held := 0
		for _, a := range r.agents {
			if a.chats[id] != nil {
				held++
			}
		}
		queued := slices.Contains(r.queues["mx-es"], c)
		if held+btoi(queued) != 1 {
			t.Errorf("chat %s held by %d agents, queued %v", id, held, queued)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// BenchmarkFirstResponseDeadline is one deadline set and cancelled (an
// assignment answered) with 10,000 others pending: the heap's cost.
func BenchmarkFirstResponseDeadline(b *testing.B) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	c := testRouting()
	c.FirstResponseTimeout = time.Hour
	r, _ := newRouter(b, c, clk)
	r.mu.Lock()
	defer r.mu.Unlock()
	now := clk.now()
	for i := range 10_000 {
		r.setDueLocked(&chat{session: fmt.Sprint("s", i)}, now.Add(time.Duration(i)*time.Millisecond))
	}
	x := &chat{session: "x"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.setDueLocked(x, now.Add(time.Duration(i%10_000)*time.Millisecond))
		r.clearDueLocked(x)
	}
}
