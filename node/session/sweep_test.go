package session

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// The OnExpire hooks hear of every session of this node a sweep deleted,
// in every shard, and of no mirror of another node's session.
func TestOnExpire(t *testing.T) {
	s := openTest(t, Options{Shards: 3})
	var (
		mu  sync.Mutex
		got []string
	)
	s.OnExpire(func(ids []string) {
		mu.Lock()
		got = append(got, ids...)
		mu.Unlock()
	})
	var want []string
	for range 7 {
		want = append(want, mustCreate(t, s).ID)
	}
	if _, err := s.Mirror(context.Background(), Meta{ID: NewID(), Origin: "edge-b"}, nil); err != nil {
		t.Fatal(err)
	}
	live := mustCreate(t, s).ID
	s.Subscribe(live, &recorder{id: 1}) // connected: not swept
	for {
		n, err := s.Sweep(time.Now().Add(time.Hour), 2)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("OnExpire heard %v, want %v", got, want)
	}
}
