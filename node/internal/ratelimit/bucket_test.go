package ratelimit

import (
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	b := New(2, 3)
	now := time.Unix(1_800_000_000, 0)
	for i := range 3 {
		if !b.Allow(now) {
			t.Fatalf("burst: event %d refused", i)
		}
	}
	if b.Allow(now) {
		t.Fatal("past the burst: allowed")
	}
	// Half a second at 2/s refills one token, not more.
	now = now.Add(500 * time.Millisecond)
	if !b.Allow(now) || b.Allow(now) {
		t.Fatal("refill: want exactly one token after 500 ms at 2/s")
	}
	// A long pause refills to the burst, not beyond.
	now = now.Add(time.Hour)
	n := 0
	for b.Allow(now) {
		n++
	}
	if n != 3 {
		t.Fatalf("after an hour: %d allowed, want the burst (3)", n)
	}
	var zero Bucket
	if zero.Allow(now) {
		t.Fatal("the zero bucket allowed an event")
	}
}

func BenchmarkAllow(b *testing.B) {
	bk := New(1e9, 1<<30)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		bk.Allow(now)
	}
}
