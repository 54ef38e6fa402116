package node

import (
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestFsyncMetrics: with the default embedded JetStream (sync_always),
// /metrics counts both layers' fsyncs once a question is answered and
// synced: the session store's commits and the server's synced stores.
func TestFsyncMetrics(t *testing.T) {
	_, base, _ := startNode(t)
	ws, _ := dialWidget(t, base, map[string]any{"locale": "en"})
	ask(t, ws, "f1", "Where is my order #12345?", false)
	want := map[string]*regexp.Regexp{
		"bbolt":     regexp.MustCompile(`(?m)^edgedesk_fsyncs_total\{file="sessions",layer="bbolt"\} (\S+)$`),
		"jetstream": regexp.MustCompile(`(?m)^edgedesk_fsyncs_total\{file="EDGEDESK_SESSIONS",layer="jetstream"\} (\S+)$`),
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := get(t, base+"/metrics")
		missing := ""
		for layer, re := range want {
			m := re.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("/metrics has no %s fsync counter", layer)
			}
			if v, err := strconv.ParseFloat(m[1], 64); err != nil || v <= 0 {
				missing = layer
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s fsync counted within 10s of an answered question", missing)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
