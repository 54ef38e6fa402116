package session

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrNoHistory is returned by FromHistory when the events leave nothing to
// resume: none of the session, or its expiry as the last word. (It is
// declared here rather than in errors.go while that file is being edited
// on another branch.)
var ErrNoHistory = errors.New("session: no history to resume")

// FromHistory rebuilds session sid from its events as the core's stream
// holds them (outbox events, in stream order: Kind, Seq and Data are
// read), so that a node the customer reconnected to can Import it. The
// rules:
//   - the metadata is the last meta event whose data is sid's (absent:
//     a bare Meta{ID: sid});
//   - each message counts once, by seq (a later copy replaces an earlier
//     one), and only if it is sid's;
//   - an expiry that nothing follows is the last word: ErrNoHistory;
//   - the messages must be seqs 1..n without gaps (ErrInvalid otherwise).
//
// Events whose data does not decode are skipped. An id that is not a
// valid session id, or no events at all, is ErrNoHistory.
func FromHistory(sid string, evs []OutboxEvent) (Meta, []Message, error) {
	var meta Meta
	if !ValidID(sid) {
		return meta, nil, fmt.Errorf("%w: %q", ErrNoHistory, sid)
	}
	if len(evs) == 0 {
		return meta, nil, ErrNoHistory
	}
	bySeq := map[uint64]Message{}
	haveMeta, expired := false, false
	for i := range evs {
		switch evs[i].Kind {
		case OutboxMeta:
			var mt Meta
			if json.Unmarshal(evs[i].Data, &mt) == nil && mt.ID == sid {
				meta, haveMeta, expired = mt, true, false
			}
		case OutboxMessage:
			var msg Message
			if err := json.Unmarshal(evs[i].Data, &msg); err == nil && msg.Session == sid {
				bySeq[msg.Seq] = msg
				expired = false
			}
		case OutboxExpire:
			expired = true // the last word unless something follows
		}
	}
	if expired {
		return meta, nil, ErrNoHistory // expired: not to be resumed
	}
	if !haveMeta {
		meta = Meta{ID: sid}
	}
	msgs := make([]Message, 0, len(bySeq))
	for seq := uint64(1); ; seq++ {
		msg, ok := bySeq[seq]
		if !ok {
			break
		}
		msgs = append(msgs, msg)
	}
	if len(msgs) != len(bySeq) {
		return meta, nil, fmt.Errorf("%w: the core's history of %s has gaps (%d of %d messages in order)", ErrInvalid, sid, len(msgs), len(bySeq))
	}
	return meta, msgs, nil
}
