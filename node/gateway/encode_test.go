package gateway

import (
	"encoding/json"
	"strings"
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
		"welcome": appendWelcome(nil, "s_abc", 3, true, ts, ""),
		"receipt": appendReceipt(nil, &session.Message{CID: "c1", Seq: 9}, nil),
		"error":   appendError(nil, CodeRateLimited, "slow down", "c1"),
		"msg":     appendMsg(nil, m),
		"typing":  appendTyping(nil, session.FromAgent, true),
		"queue":   appendQueue(nil, 2, 60, "es-MX"),
		"ok":      appendOK(nil, "r1", "csat"),
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
	// A notice, as the widget reads it.
	sys := &session.Message{Seq: 8, From: session.FromSystem, Text: "Ana joined", TS: ts,
		Notice: &session.Notice{Kind: session.NoticeAgentJoined, Group: "mx-es", Agent: &session.AgentRef{ID: "ana", Name: "Ana \"A\""}}}
	var n struct {
		Notice session.Notice `json:"notice"`
	}
	if err := json.Unmarshal(appendMsg(nil, sys), &n); err != nil || n.Notice.Kind != "agent_joined" || n.Notice.Group != "mx-es" || n.Notice.Agent.Name != "Ana \"A\"" || !n.Notice.OpensAt.IsZero() {
		t.Fatalf("notice %+v %v", n, err)
	}
	sys.Notice = &session.Notice{Kind: session.NoticeTeamClosed, OpensAt: time.Date(2026, 11, 26, 9, 0, 0, 0, time.FixedZone("CST", -6*3600))}
	if f := string(appendMsg(nil, sys)); !strings.Contains(f, `"notice":{"kind":"team_closed","opens_at":"2026-11-26T15:00:00Z"}`) {
		t.Fatalf("opens_at not UTC RFC 3339: %s", f)
	}
	if f := string(appendOK(nil, "", "contact")); f != `{"type":"ok","for":"contact"}` {
		t.Fatalf("ok without cid: %s", f)
	}
}

// A receipt carries the stored message's attachments, the node's files
// with fresh links, and nothing more for a message without any.
func TestReceiptAttachments(t *testing.T) {
	sign := func(stored string) string { return stored + "?exp=2&sig=fresh" }
	m := &session.Message{CID: "c1", Seq: 4, Attachments: []session.Attachment{
		{URL: "/v1/files/s_a/f1", MIME: "image/png", Name: "parcel.png", Size: 1234},
		{URL: "https://cdn.example/p.png", MIME: "image/png", Name: "p.png", Size: 9},
	}}
	want := `{"type":"receipt","cid":"c1","seq":4,"attachments":[` +
		`{"url":"/v1/files/s_a/f1?exp=2&sig=fresh","mime":"image/png","name":"parcel.png","size":1234},` +
		`{"url":"https://cdn.example/p.png","mime":"image/png","name":"p.png","size":9}]}`
	if got := string(appendReceipt(nil, m, sign)); got != want {
		t.Errorf("receipt\n got %s\nwant %s", got, want)
	}
	if got := string(appendReceipt(nil, &session.Message{CID: "c2", Seq: 5}, sign)); got != `{"type":"receipt","cid":"c2","seq":5}` {
		t.Errorf("receipt without attachments: %s", got)
	}
}

func TestEncodersDoNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 1024)
	m := &session.Message{Seq: 7, From: session.FromBot, Text: "Your order 12345 ships today", TS: time.Now(), Intent: "track_order", Confidence: 0.9, Lang: "en"}
	receipt := &session.Message{CID: "cid-123", Seq: 42, Text: "where is my order?"}
	if n := testing.AllocsPerRun(100, func() { buf = appendReceipt(buf[:0], receipt, nil) }); n != 0 {
		t.Errorf("appendReceipt allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { buf = appendMsg(buf[:0], m) }); n != 0 {
		t.Errorf("appendMsg allocates %v times", n)
	}
	sys := &session.Message{Seq: 8, From: session.FromSystem, Text: "back at jue 09:00", TS: time.Now(), Lang: "es",
		Notice: &session.Notice{Kind: session.NoticeTeamClosed, OpensAt: time.Now(), Group: "mx-es", Agent: &session.AgentRef{ID: "a"}}}
	if n := testing.AllocsPerRun(100, func() { buf = appendMsg(buf[:0], sys) }); n != 0 {
		t.Errorf("appendMsg with a notice allocates %v times", n)
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

// An agent's translated reply carries the translation beside the original;
// the customer's own message never carries the agent's translation.
func TestMsgTranslation(t *testing.T) {
	ts := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	m := &session.Message{Seq: 9, From: session.FromAgent, Text: "Your \"return label\" is ready", TS: ts, Agent: &session.AgentRef{ID: "a", Name: "Bo"},
		Translation: &session.Translation{Text: "Tu \"etiqueta de devolución\" está lista", From: "en", To: "es", Provider: "apertium", Status: session.TranslationDone}}
	var got struct {
		Text        string              `json:"text"`
		Translation session.Translation `json:"translation"`
	}
	if err := json.Unmarshal(appendMsg(nil, m), &got); err != nil || got.Text != m.Text || got.Translation != *m.Translation {
		t.Fatalf("msg %+v %v", got, err)
	}
	m.Translation = &session.Translation{From: "en", To: "es", Status: session.TranslationUnavailable}
	if f := string(appendMsg(nil, m)); !strings.Contains(f, `"translation":{"from":"en","to":"es","status":"unavailable"}`) {
		t.Fatalf("untranslated mark: %s", f)
	}
	c := &session.Message{Seq: 10, From: session.FromCustomer, CID: "c", Text: "hola", TS: ts, Translation: &session.Translation{Text: "hello", From: "es", To: "en", Status: session.TranslationDone}}
	if f := string(appendMsg(nil, c)); strings.Contains(f, "translation") {
		t.Fatalf("the customer's own message with the agent's translation: %s", f)
	}
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() { buf = appendMsg(buf[:0], m) }); n != 0 {
		t.Errorf("appendMsg with a translation allocates %v times", n)
	}
}
