package session

import (
	"bytes"
	"testing"
)

func TestLogEntryRoundTrip(t *testing.T) {
	v := appendLogHeader(nil, "s_abc", 1<<40, "cid-1")
	v = append(v, `{"x":1}`...)
	h, rec, err := parseLogEntry(v)
	if err != nil || h.Session != "s_abc" || h.Seq != 1<<40 || h.CID != "cid-1" || !bytes.Equal(rec, []byte(`{"x":1}`)) {
		t.Fatalf("%+v %q %v", h, rec, err)
	}
}

func FuzzParseLogEntry(f *testing.F) {
	f.Add(append(appendLogHeader(nil, "s_1", 3, ""), "{}"...))
	f.Add([]byte{1, 200})
	f.Fuzz(func(t *testing.T, v []byte) {
		h, rec, err := parseLogEntry(v)
		if err != nil {
			return
		}
		again := append(appendLogHeader(nil, h.Session, h.Seq, h.CID), rec...)
		if _, rec2, err := parseLogEntry(again); err != nil || !bytes.Equal(rec, rec2) {
			t.Fatalf("re-encoding failed: %v", err)
		}
	})
}
