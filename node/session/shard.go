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
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/edgedesk/edgedesk/node/delivery"
)

type opKind uint8

const (
	opAppend opKind = iota
	opCreate
	opUpdate
	opSweep
	opOutboxDone
	opImport
	opMirror
	opRate
	opErase       // customers.go
	opScrub       // customers.go
	opProfiles    // profiles.go
	opErasureDone // customers.go
	opReseal      // reseal.go
	opDelivery    // deliveries.go
	opLink        // identities.go
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
	// opRate
	rating Rating
	// opErase
	pending *PendingErasure
	// opReseal: where the next batch starts (limit is its size), and
	// the records that could not be re-sealed.
	stage    int
	from     []byte
	failed   int
	firstErr error
	// opDelivery (stage is the outcome)
	item delivery.Item
	// opLink
	identity Identity
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
	// deliveryReady is the Store's delivery signal.
	deliveryReady chan struct{}
	// profilesFrom is where ForgetProfiles resumes (profiles.go); the
	// committer's.
	profilesFrom []byte
	// scrubOwed: an erasure freed pages that are not scrubbed yet.
	scrubOwed atomic.Bool
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
	if opts.OutboxDoneWait == 0 {
		opts.OutboxDoneWait = 200 * time.Millisecond
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
		for _, name := range [][]byte{bucketSessions, bucketIdle, bucketLog, bucketWaiting, bucketDeliveries, bucketDead, bucketIdentities, bucketCustomerIdentities} {
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
		if err := ensureCustomerIndex(tx, opts.Keys); err != nil {
			return err
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
	m.Neutralize()
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
	m.Neutralize()
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
		m, err = loadMeta(tx.Bucket(bucketSessions), id, s.opts.Keys)
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
func loadMeta(b *bolt.Bucket, id string, kr *Keyring) (Meta, error) {
	var m Meta
	mk := metaKey(id)
	v := b.Get(mk)
	if v == nil {
		return m, ErrNoSession
	}
	v, err := kr.open(appendAAD(nil, aadMeta, mk), v)
	if err != nil {
		return m, fmt.Errorf("session: metadata of %q: %w", id, err)
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
		var aad []byte
		decode := func(k, v []byte) error {
			aad = appendAAD(aad[:0], aadMsg, k)
			v, err := s.opts.Keys.open(aad, v)
			if err != nil {
				return fmt.Errorf("session: message %x: %w", k, err)
			}
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("session: corrupt message %x: %w", k, err)
			}
			out = append(out, m)
			return nil
		}
		// Compacted messages first (lower seqs), then the log's.
		// A limited read stops at limit: a resuming widget pages through a
		// long history and must not cost the whole of it in memory.
		full := func() bool { return limit > 0 && len(out) >= limit }
		prefix := append(sidPrefix(id), tagMsg)
		c := b.Cursor()
		for k, v := c.Seek(msgKey(id, after+1)); k != nil && bytes.HasPrefix(k, prefix) && !full(); k, v = c.Next() {
			if err := decode(k, v); err != nil {
				return err
			}
		}
		if ts := s.tail.sessions[id]; ts != nil && !full() {
			lb := tx.Bucket(bucketLog)
			var key [8]byte
			for _, e := range ts.entries {
				if full() {
					break
				}
				if e.seq <= after || (len(out) > 0 && e.seq <= out[len(out)-1].Seq) {
					continue // compacted after the tail was read: already above
				}
				binary.BigEndian.PutUint64(key[:], e.lsn)
				if v := lb.Get(key[:]); v != nil {
					h, rec, err := parseLogEntry(v)
					if err != nil {
						return err
					}
					if err := decode(msgKey(h.Session, h.Seq), rec); err != nil {
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
	var hold *time.Timer
	if s.opts.OutboxDoneWait > 0 {
		hold = time.NewTimer(s.opts.OutboxDoneWait)
		hold.Stop()
	}
	for first := range s.ops {
		batch = append(batch[:0], first)
		if first.kind == opOutboxDone && hold != nil {
			// Deletes alone are not worth two fdatasyncs: they wait for
			// a write to ride with (the publisher's next ones queue up
			// behind them), or for OutboxDoneWait.
			hold.Reset(s.opts.OutboxDoneWait)
			s.awaitWrite(&batch, hold.C)
			hold.Stop()
		}
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

// awaitWrite adds queued ops to batch until one is not an outbox delete,
// the batch is full, the queue is closed, or timeout fires.
func (s *shard) awaitWrite(batch *[]*op, timeout <-chan time.Time) {
	for len(*batch) < s.opts.MaxBatch {
		select {
		case o, ok := <-s.ops:
			if !ok {
				return
			}
			*batch = append(*batch, o)
			if o.kind != opOutboxDone {
				return
			}
		case <-timeout:
			return
		}
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
	created, swept, erased := 0, 0, 0
	var w writer
	err := s.db.Update(func(tx *bolt.Tx) error {
		results = results[:0]
		created, swept, erased = 0, 0, 0
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
			case opRate:
				r = w.rate(o)
			case opErase:
				r = w.erase(o)
				erased += r.Count
			case opErasureDone:
				r = w.erasureDone(o)
			case opScrub:
				r = w.scrubFree()
			case opProfiles:
				r = w.forgetProfiles(o)
			case opReseal:
				r = w.reseal(o)
			case opDelivery:
				r = w.deliveryApply(o)
			case opLink:
				r = w.link(o)
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
	if w.deliveriesAdded > 0 && s.deliveryReady != nil {
		select {
		case s.deliveryReady <- struct{}{}:
		default:
		}
	}
	if len(s.states) > maxCachedStates {
		clear(s.states) // bounded: reloaded from disk on next use
	}
	if created > 0 || swept > 0 || erased > 0 {
		s.count.Add(int64(created - swept - erased))
	}
	if m := s.opts.Metrics; m != nil {
		m.Fsyncs.Add(bboltCommitSyncs)
		m.CommitSeconds.Observe(time.Since(start).Seconds())
		m.BatchSize.Observe(float64(len(batch)))
		if swept > 0 {
			m.Expired.Add(float64(swept))
		}
		if created > 0 || swept > 0 || erased > 0 {
			m.Sessions.Set(float64(s.count.Load()))
		}
	}
	return results
}

// bboltCommitSyncs is the fdatasyncs of one bbolt read-write commit: the
// dirty pages, then the meta page (bbolt's tx.Commit; NoFreelistSync
// saves a page, not a sync). A commit that grows the file adds a third,
// rarely: the count is a floor.
const bboltCommitSyncs = 2

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
	// storedWaiting is whether the waiting index holds the session.
	storedWaiting bool
	// storedCustomer is the customer id the customer index holds it under.
	storedCustomer string
}

// isOpError reports whether err concerns one op only (bad input, unknown
// session) rather than the transaction.
func isOpError(err error) bool {
	return errors.Is(err, ErrNoSession) || errors.Is(err, ErrInvalid) || errors.Is(err, errUpdate) || errors.Is(err, ErrGap) ||
		errors.Is(err, ErrNoChat) || errors.Is(err, ErrRated) || errors.Is(err, errReaders) || errors.Is(err, ErrSessionFull) ||
		errors.Is(err, ErrNoDelivery)
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
		if o.kind == opRate && r.Err == nil && !r.Duplicate && r.Meta.LastChat != nil && r.Meta.LastChat.Rating != nil {
			r.Notes = append(r.Notes, csatNote(r.Meta.ID, r.Meta.LastSeq, r.Meta.LastChat))
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
