//go:build linux

package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMsgFrameRoundTrip(t *testing.T) {
	text := messageText(100)
	if len(text) != 100 {
		t.Fatalf("messageText(100) has %d bytes", len(text))
	}
	for _, text := range []string{
		text,
		"Where is my order #12345?",
		`quote " backslash \ slash / <b>&amp;</b>`,
		"new\nline\ttab\r\x00\x1f",
		"ünïcödé 你好 ¿dónde está? 🚚 \u2028\u2029",
	} {
		b := appendMsg(nil, 42, 7, encodeText(text))
		var m struct{ Type, CID, Text string }
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("appendMsg made invalid JSON %s: %v", b, err)
		}
		if m.Type != "msg" || m.CID != "s42-7" || m.Text != text {
			t.Errorf("appendMsg(%q) = %s", text, b)
		}
		sid, k, ok := parseCID(m.CID)
		if !ok || sid != 42 || k != 7 {
			t.Errorf("parseCID(%q) = %d, %d, %v", m.CID, sid, k, ok)
		}
		// The frame as the node sees it.
		if f, ok := parseFrame(b); !ok || f.Type != "msg" || f.CID != "s42-7" {
			t.Errorf("parseFrame(%s) = %+v, %v", b, f, ok)
		}
	}
	if got := encodeText("a<b>&c"); got != `"a<b>&c"` {
		t.Errorf("encodeText escapes HTML: %s", got)
	}
}

func TestParseCID(t *testing.T) {
	for _, bad := range []string{"", "s", "s1", "s-1", "s1-", "x1-2", "s1-2-3", "s-1-2", "s1--2", "s1-x"} {
		if _, _, ok := parseCID(bad); ok {
			t.Errorf("parseCID(%q) ok", bad)
		}
	}
}

func TestHelloFrame(t *testing.T) {
	var h map[string]any
	if err := json.Unmarshal(helloFrame(`a"b`), &h); err != nil {
		t.Fatal(err)
	}
	if h["type"] != "hello" || h["v"] != float64(1) || h["token"] != `a"b` || h["channel"] != "web" {
		t.Errorf("helloFrame = %v", h)
	}
}

func TestParseFrame(t *testing.T) {
	tests := []struct {
		in   string
		want frame
		ok   bool
	}{
		{`{"type":"receipt","cid":"s1-2","seq":3}`, frame{Type: "receipt", CID: "s1-2", Seq: 3}, true},
		{`{"type":"receipt","cid":"s1-2","seq":18446744073709551615,"ts":"2025-01-01T00:00:00Z"}`,
			frame{Type: "receipt", CID: "s1-2", Seq: 18446744073709551615}, true},
		{`{"type":"receipt","cid":"s1-2","seq":18446744073709551616}`, frame{Type: "receipt", CID: "s1-2"}, true},
		{`{"type":"welcome","session":"abc","seq":0,"resumed":false}`, frame{Type: "welcome"}, true},
		{`{"type":"error","code":"rate_limited","message":"slow down","cid":"s1-9"}`, frame{Type: "error", CID: "s1-9", Code: "rate_limited"}, true},
		// A bot answer as the node writes it.
		{`{"type":"msg","seq":8,"from":"bot","text":"Your order ships soon.","ts":"2025-01-01T00:00:00.5Z",` +
			`"intent":"track_order","confidence":0.93,"lang":"en","quick_replies":["Track","Agent"],"reply_to":7}`,
			frame{Type: "msg", From: "bot", Seq: 8, ReplyTo: 7}, true},
		// Escaped text, non-ASCII text, and key-like text inside the value:
		// still the fast path, and no key is matched inside the text.
		{`{"type":"msg","seq":12,"from":"bot","text":"Say \"seq\":99, \"reply_to\":98, \"from\":\"agent\"\n¿Dónde? 你好","ts":"x","reply_to":11}`,
			frame{Type: "msg", From: "bot", Seq: 12, ReplyTo: 11}, true},
		// A customer message without reply_to.
		{`{"type":"msg","seq":3,"from":"customer","text":"hi","ts":"x","cid":"s1-0"}`,
			frame{Type: "msg", CID: "s1-0", From: "customer", Seq: 3}, true},
		// An escape in an extracted value: the encoding/json fallback.
		{`{"type":"msg","seq":4,"from":"b\u006ft","text":"a\"b","reply_to":3}`,
			frame{Type: "msg", From: "bot", Seq: 4, ReplyTo: 3}, true},
		// Not compact: the encoding/json fallback.
		{`{ "type" : "receipt", "cid" : "s3-4", "seq": 5 }`, frame{Type: "receipt", CID: "s3-4", Seq: 5}, true},
		{`{ "type" : "msg", "from" : "bot", "seq" : 9, "reply_to" : 8 }`, frame{Type: "msg", From: "bot", Seq: 9, ReplyTo: 8}, true},
		// A field of the wrong type is left zero.
		{`{"type":"msg","from":"bot","seq":-1,"reply_to":"x"}`, frame{Type: "msg", From: "bot"}, true},
		{`{"type":"receipt","cid":"s1-2","seq":null}`, frame{Type: "receipt", CID: "s1-2"}, true},
		// A key-like string inside a value is escaped, so it is not matched.
		{`{"type":"msg","text":"say \"cid\":\"x\""}`, frame{Type: "msg"}, true},
		// An escaped type falls back to encoding/json.
		{`{"type":"re\u0063eipt","cid":"s1-1"}`, frame{Type: "receipt", CID: "s1-1"}, true},
		{`not json`, frame{}, false},
		{`{"cid":"s1-1"}`, frame{}, false},
		{`{"type":7}`, frame{}, false},
	}
	for _, tt := range tests {
		got, ok := parseFrame([]byte(tt.in))
		if ok != tt.ok || got != tt.want {
			t.Errorf("parseFrame(%s) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFindMetric(t *testing.T) {
	const text = `# HELP go_memstats_heap_inuse_bytes Number of heap bytes that are in use.
# TYPE go_memstats_heap_inuse_bytes gauge
go_memstats_heap_inuse_bytes_total 1
go_memstats_heap_inuse_bytes 1.2345e+07
other{a="b"} 3
`
	if v, err := findMetricString(text, "go_memstats_heap_inuse_bytes"); err != nil || v != 1.2345e7 {
		t.Errorf("heap = %v, %v", v, err)
	}
	if v, err := findMetricString(text, "other"); err != nil || v != 3 {
		t.Errorf("labelled = %v, %v", v, err)
	}
	if _, err := findMetricString(text, "missing"); err == nil {
		t.Error("missing metric found")
	}
}

func findMetricString(s, name string) (float64, error) {
	return findMetric(strings.NewReader(s), name)
}
