package gateway

import (
	"encoding/base64"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// A hostile client pays one TCP connection for each WebSocket it opens and
// one frame for each message; the node pays a goroutine, buffers, a store
// write and a fan-out to every subscriber. The limits here keep that
// ratio bounded per client address and per session, not only per
// connection: a per-connection limit is no limit for a client that opens
// fifty connections.

// maxTrackedAddresses bounds the per-address table: past it, addresses
// with no open connection are forgotten first, and a new address is
// refused (503) while every tracked one still has connections.
const maxTrackedAddresses = 100_000

// addrState is one client address's open connections and upgrade bucket.
type addrState struct {
	conns   int
	upgrade bucket
}

// addrLimits enforces gateway.max_connections_per_address and the
// per-address upgrade rate. Safe for concurrent use.
type addrLimits struct {
	maxConns    int
	rate, burst float64
	mu          sync.Mutex
	m           map[string]*addrState
}

// addrRefusal says why an upgrade from an address was refused.
type addrRefusal int

const (
	addrOK addrRefusal = iota
	addrTooMany
	addrTooFast
	addrTableFull
)

// acquire counts one upgrade from addr; when it is admitted the caller
// calls release(addr) once the connection ends. retry is when to try
// again after a refusal.
func (l *addrLimits) acquire(addr string, now time.Time) (addrRefusal, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.m[addr]
	if st == nil {
		if len(l.m) >= maxTrackedAddresses {
			l.pruneLocked(now)
			if len(l.m) >= maxTrackedAddresses {
				return addrTableFull, 5 * time.Second
			}
		}
		st = &addrState{upgrade: bucket{rate: l.rate, burst: l.burst, tokens: l.burst}}
		l.m[addr] = st
	}
	if st.conns >= l.maxConns {
		return addrTooMany, 5 * time.Second
	}
	if !st.upgrade.allow(now) {
		return addrTooFast, st.upgrade.wait()
	}
	st.conns++
	return addrOK, 0
}

func (l *addrLimits) release(addr string) {
	l.mu.Lock()
	if st := l.m[addr]; st != nil && st.conns > 0 {
		st.conns--
	}
	l.mu.Unlock()
}

// prune forgets addresses with no open connection whose bucket is full
// again: they are as if never seen.
func (l *addrLimits) prune(now time.Time) {
	l.mu.Lock()
	l.pruneLocked(now)
	l.mu.Unlock()
}

func (l *addrLimits) pruneLocked(now time.Time) {
	for a, st := range l.m {
		if st.conns == 0 && st.upgrade.full(now) {
			delete(l.m, a)
		}
	}
}

// conns returns the open connections counted for addr.
func (l *addrLimits) conns(addr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st := l.m[addr]; st != nil {
		return st.conns
	}
	return 0
}

// addressKey is what per-address limits count by: an IPv4 address, or the
// /64 of an IPv6 address (one subscriber's whole allocation; counting
// single IPv6 addresses would let a client pick a new one per connection).
func addressKey(ip string) string {
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

// bucket is a token bucket; the caller serialises its use.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func (b *bucket) refill(now time.Time) {
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
}

func (b *bucket) allow(now time.Time) bool {
	b.refill(now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (b *bucket) full(now time.Time) bool {
	b.refill(now)
	return b.tokens >= b.burst
}

// wait is how long until the next token, after a refusal.
func (b *bucket) wait() time.Duration {
	return time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// sessionLimits holds one token bucket per session with a connection on
// this node, shared by all of the session's connections (the rate a
// session is written at does not grow with the connections a client
// opens to it). A session's bucket lives while it has connections.
type sessionLimits struct {
	rate, burst float64
	mu          sync.Mutex
	m           map[string]*sessionBucket
}

type sessionBucket struct {
	refs int
	b    bucket
}

func (l *sessionLimits) acquire(sid string) *sessionBucket {
	l.mu.Lock()
	defer l.mu.Unlock()
	sb := l.m[sid]
	if sb == nil {
		sb = &sessionBucket{b: bucket{rate: l.rate, burst: l.burst, tokens: l.burst}}
		l.m[sid] = sb
	}
	sb.refs++
	return sb
}

func (l *sessionLimits) release(sid string, sb *sessionBucket) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if sb.refs--; sb.refs == 0 && l.m[sid] == sb {
		delete(l.m, sid)
	}
}

func (l *sessionLimits) allow(sb *sessionBucket, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return sb.b.allow(now)
}

// validKey reports whether an upgrade's Sec-WebSocket-Key is what RFC
// 6455 §4.1 asks for: the base64 of 16 bytes (24 characters). Other
// values are answered 400 rather than upgraded.
func validKey(k []byte) bool {
	if len(k) != 24 {
		return false
	}
	var dst [18]byte
	n, err := base64.StdEncoding.Decode(dst[:], k)
	return err == nil && n == 16
}

// refuse answers an upgrade with status, a message and a Retry-After.
// ctx.Error resets the response's headers, so the header is set after.
func refuse(ctx *fasthttp.RequestCtx, status int, msg string, retry time.Duration) {
	ctx.Error(msg, status)
	if retry > 0 {
		ctx.Response.Header.Set("Retry-After", strconv.Itoa(max(1, int((retry+time.Second-1)/time.Second))))
	}
}
