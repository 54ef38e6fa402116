package node

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/edgedesk/edgedesk/config"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// syncer is the node's link to the core: an embedded nats-server (when no
// nats.url is set) or a client connection, and the outbox publisher.
type syncer struct {
	srv  *server.Server // nil when connected to a core
	nc   *nats.Conn
	pub  *edgesync.Publisher
	upd  *edgesync.Updates
	js   jetstream.JetStream
	core bool // connected to a core (nats.url), which holds every node's sessions
	// coreJS is the JetStream that every node shares (presence): the
	// core's, when connected to it or a leaf with nats.core_domain; nil
	// for a node on its own.
	coreJS jetstream.JetStream
	relay  *relay
	stop   context.CancelFunc
	done   chan struct{}
}

// openSync starts the embedded server or connects to the core. A core that
// is unreachable does not stop the node: the connection retries and the
// outbox keeps every event meanwhile.
func (n *Node) openSync() error {
	c := n.cfg.NATS
	s := &syncer{}
	opts := []nats.Option{
		nats.Name("edgedesk " + c.NodeName()),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(true),
	}
	url := c.URL
	if url == "" {
		srv, err := edgesync.StartServer(edgesync.ServerOptions{
			Name: c.NodeName(), StoreDir: filepath.Join(n.cfg.DataDir, "nats"), Listen: c.Listen, SyncAlways: c.SyncAlways,
			Leaf: c.Leaf, Domain: c.JSDomain(),
		})
		if err != nil {
			return fmt.Errorf("node: %w", err)
		}
		s.srv = srv
		opts = append(opts, nats.InProcessServer(srv))
	} else if c.Creds != "" {
		opts = append(opts, nats.UserCredentials(c.Creds))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		if s.srv != nil {
			s.srv.Shutdown()
		}
		return fmt.Errorf("node: nats: %w", err)
	}
	s.nc = nc
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		s.close()
		return fmt.Errorf("node: jetstream: %w", err)
	}
	batch := edgesync.DefaultBatch // what a core takes by default
	if s.srv != nil {
		batch = edgesync.EmbeddedBatch
	}
	s.pub = edgesync.NewPublisher(edgesync.PublisherOptions{
		Outbox: n.store, JS: js, Node: c.NodeName(), Logger: n.log.With("component", "sync"), Registry: n.reg, Batch: batch,
	})
	s.js, s.core = js, url != ""
	switch {
	case url != "":
		s.coreJS = js
	case c.Leaf != "" && c.CoreDomain != "":
		if s.coreJS, err = jetstream.NewWithDomain(nc, c.CoreDomain); err != nil {
			s.close()
			return fmt.Errorf("node: jetstream domain %s: %w", c.CoreDomain, err)
		}
	}
	s.upd = &edgesync.Updates{JS: js, Applier: n, Logger: n.log.With("component", "updates")}
	n.sync = s
	where := url
	if where == "" {
		where = "embedded (" + filepath.Join(n.cfg.DataDir, "nats") + ")"
	}
	n.log.Info("syncing sessions over NATS JetStream", "core", where, "node", c.NodeName(), "stream", edgesync.Stream)
	return nil
}

// startRelay lets routing reach the agents of other nodes (when there is
// a core to share presence through).
func (n *Node) startRelay() error {
	s := n.sync
	if s == nil || s.coreJS == nil {
		return nil
	}
	r := newRelay(n)
	rl, err := edgesync.NewRelay(s.nc, n.cfg.NATS.NodeName(), r, r.log)
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	r.rl = rl
	// Every second: agents come and go and fill up; a put of a few
	// hundred bytes a second per node is cheap next to a chat sent to a
	// node whose agents just left.
	r.pres = &edgesync.Presence{JS: s.coreJS, Node: n.cfg.NATS.NodeName(), Local: r.local, Update: r.update, Logger: r.log, Every: time.Second}
	s.relay = r
	n.relayPtr.Store(r)
	n.router.SetRemote(r)
	n.store.AddObserver(r)
	return nil
}

// run starts the publisher (and the presence of agents, when shared).
func (s *syncer) run() {
	if s == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop, s.done = cancel, make(chan struct{})
	var wg sync.WaitGroup
	if s.relay != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.relay.pres.Run(ctx)
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		s.pub.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		s.upd.Run(ctx)
	}()
	go func() {
		wg.Wait()
		close(s.done)
	}()
}

// close stops the publisher, then the connection, then the embedded server.
func (s *syncer) close() {
	if s == nil {
		return
	}
	if s.stop != nil {
		s.stop()
		<-s.done
	}
	if s.relay != nil {
		s.relay.rl.Close()
	}
	if s.nc != nil {
		s.nc.Close()
	}
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
	}
}

// fetchSession imports, from the core, a session another node served, so a
// customer who reconnected here resumes it (session.Opener.Fetch).
func (n *Node) fetchSession(ctx context.Context, sid string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	meta, msgs, err := edgesync.FetchHistory(ctx, n.sync.js, edgesync.Stream, sid)
	if err != nil {
		return err
	}
	if err := n.store.Import(ctx, meta, msgs); err != nil {
		return err
	}
	n.log.Info("session resumed from the core's history", "session", sid, "messages", len(msgs))
	return nil
}

// ApplyFAQ implements edgesync.Applier: the core's FAQ replaces the local
// one atomically, as a new version.
func (n *Node) ApplyFAQ(name string, data []byte) error {
	f, err := pickFormat(name, "")
	if err != nil {
		return err
	}
	v, err := n.faq.Import(bytes.NewReader(data), f)
	if err != nil {
		return err
	}
	n.log.Info("FAQ from the core", "version", v, "entries", n.faq.Len())
	return nil
}

// ApplyRouting implements edgesync.Applier.
func (n *Node) ApplyRouting(data []byte) error {
	r, err := config.ParseRouting(data)
	if err != nil {
		return err
	}
	return n.ReloadRouting(r)
}

// ApplyModel implements edgesync.Applier: the core's model is written to
// data_dir/models/core.onnx and hot-swapped; connections stay up. A model
// that does not load leaves the running one.
func (n *Node) ApplyModel(data []byte) error {
	return n.enrich.ApplyModel(data)
}
