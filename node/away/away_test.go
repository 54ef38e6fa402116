package away

import (
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/node/session"
)

func TestItem(t *testing.T) {
	ts := time.Date(2026, 12, 3, 22, 0, 0, 0, time.UTC)
	web := session.Meta{ID: "s_w", Channel: "web", Customer: session.Customer{Email: "bo@c.example"}}
	mail := session.Meta{ID: "s_m", Channel: "email", Customer: session.Customer{Email: "ana@c.example"}}
	agent := func(sid string) session.Message {
		return session.Message{Session: sid, Seq: 7, From: session.FromAgent, Text: "Refund done.", Lang: "en", TS: ts}
	}
	p := Policy{Grace: 3 * time.Minute}
	cases := []struct {
		name      string
		meta      session.Meta
		connected bool
		m         session.Message
		want      bool
		notBefore time.Time
	}{
		{"widget, agent, gone", web, false, agent("s_w"), true, ts.Add(3 * time.Minute)},
		{"widget, agent, connected", web, true, agent("s_w"), false, time.Time{}},
		{"widget, no address", session.Meta{ID: "s_w", Channel: "web"}, false, agent("s_w"), false, time.Time{}},
		{"widget, bot", web, false, session.Message{Session: "s_w", Seq: 3, From: session.FromBot, Text: "Hi", TS: ts}, false, time.Time{}},
		{"widget, mirror", session.Meta{ID: "s_w", Channel: "web", Origin: "n2", Customer: web.Customer}, false, agent("s_w"), false, time.Time{}},
		{"email, agent", mail, false, agent("s_m"), true, time.Time{}},
		{"email, bot", mail, false, session.Message{Session: "s_m", Seq: 2, From: session.FromBot, Text: "Hi", TS: ts}, true, time.Time{}},
		{"email, team closed", mail, false, session.Message{Session: "s_m", Seq: 3, From: session.FromSystem, Text: "back at 9",
			Notice: &session.Notice{Kind: session.NoticeTeamClosed}, TS: ts}, true, time.Time{}},
		{"email, agent joined", mail, false, session.Message{Session: "s_m", Seq: 3, From: session.FromSystem, Text: "Li joined",
			Notice: &session.Notice{Kind: session.NoticeAgentJoined}, TS: ts}, false, time.Time{}},
		{"email, the customer's own message", mail, false, session.Message{Session: "s_m", Seq: 1, From: session.FromCustomer, Text: "hello", TS: ts}, false, time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			it, ok := p.Item(c.meta, c.connected, c.m)
			if ok != c.want {
				t.Fatalf("ok %v, want %v", ok, c.want)
			}
			if !ok {
				return
			}
			if it.Key != c.m.Session+"/"+"7" && c.m.Seq == 7 || it.Channel != "email" || it.SessionID != c.m.Session || it.Seq != c.m.Seq ||
				it.To != c.meta.Customer.Email || it.Text != c.m.Text || !it.NotBefore.Equal(c.notBefore) || !it.Created.Equal(ts) {
				t.Fatalf("item %+v", it)
			}
		})
	}
	if it, _ := (Policy{}).EmailIfAway(web, false, agent("s_w")); !it.NotBefore.Equal(ts.Add(DefaultGrace)) {
		t.Errorf("default grace: NotBefore %v", it.NotBefore)
	}
	files := agent("s_w")
	files.Text = ""
	files.Attachments = []session.Attachment{{URL: "https://x/1", Name: "label.pdf"}}
	if it, ok := p.Item(web, false, files); !ok || it.Text != "[attachment: label.pdf]" {
		t.Errorf("attachments only: %+v %v", it, ok)
	}
}
