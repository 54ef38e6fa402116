package gateway

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/node/session"
)

func TestEncodersProduceValidFrames(t *testing.T) {
	ts := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	m := &session.Message{Seq: 7, From: session.FromBot, Text: "Hola \"Ana\"", TS: ts, Intent: "track_order", Confidence: 0.875, Lang: "es",
		QuickReplies: []string{"Sí", "No"}, Agent: &session.AgentRef{ID: "a1", Name: "Bo"},
		Attachments: []session.Attachment{{URL: "https://x.example/a.png", MIME: "image/png", Name: "a.png", Size: 10}}, CID: "c1"}
	frames := map[string][]byte{
		"welcome": appendWelcome(nil, "s_abc", 3, true, ts),
		"receipt": appendReceipt(nil, "c1", 9),
		"error":   appendError(nil, CodeRateLimited, "slow down", "c1"),
		"msg":     appendMsg(nil, m),
		"typing":  appendTyping(nil, session.FromAgent, true),
		"queue":   appendQueue(nil, 2, 60, "es-MX"),
	}
	for name, f := range frames {
		var v map[string]any
		if err := json.Unmarshal(f, &v); err != nil {
			t.Fatalf("%s: %s: %v", name, f, err)
		}
		if v["type"] != name {
			t.Errorf("%s: type %v", name, v["type"])
		}
	}
	var got struct {
		Seq        uint64
		Confidence float64
		TS         time.Time
		Quick      []string `json:"quick_replies"`
	}
	json.Unmarshal(frames["msg"], &got)
	if got.Seq != 7 || got.Confidence != 0.875 || !got.TS.Equal(ts) || len(got.Quick) != 2 {
		t.Fatalf("msg decoded as %+v", got)
	}
}

func TestEncodersDoNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 1024)
	m := &session.Message{Seq: 7, From: session.FromBot, Text: "Your order 12345 ships today", TS: time.Now(), Intent: "track_order", Confidence: 0.9, Lang: "en"}
	if n := testing.AllocsPerRun(100, func() { buf = appendReceipt(buf[:0], "cid-123", 42) }); n != 0 {
		t.Errorf("appendReceipt allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { buf = appendMsg(buf[:0], m) }); n != 0 {
		t.Errorf("appendMsg allocates %v times", n)
	}
}

func BenchmarkAppendMsg(b *testing.B) {
	m := &session.Message{Seq: 7, From: session.FromBot, Text: "Your order 12345 ships today", TS: time.Now(), Intent: "track_order", Confidence: 0.9, Lang: "en"}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendMsg(buf[:0], m)
	}
}
