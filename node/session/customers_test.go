package session

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// shardFiles is every bbolt file of the store at path.
func shardFiles(t *testing.T, path string) []string {
	t.Helper()
	files, err := filepath.Glob(strings.TrimSuffix(path, ".db") + "*.db")
	if err != nil || len(files) == 0 {
		t.Fatalf("no store files at %s: %v", path, err)
	}
	return files
}

// The customer index follows creates, customer changes and sweeps; an
// erasure deletes every session of the customer (and only theirs) with
// their outbox events, keeps a pending record, is idempotent, and leaves
// no byte of what they wrote in the files; reopening without the index
// rebuilds it.
func TestEraseCustomer(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sessions.db")
	s := openTest(t, Options{Path: path, Shards: 3, Outbox: true})
	secret := "alice.secret@example.com +44 7700 900123 my parcel never came"
	var alice []string
	for i := range 4 {
		m, err := s.Create(ctx, Meta{Customer: Customer{ID: "alice", Email: "alice.secret@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		alice = append(alice, m.ID)
		for j := range 30 {
			if _, err := s.Post(ctx, customerMsg(m.ID, fmt.Sprintf("c%d", j), secret)); err != nil {
				t.Fatal(err)
			}
		}
		if i == 0 {
			if _, err := s.Update(ctx, m.ID, func(m *Meta) error { m.Uploads = []Upload{{ID: "f1", Size: 3}}; return nil }); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A session that became alice's by an update, and one that stopped being.
	moved, err := s.Create(ctx, Meta{Customer: Customer{ID: "carol"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, moved.ID, func(m *Meta) error { m.Customer.ID = "alice"; return nil }); err != nil {
		t.Fatal(err)
	}
	alice = append(alice, moved.ID)
	gone, err := s.Create(ctx, Meta{Customer: Customer{ID: "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, gone.ID, func(m *Meta) error { m.Customer.ID = "dave"; return nil }); err != nil {
		t.Fatal(err)
	}
	bob := mustCreate(t, s) // customer c1
	if _, err := s.Post(ctx, customerMsg(bob.ID, "b1", "bob keeps this")); err != nil {
		t.Fatal(err)
	}
	slices.Sort(alice)
	got, err := s.CustomerSessions("alice")
	if err != nil || !slices.Equal(got, alice) {
		t.Fatalf("alice's sessions: %v, %v; want %v", got, err, alice)
	}

	before := s.Sessions()
	er, err := s.EraseCustomer(ctx, "alice", &PendingErasure{Announce: true, By: "admin-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(er.Sessions) != 5 || er.Messages != 120 || er.Outbox == 0 || !er.Scrubbed {
		t.Fatalf("erased %d sessions, %d messages, %d outbox events, scrubbed %v", len(er.Sessions), er.Messages, er.Outbox, er.Scrubbed)
	}
	if s.Sessions() != before-5 {
		t.Fatalf("%d sessions after, want %d", s.Sessions(), before-5)
	}
	for _, id := range alice {
		if _, err := s.Get(id); err != ErrNoSession {
			t.Fatalf("session %s after erasure: %v", id, err)
		}
	}
	if m, err := s.Messages(bob.ID, 0, 0); err != nil || len(m) != 1 {
		t.Fatalf("bob's messages: %v %v", m, err)
	}
	if ids, _ := s.CustomerSessions("dave"); len(ids) != 1 || ids[0] != gone.ID {
		t.Fatalf("dave's sessions: %v", ids)
	}
	for sh := range s.OutboxShards() {
		evs, err := s.OutboxBatch(sh, 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if slices.Contains(alice, ev.Session) {
				t.Fatalf("outbox still holds %s of erased session %s", ev.Kind, ev.Session)
			}
		}
	}
	pend, err := s.PendingErasures()
	if err != nil || len(pend) != 1 || len(pend[0].Sessions) != 5 || !slices.Equal(pend[0].Uploads, []string{alice0(er) + "/f1"}) || !pend[0].Announce || pend[0].By != "admin-1" {
		t.Fatalf("pending erasures: %+v %v", pend, err)
	}

	// Again: nothing more; the pending record stays until done.
	again, err := s.EraseCustomer(ctx, "alice", &PendingErasure{})
	if err != nil || len(again.Sessions) != 0 || again.Messages != 0 {
		t.Fatalf("second erasure: %+v %v", again, err)
	}
	if err := s.ErasureDone(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if pend, _ := s.PendingErasures(); len(pend) != 0 {
		t.Fatalf("pending after done: %+v", pend)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, f := range shardFiles(t, path) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, needle := range []string{"alice.secret@example.com", "7700 900123", "parcel never came"} {
			if bytes.Contains(b, []byte(needle)) {
				t.Fatalf("%s still holds %q after the erasure", f, needle)
			}
		}
		if !bytes.Contains(b, []byte("bob keeps this")) && strings.HasSuffix(f, shardOf(bob.ID, 3)) {
			t.Fatalf("%s lost bob's message", f)
		}
	}

	// A store from before the index gets it rebuilt.
	for _, f := range shardFiles(t, path) {
		db, err := bolt.Open(f, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketCustomers) }); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	if tr, err := InspectCustomer(path, 3, nil, "dave", time.Second); err != nil || len(tr) != 1 || tr[0].Meta.ID != gone.ID {
		t.Fatalf("inspect without the index: %+v %v", tr, err)
	}
	s2 := openTest(t, Options{Path: path, Shards: 3, Outbox: true})
	if ids, err := s2.CustomerSessions("dave"); err != nil || len(ids) != 1 || ids[0] != gone.ID {
		t.Fatalf("rebuilt index: %v %v", ids, err)
	}
}

func alice0(er Erased) string {
	for _, m := range er.Sessions {
		if len(m.Uploads) > 0 {
			return m.ID
		}
	}
	return ""
}

// shardOf is the file suffix of session id's shard among n.
func shardOf(id string, n int) string {
	return strings.TrimPrefix(shardPath("x.db", int(fnvIndex(id, n)), n), "x")
}

func fnvIndex(id string, n int) uint64 {
	s := &Store{shards: make([]*shard, n)}
	for i := range s.shards {
		s.shards[i] = &shard{index: i}
	}
	return uint64(s.pick(id).index)
}

// A scrub waits for readers that began before the erasure: it runs once
// they are done, never under them.
func TestScrubWaitsForReaders(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{})
	m, err := s.Create(ctx, Meta{Customer: Customer{ID: "zed"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Post(ctx, customerMsg(m.ID, "z1", "zed's words")); err != nil {
		t.Fatal(err)
	}
	sh := s.shards[0]
	tx, err := sh.db.Begin(false)
	if err != nil {
		t.Fatal(err)
	}
	if r := sh.wait(ctx, &op{kind: opScrub}); r.Err != errReaders {
		t.Fatalf("scrub under a reader: %v", r.Err)
	}
	done := make(chan Erased)
	go func() {
		er, err := s.EraseCustomer(ctx, "zed", nil)
		if err != nil {
			t.Error(err)
		}
		done <- er
	}()
	time.Sleep(100 * time.Millisecond) // the reader outlives a few scrub attempts
	tx.Rollback()
	if er := <-done; !er.Scrubbed || len(er.Sessions) != 1 {
		t.Fatalf("%+v", er)
	}
}

// Past the profile retention the customer's name and email go; the id
// stays (so export and erasure still find the session), and so do the
// messages.
func TestForgetProfiles(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := openTest(t, Options{Now: clock})
	old, err := s.Create(ctx, Meta{Customer: Customer{ID: "u1", Name: "Ann", Email: "ann@example.com", Tier: "gold"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Post(ctx, customerMsg(old.ID, "a", "hello")); err != nil {
		t.Fatal(err)
	}
	now = now.Add(48 * time.Hour)
	fresh, err := s.Create(ctx, Meta{Customer: Customer{ID: "u2", Name: "Ben", Email: "ben@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second pass finds nothing left
		if _, err := s.ForgetProfiles(now.Add(-24*time.Hour), 10); err != nil {
			t.Fatal(err)
		}
	}
	m, _ := s.Get(old.ID)
	if m.Customer != (Customer{ID: "u1", Tier: "gold"}) || m.LastSeq != 1 {
		t.Fatalf("old session after the profile retention: %+v", m)
	}
	if m, _ := s.Get(fresh.ID); m.Customer.Email != "ben@example.com" {
		t.Fatalf("fresh session lost its profile: %+v", m.Customer)
	}
	if ids, _ := s.CustomerSessions("u1"); len(ids) != 1 {
		t.Fatalf("u1's sessions: %v", ids)
	}
}

// The sweeper enforces Options.ProfileRetention beside the sessions' own
// retention.
func TestSweeperForgetsProfiles(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := openTest(t, Options{Now: clock, ProfileRetention: time.Hour})
	m, err := s.Create(context.Background(), Meta{Customer: Customer{ID: "p1", Name: "Pat", Email: "pat@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.RunSweeper(ctx, 72*time.Hour, 5*time.Millisecond, 100) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		got, err := s.Get(m.ID)
		if err != nil {
			t.Fatal(err) // the session itself stays
		}
		if got.Customer == (Customer{ID: "p1"}) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("profile kept past the retention: %+v", got.Customer)
		}
	}
}
