package files

import (
	"container/list"
	"net/netip"
	"sync"
	"time"
)

// maxTracked bounds each table of buckets: 65,536 keys (sessions, client
// networks), a few MB at most.
const maxTracked = 1 << 16

// buckets is a bounded table of token buckets, one per key: a session's
// uploads a minute, a client network's files a minute or bytes an hour.
// A key's bucket starts full and refills at rate up to burst. When the
// table holds max keys, the least recently used one is dropped: if its
// bucket was not full yet, that key starts again with a full one, which
// is the price of bounded memory (an idle key's bucket is full anyway).
// It is safe for concurrent use.
type buckets struct {
	rate  float64 // tokens a second
	burst float64
	max   int
	mu    sync.Mutex
	keys  map[string]*list.Element // of *bucket
	lru   list.List                // front: the most recently used
}

type bucket struct {
	key    string
	tokens float64
	last   time.Time
}

func newBuckets(rate, burst float64, max int) *buckets {
	return &buckets{rate: rate, burst: burst, max: max, keys: map[string]*list.Element{}}
}

// get returns key's bucket, refilled to now and moved to the front.
// b.mu is held.
func (b *buckets) get(key string, now time.Time) *bucket {
	if e := b.keys[key]; e != nil {
		b.lru.MoveToFront(e)
		k := e.Value.(*bucket)
		if now.After(k.last) {
			k.tokens = min(b.burst, k.tokens+now.Sub(k.last).Seconds()*b.rate)
			k.last = now
		}
		return k
	}
	if len(b.keys) >= b.max {
		old := b.lru.Back()
		b.lru.Remove(old)
		delete(b.keys, old.Value.(*bucket).key)
	}
	k := &bucket{key: key, tokens: b.burst, last: now}
	b.keys[key] = b.lru.PushFront(k)
	return k
}

// take takes n tokens from key's bucket at now. When it holds fewer, it
// takes nothing and returns how long until it holds n (n over burst
// never fits: the wait is then a full refill).
func (b *buckets) take(key string, n float64, now time.Time) (wait time.Duration, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.get(key, now)
	if k.tokens >= n {
		k.tokens -= n
		return 0, true
	}
	return time.Duration((min(n, b.burst) - k.tokens) / b.rate * float64(time.Second)), false
}

// give returns n tokens a take took for something that did not happen.
func (b *buckets) give(key string, n float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.keys[key]; e != nil {
		k := e.Value.(*bucket)
		k.tokens = min(b.burst, k.tokens+n)
	}
}

// forget drops keys' buckets.
func (b *buckets) forget(keys ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, key := range keys {
		if e := b.keys[key]; e != nil {
			b.lru.Remove(e)
			delete(b.keys, key)
		}
	}
}

// len is the number of keys held.
func (b *buckets) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.keys)
}

// network is the key of a client's upload budget: its IPv4 address, or
// the /64 of its IPv6 address (one subscriber's network: a client has a
// whole /64 to pick addresses from). A string that is no IP is its own
// key.
func network(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.WithZone("").Prefix(64)
	return p.String()
}

// secondsUp is d in whole seconds, rounded up, at least 1: a Retry-After.
func secondsUp(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}
