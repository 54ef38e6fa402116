package routing

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/node/session"
)

// TestCanned: the answers come in the customer's language; a variable the
// session has no value for stays as {{name}} for the agent, and is listed;
// once the customer wrote an order number it is filled in; the filter
// keeps matching answers only, and another agent's chat is refused.
func TestCanned(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	r, st := newRouter(t, testRouting(), clk)
	ana, _ := connectAgent(r, "ana", "Ana", "agent", []string{"mx-es"}, &sink{})
	bo, _ := connectAgent(r, "bo", "Bo", "agent", []string{"uk-en"}, &sink{})
	sue, _ := connectAgent(r, "sue", "Sue", "supervisor", nil, &sink{})
	id := escalate(t, r, st, "es-MX", "ayuda")
	waitFor(t, "ana has the chat", func() bool { return r.Owns(ana, id) })

	track := func(a *Agent, q string) Canned {
		t.Helper()
		lang, out, err := r.Canned(a, id, q)
		if err != nil || !strings.HasPrefix(lang, "es") { // the chat's language: es-MX from the locale here
			t.Fatalf("canned: lang %q, %v", lang, err)
		}
		for _, c := range out {
			if strings.HasPrefix(c.Intent, "_") {
				t.Fatalf("reserved intent offered: %+v", c)
			}
			if c.Intent == "track_order" {
				return c
			}
		}
		t.Fatalf("no track_order among %d answers for q %q", len(out), q)
		return Canned{}
	}
	c := track(ana, "")
	if c.Lang != "es" || !strings.Contains(c.Text, "Pedido #{{order_number}}") || !slices.Equal(c.Missing, []string{"order_number"}) {
		t.Fatalf("without an order number: %+v", c)
	}
	ctx := context.Background()
	if _, err := st.Post(ctx, session.Message{Session: id, From: session.FromCustomer, CID: "c2", Text: "es el 48213",
		Entities: []session.Entity{{Kind: "order_number", Value: "48213"}}}); err != nil {
		t.Fatal(err)
	}
	if c := track(sue, "PEDIDO"); !strings.HasPrefix(c.Text, "Pedido #48213") || len(c.Missing) != 0 {
		t.Fatalf("with the order number, a supervisor: %+v", c)
	}
	_, out, _ := r.Canned(ana, id, "zzzz-nothing")
	if len(out) != 0 {
		t.Fatalf("filter kept %d answers", len(out))
	}
	if _, _, err := r.Canned(bo, id, ""); err != ErrNotYours {
		t.Fatalf("another agent's chat: %v", err)
	}
}
