package session

import (
	"context"
	"path/filepath"
	"testing"
)

func TestOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s := openTest(t, Options{Path: path, Outbox: true, Respond: echoResponder})
	ctx := context.Background()
	a, b := mustCreate(t, s).ID, mustCreate(t, s).ID
	for i, sid := range []string{a, a, b, a} {
		submitWait(t, s, customerMsg(sid, "c"+string(rune('0'+i)), "hi"))
	}
	// 2 creates + 4 messages + 4 echo replies + 1 note (every third turn of a).
	if d := s.OutboxDepth(); d != 11 {
		t.Fatalf("depth %d, want 11", d)
	}
	if s.OutboxOldest().IsZero() {
		t.Fatal("no oldest event")
	}
	// Batches hold each session's oldest event only, in order.
	var got []OutboxEvent
	for round := 0; ; round++ {
		batch, err := s.OutboxBatch(0, 100, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			break
		}
		seen := map[string]bool{}
		keys := make([]uint64, 0, len(batch))
		for _, ev := range batch {
			if seen[ev.Session] {
				t.Fatalf("round %d: two events of %s", round, ev.Session)
			}
			seen[ev.Session] = true
			keys = append(keys, ev.Key)
		}
		got = append(got, batch...)
		if err := s.OutboxDone(ctx, 0, keys); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 11 || s.OutboxDepth() != 0 {
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
	if d := s.OutboxDepth(); d != 2 {
		t.Fatalf("after reopen depth %d, want 2", d)
	}
}
