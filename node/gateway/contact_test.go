package gateway

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/session"
)

// okFrame is the answer to contact and csat.
type okFrame struct {
	Type, CID, For, Code string
}

func (c *client) nextOK() okFrame {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var f okFrame
	if err := c.ws.ReadJSON(&f); err != nil {
		c.t.Fatal(err)
	}
	return f
}

func TestContact(t *testing.T) {
	h := newHarness(t, nil, "")
	c := h.dial(nil)
	w := c.hello(nil)
	c.send(map[string]any{"type": "contact", "cid": "k1", "email": "ana@example.com"})
	if f := c.nextOK(); f.Type != "ok" || f.CID != "k1" || f.For != "contact" {
		t.Fatalf("answer %+v", f)
	}
	// Stored before the ok.
	if m, _ := h.store.Get(w.Session); m.Customer.Email != "ana@example.com" {
		t.Fatalf("stored %+v", m.Customer)
	}
	// Without a cid the ok has none.
	c.send(`{"type":"contact","email":"ana.maria@example.com"}`)
	if f := c.nextOK(); f.Type != "ok" || f.CID != "" || f.For != "contact" {
		t.Fatalf("answer %+v", f)
	}
	for _, bad := range []string{
		`{"type":"contact","cid":"k2","email":"not an address"}`,
		`{"type":"contact","cid":"k2"}`,
		`{"type":"contact","cid":"k2","email":"a@` + strings.Repeat("b", 250) + `.com"}`,
		`{"type":"contact","cid":"k2","email":5}`,
	} {
		c.send(bad)
		if f := c.next(); f.Type != "error" || f.Code != CodeBadFrame || (!strings.Contains(bad, `":5`) && f.CID != "k2") {
			t.Fatalf("%s: %+v", bad, f)
		}
	}
	if m, _ := h.store.Get(w.Session); m.Customer.Email != "ana.maria@example.com" {
		t.Fatalf("a refused address was stored: %+v", m.Customer)
	}
	// The address survives a resume, and an anonymous resume changes
	// nothing of the customer.
	c2 := h.dial(nil)
	c2.hello(map[string]any{"session": w.Session, "customer": map[string]any{"id": "c9", "name": "Ana"}})
	if m, _ := h.store.Get(w.Session); m.Customer.Email != "ana.maria@example.com" || m.Customer.Name != "" {
		t.Fatalf("after resume %+v", m.Customer)
	}
	// Knowing the session id is not enough to redirect the answers: a
	// second anonymous connection cannot replace the address the first
	// one left (the same address again is fine), and nothing changes.
	c2.send(map[string]any{"type": "contact", "cid": "k3", "email": "thief@example.net"})
	if f := c2.next(); f.Type != "error" || f.Code != CodeUnauthorized || f.CID != "k3" {
		t.Fatalf("replacing another connection's address: %+v", f)
	}
	c2.send(map[string]any{"type": "contact", "cid": "k4", "email": "ana.maria@example.com"})
	if f := c2.nextOK(); f.Type != "ok" || f.CID != "k4" {
		t.Fatalf("the same address again: %+v", f)
	}
	// Sending the stored address first does not make c2 its owner.
	c2.send(map[string]any{"type": "contact", "cid": "k6", "email": "thief@example.net"})
	if f := c2.next(); f.Type != "error" || f.Code != CodeUnauthorized || f.CID != "k6" {
		t.Fatalf("replacing after resending the stored address: %+v", f)
	}
	if m, _ := h.store.Get(w.Session); m.Customer.Email != "ana.maria@example.com" {
		t.Fatalf("address replaced by another connection: %+v", m.Customer)
	}
	// The connection that left it may still correct a typo.
	c.send(map[string]any{"type": "contact", "cid": "k5", "email": "ana.m@example.com"})
	if f := c.nextOK(); f.Type != "ok" || f.CID != "k5" {
		t.Fatalf("correction: %+v", f)
	}
	if m, _ := h.store.Get(w.Session); m.Customer.Email != "ana.m@example.com" {
		t.Fatalf("correction not stored: %+v", m.Customer)
	}
}

// TestContactVerifiedEmailWins: a token's email stays the session's.
func TestContactVerifiedEmailWins(t *testing.T) {
	h := newHarness(t, nil, testSecret)
	tok, _ := auth.Sign(testSecret, auth.Claims{Subject: "cust-1", Email: "ana@shop-account.example"}, time.Minute)
	c := h.dial(nil)
	w := c.hello(map[string]any{"token": tok})
	c.send(map[string]any{"type": "contact", "cid": "k1", "email": "other@example.com"})
	if f := c.nextOK(); f.Type != "ok" || f.For != "contact" {
		t.Fatalf("answer %+v", f)
	}
	if m, _ := h.store.Get(w.Session); m.Customer.Email != "ana@shop-account.example" {
		t.Fatalf("stored %+v", m.Customer)
	}
	// A token without an email: the contact address is stored.
	tok2, _ := auth.Sign(testSecret, auth.Claims{Subject: "cust-2"}, time.Minute)
	c2 := h.dial(nil)
	w2 := c2.hello(map[string]any{"token": tok2})
	c2.send(map[string]any{"type": "contact", "email": "bo@example.com"})
	if f := c2.nextOK(); f.Type != "ok" {
		t.Fatalf("answer %+v", f)
	}
	if m, _ := h.store.Get(w2.Session); m.Customer.Email != "bo@example.com" {
		t.Fatalf("stored %+v", m.Customer)
	}
}

func TestCSAT(t *testing.T) {
	h := newHarness(t, nil, "")
	c := h.dial(nil)
	w := c.hello(nil)
	c.send(map[string]any{"type": "csat", "cid": "r1", "score": 5})
	if f := c.next(); f.Type != "error" || f.Code != CodeNoChat || f.CID != "r1" {
		t.Fatalf("before a chat: %+v", f)
	}
	if _, err := h.store.Update(context.Background(), w.Session, func(m *session.Meta) error {
		m.LastChat = &session.Chat{Group: "mx-es", Agent: session.AgentRef{ID: "ana", Name: "Ana"}, Closed: time.Now()}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct{ frame, code string }{
		{`{"type":"csat","cid":"r1","score":0}`, CodeBadFrame},
		{`{"type":"csat","cid":"r1","score":6}`, CodeBadFrame},
		{`{"type":"csat","cid":"r1","score":4.5}`, CodeBadFrame},
		{`{"type":"csat","cid":"r1","score":"5"}`, CodeBadFrame},
		{`{"type":"csat","cid":"r1"}`, CodeBadFrame},
		{`{"type":"csat","cid":"r1","score":3,"comment":"` + strings.Repeat("x", 1025) + `"}`, CodeTooLarge},
		{`{"type":"csat","cid":"bad cid","score":3}`, CodeBadFrame},
	} {
		c.send(bad.frame)
		if f := c.next(); f.Type != "error" || f.Code != bad.code {
			t.Fatalf("%.60s: %+v", bad.frame, f)
		}
	}
	c.send(map[string]any{"type": "csat", "cid": "r1", "score": 4, "comment": "Rápido y amable"})
	if f := c.nextOK(); f.Type != "ok" || f.CID != "r1" || f.For != "csat" {
		t.Fatalf("answer %+v", f)
	}
	m, _ := h.store.Get(w.Session)
	if r := m.LastChat.Rating; r == nil || r.Score != 4 || r.Comment != "Rápido y amable" {
		t.Fatalf("stored %+v", m.LastChat)
	}
	// The same rating again (a retry) is ok; another is refused.
	c.send(map[string]any{"type": "csat", "cid": "r1", "score": 4})
	if f := c.nextOK(); f.Type != "ok" {
		t.Fatalf("retry %+v", f)
	}
	c.send(map[string]any{"type": "csat", "cid": "r2", "score": 1})
	if f := c.next(); f.Type != "error" || f.Code != CodeAlreadyRated || f.CID != "r2" {
		t.Fatalf("second rating %+v", f)
	}
}

func TestNoticeInMsgFrames(t *testing.T) {
	h := newHarness(t, nil, "")
	c := h.dial(nil)
	w := c.hello(nil)
	opens := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	if _, err := h.store.Post(context.Background(), session.Message{Session: w.Session, From: session.FromSystem, Text: "Volvemos el jue 09:00",
		Notice: &session.Notice{Kind: session.NoticeTeamClosed, OpensAt: opens, Group: "mx-es"}}); err != nil {
		t.Fatal(err)
	}
	c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Type, From string
		Notice     struct {
			Kind    string `json:"kind"`
			OpensAt string `json:"opens_at"`
			Group   string `json:"group"`
		}
	}
	if err := json.Unmarshal(data, &f); err != nil || f.Notice.Kind != "team_closed" || f.Notice.OpensAt != "2026-11-26T15:00:00Z" || f.Notice.Group != "mx-es" {
		t.Fatalf("%s %v", data, err)
	}
	// And on resume.
	c2 := h.dial(nil)
	c2.hello(map[string]any{"session": w.Session, "last_seq": 0})
	_, data, _ = c2.ws.ReadMessage()
	if !strings.Contains(string(data), `"notice":{"kind":"team_closed","opens_at":"2026-11-26T15:00:00Z","group":"mx-es"}`) {
		t.Fatalf("replayed %s", data)
	}
}
