package session

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// writer applies ops inside one write transaction.
type writer struct {
	s  *shard
	tx *bolt.Tx
	// outboxAdded and outboxRemoved count this transaction's outbox changes.
	outboxAdded, outboxRemoved int
	// deliveriesAdded counts the pending deliveries this transaction added.
	deliveriesAdded int
	// importing keeps messages' times and skips the outbox (opImport).
	importing bool
	b         *bolt.Bucket // sessions
	idle      *bolt.Bucket
	log       *bolt.Bucket
	now       time.Time
	lsn       uint64 // next log key
	buf       []byte
	rec, aad  []byte // put's record before sealing, and its associated data
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
	m, err := loadMeta(w.b, id, w.s.opts.Keys)
	if err != nil {
		return nil, err
	}
	if seq := w.s.tail.lastSeq(id); seq > m.LastSeq {
		m.LastSeq = seq
	}
	st := &sessState{meta: m, storedActive: m.LastActive, storedWaiting: m.Waiting != nil, storedCustomer: m.Customer.ID}
	w.s.states[id] = st
	return st, nil
}

// putMeta writes st's metadata and moves its idle index entry.
func (w *writer) putMeta(st *sessState) error {
	v, err := json.Marshal(&st.meta)
	if err != nil {
		return err
	}
	mk := metaKey(st.meta.ID)
	if kr := w.s.opts.Keys; kr != nil {
		v = kr.seal(nil, appendAAD(nil, aadMeta, mk), v)
	}
	if err := w.b.Put(mk, v); err != nil {
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
	if waiting := st.meta.Waiting != nil; waiting != st.storedWaiting {
		wb := w.tx.Bucket(bucketWaiting)
		var err error
		if waiting {
			err = wb.Put([]byte(st.meta.ID), nil)
		} else {
			err = wb.Delete([]byte(st.meta.ID))
		}
		if err != nil {
			return err
		}
		st.storedWaiting = waiting
	}
	if err := w.indexCustomer(st); err != nil {
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
	m.Created, m.LastActive, m.LastSeq, m.Bytes = w.now, w.now, 0, 0
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
	m.Bytes, m.Verified = st.meta.Bytes, st.meta.Verified
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
	if max := w.s.opts.MaxSessionMessages; max > 0 && st.meta.LastSeq >= uint64(max) {
		return Result{Err: fmt.Errorf("%w: %s has %d messages (store.max_session_messages)", ErrSessionFull, msg.Session, st.meta.LastSeq)}
	}
	if max := w.s.opts.MaxSessionBytes; max > 0 && st.meta.Bytes+int64(recordSize(&msg)) > max {
		return Result{Err: fmt.Errorf("%w: %s holds %d bytes (store.max_session_bytes)", ErrSessionFull, msg.Session, st.meta.Bytes)}
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
	// The record is sealed in the log entry and stays sealed when
	// compaction copies it; the outbox seals its copy apart.
	w.rec = appendRecord(w.rec[:0], &msg)
	w.buf = appendLogHeader(w.buf[:0], msg.Session, msg.Seq, msg.CID)
	if kr := w.s.opts.Keys; kr != nil {
		w.aad = appendAAD(w.aad[:0], aadMsg, msgKey(msg.Session, msg.Seq))
		w.buf = kr.seal(w.buf, w.aad, w.rec)
	} else {
		w.buf = append(w.buf, w.rec...)
	}
	var key [8]byte
	binary.BigEndian.PutUint64(key[:], w.lsn)
	// bbolt keeps key and value until commit: they must not be reused.
	if err := w.log.Put(bytes.Clone(key[:]), bytes.Clone(w.buf)); err != nil {
		return Message{}, err
	}
	if err := w.outboxPut(OutboxMessage, msg.Session, msg.Seq, msg.Session+"."+strconv.FormatUint(msg.Seq, 10), w.rec, nil); err != nil {
		return Message{}, err
	}
	if err := w.deliveryPut(st, &msg); err != nil {
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
	// Bytes is written with the metadata, which is not rewritten per
	// message; it is rewritten at least every bytesCheckpoint bytes, so
	// after a restart the count lags by less than that.
	before := st.meta.Bytes
	st.meta.Bytes += int64(len(w.rec)) // what was said, sealed or not
	if before/bytesCheckpoint != st.meta.Bytes/bytesCheckpoint {
		st.dirty = true
	}
	if msg.From == FromCustomer && !st.meta.ClosedAt.IsZero() {
		st.meta.ClosedAt, st.dirty = time.Time{}, true
	}
	if c := st.meta.Contact; msg.From == FromCustomer && c != nil && msg.Channel != c.Channel {
		// The customer wrote from elsewhere (back in the widget): answers
		// follow them there, not to the platform they left.
		st.meta.Contact, st.dirty = nil, true
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

// bytesCheckpoint is how much a session's Meta.Bytes may grow before its
// metadata is rewritten.
const bytesCheckpoint = 64 << 10

// recordSize is about the size of m's stored record, before its seq and
// time are set: the cap is checked before the record is encoded.
func recordSize(m *Message) int {
	n := 160 + len(m.Session) + len(m.CID) + len(m.Channel) + len(m.CustomerID) + len(m.Text) + len(m.Locale) + len(m.TZ)
	for _, a := range m.Attachments {
		n += 40 + len(a.URL) + len(a.MIME) + len(a.Name)
	}
	return n
}

// findCID looks cid up in this transaction's entries, the tail and the
// clustered index, and returns the stored message.
func (w *writer) findCID(id, cid string) (Message, bool, error) {
	if i, ok := w.stagedCID[id+"\x00"+cid]; ok {
		return w.stagedMsg[i], true, nil
	}
	var raw []byte
	var seq uint64
	if s, ok := w.s.tail.cidSeq(id, cid); ok {
		seq = s
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
		seq = binary.BigEndian.Uint64(v)
		raw = w.b.Get(msgKey(id, seq))
	} else {
		return Message{}, false, nil
	}
	var m Message
	if raw == nil {
		return m, false, fmt.Errorf("session: cid %q points at a missing message", cid)
	}
	raw, err := w.s.opts.Keys.open(appendAAD(nil, aadMsg, msgKey(id, seq)), raw)
	if err != nil {
		return m, false, err
	}
	err = json.Unmarshal(raw, &m)
	return m, err == nil, err
}
