package edgesync

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// AuditStream is the JetStream stream of every node's audit log
// (node/audit).
const AuditStream = "EDGEDESK_AUDIT"

// AuditSubjectPrefix starts the subject of a node's audit entries:
// edgedesk.audit.<node>.
const AuditSubjectPrefix = "edgedesk.audit."

// Audit publishes a node's audit entries to AuditStream, creating the
// stream on first use (idempotently: every node does). Each entry's
// Nats-Msg-Id is "<node>:<key>": an entry sent again within the
// de-duplication window (two minutes) is stored once; past it, the core
// tells copies apart by the node and key inside the entry. It is safe for
// concurrent use.
type Audit struct {
	JS   jetstream.JetStream
	Node string
	// MaxAge is how long the stream keeps entries (0: for ever; the core's
	// operator sets its own retention).
	MaxAge time.Duration
	// Replicas is how many servers of the core's cluster keep the stream
	// (below 1: one).
	Replicas int

	mu    sync.Mutex
	ready bool
}

// EnsureAuditStream creates or updates AuditStream, kept by replicas
// servers of a cluster (below 1: one).
func EnsureAuditStream(ctx context.Context, js jetstream.JetStream, maxAge time.Duration, replicas int) error {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        AuditStream,
		Replicas:    max(replicas, 1),
		Description: "edgedesk audit log: every node's agent and admin actions",
		Subjects:    []string{AuditSubjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Duplicates:  2 * time.Minute,
		MaxAge:      maxAge,
		// Append-only at the core too: no message deletes, no purges.
		DenyDelete: true,
		DenyPurge:  true,
	})
	if err != nil {
		return fmt.Errorf("edgesync: stream %s: %w", AuditStream, err)
	}
	return nil
}

// PublishAudit publishes one entry (its JSON) under its key and waits for
// JetStream's acknowledgement. An error leaves it to the caller to try
// again.
func (a *Audit) PublishAudit(ctx context.Context, key string, data []byte) error {
	a.mu.Lock()
	ready := a.ready
	a.mu.Unlock()
	if !ready {
		if err := EnsureAuditStream(ctx, a.JS, a.MaxAge, a.Replicas); err != nil {
			return err
		}
		a.mu.Lock()
		a.ready = true
		a.mu.Unlock()
	}
	if _, err := a.JS.Publish(ctx, AuditSubjectPrefix+a.Node, data, jetstream.WithMsgID(a.Node+":"+key)); err != nil {
		a.mu.Lock()
		a.ready = false // the stream may be gone: look again next time
		a.mu.Unlock()
		return fmt.Errorf("edgesync: audit publish: %w", err)
	}
	return nil
}
