package edgesync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/edgedesk/edgedesk/node/session"
)

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
	s, err := StartServer(ServerOptions{Name: "core", StoreDir: dir, Listen: addr, SyncAlways: true})
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
	cons, err := js.OrderedConsumer(ctx, Stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{SubjectPrefix + "*.*.msg"}})
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
			seq, _ := strconv.ParseUint(m.Headers().Get(SeqHeader), 10, 64)
			_, sid, _, _ := ParseSubject(m.Subject())
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
// once, in order per session.
func TestCoreOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 messages")
	}
	dir := t.TempDir()
	addr := freePort(t)
	core := startCore(t, filepath.Join(dir, "core"), addr)
	_, js := connect(t, addr)
	ctx := context.Background()
	if err := EnsureStream(ctx, js); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, filepath.Join(dir, "edge"))
	pub := NewPublisher(PublisherOptions{Outbox: st, JS: js, Node: "edge1"})
	pctx, stopPub := context.WithCancel(ctx)
	pubDone := make(chan struct{})
	go func() { pub.Run(pctx); close(pubDone) }()
	defer func() { stopPub(); <-pubDone }()

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
				srv, err := StartServer(ServerOptions{Name: "bench", StoreDir: filepath.Join(dir, "js"), SyncAlways: syncAlways})
				if err != nil {
					b.Fatal(err)
				}
				nc, err := nats.Connect("", nats.InProcessServer(srv))
				if err != nil {
					b.Fatal(err)
				}
				js, _ := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
				ctx := context.Background()
				if err := EnsureStream(ctx, js); err != nil {
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
				pub := NewPublisher(PublisherOptions{Outbox: st, JS: js, Node: "bench", Batch: EmbeddedBatch})
				pctx, stop := context.WithCancel(ctx)
				done := make(chan struct{})
				b.StartTimer()
				start := time.Now()
				go func() { pub.Run(pctx); close(done) }()
				for st.OutboxDepth() > 0 {
					time.Sleep(time.Millisecond)
				}
				el := time.Since(start)
				b.StopTimer()
				stop()
				<-done
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
	if err := EnsureStream(ctx, js); err != nil {
		b.Fatal(err)
	}
	st := openStore(b, filepath.Join(dir, "edge"))
	pub := NewPublisher(PublisherOptions{Outbox: st, JS: js, Node: "edge1"})
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	go pub.Run(pctx)
	ids := make([]string, 100)
	for i := range ids {
		m, _ := st.Create(ctx, session.Meta{})
		ids[i] = m.ID
	}
	cons, err := js.OrderedConsumer(ctx, Stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{SubjectPrefix + "*.*.msg"}, DeliverPolicy: jetstream.DeliverNewPolicy})
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

func TestParseSubject(t *testing.T) {
	ev := session.OutboxEvent{Session: "s.1", Kind: "msg"}
	node, sid, kind, ok := ParseSubject(Subject("edge1", &ev))
	if !ok || node != "edge1" || sid != "s.1" || kind != "msg" {
		t.Fatalf("got %q %q %q %v", node, sid, kind, ok)
	}
	for _, bad := range []string{"", "edgedesk.sessions.", "edgedesk.sessions.a.b", "edgedesk.sessions.a..msg", "other.a.b.c", "edgedesk.sessions.a.b.c.d"} {
		if _, _, _, ok := ParseSubject(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParseSubject(f *testing.F) {
	f.Add("edgedesk.sessions.edge1.s~1.msg")
	f.Fuzz(func(t *testing.T, subj string) {
		node, sid, kind, ok := ParseSubject(subj)
		if !ok {
			return
		}
		ev := session.OutboxEvent{Session: sid, Kind: kind}
		if sid != "" && !strings.Contains(sid, "~") && Subject(node, &ev) != subj {
			t.Fatalf("%q → %q %q %q → %q", subj, node, sid, kind, Subject(node, &ev))
		}
	})
}

// TestStoredPrefix: after an acknowledgement was lost (or the node
// restarted before deleting), the publisher finds exactly which of the
// outbox's oldest events the stream holds, whatever the de-duplication
// window: the prefix in commit order, events of several sessions
// interleaved.
func TestStoredPrefix(t *testing.T) {
	dir := t.TempDir()
	srv, err := StartServer(ServerOptions{Name: "core", StoreDir: filepath.Join(dir, "js")})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := nats.Connect("", nats.InProcessServer(srv))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if err := EnsureStream(ctx, js); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, filepath.Join(dir, "edge"))
	var ids []string
	for range 16 { // both shards get some (all in one: 2^-15)
		m, _ := st.Create(ctx, session.Meta{})
		ids = append(ids, m.ID)
	}
	var wg sync.WaitGroup
	for k := range 160 {
		wg.Add(1)
		st.Submit(ctx, session.Message{Session: ids[k%len(ids)], From: session.FromCustomer, CID: fmt.Sprint(k), Text: "hi"}, 0, func(session.Result) { wg.Done() })
	}
	wg.Wait()
	p := NewPublisher(PublisherOptions{Outbox: st, JS: js, Node: "edge1"})
	for shard := range st.OutboxShards() {
		all, err := st.OutboxBatch(shard, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) < 10 {
			t.Fatalf("shard %d: only %d events", shard, len(all))
		}
		sent := 0
		for _, upto := range []int{0, 1, 2, len(all) / 3, len(all)/3 + 1, len(all) - 1, len(all)} {
			if upto > sent {
				if err := p.sendBatch(ctx, all[sent:upto]); err != nil {
					t.Fatal(err)
				}
				sent = upto
			}
			got, err := p.stored(ctx, all)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != sent {
				t.Fatalf("shard %d: %d of %d events reported stored, %d sent", shard, len(got), len(all), sent)
			}
			for _, ev := range all[:sent] {
				if !got[ev.Key] {
					t.Fatalf("shard %d: sent event %s not reported stored", shard, ev.ID)
				}
			}
		}
		// After a restart more may be stored than one batch holds: a
		// session's last stored event lies past the batch.
		if got, err := p.stored(ctx, all[:len(all)/2]); err != nil || len(got) != len(all)/2 {
			t.Fatalf("shard %d: %d of the first %d reported stored (%v)", shard, len(got), len(all)/2, err)
		}
		// Sending a stored event again in a batch is refused whole.
		err = p.sendBatch(ctx, all[len(all)-2:])
		var apiErr *jetstream.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode != errDuplicate {
			t.Fatalf("resend: %v, want duplicate", err)
		}
	}
}
