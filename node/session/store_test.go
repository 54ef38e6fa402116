package session

import (
	"context"

	"errors"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	bolt "go.etcd.io/bbolt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func openTest(t testing.TB, opts Options) *Store {
	t.Helper()
	if opts.Path == "" {
		opts.Path = filepath.Join(t.TempDir(), "sessions.db")
	}
	if _, isTest := t.(*testing.T); isTest && opts.CompactAt == 0 {
		// Tests compact often, so every read merges log and compacted data.
		opts.CompactAt, opts.CompactChunk = 16, 6
	}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

func mustCreate(t testing.TB, s *Store) Meta {
	t.Helper()
	m, err := s.Create(context.Background(), Meta{Channel: "web", Customer: Customer{ID: "c1"}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func customerMsg(sid, cid, text string) Message {
	return Message{Session: sid, From: FromCustomer, CID: cid, Text: text}
}

func TestSeqNoGapsUnderConcurrency(t *testing.T) {
	s := openTest(t, Options{MaxBatch: 64, Shards: 3})
	ctx := context.Background()
	const sessions, perSession = 8, 200
	ids := make([]string, sessions)
	for i := range ids {
		ids[i] = mustCreate(t, s).ID
	}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perSession/2; i++ {
				sid := ids[(w+i)%sessions]
				if _, err := s.Post(ctx, customerMsg(sid, fmt.Sprintf("w%d-%d", w, i), "hi")); err != nil {
					failed.Add(1)
				}
			}
		}(w)
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d posts failed", failed.Load())
	}
	total := 0
	for _, id := range ids {
		msgs, err := s.Messages(id, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range msgs {
			if m.Seq != uint64(i+1) {
				t.Fatalf("session %s: message %d has seq %d", id, i, m.Seq)
			}
		}
		meta, _ := s.Get(id)
		if meta.LastSeq != uint64(len(msgs)) {
			t.Fatalf("meta.LastSeq %d, %d messages", meta.LastSeq, len(msgs))
		}
		total += len(msgs)
	}
	if total != 16*perSession/2 {
		t.Fatalf("stored %d messages, want %d", total, 16*perSession/2)
	}
}

func TestDuplicateCID(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	sid := mustCreate(t, s).ID
	a, err := s.Post(ctx, customerMsg(sid, "c-1", "first"))
	if err != nil {
		t.Fatal(err)
	}
	s.Post(ctx, customerMsg(sid, "c-2", "second"))
	// Two submits of the same cid in one batch, and one after: one stored.
	var wg sync.WaitGroup
	results := make(chan Result, 3)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		s.Submit(ctx, customerMsg(sid, "c-3", "third"), 0, func(r Result) { results <- r; wg.Done() })
	}
	wg.Wait()
	close(results)
	dups, seqs := 0, map[uint64]bool{}
	for r := range results {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if r.Duplicate {
			dups++
		}
		seqs[r.Msg.Seq] = true
	}
	if dups != 2 || len(seqs) != 1 {
		t.Fatalf("dups=%d seqs=%v, want 2 duplicates of one seq", dups, seqs)
	}
	again, err := s.Post(ctx, customerMsg(sid, "c-1", "first, resent"))
	if err != nil {
		t.Fatal(err)
	}
	if again.Seq != a.Seq || again.Text != "first" {
		t.Fatalf("resend = seq %d %q, want original seq %d", again.Seq, again.Text, a.Seq)
	}
	msgs, _ := s.Messages(sid, 0, 0)
	if len(msgs) != 3 {
		t.Fatalf("%d messages stored, want 3", len(msgs))
	}
}

func TestPersistsAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sid := mustCreate(t, s).ID
	for i := 0; i < 5; i++ {
		s.Post(ctx, customerMsg(sid, fmt.Sprint(i), "x"))
	}
	s.Post(ctx, Message{Session: sid, From: FromBot, Text: "hello", Intent: "greeting", Confidence: 0.9, Lang: "en"})
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Post(ctx, customerMsg(sid, "late", "x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Post after Close: %v, want ErrClosed", err)
	}
	s2 := openTest(t, Options{Path: path})
	if s2.Sessions() != 1 {
		t.Fatalf("Sessions() = %d", s2.Sessions())
	}
	msgs, err := s2.Messages(sid, 3, 0)
	if err != nil || len(msgs) != 3 || msgs[0].Seq != 4 || msgs[2].From != FromBot || msgs[2].Intent != "greeting" {
		t.Fatalf("after reopen: %v %+v", err, msgs)
	}
	m, _ := s2.Post(ctx, customerMsg(sid, "new", "x"))
	if m.Seq != 7 {
		t.Fatalf("seq after reopen = %d, want 7", m.Seq)
	}
}

func TestErrors(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	if _, err := s.Post(ctx, customerMsg("s_missing", "c", "x")); !errors.Is(err, ErrNoSession) {
		t.Fatalf("unknown session: %v", err)
	}
	if _, err := s.Messages("s_missing", 0, 0); !errors.Is(err, ErrNoSession) {
		t.Fatalf("Messages unknown session: %v", err)
	}
	sid := mustCreate(t, s).ID
	bad := []Message{
		{Session: sid, From: FromCustomer, Text: "no cid"},
		{Session: sid, From: "robot", Text: "x"},
		{Session: sid, From: FromBot},
		{Session: "bad id\x00", From: FromBot, Text: "x"},
		{Session: sid, From: FromBot, Text: "\xff"},
	}
	for _, m := range bad {
		if _, err := s.Post(ctx, m); !errors.Is(err, ErrInvalid) {
			t.Errorf("Post(%+v) = %v, want ErrInvalid", m, err)
		}
	}
	// A bad op in a batch does not fail its neighbours.
	var wg sync.WaitGroup
	var okCount, noSess atomic.Int32
	for i := 0; i < 50; i++ {
		wg.Add(1)
		id := sid
		if i%2 == 1 {
			id = "s_gone"
		}
		s.Submit(ctx, customerMsg(id, fmt.Sprint(i), "x"), 0, func(r Result) {
			switch {
			case r.Err == nil:
				okCount.Add(1)
			case errors.Is(r.Err, ErrNoSession):
				noSess.Add(1)
			}
			wg.Done()
		})
	}
	wg.Wait()
	if okCount.Load() != 25 || noSess.Load() != 25 {
		t.Fatalf("ok=%d no_session=%d", okCount.Load(), noSess.Load())
	}
}

type recorder struct {
	id  uint64
	mu  sync.Mutex
	got []uint64
}

func (r *recorder) ID() uint64 { return r.id }
func (r *recorder) Deliver(ev *Event) {
	r.mu.Lock()
	r.got = append(r.got, ev.Msg.Seq)
	r.mu.Unlock()
}

type countObserver struct{ n atomic.Int64 }

func (c *countObserver) OnMessage(*Message) { c.n.Add(1) }

func TestSubscribersInOrderAndOriginExcluded(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	obs := &countObserver{}
	s.AddObserver(obs)
	sid := mustCreate(t, s).ID
	a, b := &recorder{id: 1}, &recorder{id: 2}
	s.Subscribe(sid, a)
	s.Subscribe(sid, b)
	if !s.Connected(sid) {
		t.Fatal("Connected = false")
	}
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		s.Submit(ctx, customerMsg(sid, fmt.Sprint(i), "x"), 1, func(Result) { wg.Done() })
	}
	wg.Wait()
	s.Post(ctx, Message{Session: sid, From: FromBot, Text: "bot"})
	if len(a.got) != 1 || a.got[0] != 101 {
		t.Fatalf("origin subscriber got %v, want only the bot message 101", a.got)
	}
	if len(b.got) != 101 {
		t.Fatalf("other subscriber got %d messages", len(b.got))
	}
	for i, seq := range b.got {
		if seq != uint64(i+1) {
			t.Fatalf("delivery %d has seq %d", i, seq)
		}
	}
	if obs.n.Load() != 101 {
		t.Fatalf("observer saw %d", obs.n.Load())
	}
	s.Unsubscribe(sid, a)
	s.Unsubscribe(sid, b)
	if s.Connected(sid) {
		t.Fatal("Connected after unsubscribe")
	}
}

func TestSweepExpiresIdleSessions(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	s := openTest(t, Options{Now: clock})
	ctx := context.Background()
	var ids []string
	for i := 0; i < 25; i++ {
		ids = append(ids, mustCreate(t, s).ID)
		s.Post(ctx, customerMsg(ids[i], "c", "x"))
	}
	now.Add(int64(48 * time.Hour))
	fresh := mustCreate(t, s).ID
	s.Post(ctx, customerMsg(ids[0], "c2", "still here")) // activity moves it forward
	live := &recorder{id: 9}
	s.Subscribe(ids[1], live) // connected sessions are never swept
	now.Add(int64(30 * time.Hour))
	cutoff := clock().Add(-72 * time.Hour)
	total := 0
	for {
		n, err := s.Sweep(cutoff, 10)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if n < 10 {
			break
		}
	}
	if total != 23 {
		t.Fatalf("swept %d, want 23", total)
	}
	for _, id := range []string{ids[0], ids[1], fresh} {
		if _, err := s.Get(id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	if _, err := s.Messages(ids[2], 0, 0); !errors.Is(err, ErrNoSession) {
		t.Fatalf("swept session still readable: %v", err)
	}
	if s.Sessions() != 3 {
		t.Fatalf("Sessions() = %d", s.Sessions())
	}
	// A new message with a swept session's cid is not a duplicate of anything.
	if _, err := s.Post(ctx, customerMsg(ids[2], "c", "x")); !errors.Is(err, ErrNoSession) {
		t.Fatalf("post to swept session: %v", err)
	}
}

func TestUpdateAndClose(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	sid := mustCreate(t, s).ID
	m, err := s.Update(ctx, sid, func(m *Meta) error { m.AckSeq = 3; m.LastSeq = 99; m.Locale = "es-MX"; return nil })
	if err != nil || m.AckSeq != 3 || m.LastSeq != 0 || m.Locale != "es-MX" {
		t.Fatalf("Update = %+v, %v", m, err)
	}
	if _, err := s.Update(ctx, sid, func(*Meta) error { return errors.New("no") }); err == nil {
		t.Fatal("refused update returned nil")
	}
	if _, err := s.Create(ctx, Meta{ID: sid}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Create existing id: %v", err)
	}
}

// BenchmarkSubmitParallel measures group-committed customer messages: every
// op is fsynced before its callback runs.
func BenchmarkSubmitParallel(b *testing.B) {
	reg := prometheus.NewRegistry()
	s := openTest(b, Options{Metrics: NewMetrics(reg)})
	ctx := context.Background()
	ids := make([]string, 256)
	for i := range ids {
		ids[i] = mustCreate(b, s).ID
	}
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(64)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		done := make(chan Result, 1)
		for pb.Next() {
			i := n.Add(1)
			s.Submit(ctx, customerMsg(ids[i%256], fmt.Sprint(i), "where is my order 12345"), 0, func(r Result) { done <- r })
			if r := <-done; r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	var m dto.Metric
	s.opts.Metrics.CommitSeconds.(prometheus.Metric).Write(&m)
	h := m.GetHistogram()
	b.ReportMetric(h.GetSampleSum()/float64(h.GetSampleCount())*1e6, "µs/commit")
	b.ReportMetric(float64(b.N)/float64(h.GetSampleCount()), "msgs/commit")
}

func TestShards(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sessions.db")
	s, err := Open(Options{Path: path, Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ids []string
	for i := 0; i < 40; i++ {
		id := mustCreate(t, s).ID
		ids = append(ids, id)
		for j := 0; j < 3; j++ {
			if _, err := s.Post(ctx, customerMsg(id, fmt.Sprint(j), "x")); err != nil {
				t.Fatal(err)
			}
		}
	}
	if s.Sessions() != 40 {
		t.Fatalf("Sessions() = %d", s.Sessions())
	}
	used := map[*shard]bool{}
	for _, id := range ids {
		used[s.pick(id)] = true
	}
	if len(used) != 4 {
		t.Fatalf("sessions landed in %d of 4 shards", len(used))
	}
	s.Close(ctx)
	files, _ := filepath.Glob(filepath.Join(dir, "sessions-*-of-4.db"))
	if len(files) != 4 {
		t.Fatalf("shard files: %v", files)
	}
	if _, err := Open(Options{Path: path, Shards: 2}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("reopen with another shard count: %v", err)
	}
	if _, err := Open(Options{Path: path}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("reopen unsharded: %v", err)
	}
	s2 := openTest(t, Options{Path: path, Shards: 4})
	if s2.Sessions() != 40 {
		t.Fatalf("after reopen Sessions() = %d", s2.Sessions())
	}
	for _, id := range ids {
		msgs, err := s2.Messages(id, 0, 0)
		if err != nil || len(msgs) != 3 {
			t.Fatalf("%s: %d messages, %v", id, len(msgs), err)
		}
	}
	n, err := s2.Sweep(time.Now().Add(time.Hour), 100)
	if err != nil || n != 40 || s2.Sessions() != 0 {
		t.Fatalf("sweep all: %d %v, left %d", n, err, s2.Sessions())
	}
}

// TestLogCompaction drives the log-structured write path with tiny
// compaction thresholds, so reads merge compacted and logged messages.
func TestLogCompaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	opts := Options{Path: path, CompactAt: 8, CompactChunk: 5, MaxBatch: 7}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ids := []string{mustCreate(t, s).ID, mustCreate(t, s).ID, mustCreate(t, s).ID}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var readErr atomic.Value
	wg.Add(1)
	go func() { // concurrent readers always see a gapless prefix
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, id := range ids {
				msgs, err := s.Messages(id, 0, 0)
				if err != nil {
					readErr.Store(err)
					return
				}
				for i, m := range msgs {
					if m.Seq != uint64(i+1) {
						readErr.Store(fmt.Errorf("%s: read seq %d at %d", id, m.Seq, i))
						return
					}
				}
			}
		}
	}()
	const per = 40
	for i := 0; i < per; i++ {
		for _, id := range ids {
			var done sync.WaitGroup
			done.Add(2)
			cid := fmt.Sprint("c", i)
			for k := 0; k < 2; k++ { // the same cid twice in flight
				s.Submit(ctx, customerMsg(id, cid, fmt.Sprint(i)), 0, func(Result) { done.Done() })
			}
			done.Wait()
		}
	}
	close(stop)
	wg.Wait()
	if err := readErr.Load(); err != nil {
		t.Fatal(err)
	}
	check := func(s *Store) {
		t.Helper()
		for _, id := range ids {
			msgs, err := s.Messages(id, 0, 0)
			if err != nil || len(msgs) != per {
				t.Fatalf("%s: %d messages, %v", id, len(msgs), err)
			}
			for i, m := range msgs {
				if m.Seq != uint64(i+1) || m.CID != fmt.Sprint("c", i) {
					t.Fatalf("%s: message %d = seq %d cid %s", id, i, m.Seq, m.CID)
				}
			}
			if tail, _ := s.Messages(id, per-3, 2); len(tail) != 2 || tail[0].Seq != per-2 {
				t.Fatalf("Messages(after, limit) = %+v", tail)
			}
			meta, _ := s.Get(id)
			if meta.LastSeq != per {
				t.Fatalf("LastSeq %d", meta.LastSeq)
			}
			// Old (compacted) and recent (logged) cids are both duplicates.
			for _, cid := range []string{"c0", fmt.Sprint("c", per-1)} {
				r, err := s.Post(ctx, customerMsg(id, cid, "again"))
				if err != nil || r.Text == "again" {
					t.Fatalf("resend %s: %+v %v", cid, r, err)
				}
			}
		}
	}
	check(s)
	sh := s.shards[0]
	if sh.tail.n >= 8+7 {
		t.Fatalf("log not compacted: %d entries", sh.tail.n)
	}
	var logKeys int
	sh.db.View(func(tx *bolt.Tx) error { logKeys = tx.Bucket(bucketLog).Stats().KeyN; return nil })
	if logKeys > 40 {
		t.Fatalf("log not trimmed: %d keys for %d messages", logKeys, 3*per)
	}
	s.Close(ctx)
	s2 := openTest(t, opts)
	check(s2)
	if r, _ := s2.Post(ctx, customerMsg(ids[0], "new", "x")); r.Seq != per+1 {
		t.Fatalf("seq after reopen %d", r.Seq)
	}
	// Sweeping removes logged and compacted messages alike.
	if n, err := s2.Sweep(time.Now().Add(time.Hour), 10); err != nil || n != 3 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	if s2.shards[0].tail.n != 0 {
		t.Fatalf("tail keeps %d entries of swept sessions", s2.shards[0].tail.n)
	}
}
