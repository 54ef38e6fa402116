package node

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

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
	_, base, _ := startNode(t, func(c *config.Config) { c.NATS.Listen = addr; c.NATS.Node = "edge-a" })
	ws, _ := dialWidget(t, base, map[string]any{"locale": "en"})
	ask(t, ws, "s1", "Where is my order #12345?", false)
	nc, err := nats.Connect("nats://" + addr)
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
