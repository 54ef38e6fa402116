package edgesync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/edgedesk/edgedesk/node/session"
)

// Stream is the JetStream stream of session events.
const Stream = "EDGEDESK_SESSIONS"

// SubjectPrefix starts every session event's subject.
const SubjectPrefix = "edgedesk.sessions."

// Outbox is what the publisher needs of the session store: batches of
// waiting events (at most one per session, each session's oldest), and a
// way to drop the published ones.
type Outbox interface {
	OutboxShards() int
	OutboxReady() <-chan struct{}
	OutboxBatch(shard, limit, scan int) ([]session.OutboxEvent, error)
	OutboxDone(ctx context.Context, shard int, keys []uint64) error
	OutboxDepth() int64
	OutboxOldest() time.Time
}

// PublisherOptions configures a Publisher.
type PublisherOptions struct {
	Outbox Outbox
	JS     jetstream.JetStream
	// Node names this node in subjects.
	Node     string
	Logger   *slog.Logger
	Registry prometheus.Registerer
	// Batch bounds the events in flight per shard (default 1000).
	Batch int
	// Linger is how long a shard's loop waits after new events arrive in
	// an empty outbox before it publishes them (default 10ms).
	Linger time.Duration
}

// Publisher ships the outbox to JetStream: each shard's loop takes a batch
// (one event per session), publishes it asynchronously with each event's
// Nats-Msg-Id, waits for every acknowledgement, and deletes the
// acknowledged events from the outbox. Failed events stay and go out again
// (after a backoff) in a later batch; because a batch never holds two
// events of one session, a retry cannot put a session's events out of
// order, and the de-duplication window makes a retry of a stored event a
// no-op.
type Publisher struct {
	o PublisherOptions
	// suspect holds the ids of events whose publish may have been stored
	// though no acknowledgement came; they are checked against the stream
	// before they are sent again, so that a retry after the de-duplication
	// window (a long outage) still stores them once. Every event is
	// suspect in a shard's first batch after start: a crash may have come
	// between the acknowledgement and the outbox delete.
	mu        sync.Mutex
	suspect   map[string]bool
	stream    jetstream.Stream
	log       *slog.Logger
	published prometheus.Counter
	failed    prometheus.Counter
	latency   prometheus.Histogram
}

// NewPublisher returns a publisher; Run starts it. It registers the
// outbox metrics (depth, oldest event's age) with o.Registry.
func NewPublisher(o PublisherOptions) *Publisher {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Batch <= 0 {
		o.Batch = 1000
	}
	if o.Linger <= 0 {
		o.Linger = 10 * time.Millisecond
	}
	p := &Publisher{
		o: o, log: o.Logger, suspect: map[string]bool{},
		published: prometheus.NewCounter(prometheus.CounterOpts{Name: "edgedesk_sync_published_total", Help: "Session events acknowledged by JetStream and removed from the outbox."}),
		failed:    prometheus.NewCounter(prometheus.CounterOpts{Name: "edgedesk_sync_publish_failures_total", Help: "Session event publishes that failed (they are retried)."}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "edgedesk_sync_event_age_seconds",
			Help:    "Time from an event's commit at the edge to its acknowledgement by JetStream.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .5, 1, 10, 60, 600, 3600},
		}),
	}
	if o.Registry != nil {
		o.Registry.MustRegister(p.published, p.failed, p.latency,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "edgedesk_sync_outbox_depth", Help: "Session events waiting in the outbox for the core."},
				func() float64 { return float64(o.Outbox.OutboxDepth()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "edgedesk_sync_outbox_oldest_seconds", Help: "Age of the oldest event waiting in the outbox (0 when empty)."},
				func() float64 {
					if t := o.Outbox.OutboxOldest(); !t.IsZero() {
						return time.Since(t).Seconds()
					}
					return 0
				}))
	}
	return p
}

// EnsureStream creates or updates the session event stream.
func EnsureStream(ctx context.Context, js jetstream.JetStream) error {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        Stream,
		Description: "edgedesk session events from the edge (messages, notes, metadata, expiries)",
		Subjects:    []string{SubjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Duplicates:  2 * time.Minute,
	})
	if err != nil {
		return fmt.Errorf("edgesync: stream %s: %w", Stream, err)
	}
	return nil
}

// Subject is the subject of an event of node.
func Subject(node string, ev *session.OutboxEvent) string {
	return SubjectPrefix + node + "." + SessionToken(ev.Session) + "." + ev.Kind
}

// SessionToken is a session id as one subject token: session ids may hold
// '.', which separates tokens, and never '~', which stands in for it.
func SessionToken(sid string) string { return strings.ReplaceAll(sid, ".", "~") }

// msgID is an event's de-duplication id at the core: the node's name and
// the event's id, so that two nodes never share one.
func (p *Publisher) msgID(ev *session.OutboxEvent) string { return p.o.Node + ":" + ev.ID }

// Run publishes until ctx is done. It first makes sure the stream exists,
// retrying while the core is unreachable (the outbox keeps filling).
func (p *Publisher) Run(ctx context.Context) error {
	for backoff := time.Duration(0); ; {
		err := EnsureStream(ctx, p.o.JS)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		backoff = nextBackoff(backoff)
		p.log.Warn("core unreachable; the outbox keeps the events", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
	}
	var wg sync.WaitGroup
	for shard := range p.o.Outbox.OutboxShards() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.loop(ctx, shard)
		}()
	}
	wg.Wait()
	return nil
}

func (p *Publisher) loop(ctx context.Context, shard int) {
	backoff := time.Duration(0)
	first := true
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for ctx.Err() == nil {
		if backoff > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
		}
		batch, err := p.o.Outbox.OutboxBatch(shard, p.o.Batch, 20*p.o.Batch)
		if err != nil {
			p.log.Error("outbox unreadable", "shard", shard, "err", err)
			backoff = nextBackoff(backoff)
			continue
		}
		if len(batch) == 0 {
			backoff = 0
			select {
			case <-ctx.Done():
				return
			case <-p.o.Outbox.OutboxReady():
				// Let a few commits gather: fewer, fuller batches cost the
				// node and JetStream far less CPU at a small delay.
				time.Sleep(p.o.Linger)
			case <-tick.C:
			}
			continue
		}
		done, err := p.publish(ctx, batch, first)
		first = false
		if len(done) > 0 {
			// A short context: deleting what was acknowledged must finish
			// even as the node stops, or it is published again (harmless:
			// de-duplicated within the window).
			dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if derr := p.o.Outbox.OutboxDone(dctx, shard, done); derr != nil && !errors.Is(derr, session.ErrClosed) {
				p.log.Error("published events not removed from the outbox", "shard", shard, "err", derr)
			}
			cancel()
		}
		if err != nil {
			if ctx.Err() == nil {
				p.log.Warn("publishing to the core failed; events stay in the outbox", "shard", shard, "failed", len(batch)-len(done), "err", err)
			}
			backoff = nextBackoff(backoff)
			continue
		}
		backoff = 0
	}
}

// publish sends batch and returns the keys JetStream acknowledged (or
// already held).
func (p *Publisher) publish(ctx context.Context, batch []session.OutboxEvent, allSuspect bool) ([]uint64, error) {
	futures := make([]jetstream.PubAckFuture, len(batch))
	var firstErr error
	var stored []uint64
	for i := range batch {
		ev := &batch[i]
		if p.isSuspect(ev.ID, allSuspect) {
			have, err := p.inStream(ctx, ev)
			if err != nil {
				firstErr = err
				for _, rest := range batch[i:] {
					p.markSuspect(rest.ID) // still unchecked: check them next time
				}
				break
			}
			p.clearSuspect(ev.ID)
			if have {
				stored = append(stored, ev.Key)
				continue
			}
		}
		m := nats.NewMsg(Subject(p.o.Node, ev))
		m.Data = ev.Data
		m.Header.Set("Edgedesk-Kind", ev.Kind)
		m.Header.Set("Edgedesk-Session", ev.Session)
		if ev.Seq > 0 {
			m.Header.Set("Edgedesk-Seq", fmt.Sprint(ev.Seq))
		}
		f, err := p.o.JS.PublishMsgAsync(m, jetstream.WithMsgID(p.msgID(ev)))
		if err != nil {
			firstErr = err
			for _, rest := range batch[i:] {
				p.markSuspect(rest.ID) // may or may not have gone out
			}
			break
		}
		futures[i] = f
	}
	done := append(make([]uint64, 0, len(batch)), stored...)
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for i, f := range futures {
		if f == nil {
			continue // already in the stream, or never sent
		}
		select {
		case <-f.Ok():
			done = append(done, batch[i].Key)
			p.published.Inc()
			p.latency.Observe(time.Since(batch[i].TS).Seconds())
		case err := <-f.Err():
			p.failed.Inc()
			p.markSuspect(batch[i].ID)
			if firstErr == nil {
				firstErr = err
			}
		case <-timeout.C:
			for _, ev := range batch[i:] {
				p.markSuspect(ev.ID)
			}
			if firstErr == nil {
				firstErr = errors.New("no acknowledgement within 10s")
			}
			return done, firstErr
		case <-ctx.Done():
			for _, ev := range batch[i:] {
				p.markSuspect(ev.ID)
			}
			return done, ctx.Err()
		}
	}
	return done, firstErr
}

func (p *Publisher) isSuspect(id string, all bool) bool {
	if all {
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.suspect[id]
}

func (p *Publisher) markSuspect(id string) {
	p.mu.Lock()
	p.suspect[id] = true
	p.mu.Unlock()
}

func (p *Publisher) clearSuspect(id string) {
	p.mu.Lock()
	delete(p.suspect, id)
	p.mu.Unlock()
}

// inStream reports whether ev is already the last message on its subject:
// a batch holds one event per session and a session's events go out in
// order, so if ev was stored, nothing of its session came after it.
func (p *Publisher) inStream(ctx context.Context, ev *session.OutboxEvent) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	p.mu.Lock()
	st := p.stream
	p.mu.Unlock()
	if st == nil {
		var err error
		if st, err = p.o.JS.Stream(ctx, Stream); err != nil {
			return false, err
		}
		p.mu.Lock()
		p.stream = st
		p.mu.Unlock()
	}
	m, err := st.GetLastMsgForSubject(ctx, Subject(p.o.Node, ev))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return m.Header.Get(jetstream.MsgIDHeader) == p.msgID(ev), nil
}

func nextBackoff(d time.Duration) time.Duration {
	switch {
	case d <= 0:
		return 100 * time.Millisecond
	case d >= 5*time.Second:
		return 5 * time.Second
	}
	return 2 * d
}

// Archive is the core's stream that sources every edge's session events.
const Archive = "EDGEDESK_ARCHIVE"

// EnsureArchive creates or updates, at the core, the stream that sources
// the session events of the edges in domains (leaf nodes, each with its
// own JetStream domain). While a leaf link is down the edge keeps its
// events in its own stream; the core catches up when the link returns.
func EnsureArchive(ctx context.Context, js jetstream.JetStream, domains []string) error {
	cfg := jetstream.StreamConfig{
		Name:        Archive,
		Description: "edgedesk: every session event from every edge",
		Storage:     jetstream.FileStorage,
	}
	for _, d := range domains {
		cfg.Sources = append(cfg.Sources, &jetstream.StreamSource{Name: Stream, Domain: d})
	}
	if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("edgesync: stream %s: %w", Archive, err)
	}
	return nil
}
