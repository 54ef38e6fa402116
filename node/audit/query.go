package audit

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Query selects entries. Zero fields select everything.
type Query struct {
	From, To time.Time // At in [From, To)
	Actor    string    // exact
	Action   string    // exact, or a prefix ending in '.' ("chat." selects every chat action)
	Target   string    // exact
	// Before continues a previous page: entries strictly older than this
	// key (Page.Next).
	Before Key
	// Limit bounds the entries returned (default DefaultLimit, at most
	// MaxLimit).
	Limit int
}

// Query limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
	// maxScan bounds the entries one query reads: a filter that matches
	// little over a long log returns a page with Next set, not a scan of
	// the whole file.
	maxScan = 100_000
)

// Page is a query's answer: the entries, newest first, and where the next
// page starts (nil when there is none).
type Page struct {
	Entries []Entry `json:"entries"`
	Next    *Key    `json:"next,omitempty"`
}

func (q *Query) check() error {
	switch {
	case q.Limit < 0 || q.Limit > MaxLimit:
		return fmt.Errorf("%w: limit %d: want 1 to %d", ErrInvalid, q.Limit, MaxLimit)
	case !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To):
		return fmt.Errorf("%w: from %s is not before to %s", ErrInvalid, q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	}
	return nil
}

func (q *Query) match(e *Entry) bool {
	switch {
	case q.Actor != "" && e.Actor != q.Actor:
		return false
	case q.Target != "" && e.Target != q.Target:
		return false
	case q.Action == "":
		return true
	case q.Action[len(q.Action)-1] == '.':
		return len(e.Action) > len(q.Action) && e.Action[:len(q.Action)] == q.Action
	}
	return e.Action == q.Action
}

// Query returns the entries q selects, newest first.
func (l *Log) Query(q Query) (Page, error) {
	if err := q.check(); err != nil {
		return Page{}, err
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return Page{}, ErrClosed
	}
	page := Page{Entries: []Entry{}}
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		page, err = query(tx, q)
		return err
	})
	return page, err
}

func query(tx *bolt.Tx, q Query) (Page, error) {
	page := Page{Entries: []Entry{}}
	c := tx.Bucket(bucketEntries).Cursor()
	// upper is the first key not wanted: To's, or Before itself.
	var upper []byte
	if !q.To.IsZero() {
		upper = timeKey(q.To)
	}
	if q.Before != (Key{}) && (upper == nil || bytes.Compare(q.Before[:], upper) < 0) {
		upper = q.Before[:]
	}
	var k, v []byte
	if upper == nil {
		k, v = c.Last()
	} else if k, v = c.Seek(upper); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	var lower []byte
	if !q.From.IsZero() {
		lower = timeKey(q.From)
	}
	for scanned := 0; k != nil; k, v = c.Prev() {
		if lower != nil && bytes.Compare(k, lower) < 0 {
			break
		}
		if scanned++; scanned > maxScan || len(page.Entries) == q.Limit {
			var next Key
			copy(next[:], k)
			next = nextAfter(next)
			page.Next = &next
			break
		}
		e, err := decodeEntry(k, v)
		if err != nil {
			return page, err
		}
		if q.match(&e) {
			page.Entries = append(page.Entries, e)
		}
	}
	return page, nil
}

// nextAfter is the smallest key above k: a page's Next, so that Before
// (exclusive) still includes k.
func nextAfter(k Key) Key {
	for i := len(k) - 1; i >= 0; i-- {
		k[i]++
		if k[i] != 0 {
			break
		}
	}
	return k
}
