package agentws

import (
	"encoding/json"
	"testing"
)

// FuzzFrame: any bytes an agent sends decode to a frame or an error, and
// a decoded status is one of the two the router knows.
func FuzzFrame(f *testing.F) {
	f.Add([]byte(`{"type":"hello","v":1,"token":"x","status":"away"}`))
	f.Add([]byte(`{"type":"transfer","cid":"t1","session":"s1","agent":"cy","note":"VIP"}`))
	f.Add([]byte(`{"type":"msg","cid":"m1","session":"s1","text":42}`))
	f.Add([]byte(`{"type":"status","status":"\u202eenilno"}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var fr inFrame
		if err := decode(b, &fr); err != nil {
			if json.Unmarshal(b, &fr) == nil {
				t.Fatalf("decode refused what encoding/json reads: %v", err)
			}
			if len(err.Error()) > 64 {
				t.Fatalf("error message too long to be the node's own: %q", err)
			}
			if c := validCID(fr.CID); c != "" && c != fr.CID {
				t.Fatalf("validCID changed %q", fr.CID)
			}
			return
		}
		if away, ok := parseStatus(fr.Status); ok && statusName(away) != "online" && statusName(away) != "away" {
			t.Fatalf("status %q read as %v", fr.Status, away)
		}
	})
}
