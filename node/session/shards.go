package session

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// Store is the durable session store and the hub of live subscribers. It
// routes each session to one of its shards; every method is safe for
// concurrent use.
type Store struct {
	shards []*shard
	count  atomic.Int64
	obs    atomic.Pointer[[]Observer]
	subIDs atomic.Uint64
	opts   Options
	// outboxReady is signalled after a commit added outbox events.
	outboxReady chan struct{}
}

// Open opens (creating if needed) the store's shards and starts their
// committers.
func Open(opts Options) (*Store, error) {
	if opts.Path == "" {
		return nil, fmt.Errorf("%w: empty store path", ErrInvalid)
	}
	if opts.Shards <= 0 {
		opts.Shards = 1
	}
	if opts.Shards > 64 {
		return nil, fmt.Errorf("%w: %d shards (at most 64)", ErrInvalid, opts.Shards)
	}
	if err := checkShardFiles(opts.Path, opts.Shards); err != nil {
		return nil, err
	}
	s := &Store{opts: opts, outboxReady: make(chan struct{}, 1)}
	for i := 0; i < opts.Shards; i++ {
		o := opts
		o.Path = shardPath(opts.Path, i, opts.Shards)
		sh, err := openShard(o, i, s.outboxReady, &s.count, &s.obs)
		if err != nil {
			for _, open := range s.shards {
				open.Close(context.Background())
			}
			return nil, err
		}
		s.shards = append(s.shards, sh)
	}
	if m := opts.Metrics; m != nil {
		m.Sessions.Set(float64(s.count.Load()))
	}
	return s, nil
}

func shardPath(path string, i, n int) string {
	if n == 1 {
		return path
	}
	ext := filepath.Ext(path)
	return fmt.Sprintf("%s-%d-of-%d%s", strings.TrimSuffix(path, ext), i, n, ext)
}

// checkShardFiles refuses to open with a shard count other than the one
// the existing files were written with: sessions would be looked up in the
// wrong file.
func checkShardFiles(path string, n int) error {
	ext := filepath.Ext(path)
	pattern := strings.TrimSuffix(path, ext) + "-*-of-*" + ext
	matches, _ := filepath.Glob(pattern)
	if _, err := filepath.Glob(path); err == nil {
		if fileExists(path) {
			matches = append(matches, path)
		}
	}
	for _, m := range matches {
		if m != shardPath(path, 0, n) && !strings.HasSuffix(m, fmt.Sprintf("-of-%d%s", n, ext)) {
			return fmt.Errorf("%w: %s was written with another store.shards setting than %d; keep the original count", ErrInvalid, m, n)
		}
	}
	return nil
}

func (s *Store) pick(id string) *shard {
	if len(s.shards) == 1 {
		return s.shards[0]
	}
	h := fnv.New64a()
	h.Write([]byte(id))
	return s.shards[h.Sum64()%uint64(len(s.shards))]
}

// AddObserver registers o to see every new durable message.
func (s *Store) AddObserver(o Observer) {
	for {
		old := s.obs.Load()
		var list []Observer
		if old != nil {
			list = append(list, *old...)
		}
		list = append(list, o)
		if s.obs.CompareAndSwap(old, &list) {
			return
		}
	}
}

// Sessions returns the number of sessions in the store.
func (s *Store) Sessions() int64 { return s.count.Load() }

// Create stores a new session and returns its metadata. m.ID may be empty
// (a new id is generated) or an id chosen by the caller.
func (s *Store) Create(ctx context.Context, m Meta) (Meta, error) {
	if m.ID == "" {
		m.ID = NewID()
	} else if !ValidID(m.ID) {
		return Meta{}, fmt.Errorf("%w: session id %q", ErrInvalid, m.ID)
	}
	return s.pick(m.ID).Create(ctx, m)
}

// Update applies fn to the session's metadata in one transaction. fn must
// not change ID or LastSeq.
func (s *Store) Update(ctx context.Context, id string, fn func(*Meta) error) (Meta, error) {
	return s.pick(id).Update(ctx, id, fn)
}

// Submit queues a message for storage without waiting: done is called (on
// the committing goroutine; it must not block) once the message is durable
// and handed to the subscribers other than origin, was found to be a
// duplicate, or failed. Submit blocks only while the commit queue is full.
// A zero origin excludes no subscriber.
func (s *Store) Submit(ctx context.Context, m Message, origin uint64, done func(Result)) error {
	return s.pick(m.Session).Submit(ctx, m, origin, done)
}

// Post stores a message and waits until it is durable and handed to the
// session's subscribers: the internal API through which the bot, agents and
// system notices write to a session.
func (s *Store) Post(ctx context.Context, m Message) (Message, error) {
	return s.pick(m.Session).Post(ctx, m)
}

// Get returns a session's metadata.
func (s *Store) Get(id string) (Meta, error) { return s.pick(id).Get(id) }

// Messages returns up to limit messages of session id with seq > after, in
// seq order (limit <= 0: all).
func (s *Store) Messages(id string, after uint64, limit int) ([]Message, error) {
	return s.pick(id).Messages(id, after, limit)
}

// NewSubscriberID returns an id no other live Subscriber of this store has
// (never 0, which means "no origin"). Every transport takes its
// subscribers' ids here, so ids never collide across transports.
func (s *Store) NewSubscriberID() uint64 { return s.subIDs.Add(1) }

// Subscribe adds sub to session id's subscribers.
func (s *Store) Subscribe(id string, sub Subscriber) { s.pick(id).Subscribe(id, sub) }

// Unsubscribe removes sub from session id's subscribers.
func (s *Store) Unsubscribe(id string, sub Subscriber) { s.pick(id).Unsubscribe(id, sub) }

// Connected reports whether session id has a live subscriber.
func (s *Store) Connected(id string) bool { return s.pick(id).Connected(id) }

// Signal sends a transient event (typing, queue position) to the session's
// subscribers other than origin. It is not stored.
func (s *Store) Signal(id string, ev *Event, origin uint64) { s.pick(id).Signal(id, ev, origin) }

// Sweep deletes up to batch idle sessions per shard (see shard.Sweep) and
// returns how many it deleted in all.
func (s *Store) Sweep(cutoff time.Time, batch int) (int, error) {
	total := 0
	for _, sh := range s.shards {
		n, err := sh.Sweep(cutoff, batch)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// RunSweeper expires sessions idle longer than retention every interval,
// at most batch per shard transaction, until ctx is done.
func (s *Store) RunSweeper(ctx context.Context, retention, interval time.Duration, batch int) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	log := s.shards[0].log
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		cutoff := s.shards[0].opts.Now().Add(-retention)
		for _, sh := range s.shards {
			for ctx.Err() == nil {
				n, err := sh.Sweep(cutoff, batch)
				if err != nil {
					if !errors.Is(err, ErrClosed) {
						log.Error("session sweep failed", "err", err)
					}
					break
				}
				if n > 0 {
					log.Info("expired idle sessions", "count", n, "idle_since_before", cutoff)
				}
				if n < batch {
					break
				}
			}
		}
	}
}

// Close stops accepting writes, commits everything already queued in every
// shard, and closes the files. It is idempotent.
func (s *Store) Close(ctx context.Context) error {
	var errs []error
	for _, sh := range s.shards {
		if err := sh.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
