package analytics

import (
	"encoding/json"
	"math"
	"testing"
)

// FuzzCounts: a stored hourly bucket (analytics.db, or the core's
// EDGEDESK_STATS) that decodes can be merged, summarised and written back
// as JSON, whatever its numbers.
func FuzzCounts(f *testing.F) {
	f.Add([]byte(`{"conversations":3,"bot_resolved":1,"handovers":2,"reasons":{"negative":2},"messages":9,"intents":{"track_order":4},"csat":[0,0,1,0,2],"first_response":[1,2,0,0,0,0,0,0,0,0,0,0,1],"handle":[],"handle_seconds_sum":310.5}`))
	f.Add([]byte(`{"csat":[1,2,3,4,5,6],"first_response":[4294967295,4294967295]}`))
	f.Add([]byte(`{"handle_seconds_sum":-1e300,"reasons":{"":18446744073709551615}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Counts
		if json.Unmarshal(b, &c) != nil {
			return
		}
		var sum Counts
		sum.Merge(&c)
		sum.Merge(&c)
		for _, h := range []*Hist{&sum.FirstResponse, &sum.Handle} {
			if m := h.Median(); math.IsNaN(m) || math.IsInf(m, 0) || m < 0 {
				t.Fatalf("median %v of %v", m, *h)
			}
		}
		if _, err := json.Marshal(&sum); err != nil && !math.IsInf(sum.HandleSum, 0) {
			t.Fatalf("merged bucket does not encode: %v", err)
		}
	})
}
