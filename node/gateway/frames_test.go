package gateway

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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

func TestDecodeFrame(t *testing.T) {
	var f frame
	for _, ok := range []string{
		`{"type":"hello","v":1,"locale":"zh-CN","tz":"Asia/Shanghai","customer":{"id":"c1","tier":"vip"},"future_field":true}`,
		`{"type":"msg","cid":"a:b.c-d_e","text":"你好"}`,
		`{"type":"ack","seq":0}`,
		`{"type":"typing","on":false}`,
		`{"type":"bye"}`,
	} {
		if _, err := decodeFrame([]byte(ok), &f); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// FuzzDecodeFrame: the decoder never panics, refusals always carry a code,
// and an accepted msg is one the store accepts too.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"hello","v":1,"token":"","session":"s_x","last_seq":3,"locale":"es-MX","tz":"America/Mexico_City","channel":"web","customer":{"id":"1"}}`,
		`{"type":"msg","cid":"1","text":"where is my order"}`,
		`{"type":"msg","cid":"2","attachments":[{"url":"https://a.example/x","size":1}]}`,
		`{"type":"ack","seq":18446744073709551615}`,
		`{"type":"typing","on":true}`, `{"type":"bye"}`, `{"type":"x"}`, `{}`, `null`, `[]`, "\xff", `{"type":"msg","cid":"` + strings.Repeat("a", 200) + `"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fr frame
		cid, err := decodeFrame(data, &fr)
		if cid != "" && !session.ValidCID(cid) {
			t.Fatalf("returned unchecked cid %q", cid)
		}
		if err != nil {
			pe, ok := err.(*protoError)
			if !ok || pe.Code == "" || pe.Message == "" {
				t.Fatalf("error without code: %#v", err)
			}
			// The error frame for it must be valid JSON.
			if !json.Valid(appendError(nil, pe.Code, pe.Message, cid)) {
				t.Fatal("invalid error frame")
			}
			return
		}
		if !utf8.Valid(data) {
			t.Fatal("accepted invalid UTF-8")
		}
		if fr.Type == "msg" {
			m := session.Message{Session: "s_fuzz", From: session.FromCustomer, CID: cid, Attachments: fr.Attachments, Text: fr.Text}
			if err := m.Check(); err != nil {
				t.Fatalf("gateway accepted a msg the store refuses: %v", err)
			}
		}
	})
}

func BenchmarkDecodeMsg(b *testing.B) {
	data := []byte(`{"type":"msg","cid":"c-123456","text":"Where is my order #A-12345? It was due yesterday."}`)
	var f frame
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeFrame(data, &f); err != nil {
			b.Fatal(err)
		}
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
