package email

import (
	"strings"
	"sync"
	"time"
)

// senderLimit bounds the mails one From address may send a minute: a
// flood from one sender (a loop with a misconfigured autoresponder, a
// spammer) takes a 451 — the sender's server retries later — rather than
// opening a session and a bot answer per mail. The table is bounded:
// when full, entries older than a minute go, and past that a new sender
// is let through rather than remembered.
type senderLimit struct {
	perMinute int
	max       int
	mu        sync.Mutex
	seen      map[string]*window
}

type window struct {
	start time.Time
	n     int
}

func newSenderLimit(perMinute, max int) *senderLimit {
	return &senderLimit{perMinute: perMinute, max: max, seen: map[string]*window{}}
}

// allow counts one mail from addr at now and reports whether it is within
// the limit.
func (l *senderLimit) allow(addr string, now time.Time) bool {
	addr = strings.ToLower(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.seen[addr]
	if !ok {
		if len(l.seen) >= l.max {
			for a, w := range l.seen {
				if now.Sub(w.start) >= time.Minute {
					delete(l.seen, a)
				}
			}
			if len(l.seen) >= l.max {
				return true
			}
		}
		w = &window{start: now}
		l.seen[addr] = w
	}
	if now.Sub(w.start) >= time.Minute {
		w.start, w.n = now, 0
	}
	w.n++
	return w.n <= l.perMinute
}
