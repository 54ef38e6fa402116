package corelink

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/session"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// refuse is an Applier that takes nothing: these tests put no files at
// the core (the node's own applier is tested in package node).
type refuse struct{}

func (refuse) ApplyFAQ(string, []byte) error { return errors.New("no FAQ here") }
func (refuse) ApplyRouting([]byte) error     { return errors.New("no routing here") }
func (refuse) ApplyModel([]byte) error       { return errors.New("no model here") }

func newLink(t *testing.T, st *session.Store, c config.NATS) *Link {
	t.Helper()
	l, err := New(Options{NATS: c, DataDir: t.TempDir(), Store: st, Applier: refuse{}, Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return l
}

// run runs l until the test ends (Close) and checks that Run returned
// nil.
func run(t *testing.T, l *Link) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- l.Run(context.Background()) }()
	t.Cleanup(func() {
		if err := l.Close(context.Background()); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestKinds: the store's outbox kinds are edgesync's subject kinds.
func TestKinds(t *testing.T) {
	for store, wire := range map[string]string{
		session.OutboxMessage: edgesync.KindMessage,
		session.OutboxNote:    edgesync.KindNote,
		session.OutboxMeta:    edgesync.KindMeta,
		session.OutboxExpire:  edgesync.KindExpire,
	} {
		if store != wire {
			t.Errorf("store kind %q, wire kind %q", store, wire)
		}
	}
}

// TestOutboxAdapter: the adapter appends the store's batch to dst, field
// for field, without an allocation per event; a closed store's
// OutboxDone says edgesync.ErrOutboxClosed.
func TestOutboxAdapter(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	ctx := context.Background()
	m, err := st.Create(ctx, session.Meta{Channel: "web"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan session.Result, 3)
	for i := range 3 {
		if err := st.Submit(ctx, session.Message{Session: m.ID, From: session.FromCustomer, CID: fmt.Sprint(i), Text: "hi"}, 0, func(r session.Result) { done <- r }); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if r := <-done; r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	ob := outbox{st}
	var all []session.OutboxEvent
	for shard := range st.OutboxShards() {
		evs, err := st.OutboxBatch(shard, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, evs...)
		prefix := []edgesync.Event{{ID: "kept"}}
		got, err := ob.AppendOutboxBatch(prefix, shard, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1+len(evs) || got[0].ID != "kept" {
			t.Fatalf("shard %d: %d events after the prefix, want %d", shard, len(got)-1, len(evs))
		}
		for i, ev := range evs {
			g := got[1+i]
			if g.Key != ev.Key || g.Shard != ev.Shard || g.ID != ev.ID || g.Session != ev.Session || g.Seq != ev.Seq ||
				g.Kind != ev.Kind || !g.TS.Equal(ev.TS) || string(g.Data) != string(ev.Data) {
				t.Fatalf("shard %d event %d: %+v, want %+v", shard, i, g, ev)
			}
		}
	}
	if len(all) != 4 { // the create and three messages
		t.Fatalf("%d events", len(all))
	}
	buf := make([]edgesync.Event, 0, len(all))
	if n := testing.AllocsPerRun(100, func() { buf = appendEvents(buf[:0], all) }); n != 0 {
		t.Fatalf("%v allocations converting %d events into a reused slice", n, len(all))
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ob.OutboxDone(ctx, 0, []uint64{1}); !errors.Is(err, edgesync.ErrOutboxClosed) {
		t.Fatalf("OutboxDone on a closed store: %v", err)
	}
}

// TestLinkLifecycle: an embedded link runs once, stops on Close (Run
// returns nil), and Close is idempotent; nothing runs after Close.
func TestLinkLifecycle(t *testing.T) {
	st := openStore(t, t.TempDir())
	l := newLink(t, st, config.NATS{Enabled: true, Node: "edge1", SyncAlways: true})
	if l.Core() || l.Relay() != nil {
		t.Fatalf("an embedded link: core %v, relay %v", l.Core(), l.Relay())
	}
	if err := l.ServeRelay(nil, nil, nil); !errors.Is(err, ErrNoCore) {
		t.Fatalf("ServeRelay without a core: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Run(context.Background()) }()
	waitFor(t, "Run to start", func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.done != nil
	})
	if err := l.Run(context.Background()); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Run: %v", err)
	}
	// Events reach the embedded stream.
	if _, err := st.Create(context.Background(), session.Meta{Channel: "web"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the outbox to drain", func() bool { return st.OutboxDepth() == 0 })
	for range 2 {
		if err := l.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("Run after Close: %v", err)
	}
	if err := l.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after Close: %v", err)
	}
	if !l.nc.IsClosed() {
		t.Fatal("connection open after Close")
	}
}

// TestRunStopsWithContext: Run returns nil when its context ends.
func TestRunStopsWithContext(t *testing.T) {
	l := newLink(t, openStore(t, t.TempDir()), config.NATS{Enabled: true, Node: "edge1"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestFetch: a session node A served, synced to the core, is imported by
// node B with its messages and seqs; a session the core does not hold is
// session.ErrNoHistory.
func TestFetch(t *testing.T) {
	dir := t.TempDir()
	addr := freePort(t)
	core := startCore(t, filepath.Join(dir, "core"), addr)
	// Shut down after the links close (cleanups run last first): a link
	// closing while the core is away waits for the watch of the core's
	// files to give up (nats.go's 5 s API timeout).
	t.Cleanup(core.Shutdown)
	c := func(node string) config.NATS { return config.NATS{Enabled: true, URL: "nats://" + addr, Node: node} }
	stA, stB := openStore(t, filepath.Join(dir, "a")), openStore(t, filepath.Join(dir, "b"))
	a, b := newLink(t, stA, c("edge-a")), newLink(t, stB, c("edge-b"))
	if !a.Core() || a.Relay() == nil {
		t.Fatalf("a link to a core: core %v, relay %v", a.Core(), a.Relay())
	}
	run(t, a)
	ctx := context.Background()
	m, err := stA.Create(ctx, session.Meta{Channel: "web", Locale: "es-MX"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan session.Result, 2)
	for i, text := range []string{"hola", "¿dónde está mi pedido?"} {
		if err := stA.Submit(ctx, session.Message{Session: m.ID, From: session.FromCustomer, CID: fmt.Sprint(i), Text: text}, 0, func(r session.Result) { done <- r }); err != nil {
			t.Fatal(err)
		}
		if r := <-done; r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	waitFor(t, "A's outbox to drain", func() bool { return stA.OutboxDepth() == 0 })
	if err := b.Fetch(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	got, err := stB.Get(m.ID)
	if err != nil || got.Locale != "es-MX" || got.LastSeq != 2 {
		t.Fatalf("B's copy %+v %v", got, err)
	}
	msgs, err := stB.Messages(m.ID, 0, 0)
	if err != nil || len(msgs) != 2 || msgs[1].Seq != 2 || msgs[1].Text != "¿dónde está mi pedido?" {
		t.Fatalf("B's messages %+v %v", msgs, err)
	}
	for _, sid := range []string{"s_nosuchsession", "not valid"} {
		if err := b.Fetch(ctx, sid); !errors.Is(err, session.ErrNoHistory) {
			t.Errorf("Fetch %q: %v, want session.ErrNoHistory", sid, err)
		}
	}
}
