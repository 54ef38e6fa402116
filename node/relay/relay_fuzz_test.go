package relay

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/routing"
	"github.com/edgedesk/edgedesk/node/session"
)

// FuzzRelayRequest sends any request another node could send (any op,
// any body) to a relay over a real store and router. It must never
// panic, and a session this node did not hand away — nor mirror — is
// never changed by it, whatever the request names.
func FuzzRelayRequest(f *testing.F) {
	st, err := session.Open(session.Options{Path: filepath.Join(f.TempDir(), "sessions.db")})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close(context.Background()) })
	rt, err := routing.New(routing.Options{Config: config.Routing{}, Store: RouterStore{Store: st}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(rt.Close)
	r := New(Options{Store: st, Router: rt, Node: "edge-a"})
	ctx := context.Background()
	mine, err := st.Create(ctx, session.Meta{Channel: "web"})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := st.Post(ctx, session.Message{Session: mine.ID, From: session.FromCustomer, CID: "c1", Text: "mine"}); err != nil {
		f.Fatal(err)
	}
	before, err := st.Messages(mine.ID, 0, 0)
	if err != nil {
		f.Fatal(err)
	}
	metaBefore, err := st.Get(mine.ID)
	if err != nil {
		f.Fatal(err)
	}
	sid := mine.ID
	for _, s := range []struct{ op, doc string }{
		{OpPost, `{"session":"` + sid + `","from":"agent","text":"x"}`},
		{OpPost, `{"session":"` + sid + `","from":"customer","text":"x"}`},
		{OpMeta, `{"session":"` + sid + `","meta":{"customer":{"id":"mallory"}}}`},
		{OpSignal, `{"session":"` + sid + `","kind":1}`},
		{OpHistory, `{"session":"` + sid + `","after":0}`},
		{OpMsgs, `[{"session":"` + sid + `","seq":2,"from":"customer","text":"x"}]`},
		{OpHandoff, `{"meta":{"id":"` + sid + `"},"messages":[{"session":"` + sid + `","seq":2,"text":"x"}]}`},
		{OpHandoff, `{"meta":{"id":"s-new"},"messages":[{"session":"s-new","seq":1,"from":"customer","text":"x"}]}`},
		{"nope", `{}`},
		{OpMsgs, `[`},
		{OpMsgs, `null`},
	} {
		f.Add(s.op, []byte(s.doc))
	}
	f.Fuzz(func(t *testing.T, op string, data []byte) {
		// Whatever session id the fuzzer finds, the relay knows only the
		// one created above; a request naming it is the attack.
		r.HandleRelay(ctx, "edge-b", op, data)
		after, err := st.Messages(sid, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(after, before) {
			t.Fatalf("%s %q changed a session not handed to edge-b: %d messages, were %d", op, data, len(after), len(before))
		}
		meta, err := st.Get(sid)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(meta)
		b, _ := json.Marshal(metaBefore)
		if string(a) != string(b) {
			t.Fatalf("%s %q changed the meta of a session not handed to edge-b:\n%s\nwas\n%s", op, data, a, b)
		}
	})
}

// FuzzPresence takes any value another node could put in the presence
// bucket. It never panics, what it announces is credited to the node
// whose key it came under (a document naming another node changes
// nothing of that node), and this node's own document stays its own.
func FuzzPresence(f *testing.F) {
	st, err := session.Open(session.Options{Path: filepath.Join(f.TempDir(), "sessions.db")})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close(context.Background()) })
	rt, err := routing.New(routing.Options{Config: config.Routing{}, Store: RouterStore{Store: st}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(rt.Close)
	r := New(Options{Store: st, Router: rt, Node: "edge-a"})
	f.Add([]byte(`{"node":"edge-b","at":"2026-12-03T10:00:00Z","groups":[{"name":"uk-en","languages":["en"],"agents":2}]}`))
	f.Add([]byte(`{"node":"edge-a","groups":[{"node":"edge-a","name":"mx-es"}]}`))
	f.Add([]byte(`{"groups":null}`))
	f.Add([]byte(`{"groups":[` + strings.Repeat(`{},`, 100) + `{}]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, value []byte) {
		r.Update("edge-b", value)
		r.mu.Lock()
		for _, g := range r.nodes["edge-b"].groups {
			if g.Node != "edge-b" {
				r.mu.Unlock()
				t.Fatalf("%q: a group of edge-b credited to %q", value, g.Node)
			}
		}
		_, other := r.nodes["edge-a"]
		r.mu.Unlock()
		if other {
			t.Fatalf("%q: this node's own entry came from edge-b", value)
		}
		var doc presenceDoc
		if err := json.Unmarshal(r.Local(), &doc); err != nil || doc.Node != "edge-a" {
			t.Fatalf("%q: own presence became %+v %v", value, doc, err)
		}
	})
}
