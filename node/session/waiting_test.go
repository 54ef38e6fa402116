package session

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// TestWaitingIndex: sessions waiting for people are listed from their
// index, across shards, a reopen and the sweeper; nothing else is.
func TestWaitingIndex(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	path := filepath.Join(t.TempDir(), "sessions.db")
	s := openTest(t, Options{Path: path, Shards: 3, Now: clock})
	ctx := context.Background()
	var ids []string
	for i := 0; i < 30; i++ {
		ids = append(ids, mustCreate(t, s).ID)
	}
	wait := func(id string, on bool) {
		t.Helper()
		if _, err := s.Update(ctx, id, func(m *Meta) error {
			m.Waiting = nil
			if on {
				m.Waiting = &Waiting{Since: clock(), Seq: 1, Lang: "es", Reason: "requested"}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids[:10] {
		wait(id, true)
	}
	wait(ids[0], true) // again: still one entry
	wait(ids[1], false)
	for _, id := range ids[10:] { // messages and other updates leave the index alone
		if _, err := s.Post(ctx, customerMsg(id, "c", "hi")); err != nil {
			t.Fatal(err)
		}
	}
	want := append([]string(nil), ids[0:1]...)
	want = append(want, ids[2:10]...)
	check := func(s *Store, want []string) {
		t.Helper()
		got, err := s.Waiting()
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		want = slices.Sorted(slices.Values(want))
		if !slices.Equal(got, want) {
			t.Fatalf("waiting %v, want %v", got, want)
		}
	}
	check(s, want)
	m, _ := s.Get(ids[2])
	if m.Waiting == nil || m.Waiting.Lang != "es" || m.Waiting.Seq != 1 {
		t.Fatalf("meta.Waiting %+v", m.Waiting)
	}
	// Durable: the index is there after a reopen.
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, Options{Path: path, Shards: 3, Now: clock})
	check(s, want)
	// Expired sessions leave the index.
	now.Add(int64(100 * time.Hour))
	keep := ids[3]
	wait(keep, true)
	if _, err := s.Sweep(clock().Add(-72*time.Hour), 1000); err != nil {
		t.Fatal(err)
	}
	check(s, []string{keep})
}

func TestRate(t *testing.T) {
	reg := prometheus.NewRegistry()
	met := NewMetrics(reg)
	s := openTest(t, Options{Outbox: true, Metrics: met})
	ctx := context.Background()
	notes := &noteRecorder{}
	s.AddObserver(notes)
	id := mustCreate(t, s).ID
	if _, _, err := s.Rate(ctx, id, Rating{Score: 4}); !errors.Is(err, ErrNoChat) {
		t.Fatalf("before any chat: %v", err)
	}
	for _, bad := range []Rating{{Score: 0}, {Score: 6}, {Score: 3, Comment: strings.Repeat("x", MaxCommentBytes+1)}, {Score: 3, Comment: "\xff"}, {Score: 3, CID: "bad cid"}} {
		if _, _, err := s.Rate(ctx, id, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if _, _, err := s.Rate(ctx, "s_nope", Rating{Score: 4}); !errors.Is(err, ErrNoSession) {
		t.Fatalf("unknown session: %v", err)
	}
	closed := time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC)
	if _, err := s.Update(ctx, id, func(m *Meta) error {
		m.LastChat = &Chat{Group: "mx-es", Agent: AgentRef{ID: "ana", Name: "Ana"}, Closed: closed}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	depth := s.OutboxDepth()
	chat, dup, err := s.Rate(ctx, id, Rating{Score: 5, Comment: "¡Muy amable!", CID: "r1"})
	if err != nil || dup || chat.Group != "mx-es" || chat.Agent.ID != "ana" || chat.Rating == nil || chat.Rating.Score != 5 {
		t.Fatalf("rate: %+v %v %v", chat, dup, err)
	}
	// Stored with the session, and in the outbox as a csat event.
	m, _ := s.Get(id)
	if m.LastChat.Rating == nil || m.LastChat.Rating.Comment != "¡Muy amable!" {
		t.Fatalf("stored %+v", m.LastChat)
	}
	if s.OutboxDepth() != depth+1 {
		t.Fatalf("outbox depth %d, want %d", s.OutboxDepth(), depth+1)
	}
	evs, _ := s.OutboxBatch(0, 0, 1000)
	ev := evs[len(evs)-1]
	if ev.Kind != OutboxCSAT || ev.Session != id || !strings.Contains(string(ev.Data), `"score":5`) || !strings.Contains(string(ev.Data), `"agent":{"id":"ana","name":"Ana"}`) {
		t.Fatalf("outbox event %+v %s", ev, ev.Data)
	}
	// A repeat with the same cid is the same rating; another is refused.
	if _, dup, err := s.Rate(ctx, id, Rating{Score: 5, CID: "r1"}); err != nil || !dup {
		t.Fatalf("repeat: %v %v", dup, err)
	}
	if _, _, err := s.Rate(ctx, id, Rating{Score: 1, CID: "r2"}); !errors.Is(err, ErrRated) {
		t.Fatalf("second rating: %v", err)
	}
	if s.OutboxDepth() != depth+1 {
		t.Fatal("a repeat or refused rating reached the outbox")
	}
	// The NoteObservers (analytics) heard of the one new rating, with the
	// chat's group and agent.
	notes.mu.Lock()
	got := notes.notes
	notes.mu.Unlock()
	if len(got) != 1 || got[0].Kind != NoteCSAT || got[0].Session != id || got[0].Attrs["score"] != "5" || got[0].Attrs["group"] != "mx-es" || got[0].Attrs["agent"] != "ana" {
		t.Fatalf("csat notes %+v, want one with score 5, group mx-es, agent ana", got)
	}
	var pm dto.Metric
	met.CSAT.WithLabelValues("mx-es", "ana", "5").Write(&pm)
	if n := pm.GetCounter().GetValue(); n != 1 {
		t.Fatalf("csat counter %v", n)
	}
}

func TestValidEmail(t *testing.T) {
	for _, ok := range []string{"ana@example.com", "a.b+tag@sub.example.co.uk", "o'neil@x.io", "用户@例子.公司", "x@xn--fiqs8s.cn", "a_b-c@d-e.fr"} {
		if !ValidEmail(ok) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", "ana", "@example.com", "ana@", "ana@example", "ana@@example.com", ".ana@x.com", "ana.@x.com", "a..b@x.com",
		"ana @x.com", "ana@x .com", "ana@-x.com", "ana@x-.com", "ana@x..com", "ana@1.2.3.4", "a\"b@x.com", "ana@x.com\n",
		strings.Repeat("a", 65) + "@x.com", "a@" + strings.Repeat("b", 250) + ".com", "a@b.c\xff"} {
		if ValidEmail(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestOpenerKeepsContactEmail: a verified resume that declares no email
// keeps the address the customer left.
func TestOpenerKeepsContactEmail(t *testing.T) {
	s := openTest(t, Options{})
	o := &Opener{Store: s}
	ctx := context.Background()
	m, _, err := o.Open(ctx, Hello{Customer: Customer{ID: "c1", Name: "Ana"}, Verified: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Update(ctx, m.ID, func(m *Meta) error { m.Customer.Email = "ana@example.com"; return nil })
	m, _, err = o.Open(ctx, Hello{Session: m.ID, Customer: Customer{ID: "c1", Name: "Ana María"}, Verified: true})
	if err != nil || m.Customer.Email != "ana@example.com" || m.Customer.Name != "Ana María" {
		t.Fatalf("resumed %+v %v", m.Customer, err)
	}
	m, _, _ = o.Open(ctx, Hello{Session: m.ID, Customer: Customer{ID: "c1", Email: "new@example.com"}, Verified: true})
	if m.Customer.Email != "new@example.com" {
		t.Fatalf("a declared email did not replace it: %+v", m.Customer)
	}
}
