package session

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// echoResponder answers every message with "re: <text>", counts turns in
// the conversation state, notes every third turn and panics on "boom".
func echoResponder(t *Turn) {
	if t.Msg.Text == "boom" {
		panic("boom")
	}
	var st struct{ N int }
	if len(t.Conv) > 0 {
		json.Unmarshal(t.Conv, &st)
	}
	st.N++
	t.Conv, _ = json.Marshal(st)
	t.Replies = append(t.Replies, Message{Text: "re: " + t.Msg.Text, Intent: "echo", Confidence: 1})
	if st.N%3 == 0 {
		t.Notes = append(t.Notes, Note{Kind: "third", Attrs: map[string]string{"n": strconv.Itoa(st.N)}})
	}
	if t.Msg.Text == "bad reply" {
		t.Replies = append(t.Replies, Message{}) // empty: dropped
	}
}

type noteRecorder struct {
	countObserver
	mu    sync.Mutex
	notes []Note
}

func (r *noteRecorder) OnNote(n *Note) {
	r.mu.Lock()
	r.notes = append(r.notes, *n)
	r.mu.Unlock()
}

func TestRespondInSameCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s := openTest(t, Options{Path: path, Respond: echoResponder})
	ctx := context.Background()
	obs := &noteRecorder{}
	s.AddObserver(obs)
	sid := mustCreate(t, s).ID
	asker := &recorder{id: 7}
	s.Subscribe(sid, asker)

	var wg sync.WaitGroup
	var results []Result
	var mu sync.Mutex
	for i, text := range []string{"a", "b", "c", "boom", "bad reply", "d"} {
		wg.Add(1)
		err := s.Submit(ctx, customerMsg(sid, "c"+strconv.Itoa(i), text), 7, func(r Result) {
			mu.Lock()
			results = append(results, r)
			mu.Unlock()
			wg.Done()
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	// Replies are delivered just after the receipt (done): wait for the last.
	waitUntil(t, func() bool { asker.mu.Lock(); defer asker.mu.Unlock(); return len(asker.got) >= 5 })
	waitUntil(t, func() bool { return obs.n.Load() >= 11 })
	for _, r := range results {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		switch r.Msg.Text {
		case "boom":
			if len(r.Replies) != 0 {
				t.Errorf("a panicking responder's replies were stored: %+v", r.Replies)
			}
		default:
			if len(r.Replies) != 1 || r.Replies[0].Text != "re: "+r.Msg.Text || r.Replies[0].ReplyTo != r.Msg.Seq ||
				r.Replies[0].From != FromBot || r.Replies[0].Seq != r.Msg.Seq+1 {
				t.Errorf("%q: replies %+v", r.Msg.Text, r.Replies)
			}
		}
	}
	// The asker's own messages are not echoed to it, its answers are.
	if want := []uint64{2, 4, 6, 9, 11}; !equalSeqs(asker.got, want) {
		t.Errorf("asker got seqs %v, want %v", asker.got, want)
	}
	if len(obs.notes) != 1 || obs.notes[0].Kind != "third" || obs.notes[0].Session != sid || obs.notes[0].Seq != 5 {
		t.Errorf("notes %+v", obs.notes)
	}
	if obs.n.Load() != 11 {
		t.Errorf("observer saw %d messages, want 11", obs.n.Load())
	}

	// A resent cid is a duplicate: no second answer.
	r := submitWait(t, s, customerMsg(sid, "c0", "a"))
	if !r.Duplicate || len(r.Replies) != 0 {
		t.Fatalf("duplicate: %+v", r)
	}

	// Replies and state survive a restart.
	s.Close(ctx)
	s = openTest(t, Options{Path: path, Respond: echoResponder})
	msgs, err := s.Messages(sid, 0, 0)
	if err != nil || len(msgs) != 11 {
		t.Fatalf("after reopen: %d messages, %v", len(msgs), err)
	}
	meta, _ := s.Get(sid)
	if string(meta.Conv) != `{"N":5}` {
		t.Fatalf("conv after reopen = %s", meta.Conv)
	}
	r = submitWait(t, s, customerMsg(sid, "c9", "e"))
	if len(r.Replies) != 1 || r.Replies[0].Seq != 13 {
		t.Fatalf("after reopen: %+v", r)
	}
	if meta, _ = s.Get(sid); string(meta.Conv) != `{"N":6}` {
		t.Fatalf("conv = %s", meta.Conv)
	}
}

func submitWait(t *testing.T, s *Store, m Message) Result {
	t.Helper()
	ch := make(chan Result, 1)
	if err := s.Submit(context.Background(), m, 0, func(r Result) { ch <- r }); err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	return r
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; !cond(); i++ {
		if i == 500 {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func equalSeqs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
