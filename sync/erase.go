package edgesync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ErasePrefix names the erasure announcements in object store Files:
// "erase/<customer id>". A node that erased a customer (GDPR, edgedesk
// customer erase) puts one; every node's Updates hands it to the node
// (Eraser), which erases what it holds of that customer, also when it
// was offline at the time (the watch starts with every object's latest
// version). An announcement holds ids only.
const ErasePrefix = "erase/"

// Erasure is an erasure announcement's content.
type Erasure struct {
	Customer string `json:"customer"`
	// Node is the node that erased first; Sessions the ids it erased.
	Node     string    `json:"node"`
	Sessions []string  `json:"sessions,omitempty"`
	At       time.Time `json:"at"`
}

// Eraser is implemented by an Applier that erases customers (the node):
// Updates hands it every erasure announcement. ApplyErase must be
// idempotent: announcements are applied again after every restart. ctx
// ends when the watcher stops (the node closes).
type Eraser interface {
	ApplyErase(ctx context.Context, e Erasure) error
}

// AnnounceErasure puts e in object store Files of js, for every node.
func AnnounceErasure(ctx context.Context, js jetstream.JetStream, e Erasure) error {
	if e.Customer == "" {
		return fmt.Errorf("%w: erasure without a customer", ErrInvalid)
	}
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	obs, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      Files,
		Description: "edgedesk: FAQ, routing and models from the core, applied by every node",
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("edgesync: object store %s: %w", Files, err)
	}
	if _, err := obs.PutBytes(ctx, ErasePrefix+e.Customer, data); err != nil {
		return fmt.Errorf("edgesync: announce erasure: %w", err)
	}
	return nil
}

// applyErase decodes an announcement and hands it to the Applier.
func (u *Updates) applyErase(ctx context.Context, name string, data []byte) error {
	er, ok := u.o.Applier.(Eraser)
	if !ok {
		return nil
	}
	var e Erasure
	if err := json.Unmarshal(data, &e); err != nil {
		return fmt.Errorf("%w: erasure %s: %w", ErrInvalid, name, err)
	}
	if e.Customer == "" || e.Customer != strings.TrimPrefix(name, ErasePrefix) {
		return fmt.Errorf("%w: erasure %s names customer %q", ErrInvalid, name, e.Customer)
	}
	return er.ApplyErase(ctx, e)
}

// PurgeSessions deletes every event of sessions from stream (Stream at a
// node or a core, Archive at a core), whichever node published them:
// one purge per session, subject filter edgedesk.sessions.*.<session>.>
// (the session's subject token, SessionToken).
// A stream that does not exist holds nothing: it is no error. It returns
// how many messages went.
func PurgeSessions(ctx context.Context, js jetstream.JetStream, stream string, sessions []string) (uint64, error) {
	if len(sessions) == 0 {
		return 0, nil
	}
	st, err := js.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("edgesync: stream %s: %w", stream, err)
	}
	var total uint64
	for _, sid := range sessions {
		if sid == "" {
			return total, fmt.Errorf("%w: empty session id", ErrInvalid)
		}
		before, err := st.Info(ctx)
		if err != nil {
			return total, fmt.Errorf("edgesync: stream %s: %w", stream, err)
		}
		if err := st.Purge(ctx, jetstream.WithPurgeSubject(SubjectPrefix+"*."+SessionToken(sid)+".>")); err != nil {
			return total, fmt.Errorf("edgesync: purge %s of session %s: %w", stream, sid, err)
		}
		after, err := st.Info(ctx)
		if err == nil && before.State.Msgs > after.State.Msgs {
			total += before.State.Msgs - after.State.Msgs
		}
	}
	return total, nil
}

// DeleteObjects deletes the named objects from bucket; a missing bucket
// or object is no error. It returns how many it deleted.
func DeleteObjects(ctx context.Context, js jetstream.JetStream, bucket string, names []string) (int, error) {
	if len(names) == 0 {
		return 0, nil
	}
	obs, err := js.ObjectStore(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("edgesync: object store %s: %w", bucket, err)
	}
	n := 0
	for _, name := range names {
		err := obs.Delete(ctx, name)
		switch {
		case errors.Is(err, jetstream.ErrObjectNotFound):
		case err != nil:
			return n, fmt.Errorf("edgesync: delete %s/%s: %w", bucket, name, err)
		default:
			n++
		}
	}
	return n, nil
}
