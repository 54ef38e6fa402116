package relay

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/routing"
	"github.com/edgedesk/edgedesk/node/session"
)

// newRelay is a relay over a real store and router; it sends nothing in
// these tests (Transport nil: the requests tested here are answered
// locally).
func newRelay(t *testing.T) (*Relay, *session.Store) {
	t.Helper()
	st, err := session.Open(session.Options{Path: filepath.Join(t.TempDir(), "sessions.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	rt, err := routing.New(routing.Options{Config: config.Routing{}, Store: RouterStore{Store: st}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)
	return New(Options{Store: st, Router: rt, Node: "edge-a"}), st
}

// handed creates a session whose chat this node handed to node (as its
// stored route says after a restart).
func handed(t *testing.T, st *session.Store, node string) string {
	t.Helper()
	ctx := context.Background()
	m, err := st.Create(ctx, session.Meta{Channel: "web"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update(ctx, m.ID, func(m *session.Meta) error {
		m.Conv = json.RawMessage(`{"human":{}}`)
		m.Route = json.RawMessage(`{"outcome":"relayed","node":"` + node + `"}`)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// TestServedBy: the customer's node takes requests about a chat only
// from the node serving it, for every op that concerns one.
func TestServedBy(t *testing.T) {
	r, st := newRelay(t)
	sid := handed(t, st, "edge-b")
	other, err := st.Create(context.Background(), session.Meta{Channel: "web"}) // not handed
	if err != nil {
		t.Fatal(err)
	}
	reqs := map[string]func(sid string) string{
		OpPost: func(sid string) string { return `{"session":"` + sid + `","from":"agent","text":"hola"}` },
		OpMeta: func(sid string) string { return `{"session":"` + sid + `","route":{"outcome":"assigned"}}` },
		OpSignal: func(sid string) string {
			return `{"session":"` + sid + `","kind":` + jsonKind(session.EventTyping) + `,"on":true}`
		},
		OpHistory: func(sid string) string { return `{"session":"` + sid + `","after":0}` },
	}
	ctx := context.Background()
	for op, doc := range reqs {
		t.Run(op, func(t *testing.T) {
			for _, c := range []struct{ sid, from string }{{sid, "edge-c"}, {other.ID, "edge-b"}, {"s_nosuch", "edge-b"}} {
				if _, err := r.HandleRelay(ctx, c.from, op, []byte(doc(c.sid))); !errors.Is(err, ErrNotServing) {
					t.Errorf("%s about %s from %s: %v, want ErrNotServing", op, c.sid, c.from, err)
				}
			}
			if _, err := r.HandleRelay(ctx, "", op, []byte(doc(sid))); !errors.Is(err, ErrNoSender) {
				t.Errorf("%s without its node: %v", op, err)
			}
			if _, err := r.HandleRelay(ctx, "edge-b", op, []byte(doc(sid))); err != nil {
				t.Errorf("%s from the serving node: %v", op, err)
			}
		})
	}
	// The refused post stored nothing; the serving node's did, with the
	// next seq.
	msgs, err := st.Messages(sid, 0, 0)
	if err != nil || len(msgs) != 1 || msgs[0].Text != "hola" || msgs[0].Seq != 1 {
		t.Fatalf("messages %+v %v", msgs, err)
	}
	if msgs, _ := st.Messages(other.ID, 0, 0); len(msgs) != 0 {
		t.Fatalf("a refused post was stored: %+v", msgs)
	}
	// The serving node's route is marked with that node.
	meta, _ := st.Get(sid)
	var d routing.Decision
	if err := json.Unmarshal(meta.Route, &d); err != nil || d.Node != "edge-b" || d.Outcome != "assigned" {
		t.Fatalf("route %s %v", meta.Route, err)
	}
}

// TestRequestsRefused: what a request may not carry, and requests this
// node does not know.
func TestRequestsRefused(t *testing.T) {
	r, st := newRelay(t)
	sid := handed(t, st, "edge-b")
	mine, err := st.Create(context.Background(), session.Meta{Channel: "web"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		name, op, doc string
		want          error
	}{
		{"unknown op", "nope", `{}`, ErrUnknownOp},
		{"customer message relayed", OpPost, `{"session":"` + sid + `","from":"customer","text":"x"}`, ErrBadRequest},
		{"signal of another kind", OpSignal, `{"session":"` + sid + `","kind":` + jsonKind(session.EventKind(99)) + `}`, ErrBadRequest},
		{"no messages", OpMsgs, `[]`, ErrBadRequest},
		{"messages to a session that is no mirror", OpMsgs, `[{"session":"` + mine.ID + `","seq":1,"from":"customer","text":"x"}]`, ErrNotServing},
		{"handoff over a session that is no mirror", OpHandoff, `{"meta":{"id":"` + mine.ID + `"},"messages":[]}`, ErrNotServing},
	} {
		if _, err := r.HandleRelay(ctx, "edge-b", c.op, []byte(c.doc)); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func jsonKind(k session.EventKind) string {
	b, _ := json.Marshal(k)
	return string(b)
}
