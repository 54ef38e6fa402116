package session

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestRecordMatchesEncodingJSON(t *testing.T) {
	ts := time.Date(2026, 11, 21, 10, 0, 0, 5, time.UTC)
	for _, m := range []Message{
		{Session: "s_1", Seq: 1, From: FromCustomer, CID: "c", Text: "hi", TS: ts},
		{Session: "s_1", Seq: 2, From: FromBot, Text: "Hola \"Ana\" \u2028", Intent: "greeting", Confidence: 0.8125, Lang: "es", QuickReplies: []string{"Sí"}, TS: ts},
		{Session: "s_1", Seq: 3, From: FromAgent, Text: "x", Agent: &AgentRef{ID: "a1", Name: "Bo"}, Channel: "web", CustomerID: "cu", Locale: "es-MX", TZ: "America/Mexico_City", TS: ts},
		{Session: "s_1", Seq: 4, From: FromCustomer, CID: "d", Attachments: []Attachment{{URL: "https://x/y"}, {URL: "https://x/z", MIME: "image/png", Name: "z.png", Size: 9}}, TS: ts},
		{Session: "s_1", Seq: 5, From: FromAgent, Text: "no name", Agent: &AgentRef{ID: "a2"}, TS: ts},
		{Session: "s_1", Seq: 6, From: FromCustomer, CID: "e", Text: "order #123 is late!", Entities: []Entity{{Kind: "order_number", Value: "123"}, {Kind: "email", Value: "a@b.co"}}, Sentiment: -0.625, TS: ts},
		{Session: "s_1", Seq: 7, From: FromBot, Text: "sorry", ReplyTo: 6, Intent: "complaint", Confidence: 0.5, TS: ts},
		{Session: "s_1", Seq: 8, From: FromSystem, Text: "back at jue 09:00", Lang: "es", Notice: &Notice{Kind: NoticeTeamClosed, OpensAt: ts.Add(time.Hour), Group: "mx-es"}, TS: ts},
		{Session: "s_1", Seq: 9, From: FromSystem, Text: "Ana joined", Notice: &Notice{Kind: NoticeAgentJoined, Agent: &AgentRef{ID: "ana", Name: "Ana"}}, TS: ts},
		{Session: "s_1", Seq: 10, From: FromSystem, Text: "x", Notice: &Notice{Kind: NoticeNoAgents, Agent: &AgentRef{ID: "a"}}, TS: ts},
		{Session: "s_1", Seq: 11, From: FromAgent, Text: "Your return label", Agent: &AgentRef{ID: "a"}, Translation: &Translation{Text: "Tu etiqueta \"de\" devolución", From: "en", To: "es", Provider: "apertium", Status: TranslationDone}, TS: ts},
		{Session: "s_1", Seq: 12, From: FromCustomer, CID: "f", Text: "hola", Translation: &Translation{From: "es", To: "en", Status: TranslationUnavailable}, TS: ts},
	} {
		got := appendRecord(nil, &m)
		want, _ := json.Marshal(&m)
		if string(got) != string(want) {
			t.Errorf("record\n got %s\nwant %s", got, want)
		}
		var back Message
		if err := json.Unmarshal(got, &back); err != nil || !reflect.DeepEqual(back, m) {
			t.Errorf("round trip: %+v %v", back, err)
		}
	}
}

func FuzzRecord(f *testing.F) {
	f.Add("s_1", "hello", "c1", "en", float32(0.5))
	f.Fuzz(func(t *testing.T, sid, text, cid, lang string, conf float32) {
		m := Message{Session: sid, Seq: 7, From: FromBot, Text: text, CID: cid, Lang: lang, Confidence: conf, TS: time.Unix(0, 0).UTC()}
		got := appendRecord(nil, &m)
		if !json.Valid(got) {
			t.Fatalf("invalid record %q", got)
		}
	})
}

// TestOldRecordsReadable: records written before a field existed decode.
func TestOldRecordsReadable(t *testing.T) {
	var m Message
	old := `{"session":"s_1","seq":3,"from":"system","text":"Our team is offline","lang":"en","ts":"2026-11-21T10:00:00Z"}`
	if err := json.Unmarshal([]byte(old), &m); err != nil || m.Notice != nil || m.Text != "Our team is offline" {
		t.Fatalf("%+v %v", m, err)
	}
	var meta Meta
	if err := json.Unmarshal([]byte(`{"id":"s_1","customer":{"id":"c"},"created":"2026-11-21T10:00:00Z","last_active":"2026-11-21T10:00:00Z","last_seq":3}`), &meta); err != nil || meta.Waiting != nil || meta.LastChat != nil {
		t.Fatalf("%+v %v", meta, err)
	}
}
