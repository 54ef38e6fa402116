package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/edgedesk/edgedesk/config"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// coreCluster is a core of nats-servers clustered on loopback, each with
// JetStream and fsync on every write, as scripts/cluster.sh runs them as
// processes. A server stopped and started again keeps its ports and its
// store directory: a restart, not a new member.
type coreCluster struct {
	t       *testing.T
	dir     string
	clients []string // client addresses
	routes  []string // cluster (route) addresses
	servers []*server.Server
}

func startCoreCluster(t *testing.T, size int) *coreCluster {
	t.Helper()
	c := &coreCluster{t: t, dir: t.TempDir(), servers: make([]*server.Server, size)}
	for range size {
		c.clients = append(c.clients, freeTCP(t))
		c.routes = append(c.routes, freeTCP(t))
	}
	for i := range size {
		c.start(i)
	}
	t.Cleanup(func() {
		for i := range c.servers {
			c.stop(i)
		}
	})
	// JetStream answers once the servers have elected a meta leader.
	js := c.client()
	waitFor(t, "the core cluster's JetStream", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := js.AccountInfo(ctx)
		return err == nil
	})
	return c
}

// start starts server i (again).
func (c *coreCluster) start(i int) {
	c.t.Helper()
	host, port := splitAddr(c.t, c.clients[i])
	rhost, rport := splitAddr(c.t, c.routes[i])
	var peers []string
	for j, r := range c.routes {
		if j != i {
			peers = append(peers, "nats://"+r)
		}
	}
	name := fmt.Sprintf("core-%d", i+1)
	s, err := server.NewServer(&server.Options{
		ServerName: name,
		Host:       host, Port: port,
		JetStream: true, StoreDir: filepath.Join(c.dir, name),
		SyncAlways: true, SyncInterval: 2 * time.Minute,
		NoSigs: true, NoLog: true,
		Cluster: server.ClusterOpts{Name: "edgedesk-core", Host: rhost, Port: rport},
		Routes:  server.RoutesFromStr(strings.Join(peers, ",")),
	})
	if err != nil {
		c.t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(time.Minute) { // a clustered JetStream on a loaded machine
		c.t.Fatalf("%s not ready", name)
	}
	c.servers[i] = s
}

// stop shuts server i down and waits until it has.
func (c *coreCluster) stop(i int) {
	if s := c.servers[i]; s != nil {
		s.Shutdown()
		s.WaitForShutdown()
		c.servers[i] = nil
	}
}

// url is every server's client URL, as a node's nats.url lists them.
func (c *coreCluster) url() string {
	us := make([]string, len(c.clients))
	for i, a := range c.clients {
		us[i] = "nats://" + a
	}
	return strings.Join(us, ",")
}

// client is a JetStream connection to the cluster (closed at the end).
func (c *coreCluster) client() jetstream.JetStream {
	c.t.Helper()
	nc, err := nats.Connect(c.url(), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		c.t.Fatal(err)
	}
	return js
}

// index is the position of the server named name.
func (c *coreCluster) index(name string) int {
	for i := range c.servers {
		if fmt.Sprintf("core-%d", i+1) == name {
			return i
		}
	}
	c.t.Fatalf("no server %q in the core", name)
	return -1
}

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	i := strings.LastIndexByte(addr, ':')
	port, err := strconv.Atoi(addr[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	return addr[:i], port
}

// clusterCustomer is one widget session sending its messages through an
// edge, a few at a time (as a customer typing fast does), and checking
// that each gets its receipt and the bot's answer.
type clusterCustomer struct {
	ws       *websocket.Conn
	session  string
	edge     string
	messages int
	window   int

	// Written by run's reader; read after run returns.
	seqs []uint64 // every seq delivered: receipts and answers
}

// run sends c.messages messages, at most c.window without their answer,
// and returns when every one has its receipt and answer. answered counts
// the answers as they come, across customers.
func (c *clusterCustomer) run(answered *atomic.Int64) error {
	slots := make(chan struct{}, c.window)
	readErr := make(chan error, 1)
	go func() {
		// cid → the customer message's seq, once its receipt came;
		// answers may only follow their receipt (the store delivers
		// after the commit that holds both).
		receipts := map[string]uint64{}
		waiting := map[uint64]bool{} // seqs with a receipt and no answer yet
		done := 0
		for done < c.messages {
			// A core server down must not hold an answer up: the edge
			// answers from its own disk.
			c.ws.SetReadDeadline(time.Now().Add(30 * time.Second))
			var f frame
			if err := c.ws.ReadJSON(&f); err != nil {
				readErr <- fmt.Errorf("%s session %s: after %d answers: %w", c.edge, c.session, done, err)
				return
			}
			switch {
			case f.Type == "receipt":
				if _, dup := receipts[f.CID]; dup || f.Seq == 0 {
					readErr <- fmt.Errorf("%s session %s: receipt %+v twice or without a seq", c.edge, c.session, f)
					return
				}
				receipts[f.CID] = f.Seq
				waiting[f.Seq] = true
				c.seqs = append(c.seqs, f.Seq)
			case f.Type == "msg" && f.From == "bot":
				if !waiting[f.ReplyTo] {
					readErr <- fmt.Errorf("%s session %s: an answer %+v to no message awaiting one", c.edge, c.session, f)
					return
				}
				if f.Intent != "track_order" || f.Text == "" {
					readErr <- fmt.Errorf("%s session %s: answer %+v, want the order-tracking FAQ", c.edge, c.session, f)
					return
				}
				delete(waiting, f.ReplyTo)
				c.seqs = append(c.seqs, f.Seq)
				done++
				answered.Add(1)
				<-slots
			case f.Type == "error":
				readErr <- fmt.Errorf("%s session %s: error frame %+v", c.edge, c.session, f)
				return
			}
		}
		readErr <- nil
	}()
	for i := range c.messages {
		select {
		case slots <- struct{}{}:
		case err := <-readErr:
			return errors.Join(err, fmt.Errorf("stopped after sending %d", i))
		}
		msg := map[string]any{"type": "msg", "cid": strconv.Itoa(i), "text": fmt.Sprintf("Where is my order #%d?", 10000+i)}
		if err := c.ws.WriteJSON(msg); err != nil {
			return fmt.Errorf("%s session %s: send %d: %w", c.edge, c.session, i, err)
		}
	}
	return <-readErr
}

// TestCoreClusterServerRestart: two edges are clients of a core of three
// clustered nats-servers whose streams are kept by all three (nats.replicas
// 3). While customers send 10,000 messages through the edges, the core
// server that leads the session stream is shut down and, later, started
// again on its store. The edges answer every message throughout (receipt
// and bot answer, also while the server is down), and afterwards the core's
// stream holds every message of every session exactly once, in order.
func TestCoreClusterServerRestart(t *testing.T) {
	const (
		edges            = 2
		sessionsPerEdge  = 4
		messagesPerCust  = 1250 // 10,000 customer messages in all, and as many answers
		window           = 8
		customerMessages = edges * sessionsPerEdge * messagesPerCust
	)
	core := startCoreCluster(t, 3)
	js := core.client()
	var (
		bases []string
		nodes []*Node
	)
	for i := range edges {
		name := fmt.Sprintf("edge-%d", i+1)
		n, base, _ := startNode(t, func(c *config.Config) {
			c.NATS.URL, c.NATS.Node, c.NATS.Replicas = core.url(), name, 3
			// Every answer is the FAQ's: a 50 ms model.timeout on a loaded
			// -race run stores a message unclassified by design, and the
			// bot answers that with its fallback.
			c.Model.Timeout = time.Minute
		})
		bases = append(bases, base)
		nodes = append(nodes, n)
	}
	ctx := context.Background()
	var stream jetstream.Stream
	waitFor(t, "the session stream at the core", func() bool {
		var err error
		stream, err = js.Stream(ctx, edgesync.Stream)
		return err == nil
	})
	if r := stream.CachedInfo().Config.Replicas; r != 3 {
		t.Fatalf("the session stream has %d replicas, want 3 (nats.replicas)", r)
	}

	var customers []*clusterCustomer
	for i, base := range bases {
		for range sessionsPerEdge {
			ws, welcome := dialWidget(t, base, map[string]any{"locale": "en"})
			customers = append(customers, &clusterCustomer{ws: ws, session: welcome.Session, edge: fmt.Sprintf("edge-%d", i+1), messages: messagesPerCust, window: window})
		}
	}
	var answered atomic.Int64
	errs := make(chan error, len(customers))
	var wg sync.WaitGroup
	for _, c := range customers {
		wg.Go(func() { errs <- c.run(&answered) })
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	progress := func(what string, n int64) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Minute)
		for answered.Load() < n {
			select {
			case <-finished:
				if answered.Load() < n {
					close(errs)
					t.Fatalf("the customers stopped at %d answers, waiting for %s: %v", answered.Load(), what, errors.Join(collect(errs)...))
				}
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d answers, waiting for %s", answered.Load(), what)
			}
		}
	}

	progress("a third of the answers", customerMessages/3)
	info, err := stream.Info(ctx)
	if err != nil || info.Cluster == nil || info.Cluster.Leader == "" {
		t.Fatalf("the session stream's leader: %+v %v", info, err)
	}
	leader := core.index(info.Cluster.Leader)
	core.stop(leader) // the worst server to lose: the stream's leader
	down := answered.Load()
	stored := info.State.LastSeq
	t.Logf("%s (the stream's leader) shut down after %d answers", info.Cluster.Leader, down)
	// The edges keep answering while it is down: a fifth of the messages
	// are sent and answered with two servers of three.
	progress("answers with a core server down", down+customerMessages/5)
	whileDown := answered.Load() - down
	// And the core kept storing them: two replicas of three elected a
	// new leader.
	waitLong(t, "the core to store events with a server down", func() bool {
		info, err := stream.Info(ctx)
		return err == nil && info.State.LastSeq > stored+uint64(whileDown)
	})
	core.start(leader)
	t.Logf("%s started again after %d answers while it was down", info.Cluster.Leader, whileDown)

	<-finished
	close(errs)
	if err := errors.Join(collect(errs)...); err != nil {
		t.Fatal(err)
	}
	if n := answered.Load(); n != customerMessages {
		t.Fatalf("%d answers, want %d", n, customerMessages)
	}

	// The core's stream: each session's messages exactly once, in order.
	want := map[string][]uint64{}
	total := 0
	for _, c := range customers {
		s := slices.Clone(c.seqs)
		slices.Sort(s)
		for i, seq := range s {
			if seq != uint64(i+1) {
				t.Fatalf("session %s: the customer saw seqs %v… (position %d holds %d)", c.session, s[:min(len(s), 10)], i, seq)
			}
		}
		want[c.session] = s
		total += len(s)
	}
	// Every event reaches the core once the edges' outboxes drain; the
	// restarted server is back among the replicas.
	waitLong(t, "the edges' outboxes to drain", func() bool {
		for _, n := range nodes {
			if n.Store().OutboxDepth() > 0 {
				return false
			}
		}
		return true
	})
	waitLong(t, "the restarted server to catch up", func() bool {
		info, err := stream.Info(ctx)
		if err != nil || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
			return false
		}
		for _, r := range info.Cluster.Replicas {
			if !r.Current || r.Lag > 0 {
				return false
			}
		}
		return true
	})
	// Everything the edges made at the core is kept by all three servers.
	names := js.StreamNames(ctx)
	var seen []string
	for name := range names.Name() {
		seen = append(seen, name)
		st, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if r := st.CachedInfo().Config.Replicas; r != 3 {
			t.Errorf("stream %s has %d replicas, want 3 (nats.replicas)", name, r)
		}
	}
	if err := names.Err(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{edgesync.Stream, edgesync.ObjectStream(edgesync.Uploads), edgesync.ObjectStream(edgesync.Files), "KV_" + edgesync.PresenceBucket} {
		if !slices.Contains(seen, want) {
			t.Errorf("no stream %s at the core (it has %v)", want, seen)
		}
	}
	got := map[string][]uint64{}
	customerTexts := map[string][]string{}
	read := 0
	for _, m := range streamMsgs(t, js, edgesync.SubjectPrefix+"*.*.msg") {
		read++
		_, sid, _, ok := edgesync.ParseSubject(m.Subject())
		if !ok {
			t.Fatalf("subject %q", m.Subject())
		}
		var msg struct {
			Seq  uint64 `json:"seq"`
			From string `json:"from"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(m.Data(), &msg); err != nil {
			t.Fatalf("event %s: %v", m.Subject(), err)
		}
		got[sid] = append(got[sid], msg.Seq)
		if msg.From == "customer" {
			customerTexts[sid] = append(customerTexts[sid], msg.Text)
		}
	}
	if read != total {
		t.Errorf("the core's stream holds %d messages, the customers saw %d", read, total)
	}
	for _, c := range customers {
		if !slices.Equal(got[c.session], want[c.session]) {
			t.Fatalf("session %s: the core holds seqs %s, want 1..%d once each in order", c.session, summarize(got[c.session]), len(want[c.session]))
		}
		texts := customerTexts[c.session]
		if len(texts) != messagesPerCust {
			t.Fatalf("session %s: the core holds %d customer messages, want %d", c.session, len(texts), messagesPerCust)
		}
		for i, text := range texts {
			if want := fmt.Sprintf("Where is my order #%d?", 10000+i); text != want {
				t.Fatalf("session %s: customer message %d is %q, want %q", c.session, i, text, want)
			}
		}
	}
}

// streamMsgs reads every message of the core's session stream on
// subject filter, in stream order, up to the last there is (the stream is
// no longer written to). A consumer that fails (its server restarting, a
// leader moving) is made again from the next sequence.
func streamMsgs(t *testing.T, js jetstream.JetStream, filter string) []jetstream.Msg {
	t.Helper()
	ctx := context.Background()
	st, err := js.Stream(ctx, edgesync.Stream)
	if err != nil {
		t.Fatal(err)
	}
	var out []jetstream.Msg
	next := uint64(1)
	for deadline, done := time.Now().Add(2*time.Minute), false; !done; {
		if time.Now().After(deadline) {
			t.Fatalf("read the core's stream up to %d", next-1)
		}
		cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{filter}, DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: next,
		})
		if err != nil {
			t.Logf("consumer from %d: %v", next, err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		// One continuous pull: each Next of an ordered consumer makes
		// a new consumer, twenty thousand of them on an R3 stream.
		it, err := cons.Messages()
		if err != nil {
			t.Logf("consumer from %d: %v", next, err)
			continue
		}
		for !done {
			m, err := it.Next(jetstream.NextMaxWait(5 * time.Second))
			if err != nil {
				t.Logf("consumer from %d: %v; making another", next, err)
				break
			}
			md, err := m.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
			next = md.Sequence.Stream + 1
			done = md.NumPending == 0
		}
		it.Stop()
	}
	return out
}

// waitLong is waitFor with the patience of a loaded -race run moving
// thousands of events.
func waitLong(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestArchiveReplicasOnCoreCluster: edgedesk core archive -replicas 3 puts
// the archives of leaf edges on three servers of a core cluster, and a
// later run without -replicas (an edge joining) keeps them there.
func TestArchiveReplicasOnCoreCluster(t *testing.T) {
	core := startCoreCluster(t, 3)
	js := core.client()
	ctx := context.Background()
	replicas := func() map[string]int {
		out := map[string]int{}
		for _, name := range []string{edgesync.Archive, edgesync.ObjectStream(edgesync.UploadsArchive)} {
			st, err := js.Stream(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			out[name] = st.CachedInfo().Config.Replicas
		}
		return out
	}
	if err := edgesync.EnsureArchive(ctx, js, edgesync.ArchiveOptions{Domains: []string{"edge-a"}, Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	for name, r := range replicas() {
		if r != 3 {
			t.Errorf("%s: %d replicas, want 3", name, r)
		}
	}
	if err := edgesync.EnsureArchive(ctx, js, edgesync.ArchiveOptions{Domains: []string{"edge-b"}}); err != nil {
		t.Fatal(err)
	}
	for name, r := range replicas() {
		if r != 3 {
			t.Errorf("%s after adding an edge: %d replicas, want the 3 it had", name, r)
		}
	}
}

func collect(errs <-chan error) []error {
	var out []error
	for err := range errs {
		out = append(out, err)
	}
	return out
}

// summarize shows a list of seqs short: its length, the first and the
// first place it breaks 1..n.
func summarize(s []uint64) string {
	for i, v := range s {
		if v != uint64(i+1) {
			return fmt.Sprintf("%d in all, position %d holds %d (%v…)", len(s), i, v, s[max(0, i-3):min(len(s), i+3)])
		}
	}
	return fmt.Sprintf("1..%d", len(s))
}
