package corelink

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/edgedesk/edgedesk/node/session"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// The publisher against the real session store's outbox (moved here from
// sync/, which imports nothing of the node): a core outage under load,
// how fast a full outbox drains, and the time from the edge's commit to
// the core.

func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startCore(t testing.TB, dir, addr string) *server.Server {
	t.Helper()
	s, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: dir, Listen: addr, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func connect(t testing.TB, addr string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect("nats://"+addr, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond), nats.RetryOnFailedConnect(true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

func openStore(t testing.TB, dir string) *session.Store {
	t.Helper()
	st, err := session.Open(session.Options{Path: filepath.Join(dir, "sessions.db"), Shards: 2, Outbox: true, Linger: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	return st
}

// archive reads every session message event in the stream, per session,
// in stream order.
func archive(t testing.TB, js jetstream.JetStream, want int) map[string][]uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, edgesync.Stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{edgesync.SubjectPrefix + "*.*.msg"}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]uint64{}
	n := 0
	for n < want {
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			seq, _ := strconv.ParseUint(m.Headers().Get(edgesync.SeqHeader), 10, 64)
			_, sid, _, _ := edgesync.ParseSubject(m.Subject())
			out[sid] = append(out[sid], seq)
			n++
			got++
		}
		if got == 0 {
			break
		}
	}
	return out
}

// TestCoreOutage: the core stops for a while during a stream of 10,000
// messages across 100 sessions; afterwards it holds every message exactly
// once, in order per session. Paced, live traffic goes out in atomic
// batches of many sessions (as towards the node's own syncing server),
// which an outage fails whole.
func TestCoreOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 messages")
	}
	t.Run("separate", func(t *testing.T) { testCoreOutage(t, 0) })
	t.Run("paced", func(t *testing.T) { testCoreOutage(t, 20*time.Millisecond) })
}

func testCoreOutage(t *testing.T, pace time.Duration) {
	dir := t.TempDir()
	addr := freePort(t)
	core := startCore(t, filepath.Join(dir, "core"), addr)
	_, js := connect(t, addr)
	ctx := context.Background()
	if err := edgesync.EnsureStream(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, filepath.Join(dir, "edge"))
	pub := edgesync.NewPublisher(edgesync.PublisherOptions{Outbox: outbox{st}, JS: js, Node: "edge1", SyncedStore: pace > 0, Pace: pace})
	pctx, stopPub := context.WithCancel(ctx)
	pubDone := make(chan error, 1)
	go func() { pubDone <- pub.Run(pctx) }()
	defer func() {
		stopPub()
		if err := <-pubDone; err != nil {
			t.Error(err)
		}
	}()

	const sessions, per = 100, 100
	ids := make([]string, sessions)
	for i := range ids {
		m, err := st.Create(ctx, session.Meta{Channel: "web"})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = m.ID
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	submit := func(k int) {
		sid := ids[k%sessions]
		wg.Add(1)
		err := st.Submit(ctx, session.Message{Session: sid, From: session.FromCustomer, CID: fmt.Sprint("c", k), Text: "hello"}, 0, func(r session.Result) {
			if r.Err != nil {
				mu.Lock()
				failed = r.Err
				mu.Unlock()
			}
			wg.Done()
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for k := 0; k < sessions*per; k++ {
		submit(k)
		switch k {
		case 3000:
			core.Shutdown() // the core goes away mid-stream
			core.WaitForShutdown()
		case 7000:
			// The edge kept accepting; the outbox holds what the core missed.
			wg.Wait()
			if d := st.OutboxDepth(); d < 3000 {
				t.Fatalf("outbox depth %d while the core is down", d)
			}
			core = startCore(t, filepath.Join(dir, "core"), addr)
		}
	}
	wg.Wait()
	if failed != nil {
		t.Fatal(failed)
	}
	deadline := time.Now().Add(60 * time.Second)
	for st.OutboxDepth() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("outbox not drained: %d left", st.OutboxDepth())
		}
		time.Sleep(20 * time.Millisecond)
	}
	defer core.Shutdown()
	got := archive(t, js, sessions*per)
	total := 0
	for _, sid := range ids {
		seqs := got[sid]
		total += len(seqs)
		if len(seqs) != per {
			t.Fatalf("session %s: %d messages at the core, want %d", sid, len(seqs), per)
		}
		for i, s := range seqs {
			if s != uint64(i+1) {
				t.Fatalf("session %s: position %d holds seq %d", sid, i, s)
			}
		}
	}
	if total != sessions*per {
		t.Fatalf("%d messages at the core", total)
	}
}

// BenchmarkDrain measures how fast a full outbox drains to a local
// JetStream (in-process server, fsync on every write).
func BenchmarkDrain(b *testing.B) {
	for _, syncAlways := range []bool{true, false} {
		b.Run(fmt.Sprintf("sync_always=%v", syncAlways), func(b *testing.B) {
			const sessions, per = 2000, 50
			for b.Loop() {
				b.StopTimer()
				dir := b.TempDir()
				srv, err := edgesync.StartServer(edgesync.ServerOptions{Name: "bench", StoreDir: filepath.Join(dir, "js"), SyncAlways: syncAlways})
				if err != nil {
					b.Fatal(err)
				}
				nc, err := nats.Connect("", nats.InProcessServer(srv))
				if err != nil {
					b.Fatal(err)
				}
				js, _ := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
				ctx := context.Background()
				if err := edgesync.EnsureStream(ctx, js, 1); err != nil {
					b.Fatal(err)
				}
				st := openStore(b, filepath.Join(dir, "edge"))
				var wg sync.WaitGroup
				for i := 0; i < sessions; i++ {
					m, _ := st.Create(ctx, session.Meta{})
					for k := 0; k < per; k++ {
						wg.Add(1)
						st.Submit(ctx, session.Message{Session: m.ID, From: session.FromCustomer, CID: fmt.Sprint(k), Text: "where is my order #12345?"}, 0, func(session.Result) { wg.Done() })
					}
				}
				wg.Wait()
				events := st.OutboxDepth()
				pub := edgesync.NewPublisher(edgesync.PublisherOptions{Outbox: outbox{st}, JS: js, Node: "bench", Batch: edgesync.EmbeddedBatch})
				pctx, stop := context.WithCancel(ctx)
				done := make(chan error, 1)
				b.StartTimer()
				start := time.Now()
				go func() { done <- pub.Run(pctx) }()
				for st.OutboxDepth() > 0 {
					time.Sleep(time.Millisecond)
				}
				el := time.Since(start)
				b.StopTimer()
				stop()
				if err := <-done; err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(events)/el.Seconds(), "events/s")
				nc.Close()
				srv.Shutdown()
				b.StartTimer()
			}
		})
	}
}

// BenchmarkEdgeToCore measures, on loopback, the time from a message's
// commit at the edge to its arrival at a consumer on the core, at 1,000
// messages/s over 100 sessions (reported as p50 and p99).
func BenchmarkEdgeToCore(b *testing.B) {
	dir := b.TempDir()
	addr := freePort(b)
	core := startCore(b, filepath.Join(dir, "core"), addr)
	defer core.Shutdown()
	_, js := connect(b, addr)
	ctx := context.Background()
	if err := edgesync.EnsureStream(ctx, js, 1); err != nil {
		b.Fatal(err)
	}
	st := openStore(b, filepath.Join(dir, "edge"))
	pub := edgesync.NewPublisher(edgesync.PublisherOptions{Outbox: outbox{st}, JS: js, Node: "edge1"})
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	go pub.Run(pctx)
	ids := make([]string, 100)
	for i := range ids {
		m, _ := st.Create(ctx, session.Meta{})
		ids[i] = m.ID
	}
	cons, err := js.OrderedConsumer(ctx, edgesync.Stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{edgesync.SubjectPrefix + "*.*.msg"}, DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		b.Fatal(err)
	}
	var lat []time.Duration
	var mu sync.Mutex
	cc, err := cons.Consume(func(m jetstream.Msg) {
		var rec struct{ TS time.Time }
		if json.Unmarshal(m.Data(), &rec) == nil {
			mu.Lock()
			lat = append(lat, time.Since(rec.TS))
			mu.Unlock()
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	defer cc.Stop()
	b.ResetTimer()
	n := 0
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for b.Loop() {
		<-tick.C
		st.Submit(ctx, session.Message{Session: ids[n%len(ids)], From: session.FromCustomer, CID: fmt.Sprint("b", n), Text: "hi"}, 0, nil)
		n++
	}
	b.StopTimer()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		got := len(lat)
		mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lat) == 0 {
		b.Fatal("nothing arrived")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
