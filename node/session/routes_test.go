package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestAddRouteBounded: every decision is kept, in order, up to MaxRoutes;
// past it the first and the latest stay and the rest are counted.
func TestAddRouteBounded(t *testing.T) {
	var m Meta
	const n = MaxRoutes + 7
	for i := range n {
		m.AddRoute(json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)))
		if i+1 == 3 && len(m.History()) != 3 {
			t.Fatalf("%d decisions kept of 3", len(m.History()))
		}
	}
	if len(m.Routes) != MaxRoutes || m.RoutesDropped != n-MaxRoutes {
		t.Fatalf("%d kept, %d dropped", len(m.Routes), m.RoutesDropped)
	}
	if string(m.Routes[0]) != `{"n":0}` || string(m.Routes[1]) != fmt.Sprintf(`{"n":%d}`, n-MaxRoutes+1) || string(m.Route) != fmt.Sprintf(`{"n":%d}`, n-1) || string(m.Routes[MaxRoutes-1]) != string(m.Route) {
		t.Fatalf("kept %s … %s, route %s", m.Routes[0], m.Routes[1], m.Route)
	}
	// A copy taken before an append does not see it (Meta copies share
	// the slice).
	c := m
	m.AddRoute(json.RawMessage(`{"n":"next"}`))
	if string(c.Routes[MaxRoutes-1]) != fmt.Sprintf(`{"n":%d}`, n-1) {
		t.Fatal("AddRoute changed a copy's history")
	}
}

// TestOldRecordRoutes: a record from before the history was kept decodes;
// its one decision is the history, and stays first when the next comes.
func TestOldRecordRoutes(t *testing.T) {
	var m Meta
	if err := json.Unmarshal([]byte(`{"id":"s1","customer":{},"created":"2026-11-23T16:00:00Z","last_active":"2026-11-23T16:00:00Z","last_seq":2,"route":{"outcome":"queued"}}`), &m); err != nil {
		t.Fatal(err)
	}
	if h := m.History(); len(h) != 1 || string(h[0]) != `{"outcome":"queued"}` {
		t.Fatalf("history %s", h)
	}
	m.AddRoute(json.RawMessage(`{"outcome":"assigned"}`))
	if len(m.Routes) != 2 || string(m.Routes[0]) != `{"outcome":"queued"}` {
		t.Fatalf("routes %s", m.Routes)
	}
}

// TestRoutesTravelToTheCore: the decisions are in the session's meta
// events, so a session resumed from the core's history keeps them.
func TestRoutesTravelToTheCore(t *testing.T) {
	s := openTest(t, Options{Outbox: true})
	id := mustCreate(t, s).ID
	for _, d := range []string{`{"outcome":"queued"}`, `{"outcome":"assigned"}`} {
		if _, err := s.Update(context.Background(), id, func(m *Meta) error { m.AddRoute(json.RawMessage(d)); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := s.OutboxBatch(0, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	meta, _, err := FromHistory(id, evs)
	if err != nil {
		t.Fatal(err)
	}
	if len(meta.Routes) != 2 || string(meta.Routes[0]) != `{"outcome":"queued"}` || string(meta.Route) != `{"outcome":"assigned"}` {
		t.Fatalf("resumed meta: routes %s, route %s", meta.Routes, meta.Route)
	}
}

// TestInspect: a closed store is read without opening it for writing,
// messages still in the log included; a store in use answers ErrLocked.
func TestInspect(t *testing.T) {
	path := t.TempDir() + "/s.db"
	s, err := Open(Options{Path: path, Shards: 2, CompactAt: 2, CompactChunk: 1}) // some compacted, some in the log
	if err != nil {
		t.Fatal(err)
	}
	id := mustCreate(t, s).ID
	for i := range 3 {
		submitWait(t, s, customerMsg(id, fmt.Sprint("c", i), fmt.Sprint("hi ", i)))
	}
	if _, err := s.Update(context.Background(), id, func(m *Meta) error { m.AddRoute(json.RawMessage(`{"outcome":"queued"}`)); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Inspect(path, 2, nil, id, 50*time.Millisecond); !errors.Is(err, ErrLocked) {
		t.Fatalf("while open: %v", err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	meta, msgs, err := Inspect(path, 2, nil, id, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if meta.ID != id || len(meta.Routes) != 1 || len(msgs) != 3 || msgs[2].Text != "hi 2" || meta.LastSeq != 3 {
		t.Fatalf("meta %+v, %d messages", meta, len(msgs))
	}
	if _, _, err := Inspect(path, 2, nil, "s_unknown", time.Second); !errors.Is(err, ErrNoSession) {
		t.Fatalf("unknown session: %v", err)
	}
}
