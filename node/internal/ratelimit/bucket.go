package ratelimit

import "time"

// Bucket allows rate events per second on average and burst at once.
// The zero Bucket allows nothing.
type Bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

// New returns a full bucket.
func New(rate float64, burst int) Bucket {
	return Bucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// Burst is the bucket's size.
func (b *Bucket) Burst() int { return int(b.burst) }

// Allow takes a token at now, if one is left.
func (b *Bucket) Allow(now time.Time) bool {
	if !b.last.IsZero() {
		b.tokens += now.Sub(b.last).Seconds() * b.rate
		if b.tokens > b.burst {
			b.tokens = b.burst
		}
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
