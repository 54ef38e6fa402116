package edgesync

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"
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
	if err := EnsureArchive(ctx, cjs, ArchiveOptions{Domains: []string{"edge-a", "edge-b"}}); err != nil {
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

// EnsureArchive is idempotent and keeps what is there: calling it for a
// new edge adds that edge's sources to the others', and the limits an
// operator set stay unless the call sets them. The archive of files has
// an age (72 hours by default, as files.ttl); one made before it had
// any gets that default.
func TestArchiveKeepsLimitsAndSources(t *testing.T) {
	core, _ := startCore(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	js, err := jetstream.New(connect(t, core))
	if err != nil {
		t.Fatal(err)
	}
	config := func(name string) jetstream.StreamConfig {
		t.Helper()
		st, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return st.CachedInfo().Config
	}
	domains := func(c jetstream.StreamConfig) []string {
		var out []string
		for _, s := range c.Sources {
			out = append(out, s.External.APIPrefix)
		}
		slices.Sort(out)
		return out
	}
	uploads := ObjectStream(UploadsArchive)
	if err := EnsureArchive(ctx, js, ArchiveOptions{Domains: []string{"edge-a"}}); err != nil {
		t.Fatal(err)
	}
	if c := config(uploads); c.MaxAge != DefaultUploadsMaxAge || c.MaxBytes != -1 {
		t.Fatalf("a new archive of files: max_age %v, max_bytes %d; want %v, -1", c.MaxAge, c.MaxBytes, DefaultUploadsMaxAge)
	}
	// An operator bounds both archives with the nats CLI.
	for name, set := range map[string]func(*jetstream.StreamConfig){
		Archive: func(c *jetstream.StreamConfig) { c.MaxAge, c.MaxBytes = 30*24*time.Hour, 5<<30 },
		uploads: func(c *jetstream.StreamConfig) { c.MaxBytes, c.MaxMsgSize = 10<<30, 1<<20 },
	} {
		c := config(name)
		set(&c)
		if _, err := js.UpdateStream(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	ab := []string{"$JS.edge-a.API", "$JS.edge-b.API"}
	for range 2 { // the second call changes nothing
		if err := EnsureArchive(ctx, js, ArchiveOptions{Domains: []string{"edge-b"}}); err != nil {
			t.Fatal(err)
		}
		a, u := config(Archive), config(uploads)
		if !slices.Equal(domains(a), ab) || !slices.Equal(domains(u), ab) {
			t.Fatalf("sources after adding edge-b: sessions %v, files %v; want %v", domains(a), domains(u), ab)
		}
		if a.MaxAge != 30*24*time.Hour || a.MaxBytes != 5<<30 || u.MaxBytes != 10<<30 || u.MaxMsgSize != 1<<20 || u.MaxAge != DefaultUploadsMaxAge {
			t.Fatalf("the operator's limits: sessions max_age %v max_bytes %d; files max_bytes %d max_msg_size %d max_age %v",
				a.MaxAge, a.MaxBytes, u.MaxBytes, u.MaxMsgSize, u.MaxAge)
		}
		if len(u.Sources[0].SubjectTransforms) != 1 {
			t.Fatalf("a source lost its subject transform: %+v", u.Sources[0])
		}
	}
	// Limits the call sets replace the operator's.
	if err := EnsureUploadsArchive(ctx, js, ArchiveOptions{UploadsMaxAge: 24 * time.Hour, UploadsMaxBytes: 2 << 30}); err != nil {
		t.Fatal(err)
	}
	if c := config(uploads); c.MaxAge != 24*time.Hour || c.MaxBytes != 2<<30 || !slices.Equal(domains(c), ab) {
		t.Fatalf("after setting limits: max_age %v, max_bytes %d, sources %v", c.MaxAge, c.MaxBytes, domains(c))
	}
	// An age shorter than the stream's de-duplication window shortens it.
	if err := EnsureUploadsArchive(ctx, js, ArchiveOptions{UploadsMaxAge: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	// An archive from before the age limit gets the default.
	c := config(uploads)
	c.MaxAge = 0
	if _, err := js.UpdateStream(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := EnsureUploadsArchive(ctx, js, ArchiveOptions{}); err != nil {
		t.Fatal(err)
	}
	if c := config(uploads); c.MaxAge != DefaultUploadsMaxAge {
		t.Fatalf("an archive without an age: max_age %v after the call, want %v", c.MaxAge, DefaultUploadsMaxAge)
	}
}

// What an edge deletes or expires goes from the core too: a deletion's
// marker hides the file at once, and every file goes at the archive's
// age, whatever the edge did.
func TestUploadsArchiveForgets(t *testing.T) {
	core, leafURL := startCore(t)
	edge := startLeaf(t, leafURL, "edge-a")
	waitLeafs(t, core, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // the polls below bound each wait; under load the whole test can pass a minute
	defer cancel()
	ejs, err := jetstream.New(connect(t, edge))
	if err != nil {
		t.Fatal(err)
	}
	up, err := ejs.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: Uploads, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	cjs, err := jetstream.New(connect(t, core))
	if err != nil {
		t.Fatal(err)
	}
	const age = 3 * time.Second
	if err := EnsureArchive(ctx, cjs, ArchiveOptions{Domains: []string{"edge-a"}, UploadsMaxAge: age}); err != nil {
		t.Fatal(err)
	}
	arch, err := cjs.ObjectStore(ctx, UploadsArchive)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"s1/fdeleted", "s1/fkept"} {
		if _, err := up.PutBytes(ctx, name, []byte("photo "+name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"s1/fdeleted", "s1/fkept"} {
		poll(t, name+" at the core", 30*time.Second, func() error {
			_, err := arch.GetInfo(ctx, name)
			return err
		})
	}
	if err := up.Delete(ctx, "s1/fdeleted"); err != nil {
		t.Fatal(err)
	}
	gone := func(name string) func() error {
		return func() error {
			// While a file ages out its chunks go before its meta: a read
			// then waits for chunks that never come, so each try is short.
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if _, err := arch.GetBytes(cctx, name); !errors.Is(err, jetstream.ErrObjectNotFound) {
				return fmt.Errorf("still readable (%v)", err)
			}
			return nil
		}
	}
	poll(t, "the edge's deletion at the core", 30*time.Second, gone("s1/fdeleted"))
	start := time.Now()
	poll(t, "the kept file to age out at the core", 30*time.Second, gone("s1/fkept"))
	if _, err := up.GetInfo(ctx, "s1/fkept"); err != nil {
		t.Fatalf("the edge lost its own file: %v", err)
	}
	t.Logf("the kept file aged out at the core %v after the deletion arrived (max_age %v)", time.Since(start).Round(100*time.Millisecond), age)
}
