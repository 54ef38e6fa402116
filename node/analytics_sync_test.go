package node

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/analytics"
	"github.com/edgedesk/edgedesk/node/session"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// coreStats polls the core's EDGEDESK_STATS for key until ok accepts its
// figures.
func coreStats(t *testing.T, addr, key string, ok func(*analytics.Counts) bool) {
	t.Helper()
	nc, err := nats.Connect("nats://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		if kv, err := js.KeyValue(ctx, edgesync.StatsBucket); err == nil {
			if e, err := kv.Get(ctx, key); err == nil {
				var c analytics.Counts
				if err := json.Unmarshal(e.Value(), &c); err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				if ok(&c) {
					return
				}
				last = string(e.Value())
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the core never had the figures at %s (last %s)", key, last)
}

// TestStatsPublishedThroughOutage: the node puts its hourly buckets in
// the core's KV bucket; while the core is down the figures go on, and
// once it is back they arrive, nothing lost.
func TestStatsPublishedThroughOutage(t *testing.T) {
	addr := freeTCP(t)
	dir := filepath.Join(t.TempDir(), "core")
	core, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: dir, Listen: addr, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { core.Shutdown() }()
	_, base, _ := startNode(t, func(c *config.Config) {
		withAnalytics(c)
		c.NATS.URL, c.NATS.Node = "nats://"+addr, "edge-s"
	})
	awayFromHourEnd(t)
	hour := time.Now()
	key := func() string { return edgesync.StatsKey("edge-s", "", hour) }
	ws, _ := dialWidget(t, base, map[string]any{"locale": "en-GB"})
	ask(t, ws, "h1", "where is my order 48213?", false)
	coreStats(t, addr, key(), func(c *analytics.Counts) bool { return c.Conversations == 1 })

	core.Shutdown()
	core.WaitForShutdown()
	for i := range 3 { // three more conversations while the core is away
		ws, _ := dialWidget(t, base, map[string]any{"locale": "en-GB"})
		ask(t, ws, "o"+string(rune('0'+i)), "where is my order 48213?", false)
	}
	waitStats(t, base+"/v1/admin/stats", func(st *analytics.Stats) bool { return st.Totals.Conversations == 4 })

	core, err = edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: dir, Listen: addr, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	coreStats(t, addr, key(), func(c *analytics.Counts) bool { return c.Conversations == 4 })
}

// awayFromHourEnd waits for the next hour when this one ends within 30
// seconds, so that a test's figures fall in one hourly bucket.
func awayFromHourEnd(t *testing.T) {
	t.Helper()
	if left := time.Until(time.Now().Truncate(time.Hour).Add(time.Hour)); left < 30*time.Second {
		time.Sleep(left + 100*time.Millisecond)
	}
}

// TestStatsMarksSurviveRestart: buckets written while the core is down
// stay marked in analytics.db across a restart of the analytics, and are
// published once a core answers.
func TestStatsMarksSurviveRestart(t *testing.T) {
	awayFromHourEnd(t)
	addr := freeTCP(t)
	nc, err := nats.Connect("nats://"+addr, nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	path := filepath.Join(t.TempDir(), AnalyticsFile)
	open := func() *analytics.Analytics {
		a, err := analytics.New(analytics.Options{Path: path, Publisher: &edgesync.Stats{JS: js, Node: "edge-m"}})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := open()
	a.OnMessage(&session.Message{Session: "s1", Seq: 1, From: session.FromCustomer, CID: "c1", Text: "hi", Intent: "track_order", TS: time.Now()})
	if err := a.Flush(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	if err := a.Publish(ctx); err == nil {
		t.Fatal("published with no core")
	}
	cancel()
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	core, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: filepath.Join(t.TempDir(), "core"), Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Shutdown()
	a = open()
	defer a.Close(context.Background())
	deadline := time.Now().Add(10 * time.Second)
	for err := a.Publish(context.Background()); err != nil; err = a.Publish(context.Background()) {
		if time.Now().After(deadline) {
			t.Fatalf("publish after the core came: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	coreStats(t, addr, edgesync.StatsKey("edge-m", "", time.Now()), func(c *analytics.Counts) bool { return c.Conversations == 1 && c.Intents["track_order"] == 1 })
}

// TestStatsFromLeafNodes: two leaf nodes with their own JetStream domains
// put their figures in the core's bucket, where the core adds them up.
func TestStatsFromLeafNodes(t *testing.T) {
	awayFromHourEnd(t)
	clientAddr, leafAddr := freeTCP(t), freeTCP(t)
	core, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: filepath.Join(t.TempDir(), "core"), Listen: clientAddr, LeafListen: leafAddr, SyncAlways: true, Domain: "core"})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Shutdown()
	for i, name := range []string{"leaf-a", "leaf-b"} {
		_, base, _ := startNode(t, func(c *config.Config) {
			withAnalytics(c)
			c.NATS.Node, c.NATS.Leaf, c.NATS.CoreDomain = name, "nats-leaf://"+leafAddr, "core"
		})
		for j := 0; j <= i; j++ { // leaf-a one conversation, leaf-b two
			ws, _ := dialWidget(t, base, map[string]any{"locale": "en-GB"})
			ask(t, ws, "h1", "where is my order 48213?", false)
		}
	}
	hour := time.Now()
	coreStats(t, clientAddr, edgesync.StatsKey("leaf-a", "", hour), func(c *analytics.Counts) bool { return c.Conversations == 1 })
	coreStats(t, clientAddr, edgesync.StatsKey("leaf-b", "", hour), func(c *analytics.Counts) bool { return c.Conversations == 2 })
}
