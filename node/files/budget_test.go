package files

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// A session's files together hold at most MaxSessionBytes; an upload
// refused for it does not count.
func TestSessionBytes(t *testing.T) {
	idx := newMemIndex()
	h, base := serveWith(t, Options{Index: idx, MaxBytes: 64 << 10, MaxSessionBytes: 100 << 10, UploadsPerMinute: 600, IPFilesPerMinute: 600}, nil)
	tok := h.UploadToken("s_one")
	if resp, _ := post(t, base, tok, "a.pdf", pdfOf(60<<10)); resp.StatusCode != http.StatusCreated {
		t.Fatalf("first upload: %s", resp.Status)
	}
	resp, body := postRaw(t, base, tok, pdfOf(60<<10), nil)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "102400") {
		t.Fatalf("past max_session_bytes: %s %q, want 413 naming the limit", resp.Status, body)
	}
	if resp, _ := post(t, base, tok, "b.pdf", pdfOf(30<<10)); resp.StatusCode != http.StatusCreated {
		t.Fatalf("an upload that fits: %s", resp.Status)
	}
	if n := len(idx.sessions["s_one"]); n != 2 {
		t.Fatalf("the index holds %d files of s_one, want 2", n)
	}
}

// postRaw POSTs body with headers and returns the answer and its text.
func postRaw(t *testing.T, base, token string, body []byte, headers map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/v1/files", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, b.String()
}

// One client network's uploads share a budget whatever their sessions:
// files a minute and bytes an hour, 429 with Retry-After past either;
// another network has its own. A refused upload (415) gives its bytes
// back. (The client's address is what ClientIP says: here a header.)
func TestClientBudget(t *testing.T) {
	h, base := serveWith(t, Options{
		MaxBytes: 64 << 10, UploadsPerMinute: 600,
		IPFilesPerMinute: 5, IPBytesPerHour: 150 << 10,
		ClientIP: func(ctx *fasthttp.RequestCtx) string { return string(ctx.Request.Header.Peek("X-Test-Client")) },
	}, nil)
	from := func(ip string) map[string]string { return map[string]string{"X-Test-Client": ip} }
	// Bytes: two 60 KiB files from sessions of one network fit in 150
	// KiB, a third does not; a junk upload refused for its type costs
	// nothing; another network (an IPv6 /64 other than the first's) goes on.
	for i, sid := range []string{"s_a", "s_b"} {
		if resp, body := postRaw(t, base, h.UploadToken(sid), pdfOf(60<<10), from("2001:db8:1:1::1")); resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload %d: %s %s", i+1, resp.Status, body)
		}
	}
	if resp, _ := postRaw(t, base, h.UploadToken("s_c"), append([]byte("<html>"), make([]byte, 20<<10)...), from("2001:db8:1:1::2")); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("junk: %s", resp.Status)
	}
	resp, body := postRaw(t, base, h.UploadToken("s_c"), pdfOf(40<<10), from("2001:db8:1:1::3")) // the same /64
	retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != http.StatusTooManyRequests || retry < 1 || retry > 3600 || !strings.Contains(body, "an hour") {
		t.Fatalf("past ip_bytes_per_hour: %s, Retry-After %q, %q", resp.Status, resp.Header.Get("Retry-After"), body)
	}
	if resp, body := postRaw(t, base, h.UploadToken("s_c"), pdfOf(20<<10), from("2001:db8:1:1::3")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("what still fits (the junk's bytes given back): %s %s", resp.Status, body)
	}
	if resp, _ := postRaw(t, base, h.UploadToken("s_d"), pdfOf(60<<10), from("2001:db8:1:2::1")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("another network: %s", resp.Status)
	}
	// Files: the first network sent its 5 a minute (every attempt counts,
	// refused ones too).
	resp, body = postRaw(t, base, h.UploadToken("s_f"), pdfOf(10), from("2001:db8:1:1::5"))
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "5 files a minute") {
		t.Fatalf("past ip_files_per_minute: %s, Retry-After %q, %q", resp.Status, resp.Header.Get("Retry-After"), body)
	}
}

// The table of budgets is bounded: past max keys the least recently used
// goes (and starts again full), and a bucket refills at its rate.
func TestBucketsBounded(t *testing.T) {
	b := newBuckets(1, 2, 3) // a token a second, two at once, three keys
	now := time.Unix(1000, 0)
	for _, k := range []string{"a", "a"} {
		if _, ok := b.take(k, 1, now); !ok {
			t.Fatal("a's burst")
		}
	}
	if wait, ok := b.take("a", 1, now); ok || wait != time.Second {
		t.Fatalf("a past its burst: %v, %v; want a wait of 1s", ok, wait)
	}
	if _, ok := b.take("a", 1, now.Add(time.Second)); !ok {
		t.Fatal("a after a second")
	}
	for i := range 10_000 {
		b.take(strconv.Itoa(i), 1, now)
	}
	if n := b.len(); n != 3 {
		t.Fatalf("%d keys held, want at most 3", n)
	}
	if _, ok := b.take("a", 2, now.Add(time.Second)); !ok {
		t.Fatal("a, dropped from the table, starts again full")
	}
}

func TestNetwork(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":             "192.0.2.1",
		"::ffff:192.0.2.1":      "192.0.2.1",
		"2001:db8:a:b:c:d:e:f":  "2001:db8:a:b::/64",
		"2001:db8:a:b::1%eth0":  "2001:db8:a:b::/64",
		"not an address at all": "not an address at all",
	} {
		if got := network(in); got != want {
			t.Errorf("network(%q) = %q, want %q", in, got, want)
		}
	}
}
