package analytics

import "time"

// histBounds are the upper bounds, in seconds, of the histogram buckets
// of response and handle times; the last bucket is everything above an
// hour and a half. They are fixed so that histograms of any hours and
// groups add up.
var histBounds = [...]float64{5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1200, 1800, 2700, 3600, 5400}

// Hist counts durations in fixed buckets; the last counts what is above
// the last bound.
type Hist [len(histBounds) + 1]uint32

// Add counts d.
func (h *Hist) Add(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(histBounds) && s > histBounds[i] {
		i++
	}
	h[i]++
}

// Merge adds o's counts to h.
func (h *Hist) Merge(o *Hist) {
	for i := range h {
		h[i] += o[i]
	}
}

// Count is how many durations h holds.
func (h *Hist) Count() uint64 {
	var n uint64
	for _, c := range h {
		n += uint64(c)
	}
	return n
}

// Median is the median duration in seconds, interpolated within its
// bucket (0 when h is empty; the last bucket reports its lower bound).
func (h *Hist) Median() float64 {
	n := h.Count()
	if n == 0 {
		return 0
	}
	half := float64(n) / 2
	seen := 0.0
	for i, c := range h {
		if c == 0 {
			continue
		}
		if seen+float64(c) >= half {
			lo := 0.0
			if i > 0 {
				lo = histBounds[i-1]
			}
			if i == len(histBounds) {
				return lo
			}
			return lo + (histBounds[i]-lo)*(half-seen)/float64(c)
		}
		seen += float64(c)
	}
	return histBounds[len(histBounds)-1]
}
