package session

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// staleRecords counts the sealable records of the store at path not
// sealed with key id cur.
func staleRecords(t *testing.T, path string, kr *Keyring) int {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	db.View(func(tx *bolt.Tx) error {
		w := writer{}
		for _, name := range resealStages {
			b := tx.Bucket(name)
			if b == nil {
				continue
			}
			b.ForEach(func(k, v []byte) error {
				nv, err := w.resealValue(kr, name, k, v)
				if err != nil || nv != nil {
					n++
				}
				return nil
			})
		}
		return nil
	})
	return n
}

// TestKeyRotation: records written in plaintext and under an old key stay
// readable with the old key in the keyring; the resealer, running while
// messages keep arriving, re-seals them all with the new key, after which
// the old key is not needed.
func TestKeyRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	ctx := context.Background()
	s := openTest(t, Options{Path: path, Outbox: true})
	plain := chat(t, s, 20)
	s.Close(ctx)
	k1 := mustKeyring(t, testKey(1))
	s = openTest(t, Options{Path: path, Keys: k1, Outbox: true})
	under1 := chat(t, s, 30)
	s.Close(ctx)

	k2 := mustKeyring(t, testKey(2), testKey(1))
	if n := staleRecords(t, path, k2); n < 50 {
		t.Fatalf("%d stale records before the rotation, want every one", n)
	}
	s = openTest(t, Options{Path: path, Keys: k2, Outbox: true, CompactAt: 8, CompactChunk: 4})
	// Messages keep arriving during the pass, into an old session too.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 50; i++ {
			if _, err := s.Post(ctx, customerMsg(under1, fmt.Sprint("during-", i), "zanzibar-order-7731")); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	n, err := s.Reseal(ctx, 7) // small batches: many transactions
	wg.Wait()
	if err != nil || n < 50 {
		t.Fatalf("resealed %d, %v", n, err)
	}
	if err := s.RunResealer(ctx, 7); err != nil || !s.Resealed() {
		t.Fatalf("RunResealer: %v, done %v", err, s.Resealed())
	}
	s.Close(ctx)
	if n := staleRecords(t, path, k2); n != 0 {
		t.Fatalf("%d records not under the new key after the pass", n)
	}

	// The new key alone reads everything, the outbox too; the old one
	// alone opens nothing.
	only2 := mustKeyring(t, testKey(2))
	s = openTest(t, Options{Path: path, Keys: only2, Outbox: true})
	for sid, want := range map[string]int{plain: 20, under1: 80} {
		meta, err := s.Get(sid)
		msgs, merr := s.Messages(sid, 0, 0)
		if err != nil || merr != nil || meta.Customer.Email != "alice.wong@example.org" || len(msgs) != want {
			t.Fatalf("%s: %+v %v; %d messages %v", sid, meta.Customer, err, len(msgs), merr)
		}
	}
	for i := 0; i < s.OutboxShards(); i++ {
		evs, err := s.OutboxBatch(i, 0, 1000)
		if err != nil || len(evs) == 0 {
			t.Fatalf("outbox %d: %d events, %v", i, len(evs), err)
		}
	}
	s.Close(ctx)
	if _, _, err := Inspect(path, 1, k1, plain, 0); !errors.Is(err, ErrSealed) {
		t.Fatalf("old key alone after the pass: %v", err)
	}
}

// A record no key opens is reported, and the others are re-sealed.
func TestResealReportsUnopenable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	ctx := context.Background()
	s := openTest(t, Options{Path: path, Keys: mustKeyring(t, testKey(3))})
	lost := chat(t, s, 2)
	s.Close(ctx)
	s = openTest(t, Options{Path: path})
	kept := chat(t, s, 2)
	s.Close(ctx)

	kr := mustKeyring(t, testKey(1))
	s = openTest(t, Options{Path: path, Keys: kr})
	n, err := s.Reseal(ctx, 100)
	if !errors.Is(err, ErrSealed) || n == 0 {
		t.Fatalf("resealed %d, %v: want the others done and ErrSealed", n, err)
	}
	if msgs, err := s.Messages(kept, 0, 0); err != nil || len(msgs) != 2 {
		t.Fatalf("kept: %d, %v", len(msgs), err)
	}
	if _, err := s.Get(lost); !errors.Is(err, ErrSealed) {
		t.Fatalf("lost: %v", err)
	}
}

// Switched on: after the resealer, the file holds no plaintext of what
// was written before, in live records or in freed pages.
func TestResealLeavesNoPlaintext(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sessions.db")
	ctx := context.Background()
	s := openTest(t, Options{Path: path, Outbox: true})
	chat(t, s, 40)
	s.Close(ctx)
	if len(plaintextIn(t, dir)) == 0 {
		t.Fatal("no plaintext before: the test sees nothing")
	}
	s = openTest(t, Options{Path: path, Outbox: true, Keys: mustKeyring(t, testKey(1))})
	if err := s.RunResealer(ctx, 16); err != nil || !s.Resealed() {
		t.Fatalf("RunResealer: %v", err)
	}
	s.Close(ctx)
	if found := plaintextIn(t, dir); len(found) > 0 {
		t.Fatalf("plaintext left after the pass: %v", found)
	}
}
