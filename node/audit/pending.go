package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// PendingDir is where the CLI leaves entries for the running node, inside
// the data directory: one JSON file per entry.
const PendingDir = "audit-pending"

// maxPendingFile bounds what ingest reads of one pending file.
const maxPendingFile = 64 << 10

// lockWait is how long the CLI waits for audit.db before it leaves the
// entry in PendingDir (the node holds the file while it runs).
const lockWait = 500 * time.Millisecond

// ErrNodeRunning is returned by Read when the running node holds audit.db:
// read it through the admin API (GET /v1/admin/audit) then.
var ErrNodeRunning = errors.New("audit: audit.db is held by the running node; query GET /v1/admin/audit instead")

// RecordOffline records e from a process other than the node (the CLI):
// straight into audit.db when no node holds it, else as a file in
// PendingDir that the running node ingests. It returns once the entry is
// durable either way. node names the node in the entry.
func RecordOffline(ctx context.Context, dataDir, node string, e Entry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At, e.Node = e.At.UTC(), node
	if err := e.validate(); err != nil {
		return err
	}
	db, err := openDB(dataDir, lockWait)
	if errors.Is(err, bolt.ErrTimeout) {
		return writePending(dataDir, &e)
	}
	if err != nil {
		return err
	}
	err = db.Update(func(tx *bolt.Tx) error { return insert(tx, &e) })
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

// writePending writes e as a new file in PendingDir, durably: a temporary
// file synced and renamed, then the directory synced.
func writePending(dataDir string, e *Entry) error {
	dir := filepath.Join(dataDir, PendingDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	name := strconv.FormatInt(e.At.UnixNano(), 10) + "-" + hex.EncodeToString(rnd[:]) + ".json"
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("audit: pending entry: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return fmt.Errorf("audit: pending entry: %w", err)
		}
	}
	return nil
}

// ingest records the CLI's pending entries and removes their files. A
// file that is not an entry is renamed *.bad and reported, never lost.
func (l *Log) ingest(ctx context.Context) {
	dir := filepath.Join(l.o.DataDir, PendingDir)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		l.log.Error("audit: pending entries unreadable", "dir", dir, "err", err)
		return
	}
	for _, de := range ents {
		name := de.Name()
		if !de.Type().IsRegular() || !strings.HasSuffix(name, ".json") {
			continue
		}
		path := filepath.Join(dir, name)
		e, err := readPending(path)
		if err == nil {
			e.Key = Key{}
			err = l.Record(ctx, e)
			if err != nil && !errors.Is(err, ErrInvalid) {
				l.log.Error("audit: pending entry not recorded; tried again later", "file", path, "err", err)
				return
			}
		}
		if err != nil {
			l.log.Error("audit: pending entry is not valid; kept as .bad", "file", path, "err", err)
			if rerr := os.Rename(path, path+".bad"); rerr != nil {
				l.log.Error("audit: pending entry", "file", path, "err", rerr)
			}
			continue
		}
		if err := os.Remove(path); err != nil {
			l.log.Error("audit: pending entry recorded but not removed (it would be recorded again)", "file", path, "err", err)
		}
	}
}

// readPending reads one pending file.
func readPending(path string) (Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return Entry{}, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPendingFile+1))
	if err != nil {
		return Entry{}, err
	}
	return decodePending(b)
}

// decodePending decodes a pending file's content.
func decodePending(b []byte) (Entry, error) {
	var e Entry
	if len(b) > maxPendingFile {
		return e, fmt.Errorf("%w: pending entry larger than %d bytes", ErrInvalid, maxPendingFile)
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, fmt.Errorf("%w: pending entry: %w", ErrInvalid, err)
	}
	if e.At.IsZero() {
		return e, fmt.Errorf("%w: pending entry without a time", ErrInvalid)
	}
	return e, e.validate()
}

// Read runs q on the audit.db of dataDir for a process other than the node
// (edgedesk audit). It returns ErrNodeRunning while the node holds the
// file.
func Read(dataDir string, q Query) (Page, error) {
	if err := q.check(); err != nil {
		return Page{}, err
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	path := filepath.Join(dataDir, File)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return Page{Entries: []Entry{}}, nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockWait, ReadOnly: true})
	if errors.Is(err, bolt.ErrTimeout) {
		return Page{}, ErrNodeRunning
	}
	if err != nil {
		return Page{}, fmt.Errorf("audit: open %s: %w", path, err)
	}
	defer db.Close()
	var page Page
	err = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketEntries) == nil {
			page = Page{Entries: []Entry{}}
			return nil
		}
		var err error
		page, err = query(tx, q)
		return err
	})
	return page, err
}
