package staff

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestThrottle(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	th := NewThrottle(3, time.Minute, 100, c.now)
	for i := range 3 {
		if ok, _ := th.Take("ana"); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
		c.add(time.Second)
	}
	ok, retry := th.Take("ana")
	if ok || retry != 57*time.Second {
		t.Fatalf("4th attempt: %v, retry %v (want refused, 57s)", ok, retry)
	}
	if ok, _ := th.Take("bob"); !ok {
		t.Fatal("another key refused")
	}
	th.Refund("ana")
	if ok, _ := th.Take("ana"); !ok {
		t.Fatal("refunded attempt refused")
	}
	c.add(57 * time.Second)
	if ok, _ := th.Take("ana"); !ok {
		t.Fatal("refused after the window ended")
	}
	th.Reset("bob")
	if th.Len() != 1 {
		t.Fatalf("Len = %d after Reset", th.Len())
	}
}

// However many keys come, the table stays at its capacity; an expired
// window goes before a live one.
func TestThrottleBounded(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	th := NewThrottle(1, time.Minute, 10, c.now)
	th.Take("old")
	c.add(time.Second)
	th.Take("keep")
	c.add(time.Minute - time.Second/2) // "old" expired, "keep" not
	for i := range 8 {
		th.Take(fmt.Sprint("k", i))
	}
	th.Take("new") // the 11th key: "old" makes room
	if ok, _ := th.Take("keep"); ok {
		t.Fatal("a live window was evicted while an expired one remained")
	}
	for i := range 1000 {
		th.Take(fmt.Sprint("flood", i))
		if th.Len() > 10 {
			t.Fatalf("Len = %d > capacity", th.Len())
		}
	}
}

// Concurrent takes never let more than the limit through.
func TestThrottleConcurrent(t *testing.T) {
	th := NewThrottle(5, time.Hour, 10, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	passed := 0
	for range 50 {
		wg.Go(func() {
			if ok, _ := th.Take("ana"); ok {
				mu.Lock()
				passed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if passed != 5 {
		t.Fatalf("%d attempts passed, want 5", passed)
	}
}
