package routing

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/convo"
	"github.com/edgedesk/edgedesk/node/faq"
	"github.com/edgedesk/edgedesk/node/session"
)

var weekdays = map[string][]string{"mon": {"09:00-18:00"}, "tue": {"09:00-18:00"}, "wed": {"09:00-18:00"}, "thu": {"09:00-18:00"}, "fri": {"09:00-18:00"}}

func allDay() map[string][]string {
	m := map[string][]string{}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		m[d] = []string{"00:00-24:00"}
	}
	return m
}

// testRouting is a small world: Spanish in Mexico City, English in London
// and (follow the sun) Kolkata, Chinese in Shanghai, a refunds team.
func testRouting() config.Routing {
	c := config.Default().Routing
	c.Region = "amer"
	c.FallbackLanguage = "en"
	c.IntentSkills = map[string]string{"return_refund": "refunds"}
	c.Rules = []config.RoutingRule{{Name: "legal", Keywords: []string{"lawyer", "abogado"}, Group: "uk-en"}}
	c.Groups = []config.AgentGroup{
		{Name: "mx-es", Region: "amer", Languages: []string{"es-MX", "es"}, TZ: "America/Mexico_City", Hours: weekdays, Capacity: 2, Holidays: []string{"2026-12-25"}},
		{Name: "uk-en", Region: "emea", Languages: []string{"en"}, TZ: "Europe/London", Hours: weekdays, Capacity: 2, Overflow: "in-en"},
		{Name: "in-en", Region: "apac", Languages: []string{"en"}, TZ: "Asia/Kolkata", Hours: weekdays, Capacity: 2},
		{Name: "cn-zh", Region: "apac", Languages: []string{"zh"}, TZ: "Asia/Shanghai", Hours: map[string][]string{"mon": {"09:00-12:00", "13:00-18:00"}}, Capacity: 2},
		{Name: "refunds", Region: "emea", Languages: []string{"en"}, Skills: []string{"refunds"}, TZ: "Europe/London", Hours: allDay(), Capacity: 1},
	}
	return c
}

type clock struct{ t atomic.Pointer[time.Time] }

func (c *clock) now() time.Time   { return *c.t.Load() }
func (c *clock) set(t time.Time)  { c.t.Store(&t) }
func newClock(t time.Time) *clock { c := &clock{}; c.set(t); return c }

func openStores(t testing.TB) (*session.Store, *faq.Store) {
	t.Helper()
	dir := t.TempDir()
	st, err := session.Open(session.Options{Path: filepath.Join(dir, "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	fs, err := faq.Open(filepath.Join(dir, "faq.db"), faq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	if _, err := fs.Import(bytes.NewReader(faq.Demo), faq.JSONL); err != nil {
		t.Fatal(err)
	}
	return st, fs
}

func newRouter(t testing.TB, c config.Routing, clk *clock) (*Router, *session.Store) {
	t.Helper()
	st, fs := openStores(t)
	r, err := New(Options{Config: c, Store: st, FAQ: fs, DefaultLanguage: "en", Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r, st
}

// sink records an agent's events.
type sink struct {
	mu       sync.Mutex
	assigned []Assignment
	dropped  []string
	reasons  []string // of dropped, in order
}

func (s *sink) Assigned(a Assignment) { s.mu.Lock(); s.assigned = append(s.assigned, a); s.mu.Unlock() }
func (s *sink) Unassigned(id, reason string) {
	s.mu.Lock()
	s.dropped = append(s.dropped, id)
	s.reasons = append(s.reasons, reason)
	s.mu.Unlock()
}
func (s *sink) count() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.assigned) }

func TestDecide(t *testing.T) {
	// Monday 2026-11-23 16:00 UTC: London 16:00 (open), Mexico City 10:00
	// (open), Kolkata 21:30 (closed), Shanghai Tue 00:00 (closed).
	mon := time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		at       time.Time
		req      Request
		agents   map[string]int // group → free agents
		outcome  Outcome
		group    string
		why      string
		needsTr  bool
		opensAtH int  // hours after at, when set
		busy     bool // one agent per group in agents, already full
	}{
		{name: "spanish, Mexico City open", at: mon, req: Request{Lang: "es-MX"}, agents: map[string]int{"mx-es": 1}, outcome: Assigned, group: "mx-es", why: "language es-MX: exact"},
		{name: "spanish from Spain: base language", at: mon, req: Request{Lang: "es-ES"}, agents: map[string]int{"mx-es": 1}, outcome: Assigned, group: "mx-es", why: "base es"},
		{name: "english, London open", at: mon, req: Request{Lang: "en-GB"}, agents: map[string]int{"uk-en": 1, "in-en": 1}, outcome: Assigned, group: "uk-en"},
		{name: "no free agent: queued", at: mon, req: Request{Lang: "en"}, agents: map[string]int{"uk-en": 0}, busy: true, outcome: Queued, group: "uk-en", why: "no free agent"},
		{name: "open but nobody online: a message", at: mon, req: Request{Lang: "en"}, outcome: Message, group: "in-en", why: "nobody online"},
		{name: "rule wins over language", at: mon, req: Request{Lang: "es", Text: "Mi abogado los va a llamar"}, agents: map[string]int{"uk-en": 1, "mx-es": 1}, outcome: Assigned, group: "uk-en", needsTr: true, why: "rule legal"},
		{name: "intent needs skill", at: mon, req: Request{Lang: "en", Intent: "return_refund"}, agents: map[string]int{"uk-en": 1, "refunds": 1}, outcome: Assigned, group: "refunds", why: "needs skill refunds"},
		{name: "german: fallback english needs translation", at: mon, req: Request{Lang: "de"}, agents: map[string]int{"uk-en": 1}, outcome: Assigned, group: "uk-en", needsTr: true, why: "needs translation"},
		// Monday 05:00 UTC: London 05:00 closed, Kolkata 10:30 open: follow the sun.
		{name: "follow the sun to Kolkata", at: time.Date(2026, 11, 23, 5, 0, 0, 0, time.UTC), req: Request{Lang: "en"}, agents: map[string]int{"uk-en": 1, "in-en": 1}, outcome: Assigned, group: "in-en", why: "follow the sun"},
		// Monday 10:00 UTC: London and Kolkata open; the rule picks London, which is full.
		{name: "overflow when full", at: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), req: Request{Lang: "en", Text: "my lawyer will call"}, agents: map[string]int{"in-en": 1}, outcome: Assigned, group: "in-en", why: "overflow to in-en"},
		// Saturday: everyone closed for two days: a message.
		{name: "weekend: take a message", at: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), req: Request{Lang: "es"}, agents: map[string]int{"mx-es": 1}, outcome: Message, group: "mx-es", why: "take a message", opensAtH: 51},
		// Christmas in Mexico City (holiday): next opening is Saturday? no: Monday 28th.
		{name: "holiday", at: time.Date(2026, 12, 25, 17, 0, 0, 0, time.UTC), req: Request{Lang: "es"}, agents: map[string]int{"mx-es": 1}, outcome: Message, group: "mx-es"},
		// Monday 14:45 UTC = 08:45 Mexico City: opens in 15 minutes: wait in the queue.
		{name: "opens soon: queued", at: time.Date(2026, 11, 23, 14, 45, 0, 0, time.UTC), req: Request{Lang: "es"}, agents: map[string]int{"mx-es": 1}, outcome: Queued, group: "mx-es", why: "within routing.opens_soon"},
		// Shanghai split shift: Monday 12:30 local (04:30 UTC) is lunch; opens at 13:00, within 30m.
		{name: "split shift lunch", at: time.Date(2026, 11, 23, 4, 30, 0, 0, time.UTC), req: Request{Lang: "zh"}, agents: map[string]int{"cn-zh": 1}, outcome: Queued, group: "cn-zh"},
		{name: "nobody speaks it", at: mon, req: Request{Lang: "ja"}, outcome: Assigned, group: "uk-en", agents: map[string]int{"uk-en": 1}, needsTr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock(tc.at)
			r, _ := newRouter(t, testRouting(), clk)
			for g, n := range tc.agents {
				for i := 0; i < n; i++ {
					connectAgent(r, fmt.Sprintf("%s-%d", g, i), "A", "agent", []string{g}, &sink{})
				}
				if tc.busy {
					a, _ := connectAgent(r, g+"-busy", "A", "agent", []string{g}, &sink{})
					r.mu.Lock()
					a.chats["x1"], a.chats["x2"], a.chats["x3"] = &chat{}, &chat{}, &chat{}
					r.mu.Unlock()
				}
			}
			r.mu.Lock()
			d, _, a := r.decide(r.plan, tc.req, tc.at)
			r.mu.Unlock()
			why := strings.Join(d.Why, "; ")
			if d.Outcome != tc.outcome || d.Group != tc.group || d.NeedsTranslation != tc.needsTr || (tc.why != "" && !strings.Contains(why, tc.why)) {
				t.Fatalf("decision %s %s (translate %v), why: %s", d.Outcome, d.Group, d.NeedsTranslation, why)
			}
			if (a != nil) != (tc.outcome == Assigned) {
				t.Fatalf("agent %v for outcome %s", a, d.Outcome)
			}
			if tc.opensAtH > 0 && d.OpensAt.Sub(tc.at) != time.Duration(tc.opensAtH)*time.Hour {
				t.Fatalf("opens at %s, %v after", d.OpensAt, d.OpensAt.Sub(tc.at))
			}
		})
	}
}

// connectAgent connects an agent and gives it queued chats, as the agent
// transport does after its welcome.
func connectAgent(r *Router, id, name, role string, groups []string, s Sink) (*Agent, []Assignment) {
	a, _, held := r.Connect(id, name, role, groups, false, s)
	r.Ready(a)
	return a, held
}

// busy connects an agent to group g whose chats are full, so the group has
// someone online but no room.
func busy(r *Router, g string) {
	a, _ := connectAgent(r, g+"-busy", "Busy", "agent", []string{g}, &sink{})
	r.mu.Lock()
	a.chats["x1"], a.chats["x2"], a.chats["x3"] = &chat{}, &chat{}, &chat{}
	r.mu.Unlock()
}

// escalate stores a session with one customer message and escalates it.
func escalate(t testing.TB, r *Router, st *session.Store, locale, text string, tier ...string) string {
	t.Helper()
	ctx := context.Background()
	cust := session.Customer{ID: "c"}
	if len(tier) > 0 {
		cust.Tier = tier[0]
	}
	m, err := st.Create(ctx, session.Meta{Locale: locale, TZ: "America/Mexico_City", Customer: cust})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := st.Post(ctx, session.Message{Session: m.ID, From: session.FromCustomer, CID: "c1", Text: text})
	if err != nil {
		t.Fatal(err)
	}
	r.route(convo.Escalation{Session: m.ID, Seq: msg.Seq, Reason: convo.ReasonRequested, Lang: locale})
	return m.ID
}

func TestRouteRecordsDecisionAndTellsCustomer(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)) // Saturday: closed
	r, st := newRouter(t, testRouting(), clk)
	id := escalate(t, r, st, "es-MX", "quiero hablar con alguien")
	meta, _ := st.Get(id)
	var d Decision
	if err := json.Unmarshal(meta.Route, &d); err != nil || d.Outcome != Message || len(d.Why) == 0 {
		t.Fatalf("stored decision %s: %v", meta.Route, err)
	}
	msgs, _ := st.Messages(id, 0, 0)
	last := msgs[len(msgs)-1]
	// Monday 09:00 in Mexico City is Monday 09:00 for this customer too.
	if last.From != session.FromSystem || last.Lang != "es" || !strings.Contains(last.Text, "lun 09:00") || last.Notice == nil || last.Notice.Kind != session.NoticeTeamClosed || !last.Notice.OpensAt.Equal(time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)) {
		t.Fatalf("notice %+v", last)
	}
}

func TestQueueThenAgentPulls(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	r, st := newRouter(t, testRouting(), clk)
	busy(r, "mx-es")
	plain := escalate(t, r, st, "es", "ayuda")
	vip := escalate(t, r, st, "es", "ayuda", "vip") // later, but VIP: first
	s := &sink{}
	a, _ := connectAgent(r, "ana", "Ana", "agent", []string{"mx-es"}, s)
	if s.count() != 2 || s.assigned[0].Session != vip || s.assigned[1].Session != plain {
		t.Fatalf("assigned %+v", s.assigned)
	}
	if len(s.assigned[0].History) == 0 {
		t.Fatal("assignment without history")
	}
	// Capacity 2: a third waits until one closes.
	third := escalate(t, r, st, "es", "ayuda")
	if s.count() != 2 {
		t.Fatal("over capacity")
	}
	if err := r.CloseChat(context.Background(), a, vip); err != nil {
		t.Fatal(err)
	}
	if s.count() != 3 || s.assigned[2].Session != third {
		t.Fatalf("after close: %+v", s.assigned)
	}
	if m, _ := st.Get(vip); convo.Handed(&m) {
		t.Fatal("closed chat not released to the bot")
	}
}

func TestLostAgentRequeuedAfterGrace(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	c := testRouting()
	c.AgentGrace = 50 * time.Millisecond
	r, st := newRouter(t, c, clk)
	s1 := &sink{}
	a1, _ := connectAgent(r, "ana", "Ana", "agent", []string{"mx-es"}, s1)
	id := escalate(t, r, st, "es", "ayuda")
	if s1.count() != 1 {
		t.Fatal("not assigned")
	}
	// Back within the grace period: still hers.
	r.Disconnect(a1, a1.conn)
	_, held := connectAgent(r, "ana", "Ana", "agent", []string{"mx-es"}, s1)
	if len(held) != 1 || held[0].Session != id {
		t.Fatalf("held after a quick reconnect: %+v", held)
	}
	// An old connection closing after the new one came does nothing.
	r.Disconnect(a1, a1.conn-1)
	r.mu.Lock()
	online := a1.online
	r.mu.Unlock()
	if !online {
		t.Fatal("a superseded connection's disconnect took the agent offline")
	}
	// Lost for longer: the chat goes to another agent.
	r.Disconnect(a1, a1.conn)
	s2 := &sink{}
	connectAgent(r, "bo", "Bo", "agent", []string{"mx-es"}, s2)
	deadline := time.Now().Add(5 * time.Second)
	for s2.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s2.count() != 1 || s2.assigned[0].Session != id {
		t.Fatalf("not requeued to bo: %+v", s2.assigned)
	}
}

// TestConcurrentAssignments: many chats escalated, closed and transferred
// at once never exceed an agent's capacity and never give a chat to two.
func TestConcurrentAssignments(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	c := testRouting()
	r, st := newRouter(t, c, clk)
	const agents, chats = 20, 300
	sinks := make([]*sink, agents)
	as := make([]*Agent, agents)
	for i := range sinks {
		sinks[i] = &sink{}
		as[i], _ = connectAgent(r, fmt.Sprintf("a%d", i), "A", "agent", []string{"mx-es", "refunds"}, sinks[i])
	}
	ids := make([]string, chats)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i] = escalate(t, r, st, "es", "ayuda")
		}()
	}
	// Agents close chats while more arrive.
	stop := make(chan struct{})
	var closers sync.WaitGroup
	for i := range as {
		closers.Add(1)
		go func() {
			defer closers.Done()
			for {
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
				if id != "" {
					r.CloseChat(context.Background(), as[i], id)
				}
				checkInvariants(t, r)
				time.Sleep(time.Millisecond)
			}
		}()
	}
	wg.Wait()
	close(stop)
	closers.Wait()
	checkInvariants(t, r)
	// Every chat was assigned at most once at a time; the totals add up.
	total := 0
	for _, s := range sinks {
		total += s.count()
	}
	r.mu.Lock()
	waiting := len(r.queues["mx-es"])
	r.mu.Unlock()
	if total+waiting != chats {
		t.Fatalf("%d assignments + %d waiting != %d chats", total, waiting, chats)
	}
}

func checkInvariants(t testing.TB, r *Router) {
	r.mu.Lock()
	defer r.mu.Unlock()
	owner := map[string]string{}
	for _, a := range r.agents {
		if len(a.chats) > 2 {
			t.Errorf("agent %s has %d chats, capacity 2", a.ID, len(a.chats))
		}
		for id := range a.chats {
			if o, dup := owner[id]; dup {
				t.Errorf("chat %s held by %s and %s", id, o, a.ID)
			}
			owner[id] = a.ID
		}
	}
	for g, q := range r.queues {
		for _, c := range q {
			if o, dup := owner[c.session]; dup {
				t.Errorf("chat %s queued in %s and held by %s", c.session, g, o)
			}
		}
	}
	// The deadline heap: indexes right, ordered, and only chats an agent
	// holds.
	for i, c := range r.dues {
		if c.hi != i+1 || i > 0 && c.due.Before(r.dues[(i-1)/2].due) {
			t.Errorf("deadline heap broken at %d (chat %s, index %d)", i, c.session, c.hi)
		}
		if r.chats[c.session] != c || c.agent == nil || c.agent.chats[c.session] != c {
			t.Errorf("deadline of chat %s that no agent holds", c.session)
		}
	}
}

// BenchmarkDecide is one routing decision with 1,000 agents in 100 groups.
func BenchmarkDecide(b *testing.B) {
	c := config.Default().Routing
	langs := []string{"en", "es", "zh", "de", "fr", "pt", "ar", "ja", "ko", "it"}
	zones := []string{"Europe/London", "America/Mexico_City", "Asia/Shanghai", "Europe/Berlin", "Europe/Paris", "America/Sao_Paulo", "Asia/Dubai", "Asia/Tokyo", "Asia/Seoul", "Asia/Kolkata"}
	regions := []string{"EMEA", "AMER", "APAC", "EMEA", "EMEA", "AMER", "EMEA", "APAC", "APAC", "APAC"}
	for i := 0; i < 100; i++ {
		c.Groups = append(c.Groups, config.AgentGroup{
			Name: fmt.Sprintf("g%d", i), Region: regions[i%10], Languages: []string{langs[i%10]},
			Skills: []string{fmt.Sprintf("s%d", i%7)}, TZ: zones[i%10], Hours: weekdays, Capacity: 3,
		})
	}
	c.IntentSkills = map[string]string{"return_refund": "s3"}
	c.FallbackLanguage = "en"
	clk := newClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	r, _ := newRouter(b, c, clk)
	for i := 0; i < 1000; i++ {
		g := fmt.Sprintf("g%d", i%100)
		connectAgent(r, fmt.Sprintf("a%d", i), "A", "agent", []string{g}, &sink{})
	}
	for _, bc := range []struct {
		name string
		req  Request
	}{
		{"skill+lang", Request{Lang: "es-MX", Intent: "return_refund", Text: "quiero devolver mi pedido"}},
		{"lang only", Request{Lang: "en-GB", Intent: "track_order", Text: "where is my order"}},
		{"fallback", Request{Lang: "sw", Text: "habari"}},
		// The customer's time zone: their region first, then the nearest
		// clock (regions.go).
		{"lang+tz", Request{Lang: "en-GB", TZ: "Europe/Madrid", Intent: "track_order", Text: "where is my order"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			now := clk.now()
			samples := make([]time.Duration, 0, 1<<16)
			b.ReportAllocs()
			for b.Loop() {
				start := time.Now()
				r.mu.Lock()
				r.decide(r.plan, bc.req, now)
				r.mu.Unlock()
				if len(samples) < cap(samples) {
					samples = append(samples, time.Since(start))
				}
			}
			b.ReportMetric(float64(p99(samples).Nanoseconds()), "p99-ns")
		})
	}
}

func p99(s []time.Duration) time.Duration {
	if len(s) == 0 {
		return 0
	}
	c := append([]time.Duration(nil), s...)
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	return c[len(c)*99/100]
}

func TestTransfer(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	r, st := newRouter(t, testRouting(), clk)
	s1, s2, s3 := &sink{}, &sink{}, &sink{}
	ana, _ := connectAgent(r, "ana", "Ana", "agent", []string{"mx-es"}, s1)
	connectAgent(r, "bo", "Bo", "agent", []string{"mx-es"}, s2)
	id := escalate(t, r, st, "es", "ayuda")
	holder, other := ana, "bo"
	if s1.count() == 0 {
		t.Fatal("ana, the first to connect, should have the first chat")
	}
	ctx := context.Background()
	if err := r.Transfer(ctx, holder, id, "nobody", ""); err != ErrNoAgent {
		t.Fatalf("to a missing agent: %v", err)
	}
	if err := r.Transfer(ctx, holder, id, other, ""); err != nil {
		t.Fatal(err)
	}
	if s2.count() != 1 || len(s1.dropped) != 1 || r.Owns(ana, id) {
		t.Fatalf("after transfer to bo: bo %d, ana dropped %v", s2.count(), s1.dropped)
	}
	bo := r.agent("bo")
	// To a group: its free agent, else its queue.
	connectAgent(r, "cy", "Cy", "agent", []string{"uk-en"}, s3)
	if err := r.Transfer(ctx, bo, id, "", "uk-en"); err != nil {
		t.Fatal(err)
	}
	if s3.count() != 1 || s3.assigned[0].Decision.Group != "uk-en" {
		t.Fatalf("cy %+v", s3.assigned)
	}
	if err := r.Transfer(ctx, bo, id, "", "uk-en"); err != ErrNotYours {
		t.Fatalf("transfer of a chat no longer held: %v", err)
	}
	meta, _ := st.Get(id)
	if !strings.Contains(string(meta.Route), "transferred by agent bo") {
		t.Fatalf("route %s", meta.Route)
	}
}

func TestReload(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	r, st := newRouter(t, testRouting(), clk)
	s := &sink{}
	connectAgent(r, "ana", "Ana", "agent", []string{"mx-es"}, s)
	first := escalate(t, r, st, "es", "ayuda")
	// Mexico City closes for the day by a new configuration; the chat
	// already assigned stays.
	c := testRouting()
	c.Groups[0].Overrides = map[string][]string{"2026-11-23": {}}
	if err := r.Reload(c); err != nil {
		t.Fatal(err)
	}
	escalate(t, r, st, "es", "ayuda")
	if s.count() != 1 || !r.Owns(r.agent("ana"), first) {
		t.Fatalf("after reload: %d assignments", s.count())
	}
	bad := testRouting()
	bad.Groups[0].Hours = map[string][]string{"mon": {"25:00-26:00"}}
	if err := r.Reload(bad); err == nil || !strings.Contains(err.Error(), "mon") {
		t.Fatalf("bad reload: %v", err)
	}
}

// TestQueuedUntilOpen: a chat queued for a group that opens soon gets the
// group's idle agent as soon as the group opens.
func TestQueuedUntilOpen(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 14, 59, 59, 500_000_000, time.UTC)) // 08:59:59.5 in Mexico City
	r, st := newRouter(t, testRouting(), clk)
	s := &sink{}
	connectAgent(r, "ana", "Ana", "agent", []string{"mx-es"}, s)
	escalate(t, r, st, "es", "ayuda")
	if s.count() != 0 {
		t.Fatal("assigned before the group opened")
	}
	clk.set(time.Date(2026, 11, 23, 15, 0, 1, 0, time.UTC))
	deadline := time.Now().Add(5 * time.Second)
	for s.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s.count() != 1 {
		t.Fatal("the queued chat did not reach the agent when the group opened")
	}
}

// agent returns the connected agent id.
func (r *Router) agent(id string) *Agent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.agents[id]
}
