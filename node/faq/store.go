package faq

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Layout (see doc.go):
//
//	meta:    "schema"  → 1 byte, schemaVersion
//	         "version" → uint64, big endian: the set version
//	entries: intent 0x00 lang → Entry (JSON, with its Version)
var (
	bucketMeta    = []byte("meta")
	bucketEntries = []byte("entries")
	keySchema     = []byte("schema")
	keyVersion    = []byte("version")
)

const schemaVersion = 1

// Options configures a Store. Zero values take the documented defaults.
type Options struct {
	// Logger receives store events (default: discard).
	Logger *slog.Logger
	// OpenTimeout bounds waiting for the file lock another handle holds
	// (default 1s); past it Open fails with an error wrapping ErrLocked.
	OpenTimeout time.Duration
}

// Store is the FAQ: a bbolt file and, in memory, an immutable snapshot of
// its current set that readers use without locks. Safe for concurrent
// use; writes (Replace, Import, SeedIfEmpty) are serialised.
type Store struct {
	db   *bolt.DB
	path string
	log  *slog.Logger
	snap atomic.Pointer[Snapshot]

	mu     sync.Mutex // serialises writers and Close
	closed bool
}

// Open opens the store at path, creating the file (and its directory)
// when missing, and loads its current set into memory. Stored entries
// that no longer validate (say, written by a newer build) are skipped
// with a warning; they disappear at the next Replace.
func Open(path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: empty store path", ErrInvalid)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.OpenTimeout <= 0 {
		opts.OpenTimeout = time.Second
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("faq: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.OpenTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("faq: open %s: %w (after waiting %v; is another edgedesk running on this data directory?)", path, ErrLocked, opts.OpenTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("faq: open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, log: opts.Logger}
	if err := s.load(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// load creates the buckets when missing and reads the set into memory.
func (s *Store) load() error {
	var snap *Snapshot
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		entries, err := tx.CreateBucketIfNotExists(bucketEntries)
		if err != nil {
			return err
		}
		switch v := meta.Get(keySchema); {
		case v == nil:
			if err := meta.Put(keySchema, []byte{schemaVersion}); err != nil {
				return err
			}
		case len(v) != 1:
			return fmt.Errorf("%w: schema key of %d bytes", ErrCorrupt, len(v))
		case v[0] != schemaVersion:
			return fmt.Errorf("%w: schema %d, this build reads %d", ErrCorrupt, v[0], schemaVersion)
		}
		var version uint64
		if v := meta.Get(keyVersion); v != nil {
			if len(v) != 8 {
				return fmt.Errorf("%w: version key of %d bytes", ErrCorrupt, len(v))
			}
			version = binary.BigEndian.Uint64(v)
		}
		var answers []*Answer
		err = entries.ForEach(func(k, v []byte) error {
			a, err := decodeStored(k, v)
			if err != nil {
				s.log.Warn("faq: skipping a stored entry", "key", strings.ReplaceAll(string(k), "\x00", "/"), "err", err)
				return nil
			}
			answers = append(answers, a)
			return nil
		})
		if err != nil {
			return err
		}
		sortAnswers(answers)
		snap = newSnapshot(version, answers)
		return nil
	})
	if err != nil {
		return fmt.Errorf("faq: load %s: %w", s.path, err)
	}
	s.snap.Store(snap)
	s.log.Info("faq: opened", "path", s.path, "version", snap.version, "entries", len(snap.answers))
	return nil
}

// decodeStored decodes and recompiles a stored entry.
func decodeStored(k, v []byte) (*Answer, error) {
	var e Entry
	if err := json.Unmarshal(v, &e); err != nil {
		return nil, err
	}
	version := e.Version
	a, ps := compile(e)
	if len(ps) > 0 {
		return nil, fmt.Errorf("field %q: %s", ps[0].field, ps[0].msg)
	}
	if !bytes.Equal(k, entryKey(a.Intent, a.Lang)) {
		return nil, errors.New("key does not match the entry")
	}
	a.Version = version
	return a, nil
}

func entryKey(intent, lang string) []byte {
	k := make([]byte, 0, len(intent)+1+len(lang))
	k = append(k, intent...)
	k = append(k, 0)
	return append(k, lang...)
}

// Close closes the file. Reads keep answering from the last set; writes
// fail with ErrClosed. Close is idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("faq: close %s: %w", s.path, err)
	}
	return nil
}

// Snapshot returns the current set. It never changes: look several
// intents up in one snapshot to get answers all from the same set.
func (s *Store) Snapshot() *Snapshot { return s.snap.Load() }

// Version returns the current set's version: 0 for a store that was
// never written, then 1, 2, … one per Replace (or Import).
func (s *Store) Version() uint64 { return s.snap.Load().version }

// Len returns the number of entries in the current set.
func (s *Store) Len() int { return len(s.snap.Load().answers) }

// Lookup finds the entry for intent in the first language of langs that
// has one (each tag exactly as given: build langs with Chain). It takes
// no lock and does not allocate.
func (s *Store) Lookup(intent string, langs []string) (*Answer, bool) {
	return s.snap.Load().Lookup(intent, langs)
}

// Entries returns copies of the current set's entries, sorted by intent,
// then lang.
func (s *Store) Entries() []Entry { return s.snap.Load().Entries() }

// Replace validates entries and stores them as the new complete set,
// version Version()+1, in one bbolt transaction; readers see the old set
// until it has committed, then the new one. Languages are canonicalised.
// An entry keeps its Version when it is unchanged from the previous set,
// else gets the new set version (the Version given is ignored). An
// identical set still makes a new version: Replace means "this is now
// the set". An empty set is allowed and empties the FAQ. Invalid entries
// make an *ImportError whose LineError.Line is the entry's 1-based
// position; then nothing changes.
func (s *Store) Replace(entries []Entry) (uint64, error) {
	if len(entries) > MaxEntries {
		return 0, &ImportError{Errs: []LineError{{Msg: fmt.Sprintf("%d entries, at most %d allowed", len(entries), MaxEntries)}}}
	}
	in := make([]lineEntry, len(entries))
	for i, e := range entries {
		in[i] = lineEntry{i + 1, e.clone()} // the set must not share the caller's slices
	}
	var errs errList
	answers := compileAll(in, &errs)
	if err := errs.err(); err != nil {
		return 0, err
	}
	v, _, err := s.replace(answers, nil)
	return v, err
}

// Import reads a whole set in format f from r, validates all of it —
// collecting every problem, each naming its line and field — and, when
// there is none, Replaces the set with it. On any error nothing changes:
// problems with the input are an *ImportError (wrapping ErrInvalid). An
// input without entries is refused (use Replace to empty the FAQ).
func (s *Store) Import(r io.Reader, f Format) (uint64, error) {
	answers, err := parseAll(r, f)
	if err != nil {
		return 0, err
	}
	v, _, err := s.replace(answers, nil)
	return v, err
}

// SeedIfEmpty imports data (JSONL) when the store has never had a set
// (Version() == 0), and reports whether it did.
func (s *Store) SeedIfEmpty(data []byte) (bool, error) {
	if s.Version() != 0 {
		return false, nil
	}
	answers, err := parseAll(bytes.NewReader(data), JSONL)
	if err != nil {
		return false, err
	}
	_, done, err := s.replace(answers, func(cur *Snapshot) bool { return cur.version == 0 })
	return done, err
}

func parseAll(r io.Reader, f Format) ([]*Answer, error) {
	var errs errList
	in, err := readEntries(r, f, &errs)
	if err != nil {
		return nil, err
	}
	answers := compileAll(in, &errs)
	if err := errs.err(); err != nil {
		return nil, err
	}
	return answers, nil
}

// Export writes the current set in format f, sorted by intent, then lang,
// with each entry's version.
func (s *Store) Export(w io.Writer, f Format) error {
	return s.snap.Load().Export(w, f)
}

// replace stores answers (validated, sorted) as the next set, when cond
// (if set) holds for the current one.
func (s *Store) replace(answers []*Answer, cond func(*Snapshot) bool) (version uint64, done bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, false, ErrClosed
	}
	old := s.snap.Load()
	if cond != nil && !cond(old) {
		return old.version, false, nil
	}
	version = old.version + 1
	changed := 0
	for i, a := range answers {
		if oa, ok := old.get(a.Intent, a.Lang); ok && sameContent(&oa.Entry, &a.Entry) {
			answers[i] = oa // unchanged: keep it, and its version
			continue
		}
		a.Version = version
		changed++
	}
	next := newSnapshot(version, answers)
	removed := 0
	start := time.Now()
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEntries)
		var gone [][]byte
		err := b.ForEach(func(k, _ []byte) error {
			intent, lang, ok := bytes.Cut(k, []byte{0})
			if _, keep := next.get(string(intent), string(lang)); !ok || !keep {
				gone = append(gone, k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range gone {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		removed = len(gone)
		for _, a := range answers {
			k := entryKey(a.Intent, a.Lang)
			v, err := json.Marshal(&a.Entry)
			if err != nil {
				return err
			}
			if !bytes.Equal(b.Get(k), v) {
				if err := b.Put(k, v); err != nil {
					return err
				}
			}
		}
		var vb [8]byte
		binary.BigEndian.PutUint64(vb[:], version)
		return tx.Bucket(bucketMeta).Put(keyVersion, vb[:])
	})
	if err != nil {
		return 0, false, fmt.Errorf("faq: store version %d: %w", version, err)
	}
	s.snap.Store(next)
	s.log.Info("faq: new set", "version", version, "entries", len(answers), "changed", changed,
		"removed", removed, "took", time.Since(start))
	return version, true, nil
}

// Snapshot is one version of the FAQ set. It is immutable and safe for
// concurrent use.
type Snapshot struct {
	version uint64
	answers []*Answer                     // sorted by intent, then lang
	index   map[string]map[string]*Answer // intent → lang → answer
}

func newSnapshot(version uint64, answers []*Answer) *Snapshot {
	s := &Snapshot{version: version, answers: answers, index: make(map[string]map[string]*Answer)}
	for _, a := range answers {
		m := s.index[a.Intent]
		if m == nil {
			m = make(map[string]*Answer, 4)
			s.index[a.Intent] = m
		}
		m[a.Lang] = a
	}
	return s
}

func sortAnswers(answers []*Answer) {
	slices.SortFunc(answers, func(a, b *Answer) int {
		if c := strings.Compare(a.Intent, b.Intent); c != 0 {
			return c
		}
		return strings.Compare(a.Lang, b.Lang)
	})
}

func (s *Snapshot) get(intent, lang string) (*Answer, bool) {
	a, ok := s.index[intent][lang]
	return a, ok
}

// Version returns the set's version (0: the empty set of a store never
// written).
func (s *Snapshot) Version() uint64 { return s.version }

// Len returns the number of entries.
func (s *Snapshot) Len() int { return len(s.answers) }

// Lookup finds the entry for intent in the first language of langs that
// has one, each tag exactly as given. It does not allocate.
func (s *Snapshot) Lookup(intent string, langs []string) (*Answer, bool) {
	m := s.index[intent]
	if m == nil {
		return nil, false
	}
	for _, l := range langs {
		if a, ok := m[l]; ok {
			return a, true
		}
	}
	return nil, false
}

// Langs returns the languages intent has an entry in, sorted.
func (s *Snapshot) Langs(intent string) []string {
	var out []string
	for l := range s.index[intent] {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// Entries returns copies of the entries, sorted by intent, then lang.
func (s *Snapshot) Entries() []Entry {
	out := make([]Entry, len(s.answers))
	for i, a := range s.answers {
		out[i] = a.Entry.clone()
	}
	return out
}

// Export writes the set in format f (see the package documentation),
// sorted by intent, then lang, with each entry's version.
func (s *Snapshot) Export(w io.Writer, f Format) error {
	return writeEntries(w, f, s.answers)
}
