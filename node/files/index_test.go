package files

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// memIndex is an Index in memory for the tests, as the node's sweeper
// would see it: every session exists but those in none.
type memIndex struct {
	mu       sync.Mutex
	sessions map[string][]File
	none     map[string]bool
}

func newMemIndex() *memIndex {
	return &memIndex{sessions: map[string][]File{}, none: map[string]bool{}}
}

func (m *memIndex) Update(_ context.Context, sid string, fn func([]File) ([]File, error)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.none[sid] {
		return fmt.Errorf("%w: %s", ErrNoSession, sid)
	}
	files, err := fn(m.sessions[sid])
	if err != nil {
		return err
	}
	m.sessions[sid] = files
	return nil
}

// expire removes sids and returns their files, as the node's sweeper
// hands them to DeleteSessions.
func (m *memIndex) expire(sids ...string) []SessionFiles {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []SessionFiles
	for _, sid := range sids {
		out = append(out, SessionFiles{Session: sid, Files: m.sessions[sid]})
		delete(m.sessions, sid)
	}
	return out
}

// listSpy is the node's real JetStream, counting the calls that list a
// bucket (List, and Watch, which List reads through).
type listSpy struct {
	jetstream.JetStream
	lists *atomic.Int32
}

func (s listSpy) CreateOrUpdateObjectStore(ctx context.Context, cfg jetstream.ObjectStoreConfig) (jetstream.ObjectStore, error) {
	obs, err := s.JetStream.CreateOrUpdateObjectStore(ctx, cfg)
	return listSpyStore{obs, s.lists}, err
}

func (s listSpy) ObjectStore(ctx context.Context, bucket string) (jetstream.ObjectStore, error) {
	obs, err := s.JetStream.ObjectStore(ctx, bucket)
	return listSpyStore{obs, s.lists}, err
}

type listSpyStore struct {
	jetstream.ObjectStore
	lists *atomic.Int32
}

func (s listSpyStore) List(ctx context.Context, opts ...jetstream.ListObjectsOpt) ([]*jetstream.ObjectInfo, error) {
	s.lists.Add(1)
	return s.ObjectStore.List(ctx, opts...)
}

func (s listSpyStore) Watch(ctx context.Context, opts ...jetstream.WatchOpt) (jetstream.ObjectWatcher, error) {
	s.lists.Add(1)
	return s.ObjectStore.Watch(ctx, opts...)
}

// Nothing lists the bucket: not New (a bucket of millions of tiny files
// would keep a node from starting), not an upload, not DeleteSessions,
// which deletes by the names the index kept. A session's quota is what
// the index holds, so a handler opened later counts it too.
func TestNoListing(t *testing.T) {
	var lists atomic.Int32
	idx := newMemIndex()
	h, base := serveWith(t, Options{Index: idx, MaxBytes: 64 << 10, MaxFilesPerSession: 2, UploadsPerMinute: 600}, nil)
	spy := h.o
	spy.JS = listSpy{h.o.JS, &lists}
	for _, sid := range []string{"s_one", "s_one", "s_two"} {
		if resp, _ := post(t, base, h.UploadToken(sid), "a.pdf", pdfOf(10)); resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload: %s", resp.Status)
		}
	}
	again, err := New(context.Background(), spy)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.reserve(context.Background(), "s_one", File{ID: "fx", Size: 1}); err != ErrSessionFull {
		t.Fatalf("s_one after a restart: %v, want ErrSessionFull", err)
	}
	expired := idx.expire("s_one")
	if err := again.DeleteSessions(context.Background(), expired); err != nil {
		t.Fatal(err)
	}
	for _, f := range expired[0].Files {
		if _, err := again.Stat(context.Background(), PathPrefix+"s_one/"+f.ID); err == nil {
			t.Errorf("s_one/%s outlived its session", f.ID)
		}
	}
	if n := lists.Load(); n != 0 {
		t.Fatalf("the bucket was listed %d times", n)
	}
}

// An upload token outlives nothing: a session the index does not have
// (expired since its token was issued) gets 410, and nothing is stored.
func TestUploadExpiredSession(t *testing.T) {
	idx := newMemIndex()
	h, base := serveWith(t, Options{Index: idx, MaxBytes: 64 << 10}, nil)
	idx.none["s_gone"] = true
	if resp, _ := post(t, base, h.UploadToken("s_gone"), "a.pdf", pdfOf(10)); resp.StatusCode != http.StatusGone {
		t.Fatalf("an expired session: %s, want 410", resp.Status)
	}
	if _, err := h.obs.List(t.Context()); err != jetstream.ErrNoObjectsFound {
		t.Fatalf("the bucket holds files: %v", err)
	}
}
