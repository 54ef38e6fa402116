package staff

import (
	"sync"
	"time"
)

// Throttle counts attempts per key (an account's email, a client address)
// in fixed windows: once a key has had max attempts in the window that
// began with its first, further attempts are refused until the window
// ends. Callers Take before checking a password and give the attempt back
// on success, so concurrent guesses cannot slip past the count between
// check and record.
//
// The table holds at most capacity keys. When it is full, expired windows
// go first, then the window that ends soonest: a flood of new keys can
// shorten some key's lockout, never grow memory.
type Throttle struct {
	max      int
	window   time.Duration
	capacity int
	now      func() time.Time

	mu sync.Mutex
	m  map[string]window
}

type window struct {
	start time.Time
	n     int
}

// NewThrottle allows limit attempts per key per window, tracking at most
// capacity keys. now may be nil (time.Now).
func NewThrottle(limit int, per time.Duration, capacity int, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{max: limit, window: per, capacity: max(capacity, 1), now: now, m: map[string]window{}}
}

// Take counts one attempt for key. When key is over its limit it counts
// nothing and returns false and how long until the window ends.
func (t *Throttle) Take(key string) (ok bool, retryAfter time.Duration) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	w, found := t.m[key]
	if !found || now.Sub(w.start) >= t.window {
		if !found && len(t.m) >= t.capacity {
			t.evict(now)
		}
		w = window{start: now}
	}
	if w.n >= t.max {
		return false, w.start.Add(t.window).Sub(now)
	}
	w.n++
	t.m[key] = w
	return true, 0
}

// Refund gives back one attempt of key (it succeeded).
func (t *Throttle) Refund(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if w, ok := t.m[key]; ok && w.n > 0 {
		w.n--
		t.m[key] = w
	}
}

// Reset forgets key's attempts.
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, key)
}

// Len is the number of keys tracked.
func (t *Throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// evict makes room for one key: every expired window, else the one that
// ends soonest. t.mu is held.
func (t *Throttle) evict(now time.Time) {
	var (
		oldest      string
		oldestStart time.Time
		any         bool
	)
	for k, w := range t.m {
		if now.Sub(w.start) >= t.window {
			delete(t.m, k)
			continue
		}
		if !any || w.start.Before(oldestStart) {
			oldest, oldestStart, any = k, w.start, true
		}
	}
	if len(t.m) >= t.capacity && any {
		delete(t.m, oldest)
	}
}
