package files

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/valyala/fasthttp"

	edgesync "github.com/edgedesk/edgedesk/sync"
)

// TestBucketName: the bucket the core archives from each edge is the one
// files are kept in.
func TestBucketName(t *testing.T) {
	if Bucket != edgesync.Uploads {
		t.Fatalf("Bucket %q, edgesync.Uploads %q", Bucket, edgesync.Uploads)
	}
}

// serveHTTP serves h on a loopback listener and returns its base URL.
func serveHTTP(t *testing.T, h *Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &fasthttp.Server{MaxRequestBodySize: 16 << 20, Handler: func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/v1/files" {
			h.ServeUpload(ctx)
		} else {
			h.ServeFile(ctx)
		}
	}}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Shutdown() })
	return "http://" + ln.Addr().String()
}

func inProcess(t *testing.T, s *server.Server, domain string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect("", nats.InProcessServer(s))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if domain != "" {
		js, err := jetstream.NewWithDomain(nc, domain)
		if err != nil {
			t.Fatal(err)
		}
		return js
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// get GETs url and returns its status and body.
func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r.StatusCode, b
}

// startCore starts a core that accepts leaf nodes, in its own JetStream
// domain "core", and returns it with its leaf address.
func startCore(t *testing.T) (*server.Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	leafAddr := ln.Addr().String()
	ln.Close()
	core, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: filepath.Join(t.TempDir(), "core"), LeafListen: leafAddr, Domain: "core"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(core.Shutdown)
	return core, leafAddr
}

// startLeaf starts an edge joined to the core at leafAddr as a leaf node,
// in JetStream domain name.
func startLeaf(t *testing.T, leafAddr, name string) *server.Server {
	t.Helper()
	s, err := edgesync.StartServer(edgesync.ServerOptions{Name: name, StoreDir: filepath.Join(t.TempDir(), name), Leaf: "nats-leaf://" + leafAddr, Domain: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// waitLeafs waits until n leaf nodes are linked to core.
func waitLeafs(t *testing.T, core *server.Server, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if l, _ := core.Leafz(nil); len(l.Leafs) == n {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("%d leaf links did not come up", n)
		}
	}
}

// TestFromCore: nodes of one core serve each other's files through it,
// each with its own key. Node A and node B are leaf nodes (each its own
// JetStream domain; the core archives their uploads), node C a client of
// the core (its files in the core's own bucket). A file B or C does not
// hold is fetched from the core, with the bytes A stored; a file nowhere
// is a 404.
func TestFromCore(t *testing.T) {
	core, leafAddr := startCore(t)
	ctx := context.Background()
	node := func(name string, key byte, leaf bool) (*Handler, string) {
		js := inProcess(t, core, "")
		coreJS := js // a client of the core: one JetStream
		if leaf {
			s := startLeaf(t, leafAddr, name)
			js, coreJS = inProcess(t, s, ""), inProcess(t, s, "core")
		}
		h, err := New(ctx, Options{JS: js, Core: coreJS, Index: newMemIndex(), Signer: NewSigner(bytes.Repeat([]byte{key}, 32), nil)})
		if err != nil {
			t.Fatal(err)
		}
		return h, serveHTTP(t, h)
	}
	a, baseA := node("edge-a", 'a', true)
	b, baseB := node("edge-b", 'b', true)
	c, baseC := node("client-c", 'c', false)
	waitLeafs(t, core, 2)
	if err := edgesync.EnsureArchive(ctx, inProcess(t, core, ""), edgesync.ArchiveOptions{Domains: []string{"edge-a", "edge-b"}}); err != nil {
		t.Fatal(err)
	}

	upload := func(h *Handler, base, sid string) (stored string, data []byte) {
		t.Helper()
		resp, att := post(t, base, h.UploadToken(sid), "parcel.jpg", withMetadata(t, 6))
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload: %s", resp.Status)
		}
		stored, _ = h.Own(sid, att.URL)
		status, data := get(t, base+att.URL)
		if status != 200 {
			t.Fatalf("GET at its own node: %d", status)
		}
		return stored, data
	}
	fromA, dataA := upload(a, baseA, "s_a")
	fromC, dataC := upload(c, baseC, "s_c")

	// Sourcing is asynchronous: a node asked too early answers 404, and
	// the link works as soon as the file reaches the core.
	for _, r := range []struct {
		what, base, stored string
		h                  *Handler
		want               []byte
	}{
		{"B, a leaf, A's file from the core's archive", baseB, fromA, b, dataA},
		{"C, a client, A's file from the core's archive", baseC, fromA, c, dataA},
		{"B, a leaf, C's file from the core's bucket", baseB, fromC, b, dataC},
	} {
		link := r.h.Sign(r.stored)
		start := time.Now() // after the uploads
		for {
			status, got := get(t, r.base+link)
			if status == 200 {
				if !bytes.Equal(got, r.want) {
					t.Fatalf("%s: %d bytes, not the %d stored", r.what, len(got), len(r.want))
				}
				// A widget that reconnected to this node resends a
				// message with the file: Stat finds it at the core too,
				// as its node recorded it.
				want := Attachment{URL: r.stored, MIME: MIMEJPEG, Name: "parcel.jpg", Size: len(r.want)}
				if a, err := r.h.Stat(ctx, r.stored); err != nil || a != want {
					t.Fatalf("%s: Stat = %+v, %v; want %+v", r.what, a, err, want)
				}
				t.Logf("%s: served after %v", r.what, time.Since(start).Round(time.Millisecond))
				break
			}
			if status != http.StatusNotFound || time.Since(start) > 30*time.Second {
				t.Fatalf("%s: GET %s: %d", r.what, link, status)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Each node signs with its own key: A's link is not B's.
	if status, _ := get(t, baseB+a.Sign(fromA)); status != http.StatusForbidden {
		t.Fatalf("B served A's link: %d", status)
	}
	if status, _ := get(t, baseB+b.Sign(strings.Replace(fromA, "s_a/", "s_a/x", 1))); status != http.StatusNotFound {
		t.Fatalf("a file nowhere: %d", status)
	}
}

// lockedBuffer is a log sink that handlers on several goroutines write.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A leaf node whose core has no archive of its leaf nodes' files (nobody
// ran edgedesk core archive) answers 404 for other nodes' files, and
// says why once in its log, not at every request.
func TestNoArchiveWarnsOnce(t *testing.T) {
	core, leafAddr := startCore(t)
	edge := startLeaf(t, leafAddr, "edge-a")
	waitLeafs(t, core, 1)
	var logs lockedBuffer
	h, err := New(context.Background(), Options{JS: inProcess(t, edge, ""), Core: inProcess(t, edge, "core"), Index: newMemIndex(),
		Signer: NewSigner(bytes.Repeat([]byte{'a'}, 32), nil), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	base := serveHTTP(t, h)
	for _, f := range []string{"s_b/fone", "s_b/ftwo", "s_c/fthree"} {
		if status, _ := get(t, base+h.Sign(PathPrefix+f)); status != http.StatusNotFound {
			t.Fatalf("GET another node's %s: %d, want 404", f, status)
		}
	}
	if n := strings.Count(logs.String(), "edgedesk core archive"); n != 1 {
		t.Fatalf("%d warnings about the missing archive, want 1:\n%s", n, logs.String())
	}
}
