package edgesync

import (
	"context"
	"testing"
	"time"
)

func TestStatsPut(t *testing.T) {
	js := startEmbedded(t)
	ctx := context.Background()
	hour := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	a := &Stats{JS: js, Node: "edge-1"}
	b := &Stats{JS: js, Node: "edge-2"} // a second node creates the same bucket
	for _, p := range []struct {
		s     *Stats
		group string
		data  string
	}{{a, "", `{"conversations":1}`}, {a, "", `{"conversations":2}`}, {a, "uk-en", `{"handovers":1}`}, {b, "", `{"conversations":7}`}} {
		if err := p.s.PublishStats(ctx, p.group, hour, []byte(p.data)); err != nil {
			t.Fatal(err)
		}
	}
	kv, err := js.KeyValue(ctx, StatsBucket)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"edge-1._node.2026120314": `{"conversations":2}`, // the last value
		"edge-1.uk-en.2026120314": `{"handovers":1}`,
		"edge-2._node.2026120314": `{"conversations":7}`,
	} {
		e, err := kv.Get(ctx, k)
		if err != nil || string(e.Value()) != want {
			t.Errorf("%s: %v %v, want %s", k, e, err, want)
		}
	}
	if k := StatsKey("n", "", hour.Add(30*time.Minute).In(time.FixedZone("x", 3600))); k != "n._node.2026120314" {
		t.Errorf("key %s", k)
	}
}
