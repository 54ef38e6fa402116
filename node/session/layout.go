package session

import (
	"encoding/binary"
	"time"
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
//	waiting:  sid                             → nil (Meta.Waiting is set)
//
// The idle index is the sweeper's: its time is LastActive truncated to
// idleGranularity, so it moves only when a session's activity crosses into a
// new granule rather than on every message. The waiting index holds only
// the sessions waiting for people (Meta.Waiting), so listing them at
// startup reads a few keys, not every session.
var (
	bucketSessions = []byte("sessions")
	bucketIdle     = []byte("idle")
	bucketWaiting  = []byte("waiting")
)

const (
	tagMsg  = 0x01
	tagCID  = 0x02
	tagMeta = 0xff
)

// idleGranularity is the resolution of the expiry index.
const idleGranularity = 10 * time.Minute

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
