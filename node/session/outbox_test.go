package session

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s := openTest(t, Options{Path: path, Outbox: true, Respond: echoResponder})
	ctx := context.Background()
	a, b := mustCreate(t, s).ID, mustCreate(t, s).ID
	for i, sid := range []string{a, a, b, a} {
		submitWait(t, s, customerMsg(sid, "c"+string(rune('0'+i)), "hi"))
	}
	// 2 creates + 4 messages + 4 echo replies + 4 conversation state
	// changes (meta) + 1 note (every third turn of a).
	if d := s.OutboxDepth(); d != 15 {
		t.Fatalf("depth %d, want 15", d)
	}
	if s.OutboxOldest().IsZero() {
		t.Fatal("no oldest event")
	}
	// Batches hold the oldest events in commit order, at most limit.
	var got []OutboxEvent
	for round := 0; ; round++ {
		batch, err := s.OutboxBatch(0, 0, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			break
		}
		if len(batch) > 4 {
			t.Fatalf("round %d: %d events, limit 4", round, len(batch))
		}
		keys := make([]uint64, 0, len(batch))
		for _, ev := range batch {
			if len(got) > 0 && ev.Key <= got[len(got)-1].Key {
				t.Fatalf("round %d: key %d after %d", round, ev.Key, got[len(got)-1].Key)
			}
			got = append(got, ev)
			keys = append(keys, ev.Key)
		}
		if err := s.OutboxDone(ctx, 0, keys); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 15 || s.OutboxDepth() != 0 {
		t.Fatalf("drained %d, depth %d", len(got), s.OutboxDepth())
	}
	// Per session: meta first, then messages in seq order, ids unique.
	last := map[string]uint64{}
	ids := map[string]bool{}
	for _, ev := range got {
		if ids[ev.ID] {
			t.Fatalf("duplicate id %s", ev.ID)
		}
		ids[ev.ID] = true
		if ev.Kind == OutboxMessage {
			if ev.Seq <= last[ev.Session] {
				t.Fatalf("%s: seq %d after %d", ev.Session, ev.Seq, last[ev.Session])
			}
			last[ev.Session] = ev.Seq
		}
	}
	if last[a] != 6 || last[b] != 2 {
		t.Fatalf("last seqs %v", last)
	}
	// Waiting events survive a restart; done ones stay gone.
	submitWait(t, s, customerMsg(b, "z", "again"))
	s.Close(ctx)
	s = openTest(t, Options{Path: path, Outbox: true})
	if d := s.OutboxDepth(); d != 3 {
		t.Fatalf("after reopen depth %d, want 3 (message, reply, state)", d)
	}
}

func TestImport(t *testing.T) {
	s := openTest(t, Options{Outbox: true})
	ctx := context.Background()
	ts := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	msgs := []Message{
		{Session: "s_moved", Seq: 2, From: FromBot, Text: "hello", TS: ts.Add(time.Second)},
		{Session: "s_moved", Seq: 1, From: FromCustomer, CID: "c1", Text: "hi", TS: ts},
	}
	if err := s.Import(ctx, Meta{ID: "s_moved", Locale: "es-MX"}, msgs); err != nil {
		t.Fatal(err)
	}
	if d := s.OutboxDepth(); d != 0 {
		t.Fatalf("imported history went to the outbox: %d", d)
	}
	got, _ := s.Messages("s_moved", 0, 0)
	if len(got) != 2 || got[0].Text != "hi" || !got[0].TS.Equal(ts) || got[1].Seq != 2 {
		t.Fatalf("imported %+v", got)
	}
	// New messages continue after the imported ones; the cid is known.
	r := submitWait(t, s, customerMsg("s_moved", "c2", "and now?"))
	if r.Msg.Seq != 3 {
		t.Fatalf("next seq %d", r.Msg.Seq)
	}
	if r := submitWait(t, s, customerMsg("s_moved", "c1", "hi")); !r.Duplicate {
		t.Fatal("imported cid not de-duplicated")
	}
	if err := s.Import(ctx, Meta{ID: "s_moved"}, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("second import: %v", err)
	}
	if err := s.Import(ctx, Meta{ID: "s_gap"}, []Message{{Session: "s_gap", Seq: 2, From: FromBot, Text: "x"}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("gap: %v", err)
	}
}

// Values in the earlier layout (len(sid) sid JSON) are still read.
func TestDecodeOutboxEarlierLayout(t *testing.T) {
	sid := "s1"
	v := append([]byte{byte(len(sid))}, sid...)
	v = append(v, `{"id":"s1.3","session":"s1","seq":3,"kind":"msg","ts":"2026-11-21T10:00:00Z","data":{"text":"hi"}}`...)
	var ev OutboxEvent
	if err := decodeOutbox(v, &ev, nil); err != nil {
		t.Fatal(err)
	}
	if ev.ID != "s1.3" || ev.Session != sid || ev.Seq != 3 || ev.Kind != "msg" || string(ev.Data) != `{"text":"hi"}` || !ev.TS.Equal(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("decoded %+v", ev)
	}
}

func FuzzDecodeOutbox(f *testing.F) {
	f.Add([]byte{0, 2, 's', '1', 3, 3, 'm', 's', 'g', 0, 0, 0, 0, 0, 0, 0, 1, 4, 's', '1', '.', '3', '{', '}'})
	f.Add([]byte{2, 's', '1', '{', '}'})
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, v []byte) {
		var ev OutboxEvent
		_ = decodeOutbox(v, &ev, nil) // must not panic
	})
}

// TestMirror: a mirror takes messages that continue it (keeping seqs and
// times), skips the ones it has, refuses gaps, reaches subscribers and
// writes nothing to the outbox.
func TestMirror(t *testing.T) {
	s := openTest(t, Options{Path: filepath.Join(t.TempDir(), "m.db"), Outbox: true})
	ctx := context.Background()
	sid := NewID()
	ts := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	msg := func(seq uint64, text string) Message {
		return Message{Session: sid, Seq: seq, From: FromCustomer, Text: text, TS: ts.Add(time.Duration(seq) * time.Second)}
	}
	meta, err := s.Mirror(ctx, Meta{ID: sid, Locale: "es", Origin: "edge-a"}, []Message{msg(1, "hola"), msg(2, "¿hay alguien?")})
	if err != nil || meta.LastSeq != 2 || meta.Origin != "edge-a" {
		t.Fatalf("mirror: %+v %v", meta, err)
	}
	sub := &chanSub{id: 7, ch: make(chan *Event, 8)}
	s.Subscribe(sid, sub)
	defer s.Unsubscribe(sid, sub)
	// 2 again (skipped), 3 new, 5 is a gap: 3 is kept, the gap reported.
	meta, err = s.Mirror(ctx, Meta{ID: sid}, []Message{msg(2, "¿hay alguien?"), msg(3, "pedido 48213"), msg(5, "??")})
	if !errors.Is(err, ErrGap) || meta.LastSeq != 3 {
		t.Fatalf("gap: %+v %v", meta, err)
	}
	select {
	case ev := <-sub.ch:
		if ev.Msg == nil || ev.Msg.Seq != 3 || !ev.Msg.TS.Equal(ts.Add(3*time.Second)) {
			t.Fatalf("delivered %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("mirrored message not delivered")
	}
	msgs, _ := s.Messages(sid, 0, 0)
	if len(msgs) != 3 || msgs[2].Text != "pedido 48213" {
		t.Fatalf("history %+v", msgs)
	}
	if d := s.OutboxDepth(); d != 0 {
		t.Fatalf("outbox depth %d: mirrors are synced by their origin", d)
	}
}

type chanSub struct {
	id uint64
	ch chan *Event
}

func (c *chanSub) ID() uint64        { return c.id }
func (c *chanSub) Deliver(ev *Event) { c.ch <- ev }

// TestOutboxDoneRidesWithWrites: a delete of published events that finds
// the committer idle waits for a write and commits with it (one commit,
// two fdatasyncs, for both), and a delete with no write to ride with
// still commits once OutboxDoneWait has passed.
func TestOutboxDoneRidesWithWrites(t *testing.T) {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	fsyncs := func() float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "edgedesk_fsyncs_total" {
				return mf.GetMetric()[0].GetCounter().GetValue()
			}
		}
		t.Fatal("no edgedesk_fsyncs_total")
		return 0
	}
	s := openTest(t, Options{Path: filepath.Join(t.TempDir(), "s.db"), Outbox: true, Metrics: m,
		OutboxDoneWait: time.Minute})
	sid := mustCreate(t, s).ID
	submitWait(t, s, customerMsg(sid, "c1", "hi"))
	batch, err := s.OutboxBatch(0, 0, 100)
	if err != nil || len(batch) != 2 {
		t.Fatalf("outbox %d events (%v), want the create and the message", len(batch), err)
	}
	before := fsyncs()
	// The delete alone reaches an idle committer; the message comes after.
	done := make(chan Result, 1)
	del := &op{kind: opOutboxDone, keys: []uint64{batch[0].Key, batch[1].Key}, done: func(r Result) { done <- r }}
	if err := s.shards[0].submit(ctx, del); err != nil {
		t.Fatal(err)
	}
	for len(s.shards[0].ops) > 0 { // the committer holds it
		time.Sleep(time.Millisecond)
	}
	// Time enough for a committer that does not hold deletes to commit
	// this one alone (which the fdatasync count below would show).
	time.Sleep(20 * time.Millisecond)
	submitWait(t, s, customerMsg(sid, "c2", "again"))
	if r := <-done; r.Err != nil || r.Count != 2 {
		t.Fatalf("delete: %+v", r)
	}
	if got := fsyncs() - before; got != bboltCommitSyncs {
		t.Errorf("the delete and the message took %v fdatasyncs, want one commit's %d", got, bboltCommitSyncs)
	}
	if d := s.OutboxDepth(); d != 1 {
		t.Errorf("outbox depth %d, want 1 (the second message)", d)
	}

	// Alone, a delete waits OutboxDoneWait, then commits.
	s2 := openTest(t, Options{Path: filepath.Join(t.TempDir(), "s2.db"), Outbox: true, OutboxDoneWait: 50 * time.Millisecond})
	mustCreate(t, s2)
	batch, err = s2.OutboxBatch(0, 0, 100)
	if err != nil || len(batch) != 1 {
		t.Fatalf("outbox %d events (%v), want the create", len(batch), err)
	}
	start := time.Now()
	if err := s2.OutboxDone(ctx, 0, []uint64{batch[0].Key}); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Errorf("a lone delete committed after %v, before OutboxDoneWait", el)
	}
	if d := s2.OutboxDepth(); d != 0 {
		t.Errorf("outbox depth %d after the delete", d)
	}
}
