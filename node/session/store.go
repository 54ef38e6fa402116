package session

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Layout. One bucket holds every session's keys clustered under the session
// id, so a message dirties about one leaf page per commit (its message, its
// cid entry and the session's metadata sit side by side) instead of one page
// per index: with fsync'd group commits, the pages written per commit are
// what costs. 0x00 separates the id, which ValidID keeps free of 0x00.
//
//	sessions: sid 0x00 0x01 seq(8, big endian) → Message (JSON)
//	          sid 0x00 0x02 cid               → seq(8)
//	          sid 0x00 0xff                   → Meta (JSON)
//	idle:     bucket(8, unix ns) sid          → nil
//
// The idle index is the sweeper's: its time is LastActive truncated to
// idleGranularity, so it moves only when a session's activity crosses into a
// new granule rather than on every message.
var (
	bucketSessions = []byte("sessions")
	bucketIdle     = []byte("idle")
)

const (
	tagMsg  = 0x01
	tagCID  = 0x02
	tagMeta = 0xff
)

// idleGranularity is the resolution of the expiry index.
const idleGranularity = 10 * time.Minute

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
}

// Result is what a write came to.
type Result struct {
	Msg Message
	// Meta is the session's metadata after a Create or Update.
	Meta Meta
	// Count is what an opSweep deleted.
	Count int
	// Duplicate is set when the message's cid was already stored: Msg is
	// then the stored original and nothing new was written.
	Duplicate bool
	// Replies are what Options.Respond added after Msg; Notes its events.
	Replies []Message
	Notes   []Note
	Err     error
}

// Observer sees every new message once it is durable, in commit order.
// OnMessage runs on the committing goroutine: it must return quickly and
// must not call back into the Store synchronously. m may be kept but must
// not be modified (it is shared with subscribers).
type Observer interface {
	OnMessage(m *Message)
}

type opKind uint8

const (
	opAppend opKind = iota
	opCreate
	opUpdate
	opSweep
	opOutboxDone
	opImport
	opMirror
)

type op struct {
	kind   opKind
	msg    Message
	meta   Meta
	update func(*Meta) error
	origin uint64
	done   func(Result)
	// opSweep
	cutoff time.Time
	limit  int
	// opOutboxDone
	keys []uint64
	// opImport
	msgs []Message
}

// shard is one bbolt file with its committer, cache and hub: a Store
// routes each session to one shard.
type shard struct {
	db      *bolt.DB
	opts    Options
	log     *slog.Logger
	hub     hub
	ops     chan *op
	stopped chan struct{} // closed when the committer exits
	closing atomic.Bool
	mu      sync.RWMutex // held for reading by senders on ops; Close takes it to close ops
	closeMu sync.Mutex
	count   *atomic.Int64 // sessions in the whole store (shared by shards)
	// states caches each session's metadata for the committer, its only
	// writer, so a message costs no metadata decode and, mostly, no
	// metadata write. Owned by the committing goroutine.
	states map[string]*sessState
	// tail indexes the messages still in the log (log.go).
	tail   tail
	obs    *atomic.Pointer[[]Observer] // shared by shards
	closed bool
	// index is the shard's number; outboxLen counts its outbox entries;
	// ready is the Store's outbox signal.
	index     int
	outboxLen atomic.Int64
	ready     chan struct{}
}

// openShard opens (creating if needed) the bbolt file at opts.Path and
// starts its committer.
func openShard(opts Options, index int, ready chan struct{}, count *atomic.Int64, obs *atomic.Pointer[[]Observer]) (*shard, error) {
	if opts.Path == "" {
		return nil, fmt.Errorf("%w: empty store path", ErrInvalid)
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 2000
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.OpenTimeout <= 0 {
		opts.OpenTimeout = 5 * time.Second
	}
	if opts.CompactAt <= 0 {
		opts.CompactAt = 32768
	}
	if opts.CompactChunk <= 0 {
		opts.CompactChunk = 256
	}
	if err := os.MkdirAll(filepath.Dir(opts.Path), 0o700); err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	db, err := bolt.Open(opts.Path, 0o600, &bolt.Options{
		Timeout:        opts.OpenTimeout,
		NoFreelistSync: true, // rebuilt on open; saves a page write per commit
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("session: open %s: %w", opts.Path, err)
	}
	s := &shard{
		count:   count,
		obs:     obs,
		db:      db,
		opts:    opts,
		log:     opts.Logger,
		ops:     make(chan *op, 4*opts.MaxBatch),
		stopped: make(chan struct{}),
		states:  make(map[string]*sessState),
		index:   index,
		ready:   ready,
	}
	s.tail.compactAt, s.tail.chunk = opts.CompactAt, opts.CompactChunk
	s.hub.init()
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketSessions, bucketIdle, bucketLog} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		s.count.Add(int64(tx.Bucket(bucketIdle).Stats().KeyN))
		if opts.Outbox {
			b, err := tx.CreateBucketIfNotExists(bucketOutbox)
			if err != nil {
				return err
			}
			s.outboxLen.Store(int64(b.Stats().KeyN))
		}
		return s.rebuildTail(tx)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("session: init %s: %w", opts.Path, err)
	}
	go s.commitLoop()
	return s, nil
}

// submit hands o to the committer. It blocks while the queue is full
// (backpressure) and fails with ErrClosed once Close began.
func (s *shard) submit(ctx context.Context, o *op) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	select {
	case s.ops <- o:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// wait submits o and waits for its result.
func (s *shard) wait(ctx context.Context, o *op) Result {
	ch := make(chan Result, 1)
	o.done = func(r Result) { ch <- r }
	if err := s.submit(ctx, o); err != nil {
		return Result{Err: err}
	}
	// Once queued the op is committed or failed by the committer (Close
	// drains the queue), so waiting here always ends; ctx only bounds the
	// time the caller is willing to wait for the answer.
	select {
	case r := <-ch:
		return r
	case <-ctx.Done():
		return Result{Err: ctx.Err()}
	}
}

// Create stores a new session and returns its metadata. m.ID may be empty
// (a new id is generated) or an id chosen by the caller.
func (s *shard) Create(ctx context.Context, m Meta) (Meta, error) {
	if m.ID == "" {
		m.ID = NewID()
	} else if !ValidID(m.ID) {
		return Meta{}, fmt.Errorf("%w: session id %q", ErrInvalid, m.ID)
	}
	r := s.wait(ctx, &op{kind: opCreate, meta: m})
	return r.metaOrErr()
}

// Update applies fn to the session's metadata in one transaction. fn must
// not change ID or LastSeq.
func (s *shard) Update(ctx context.Context, id string, fn func(*Meta) error) (Meta, error) {
	r := s.wait(ctx, &op{kind: opUpdate, meta: Meta{ID: id}, update: fn})
	return r.metaOrErr()
}

func (r Result) metaOrErr() (Meta, error) {
	return r.Meta, r.Err
}

// Submit queues a message for storage without waiting: done is called (on
// the committing goroutine; it must not block) once the message is durable
// and handed to the subscribers other than origin, was found to be a
// duplicate, or failed. Submit blocks only while the commit
// queue is full. A zero origin excludes no subscriber.
func (s *shard) Submit(ctx context.Context, m Message, origin uint64, done func(Result)) error {
	if err := m.Check(); err != nil {
		return err
	}
	s.enrich(ctx, &m)
	return s.submit(ctx, &op{kind: opAppend, msg: m, origin: origin, done: done})
}

func (s *shard) enrich(ctx context.Context, m *Message) {
	if s.opts.Enrich != nil && m.From == FromCustomer {
		s.opts.Enrich(ctx, m)
	}
}

// Post stores a message and waits until it is durable and handed to the
// session's subscribers: the internal API through which the bot, agents and
// system notices write to a session.
func (s *shard) Post(ctx context.Context, m Message) (Message, error) {
	if err := m.Check(); err != nil {
		return Message{}, err
	}
	s.enrich(ctx, &m)
	r := s.wait(ctx, &op{kind: opAppend, msg: m})
	return r.Msg, r.Err
}

// Get returns a session's metadata.
func (s *shard) Get(id string) (Meta, error) {
	var m Meta
	s.tail.mu.RLock()
	defer s.tail.mu.RUnlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		m, err = loadMeta(tx.Bucket(bucketSessions), id)
		if seq := s.tail.lastSeq(id); seq > m.LastSeq {
			m.LastSeq = seq
		}
		return err
	})
	return m, err
}

// loadMeta reads a session's metadata with its exact LastSeq, which the
// stored record may lag (the committer does not rewrite it per message):
// the session's last message key is the truth.
func loadMeta(b *bolt.Bucket, id string) (Meta, error) {
	var m Meta
	v := b.Get(metaKey(id))
	if v == nil {
		return m, ErrNoSession
	}
	if err := json.Unmarshal(v, &m); err != nil {
		return m, fmt.Errorf("session: corrupt metadata of %q: %w", id, err)
	}
	c := b.Cursor()
	k, _ := c.Seek(append(sidPrefix(id), tagMsg+1)) // first key after the messages
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	prefix := append(sidPrefix(id), tagMsg)
	if k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8 {
		if seq := binary.BigEndian.Uint64(k[len(prefix):]); seq > m.LastSeq {
			m.LastSeq = seq
		}
	}
	return m, nil
}

// Messages returns up to limit messages of session id with seq > after, in
// seq order (limit <= 0: all).
func (s *shard) Messages(id string, after uint64, limit int) ([]Message, error) {
	var out []Message
	s.tail.mu.RLock()
	defer s.tail.mu.RUnlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		if b.Get(metaKey(id)) == nil {
			return ErrNoSession
		}
		decode := func(k, v []byte) error {
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("session: corrupt message %x: %w", k, err)
			}
			out = append(out, m)
			return nil
		}
		// Compacted messages first (lower seqs), then the log's.
		prefix := append(sidPrefix(id), tagMsg)
		c := b.Cursor()
		for k, v := c.Seek(msgKey(id, after+1)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if err := decode(k, v); err != nil {
				return err
			}
		}
		if ts := s.tail.sessions[id]; ts != nil {
			lb := tx.Bucket(bucketLog)
			var key [8]byte
			for _, e := range ts.entries {
				if e.seq <= after || (len(out) > 0 && e.seq <= out[len(out)-1].Seq) {
					continue // compacted after the tail was read: already above
				}
				binary.BigEndian.PutUint64(key[:], e.lsn)
				if v := lb.Get(key[:]); v != nil {
					_, rec, err := parseLogEntry(v)
					if err != nil {
						return err
					}
					if err := decode(key[:], rec); err != nil {
						return err
					}
				}
			}
		}
		if limit > 0 && len(out) > limit {
			out = out[:limit]
		}
		return nil
	})
	return out, err
}

// Close stops accepting writes, commits everything already queued, and
// closes the database. It is idempotent; ctx bounds the wait for the queue
// to drain (the database is closed regardless).
func (s *shard) Close(ctx context.Context) error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closing.Swap(true) {
		return nil
	}
	s.mu.Lock()
	s.closed = true
	close(s.ops)
	s.mu.Unlock()
	var err error
	select {
	case <-s.stopped:
	case <-ctx.Done():
		err = fmt.Errorf("session: close: queue not drained: %w", ctx.Err())
		<-s.stopped // the committer finishes its current transaction; bounded by disk
	}
	if cerr := s.db.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("session: close: %w", cerr)
	}
	return err
}

func (s *shard) commitLoop() {
	defer close(s.stopped)
	batch := make([]*op, 0, s.opts.MaxBatch)
	results := make([]Result, 0, s.opts.MaxBatch)
	var linger *time.Timer
	if s.opts.Linger > 0 {
		linger = time.NewTimer(s.opts.Linger)
		linger.Stop()
	}
	for first := range s.ops {
		batch = append(batch[:0], first)
		if linger != nil {
			linger.Reset(s.opts.Linger)
			s.collect(&batch, linger.C)
			linger.Stop()
		} else {
			s.collect(&batch, nil)
		}
		results = s.commit(batch, results[:0])
		s.deliver(batch, results)
		clear(batch) // drop references for the GC
	}
}

// collect adds queued ops to batch until it is full, the queue is closed,
// or — with a nil timeout, at once when the queue is empty — timeout fires.
func (s *shard) collect(batch *[]*op, timeout <-chan time.Time) {
	for len(*batch) < s.opts.MaxBatch {
		var o *op
		ok := true
		if timeout == nil {
			select {
			case o, ok = <-s.ops:
			default:
				return
			}
		} else {
			select {
			case o, ok = <-s.ops:
			case <-timeout:
				return
			}
		}
		if !ok {
			return
		}
		*batch = append(*batch, o)
	}
}

// commit applies a batch in one transaction. A failing op gets its own
// error without failing the others; a failing transaction fails them all.
func (s *shard) commit(batch []*op, results []Result) []Result {
	start := time.Now()
	now := s.opts.Now().UTC()
	created, swept := 0, 0
	var w writer
	err := s.db.Update(func(tx *bolt.Tx) error {
		results = results[:0]
		created, swept = 0, 0
		w = writer{s: s, tx: tx, b: tx.Bucket(bucketSessions), idle: tx.Bucket(bucketIdle), log: tx.Bucket(bucketLog), now: now, lsn: s.tail.nextLSN}
		w.log.FillPercent = 1.0 // append-only: keep pages full
		for _, o := range batch {
			var r Result
			switch o.kind {
			case opAppend:
				r = w.append(o)
			case opCreate:
				r = w.create(o)
				if r.Err == nil {
					created++
				}
			case opUpdate:
				r = w.updateMeta(o)
			case opSweep:
				r = w.sweep(o)
				swept += r.Count
			case opOutboxDone:
				r = w.outboxDone(o)
			case opImport:
				r = w.importSession(o)
				if r.Err == nil {
					created++
				}
			case opMirror:
				var made bool
				r, made = w.mirror(o)
				if made {
					created++
				}
			}
			if r.Err != nil && !isOpError(r.Err) {
				return r.Err // a bbolt failure: abort the whole transaction
			}
			results = append(results, r)
		}
		start := time.Now()
		if err := w.compactSome(); err != nil {
			return err
		}
		if m := s.opts.Metrics; m != nil && len(w.moved) > 0 {
			m.CompactSeconds.Observe(time.Since(start).Seconds())
		}
		return nil
	})
	if err != nil {
		s.log.Error("session store commit failed", "err", err, "batch", len(batch))
		clear(s.states) // the cache may hold what was rolled back
		results = results[:0]
		for range batch {
			results = append(results, Result{Err: fmt.Errorf("session: commit: %w", err)})
		}
		return results
	}
	// The log entries are durable: make them visible to readers.
	s.tail.mu.Lock()
	for _, id := range w.dropped {
		s.tail.drop(id)
	}
	s.tail.compacted(w.moved) // before add: moved entries are a prefix
	s.tail.add(w.staged)
	s.tail.nextLSN = w.lsn
	s.tail.mu.Unlock()
	if w.outboxAdded != 0 || w.outboxRemoved != 0 {
		s.outboxLen.Add(int64(w.outboxAdded - w.outboxRemoved))
	}
	if w.outboxAdded > 0 && s.ready != nil {
		select {
		case s.ready <- struct{}{}:
		default:
		}
	}
	if len(s.states) > maxCachedStates {
		clear(s.states) // bounded: reloaded from disk on next use
	}
	if created > 0 || swept > 0 {
		s.count.Add(int64(created - swept))
	}
	if m := s.opts.Metrics; m != nil {
		m.CommitSeconds.Observe(time.Since(start).Seconds())
		m.BatchSize.Observe(float64(len(batch)))
		if swept > 0 {
			m.Expired.Add(float64(swept))
		}
		if created > 0 || swept > 0 {
			m.Sessions.Set(float64(s.count.Load()))
		}
	}
	return results
}

// maxCachedStates bounds the committer's session cache.
const maxCachedStates = 200_000

// sessState is the committer's view of a session.
type sessState struct {
	meta Meta // LastSeq and LastActive are current
	// storedActive is LastActive as last written to disk; the metadata is
	// rewritten when LastActive moves to another idle granule.
	storedActive time.Time
	// dirty is set when a field other than LastSeq/LastActive changed and
	// must be written with the next message.
	dirty bool
}

// isOpError reports whether err concerns one op only (bad input, unknown
// session) rather than the transaction.
func isOpError(err error) bool {
	return errors.Is(err, ErrNoSession) || errors.Is(err, ErrInvalid) || errors.Is(err, errUpdate) || errors.Is(err, ErrGap)
}

var errUpdate = errors.New("session: update refused")

func (s *shard) deliver(batch []*op, results []Result) {
	var obs []Observer
	if p := s.obs.Load(); p != nil {
		obs = *p
	}
	for i, o := range batch {
		r := &results[i]
		if o.kind == opMirror {
			for j := range r.Replies { // the mirrored messages: to subscribers only
				m := new(Message)
				*m = r.Replies[j]
				s.hub.publish(m, 0)
			}
			if o.done != nil {
				o.done(*r)
			}
			continue
		}
		if o.kind == opAppend && r.Err == nil && !r.Duplicate {
			// Subscribers and observers may hold the message after this
			// batch (results is reused): give them their own copy, shared
			// and immutable.
			m := new(Message)
			*m = r.Msg
			s.hub.publish(m, o.origin)
			for _, ob := range obs {
				ob.OnMessage(m)
			}
		}
		if o.done != nil {
			o.done(*r)
		}
		// Replies go to every subscriber, the asker included, after its
		// receipt.
		for j := range r.Replies {
			m := new(Message)
			*m = r.Replies[j]
			s.hub.publish(m, 0)
			for _, ob := range obs {
				ob.OnMessage(m)
			}
		}
		for j := range r.Notes {
			for _, ob := range obs {
				if no, ok := ob.(NoteObserver); ok {
					no.OnNote(&r.Notes[j])
				}
			}
		}
	}
}

// writer applies ops inside one write transaction.
type writer struct {
	s  *shard
	tx *bolt.Tx
	// outboxAdded and outboxRemoved count this transaction's outbox changes.
	outboxAdded, outboxRemoved int
	// importing keeps messages' times and skips the outbox (opImport).
	importing bool
	b         *bolt.Bucket // sessions
	idle      *bolt.Bucket
	log       *bolt.Bucket
	now       time.Time
	lsn       uint64 // next log key
	buf       []byte
	// staged are this transaction's log entries, stagedCID their cids
	// (sid 0x00 cid → index in staged); dropped are swept sessions. All
	// reach the tail only after the commit.
	staged    []staged
	stagedMsg []Message
	stagedCID map[string]int
	dropped   []string
	moved     []staged // compacted by this transaction
}

// state returns the cached state of session id, loading it on a miss.
func (w *writer) state(id string) (*sessState, error) {
	if st, ok := w.s.states[id]; ok {
		return st, nil
	}
	m, err := loadMeta(w.b, id)
	if err != nil {
		return nil, err
	}
	if seq := w.s.tail.lastSeq(id); seq > m.LastSeq {
		m.LastSeq = seq
	}
	st := &sessState{meta: m, storedActive: m.LastActive}
	w.s.states[id] = st
	return st, nil
}

// putMeta writes st's metadata and moves its idle index entry.
func (w *writer) putMeta(st *sessState) error {
	v, err := json.Marshal(&st.meta)
	if err != nil {
		return err
	}
	if err := w.b.Put(metaKey(st.meta.ID), v); err != nil {
		return err
	}
	newIdle := idleKey(st.meta.LastActive, st.meta.ID)
	if !st.storedActive.IsZero() {
		old := idleKey(st.storedActive, st.meta.ID)
		if !bytes.Equal(old, newIdle) {
			if err := w.idle.Delete(old); err != nil {
				return err
			}
		}
	}
	if err := w.idle.Put(newIdle, nil); err != nil {
		return err
	}
	st.storedActive, st.dirty = st.meta.LastActive, false
	return nil
}

func (w *writer) create(o *op) Result {
	m := o.meta
	if w.b.Get(metaKey(m.ID)) != nil {
		return Result{Err: fmt.Errorf("%w: session %q exists", ErrInvalid, m.ID)}
	}
	m.Created, m.LastActive, m.LastSeq = w.now, w.now, 0
	st := &sessState{meta: m}
	if err := w.putMeta(st); err != nil {
		return Result{Err: err}
	}
	if err := w.outboxPut(OutboxMeta, m.ID, 0, "", nil, &m); err != nil {
		return Result{Err: err}
	}
	w.s.states[m.ID] = st
	return Result{Meta: m, Msg: Message{Session: m.ID}}
}

func (w *writer) updateMeta(o *op) Result {
	st, err := w.state(o.meta.ID)
	if err != nil {
		return Result{Err: err}
	}
	m := st.meta
	if err := o.update(&m); err != nil {
		return Result{Err: fmt.Errorf("%w: %w", errUpdate, err)}
	}
	m.ID, m.LastSeq, m.Created, m.LastActive = st.meta.ID, st.meta.LastSeq, st.meta.Created, w.now
	st.meta = m
	if err := w.putMeta(st); err != nil {
		return Result{Err: err}
	}
	if err := w.outboxPut(OutboxMeta, m.ID, 0, "", nil, &m); err != nil {
		return Result{Err: err}
	}
	return Result{Meta: m, Msg: Message{Session: m.ID}}
}

func (w *writer) append(o *op) Result {
	msg := o.msg
	st, err := w.state(msg.Session)
	if err != nil {
		return Result{Err: err}
	}
	if msg.CID != "" {
		if orig, ok, err := w.findCID(msg.Session, msg.CID); err != nil {
			return Result{Err: err}
		} else if ok {
			return Result{Msg: orig, Duplicate: true}
		}
	}
	reopened := msg.From == FromCustomer && !st.meta.ClosedAt.IsZero()
	stored, err := w.put(st, msg)
	if err != nil {
		return Result{Err: err}
	}
	r := Result{Msg: stored}
	if w.s.opts.Respond != nil && stored.From == FromCustomer {
		if r.Replies, r.Notes, err = w.respond(st, &stored, reopened); err != nil {
			return Result{Err: err}
		}
	}
	return r
}

// put appends msg to the log as the session's next message and moves the
// session's state along.
func (w *writer) put(st *sessState, msg Message) (Message, error) {
	msg.Seq = st.meta.LastSeq + 1
	if !w.importing || msg.TS.IsZero() {
		msg.TS = w.now
	}
	w.buf = appendLogHeader(w.buf[:0], msg.Session, msg.Seq, msg.CID)
	hdr := len(w.buf)
	w.buf = appendRecord(w.buf, &msg)
	var key [8]byte
	binary.BigEndian.PutUint64(key[:], w.lsn)
	// bbolt keeps key and value until commit: they must not be reused.
	if err := w.log.Put(bytes.Clone(key[:]), bytes.Clone(w.buf)); err != nil {
		return Message{}, err
	}
	if err := w.outboxPut(OutboxMessage, msg.Session, msg.Seq, msg.Session+"."+strconv.FormatUint(msg.Seq, 10), w.buf[hdr:], nil); err != nil {
		return Message{}, err
	}
	w.staged = append(w.staged, staged{sid: msg.Session, cid: msg.CID, seq: msg.Seq, lsn: w.lsn})
	w.stagedMsg = append(w.stagedMsg, msg)
	if msg.CID != "" {
		if w.stagedCID == nil {
			w.stagedCID = make(map[string]int)
		}
		w.stagedCID[msg.Session+"\x00"+msg.CID] = len(w.staged) - 1
	}
	w.lsn++
	st.meta.LastSeq = msg.Seq
	st.meta.LastActive = w.now
	if msg.From == FromCustomer && !st.meta.ClosedAt.IsZero() {
		st.meta.ClosedAt, st.dirty = time.Time{}, true
	}
	// The metadata record is rewritten only when something other than
	// LastSeq changed or activity moved to another idle granule: LastSeq
	// is derived from the message keys on load (loadMeta).
	if st.dirty || !bytes.Equal(idleKey(st.storedActive, msg.Session), idleKey(w.now, msg.Session)) {
		if err := w.putMeta(st); err != nil {
			return Message{}, err
		}
	}
	return msg, nil
}

// findCID looks cid up in this transaction's entries, the tail and the
// clustered index, and returns the stored message.
func (w *writer) findCID(id, cid string) (Message, bool, error) {
	if i, ok := w.stagedCID[id+"\x00"+cid]; ok {
		return w.stagedMsg[i], true, nil
	}
	var raw []byte
	if seq, ok := w.s.tail.cidSeq(id, cid); ok {
		lsn, _ := w.s.tail.lsnOf(id, seq)
		var key [8]byte
		binary.BigEndian.PutUint64(key[:], lsn)
		if v := w.log.Get(key[:]); v != nil {
			_, rec, err := parseLogEntry(v)
			if err != nil {
				return Message{}, false, err
			}
			raw = rec
		}
	} else if v := w.b.Get(cidKey(id, cid)); v != nil {
		raw = w.b.Get(msgKey(id, binary.BigEndian.Uint64(v)))
	} else {
		return Message{}, false, nil
	}
	var m Message
	if raw == nil {
		return m, false, fmt.Errorf("session: cid %q points at a missing message", cid)
	}
	err := json.Unmarshal(raw, &m)
	return m, err == nil, err
}

// sweep deletes up to o.limit sessions idle since before o.cutoff,
// skipping sessions with a live subscriber.
func (w *writer) sweep(o *op) Result {
	c := w.idle.Cursor()
	var doomed [][]byte
	for k, _ := c.First(); k != nil && len(doomed) < o.limit; k, _ = c.Next() {
		// The index is coarse (idleGranularity): it finds candidates, and
		// each one's exact LastActive decides.
		if len(k) < 8 || time.Unix(0, int64(binary.BigEndian.Uint64(k[:8]))).After(o.cutoff) {
			break
		}
		id := string(k[8:])
		if w.s.Connected(id) {
			continue
		}
		if st, err := w.state(id); err == nil && st.meta.LastActive.After(o.cutoff) {
			continue
		}
		doomed = append(doomed, bytes.Clone(k))
	}
	for _, k := range doomed {
		id := string(k[8:])
		mirror := false
		if st, err := w.state(id); err == nil {
			mirror = st.meta.Origin != ""
		}
		if err := w.idle.Delete(k); err != nil {
			return Result{Err: err}
		}
		if err := deletePrefix(w.b, sidPrefix(id)); err != nil {
			return Result{Err: err}
		}
		if ts := w.s.tail.sessions[id]; ts != nil {
			var key [8]byte
			for _, e := range ts.entries {
				binary.BigEndian.PutUint64(key[:], e.lsn)
				if err := w.log.Delete(key[:]); err != nil {
					return Result{Err: err}
				}
			}
		}
		if !mirror {
			if err := w.outboxPut(OutboxExpire, id, 0, "", nil, nil); err != nil {
				return Result{Err: err}
			}
		}
		w.dropped = append(w.dropped, id)
		delete(w.s.states, id)
	}
	return Result{Count: len(doomed)}
}

func sidPrefix(id string) []byte {
	k := make([]byte, 0, len(id)+10)
	return append(append(k, id...), 0)
}

func metaKey(id string) []byte { return append(sidPrefix(id), tagMeta) }

func msgKey(id string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append(sidPrefix(id), tagMsg), seq)
}

func cidKey(id, cid string) []byte {
	return append(append(sidPrefix(id), tagCID), cid...)
}

func idleKey(t time.Time, id string) []byte {
	k := make([]byte, 8, 8+len(id))
	binary.BigEndian.PutUint64(k, uint64(t.Truncate(idleGranularity).UnixNano()))
	return append(k, id...)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
