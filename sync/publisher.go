package edgesync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"github.com/prometheus/client_golang/prometheus"
)

// Stream is the JetStream stream of session events.
const Stream = "EDGEDESK_SESSIONS"

// SubjectPrefix starts every session event's subject.
const SubjectPrefix = "edgedesk.sessions."

// Outbox is what the publisher needs of the session store: batches of
// the oldest waiting events in commit order, and a way to drop the
// published ones.
type Outbox interface {
	// OutboxShards is the number of shards, each with its own outbox.
	OutboxShards() int
	// OutboxReady is signalled (never blocking) after a commit added
	// events.
	OutboxReady() <-chan struct{}
	// AppendOutboxBatch appends to dst the oldest limit waiting events of
	// shard with a key above after, in commit order, and returns the
	// extended slice. The publisher hands back the same slice every round
	// (a draining publisher reads tens of thousands of events a second).
	AppendOutboxBatch(dst []Event, shard int, after uint64, limit int) ([]Event, error)
	// OutboxDone deletes published events (their keys, all of shard). Once
	// the store is closing it returns an error wrapping ErrOutboxClosed.
	OutboxDone(ctx context.Context, shard int, keys []uint64) error
	// OutboxDepth is the number of events waiting in all shards.
	OutboxDepth() int64
	// OutboxOldest is the commit time of the oldest waiting event (zero
	// when empty).
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
	// Batch bounds the events of one atomic batch, the events in flight
	// per shard: at most the server's max_batch_size (default 1000,
	// JetStream's default limit; EmbeddedBatch for the node's own server).
	Batch int
	// Replicas is how many servers of the core's cluster keep the stream
	// (EnsureStream; below 1: one).
	Replicas int
	// Linger is how long a shard's loop waits after new events arrive in
	// an empty outbox before it publishes them (default 2ms).
	Linger time.Duration
	// SyncedStore says the stream's server fsyncs every store before it
	// acknowledges it (the embedded server with sync_always): the
	// publisher then counts those fsyncs in edgedesk_fsyncs_total
	// {layer="jetstream"}: one per message published on its own (the
	// filestore syncs the message block at each store) and batchSyncs per
	// atomic batch. A core's fsyncs are not this machine's.
	SyncedStore bool
	// Pace, with SyncedStore, is the shortest time between two rounds of
	// live traffic (0: none): the events that gather meanwhile go out as
	// one atomic batch once there are at least liveAtomicMin of them, so
	// a busy node pays the server's fsyncs per batch rather than per
	// event (see liveAtomicMin). It delays the stream's copy, never an
	// answer: the outbox in the session store is what acknowledges.
	Pace time.Duration
}

// Publisher ships the outbox to JetStream. Each shard's loop takes the
// oldest events of its outbox in commit order. Live traffic goes out as
// separate messages, at most one per session per round, each with its
// Nats-Msg-Id, or, paced towards a server that syncs every store (Pace),
// as one atomic batch per round once it is big enough (liveAtomicMin); a
// backlog goes out as atomic batches (see atomicMin):
// JetStream stores a batch whole or not at all, in order, with a few
// fsyncs for the whole batch (batchSyncs, where the server syncs every
// write). Either way a
// session's events reach the stream in order and without gaps, and what
// failed is sent again. Acknowledged events are deleted from the outbox
// while the next round goes out.
//
// When a publish's fate is unknown (no acknowledgement, or the node
// restarted between an acknowledgement and the outbox delete), the next
// round is first checked against the stream: for each of its sessions,
// the stream's last event of that session (its outbox key) says how many
// of the round's events are already stored. This keeps exactly-once
// beyond the stream's two-minute de-duplication window, for instance
// across a long outage.
type Publisher struct {
	o         PublisherOptions
	mu        sync.Mutex
	stream    jetstream.Stream // guarded by mu
	log       *slog.Logger
	published prometheus.Counter
	failed    prometheus.Counter
	latency   prometheus.Histogram
	fsyncs    prometheus.Counter // nil unless o.SyncedStore
}

// NewPublisher returns a publisher; Run starts it. It registers the
// outbox metrics (depth, oldest event's age) with o.Registry.
func NewPublisher(o PublisherOptions) *Publisher {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if o.Linger <= 0 {
		o.Linger = 2 * time.Millisecond
	}
	p := &Publisher{
		o: o, log: o.Logger,
		published: prometheus.NewCounter(prometheus.CounterOpts{Name: "edgedesk_sync_published_total", Help: "Session events acknowledged by JetStream and removed from the outbox."}),
		failed:    prometheus.NewCounter(prometheus.CounterOpts{Name: "edgedesk_sync_publish_failures_total", Help: "Session event publishes that failed (they are retried)."}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "edgedesk_sync_event_age_seconds",
			Help:    "Time from an event's commit at the edge to its acknowledgement by JetStream.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .5, 1, 10, 60, 600, 3600},
		}),
	}
	if o.SyncedStore {
		p.fsyncs = prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "edgedesk_fsyncs_total",
			Help:        "fsyncs and fdatasyncs issued, by layer (bbolt, jetstream) and file: bbolt's counted at each commit (two per commit), JetStream's per synced store or atomic batch (see docs/LOAD.md).",
			ConstLabels: prometheus.Labels{"layer": "jetstream", "file": Stream},
		})
		if o.Registry != nil {
			o.Registry.MustRegister(p.fsyncs)
		}
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

// EnsureStream creates or updates the session event stream, kept by
// replicas servers of a cluster (below 1: one).
func EnsureStream(ctx context.Context, js jetstream.JetStream, replicas int) error {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        Stream,
		Replicas:    max(replicas, 1),
		Description: "edgedesk session events from the edge (messages, notes, metadata, expiries)",
		Subjects:    []string{SubjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Duplicates:  2 * time.Minute,
		// The publisher sends atomic batches (nats-server 2.12 or later).
		AllowAtomicPublish: true,
	})
	if err != nil {
		return fmt.Errorf("edgesync: stream %s: %w", Stream, err)
	}
	return nil
}

// keyHeader carries an event's key in its shard's outbox: the publisher's
// way to tell, after a restart, how far the stream has a session.
const keyHeader = "Edgedesk-Key"

// SeqHeader carries a message event's seq (the session's message number).
// The node, session and kind are the subject's tokens (ParseSubject): the
// fewer headers, the less JetStream scans per message.
const SeqHeader = "Edgedesk-Seq"

// ParseSubject splits an event's subject into the node's name, the
// session id and the event's kind.
func ParseSubject(subject string) (node, sid, kind string, ok bool) {
	rest, found := strings.CutPrefix(subject, SubjectPrefix)
	if !found {
		return "", "", "", false
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", false
	}
	return parts[0], strings.ReplaceAll(parts[1], "~", "."), parts[2], true
}

// Subject is the subject of an event of node.
func Subject(node string, ev *Event) string {
	return SubjectPrefix + node + "." + SessionToken(ev.Session) + "." + ev.Kind
}

// SessionToken is a session id as one subject token: session ids may hold
// '.', which separates tokens, and never '~', which stands in for it.
func SessionToken(sid string) string { return strings.ReplaceAll(sid, ".", "~") }

// msgID is an event's de-duplication id at the core: the node's name and
// the event's id, so that two nodes never share one.
func (p *Publisher) msgID(ev *Event) string { return p.o.Node + ":" + ev.ID }

// Run publishes until ctx is done. It first makes sure the stream exists,
// retrying while the core is unreachable (the outbox keeps filling).
func (p *Publisher) Run(ctx context.Context) error {
	if !retry(ctx, p.log, "core unreachable; the outbox keeps the events", func() error { return EnsureStream(ctx, p.o.JS, p.o.Replicas) }) {
		return nil
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

// loop publishes shard's outbox. The outbox delete of a published batch
// overlaps the next batch's publish (a separate goroutine deletes, many
// batches in one commit when it falls behind); the loop reads past what
// it has published. A delete lost to a crash only means the events are
// checked against the stream after the restart.
func (p *Publisher) loop(ctx context.Context, shard int) {
	deletes := make(chan []uint64, 64)
	deleted := make(chan struct{})
	go func() {
		defer close(deleted)
		p.deleter(shard, deletes)
	}()
	defer func() {
		close(deletes)
		<-deleted
	}()
	// after is the key up to which everything is published; acked holds
	// the keys published beyond it (a round of separate messages skips a
	// session's later events, which go in a later round).
	var after uint64
	acked := map[uint64]bool{}
	// buf is the round's batch, reused: the events are copied out of it
	// (pending) before anything keeps them, and cleared after the round
	// so it holds no event's data.
	var buf []Event
	draining := false
	// check says the next round must be checked against the stream
	// first: at start (a crash may have come between an acknowledgement
	// and the outbox delete) and after any failed round.
	check := true
	var lastRound time.Time // start of the last round of live traffic (Pace)
	backoff := time.Duration(0)
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
		// A look at the next few events first: a trickle needs no more
		// (decoding thousands of events per round would cost more than
		// publishing the few); a backlog gets a full batch.
		batch, err := p.o.Outbox.AppendOutboxBatch(buf[:0], shard, after, min(peek, p.o.Batch))
		if err == nil && len(batch) == peek && p.o.Batch > peek {
			batch, err = p.o.Outbox.AppendOutboxBatch(batch[:0], shard, after, p.o.Batch)
		}
		if cap(batch) > cap(buf) {
			buf = batch[:0]
		}
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
				// Let a few commits gather: fewer, fuller rounds cost the
				// node and JetStream less CPU at a small delay.
				time.Sleep(p.o.Linger)
			case <-tick.C:
			}
			continue
		}
		pending := make([]Event, 0, len(batch))
		for i := range batch {
			if !acked[batch[i].Key] {
				pending = append(pending, batch[i])
			}
		}
		// Atomic batches from a backlog of atomicMin until it is down to
		// atomicEnd; separate messages otherwise, or, with Pace, a round
		// of live traffic every Pace, atomic from liveAtomicMin events.
		draining = len(pending) >= atomicMin || (draining && len(pending) >= atomicEnd)
		atomic := draining
		if p.paced() && !draining && len(pending) > 0 {
			if wait := p.o.Pace - time.Since(lastRound); wait > 0 && !check {
				clear(batch)
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
				continue // read again: more has gathered
			}
			lastRound = time.Now()
			atomic = len(pending) >= liveAtomicMin
		}
		if len(pending) > 0 && !atomic {
			pending = firstPerSession(pending)
		}
		var done []uint64
		if len(pending) > 0 {
			done, err = p.publish(ctx, pending, atomic, check)
			check = err != nil
		}
		if len(done) > 0 {
			deletes <- done
			for _, k := range done {
				acked[k] = true
			}
		}
		for i := range batch { // move after over what is published
			if !acked[batch[i].Key] {
				break
			}
			after = batch[i].Key
			delete(acked, batch[i].Key)
		}
		clear(batch)
		switch {
		case errors.Is(err, errStoredMeanwhile):
			backoff = 0 // checked against the stream first, at once
		case err != nil:
			if ctx.Err() == nil {
				p.log.Warn("publishing to the core failed; events stay in the outbox", "shard", shard, "failed", len(pending)-len(done), "err", err)
			}
			backoff = nextBackoff(backoff)
		default:
			backoff = 0
		}
	}
}

// deleter removes published events from shard's outbox until deletes is
// closed, joining whatever has queued up into one commit. A delete that
// fails is tried again with the next ones (events published but not
// deleted would be checked against the stream after a restart).
func (p *Publisher) deleter(shard int, deletes <-chan []uint64) {
	var keys []uint64
	open := true
	for open || len(keys) > 0 {
		if len(keys) == 0 {
			k, ok := <-deletes
			if !ok {
				return
			}
			keys = k
		}
	more:
		for open {
			select {
			case k, ok := <-deletes:
				if !ok {
					open = false
					break more
				}
				keys = append(keys, k...)
			default:
				break more
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := p.o.Outbox.OutboxDone(ctx, shard, keys)
		cancel()
		switch {
		case err == nil, errors.Is(err, ErrOutboxClosed):
			keys = nil
		case !open:
			p.log.Error("published events not removed from the outbox; they are checked against the stream at the next start", "shard", shard, "events", len(keys), "err", err)
			return
		default:
			p.log.Warn("published events not removed from the outbox yet", "shard", shard, "err", err)
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// DefaultBatch is JetStream's default limit on the messages of one
// atomic batch (a server's jetstream.limits.max_batch_size).
const DefaultBatch = 1000

// errStoredMeanwhile says a batch held events stored since the check.
var errStoredMeanwhile = errors.New("edgesync: part of the batch was stored meanwhile")

// errDuplicate is JetStream's answer to an atomic batch holding an event
// it already stored (within the de-duplication window).
const errDuplicate jetstream.ErrorCode = 10201

// publish stores batch (of one shard, in commit order) and returns the
// keys that are now in the stream: as one atomic batch, or else (batch
// holds one event per session) as separate messages. With check, what the
// stream already holds of batch is found first and not sent again.
func (p *Publisher) publish(ctx context.Context, batch []Event, atomic, check bool) ([]uint64, error) {
	var done []uint64
	if check {
		stored, err := p.stored(ctx, batch)
		if err != nil {
			return nil, err
		}
		if len(stored) > 0 {
			rest := batch[:0:0]
			for i := range batch {
				if stored[batch[i].Key] {
					done = append(done, batch[i].Key)
				} else {
					rest = append(rest, batch[i])
				}
			}
			batch = rest
		}
		if len(batch) == 0 {
			return done, nil
		}
	}
	var err error
	if atomic {
		err = p.sendBatch(ctx, batch)
	} else {
		var sent []uint64
		sent, err = p.sendEach(ctx, batch)
		done = append(done, sent...)
		if err == nil {
			p.published.Add(float64(len(sent)))
			return done, nil
		}
	}
	if err != nil {
		// Stored or not, the next round (checked first) will tell.
		p.failed.Add(float64(len(batch)))
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode == errDuplicate {
			// Stored after the check (a late acknowledgement): check
			// again and send the rest at once.
			return done, errStoredMeanwhile
		}
		return done, err
	}
	now := time.Now()
	for i := range batch {
		done = append(done, batch[i].Key)
		p.latency.Observe(now.Sub(batch[i].TS).Seconds())
	}
	p.published.Add(float64(len(batch)))
	p.synced(batchSyncs)
	return done, nil
}

// A backlog of atomicMin events or more goes out in atomic batches until
// fewer than atomicEnd wait. An atomic batch costs JetStream a store of
// its own and about three times the CPU per event of a plain publish,
// but one fsync for the batch: it pays off for draining a backlog, not
// for live traffic, which goes out as separate messages, at most one per
// session per round (so a partial failure cannot reorder a session's
// events), one fsync each.
const (
	atomicMin = 1000
	atomicEnd = 64
)

// liveAtomicMin is the fewest events of a paced round (PublisherOptions
// .Pace) that go out as one atomic batch. On a server that syncs every
// store (nats-server 2.15, file storage, one replica) a separately
// published event costs one fsync and about 250 µs of CPU on a 2-core VM;
// an atomic batch stages in a store of its own and costs batchSyncs
// fsyncs and about 3.5 ms of CPU whatever its size, so it is cheaper in
// fsyncs from 4 events and in CPU from about 15 (per event at 64: 77 µs;
// at 256: 34 µs). From 8 it halves the fsyncs, which share the disk with
// the session store's commits, at about the same CPU.
const liveAtomicMin = 8

// batchSyncs is the fsyncs one atomic batch costs such a server (the
// staging store's files and directory, then the commit into the stream),
// counted with perf on nats-server 2.15.2: 1,026 fsyncs for 256 batches.
const batchSyncs = 4

// paced reports whether live rounds are paced (Pace on a SyncedStore).
func (p *Publisher) paced() bool { return p.o.SyncedStore && p.o.Pace > 0 }

// peek is how many events a round reads first.
const peek = 256

// firstPerSession keeps, of each session, its first event in batch.
func firstPerSession(batch []Event) []Event {
	seen := make(map[string]struct{}, len(batch))
	out := batch[:0:0]
	for i := range batch {
		if _, ok := seen[batch[i].Session]; !ok {
			seen[batch[i].Session] = struct{}{}
			out = append(out, batch[i])
		}
	}
	return out
}

// sendEach publishes batch (one event per session) as separate messages
// and returns the keys acknowledged.
func (p *Publisher) sendEach(ctx context.Context, batch []Event) ([]uint64, error) {
	futures := make([]jetstream.PubAckFuture, 0, len(batch))
	var firstErr error
	for i := range batch {
		f, err := p.o.JS.PublishMsgAsync(p.eventMsg(&batch[i]), jetstream.WithMsgID(p.msgID(&batch[i])))
		if err != nil {
			firstErr = err
			break
		}
		futures = append(futures, f)
	}
	done := make([]uint64, 0, len(futures))
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	now := time.Now()
	for i, f := range futures {
		select {
		case <-f.Ok():
			p.synced(1)
			done = append(done, batch[i].Key)
			p.latency.Observe(now.Sub(batch[i].TS).Seconds())
		case err := <-f.Err():
			if firstErr == nil {
				firstErr = err
			}
		case <-timeout.C:
			return done, errors.New("edgesync: no acknowledgement within 10s")
		case <-ctx.Done():
			return done, ctx.Err()
		}
	}
	return done, firstErr
}

// synced counts n fsyncs of the stream's server (SyncedStore).
func (p *Publisher) synced(n int) {
	if p.fsyncs != nil {
		p.fsyncs.Add(float64(n))
	}
}

// eventMsg is ev as a JetStream message (without batch headers).
func (p *Publisher) eventMsg(ev *Event) *nats.Msg {
	m := nats.NewMsg(Subject(p.o.Node, ev))
	m.Data = ev.Data
	m.Header.Set(jetstream.MsgIDHeader, p.msgID(ev))
	if ev.Seq > 0 {
		m.Header.Set(SeqHeader, strconv.FormatUint(ev.Seq, 10))
	}
	m.Header.Set(keyHeader, strconv.FormatUint(ev.Key, 10))
	return m
}

// sendBatch publishes batch as one JetStream atomic batch: every message
// but the last without a reply, the last with the commit header, whose
// acknowledgement covers the batch.
func (p *Publisher) sendBatch(ctx context.Context, batch []Event) error {
	nc := p.o.JS.Conn()
	id := nuid.Next()
	for i := range batch {
		m := p.eventMsg(&batch[i])
		m.Header.Set("Nats-Batch-Id", id)
		m.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i+1))
		if i == len(batch)-1 {
			m.Header.Set("Nats-Batch-Commit", "1")
			return p.commit(ctx, m)
		}
		if err := nc.PublishMsg(m); err != nil {
			return err
		}
	}
	return nil
}

// commit sends a batch's last message and waits for the batch's
// acknowledgement.
func (p *Publisher) commit(ctx context.Context, m *nats.Msg) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := p.o.JS.Conn().RequestMsgWithContext(ctx, m)
	if err != nil {
		return err
	}
	var r struct {
		Error *jetstream.APIError `json:"error,omitempty"`
	}
	if err := json.Unmarshal(resp.Data, &r); err != nil {
		return fmt.Errorf("edgesync: batch acknowledgement: %w", err)
	}
	if r.Error != nil {
		return r.Error
	}
	return nil
}

// stored returns the keys of batch's events already in the stream. Of
// each session the stream holds a prefix of its events in the outbox
// (atomic batches go out in order; separate messages carry at most one
// event per session per round), up to the outbox key of its last event
// there (Edgedesk-Key): one lookup per session of the batch. It runs only
// after a failure or a restart.
func (p *Publisher) stored(ctx context.Context, batch []Event) (map[uint64]bool, error) {
	st, err := p.sessionStream(ctx)
	if err != nil {
		return nil, err
	}
	upto := map[string]uint64{} // session → key of its last stored event (0: none)
	stored := map[uint64]bool{}
	for i := range batch {
		ev := &batch[i]
		k, ok := upto[ev.Session]
		if !ok {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			m, err := st.GetLastMsgForSubject(cctx, SubjectPrefix+p.o.Node+"."+SessionToken(ev.Session)+".*")
			cancel()
			switch {
			case errors.Is(err, jetstream.ErrMsgNotFound):
			case err != nil:
				return nil, err
			case m.Header.Get(jetstream.MsgIDHeader) == p.msgID(ev):
				k = ev.Key
			default:
				k, _ = strconv.ParseUint(m.Header.Get(keyHeader), 10, 64)
			}
			upto[ev.Session] = k
		}
		if k >= ev.Key {
			stored[ev.Key] = true
		}
	}
	return stored, nil
}

func (p *Publisher) sessionStream(ctx context.Context) (jetstream.Stream, error) {
	p.mu.Lock()
	st := p.stream
	p.mu.Unlock()
	if st != nil {
		return st, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := p.o.JS.Stream(ctx, Stream)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.stream = st
	p.mu.Unlock()
	return st, nil
}

// retry calls f until it succeeds (true) or ctx is done (false), logging
// msg and backing off between tries.
func retry(ctx context.Context, log *slog.Logger, msg string, f func() error) bool {
	for backoff := time.Duration(0); ; {
		err := f()
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		backoff = nextBackoff(backoff)
		log.Warn(msg, "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(backoff):
		}
	}
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
