package corelink

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/session"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// Options configures a Link.
type Options struct {
	// NATS is the node's nats: section: the core's URL and credentials,
	// or the embedded server's listen address, leaf URL and domains; the
	// node's name in subjects.
	NATS config.NATS
	// DataDir is the node's data directory: the embedded server keeps its
	// JetStream files in DataDir/nats.
	DataDir string
	// EncryptionKey, if set, encrypts the embedded server's JetStream
	// files; OldEncryptionKey opens those written before a rotation
	// (edgesync.ServerOptions).
	EncryptionKey, OldEncryptionKey []byte
	// Store is the session store: its outbox is published, and Fetch
	// imports into it. Required.
	Store *session.Store
	// Applier applies the core's FAQ, routing and model. Required.
	Applier edgesync.Applier
	// Logger is the node's logger (nil: discard); the link's components
	// log with component=sync, updates and relay.
	Logger *slog.Logger
	// Registry takes the publisher's and the updates' metrics (nil: none).
	Registry prometheus.Registerer
	// MQTT, with a Listen address, opens the embedded server's MQTT
	// listener (node/mqtt bridges it to the sessions). Ignored with
	// nats.url: config.Validate refuses it there.
	MQTT edgesync.MQTTOptions
}

// Link is the node's link to the core. New connects; Run runs the
// publisher, the updates watcher and (after ServeRelay) the presence of
// agents; Close stops them and disconnects. Its methods are safe for
// concurrent use.
type Link struct {
	o      Options
	log    *slog.Logger
	srv    *server.Server // nil when connected to a core
	nc     *nats.Conn
	js     jetstream.JetStream
	core   bool // connected to a core (nats.url), which holds every node's sessions
	coreJS jetstream.JetStream
	pub    *edgesync.Publisher
	upd    *edgesync.Updates
	relay  *edgesync.Relay // nil without coreJS

	mu     sync.Mutex
	pres   *edgesync.Presence // set by ServeRelay
	cancel context.CancelFunc // set by Run
	done   chan struct{}      // closed when Run returns
	closed bool

	closeOnce sync.Once
	closeErr  error
}

// New starts the embedded server (when no nats.url is set) or connects to
// the core. A core that is unreachable does not fail it: the connection
// retries and the outbox keeps every event meanwhile.
func New(o Options) (*Link, error) {
	if o.Store == nil || o.Applier == nil {
		return nil, fmt.Errorf("%w: Store and Applier are required", ErrOptions)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := o.NATS
	l := &Link{o: o, log: o.Logger}
	opts := []nats.Option{
		nats.Name("edgedesk " + c.NodeName()),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
	}
	url := c.URL
	var (
		nc  *nats.Conn
		err error
	)
	if url == "" {
		so := edgesync.ServerOptions{
			Name: c.NodeName(), StoreDir: filepath.Join(o.DataDir, "nats"), Listen: c.Listen, SyncAlways: c.SyncAlways,
			Leaf: c.Leaf, Domain: c.JSDomain(),
			ListenUser: c.ListenUser, ListenPassword: c.ListenPassword, ListenNKeys: c.ListenNKeys,
			ListenTLSCert: c.ListenTLSCert, ListenTLSKey: c.ListenTLSKey,
			EncryptionKey: o.EncryptionKey, OldEncryptionKey: o.OldEncryptionKey,
			MQTT: o.MQTT,
		}
		if err := leafAuth(c, &so); err != nil {
			return nil, err
		}
		if c.Listen != "" {
			// config.Validate requires credentials with nats.listen; a
			// loopback port without them is left to tests and cores.
			so.InternalPassword = rand.Text() // the node's own user, for this run only
			opts = append(opts, nats.UserInfo(edgesync.InternalUser, so.InternalPassword))
		}
		srv, serr := edgesync.StartServer(so)
		if serr != nil {
			return nil, fmt.Errorf("corelink: %w", serr)
		}
		l.srv = srv
		srv.SetLoggerV2(&serverLog{log: o.Logger.With("component", "nats")}, false, false, false)
		nc, err = nats.Connect(url, append(opts, nats.InProcessServer(srv), nats.RetryOnFailedConnect(true))...)
	} else {
		auth, aerr := clientAuth(c)
		if aerr != nil {
			return nil, aerr
		}
		nc, err = connectCore(url, append(opts, auth...), o.Logger.With("component", "sync"))
	}
	if err != nil {
		l.shutdownServer()
		if errors.Is(err, ErrRefused) {
			return nil, err
		}
		return nil, fmt.Errorf("corelink: nats: %w", err)
	}
	l.nc = nc
	fail := func(err error) (*Link, error) {
		nc.Close()
		l.shutdownServer()
		return nil, err
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		return fail(fmt.Errorf("corelink: jetstream: %w", err))
	}
	l.js, l.core = js, url != ""
	switch {
	case url != "":
		l.coreJS = js
	case c.Leaf != "" && c.CoreDomain != "":
		if l.coreJS, err = jetstream.NewWithDomain(nc, c.CoreDomain); err != nil {
			return fail(fmt.Errorf("corelink: jetstream domain %s: %w", c.CoreDomain, err))
		}
	}
	batch := edgesync.DefaultBatch // what a core takes by default
	if l.srv != nil {
		batch = edgesync.EmbeddedBatch
	}
	l.pub = edgesync.NewPublisher(edgesync.PublisherOptions{
		Outbox: outbox{o.Store}, JS: js, Node: c.NodeName(), Logger: o.Logger.With("component", "sync"), Registry: o.Registry, Batch: batch,
		Replicas:    c.LocalReplicas(),
		SyncedStore: l.srv != nil && c.SyncAlways, Pace: embeddedPace,
	})
	l.upd = edgesync.NewUpdates(edgesync.UpdatesOptions{JS: js, Applier: o.Applier, Logger: o.Logger.With("component", "updates"), Registry: o.Registry, Replicas: c.LocalReplicas()})
	if l.coreJS != nil {
		l.relay = edgesync.NewRelay(nc, c.NodeName(), o.Logger.With("component", "relay"))
	}
	where := url
	if where == "" {
		where = "embedded (" + filepath.Join(o.DataDir, "nats") + ")"
	}
	o.Logger.Info("syncing sessions over NATS JetStream", "core", where, "node", c.NodeName(), "stream", edgesync.Stream)
	return l, nil
}

// Server is the embedded server (nil when connected to a core).
func (l *Link) Server() *server.Server { return l.srv }

// Conn is the node's NATS connection.
func (l *Link) Conn() *nats.Conn { return l.nc }

// embeddedPace paces the publisher's live rounds towards the node's own
// syncing server: a round every 200 ms gathers, at 1,000 answered
// messages a second, about 200 events per shard into one atomic batch
// (4 fsyncs) instead of 200 separately synced publishes. A batch's own
// cost (its staging store made and removed) was 55 % of the stream's CPU
// at 100 ms (1,000 msgs/s profile), so fewer, larger batches pay. The
// stream's copy lags the outbox by that much more; answers do not wait
// for it.
const embeddedPace = 200 * time.Millisecond

// Core reports whether the link is to a core (nats.url) that holds every
// node's sessions: then Fetch can resume a session another node served.
func (l *Link) Core() bool { return l.core }

// Relay is this node's end of the requests between nodes, nil when no
// core is shared with other nodes (a node on its own, or a leaf without
// nats.core_domain). It sends at once; ServeRelay makes it answer.
func (l *Link) Relay() *edgesync.Relay { return l.relay }

// ServeRelay makes the relay answer other nodes' requests with h, and has
// Run publish this node's presence (local, every second) and pass on the
// others' (update). It is called once, before Run.
func (l *Link) ServeRelay(h edgesync.RelayHandler, local func() []byte, update func(node string, value []byte)) error {
	if l.relay == nil {
		return ErrNoCore
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return ErrClosed
	case l.done != nil:
		return ErrRunning
	}
	if err := l.relay.Serve(h); err != nil {
		return fmt.Errorf("corelink: %w", err)
	}
	// Every second: agents come and go and fill up; a put of a few
	// hundred bytes a second per node is cheap next to a chat sent to a
	// node whose agents just left.
	l.pres = &edgesync.Presence{JS: l.coreJS, Node: l.o.NATS.NodeName(), Local: local, Update: update, Logger: l.o.Logger.With("component", "relay"), Every: time.Second, Replicas: l.o.NATS.Replicas}
	return nil
}

// Run runs the publisher, the updates watcher and the presence of agents
// (after ServeRelay) until ctx is done or Close is called, then returns
// nil; or until one of them fails, which stops the others and is
// returned. It runs once.
func (l *Link) Run(ctx context.Context) error {
	l.mu.Lock()
	switch {
	case l.closed:
		l.mu.Unlock()
		return ErrClosed
	case l.done != nil:
		l.mu.Unlock()
		return ErrRunning
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	l.cancel, l.done = cancel, done
	pres := l.pres
	l.mu.Unlock()
	defer close(done)
	defer cancel()

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return wrap("publisher", l.pub.Run(gctx)) })
	g.Go(func() error { return wrap("updates", l.upd.Run(gctx)) })
	if pres != nil {
		g.Go(func() error { return wrap("presence", pres.Run(gctx)) })
	}
	err := g.Wait()
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return nil // stopped, not failed
	}
	return err
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("corelink: %s: %w", what, err)
}

// Close stops what Run runs and waits for it (until ctx is done), then
// stops answering relay requests, closes the connection and shuts the
// embedded server down, in that order; past ctx's deadline it still
// closes the connection and the server. It is idempotent: later calls
// return the first one's result.
func (l *Link) Close(ctx context.Context) error {
	l.closeOnce.Do(func() { l.closeErr = l.close(ctx) })
	return l.closeErr
}

func (l *Link) close(ctx context.Context) error {
	l.mu.Lock()
	l.closed = true
	cancel, done := l.cancel, l.done
	l.mu.Unlock()
	var errs []error
	if cancel != nil {
		cancel()
		select {
		case <-done:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("corelink: publisher, updates or presence still running: %w", ctx.Err()))
		}
	}
	if l.relay != nil {
		if err := l.relay.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	l.nc.Close()
	l.shutdownServer()
	return errors.Join(errs...)
}

func (l *Link) shutdownServer() {
	if l.srv != nil {
		l.srv.Shutdown()
		l.srv.WaitForShutdown()
	}
}

// Fetch imports from the core session sid, which another node served, so
// a customer who reconnected here resumes it. It returns an error wrapping
// session.ErrNoHistory when there is nothing to resume: no event of sid
// at the core, or its expiry.
func (l *Link) Fetch(ctx context.Context, sid string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	meta, msgs, err := l.History(ctx, sid)
	if err != nil {
		return err
	}
	if err := l.o.Store.Import(ctx, meta, msgs); err != nil {
		return err
	}
	l.log.Info("session resumed from the core's history", "session", sid, "messages", len(msgs))
	return nil
}

// History reads session sid as the core holds it, without keeping it here
// (an error wrapping session.ErrNoHistory when the core has nothing of it).
func (l *Link) History(ctx context.Context, sid string) (session.Meta, []session.Message, error) {
	if !session.ValidID(sid) {
		return session.Meta{}, nil, fmt.Errorf("%w: %q", session.ErrNoHistory, sid)
	}
	evs, err := edgesync.FetchHistory(ctx, l.js, edgesync.Stream, sid)
	if errors.Is(err, edgesync.ErrNoHistory) {
		return session.Meta{}, nil, fmt.Errorf("%w: %w", session.ErrNoHistory, err)
	}
	if err != nil {
		return session.Meta{}, nil, err
	}
	hist := make([]session.OutboxEvent, len(evs))
	for i := range evs {
		hist[i] = session.OutboxEvent(evs[i])
	}
	return session.FromHistory(sid, hist)
}

// JetStream is the JetStream the node keeps its streams in: the embedded
// server's, or the core's for a client of a core. Other components (the
// customers' files) keep their buckets there too.
func (l *Link) JetStream() jetstream.JetStream { return l.js }

// CoreJetStream is the core's JetStream, shared by every node: the same
// as JetStream for a client of a core (nats.url), the core's domain for a
// leaf with nats.core_domain, nil otherwise. The customers' files of
// other nodes are read there (the core archives its leaf nodes' uploads).
func (l *Link) CoreJetStream() jetstream.JetStream { return l.coreJS }
