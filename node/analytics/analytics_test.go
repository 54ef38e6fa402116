package analytics

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/node/convo"
	"github.com/edgedesk/edgedesk/node/session"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var t0 = time.Date(2026, 12, 3, 14, 30, 0, 0, time.UTC)

func open(t *testing.T, path string, clk *clock) *Analytics {
	t.Helper()
	a, err := New(Options{Path: path, Node: "edge-1", Clock: clk.Now, Groups: func() []string { return []string{"uk-en", "mx-es"} }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(context.Background()) })
	return a
}

func customer(id string, seq uint64, at time.Time, intent string) *session.Message {
	return &session.Message{Session: id, Seq: seq, From: session.FromCustomer, CID: "c" + string(rune('0'+seq)), Text: "hi", Intent: intent, TS: at}
}

func bot(id string, seq uint64, at time.Time) *session.Message {
	return &session.Message{Session: id, Seq: seq, From: session.FromBot, Text: "answer", TS: at}
}

func notice(id string, seq uint64, at time.Time, n *session.Notice) *session.Message {
	return &session.Message{Session: id, Seq: seq, From: session.FromSystem, Text: "…", Notice: n, TS: at}
}

// play feeds a day of three conversations the way the store delivers
// them: a bot-answered one, one handed to an agent of uk-en who answers,
// closes and is rated 5, and one the model did not understand.
func play(a *Analytics) {
	ana := &session.AgentRef{ID: "ana", Name: "Ana"}
	at := t0.Add(-20 * time.Minute)
	a.OnMessage(customer("s1", 1, at, "track_order"))
	a.OnMessage(bot("s1", 2, at))

	a.OnMessage(customer("s2", 1, at, "talk_to_human"))
	a.OnMessage(bot("s2", 2, at))
	a.OnNote(&session.Note{Session: "s2", Seq: 1, Kind: convo.NoteEscalate, Attrs: map[string]string{"reason": "requested", "intent": "talk_to_human"}, TS: at})
	a.OnMessage(notice("s2", 3, at.Add(time.Second), &session.Notice{Kind: session.NoticeQueued, Group: "uk-en"}))
	joined := at.Add(10 * time.Second)
	a.OnMessage(notice("s2", 4, joined, &session.Notice{Kind: session.NoticeAgentJoined, Group: "uk-en", Agent: ana}))
	a.OnMessage(&session.Message{Session: "s2", Seq: 5, From: session.FromAgent, Text: "Hello", Agent: ana, TS: joined.Add(25 * time.Second)})
	a.OnMessage(&session.Message{Session: "s2", Seq: 6, From: session.FromAgent, Text: "More", Agent: ana, TS: joined.Add(90 * time.Second)})
	a.OnMessage(customer("s2", 7, joined.Add(100*time.Second), "thanks"))
	a.OnMessage(notice("s2", 8, joined.Add(400*time.Second), &session.Notice{Kind: session.NoticeChatClosed, Group: "uk-en", Agent: ana}))
	a.OnNote(&session.Note{Session: "s2", Seq: 8, Kind: session.NoteCSAT, Attrs: map[string]string{"score": "5", "group": "uk-en", "agent": "ana"}, TS: joined.Add(420 * time.Second)})

	a.OnMessage(customer("s3", 1, at, "oos"))
	// A re-route after a restart is the same hand-over: not counted.
	a.OnNote(&session.Note{Session: "s3", Seq: 1, Kind: convo.NoteEscalate, Attrs: map[string]string{"reason": "requested", "rerouted": "1"}, TS: at})
}

func TestAggregation(t *testing.T) {
	clk := &clock{t: t0}
	a := open(t, filepath.Join(t.TempDir(), "analytics.db"), clk)
	play(a)
	st, err := a.Query(Query{From: t0.Add(-24 * time.Hour), To: t0})
	if err != nil {
		t.Fatal(err)
	}
	tot := st.Totals
	if tot.Conversations != 3 || tot.BotResolved != 2 || tot.Handovers != 1 || tot.HandoversByReason["requested"] != 1 || len(tot.HandoversByReason) != 1 {
		t.Errorf("conversations %d, bot resolved %d, handovers %d %v; want 3, 2, 1 {requested:1}", tot.Conversations, tot.BotResolved, tot.Handovers, tot.HandoversByReason)
	}
	if math.Abs(tot.BotResolutionRate-2.0/3) > 1e-9 {
		t.Errorf("bot resolution rate %v", tot.BotResolutionRate)
	}
	// s1: 2; s2: customer, bot, two agent messages, customer (not the
	// notices); s3: 1.
	if tot.Messages != 8 {
		t.Errorf("messages %d, want 8", tot.Messages)
	}
	want := map[string]uint64{"track_order": 1, "talk_to_human": 1, "thanks": 1}
	for _, list := range [][]IntentCount{tot.TopIntentsHour, tot.TopIntentsDay} {
		if len(list) != len(want) {
			t.Errorf("top intents %v, want %v (no oos)", list, want)
		}
		for _, ic := range list {
			if want[ic.Intent] != ic.Count {
				t.Errorf("top intents %v, want %v", list, want)
			}
		}
	}
	if tot.CSAT.Count != 1 || tot.CSAT.Average != 5 || tot.CSAT.ByScore["5"] != 1 || len(tot.CSAT.ByScore) != 5 {
		t.Errorf("csat %+v", tot.CSAT)
	}
	if len(st.Series) != 25 || !st.Series[0].Hour.Equal(time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)) || !st.Series[24].Hour.Equal(time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)) {
		t.Fatalf("series of %d hours from %v", len(st.Series), st.Series[0].Hour)
	}
	if s := st.Series[24]; s.Conversations != 3 || s.Handovers != 1 || s.CSATCount != 1 || s.CSATSum != 5 || s.Messages != 8 {
		t.Errorf("this hour %+v", s)
	}
	if s := st.Series[0]; s.Conversations != 0 || s.Messages != 0 {
		t.Errorf("an empty hour %+v", s)
	}
	var uk *GroupStats
	for i := range st.Groups {
		if st.Groups[i].Name == "uk-en" {
			uk = &st.Groups[i]
		}
	}
	if uk == nil || len(st.Groups) != 2 {
		t.Fatalf("groups %+v, want uk-en and mx-es", st.Groups)
	}
	// 25 s to the first answer: within the (20, 30] bucket; 400 s of
	// handling: within (300, 420].
	if uk.Handovers != 1 || uk.FirstResponseMedianSeconds <= 20 || uk.FirstResponseMedianSeconds > 30 ||
		uk.HandleMedianSeconds <= 300 || uk.HandleMedianSeconds > 420 || uk.CSAT.Count != 1 || uk.CSAT.Average != 5 {
		t.Errorf("uk-en %+v", *uk)
	}
	// The group's view: its own buckets.
	gs, err := a.Query(Query{From: t0.Add(-time.Hour), To: t0, Group: "uk-en"})
	if err != nil {
		t.Fatal(err)
	}
	if gs.Totals.Conversations != 1 || gs.Totals.Handovers != 1 || gs.Totals.BotResolved != 0 || gs.Totals.Messages != 3 || len(gs.Groups) != 1 || len(gs.Forecast) != 1 {
		t.Errorf("uk-en only: %+v groups %d forecast %d", gs.Totals, len(gs.Groups), len(gs.Forecast))
	}
	// One line of JSON with the documented names.
	b, _ := json.Marshal(st)
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"node", "from", "to", "generated_at", "now", "totals", "groups", "series", "forecast"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
}

func TestQueryErrors(t *testing.T) {
	clk := &clock{t: t0}
	a := open(t, filepath.Join(t.TempDir(), "analytics.db"), clk)
	for name, q := range map[string]Query{
		"reversed":         {From: t0, To: t0.Add(-time.Hour)},
		"empty":            {From: t0, To: t0},
		"before retention": {From: t0.Add(-36 * 24 * time.Hour), To: t0},
		"future":           {From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour)},
		"too long":         {From: t0.Add(-time.Hour), To: t0.Add(100 * 365 * 24 * time.Hour)},
	} {
		if _, err := a.Query(q); !errorsIs(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if _, err := a.Query(Query{From: t0.Add(-time.Hour), To: t0, Group: "nope"}); !errorsIs(err, ErrUnknownGroup) {
		t.Errorf("unknown group: %v", err)
	}
}

func TestRestartReloads(t *testing.T) {
	clk := &clock{t: t0}
	path := filepath.Join(t.TempDir(), "analytics.db")
	a, err := New(Options{Path: path, Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	play(a)
	before, _ := a.Query(Query{From: t0.Add(-24 * time.Hour), To: t0})
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	b := open(t, path, clk)
	after, err := b.Query(Query{From: t0.Add(-24 * time.Hour), To: t0})
	if err != nil {
		t.Fatal(err)
	}
	before.Now, after.Now = Now{}, Now{}
	before.Node = after.Node
	before.Groups, after.Groups = nil, nil // the second has configured groups
	before.Forecast, after.Forecast = nil, nil
	before.Totals.TopIntentsHour, after.Totals.TopIntentsHour = nil, nil // minutes are memory only
	x, _ := json.Marshal(before)
	y, _ := json.Marshal(after)
	if string(x) != string(y) {
		t.Fatalf("after a restart:\n%s\nbefore:\n%s", y, x)
	}
	if after.Totals.Conversations != 3 {
		t.Fatalf("conversations %d after restart", after.Totals.Conversations)
	}
}

func TestPrune(t *testing.T) {
	clk := &clock{t: t0}
	a, err := New(Options{Path: filepath.Join(t.TempDir(), "analytics.db"), Clock: clk.Now, Retention: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	a.OnMessage(customer("old", 1, t0.Add(-72*time.Hour), "track_order"))
	a.OnMessage(customer("new", 1, t0, "track_order"))
	if err := a.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := a.Prune(); err != nil {
		t.Fatal(err)
	}
	var n int
	a.db.View(func(tx *bboltTx) error { n = tx.Bucket(bucketHours).Stats().KeyN; return nil })
	if n != 1 || len(a.buckets) != 1 {
		t.Fatalf("%d buckets on disk, %d in memory after pruning; want 1", n, len(a.buckets))
	}
}

func TestForecast(t *testing.T) {
	clk := &clock{t: t0}
	a, err := New(Options{Path: filepath.Join(t.TempDir(), "analytics.db"), Clock: clk.Now,
		Groups:    func() []string { return []string{"uk-en"} },
		Target:    func(string) (float64, time.Duration) { return 0.8, 20 * time.Second },
		Scheduled: func(g string, at time.Time) int { return map[bool]int{true: 12, false: 0}[at.Hour() < 20] },
		Open:      func(g string, at time.Time) bool { return at.Hour() < 20 },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	next := time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)
	week := 7 * 24 * time.Hour
	// Two weeks of history at 15:00: 220 and 180 chats, 180 s each
	// (Call Centre Helper's example: 200 an hour, 3 minutes, 80% in 20 s
	// needs 14 agents).
	for w, n := range map[int]int{1: 220, 2: 180} {
		h := next.Add(-time.Duration(w) * week)
		c := &Counts{Handovers: uint64(n)}
		for range n {
			c.Handle.Add(180 * time.Second)
		}
		c.HandleSum = 180 * float64(n)
		a.mu.Lock()
		a.buckets[key{h.Unix(), "uk-en"}] = c
		a.since = min(a.since, h.Unix())
		a.mu.Unlock()
	}
	st, err := a.Query(Query{From: t0.Add(-time.Hour), To: t0})
	if err != nil {
		t.Fatal(err)
	}
	f := st.Forecast[0]
	if f.Group != "uk-en" || f.Weeks != 2 || len(f.Hours) != 24 || f.ServiceLevel != 0.8 || f.AnswerWithinSeconds != 20 {
		t.Fatalf("forecast %+v", f)
	}
	h := f.Hours[0]
	if !h.Hour.Equal(next) || h.Arrivals != 200 || h.HandleSeconds != 180 || h.AgentsNeeded != 14 || h.AgentsScheduled != 12 || !h.Open || !h.Short || h.Weeks != 2 {
		t.Errorf("15:00 %+v; want 200 arrivals, 180 s, 14 needed, 12 scheduled, short, 2 weeks", h)
	}
	// An hour without history needs nobody; after 20:00 the group is closed.
	if h := f.Hours[6]; h.Arrivals != 0 || h.AgentsNeeded != 0 || h.Open || h.AgentsScheduled != 0 || h.Short {
		t.Errorf("21:00 %+v", h)
	}
}

// BenchmarkOnMessage is the cost on the store's committing goroutine of a
// customer message and the bot's answer in a known session.
func BenchmarkOnMessage(b *testing.B) {
	clk := &clock{t: t0}
	a, err := New(Options{Path: filepath.Join(b.TempDir(), "analytics.db"), Clock: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close(context.Background())
	m := customer("s1", 1, t0, "track_order")
	r := bot("s1", 2, t0)
	a.OnMessage(m)
	b.ReportAllocs()
	for b.Loop() {
		a.OnMessage(m)
		a.OnMessage(r)
	}
}

// FuzzDBKey: any bbolt key parses or is refused without panicking, and a
// parsed key writes back as itself.
func FuzzDBKey(f *testing.F) {
	f.Add([]byte("2026120314/uk-en"))
	f.Add([]byte("2026120314/"))
	f.Add([]byte("20261203xx/uk-en"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, ok := parseDBKey(b)
		if !ok {
			return
		}
		if got := string(k.dbKey()); got != string(b) {
			t.Fatalf("%q parsed as %+v writes %q", b, k, got)
		}
	})
}

// A transfer ends the first agent's handling and counts an arrival in the
// new group; a customer who writes after the close starts a new
// conversation; a hand-over an hour after the conversation began takes
// the bot's resolution back from the hour it began in.
func TestTransferCloseAndReopen(t *testing.T) {
	clk := &clock{t: t0}
	a := open(t, filepath.Join(t.TempDir(), "analytics.db"), clk)
	ana, bo := &session.AgentRef{ID: "ana"}, &session.AgentRef{ID: "bo"}
	start := t0.Add(-90 * time.Minute) // 13:00
	a.OnMessage(customer("s", 1, start, "track_order"))
	later := start.Add(50 * time.Minute) // 13:50, still the same conversation
	a.OnMessage(customer("s", 2, later, "talk_to_human"))
	a.OnNote(&session.Note{Session: "s", Seq: 2, Kind: convo.NoteEscalate, Attrs: map[string]string{"reason": "negative"}, TS: later})
	at := t0.Add(-20 * time.Minute) // 14:10
	a.OnMessage(notice("s", 3, at, &session.Notice{Kind: session.NoticePickedUp, Group: "uk-en", Agent: ana}))
	a.OnMessage(notice("s", 4, at.Add(100*time.Second), &session.Notice{Kind: session.NoticeQueued, Group: "mx-es"}))
	a.OnMessage(notice("s", 5, at.Add(110*time.Second), &session.Notice{Kind: session.NoticeAgentJoined, Group: "mx-es", Agent: bo}))
	a.OnMessage(&session.Message{Session: "s", Seq: 6, From: session.FromAgent, Text: "hola", Agent: bo, TS: at.Add(115 * time.Second)})
	a.OnMessage(notice("s", 7, at.Add(200*time.Second), &session.Notice{Kind: session.NoticeChatClosed, Group: "mx-es", Agent: bo}))
	a.OnMessage(customer("s", 8, at.Add(300*time.Second), "track_order"))

	st, err := a.Query(Query{From: t0.Add(-2 * time.Hour), To: t0})
	if err != nil {
		t.Fatal(err)
	}
	if st.Totals.Conversations != 2 || st.Totals.BotResolved != 1 || st.Totals.Handovers != 1 || st.Totals.HandoversByReason["negative"] != 1 {
		t.Errorf("totals %+v", st.Totals)
	}
	// 13:00 started a conversation later handed over; 14:00 one the bot kept.
	if s := st.Series[1]; !s.Hour.Equal(start.Truncate(time.Hour)) || s.Conversations != 1 || s.BotResolved != 0 || s.Handovers != 1 {
		t.Errorf("13:00 %+v", s)
	}
	if s := st.Series[2]; s.Conversations != 1 || s.BotResolved != 1 {
		t.Errorf("14:00 %+v", s)
	}
	uk, mx := st.Groups[1], st.Groups[0]
	if uk.Name != "uk-en" || uk.Handovers != 1 || uk.HandleMedianSeconds <= 90 || uk.HandleMedianSeconds > 120 || uk.FirstResponseMedianSeconds != 0 {
		t.Errorf("uk-en (ana, transferred after 100 s without answering) %+v", uk)
	}
	if mx.Name != "mx-es" || mx.Handovers != 1 || mx.FirstResponseMedianSeconds <= 0 || mx.FirstResponseMedianSeconds > 5 || mx.HandleMedianSeconds <= 60 || mx.HandleMedianSeconds > 90 {
		t.Errorf("mx-es (bo: answered in 5 s, closed after 90 s) %+v", mx)
	}
	ms, _ := a.Query(Query{From: t0.Add(-2 * time.Hour), To: t0, Group: "mx-es"})
	if ms.Totals.HandoversByReason["transfer"] != 1 {
		t.Errorf("mx-es reasons %v", ms.Totals.HandoversByReason)
	}
}

// After a restart, a chat taken up again is followed from its next notice
// without counting a second arrival; its agent's answers count.
func TestChatFromBeforeRestart(t *testing.T) {
	clk := &clock{t: t0}
	a := open(t, filepath.Join(t.TempDir(), "analytics.db"), clk)
	ana := &session.AgentRef{ID: "ana"}
	at := t0.Add(-10 * time.Minute)
	a.OnMessage(notice("old", 9, at, &session.Notice{Kind: session.NoticePickedUp, Group: "uk-en", Agent: ana}))
	a.OnMessage(&session.Message{Session: "old", Seq: 10, From: session.FromAgent, Text: "back", Agent: ana, TS: at.Add(40 * time.Second)})
	st, _ := a.Query(Query{From: t0.Add(-time.Hour), To: t0, Group: "uk-en"})
	if st.Totals.Handovers != 0 || st.Totals.Messages != 1 || st.Groups[0].FirstResponseMedianSeconds <= 30 || st.Groups[0].FirstResponseMedianSeconds > 45 {
		t.Fatalf("uk-en %+v %+v", st.Totals, st.Groups[0])
	}
}
