package node

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/edgedesk/edgedesk/config"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// streamMessages waits until the stream behind js holds want session
// messages and returns their texts.
func streamMessages(t *testing.T, js jetstream.JetStream, want int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var st jetstream.Stream
	var err error
	for st == nil {
		if st, err = js.Stream(ctx, edgesync.Stream); err != nil {
			if ctx.Err() != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{edgesync.SubjectPrefix + "*.*.msg"}})
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for len(texts) < want {
		m, err := cons.Next(jetstream.FetchMaxWait(10 * time.Second))
		if err != nil {
			t.Fatalf("after %d of %d messages: %v", len(texts), want, err)
		}
		texts = append(texts, string(m.Data()))
	}
	return texts
}

func TestSyncEmbedded(t *testing.T) {
	addr := freeTCP(t)
	_, base, _ := startNode(t, func(c *config.Config) {
		c.NATS.Listen, c.NATS.Node = addr, "edge-a"
		c.NATS.ListenUser, c.NATS.ListenPassword = "ops", "ops-password"
	})
	ws, _ := dialWidget(t, base, map[string]any{"locale": "en"})
	ask(t, ws, "s1", "Where is my order #12345?", false)
	if nc, err := nats.Connect("nats://" + addr); err == nil {
		nc.Close()
		t.Fatal("the embedded server's client port took a client without credentials")
	}
	nc, err := nats.Connect("nats://"+addr, nats.UserInfo("ops", "ops-password"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	// The question and the bot's answer, published to the embedded JetStream.
	got := streamMessages(t, js, 2)
	if len(got) != 2 {
		t.Fatalf("%v", got)
	}
}

func TestSyncToCore(t *testing.T) {
	addr := freeTCP(t)
	core, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: filepath.Join(t.TempDir(), "core"), Listen: addr, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Shutdown()
	n, base, _ := startNode(t, func(c *config.Config) { c.NATS.URL = "nats://" + addr; c.NATS.Node = "edge-b"; c.Bot.Enabled = false })
	ws, _ := dialWidget(t, base, nil)
	for i := 0; i < 5; i++ {
		ask(t, ws, "m"+strconv.Itoa(i), "hello "+strconv.Itoa(i), true)
		ws, _ = dialWidget(t, base, nil)
	}
	nc, _ := nats.Connect("nats://" + addr)
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if got := streamMessages(t, js, 5); len(got) != 5 {
		t.Fatalf("%v", got)
	}
	for i := 0; i < 100 && n.Store().OutboxDepth() > 0; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if d := n.Store().OutboxDepth(); d != 0 {
		t.Fatalf("outbox depth %d after the core acknowledged", d)
	}
}

func freeTCP(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestLeafLinkCut: the node's embedded server is a leaf of the core with
// its own JetStream domain. The link is cut (the core stops) and restored;
// the edge answered FAQ questions throughout, and afterwards the core's
// archive holds every message once, in order per session.
func TestLeafLinkCut(t *testing.T) {
	dir := t.TempDir()
	clientAddr, leafAddr := freeTCP(t), freeTCP(t)
	startCore := func() *server.Server {
		s, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: filepath.Join(dir, "core"), Listen: clientAddr, LeafListen: leafAddr, SyncAlways: true, Domain: "core"})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	core := startCore()
	n, base, _ := startNode(t, func(c *config.Config) { c.NATS.Leaf = "nats-leaf://" + leafAddr; c.NATS.Node = "edge-l" })
	archive := func() (jetstream.JetStream, func()) {
		nc, err := nats.Connect("nats://" + clientAddr)
		if err != nil {
			t.Fatal(err)
		}
		js, _ := jetstream.New(nc)
		return js, nc.Close
	}
	js, closeNC := archive()
	ctx := context.Background()
	waitFor(t, "the leaf link", func() bool { return leafCount(core) > 0 })
	ejs, _ := jetstream.NewWithDomain(js.Conn(), "edge-edge-l")
	waitFor(t, "the edge's stream, seen from the core", func() bool {
		_, err := ejs.Stream(ctx, edgesync.Stream)
		return err == nil
	})
	if err := edgesync.EnsureArchive(ctx, js, edgesync.ArchiveOptions{Domains: []string{"edge-edge-l"}}); err != nil {
		t.Fatal(err)
	}
	defer closeNC()

	ws, welcome := dialWidget(t, base, map[string]any{"locale": "en"})
	asked := 0
	askFAQ := func() {
		_, a := ask(t, ws, "q"+strconv.Itoa(asked), "Where is my order #"+strconv.Itoa(10000+asked)+"?", false)
		if a[0].Intent != "track_order" {
			t.Fatalf("answer %+v", a[0])
		}
		asked++
	}
	for i := 0; i < 5; i++ {
		askFAQ()
	}
	waitFor(t, "the archive before the cut", func() bool { return len(archivedSeqs(t, js, welcome.Session)) == 2*asked })
	core.Shutdown() // the link is cut
	core.WaitForShutdown()
	for i := 0; i < 5; i++ {
		askFAQ() // the edge keeps answering
	}
	core = startCore()
	defer core.Shutdown()
	restored := time.Now()
	waitFor(t, "the leaf link again", func() bool { return leafCount(core) > 0 })
	want := 2 * asked // questions and answers
	var seqs []uint64
	// nats-server re-creates a source's consumer after a failed attempt
	// times out (30 s), so the core may take that long to resume.
	deadline := time.Now().Add(90 * time.Second)
	for seqs = archivedSeqs(t, js, welcome.Session); len(seqs) < want; seqs = archivedSeqs(t, js, welcome.Session) {
		if time.Now().After(deadline) {
			t.Fatalf("the archive holds %d of %d messages", len(seqs), want)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("the core caught up %v after the link returned", time.Since(restored).Round(time.Second))
	for i, s := range seqs {
		if s != uint64(i+1) {
			t.Fatalf("archive position %d holds seq %d: %v", i, s, seqs)
		}
	}
	if len(seqs) != want {
		t.Fatalf("archive holds %d messages, want %d", len(seqs), want)
	}
	if d := n.Store().OutboxDepth(); d != 0 {
		t.Fatalf("edge outbox %d", d)
	}
}

func leafCount(s *server.Server) int {
	l, err := s.Leafz(nil)
	if err != nil {
		return 0
	}
	return len(l.Leafs)
}

// archivedSeqs reads the core's archive for one session's messages.
func archivedSeqs(t *testing.T, js jetstream.JetStream, sid string) []uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, edgesync.Archive, jetstream.OrderedConsumerConfig{FilterSubjects: []string{edgesync.SubjectPrefix + "*." + sid + ".msg"}})
	if err != nil {
		t.Logf("archive consumer: %v", err)
		return nil
	}
	var out []uint64
	for {
		m, err := cons.Next(jetstream.FetchMaxWait(500 * time.Millisecond))
		if err != nil {
			return out
		}
		s, _ := strconv.ParseUint(m.Headers().Get(edgesync.SeqHeader), 10, 64)
		out = append(out, s)
	}
}

// TestResumeOnAnotherNode: a customer served by node A reconnects to node B
// (both clients of one core); B fetches the history from the core and the
// session resumes with every message and its seqs.
func TestResumeOnAnotherNode(t *testing.T) {
	addr := freeTCP(t)
	core, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: filepath.Join(t.TempDir(), "core"), Listen: addr, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Shutdown()
	a, baseA, _ := startNode(t, func(c *config.Config) { c.NATS.URL = "nats://" + addr; c.NATS.Node = "edge-a" })
	_, baseB, _ := startNode(t, func(c *config.Config) { c.NATS.URL = "nats://" + addr; c.NATS.Node = "edge-b" })
	wsA, welcome := dialWidget(t, baseA, map[string]any{"locale": "es-MX"})
	ask(t, wsA, "q1", "¿Dónde está mi pedido 48213?", false)
	waitFor(t, "A's outbox to drain", func() bool { return a.Store().OutboxDepth() == 0 })
	wsA.Close()

	wsB, _, err := websocket.DefaultDialer.Dial(strings.Replace(baseB, "http", "ws", 1)+"/v1/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer wsB.Close()
	wsB.WriteJSON(map[string]any{"type": "hello", "v": 1, "session": welcome.Session, "last_seq": 0})
	var w struct {
		Type, Session string
		Seq           uint64
		Resumed       bool
	}
	wsB.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := wsB.ReadJSON(&w); err != nil || !w.Resumed || w.Seq != 2 {
		t.Fatalf("welcome on B: %+v %v", w, err)
	}
	for seq := uint64(1); seq <= 2; seq++ {
		var m frame
		if err := wsB.ReadJSON(&m); err != nil || m.Seq != seq {
			t.Fatalf("replay %d: %+v %v", seq, m, err)
		}
	}
	// The conversation carries on at B, seqs continuing.
	r, answers := ask(t, wsB, "q2", "gracias", false)
	if r.Seq != 3 || answers[0].Lang != "es" {
		t.Fatalf("at B: receipt %+v answers %+v", r, answers)
	}
}
