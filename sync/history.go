package edgesync

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// FetchHistory reads every event of session sid from stream (the core's),
// in stream order, so that a node the customer reconnected to can resume
// a session another node served. It fills each event's Session, Kind, Seq
// (messages), ID (as the edge gave it) and Data; what the events say — the
// session's metadata, its messages, whether it expired — is for the
// session store to decide. It returns ErrNoHistory when the stream holds
// no event of sid.
func FetchHistory(ctx context.Context, js jetstream.JetStream, stream, sid string) ([]Event, error) {
	if !subjectToken(sid) {
		return nil, fmt.Errorf("%w: %q", ErrNoHistory, sid)
	}
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{SubjectPrefix + "*." + SessionToken(sid) + ".>"}})
	if err != nil {
		return nil, err
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return nil, err
	}
	pending := info.NumPending
	if pending == 0 {
		return nil, ErrNoHistory
	}
	evs := make([]Event, 0, pending)
	for ; pending > 0; pending-- {
		m, err := cons.Next(jetstream.FetchMaxWait(2 * time.Second))
		if err != nil {
			return nil, err
		}
		node, msid, kind, ok := ParseSubject(m.Subject())
		if !ok || msid != sid {
			continue
		}
		ev := Event{Session: msid, Kind: kind, Data: m.Data()}
		if h := m.Headers(); h != nil {
			ev.Seq, _ = strconv.ParseUint(h.Get(SeqHeader), 10, 64)
			ev.ID = strings.TrimPrefix(h.Get(jetstream.MsgIDHeader), node+":")
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

// subjectToken reports whether sid can stand in a subject as one token
// (SessionToken): not empty, no wildcard, no white space, no '~'.
func subjectToken(sid string) bool {
	return sid != "" && !strings.ContainsAny(sid, " \t\r\n*>~")
}
