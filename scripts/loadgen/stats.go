//go:build linux

package main

import (
	"math"
	"slices"
	"time"
)

// latencySummary is the distribution of a set of latency samples, in
// milliseconds. It is the zero value when there are no samples.
type latencySummary struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p999_ms"`
	Max   float64 `json:"max_ms"`
}

// percentile returns the q-quantile (0 < q <= 1) of sorted using the
// nearest-rank method: the smallest sample such that at least q of all
// samples are less than or equal to it. sorted must be in ascending order;
// an empty slice yields 0.
func percentile(sorted []int64, q float64) int64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if q <= 0 {
		return sorted[0]
	}
	rank := int(math.Ceil(q * float64(n)))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// summarize sorts samples (nanoseconds) in place and returns their summary.
func summarize(samples []int64) latencySummary {
	if len(samples) == 0 {
		return latencySummary{}
	}
	slices.Sort(samples)
	var sum float64
	for _, v := range samples {
		sum += float64(v)
	}
	return latencySummary{
		Count: len(samples),
		Mean:  ms(int64(sum / float64(len(samples)))),
		P50:   ms(percentile(samples, 0.50)),
		P90:   ms(percentile(samples, 0.90)),
		P99:   ms(percentile(samples, 0.99)),
		P999:  ms(percentile(samples, 0.999)),
		Max:   ms(samples[len(samples)-1]),
	}
}

// ms converts nanoseconds to milliseconds rounded to the microsecond.
func ms(ns int64) float64 {
	return math.Round(float64(ns)/float64(time.Microsecond)) / 1000
}
