package corelink

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/edgedesk/edgedesk/node/session"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// outbox is the session store as the publisher reads it
// (edgesync.Outbox).
type outbox struct{ *session.Store }

var _ edgesync.Outbox = outbox{}

// The store's outbox events and edgesync's events are one layout (the
// conversions below do not compile otherwise) and one set of kinds
// (TestKinds).
var (
	_ = edgesync.Event(session.OutboxEvent{})
	_ = session.OutboxEvent(edgesync.Event{})
)

// AppendOutboxBatch implements edgesync.Outbox: the store's batch,
// converted event by event into dst (a plain copy: no allocation per
// event once dst has grown).
func (o outbox) AppendOutboxBatch(dst []edgesync.Event, shard int, after uint64, limit int) ([]edgesync.Event, error) {
	evs, err := o.Store.OutboxBatch(shard, after, limit)
	dst = appendEvents(dst, evs)
	return dst, err
}

// appendEvents appends evs to dst as edgesync events.
func appendEvents(dst []edgesync.Event, evs []session.OutboxEvent) []edgesync.Event {
	dst = slices.Grow(dst, len(evs))
	for i := range evs {
		dst = append(dst, edgesync.Event(evs[i]))
	}
	return dst
}

// OutboxDone implements edgesync.Outbox: a store that is closing says so
// with edgesync.ErrOutboxClosed.
func (o outbox) OutboxDone(ctx context.Context, shard int, keys []uint64) error {
	err := o.Store.OutboxDone(ctx, shard, keys)
	if errors.Is(err, session.ErrClosed) {
		return fmt.Errorf("%w: %w", edgesync.ErrOutboxClosed, err)
	}
	return err
}
