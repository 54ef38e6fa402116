package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// File is the audit log's file name inside the data directory.
const File = "audit.db"

// DefaultRetention is how long entries are kept unless told otherwise.
const DefaultRetention = 180 * 24 * time.Hour

var (
	bucketEntries = []byte("entries") // Key → Entry (JSON)
	bucketUnsent  = []byte("unsent")  // Key → nothing: not yet acknowledged by the core
)

// Options configures a Log.
type Options struct {
	// DataDir holds audit.db and audit-pending/. Required.
	DataDir string
	// Node names this node in every entry.
	Node string
	// Retention is how long entries are kept (default DefaultRetention).
	Retention time.Duration
	// SweepInterval is how often the sweeper runs (default 1h).
	SweepInterval time.Duration
	// Publisher, when set, gets every entry (Run retries until it takes
	// them).
	Publisher Publisher
	// Logger (nil: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Log is an open audit log.
type Log struct {
	o     Options
	db    *bolt.DB
	log   *slog.Logger
	ready chan struct{} // signalled (never blocking) after a record

	mu      sync.RWMutex // closed; held for reading by every operation on db
	closed  bool
	closing bool           // Close began: Go takes no more
	pending sync.WaitGroup // Go's records in flight
}

// Open opens (creating if needed) data_dir/audit.db. It waits up to 5
// seconds for another process (an edgedesk command) to let go of it.
func Open(o Options) (*Log, error) {
	if o.DataDir == "" {
		return nil, fmt.Errorf("%w: DataDir is required", ErrInvalid)
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.SweepInterval <= 0 {
		o.SweepInterval = time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	db, err := openDB(o.DataDir, 5*time.Second)
	if err != nil {
		return nil, err
	}
	// Concurrent records share a commit; a lone one (the usual case) waits
	// no more than this for company.
	db.MaxBatchDelay = 2 * time.Millisecond
	return &Log{o: o, db: db, log: o.Logger, ready: make(chan struct{}, 1)}, nil
}

// openDB opens audit.db read-write with its buckets, waiting up to
// timeout for another process's lock (bolt.ErrTimeout past it).
func openDB(dataDir string, timeout time.Duration) (*bolt.DB, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	path := filepath.Join(dataDir, File)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		return nil, fmt.Errorf("audit: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketEntries, bucketUnsent} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("audit: %s: %w", path, err)
	}
	return db, nil
}

// Path is the log's file.
func (l *Log) Path() string { return l.db.Path() }

// Record appends e to the log and returns once it is durable. It sets
// e.Node and, when zero, e.At. An entry that breaks the limits is refused
// with ErrInvalid (the caller's bug: fields taken from clients are cut to
// size with Truncate first).
func (l *Log) Record(ctx context.Context, e Entry) error {
	if e.At.IsZero() {
		e.At = l.o.Now()
	}
	e.At = e.At.UTC()
	e.Node = l.o.Node
	if err := e.validate(); err != nil {
		return err
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	err := l.db.Batch(func(tx *bolt.Tx) error { return insert(tx, &e) })
	if err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	select {
	case l.ready <- struct{}{}:
	default:
	}
	return nil
}

// insert appends e in tx, marked unsent. e.Key is set.
func insert(tx *bolt.Tx, e *Entry) error {
	b := tx.Bucket(bucketEntries)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	e.Key = makeKey(e.At, seq)
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := b.Put(e.Key[:], v); err != nil {
		return err
	}
	return tx.Bucket(bucketUnsent).Put(e.Key[:], nil)
}

// Go records e without waiting, for callers that must not block (the
// store's committing goroutine). A failure is logged: it can only be the
// disk's, which the node's other stores report too.
func (l *Log) Go(e Entry) {
	if e.At.IsZero() {
		e.At = l.o.Now()
	}
	l.mu.RLock()
	if l.closing {
		l.mu.RUnlock()
		l.log.Error("audit entry after close, not recorded", "action", e.Action, "actor", e.Actor, "target", e.Target)
		return
	}
	l.pending.Add(1)
	l.mu.RUnlock()
	go func() {
		defer l.pending.Done()
		if err := l.Record(context.Background(), e); err != nil && !errors.Is(err, ErrClosed) {
			l.log.Error("audit entry not recorded", "action", e.Action, "actor", e.Actor, "target", e.Target, "err", err)
		}
	}()
}

// Close waits for the entries Go was given (until ctx is done), then
// closes the file; Record, Query and a running Run's rounds return
// ErrClosed after it. It is idempotent.
func (l *Log) Close(ctx context.Context) error {
	l.mu.Lock()
	l.closing = true
	l.mu.Unlock()
	done := make(chan struct{})
	go func() { l.pending.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		l.log.Error("audit: closing before every entry was recorded", "err", ctx.Err())
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if err := l.db.Close(); err != nil {
		return fmt.Errorf("audit: close: %w", err)
	}
	return nil
}
