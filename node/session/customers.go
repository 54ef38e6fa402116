package session

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The customer index finds a customer's sessions without reading the
// others: the export and the erasure of everything stored about one person
// (docs/PRIVACY.md). One key per session that has a Customer.ID, written
// by putMeta whenever the session's customer id changes, deleted with the
// session:
//
//	customers: uvarint(len(customer id)) customer id · sid → nil
//
// The length prefix keeps one customer's keys a contiguous range whatever
// bytes the id holds (a customer id is whatever the widget token or the
// widget said). The index is bounded by the sessions themselves: one key
// each. A store from before the index has it rebuilt when it opens
// (ensureCustomerIndex), from the idle index, which lists every session.
var bucketCustomers = []byte("customers")

// MaxCustomerSessions bounds the sessions one export or erasure handles
// per shard: a customer id shared by more (a merchant who gives every
// visitor the same id) is refused with ErrTooMany rather than read into
// memory whole.
const MaxCustomerSessions = 10000

// ErrTooMany is returned by CustomerSessions and EraseCustomer for a
// customer id with more than MaxCustomerSessions sessions in a shard.
var ErrTooMany = errors.New("session: too many sessions for one customer")

func customerPrefix(cust string) []byte {
	k := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+len(cust)+64), uint64(len(cust)))
	return append(k, cust...)
}

func customerKey(cust, sid string) []byte { return append(customerPrefix(cust), sid...) }

// indexCustomer moves st's customer index entry when its customer id
// changed since it was last written (putMeta calls it).
func (w *writer) indexCustomer(st *sessState) error {
	cust := st.meta.Customer.ID
	if cust == st.storedCustomer {
		return nil
	}
	b := w.tx.Bucket(bucketCustomers)
	if st.storedCustomer != "" {
		if err := b.Delete(customerKey(st.storedCustomer, st.meta.ID)); err != nil {
			return err
		}
	}
	if cust != "" {
		if err := b.Put(customerKey(cust, st.meta.ID), nil); err != nil {
			return err
		}
	}
	st.storedCustomer = cust
	return nil
}

// ensureCustomerIndex creates the customer index, filling it from every
// session's metadata when the store predates it.
func ensureCustomerIndex(tx *bolt.Tx, kr *Keyring) error {
	if tx.Bucket(bucketCustomers) != nil {
		return nil
	}
	cb, err := tx.CreateBucket(bucketCustomers)
	if err != nil {
		return err
	}
	sb := tx.Bucket(bucketSessions)
	return tx.Bucket(bucketIdle).ForEach(func(k, _ []byte) error {
		if len(k) < 8 {
			return nil
		}
		m, err := loadMeta(sb, string(k[8:]), kr)
		if err != nil || m.Customer.ID == "" {
			return nil // a corrupt record is reported when it is read
		}
		return cb.Put(customerKey(m.Customer.ID, m.ID), nil)
	})
}

// customerSessions lists the sessions the index holds for cust in b.
func customerSessions(b *bolt.Bucket, cust string) ([]string, error) {
	if b == nil {
		return nil, nil
	}
	prefix := customerPrefix(cust)
	var ids []string
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(ids) == MaxCustomerSessions {
			return nil, fmt.Errorf("%w: more than %d for customer %q", ErrTooMany, MaxCustomerSessions, cust)
		}
		ids = append(ids, string(k[len(prefix):]))
	}
	return ids, nil
}

// CustomerSessions returns the ids of the sessions whose Customer.ID is
// cust, sorted.
func (s *Store) CustomerSessions(cust string) ([]string, error) {
	if cust == "" {
		return nil, fmt.Errorf("%w: empty customer id", ErrInvalid)
	}
	var all []string
	for _, sh := range s.shards {
		err := sh.db.View(func(tx *bolt.Tx) error {
			ids, err := customerSessions(tx.Bucket(bucketCustomers), cust)
			all = append(all, ids...)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(all)
	return all, nil
}

// Erased is what EraseCustomer deleted.
type Erased struct {
	// Sessions are the deleted sessions' metadata as last stored: the
	// node deletes their uploads by Meta.Uploads, and asks the core to
	// forget them by id.
	Sessions []Meta
	// Messages is how many messages they held; Outbox how many of their
	// events were still waiting to be published (deleted unpublished).
	Messages, Outbox int
	// Scrubbed says the freed pages of every shard file were overwritten
	// with zeros, so no deleted byte stays readable in the files. It is
	// false when readers kept a shard busy (ScrubWait); the bytes are then
	// unreachable through the store, and the next erasure scrubs them.
	Scrubbed bool
}

// ScrubWait is how long EraseCustomer tries to scrub a shard's freed
// pages while read transactions from before the erasure are still open.
const ScrubWait = 5 * time.Second

// EraseCustomer deletes every session of customer cust, with their
// messages, their routing decisions and ratings (in the metadata), their
// entries in the indexes and their outbox events not yet published, in
// one transaction per shard; then it overwrites the freed pages. Erasing
// a customer with no sessions is not an error: Erased is empty. Live
// subscribers of an erased session stay connected; their next message
// finds no session.
//
// With pending, the store also keeps a PendingErasure in each shard, in
// the transaction that deletes (merged with one already kept for the
// customer): what the node must still do beyond this store — forget the
// sessions at the core, delete their files — survives a crash or a core
// that is away, until ErasureDone.
func (s *Store) EraseCustomer(ctx context.Context, cust string, pending *PendingErasure) (Erased, error) {
	var out Erased
	if cust == "" {
		return out, fmt.Errorf("%w: empty customer id", ErrInvalid)
	}
	out.Scrubbed = true
	if pending == nil || !pending.Announce {
		// Nothing to announce: a customer this store does not hold costs
		// no write (the other nodes' announcements are applied again at
		// every start).
		ids, err := s.CustomerSessions(cust)
		if err != nil {
			return out, err
		}
		owed := false
		for _, sh := range s.shards {
			owed = owed || sh.scrubOwed.Load()
		}
		linked, err := s.CustomerIdentities(cust)
		if err != nil {
			return out, err
		}
		if len(ids) == 0 && len(linked) == 0 && !owed {
			return out, nil
		}
	}
	var errs []error
	for _, sh := range s.shards {
		o := &op{kind: opErase, meta: Meta{Customer: Customer{ID: cust}}}
		if pending != nil {
			p := *pending
			p.Customer = cust
			o.pending = &p
		}
		r := sh.wait(ctx, o)
		if r.Err != nil {
			return out, r.Err
		}
		out.Sessions = append(out.Sessions, r.Expired...)
		out.Outbox += r.Outbox
		for _, m := range r.Expired {
			out.Messages += int(m.LastSeq)
		}
		if r.Count == 0 && !sh.scrubOwed.Load() {
			continue // nothing freed here
		}
		sh.scrubOwed.Store(true)
		ok, err := sh.scrub(ctx)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			sh.scrubOwed.Store(false)
		}
		out.Scrubbed = out.Scrubbed && ok
	}
	sort.Slice(out.Sessions, func(i, j int) bool { return out.Sessions[i].ID < out.Sessions[j].ID })
	return out, errors.Join(errs...)
}

// erase (an opErase) deletes the sessions of customer o.meta.Customer.ID
// in this transaction.
func (w *writer) erase(o *op) Result {
	cust := o.meta.Customer.ID
	cb := w.tx.Bucket(bucketCustomers)
	ids, err := customerSessions(cb, cust)
	if err != nil {
		return Result{Err: fmt.Errorf("%w: %w", ErrInvalid, err)}
	}
	var erased []Meta
	doomed := map[string]bool{}
	for _, id := range ids {
		st, err := w.state(id)
		if errors.Is(err, ErrNoSession) {
			// An index entry without its session: drop the entry.
			if err := cb.Delete(customerKey(cust, id)); err != nil {
				return Result{Err: err}
			}
			continue
		}
		if err != nil {
			return Result{Err: err}
		}
		if err := w.dropSession(id, idleKey(st.storedActive, id)); err != nil {
			return Result{Err: err}
		}
		if err := cb.Delete(customerKey(cust, id)); err != nil {
			return Result{Err: err}
		}
		erased = append(erased, st.meta)
		doomed[id] = true
	}
	if err := w.unlinkCustomer(cust); err != nil {
		return Result{Err: err}
	}
	n, err := w.outboxForget(doomed)
	if err != nil {
		return Result{Err: err}
	}
	if o.pending != nil && (o.pending.Announce || len(erased) > 0) {
		if err := w.keepPending(o.pending, erased); err != nil {
			return Result{Err: err}
		}
	}
	return Result{Count: len(erased), Expired: erased, Outbox: n}
}

// dropSession deletes session id's keys, its idle entry idle, its waiting
// entry and its log entries, and forgets it in the committer's cache and
// (after the commit) the tail.
func (w *writer) dropSession(id string, idle []byte) error {
	if err := w.idle.Delete(idle); err != nil {
		return err
	}
	if err := deletePrefix(w.b, sidPrefix(id)); err != nil {
		return err
	}
	if err := w.tx.Bucket(bucketWaiting).Delete([]byte(id)); err != nil {
		return err
	}
	if err := w.deliveriesForget(id); err != nil {
		return err
	}
	if ts := w.s.tail.sessions[id]; ts != nil {
		var key [8]byte
		for _, e := range ts.entries {
			binary.BigEndian.PutUint64(key[:], e.lsn)
			if err := w.log.Delete(key[:]); err != nil {
				return err
			}
		}
	}
	w.dropped = append(w.dropped, id)
	delete(w.s.states, id)
	return nil
}

// outboxForget deletes the waiting outbox events of the sessions in ids.
// It reads the whole outbox: it is short unless the core was away long,
// and an erasure is rare.
func (w *writer) outboxForget(ids map[string]bool) (int, error) {
	b := w.tx.Bucket(bucketOutbox)
	if b == nil || len(ids) == 0 {
		return 0, nil
	}
	var doomed [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if sid, ok := outboxSession(v); ok && ids[sid] {
			doomed = append(doomed, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range doomed {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	w.outboxRemoved += len(doomed)
	return len(doomed), nil
}

// outboxSession reads the session id of a stored outbox event (either
// layout, see outbox.go) without decoding the rest.
func outboxSession(v []byte) (string, bool) {
	if len(v) == 0 {
		return "", false
	}
	p := v
	if v[0] == 0 {
		p = v[1:]
	}
	if len(p) < 1 || len(p) < 1+int(p[0]) {
		return "", false
	}
	return string(p[1 : 1+int(p[0])]), true
}

// errReaders is opScrub's answer while read transactions that may see
// the freed pages are open.
var errReaders = errors.New("session: read transactions open")

// scrub overwrites the shard file's free pages with zeros, waiting up to
// ScrubWait for a moment without read transactions. It reports whether
// it did.
func (s *shard) scrub(ctx context.Context) (bool, error) {
	deadline := time.Now().Add(ScrubWait)
	for {
		r := s.wait(ctx, &op{kind: opScrub})
		if !errors.Is(r.Err, errReaders) {
			return r.Err == nil, r.Err
		}
		if time.Now().After(deadline) {
			s.log.Warn("freed pages not scrubbed: readers kept the store busy", "file", s.opts.Path)
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// scrubFree (an opScrub) writes zeros over every free page of the file,
// inside the committer's transaction: no page is freed or allocated
// before the commit, so the free pages are those no snapshot newer than
// the open read transactions refers to. It runs only when no read
// transaction is open: a reader that began before an erasure still
// reads the pages it freed, and one that begins now sees the last
// commit, which does not. bbolt never zeroes freed pages itself: without
// this, deleted records stay in the file until their pages are reused.
func (w *writer) scrubFree() Result {
	if w.s.db.Stats().OpenTxN > 0 {
		return Result{Err: errReaders}
	}
	f, err := os.OpenFile(w.s.db.Path(), os.O_WRONLY, 0)
	if err != nil {
		return Result{Err: fmt.Errorf("session: scrub: %w", err)}
	}
	size := int64(w.s.db.Info().PageSize)
	zero := make([]byte, size)
	n := 0
	for id := 2; ; id++ { // pages 0 and 1 are the meta pages
		info, err := w.tx.Page(id)
		if err != nil {
			f.Close()
			return Result{Err: fmt.Errorf("session: scrub: %w", err)}
		}
		if info == nil {
			break // past the high-water mark
		}
		if info.Type != "free" {
			continue
		}
		if _, err := f.WriteAt(zero, int64(id)*size); err != nil {
			f.Close()
			return Result{Err: fmt.Errorf("session: scrub: %w", err)}
		}
		n++
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Result{Err: fmt.Errorf("session: scrub: %w", err)}
	}
	return Result{Count: n}
}

// The pending erasures (EraseCustomer with pending), one per customer in
// each shard, until the node has done what lies beyond the store:
//
//	erasures: customer id → PendingErasure (JSON)
//
// They hold ids only (the customer's, the sessions', the files'), never
// what the customer wrote or who they are.
var bucketErasures = []byte("erasures")

// PendingErasure is what remains of an erasure once the store has
// deleted the customer's sessions: the node forgets them at the core,
// deletes their files there, and, when the erasure began on this node
// (Announce), tells the other nodes.
type PendingErasure struct {
	Customer string `json:"customer"`
	// Sessions are the ids of the erased sessions.
	Sessions []string `json:"sessions,omitempty"`
	// Uploads are their files, "<session>/<file id>" (Meta.Uploads).
	Uploads []string `json:"uploads,omitempty"`
	// Announce: the erasure was asked of this node (not applied from
	// another's announcement), so the other nodes are to be told.
	Announce bool `json:"announce,omitempty"`
	// By is who asked; At when it was first asked.
	By string    `json:"by,omitempty"`
	At time.Time `json:"at"`
}

func (w *writer) keepPending(p *PendingErasure, erased []Meta) error {
	b, err := w.tx.CreateBucketIfNotExists(bucketErasures)
	if err != nil {
		return err
	}
	key := []byte(p.Customer)
	merged := *p
	if v := b.Get(key); v != nil {
		var old PendingErasure
		if json.Unmarshal(v, &old) == nil {
			merged.Sessions, merged.Uploads = old.Sessions, old.Uploads
			merged.Announce = old.Announce || p.Announce
			if !old.At.IsZero() {
				merged.At, merged.By = old.At, old.By
			}
		}
	} else {
		merged.Sessions, merged.Uploads = nil, nil
	}
	if merged.At.IsZero() {
		merged.At = w.now
	}
	for _, m := range erased {
		merged.Sessions = append(merged.Sessions, m.ID)
		for _, u := range m.Uploads {
			merged.Uploads = append(merged.Uploads, m.ID+"/"+u.ID)
		}
	}
	v, err := json.Marshal(&merged)
	if err != nil {
		return err
	}
	return b.Put(key, v)
}

// PendingErasures returns the erasures whose part beyond the store is
// not done (ErasureDone), one per customer, the shards' merged.
func (s *Store) PendingErasures() ([]PendingErasure, error) {
	byCust := map[string]*PendingErasure{}
	var order []string
	for _, sh := range s.shards {
		err := sh.db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketErasures)
			if b == nil {
				return nil
			}
			return b.ForEach(func(k, v []byte) error {
				var p PendingErasure
				if err := json.Unmarshal(v, &p); err != nil {
					return fmt.Errorf("session: corrupt pending erasure %q: %w", k, err)
				}
				if q := byCust[p.Customer]; q != nil {
					q.Sessions = append(q.Sessions, p.Sessions...)
					q.Uploads = append(q.Uploads, p.Uploads...)
					q.Announce = q.Announce || p.Announce
					return nil
				}
				byCust[p.Customer] = &p
				order = append(order, p.Customer)
				return nil
			})
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(order)
	out := make([]PendingErasure, 0, len(order))
	for _, c := range order {
		out = append(out, *byCust[c])
	}
	return out, nil
}

// ErasureDone forgets customer cust's pending erasure in every shard.
func (s *Store) ErasureDone(ctx context.Context, cust string) error {
	for _, sh := range s.shards {
		if r := sh.wait(ctx, &op{kind: opErasureDone, meta: Meta{Customer: Customer{ID: cust}}}); r.Err != nil {
			return r.Err
		}
	}
	return nil
}

func (w *writer) erasureDone(o *op) Result {
	b := w.tx.Bucket(bucketErasures)
	if b == nil {
		return Result{}
	}
	return Result{Err: b.Delete([]byte(o.meta.Customer.ID))}
}
