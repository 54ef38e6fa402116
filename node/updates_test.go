package node

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/model"
	"github.com/edgedesk/edgedesk/node/faq"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// counterValue is the value of the counter name with the label pairs
// labels in reg (0 when it has not been counted yet).
func counterValue(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			got := 0
			for _, l := range m.GetLabel() {
				if v, ok := want[l.GetName()]; ok {
					if v != l.GetValue() {
						continue metrics
					}
					got++
				}
			}
			if got == len(want) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestUpdatesFromCore: a FAQ published at the core reaches two nodes; a
// model published at the core replaces the running one on a node with a
// live connection; a routing file takes effect; a bad FAQ is refused.
func TestUpdatesFromCore(t *testing.T) {
	addr := freeTCP(t)
	core, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: filepath.Join(t.TempDir(), "core"), Listen: addr, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Shutdown()
	edge := func(name string) *Node {
		n, _, _ := startNode(t, func(c *config.Config) { c.NATS.URL = "nats://" + addr; c.NATS.Node = name })
		return n
	}
	a, b := edge("edge-a"), edge("edge-b")

	nc, err := nats.Connect("nats://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	obs, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: edgesync.Files})
	if err != nil {
		t.Fatal(err)
	}
	greeting := func(n *Node) string {
		ans, ok := n.faq.Lookup("greeting", []string{"en"})
		if !ok {
			return ""
		}
		return ans.Answer
	}
	newFAQ := strings.Replace(string(faq.Demo), `{"intent": "greeting", "lang": "en", "answer": "`, `{"intent": "greeting", "lang": "en", "answer": "From the core: `, 1)
	if newFAQ == string(faq.Demo) {
		t.Fatal("demo FAQ layout changed; fix the test")
	}
	if _, err := obs.PutBytes(ctx, edgesync.ObjectFAQ, []byte(newFAQ)); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*Node{a, b} {
		waitFor(t, "the core's FAQ", func() bool { return strings.HasPrefix(greeting(n), "From the core: ") })
	}
	// A FAQ that does not validate changes nothing.
	v := a.faq.Version()
	refused := func() float64 {
		return counterValue(t, a.reg, "edgedesk_sync_updates_total", "kind", "faq", "result", "refused")
	}
	if n := refused(); n != 0 {
		t.Fatalf("%v FAQ updates refused before the bad one", n)
	}
	if _, err := obs.PutBytes(ctx, edgesync.ObjectFAQ, []byte(`{"intent":"greeting","lang":"en","answer":"{{nope}}"}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bad FAQ to be refused", func() bool { return refused() == 1 })
	if a.faq.Version() != v || !strings.HasPrefix(greeting(a), "From the core: ") {
		t.Fatal("a bad FAQ from the core was applied")
	}

	// The model: swapped under a live connection.
	c, base, _ := startNode(t, func(c *config.Config) { c.NATS.URL = "nats://" + addr; c.NATS.Node = "edge-c"; c.Bot.Enabled = false })
	ws, _ := dialWidget(t, base, nil)
	before := c.Model().LoadedAt
	errs := make(chan error, 1)
	go func() {
		for i := 0; i < 100; i++ {
			ws.WriteJSON(map[string]any{"type": "msg", "cid": fmt.Sprint(i), "text": "where is my order"})
			var r struct{ Type string }
			if err := ws.ReadJSON(&r); err != nil || r.Type != "receipt" {
				errs <- fmt.Errorf("message %d: %+v %v", i, r, err)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		errs <- nil
	}()
	if _, err := obs.PutBytes(ctx, edgesync.ObjectModel, model.DefaultONNX); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the core's model", func() bool { return c.Model().LoadedAt.After(before) })
	if err := <-errs; err != nil {
		t.Fatalf("connection during the swap: %v", err)
	}
	path := c.Model().Path
	if filepath.Base(path) != "core.onnx" {
		t.Fatalf("model path %s", path)
	}

	// Routing from the core.
	routing := "groups:\n  - {name: core-en, languages: [en], tz: Europe/London, hours: {mon: [\"00:00-24:00\"]}, capacity: 2}\n"
	obs.PutBytes(ctx, edgesync.ObjectRouting, []byte(routing))
	waitFor(t, "the core's routing", func() bool {
		for _, g := range a.router.Overview() {
			if g.Name == "core-en" {
				return true
			}
		}
		return false
	})
}
