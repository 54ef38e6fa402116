package files

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/jpeg"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/valyala/fasthttp"

	edgesync "github.com/edgedesk/edgedesk/sync"
)

// serve runs a Handler on a real JetStream (an embedded nats-server) and a
// loopback HTTP listener.
func serve(t *testing.T, maxBytes int) (*Handler, string) {
	t.Helper()
	return serveWith(t, Options{MaxBytes: maxBytes}, nil)
}

// serveWith is serve with options o (JS and Signer are filled in) and, if
// tune is set, an HTTP server and listener it may change.
func serveWith(t *testing.T, o Options, tune func(*fasthttp.Server, net.Listener) net.Listener) (*Handler, string) {
	t.Helper()
	srv, err := edgesync.StartServer(edgesync.ServerOptions{Name: "files-test", StoreDir: filepath.Join(t.TempDir(), "nats")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	nc, err := nats.Connect("", nats.InProcessServer(srv))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	o.JS, _ = jetstream.New(nc)
	o.Signer = NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil)
	if o.Index == nil {
		o.Index = newMemIndex()
	}
	h, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
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
	if tune != nil {
		ln = tune(hs, ln)
	}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Shutdown() })
	return h, "http://" + ln.Addr().String()
}

func post(t *testing.T, base, token, name string, body []byte) (*http.Response, Attachment) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/v1/files", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "text/plain") // declared types are not trusted
	req.Header.Set("X-Edgedesk-Filename", name)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a Attachment
	json.NewDecoder(resp.Body).Decode(&a)
	return resp, a
}

func TestUploadAndServe(t *testing.T) {
	h, base := serve(t, 64<<10)
	photo := withMetadata(t, 6)
	resp, a := post(t, base, h.UploadToken("s_one"), "IMG_0042.HEIC.jpeg", photo)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %s", resp.Status)
	}
	if a.MIME != MIMEJPEG || a.Name != "IMG_0042.HEIC.jpg" || a.Size >= len(photo) || !strings.HasPrefix(a.URL, PathPrefix+"s_one/") {
		t.Fatalf("attachment %+v", a)
	}
	got, err := http.Get(base + a.URL)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(got.Body)
	got.Body.Close()
	if got.StatusCode != 200 || got.Header.Get("Content-Type") != MIMEJPEG || bytes.Contains(body.Bytes(), []byte("GPSDATA")) {
		t.Fatalf("GET %s: %s %s, %d bytes, metadata left: %v", a.URL, got.Status, got.Header.Get("Content-Type"), body.Len(), bytes.Contains(body.Bytes(), []byte("GPSDATA")))
	}
	if _, err := jpeg.Decode(&body); err != nil {
		t.Fatalf("served file does not decode: %v", err)
	}

	// The link is the capability: without its signature, or for another
	// session's file, nothing is served.
	stored, ok := h.Own("s_one", base+a.URL)
	if !ok || strings.Contains(stored, "?") {
		t.Fatalf("Own = %q, %v", stored, ok)
	}
	if _, ok := h.Own("s_two", a.URL); ok {
		t.Fatal("another session may attach this file")
	}
	for _, bad := range []string{"/metrics", "/v1/admin/faq", "/v1/files/s_one/../../v1/admin/faq", "/v1/files/s_one/a%2F..%2Fb", "/v1/files/s_one/", "/v1/files/s_one"} {
		if _, ok := h.Own("s_one", bad); ok {
			t.Errorf("Own accepted %q", bad)
		}
	}
	if got, ok := h.Own("s_one", "https://shop.example/photo.jpg"); !ok || got != "https://shop.example/photo.jpg" {
		t.Errorf("a link elsewhere: %q, %v", got, ok)
	}
	for _, u := range []string{stored, stored + "?exp=99999999999&sig=AAAA", strings.Replace(a.URL, "s_one", "s_two", 1)} {
		r, _ := http.Get(base + u)
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s: %s, want 403", u, r.Status)
		}
		r.Body.Close()
	}
	if fresh := h.Sign(stored); fresh == stored || !strings.HasPrefix(fresh, stored+"?exp=") {
		t.Fatalf("Sign(%q) = %q", stored, fresh)
	}

	for _, c := range []struct {
		name, token string
		body        []byte
		status      int
	}{
		{"no token", "", photo, 401},
		{"forged token", "u1.s_one.99999999999.AAAA", photo, 401},
		{"html", h.UploadToken("s_one"), []byte("<html><script>alert(1)</script>"), 415},
		{"svg", h.UploadToken("s_one"), []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 415},
		{"truncated jpeg", h.UploadToken("s_one"), photo[:len(photo)/2], 415},
		{"too large", h.UploadToken("s_one"), append([]byte("%PDF-1.4\n"), make([]byte, 64<<10)...), 413},
		{"empty", h.UploadToken("s_one"), nil, 400},
	} {
		resp, _ := post(t, base, c.token, "x.jpg", c.body)
		if resp.StatusCode != c.status {
			t.Errorf("%s: %s, want %d", c.name, resp.Status, c.status)
		}
	}
	pdf := []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	resp, a = post(t, base, h.UploadToken("s_one"), "../../etc/invoice.pdf", pdf)
	if resp.StatusCode != 201 || a.Name != "invoice.pdf" || a.MIME != MIMEPDF {
		t.Fatalf("pdf: %s %+v", resp.Status, a)
	}
	r, _ := http.Get(base + a.URL)
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Errorf("PDF served with Content-Disposition %q", cd)
	}
	r.Body.Close()
}

// A shop on another origin uploads from its page: the preflight and every
// answer, errors included, carry CORS headers.
func TestUploadCORS(t *testing.T) {
	_, base := serve(t, 1<<10)
	req, _ := http.NewRequest("OPTIONS", base+"/v1/files", nil)
	req.Header.Set("Origin", "https://shop.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization,x-edgedesk-filename")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "X-Edgedesk-Filename") {
		t.Fatalf("preflight: %s %v", resp.Status, resp.Header)
	}
	resp, _ = post(t, base, "forged", "x.jpg", []byte("x"))
	if resp.StatusCode != 401 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("error answer: %s, ACAO %q", resp.Status, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}

// A download is streamed from the object store as the client takes it:
// the server's write timeout bounds each chunk, not the whole file, so a
// slow client that keeps reading gets all of a large file.
func TestSlowDownload(t *testing.T) {
	const writeTimeout = 200 * time.Millisecond
	h, base := serveWith(t, Options{MaxBytes: 4 << 20, WriteTimeout: writeTimeout}, func(hs *fasthttp.Server, ln net.Listener) net.Listener {
		hs.WriteTimeout = writeTimeout
		return smallSendBuffer{ln}
	})
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0123456789abcdef"), 2<<20/16)...)
	resp, a := post(t, base, h.UploadToken("s_one"), "big.pdf", pdf)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %s", resp.Status)
	}
	// A client with a small receive buffer that reads 64 KiB every 20 ms:
	// the 2 MiB take about 650 ms, more than three write timeouts.
	small := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 8<<10) })
	}}
	client := &http.Client{Transport: &http.Transport{DialContext: small.DialContext}}
	got, err := client.Get(base + a.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	if got.StatusCode != 200 || got.ContentLength != int64(len(pdf)) {
		t.Fatalf("GET: %s, Content-Length %d", got.Status, got.ContentLength)
	}
	var body bytes.Buffer
	buf := make([]byte, 64<<10)
	for {
		n, err := io.ReadFull(got.Body, buf)
		body.Write(buf[:n])
		if err != nil {
			break
		}
		time.Sleep(20 * time.Millisecond) // a slow reader, not a wait for a condition
	}
	if !bytes.Equal(body.Bytes(), pdf) {
		t.Fatalf("got %d of %d bytes", body.Len(), len(pdf))
	}
}

// smallSendBuffer gives every accepted connection a small send buffer, so
// a download cannot hide in the kernel's buffers.
type smallSendBuffer struct{ net.Listener }

func (l smallSendBuffer) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(8 << 10)
	}
	return c, err
}

// Stat answers what the node stored, whatever a client declares.
func TestStat(t *testing.T) {
	h, base := serve(t, 64<<10)
	resp, a := post(t, base, h.UploadToken("s_one"), "IMG_1.jpg", withMetadata(t, 6))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %s", resp.Status)
	}
	stored, _ := h.Own("s_one", a.URL)
	got, err := h.Stat(context.Background(), stored)
	if err != nil || got != (Attachment{URL: stored, MIME: MIMEJPEG, Name: "IMG_1.jpg", Size: a.Size}) {
		t.Fatalf("Stat(%q) = %+v, %v; uploaded %+v", stored, got, err, a)
	}
	for _, bad := range []string{PathPrefix + "s_one/fnone", PathPrefix + "s_two/" + strings.TrimPrefix(stored, PathPrefix+"s_one/"), "https://shop.example/a.jpg"} {
		if _, err := h.Stat(context.Background(), bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("Stat(%q) = %v, want ErrNotFound", bad, err)
		}
	}
}

func pdfOf(n int) []byte {
	return append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{'x'}, n)...)
}

// A session holds at most MaxFilesPerSession files; a refused upload does
// not count, another session has its own; a handler opened later (a
// restarted node) counts what the index holds.
func TestFilesPerSession(t *testing.T) {
	h, base := serveWith(t, Options{MaxBytes: 64 << 10, MaxFilesPerSession: 3, UploadsPerMinute: 600}, nil)
	tok := h.UploadToken("s_one")
	if resp, _ := post(t, base, tok, "x.html", []byte("<html>")); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("html: %s", resp.Status)
	}
	for i := range 3 {
		if resp, _ := post(t, base, tok, "a.pdf", pdfOf(10)); resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload %d: %s", i+1, resp.Status)
		}
	}
	resp, _ := post(t, base, tok, "a.pdf", pdfOf(10))
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("fourth upload: %s, want 413", resp.Status)
	}
	if resp, _ := post(t, base, h.UploadToken("s_two"), "a.pdf", pdfOf(10)); resp.StatusCode != http.StatusCreated {
		t.Fatalf("another session: %s", resp.Status)
	}
	again, err := New(context.Background(), h.o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.reserve(context.Background(), "s_one", File{ID: "fnew", Size: 1}); !errors.Is(err, ErrSessionFull) {
		t.Fatalf("a new handler let s_one upload a fourth file: %v", err)
	}
}

// A session uploads at most UploadsPerMinute files at once, then one
// every 60/UploadsPerMinute seconds.
func TestUploadRate(t *testing.T) {
	h, base := serveWith(t, Options{MaxBytes: 64 << 10, UploadsPerMinute: 2}, nil)
	tok := h.UploadToken("s_one")
	for i := range 2 {
		if resp, _ := post(t, base, tok, "a.pdf", pdfOf(10)); resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload %d: %s", i+1, resp.Status)
		}
	}
	resp, _ := post(t, base, tok, "a.pdf", pdfOf(10))
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third upload: %s, Retry-After %q; want 429 with Retry-After", resp.Status, resp.Header.Get("Retry-After"))
	}
	if secs, _ := strconv.Atoi(resp.Header.Get("Retry-After")); secs < 1 || secs > 31 {
		t.Errorf("Retry-After %d s, want 1 to 31", secs)
	}
}

// The bucket has the configured size and TTL (also when it existed with
// others), and an upload past its size is refused with 507.
func TestStoreLimits(t *testing.T) {
	h, base := serveWith(t, Options{MaxBytes: 64 << 10, MaxTotalBytes: 100 << 10, TTL: 5 * time.Hour}, nil)
	check := func(maxBytes int64, ttl time.Duration) {
		t.Helper()
		st, err := h.o.JS.Stream(context.Background(), "OBJ_"+Bucket)
		if err != nil {
			t.Fatal(err)
		}
		if c := st.CachedInfo().Config; c.MaxBytes != maxBytes || c.MaxAge != ttl {
			t.Fatalf("bucket max_bytes %d, max_age %v; want %d, %v", c.MaxBytes, c.MaxAge, maxBytes, ttl)
		}
	}
	check(100<<10, 5*time.Hour)
	tok := h.UploadToken("s_one")
	if resp, _ := post(t, base, tok, "a.pdf", pdfOf(60<<10)); resp.StatusCode != http.StatusCreated {
		t.Fatalf("first upload: %s", resp.Status)
	}
	resp, _ := post(t, base, tok, "b.pdf", pdfOf(60<<10))
	if resp.StatusCode != http.StatusInsufficientStorage {
		t.Fatalf("upload past max_total_bytes: %s, want 507", resp.Status)
	}
	o := h.o
	o.MaxTotalBytes, o.TTL = 1<<20, time.Hour
	if _, err := New(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	check(1<<20, time.Hour)
}

// DeleteSessions deletes every file of the sessions named, and only
// theirs, and lets them upload again.
func TestDeleteSessions(t *testing.T) {
	idx := newMemIndex()
	h, base := serveWith(t, Options{Index: idx, MaxBytes: 64 << 10, MaxFilesPerSession: 2, UploadsPerMinute: 600}, nil)
	var one []string
	for range 2 {
		_, a := post(t, base, h.UploadToken("s_one"), "a.pdf", pdfOf(10))
		one = append(one, strings.Split(a.URL, "?")[0])
	}
	_, a := post(t, base, h.UploadToken("s_two"), "b.pdf", pdfOf(10))
	two := strings.Split(a.URL, "?")[0]
	ctx := context.Background()
	if err := h.DeleteSessions(ctx, idx.expire("s_none", "s_one")); err != nil {
		t.Fatal(err)
	}
	for _, stored := range one {
		if _, err := h.Stat(ctx, stored); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s after its session expired: %v", stored, err)
		}
	}
	if _, err := h.Stat(ctx, two); err != nil {
		t.Errorf("another session's file: %v", err)
	}
	if resp, _ := post(t, base, h.UploadToken("s_one"), "a.pdf", pdfOf(10)); resp.StatusCode != http.StatusCreated {
		t.Errorf("upload after the files were deleted: %s", resp.Status)
	}
}
