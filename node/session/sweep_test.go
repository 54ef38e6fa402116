package session

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// The OnExpire hooks hear of every session of this node a sweep deleted,
// in every shard, with its uploads, and of no mirror of another node's
// session.
func TestOnExpire(t *testing.T) {
	s := openTest(t, Options{Shards: 3})
	var (
		mu      sync.Mutex
		got     []string
		uploads = map[string][]Upload{}
	)
	s.OnExpire(func(expired []Meta) {
		mu.Lock()
		for _, m := range expired {
			got = append(got, m.ID)
			if m.Uploads != nil {
				uploads[m.ID] = m.Uploads
			}
		}
		mu.Unlock()
	})
	var want []string
	for range 7 {
		want = append(want, mustCreate(t, s).ID)
	}
	files, withFiles := []Upload{{ID: "fa", Size: 10}, {ID: "fb", Size: 20}}, want[3]
	if _, err := s.Update(context.Background(), withFiles, func(m *Meta) error {
		m.Uploads = files
		return nil
	}); err != nil {
		t.Fatal(err)
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
	if len(uploads) != 1 || !slices.Equal(uploads[withFiles], files) {
		t.Fatalf("OnExpire heard uploads %v, want %v of %s", uploads, files, withFiles)
	}
}
