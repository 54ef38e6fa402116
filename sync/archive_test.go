package edgesync

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// startCore starts a core (JetStream domain "core") that takes leaf nodes
// and returns it with its leaf URL.
func startCore(t *testing.T) (*server.Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	leafAddr := ln.Addr().String()
	ln.Close()
	core, err := StartServer(ServerOptions{Name: "core", StoreDir: filepath.Join(t.TempDir(), "core"), LeafListen: leafAddr, Domain: "core"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(core.Shutdown)
	return core, "nats-leaf://" + leafAddr
}

// startLeaf starts an edge's embedded server as a leaf of the core at
// leafURL, with JetStream domain domain.
func startLeaf(t *testing.T, leafURL, domain string) *server.Server {
	t.Helper()
	s, err := StartServer(ServerOptions{Name: domain, StoreDir: filepath.Join(t.TempDir(), domain), Leaf: leafURL, Domain: domain})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

func connect(t *testing.T, s *server.Server) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect("", nats.InProcessServer(s))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// poll waits (up to limit) for cond, which returns nil once it holds.
func poll(t *testing.T, what string, limit time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitLeafs(t *testing.T, core *server.Server, n int) {
	t.Helper()
	poll(t, "the leaf links", 10*time.Second, func() error {
		l, err := core.Leafz(nil)
		if err != nil {
			return err
		}
		if len(l.Leafs) < n {
			return errors.New("not yet")
		}
		return nil
	})
}

// TestUploadsArchive: an upload on an edge (a leaf node with its own
// domain) reaches the core's UploadsArchive through its source, and reads
// back there by name with identical bytes and metadata: at the core, and
// from another edge through the core's domain.
func TestUploadsArchive(t *testing.T) {
	core, leafURL := startCore(t)
	edgeA, edgeB := startLeaf(t, leafURL, "edge-a"), startLeaf(t, leafURL, "edge-b")
	waitLeafs(t, core, 2)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	ajs, err := jetstream.New(connect(t, edgeA))
	if err != nil {
		t.Fatal(err)
	}
	up, err := ajs.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: Uploads, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	cjs, err := jetstream.New(connect(t, core))
	if err != nil {
		t.Fatal(err)
	}
	// The core's sources find the edge's bucket at once when it exists
	// (else the core retries a source after a few seconds).
	if err := EnsureArchive(ctx, cjs, []string{"edge-a", "edge-b"}); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 300_000) // three chunks
	rand.Read(data)
	const name = "s1/fabc"
	meta := jetstream.ObjectMeta{Name: name, Metadata: map[string]string{"mime": "image/png", "session": "s1"}}
	start := time.Now()
	if _, err := up.Put(ctx, meta, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}

	arch, err := cjs.ObjectStore(ctx, UploadsArchive)
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	poll(t, "the upload at the core", 30*time.Second, func() (err error) {
		got, err = arch.GetBytes(ctx, name)
		return err
	})
	t.Logf("the upload reached the core in %v", time.Since(start).Round(time.Millisecond))
	if !bytes.Equal(got, data) {
		t.Fatalf("the core's copy has %d bytes, differing from the %d uploaded", len(got), len(data))
	}
	info, err := arch.GetInfo(ctx, name)
	if err != nil || info.Metadata["mime"] != "image/png" || info.Size != uint64(len(data)) {
		t.Fatalf("info %+v, %v", info, err)
	}

	// Another edge reads it through the core's domain.
	bcore, err := jetstream.NewWithDomain(connect(t, edgeB), "core")
	if err != nil {
		t.Fatal(err)
	}
	barch, err := bcore.ObjectStore(ctx, UploadsArchive)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := barch.GetBytes(ctx, name); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("edge-b through the core: %d bytes, %v", len(got), err)
	}
}

// TestLeafLocal: what an edge publishes on its own streams' subjects
// stays on the edge; other subjects cross. A subscriber on another edge
// gets a marker published after them, and nothing before it.
func TestLeafLocal(t *testing.T) {
	core, leafURL := startCore(t)
	edgeA, edgeB := startLeaf(t, leafURL, "edge-a"), startLeaf(t, leafURL, "edge-b")
	waitLeafs(t, core, 2)
	b := connect(t, edgeB)
	// One channel for every subscription keeps the order of arrival
	// (separate handlers would each run on their own goroutine).
	got := make(chan *nats.Msg, 64)
	for _, subj := range []string{SubjectPrefix + ">", objectSubjects(Uploads), "edgedesk.marker"} {
		if _, err := b.ChanSubscribe(subj, got); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	a := connect(t, edgeA)
	// Interest crosses the core asynchronously: publish markers until one
	// arrives, then the edge-local subjects, then a last marker.
	poll(t, "edge-b's interest at edge-a", 10*time.Second, func() error {
		a.Publish("edgedesk.marker", nil)
		select {
		case <-got:
			return nil
		case <-time.After(50 * time.Millisecond):
			return errors.New("no marker yet")
		}
	})
	a.Publish(SubjectPrefix+"edge-a.s1.msg", []byte("{}"))
	a.Publish("$O."+Uploads+".C.nuid", []byte("chunk"))
	a.Publish("$O."+Uploads+".M.bmFtZQ==", []byte("{}"))
	a.Publish("edgedesk.marker", []byte("last"))
	// One publisher's messages arrive in order: whatever crossed comes
	// before the last marker.
	for {
		select {
		case m := <-got:
			switch {
			case m.Subject != "edgedesk.marker":
				t.Fatalf("edge-b got %s from edge-a", m.Subject)
			case string(m.Data) == "last":
				return
			} // a marker of the poll
		case <-time.After(10 * time.Second):
			t.Fatal("the last marker did not arrive")
		}
	}
}
