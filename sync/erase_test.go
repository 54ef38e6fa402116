package edgesync

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// PurgeSessions removes every event of the named sessions, whichever node
// published them, and nothing else; a stream that does not exist is no
// error. DeleteObjects deletes named objects and ignores missing ones.
func TestPurgeSessionsAndObjects(t *testing.T) {
	js := startEmbedded(t)
	ctx := context.Background()
	for _, subj := range []string{
		"edgedesk.sessions.edge-a.s_1.msg", "edgedesk.sessions.edge-a.s_1.meta", "edgedesk.sessions.edge-b.s_1.msg",
		"edgedesk.sessions.edge-a.s_2.msg", "edgedesk.sessions.edge-a.s_3.msg",
	} {
		if _, err := js.Publish(ctx, subj, []byte(`{"text":"x"}`)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := PurgeSessions(ctx, js, Stream, []string{"s_1", "s_2", "s_9"})
	if err != nil || n != 4 {
		t.Fatalf("purged %d: %v", n, err)
	}
	st, _ := js.Stream(ctx, Stream)
	info, _ := st.Info(ctx)
	if info.State.Msgs != 1 {
		t.Fatalf("%d messages left, want s_3's", info.State.Msgs)
	}
	if _, err := st.GetLastMsgForSubject(ctx, "edgedesk.sessions.edge-a.s_3.msg"); err != nil {
		t.Fatalf("s_3: %v", err)
	}
	if n, err := PurgeSessions(ctx, js, Archive, []string{"s_3"}); err != nil || n != 0 {
		t.Fatalf("no archive: %d %v", n, err)
	}
	if _, err := PurgeSessions(ctx, js, Stream, []string{""}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty id: %v", err)
	}

	obs, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: Uploads})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"s_1/f1", "s_3/f2"} {
		if _, err := obs.PutBytes(ctx, name, []byte("photo")); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := DeleteObjects(ctx, js, Uploads, []string{"s_1/f1", "s_1/gone"}); err != nil || n != 1 {
		t.Fatalf("deleted %d: %v", n, err)
	}
	if _, err := obs.GetInfo(ctx, "s_1/f1"); !errors.Is(err, jetstream.ErrObjectNotFound) {
		t.Fatalf("s_1/f1: %v", err)
	}
	if _, err := obs.GetInfo(ctx, "s_3/f2"); err != nil {
		t.Fatalf("s_3/f2: %v", err)
	}
	if n, err := DeleteObjects(ctx, js, UploadsArchive, []string{"s_1/f1"}); err != nil || n != 0 {
		t.Fatalf("no archive bucket: %d %v", n, err)
	}
}

type eraser struct {
	refuse
	mu  sync.Mutex
	got []Erasure
}

func (e *eraser) ApplyErase(_ context.Context, er Erasure) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, er)
	return nil
}

func (e *eraser) erasures() []Erasure {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Erasure(nil), e.got...)
}

type refuse struct{}

func (refuse) ApplyFAQ(string, []byte) error { return errors.New("no") }
func (refuse) ApplyRouting([]byte) error     { return errors.New("no") }
func (refuse) ApplyModel([]byte) error       { return errors.New("no") }

// An announcement reaches the watcher's Eraser; one whose content does
// not name the customer of its object is refused; an Applier that is not
// an Eraser ignores announcements.
func TestErasureAnnouncement(t *testing.T) {
	js := startEmbedded(t)
	e := &eraser{}
	u := NewUpdates(UpdatesOptions{JS: js, Applier: e})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if err := AnnounceErasure(ctx, js, Erasure{Customer: "c/1", Node: "edge-a", Sessions: []string{"s_1"}, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := AnnounceErasure(ctx, js, Erasure{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("no customer: %v", err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		if len(e.erasures()) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the announcement did not reach the Eraser")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if g := e.erasures()[0]; g.Customer != "c/1" || g.Node != "edge-a" || len(g.Sessions) != 1 {
		t.Fatalf("%+v", g)
	}
	if err := u.applyErase(ctx, ErasePrefix+"c/2", []byte(`{"customer":"c/1"}`)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("mismatched announcement: %v", err)
	}
	if err := u.applyErase(ctx, ErasePrefix+"c/2", []byte(`{`)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad JSON: %v", err)
	}
	plain := NewUpdates(UpdatesOptions{JS: js, Applier: refuse{}})
	if err := plain.applyErase(ctx, ErasePrefix+"c/1", []byte(`{"customer":"c/1"}`)); err != nil {
		t.Fatalf("a non-Eraser: %v", err)
	}
}

// FuzzErasureAnnouncement: whatever an object named erase/… holds, the
// decoder answers an error or an erasure of the customer the name says.
func FuzzErasureAnnouncement(f *testing.F) {
	f.Add("c1", []byte(`{"customer":"c1","node":"a","sessions":["s_1"],"at":"2026-01-01T00:00:00Z"}`))
	f.Add("c1", []byte(`{"customer":"c2"}`))
	f.Add("", []byte(`null`))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		e := &eraser{}
		u := &Updates{o: UpdatesOptions{Applier: e}}
		err := u.applyErase(context.Background(), ErasePrefix+name, data)
		if err == nil && len(e.got) == 1 && e.got[0].Customer != name {
			t.Fatalf("erase/%q applied as customer %q", name, e.got[0].Customer)
		}
		if err != nil && len(e.got) != 0 {
			t.Fatal("applied and refused")
		}
	})
}
