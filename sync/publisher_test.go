package edgesync

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The tests that need a real outbox (the session store) — a core outage
// under load, the drain and edge-to-core benchmarks — are in
// node/corelink, which joins the two; these need only NATS.

// startEmbedded starts an in-process server with JetStream and the
// session stream, and returns a JetStream on it.
func startEmbedded(t testing.TB) jetstream.JetStream {
	t.Helper()
	srv, err := StartServer(ServerOptions{Name: "core", StoreDir: filepath.Join(t.TempDir(), "js")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := nats.Connect("", nats.InProcessServer(srv))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := EnsureStream(context.Background(), js, 1); err != nil {
		t.Fatal(err)
	}
	return js
}

// shardEvents lays out, as the session store commits them, the outbox of
// two shards: sessions sessions (each in shard i%2), each created (a meta
// event) and then sent msgs messages round-robin across the sessions.
// Keys count up per shard in commit order, so each shard's events of
// several sessions are interleaved.
func shardEvents(sessions, msgs int) [2][]Event {
	var out [2][]Event
	key := [2]uint64{}
	add := func(shard int, ev Event) {
		key[shard]++
		ev.Key, ev.Shard, ev.TS = key[shard], shard, time.Now()
		out[shard] = append(out[shard], ev)
	}
	sid := func(i int) string { return fmt.Sprintf("s_%02d.x", i) } // a '.' as session ids may hold
	for i := range sessions {
		add(i%2, Event{ID: sid(i) + ".meta." + fmt.Sprint(key[i%2]+1), Session: sid(i), Kind: KindMeta, Data: []byte(`{"id":"` + sid(i) + `"}`)})
	}
	seq := make([]uint64, sessions)
	for k := range msgs {
		i := k % sessions
		seq[i]++
		add(i%2, Event{ID: fmt.Sprintf("%s.%d", sid(i), seq[i]), Session: sid(i), Seq: seq[i], Kind: KindMessage, Data: []byte(fmt.Sprintf(`{"session":%q,"seq":%d,"text":"hi"}`, sid(i), seq[i]))})
	}
	return out
}

func TestParseSubject(t *testing.T) {
	ev := Event{Session: "s.1", Kind: KindMessage}
	node, sid, kind, ok := ParseSubject(Subject("edge1", &ev))
	if !ok || node != "edge1" || sid != "s.1" || kind != "msg" {
		t.Fatalf("got %q %q %q %v", node, sid, kind, ok)
	}
	for _, bad := range []string{"", "edgedesk.sessions.", "edgedesk.sessions.a.b", "edgedesk.sessions.a..msg", "other.a.b.c", "edgedesk.sessions.a.b.c.d"} {
		if _, _, _, ok := ParseSubject(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParseSubject(f *testing.F) {
	f.Add("edgedesk.sessions.edge1.s~1.msg")
	f.Fuzz(func(t *testing.T, subj string) {
		node, sid, kind, ok := ParseSubject(subj)
		if !ok {
			return
		}
		ev := Event{Session: sid, Kind: kind}
		if sid != "" && !strings.Contains(sid, "~") && Subject(node, &ev) != subj {
			t.Fatalf("%q → %q %q %q → %q", subj, node, sid, kind, Subject(node, &ev))
		}
	})
}

// TestStoredPrefix: after an acknowledgement was lost (or the node
// restarted before deleting), the publisher finds exactly which of the
// outbox's oldest events the stream holds, whatever the de-duplication
// window: the prefix in commit order, events of several sessions
// interleaved.
func TestStoredPrefix(t *testing.T) {
	js := startEmbedded(t)
	ctx := context.Background()
	p := NewPublisher(PublisherOptions{JS: js, Node: "edge1"})
	for shard, all := range shardEvents(16, 160) {
		if len(all) < 10 {
			t.Fatalf("shard %d: only %d events", shard, len(all))
		}
		sent := 0
		for _, upto := range []int{0, 1, 2, len(all) / 3, len(all)/3 + 1, len(all) - 1, len(all)} {
			if upto > sent {
				if err := p.sendBatch(ctx, all[sent:upto]); err != nil {
					t.Fatal(err)
				}
				sent = upto
			}
			got, err := p.stored(ctx, all)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != sent {
				t.Fatalf("shard %d: %d of %d events reported stored, %d sent", shard, len(got), len(all), sent)
			}
			for _, ev := range all[:sent] {
				if !got[ev.Key] {
					t.Fatalf("shard %d: sent event %s not reported stored", shard, ev.ID)
				}
			}
		}
		// After a restart more may be stored than one batch holds: a
		// session's last stored event lies past the batch.
		if got, err := p.stored(ctx, all[:len(all)/2]); err != nil || len(got) != len(all)/2 {
			t.Fatalf("shard %d: %d of the first %d reported stored (%v)", shard, len(got), len(all)/2, err)
		}
		// Sending a stored event again in a batch is refused whole.
		err := p.sendBatch(ctx, all[len(all)-2:])
		var apiErr *jetstream.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode != errDuplicate {
			t.Fatalf("resend: %v, want duplicate", err)
		}
	}
}

// TestFetchHistory: a session's events come back raw, in stream order,
// with their kind, seq, id and data; a session the stream does not hold,
// or an id that cannot be a subject token, is ErrNoHistory.
func TestFetchHistory(t *testing.T) {
	js := startEmbedded(t)
	ctx := context.Background()
	p := NewPublisher(PublisherOptions{JS: js, Node: "edge1"})
	shards := shardEvents(4, 20)
	for _, evs := range shards {
		if err := p.sendBatch(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	// The same session from another node (it moved): both come back.
	moved := Event{ID: "s_00.x.6", Session: "s_00.x", Seq: 6, Kind: KindMessage, Data: []byte(`{"seq":6}`)}
	p2 := NewPublisher(PublisherOptions{JS: js, Node: "edge2"})
	if err := p2.sendBatch(ctx, []Event{moved}); err != nil {
		t.Fatal(err)
	}
	want := []Event{}
	for _, ev := range shards[0] {
		if ev.Session == "s_00.x" {
			want = append(want, ev)
		}
	}
	want = append(want, moved)
	got, err := FetchHistory(ctx, js, Stream, "s_00.x")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Session != w.Session || g.Kind != w.Kind || g.Seq != w.Seq || g.ID != w.ID || string(g.Data) != string(w.Data) {
			t.Fatalf("event %d: got %+v, want %+v", i, g, w)
		}
	}
	for _, sid := range []string{"s_99", "s_*", "s_>", "", "a b", "s~1"} {
		if _, err := FetchHistory(ctx, js, Stream, sid); !errors.Is(err, ErrNoHistory) {
			t.Errorf("%q: %v, want ErrNoHistory", sid, err)
		}
	}
}

// TestRelayServeClose: a relay answers once served, refuses a second
// Serve, and stops answering on Close, which is idempotent.
func TestRelayServeClose(t *testing.T) {
	js := startEmbedded(t)
	nc := js.Conn()
	a, b := NewRelay(nc, "a", nil), NewRelay(nc, "b", nil)
	if err := b.Serve(relayFunc(func(_ context.Context, from, op string, data []byte) ([]byte, error) {
		if op == "fail" {
			return nil, errors.New("no")
		}
		return []byte(`"` + from + ":" + op + ":" + string(data) + `"`), nil
	})); err != nil {
		t.Fatal(err)
	}
	if err := b.Serve(nil); !errors.Is(err, ErrRelay) {
		t.Fatalf("second Serve: %v", err)
	}
	out, err := a.Request(t.Context(), "b", "ping", []byte("x"))
	if err != nil || string(out) != `"a:ping:x"` {
		t.Fatalf("request: %s %v", out, err)
	}
	if _, err := a.Request(t.Context(), "b", "fail", nil); !errors.Is(err, ErrRelay) || !strings.Contains(err.Error(), "no") {
		t.Fatalf("refused request: %v", err)
	}
	for range 2 {
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if _, err := a.Request(ctx, "b", "ping", nil); !errors.Is(err, ErrRelay) {
		t.Fatalf("after Close: %v", err)
	}
	if err := b.Serve(nil); !errors.Is(err, ErrRelay) {
		t.Fatalf("Serve after Close: %v", err)
	}
}

type relayFunc func(ctx context.Context, from, op string, data []byte) ([]byte, error)

func (f relayFunc) HandleRelay(ctx context.Context, from, op string, data []byte) ([]byte, error) {
	return f(ctx, from, op, data)
}
