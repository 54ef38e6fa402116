package session

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// The write path is log-structured. A commit appends its messages to the
// log bucket under increasing LSNs, so however many sessions a batch
// touches, it dirties about one page per dozen messages instead of one page
// per session. The committer later moves the oldest log entries into each
// session's clustered key range (compaction), in chunks large enough that
// a session's page is rewritten once for several messages.
//
// The tail is the in-memory index of what is still in the log: per session,
// its entries (seq → LSN) and cids. The committer changes it only after the
// transaction that wrote the log committed, under tail.mu; readers take
// tail.mu for reading before opening their read transaction, so what they
// see of the tail is never newer than their snapshot. (It may be older: an
// entry compacted after the snapshot is still found in the log; one
// compacted before it is found in the clustered range and its log key is
// gone, so readers skip missing log keys and merge by seq.)
//
// Compaction does not delete the log entries it moved: a session's entries
// are scattered through the log, so deleting them would dirty a log page
// per entry. Instead the log is trimmed from its head, in LSN order, up to
// the oldest entry still in the tail (in compact): contiguous keys, few pages.
//
// On open the tail is rebuilt by scanning the log, skipping entries already
// in the clustered layout (compacted, not yet trimmed) and entries of
// sessions that were swept. Compaction keeps the log short.

var bucketLog = []byte("log") // lsn(8, big endian) → logHeader + Message (JSON)

// A log value starts with a small binary header — version 1, then the
// session id, seq and cid as uvarint-prefixed fields — so compaction and
// recovery find where an entry belongs without decoding its JSON.
const logVersion = 1

func appendLogHeader(dst []byte, sid string, seq uint64, cid string) []byte {
	dst = append(dst, logVersion)
	dst = binary.AppendUvarint(dst, uint64(len(sid)))
	dst = append(dst, sid...)
	dst = binary.AppendUvarint(dst, seq)
	dst = binary.AppendUvarint(dst, uint64(len(cid)))
	return append(dst, cid...)
}

// parseLogEntry splits a log value into its header fields and the record.
func parseLogEntry(v []byte) (h logHeader, rec []byte, err error) {
	bad := fmt.Errorf("session: malformed log entry")
	if len(v) == 0 || v[0] != logVersion {
		return h, nil, bad
	}
	v = v[1:]
	field := func() ([]byte, bool) {
		n, k := binary.Uvarint(v)
		if k <= 0 || n > uint64(len(v)-k) {
			return nil, false
		}
		f := v[k : k+int(n)]
		v = v[k+int(n):]
		return f, true
	}
	sid, ok := field()
	if !ok {
		return h, nil, bad
	}
	seq, k := binary.Uvarint(v)
	if k <= 0 {
		return h, nil, bad
	}
	v = v[k:]
	cid, ok := field()
	if !ok {
		return h, nil, bad
	}
	return logHeader{Session: string(sid), Seq: seq, CID: string(cid)}, v, nil
}

type tailEntry struct{ seq, lsn uint64 }

type tailSession struct {
	entries []tailEntry       // ascending seq (and lsn)
	cids    map[string]uint64 // cid → seq
}

func (ts *tailSession) n() int { return len(ts.entries) }

type tail struct {
	mu        sync.RWMutex
	sessions  map[string]*tailSession
	n         int // entries
	nextLSN   uint64
	compactAt int
	chunk     int
}

func (t *tail) lastSeq(id string) uint64 {
	if ts := t.sessions[id]; ts != nil && len(ts.entries) > 0 {
		return ts.entries[len(ts.entries)-1].seq
	}
	return 0
}

func (t *tail) cidSeq(id, cid string) (uint64, bool) {
	if ts := t.sessions[id]; ts != nil {
		seq, ok := ts.cids[cid]
		return seq, ok
	}
	return 0, false
}

// lsnOf returns the log key of session id's message seq, if in the tail.
func (t *tail) lsnOf(id string, seq uint64) (uint64, bool) {
	ts := t.sessions[id]
	if ts == nil {
		return 0, false
	}
	i := sort.Search(len(ts.entries), func(i int) bool { return ts.entries[i].seq >= seq })
	if i < len(ts.entries) && ts.entries[i].seq == seq {
		return ts.entries[i].lsn, true
	}
	return 0, false
}

// add records committed log entries. Caller holds mu.
func (t *tail) add(staged []staged) {
	for _, e := range staged {
		ts := t.sessions[e.sid]
		if ts == nil {
			ts = &tailSession{}
			t.sessions[e.sid] = ts
		}
		ts.entries = append(ts.entries, tailEntry{seq: e.seq, lsn: e.lsn})
		if e.cid != "" {
			if ts.cids == nil {
				ts.cids = make(map[string]uint64)
			}
			ts.cids[e.cid] = e.seq
		}
		t.n++
	}
}

// drop forgets session id's entries (it was swept). Caller holds mu.
func (t *tail) drop(id string) {
	if ts := t.sessions[id]; ts != nil {
		t.n -= len(ts.entries)
		delete(t.sessions, id)
	}
}

// compacted forgets entries moved to the clustered layout (for each
// session, a prefix of its entries, in order). Caller holds mu.
func (t *tail) compacted(moved []staged) {
	for _, e := range moved {
		ts := t.sessions[e.sid]
		if ts == nil || len(ts.entries) == 0 || ts.entries[0].lsn != e.lsn {
			continue // swept meanwhile
		}
		ts.entries = ts.entries[1:]
		if e.cid != "" {
			delete(ts.cids, e.cid)
		}
		t.n--
		if len(ts.entries) == 0 {
			delete(t.sessions, e.sid)
		}
	}
}

// staged is a log entry written by the current transaction, applied to the
// tail once it commits.
type staged struct {
	sid, cid string
	seq, lsn uint64
}

// logHeader is what the tail needs of a log entry.
type logHeader struct {
	Session string
	Seq     uint64
	CID     string
}

// rebuildTail scans the log (at open).
func (s *shard) rebuildTail(tx *bolt.Tx) error {
	t := &s.tail
	t.sessions = make(map[string]*tailSession)
	t.n, t.nextLSN = 0, 1
	c := tx.Bucket(bucketLog).Cursor()
	sb := tx.Bucket(bucketSessions)
	var entries []staged
	for k, v := c.First(); k != nil; k, v = c.Next() {
		h, _, err := parseLogEntry(v)
		if len(k) != 8 || err != nil || !ValidID(h.Session) {
			return fmt.Errorf("session: corrupt log entry %x", k)
		}
		lsn := binary.BigEndian.Uint64(k)
		t.nextLSN = lsn + 1
		if sb.Get(msgKey(h.Session, h.Seq)) != nil || sb.Get(metaKey(h.Session)) == nil {
			continue // compacted but not yet trimmed, or its session was swept
		}
		entries = append(entries, staged{sid: h.Session, cid: h.CID, seq: h.Seq, lsn: lsn})
	}
	t.add(entries)
	return nil
}

// compactSome runs at the end of every commit transaction once the tail
// holds tail.compactAt entries. It copies whole sessions' log entries into
// their clustered ranges — the sessions with the most entries, so a
// rewritten page carries many messages, plus the session holding the
// oldest entry, so the log's head always advances; about tail.chunk
// entries, which bounds the work added to one commit — and trims the log's
// head up to the oldest entry still in the tail. Sharing the commit's
// transaction costs no extra fsync and adds no pause of its own.
func (w *writer) compactSome() error {
	t := &w.s.tail
	if t.n < t.compactAt {
		return nil
	}
	picked := w.s.pickCompaction()
	isPicked := make(map[string]bool, len(picked))
	for _, id := range picked {
		isPicked[id] = true
	}
	watermark := t.nextLSN // entries below it are all compacted or swept
	for id, ts := range t.sessions {
		if lsn := ts.entries[0].lsn; !isPicked[id] && lsn < watermark {
			watermark = lsn
		}
	}
	if len(w.staged) > 0 && w.staged[0].lsn < watermark {
		watermark = w.staged[0].lsn
	}
	var key [8]byte
	for _, id := range picked {
		if slices.Contains(w.dropped, id) {
			continue
		}
		for _, e := range t.sessions[id].entries {
			binary.BigEndian.PutUint64(key[:], e.lsn)
			v := w.log.Get(key[:])
			if v == nil {
				return fmt.Errorf("session: log entry %d of %s missing", e.lsn, id)
			}
			h, rec, err := parseLogEntry(v)
			if err != nil {
				return fmt.Errorf("session: corrupt log entry %d: %w", e.lsn, err)
			}
			if err := w.b.Put(msgKey(h.Session, h.Seq), bytes.Clone(rec)); err != nil {
				return err
			}
			if h.CID != "" {
				var seq [8]byte
				binary.BigEndian.PutUint64(seq[:], h.Seq)
				if err := w.b.Put(cidKey(h.Session, h.CID), seq[:]); err != nil {
					return err
				}
			}
			w.moved = append(w.moved, staged{sid: h.Session, cid: h.CID, seq: h.Seq, lsn: e.lsn})
		}
	}
	// Trim: contiguous keys at the head, so few pages.
	c := w.log.Cursor()
	for n := 0; n < 4*t.chunk; n++ {
		k, _ := c.First()
		if k == nil || binary.BigEndian.Uint64(k) >= watermark {
			break
		}
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// pickCompaction chooses the sessions the next compaction moves.
func (s *shard) pickCompaction() []string {
	t := &s.tail
	type cand struct {
		id string
		n  int
	}
	var oldest string
	var oldestLSN uint64
	cands := make([]cand, 0, len(t.sessions))
	for id, ts := range t.sessions {
		cands = append(cands, cand{id, len(ts.entries)})
		if lsn := ts.entries[0].lsn; oldest == "" || lsn < oldestLSN {
			oldest, oldestLSN = id, lsn
		}
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].n > cands[j].n })
	picked := []string{oldest}
	total := t.sessions[oldest].n()
	for _, c := range cands {
		if total >= t.chunk {
			break
		}
		if c.id != oldest {
			picked = append(picked, c.id)
			total += c.n
		}
	}
	return picked
}
