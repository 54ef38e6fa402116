package analytics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Publisher hands one hourly bucket to the core: the figures of group
// ("" for the whole node) in the hour starting at hour, as JSON (Counts).
// A put replaces what the core had for the same node, group and hour.
type Publisher interface {
	PublishStats(ctx context.Context, group string, hour time.Time, data []byte) error
}

// Options configure Analytics. Path is required; every func may be nil.
type Options struct {
	// Path is the bbolt file (data_dir/analytics.db).
	Path string
	// Node is this node's name, reported in Stats.
	Node string
	// Retention is how long hourly buckets are kept (default 35 days).
	Retention time.Duration
	// FlushInterval is how often Run writes changed buckets (default 5s).
	FlushInterval time.Duration
	// MaxSessions bounds the sessions followed at once (default 100000).
	MaxSessions int
	// Target is a group's service level and answer time for the forecast
	// (default 0.8 within 60s).
	Target func(group string) (level float64, within time.Duration)
	// Groups are the configured agent groups, listed even without figures.
	Groups func() []string
	// Live reports the figures of the moment (connections, agents, queues).
	Live func() Now
	// Scheduled is how many agents group has at a time (0 when closed);
	// Open whether it is open then.
	Scheduled func(group string, at time.Time) int
	Open      func(group string, at time.Time) bool
	// Publisher, when set, gets every changed bucket (Run retries until it
	// succeeds).
	Publisher Publisher
	Logger    *slog.Logger
	// Clock is the time source (default time.Now), for tests.
	Clock func() time.Time
}

// Analytics derives the dashboard's figures from the session store's
// messages and notes (it is a session.NoteObserver), keeps them, and
// answers Query.
type Analytics struct {
	opts Options
	log  *slog.Logger
	db   *bolt.DB

	mu         sync.Mutex
	buckets    map[key]*Counts
	dirty      map[key]struct{}
	groupsSeen map[string]struct{}
	sessions   map[string]*tracked
	minutes    [60]minuteSlot
	since      int64 // the first hour with figures (Unix), 0 before any

	io        sync.Mutex // flush, prune, publish and Close, one at a time
	closed    bool
	stop      context.CancelFunc // ends a publish in progress at Close
	stopCtx   context.Context
	lastPrune time.Time
	// lastForget is Run's own.
	lastForget time.Time
}

// New opens (creating) the bbolt file and reads its buckets back.
func New(opts Options) (*Analytics, error) {
	if opts.Path == "" {
		return nil, fmt.Errorf("%w: empty path", ErrInvalid)
	}
	if opts.Retention <= 0 {
		opts.Retention = 35 * 24 * time.Hour
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 5 * time.Second
	}
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = 100000
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Target == nil {
		opts.Target = func(string) (float64, time.Duration) { return 0.8, time.Minute }
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	db, buckets, since, err := openDB(opts.Path)
	if err != nil {
		return nil, err
	}
	a := &Analytics{opts: opts, log: opts.Logger, db: db, buckets: buckets, dirty: map[key]struct{}{},
		groupsSeen: map[string]struct{}{}, sessions: map[string]*tracked{}, since: since}
	a.stopCtx, a.stop = context.WithCancel(context.Background())
	for k := range buckets {
		if k.group != "" {
			a.groupsSeen[k.group] = struct{}{}
		}
		if a.since == 0 || k.hour < a.since {
			a.since = k.hour
		}
	}
	if a.since == 0 {
		a.since = hourOf(opts.Clock())
	}
	return a, nil
}

func (a *Analytics) now() time.Time { return a.opts.Clock() }

// Run writes changed buckets every FlushInterval, prunes those past the
// retention, forgets quiet sessions and publishes to the core, until ctx
// is done. A failed write is logged and retried at the next tick: the
// figures stay in memory.
func (a *Analytics) Run(ctx context.Context) error {
	t := time.NewTicker(a.opts.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-a.stopCtx.Done():
			return nil
		case <-t.C:
		}
		if err := a.Flush(); err != nil {
			if errors.Is(err, ErrClosed) {
				return nil
			}
			a.log.Error("analytics not written; retrying", "err", err)
		}
		now := a.now()
		if now.Sub(a.lastForget) >= time.Minute { // a walk over the sessions under the observers' lock: not every tick
			a.lastForget = now
			a.forget(now)
		}
		if a.pruneDue(now) {
			if err := a.Prune(); err != nil {
				a.log.Error("analytics prune failed", "err", err)
			}
		}
		if a.opts.Publisher != nil {
			if err := a.Publish(ctx); err != nil {
				a.log.Warn("analytics not published to the core; retrying", "err", err)
			}
		}
	}
}

// Flush writes the changed buckets to bbolt in one transaction.
func (a *Analytics) Flush() error {
	a.io.Lock()
	defer a.io.Unlock()
	if a.closed {
		return ErrClosed
	}
	return a.flushLocked()
}

func (a *Analytics) flushLocked() error {
	a.mu.Lock()
	if len(a.dirty) == 0 {
		a.mu.Unlock()
		return nil
	}
	batch := make(map[key][]byte, len(a.dirty))
	var err error
	for k := range a.dirty {
		if batch[k], err = json.Marshal(a.buckets[k]); err != nil {
			break
		}
	}
	clear(a.dirty)
	since := a.since
	a.mu.Unlock()
	if err == nil {
		err = write(a.db, batch, since, a.opts.Publisher != nil)
	}
	if err != nil {
		a.mu.Lock() // written at the next flush
		for k := range batch {
			a.dirty[k] = struct{}{}
		}
		a.mu.Unlock()
		return fmt.Errorf("analytics: flush: %w", err)
	}
	return nil
}

// pruneDue reports whether an hour passed since the last Prune.
func (a *Analytics) pruneDue(now time.Time) bool {
	a.io.Lock()
	defer a.io.Unlock()
	return now.Sub(a.lastPrune) >= time.Hour
}

// Prune drops the buckets of hours past the retention, in memory and in
// bbolt.
func (a *Analytics) Prune() error {
	a.io.Lock()
	defer a.io.Unlock()
	if a.closed {
		return ErrClosed
	}
	now := a.now()
	a.lastPrune = now
	cutoff := hourOf(now.Add(-a.opts.Retention))
	a.mu.Lock()
	for k := range a.buckets {
		if k.hour < cutoff {
			delete(a.buckets, k)
			delete(a.dirty, k)
		}
	}
	if a.since < cutoff {
		a.since = cutoff
	}
	a.mu.Unlock()
	n, err := prune(a.db, cutoff)
	if err != nil {
		return fmt.Errorf("analytics: prune: %w", err)
	}
	if n > 0 {
		a.log.Info("analytics pruned", "buckets", n, "before", time.Unix(cutoff, 0).UTC())
	}
	return nil
}

// publishBatch bounds one publishing round.
const publishBatch = 256

// Publish hands the buckets not yet with the core to the Publisher,
// oldest first, and clears their marks as each round succeeds. It stops
// at the first failure: the rest waits for the next round.
func (a *Analytics) Publish(ctx context.Context) error {
	if a.opts.Publisher == nil {
		return nil
	}
	a.io.Lock()
	defer a.io.Unlock()
	if a.closed {
		return ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	stop := context.AfterFunc(a.stopCtx, cancel)
	defer stop()
	for {
		keys, data, err := unpublished(a.db, publishBatch)
		if err != nil || len(keys) == 0 {
			return err
		}
		var done []key
		var sent [][]byte
		for i, k := range keys {
			if err = a.opts.Publisher.PublishStats(ctx, k.group, time.Unix(k.hour, 0).UTC(), data[i]); err != nil {
				break
			}
			done, sent = append(done, k), append(sent, data[i])
		}
		if perr := published(a.db, done, sent); perr != nil {
			return errors.Join(err, perr)
		}
		if err != nil {
			return fmt.Errorf("analytics: publish: %w", err)
		}
		if len(keys) < publishBatch {
			return nil
		}
	}
}

// Close writes the last changed buckets and closes the file. Call it
// after the store stopped committing (no more observations). It is
// idempotent.
func (a *Analytics) Close(ctx context.Context) error {
	a.stop() // a publish in progress gives up now
	a.io.Lock()
	defer a.io.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	err := a.flushLocked()
	return errors.Join(err, a.db.Close())
}
