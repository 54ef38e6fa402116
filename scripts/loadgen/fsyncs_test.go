//go:build linux

package main

import (
	"strings"
	"testing"
)

func TestSumByLayer(t *testing.T) {
	const exp = `# HELP edgedesk_fsyncs_total fsyncs
# TYPE edgedesk_fsyncs_total counter
edgedesk_fsyncs_total{file="sessions",layer="bbolt"} 10
edgedesk_fsyncs_total{file="faq",layer="bbolt"} 2
edgedesk_fsyncs_total{file="EDGEDESK_SESSIONS",layer="jetstream"} 7
edgedesk_fsyncs_totally{layer="bbolt"} 100
go_memstats_heap_inuse_bytes 1e+06
`
	got, err := sumByLayer(strings.NewReader(exp))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["bbolt"] != 12 || got["jetstream"] != 7 {
		t.Errorf("sumByLayer = %v, want bbolt 12, jetstream 7", got)
	}
	if _, err := sumByLayer(strings.NewReader(`edgedesk_fsyncs_total{layer="bbolt"} x` + "\n")); err == nil {
		t.Error("a malformed value gave no error")
	}
}

// FuzzSumByLayer: any exposition text parses or fails without a panic,
// and the layers it reports come from fsyncMetric lines only.
func FuzzSumByLayer(f *testing.F) {
	f.Add(`edgedesk_fsyncs_total{file="sessions",layer="bbolt"} 10` + "\n")
	f.Add(`edgedesk_fsyncs_total{layer="jetstream"} 1e3` + "\n# HELP x\n")
	f.Add("edgedesk_fsyncs_total{\n")
	f.Fuzz(func(t *testing.T, text string) {
		got, err := sumByLayer(strings.NewReader(text))
		if err != nil {
			return
		}
		if len(got) > 0 && !strings.Contains(text, fsyncMetric+"{") {
			t.Fatalf("layers %v from text without %s", got, fsyncMetric)
		}
	})
}
