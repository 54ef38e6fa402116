package session

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/edgedesk/edgedesk/node/delivery"
)

// Store is the durable session store and the hub of live subscribers. It
// routes each session to one of its shards; every method is safe for
// concurrent use.
type Store struct {
	shards []*shard
	count  atomic.Int64
	obs    atomic.Pointer[[]Observer]
	expire atomic.Pointer[[]func([]Meta)] // OnExpire's
	subIDs atomic.Uint64
	opts   Options
	// outboxReady is signalled after a commit added outbox events.
	outboxReady chan struct{}
	// deliveryReady is signalled after a commit added pending deliveries.
	deliveryReady chan struct{}
	// resealed is set when RunResealer finished.
	resealed atomic.Bool
}

// Options configures a Store. Zero values take the documented defaults.
type Options struct {
	// Path of the bbolt file. Required. With Shards > 1 each shard is a
	// file beside it: sessions.db becomes sessions-0-of-4.db, ….
	Path string
	// Shards spreads sessions over this many bbolt files, each with its
	// own committer, so commits run in parallel (default 1). A session
	// always lives in the same shard (FNV-1a of its id), so the count must
	// not change once data exists; Open refuses a mismatch.
	Shards int
	// MaxBatch bounds the requests merged into one commit (default 2000).
	MaxBatch int
	// Linger is how long the committer keeps collecting writes after the
	// first one arrives before it commits them together (default 0: commit
	// what is queued at once). A commit's fixed cost — two fdatasyncs, the
	// meta page — is about 300 µs of CPU here; lingering 1 ms turns one
	// commit per message at moderate load into one per dozen.
	Linger time.Duration
	// OutboxDoneWait is how long a delete of published outbox events
	// (OutboxDone) that finds the committer idle waits for a write to
	// commit with, rather than paying a commit of its own (default
	// 200ms; a negative value: none). Deleting late loses nothing: an
	// event still in the outbox after a crash is checked against the
	// stream before it is sent again.
	OutboxDoneWait time.Duration
	// Logger receives store events (default: discard).
	Logger *slog.Logger
	// Metrics, if set, is updated by the store.
	Metrics *Metrics
	// Now is the clock (default time.Now); tests replace it.
	Now func() time.Time
	// OpenTimeout bounds waiting for the file lock another process holds
	// (default 5s).
	OpenTimeout time.Duration
	// CompactAt is the number of log entries (per shard) past which every
	// commit also moves some into the per-session layout (default 32768:
	// dozens per active session, so a rewritten page carries many
	// messages); CompactChunk is about how many one commit moves (default
	// 256), which bounds the work it adds.
	CompactAt, CompactChunk int
	// Enrich, if set, runs on the caller's goroutine for every customer
	// message before it is queued, to fill in what the node understands of
	// it (intent, confidence, language). It must respect ctx and leave the
	// message storable; it cannot refuse it.
	Enrich func(ctx context.Context, m *Message)
	// Outbox keeps every session event in an outbox bucket, written in the
	// transaction of the change, for a publisher to ship (outbox.go).
	Outbox bool
	// Respond, if set, answers each new customer message inside the
	// transaction that stores it (see Turn). It runs on the committing
	// goroutine, so it must be quick, do no I/O and not call the Store.
	Respond func(t *Turn)
	// ProfileRetention, if set, is how long a session keeps its
	// customer's name and email after its last activity: RunSweeper
	// clears them past it (ForgetProfiles). Zero keeps them as long as
	// the session.
	ProfileRetention time.Duration
	// MaxSessionMessages and MaxSessionBytes cap what one session holds
	// (0: no cap): a message past either is refused with ErrSessionFull.
	// Bytes count the stored records. The bot's answers to an accepted
	// message and imported history are not refused.
	MaxSessionMessages int
	MaxSessionBytes    int64
	// Keys, if set, seals records at rest (seal.go): new ones with its
	// current key; records of its old keys and plaintext ones are read,
	// and RunResealer re-seals them.
	Keys *Keyring
	// Deliver, if set, is asked for every bot, agent and system message
	// whether it must go out through a channel's delivery queue, and
	// where (Item.Channel, Item.To; Item.NotBefore to delay it): the item
	// is written in the message's transaction (deliveries.go). Key,
	// SessionID, Seq, Created and, when empty, Text and Lang are filled
	// in by the store. It runs on the committing goroutine: quick, no I/O,
	// no calls into the Store; meta must not be modified.
	Deliver func(meta *Meta, m *Message) (delivery.Item, bool)
}

// Result is what a write came to.
type Result struct {
	Msg Message
	// Meta is the session's metadata after a Create or Update.
	Meta Meta
	// Count is what an opSweep deleted; Expired the metadata of those
	// that were this node's own (not mirrors of another node's sessions).
	Count   int
	Expired []Meta
	// Outbox is how many unpublished events an opErase deleted.
	Outbox int
	// Duplicate is set when the message's cid was already stored: Msg is
	// then the stored original and nothing new was written.
	Duplicate bool
	// Replies are what Options.Respond added after Msg; Notes its events.
	Replies []Message
	Notes   []Note
	Err     error
	// item is what an opDelivery revived.
	item delivery.Item
}

// Observer sees every new message once it is durable, in commit order.
// OnMessage runs on the committing goroutine: it must return quickly and
// must not call back into the Store synchronously. m may be kept but must
// not be modified (it is shared with subscribers).
type Observer interface {
	OnMessage(m *Message)
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
	s := &Store{opts: opts, outboxReady: make(chan struct{}, 1), deliveryReady: make(chan struct{}, 1)}
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
		sh.deliveryReady = s.deliveryReady
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

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
