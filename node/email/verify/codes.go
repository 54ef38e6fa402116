package verify

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"
)

var (
	// ErrNoCode: no code is pending for this session and address (never
	// issued, already used, expired and swept, or replaced).
	ErrNoCode = errors.New("verify: no code pending")
	// ErrExpired: the code's TTL passed.
	ErrExpired = errors.New("verify: code expired")
	// ErrWrongCode: the code does not match; the error says how many
	// attempts are left.
	ErrWrongCode = errors.New("verify: wrong code")
	// ErrTooManyAttempts: the code took MaxAttempts wrong guesses and is
	// dead; a new one must be issued.
	ErrTooManyAttempts = errors.New("verify: too many wrong codes")
	// ErrTooSoon: a code was issued for this address less than Resend ago.
	ErrTooSoon = errors.New("verify: a code was sent moments ago")
	// ErrBusy: MaxPending codes are pending, or PerMinute were issued
	// this minute.
	ErrBusy = errors.New("verify: too many codes pending")
)

// Options configures Codes; zero values take the defaults.
type Options struct {
	TTL         time.Duration // default 15m
	MaxAttempts int           // default 5
	// Resend is the least time between two codes for one address
	// (default 1m), whatever the session.
	Resend time.Duration
	// MaxPending bounds the codes kept (default 10000).
	MaxPending int
	// PerMinute bounds the codes issued a minute, all addresses together
	// (default 60): the node's relay never becomes a cannon, however many
	// sessions ask.
	PerMinute int
	Now       func() time.Time
}

// Codes is the table of pending codes.
type Codes struct {
	o       Options
	mu      sync.Mutex
	pending map[key]*pending
	sent    map[string]time.Time // address → last issue
	// window and issued count the codes of the current minute.
	window time.Time
	issued int
}

type key struct{ session, address string }

type pending struct {
	sum      [sha256.Size]byte
	expires  time.Time
	attempts int
}

// New returns an empty table.
func New(o Options) *Codes {
	if o.TTL <= 0 {
		o.TTL = 15 * time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.Resend <= 0 {
		o.Resend = time.Minute
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 10000
	}
	if o.PerMinute <= 0 {
		o.PerMinute = 60
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Codes{o: o, pending: map[key]*pending{}, sent: map[string]time.Time{}}
}

// TTL is how long an issued code works.
func (c *Codes) TTL() time.Duration { return c.o.TTL }

// Issue returns a new code for session and address, replacing the one
// pending. Addresses compare case-insensitively.
func (c *Codes) Issue(session, address string) (string, error) {
	address = strings.ToLower(address)
	now := c.o.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if last, ok := c.sent[address]; ok && now.Sub(last) < c.o.Resend {
		return "", fmt.Errorf("%w: try again in %s", ErrTooSoon, (c.o.Resend - now.Sub(last)).Round(time.Second))
	}
	if now.Sub(c.window) >= time.Minute {
		c.window, c.issued = now, 0
	}
	if c.issued >= c.o.PerMinute {
		return "", fmt.Errorf("%w: %d codes this minute; try again in %s", ErrBusy, c.issued, (time.Minute - now.Sub(c.window)).Round(time.Second))
	}
	k := key{session, address}
	if _, ok := c.pending[k]; !ok && len(c.pending) >= c.o.MaxPending {
		c.sweep(now)
		if len(c.pending) >= c.o.MaxPending {
			return "", ErrBusy
		}
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("verify: %w", err)
	}
	code := fmt.Sprintf("%06d", n.Int64())
	c.pending[k] = &pending{sum: sha256.Sum256([]byte(code)), expires: now.Add(c.o.TTL)}
	c.sent[address] = now
	c.issued++
	return code, nil
}

// Check takes a code back. nil means the customer of session receives
// mail at address; the code is used up. Spaces in code are ignored (a
// code copied as "123 456").
func (c *Codes) Check(session, address, code string) error {
	address = strings.ToLower(address)
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	now := c.o.Now()
	sum := sha256.Sum256([]byte(code))
	c.mu.Lock()
	defer c.mu.Unlock()
	k := key{session, address}
	p, ok := c.pending[k]
	if !ok {
		return ErrNoCode
	}
	if !now.Before(p.expires) {
		delete(c.pending, k)
		return ErrExpired
	}
	if subtle.ConstantTimeCompare(sum[:], p.sum[:]) == 1 {
		delete(c.pending, k)
		return nil
	}
	p.attempts++
	if p.attempts >= c.o.MaxAttempts {
		delete(c.pending, k)
		return ErrTooManyAttempts
	}
	return fmt.Errorf("%w: %d attempts left", ErrWrongCode, c.o.MaxAttempts-p.attempts)
}

// sweep drops expired codes and stale throttle entries. c.mu is held.
func (c *Codes) sweep(now time.Time) {
	for k, p := range c.pending {
		if !now.Before(p.expires) {
			delete(c.pending, k)
		}
	}
	for a, t := range c.sent {
		if now.Sub(t) >= c.o.Resend {
			delete(c.sent, a)
		}
	}
}

// Sweep drops what expired; call it now and then (Issue sweeps when the
// table is full).
func (c *Codes) Sweep() {
	c.mu.Lock()
	c.sweep(c.o.Now())
	c.mu.Unlock()
}
