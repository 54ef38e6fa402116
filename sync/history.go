package edgesync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/edgedesk/edgedesk/node/session"
)

// ErrNoHistory is returned when the core has no event of a session.
var ErrNoHistory = errors.New("edgesync: the core has no such session")

// FetchHistory reads a session's metadata and messages from the core's
// stream, so that a node the customer reconnected to can resume a session
// another node served. Messages come back once each (by seq), in order.
func FetchHistory(ctx context.Context, js jetstream.JetStream, stream, sid string) (session.Meta, []session.Message, error) {
	var meta session.Meta
	if !session.ValidID(sid) {
		return meta, nil, fmt.Errorf("%w: %q", ErrNoHistory, sid)
	}
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{SubjectPrefix + "*." + SessionToken(sid) + ".>"}})
	if err != nil {
		return meta, nil, err
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return meta, nil, err
	}
	pending := info.NumPending
	if pending == 0 {
		return meta, nil, ErrNoHistory
	}
	bySeq := map[uint64]session.Message{}
	haveMeta, expired := false, false
	for ; pending > 0; pending-- {
		m, err := cons.Next(jetstream.FetchMaxWait(2 * time.Second))
		if err != nil {
			return meta, nil, err
		}
		_, _, kind, _ := ParseSubject(m.Subject())
		switch kind {
		case session.OutboxMeta:
			var mt session.Meta
			if json.Unmarshal(m.Data(), &mt) == nil && mt.ID == sid {
				meta, haveMeta, expired = mt, true, false
			}
		case session.OutboxMessage:
			var msg session.Message
			if err := json.Unmarshal(m.Data(), &msg); err == nil && msg.Session == sid {
				bySeq[msg.Seq] = msg
				expired = false
			}
		case session.OutboxExpire:
			expired = true // the last word unless something follows
		}
	}
	if expired {
		return meta, nil, ErrNoHistory // expired: not to be resumed
	}
	if !haveMeta {
		meta = session.Meta{ID: sid}
	}
	msgs := make([]session.Message, 0, len(bySeq))
	for seq := uint64(1); ; seq++ {
		msg, ok := bySeq[seq]
		if !ok {
			break
		}
		msgs = append(msgs, msg)
	}
	if len(msgs) != len(bySeq) {
		return meta, nil, fmt.Errorf("edgesync: the core's history of %s has gaps (%d of %d messages in order)", sid, len(msgs), len(bySeq))
	}
	return meta, msgs, nil
}
