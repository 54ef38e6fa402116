package edgesync

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
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

// UpdatesOptions configures Updates.
type UpdatesOptions struct {
	JS      jetstream.JetStream
	Applier Applier
	Logger  *slog.Logger
	// Replicas is how many servers of the core's cluster keep Files
	// (below 1: one).
	Replicas int
	// Registry, if set, takes the updates counter
	// (edgedesk_sync_updates_total by kind and result).
	Registry prometheus.Registerer
}

// Updates watches Files and applies every object's latest version: on
// start (a node that was offline catches up) and whenever the core puts a
// new one. Run is not to be called twice at once.
type Updates struct {
	o       UpdatesOptions
	log     *slog.Logger
	count   *prometheus.CounterVec
	applied map[string]string // object → digest applied; Run's alone
}

// NewUpdates returns the watcher; Run starts it. It registers the updates
// counter with o.Registry.
func NewUpdates(o UpdatesOptions) *Updates {
	u := &Updates{
		o: o, log: o.Logger,
		count: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgedesk_sync_updates_total",
			Help: "Updates from the core (FAQ, routing, model), by kind and result (applied, refused).",
		}, []string{"kind", "result"}),
	}
	if u.log == nil {
		u.log = slog.New(slog.DiscardHandler)
	}
	if o.Registry != nil {
		o.Registry.MustRegister(u.count)
	}
	return u
}

// Run watches until ctx is done, reconnecting to the object store while the
// core is unreachable. It returns nil when ctx is done.
func (u *Updates) Run(ctx context.Context) error {
	u.applied = map[string]string{}
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		err := u.watch(ctx)
		if ctx.Err() != nil {
			return nil
		}
		backoff = nextBackoff(backoff)
		u.log.Warn("watching the core's files failed; retrying", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
	}
	return nil
}

func (u *Updates) watch(ctx context.Context) error {
	obs, err := u.o.JS.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      Files,
		Description: "edgedesk: FAQ, routing and models from the core, applied by every node",
		Storage:     jetstream.FileStorage,
		Replicas:    max(u.o.Replicas, 1),
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
			if err := u.apply(ctx, info.Name, data); err != nil {
				// A bad file is refused whole; the node keeps what it has.
				u.count.WithLabelValues(objectKind(info.Name), "refused").Inc()
				u.log.Error("update from the core refused", "object", info.Name, "err", err)
			} else {
				u.count.WithLabelValues(objectKind(info.Name), "applied").Inc()
				u.log.Info("update from the core applied", "object", info.Name, "bytes", len(data))
			}
			u.applied[info.Name] = info.Digest
		}
	}
}

func (u *Updates) apply(ctx context.Context, name string, data []byte) error {
	if strings.HasPrefix(name, ErasePrefix) {
		return u.applyErase(ctx, name, data)
	}
	switch name {
	case ObjectFAQ, ObjectFAQCSV:
		return u.o.Applier.ApplyFAQ(name, data)
	case ObjectRouting:
		return u.o.Applier.ApplyRouting(data)
	case ObjectModel:
		return u.o.Applier.ApplyModel(data)
	}
	return nil
}

// objectKind is an object's kind label: faq, routing, model, or other
// (objects a node does not apply).
func objectKind(name string) string {
	if strings.HasPrefix(name, ErasePrefix) {
		return "erase"
	}
	switch name {
	case ObjectFAQ, ObjectFAQCSV:
		return "faq"
	case ObjectRouting:
		return "routing"
	case ObjectModel:
		return "model"
	}
	return "other"
}
