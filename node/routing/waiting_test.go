package routing

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/node/convo"
	"github.com/edgedesk/edgedesk/node/session"
)

// lastNotice returns the session's last system message.
func lastNotice(t *testing.T, st *session.Store, id string) session.Message {
	t.Helper()
	msgs, err := st.Messages(id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].From == session.FromSystem {
			return msgs[i]
		}
	}
	t.Fatalf("no system message in %+v", msgs)
	return session.Message{}
}

// handed marks the session as handed to people, as the bot does when it
// escalates.
func handed(t testing.TB, st *session.Store, id string) {
	t.Helper()
	if _, err := st.Update(context.Background(), id, func(m *session.Meta) error {
		m.Conv = []byte(`{"human":{"reason":"requested","since":"2026-11-21T12:00:00Z"}}`)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNotices(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	r, st := newRouter(t, testRouting(), clk)
	ana, _ := connectAgent(r, "ana", "Ana", "agent", []string{"mx-es"}, &sink{})
	id := escalate(t, r, st, "es-MX", "ayuda")
	n := lastNotice(t, st, id)
	if n.Notice == nil || n.Notice.Kind != session.NoticeAgentJoined || n.Notice.Group != "mx-es" || n.Notice.Agent == nil || n.Notice.Agent.ID != "ana" || n.Notice.Agent.Name != "Ana" {
		t.Fatalf("agent_joined notice %+v", n.Notice)
	}
	// Closing: the customer is told, the bot has the session again, and the
	// session keeps the closed chat for a rating.
	handed(t, st, id)
	if err := r.CloseChat(context.Background(), ana, id); err != nil {
		t.Fatal(err)
	}
	n = lastNotice(t, st, id)
	if n.Notice == nil || n.Notice.Kind != session.NoticeChatClosed || n.Notice.Agent.ID != "ana" || !strings.Contains(n.Text, "Ana") || n.Lang != "es" {
		t.Fatalf("chat_closed notice %+v %q", n.Notice, n.Text)
	}
	meta, _ := st.Get(id)
	if convo.Handed(&meta) || meta.LastChat == nil || meta.LastChat.Group != "mx-es" || meta.LastChat.Agent.ID != "ana" {
		t.Fatalf("after close: handed %v, last chat %+v", convo.Handed(&meta), meta.LastChat)
	}
	// Queued.
	busy(r, "uk-en")
	q := escalate(t, r, st, "en", "help")
	if n := lastNotice(t, st, q); n.Notice == nil || n.Notice.Kind != session.NoticeQueued || n.Notice.Group != "uk-en" {
		t.Fatalf("queued notice %+v", n.Notice)
	}
}

// TestTeamClosedInCustomerLanguage: opens_at is in the notice (UTC) and in
// the text, in the customer's zone and the text's language.
func TestTeamClosedInCustomerLanguage(t *testing.T) {
	// Saturday 12:00 UTC: Shanghai's team opens Monday 09:00 there, which
	// is Sunday 19:00 for a customer in Mexico City.
	clk := newClock(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	r, st := newRouter(t, testRouting(), clk)
	for _, tc := range []struct{ locale, want string }{
		{"zh-CN", "周日 19:00"},
		{"zh-TW", "週日 下午7:00"},
		{"es-MX", "dom 19:00"},
	} {
		id := escalate(t, r, st, tc.locale, "人工客服 ayuda")
		n := lastNotice(t, st, id)
		if n.Notice == nil || n.Notice.Kind != session.NoticeTeamClosed || n.Notice.OpensAt.IsZero() {
			t.Fatalf("%s: notice %+v", tc.locale, n.Notice)
		}
		if tc.locale == "es-MX" {
			tc.want = "lun 09:00" // Mexico City's own team, Monday 09:00 local
		}
		if !strings.Contains(n.Text, tc.want) || strings.Contains(n.Text, "Sun") || strings.Contains(n.Text, "Mon") {
			t.Errorf("%s: %q, want %q in it", tc.locale, n.Text, tc.want)
		}
	}
}

// TestNoAgentGroups: with no agent groups at all the customer is told that
// nobody is available and the message is kept; no promise of a time.
func TestNoAgentGroups(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	c := testRouting()
	c.Groups, c.Rules, c.IntentSkills = nil, nil, nil
	r, st := newRouter(t, c, clk)
	for _, tc := range []struct{ locale, want string }{
		{"en-GB", "Your message is saved"},
		{"es", "Tu mensaje queda guardado"},
		{"zh-CN", "您的留言已保存"},
		{"zh-HK", "您的留言已保存，一有客服可以處理"},
	} {
		id := escalate(t, r, st, tc.locale, "help")
		n := lastNotice(t, st, id)
		if n.Notice == nil || n.Notice.Kind != session.NoticeNoAgents || !n.Notice.OpensAt.IsZero() || !strings.Contains(n.Text, tc.want) {
			t.Errorf("%s: %q %+v", tc.locale, n.Text, n.Notice)
		}
		if meta, _ := st.Get(id); meta.Waiting == nil {
			t.Errorf("%s: not waiting", tc.locale)
		}
	}
}

// TestWaitingChatSurvivesRestart: a message left for a closed team waits
// in the store; a new router over it (a restart) takes it back, and when
// the team opens and its agent is online the agent gets the chat with its
// history and the customer is told someone is looking at it.
func TestWaitingChatSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	st, err := session.Open(session.Options{Path: filepath.Join(dir, "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { st.Close(context.Background()) }()
	_, fs := openStores(t)
	clk := newClock(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)) // Saturday: Mexico City closed until Monday
	r1, err := New(Options{Config: testRouting(), Store: st, FAQ: fs, DefaultLanguage: "en", Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	id := escalate(t, r1, st, "es-MX", "quiero hablar con alguien")
	handed(t, st, id)
	if _, err := st.Post(context.Background(), session.Message{Session: id, From: session.FromCustomer, CID: "c2", Text: "mi pedido 48213 no llega"}); err != nil {
		t.Fatal(err)
	}
	meta, _ := st.Get(id)
	if meta.Waiting == nil || meta.Waiting.Lang != "es-MX" {
		t.Fatalf("waiting %+v", meta.Waiting)
	}
	r1.Close()

	// The restart: a new router over the same store.
	r2, err := New(Options{Config: testRouting(), Store: st, FAQ: fs, DefaultLanguage: "en", Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	waitFor(t, "the waiting chat restored", func() bool { return r2.Holds(id) })
	// Monday 10:00 in Mexico City: the group opens; its agent connects.
	clk.set(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	s := &sink{}
	connectAgent(r2, "ana", "Ana", "agent", []string{"mx-es"}, s)
	waitFor(t, "the assignment", func() bool { return s.count() == 1 })
	a := s.assigned[0]
	if a.Session != id || len(a.History) < 3 || a.History[len(a.History)-1].Text == "" {
		t.Fatalf("assignment %+v", a)
	}
	var sawKept bool
	for _, m := range a.History {
		sawKept = sawKept || m.Text == "mi pedido 48213 no llega"
	}
	if !sawKept {
		t.Fatal("the message left is not in the history")
	}
	if !strings.Contains(strings.Join(a.Decision.Why, "; "), "picked up") {
		t.Fatalf("why %v", a.Decision.Why)
	}
	n := lastNotice(t, st, id)
	if n.Notice == nil || n.Notice.Kind != session.NoticePickedUp || n.Notice.Agent == nil || n.Notice.Agent.ID != "ana" || n.Lang != "es" || !strings.Contains(n.Text, "Ana") {
		t.Fatalf("picked_up notice %+v %q", n.Notice, n.Text)
	}
	if meta, _ := st.Get(id); meta.Waiting != nil {
		t.Fatal("still marked waiting")
	}
	if ids, _ := st.Waiting(); len(ids) != 0 {
		t.Fatalf("waiting index %v", ids)
	}
}

// TestWaitingPickedUpOnOpening: the group opens (a fake clock and the
// opening timer, or a reload) with its agent already online.
func TestWaitingPickedUpOnReload(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	c := testRouting()
	c.Groups[0].Overrides = map[string][]string{"2026-11-23": {}, "2026-11-24": {}} // Mexico City closed today and tomorrow
	r, st := newRouter(t, c, clk)
	s := &sink{}
	connectAgent(r, "ana", "Ana", "agent", []string{"mx-es"}, s)
	id := escalate(t, r, st, "es", "ayuda")
	handed(t, st, id)
	if n := lastNotice(t, st, id); n.Notice == nil || n.Notice.Kind != session.NoticeTeamClosed {
		t.Fatalf("notice %+v", n.Notice)
	}
	if s.count() != 0 {
		t.Fatal("assigned while closed")
	}
	if err := r.Reload(testRouting()); err != nil { // open after all
		t.Fatal(err)
	}
	waitFor(t, "the assignment", func() bool { return s.count() == 1 })
	if n := lastNotice(t, st, id); n.Notice == nil || n.Notice.Kind != session.NoticePickedUp {
		t.Fatalf("notice %+v", n.Notice)
	}
}

// TestWaitingReleasedIsDropped: a waiting chat the bot took back (the
// customer started afresh) is not handed to an agent.
func TestWaitingReleasedIsDropped(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	r, st := newRouter(t, testRouting(), clk)
	id := escalate(t, r, st, "es", "ayuda") // not marked handed: the bot has it
	clk.set(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	s := &sink{}
	connectAgent(r, "ana", "Ana", "agent", []string{"mx-es"}, s)
	waitFor(t, "the chat dropped", func() bool { return !r.Holds(id) })
	if s.count() != 0 {
		t.Fatal("a chat the bot has was assigned")
	}
	waitFor(t, "the mark cleared", func() bool { m, _ := st.Get(id); return m.Waiting == nil })
}

// recorder keeps the queue positions a session's widget is sent.
type recorder struct {
	id  uint64
	mu  sync.Mutex
	pos []int
}

func (r *recorder) ID() uint64 { return r.id }
func (r *recorder) Deliver(ev *session.Event) {
	if ev.Kind == session.EventQueue {
		r.mu.Lock()
		r.pos = append(r.pos, ev.Position)
		r.mu.Unlock()
	}
}
func (r *recorder) last() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pos) == 0 {
		return 0
	}
	return r.pos[len(r.pos)-1]
}

// TestQueuePositionsResentOnTierJump: a VIP who goes ahead moves everyone
// behind one place, and they are told.
func TestQueuePositionsResentOnTierJump(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	r, st := newRouter(t, testRouting(), clk)
	busy(r, "mx-es")
	var recs []*recorder
	var ids []string
	for i := 0; i < 3; i++ {
		id := escalate(t, r, st, "es", "ayuda")
		rec := &recorder{id: st.NewSubscriberID()}
		st.Subscribe(id, rec)
		ids, recs = append(ids, id), append(recs, rec)
	}
	vip := escalate(t, r, st, "es", "ayuda", "vip")
	for i, rec := range recs {
		waitFor(t, "positions resent", func() bool { return rec.last() == i+2 })
	}
	r.mu.Lock()
	q := r.queues["mx-es"]
	first := q[0].session
	r.mu.Unlock()
	if first != vip {
		t.Fatal("the VIP is not first")
	}
	// A chat leaving the queue moves the others up.
	s := &sink{}
	connectAgent(r, "ana", "Ana", "agent", []string{"mx-es"}, s)
	waitFor(t, "assigned", func() bool { return s.count() == 2 })
	waitFor(t, "the queue moved up", func() bool { return recs[1].last() == 1 && recs[2].last() == 2 })
}

// Compile-time: the store the router uses lists waiting sessions.
var _ Store = (*session.Store)(nil)

// TestStaleWaitingDoesNotSwallowEscalation: a chat waits for a closed
// team; the bot takes the session back (the hand-over lapsed) and the
// customer asks for people again. The new hand-over is routed and told
// like the first, and the waiting mark is the new one.
func TestStaleWaitingDoesNotSwallowEscalation(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)) // Saturday: closed
	r, st := newRouter(t, testRouting(), clk)
	id := escalate(t, r, st, "es", "ayuda")
	if !r.Holds(id) {
		t.Fatal("the chat does not wait")
	}
	first := lastNotice(t, st, id)
	// The bot had the session back for a while; the customer asks again.
	ctx := context.Background()
	msg, err := st.Post(ctx, session.Message{Session: id, From: session.FromCustomer, CID: "c2", Text: "quiero hablar con alguien"})
	if err != nil {
		t.Fatal(err)
	}
	r.route(convo.Escalation{Session: id, Seq: msg.Seq, Reason: convo.ReasonRequested, Lang: "es"})
	again := lastNotice(t, st, id)
	if again.Seq <= msg.Seq || again.Seq == first.Seq || again.Notice == nil || again.Notice.Kind != session.NoticeTeamClosed {
		t.Fatalf("the second hand-over was not told: %+v (first %d, ask %d)", again, first.Seq, msg.Seq)
	}
	if m, _ := st.Get(id); m.Waiting == nil || m.Waiting.Seq != msg.Seq {
		t.Fatalf("waiting mark %+v, want the second ask (seq %d)", m.Waiting, msg.Seq)
	}
	// A re-routed escalation (routing lost the chat) changes nothing.
	r.route(convo.Escalation{Session: id, Seq: msg.Seq + 5, Reason: convo.ReasonRequested, Lang: "es", Rerouted: true})
	if n := lastNotice(t, st, id); n.Seq != again.Seq {
		t.Fatalf("a re-route told the customer again: %+v", n)
	}
}

// TestStaleQueuedPlaceFreed: a queued chat the bot took back and escalated
// afresh goes to the back of the line, and the chat behind moves up.
func TestStaleQueuedPlaceFreed(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	r, st := newRouter(t, testRouting(), clk)
	busy(r, "mx-es")
	a := escalate(t, r, st, "es", "ayuda")
	b := escalate(t, r, st, "es", "ayuda")
	rec := &recorder{id: st.NewSubscriberID()}
	st.Subscribe(b, rec)
	msg, err := st.Post(context.Background(), session.Message{Session: a, From: session.FromCustomer, CID: "c2", Text: "ayuda"})
	if err != nil {
		t.Fatal(err)
	}
	r.route(convo.Escalation{Session: a, Seq: msg.Seq, Reason: convo.ReasonRequested, Lang: "es"})
	waitFor(t, "b moved up", func() bool { return rec.last() == 1 })
	r.mu.Lock()
	q := r.queues["mx-es"]
	order := []string{q[0].session, q[1].session}
	r.mu.Unlock()
	if len(q) != 2 || order[0] != b || order[1] != a {
		t.Fatalf("queue %v, want [%s %s]", order, b, a)
	}
}

// TestStaleRelayedChatRoutedAgain: a chat handed to another node whose
// hand-over lapsed is routed afresh when the customer asks again, not
// swallowed as "already with people".
func TestStaleRelayedChatRoutedAgain(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)) // Saturday: closed
	r, st := newRouter(t, testRouting(), clk)
	ctx := context.Background()
	m, err := st.Create(ctx, session.Meta{Locale: "es", TZ: "America/Mexico_City", Customer: session.Customer{ID: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.chats[m.ID] = &chat{session: m.ID, remote: "node-b", group: "far"}
	r.mu.Unlock()
	msg, err := st.Post(ctx, session.Message{Session: m.ID, From: session.FromCustomer, CID: "c1", Text: "ayuda"})
	if err != nil {
		t.Fatal(err)
	}
	r.route(convo.Escalation{Session: m.ID, Seq: msg.Seq, Reason: convo.ReasonRequested, Lang: "es"})
	if n := lastNotice(t, st, m.ID); n.Seq <= msg.Seq || n.Notice == nil || n.Notice.Kind != session.NoticeTeamClosed {
		t.Fatalf("the fresh hand-over was not routed: %+v", n)
	}
}

// TestAsyncKeepsOrder: work queued while the worker is busy and its queue
// full runs in the order it was queued.
func TestAsyncKeepsOrder(t *testing.T) {
	r, _ := newRouter(t, testRouting(), newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC)))
	release := make(chan struct{})
	r.async(func() { <-release })
	const n = 6000 // more than the queue holds
	var mu sync.Mutex
	var got []int
	for i := range n {
		r.async(func() { mu.Lock(); got = append(got, i); mu.Unlock() })
	}
	close(release)
	waitFor(t, "all work done", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == n })
	for i, v := range got {
		if v != i {
			t.Fatalf("work %d ran at position %d", v, i)
		}
	}
}

// TestAsyncRunsOnce: work queued from many goroutines while the queue
// overflows and drains runs exactly once each.
func TestAsyncRunsOnce(t *testing.T) {
	r, _ := newRouter(t, testRouting(), newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC)))
	const writers, each = 8, 2000
	var mu sync.Mutex
	runs := make(map[int]int, writers*each)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := w*each + i
				r.async(func() { mu.Lock(); runs[id]++; mu.Unlock() })
			}
		}()
	}
	wg.Wait()
	waitFor(t, "all work done", func() bool { mu.Lock(); defer mu.Unlock(); return len(runs) == writers*each })
	mu.Lock()
	defer mu.Unlock()
	for id, n := range runs {
		if n != 1 {
			t.Fatalf("work %d ran %d times", id, n)
		}
	}
}
