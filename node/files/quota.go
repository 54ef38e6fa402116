package files

import (
	"sync"
	"time"
)

// quota keeps, for each session that uploaded, how many files it holds
// and a token bucket of its uploads. The counts start from what the
// bucket holds (New lists it once) and follow this node's uploads and
// deletions; a file the bucket drops at its TTL stays counted until its
// session expires.
type quota struct {
	maxFiles int
	rate     float64 // uploads a second
	burst    float64
	mu       sync.Mutex
	sessions map[string]*usage
}

// usage is one session's: files stored or being stored, upload tokens.
type usage struct {
	files  int
	tokens float64
	last   time.Time
}

func newQuota(maxFiles, perMinute int) *quota {
	return &quota{maxFiles: maxFiles, rate: float64(perMinute) / 60, burst: float64(perMinute), sessions: map[string]*usage{}}
}

// get returns sid's usage, made with a full bucket of tokens at now.
// q.mu is held.
func (q *quota) get(sid string, now time.Time) *usage {
	u := q.sessions[sid]
	if u == nil {
		u = &usage{tokens: q.burst, last: now}
		q.sessions[sid] = u
	}
	return u
}

// take reserves one upload of session sid at now. It returns
// ErrSessionFull when the session holds maxFiles files (uploads under way
// included), and ErrRateLimited with the wait for the next token when it
// uploads faster than the rate. A reservation that stored nothing is
// given back with release.
func (q *quota) take(sid string, now time.Time) (time.Duration, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	u := q.get(sid, now)
	if u.files >= q.maxFiles {
		return 0, ErrSessionFull
	}
	u.tokens = min(q.burst, u.tokens+now.Sub(u.last).Seconds()*q.rate)
	u.last = now
	if u.tokens < 1 {
		return time.Duration((1 - u.tokens) / q.rate * float64(time.Second)), ErrRateLimited
	}
	u.tokens--
	u.files++
	return 0, nil
}

// release gives back a reservation of take whose file was not stored.
func (q *quota) release(sid string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if u := q.sessions[sid]; u != nil && u.files > 0 {
		u.files--
	}
}

// count adds a stored file of session sid.
func (q *quota) count(sid string, now time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.get(sid, now).files++
}

// forget drops the sessions sids and reports whether any of them held
// files.
func (q *quota) forget(sids []string) (had bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, sid := range sids {
		if u := q.sessions[sid]; u != nil {
			had = had || u.files > 0
			delete(q.sessions, sid)
		}
	}
	return had
}
