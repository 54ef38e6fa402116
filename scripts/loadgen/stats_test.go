//go:build linux

package main

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	// 1..1000: the nearest-rank q-quantile of 1..n is ceil(q*n).
	s := make([]int64, 1000)
	for i := range s {
		s[i] = int64(i + 1)
	}
	tests := []struct {
		q    float64
		want int64
	}{
		{0, 1}, {0.001, 1}, {0.5, 500}, {0.9, 900}, {0.99, 990}, {0.999, 999}, {0.9991, 1000}, {1, 1000}, {2, 1000},
	}
	for _, tt := range tests {
		if got := percentile(s, tt.q); got != tt.want {
			t.Errorf("percentile(1..1000, %g) = %d, want %d", tt.q, got, tt.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile(nil) = %d, want 0", got)
	}
	if got := percentile([]int64{7}, 0.999); got != 7 {
		t.Errorf("percentile([7], 0.999) = %d, want 7", got)
	}
	// With 10 samples p99 and p99.9 are the maximum, never past the end.
	ten := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if got := percentile(ten, 0.99); got != 10 {
		t.Errorf("percentile(1..10, 0.99) = %d, want 10", got)
	}
	if got := percentile(ten, 0.5); got != 5 {
		t.Errorf("percentile(1..10, 0.5) = %d, want 5", got)
	}
}

func TestSummarize(t *testing.T) {
	if got := summarize(nil); got != (latencySummary{}) {
		t.Errorf("summarize(nil) = %+v, want zero", got)
	}
	// 10,000 samples of 1..10,000 µs in random order.
	s := make([]int64, 10_000)
	for i := range s {
		s[i] = int64(i+1) * int64(time.Microsecond)
	}
	rand.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	got := summarize(s)
	want := latencySummary{Count: 10_000, Mean: 5.001, P50: 5, P90: 9, P99: 9.9, P999: 9.99, Max: 10}
	if got != want {
		t.Errorf("summarize = %+v, want %+v", got, want)
	}
	if !slices.IsSorted(s) {
		t.Error("summarize did not sort its input")
	}
}
