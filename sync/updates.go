package edgesync

import (
	"context"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Files is the object store through which the core hands every node its
// FAQ, routing configuration and model.
const Files = "EDGEDESK_FILES"

// The objects of Files a node applies.
const (
	ObjectFAQ     = "faq.jsonl"    // the whole FAQ set, JSON Lines (edgedesk faq export)
	ObjectFAQCSV  = "faq.csv"      // or as CSV
	ObjectRouting = "routing.yaml" // the routing: section of the configuration
	ObjectModel   = "model.onnx"   // an intent model (edgedesk train)
)

// Applier applies an update from the core to the node. Each method
// validates first and changes nothing on error.
type Applier interface {
	ApplyFAQ(name string, data []byte) error
	ApplyRouting(data []byte) error
	ApplyModel(data []byte) error
}

// Updates watches Files and applies every object's latest version: on
// start (a node that was offline catches up) and whenever the core puts a
// new one.
type Updates struct {
	JS      jetstream.JetStream
	Applier Applier
	Logger  *slog.Logger
	applied map[string]string // object → digest applied
}

// Run watches until ctx is done, reconnecting to the object store while the
// core is unreachable.
func (u *Updates) Run(ctx context.Context) {
	if u.Logger == nil {
		u.Logger = slog.New(slog.DiscardHandler)
	}
	u.applied = map[string]string{}
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		err := u.watch(ctx)
		if ctx.Err() != nil {
			return
		}
		backoff = nextBackoff(backoff)
		u.Logger.Warn("watching the core's files failed; retrying", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
}

func (u *Updates) watch(ctx context.Context) error {
	obs, err := u.JS.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      Files,
		Description: "edgedesk: FAQ, routing and models from the core, applied by every node",
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return err
	}
	w, err := obs.Watch(ctx)
	if err != nil {
		return err
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case info, ok := <-w.Updates():
			if !ok {
				return context.Canceled
			}
			if info == nil || info.Deleted || u.applied[info.Name] == info.Digest {
				continue // nil ends the initial values
			}
			data, err := obs.GetBytes(ctx, info.Name)
			if err != nil {
				return err
			}
			if err := u.apply(info.Name, data); err != nil {
				// A bad file is refused whole; the node keeps what it has.
				u.Logger.Error("update from the core refused", "object", info.Name, "err", err)
			} else {
				u.Logger.Info("update from the core applied", "object", info.Name, "bytes", len(data))
			}
			u.applied[info.Name] = info.Digest
		}
	}
}

func (u *Updates) apply(name string, data []byte) error {
	switch name {
	case ObjectFAQ, ObjectFAQCSV:
		return u.Applier.ApplyFAQ(name, data)
	case ObjectRouting:
		return u.Applier.ApplyRouting(data)
	case ObjectModel:
		return u.Applier.ApplyModel(data)
	}
	return nil
}
