package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// get runs one request through h the way the node mounts it: paths h does
// not handle get the node's 404.
func get(h *Handler, method, path string, hdr ...string) *fasthttp.Response {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(path)
	for i := 0; i+1 < len(hdr); i += 2 {
		ctx.Request.Header.Set(hdr[i], hdr[i+1])
	}
	if !h.Serve(&ctx) {
		ctx.Error("not found", fasthttp.StatusNotFound)
	}
	resp := &fasthttp.Response{}
	ctx.Response.CopyTo(resp)
	return resp
}

func TestWidgetJS(t *testing.T) {
	h := New(Options{})
	plain := get(h, "GET", "/widget.js")
	if plain.StatusCode() != 200 || string(plain.Header.ContentType()) != "application/javascript; charset=utf-8" {
		t.Fatalf("GET /widget.js: %d %s", plain.StatusCode(), plain.Header.ContentType())
	}
	if got := string(plain.Header.Peek("Cache-Control")); got != "public, max-age=300" {
		t.Errorf("Cache-Control %q", got)
	}
	if len(plain.Header.Peek("Content-Encoding")) != 0 || !bytes.Contains(plain.Body(), []byte("window")) {
		t.Errorf("without Accept-Encoding: encoding %q, body %.40q", plain.Header.Peek("Content-Encoding"), plain.Body())
	}
	if string(plain.Header.Peek("Vary")) != "Accept-Encoding" {
		t.Errorf("Vary %q", plain.Header.Peek("Vary"))
	}

	gz := get(h, "GET", "/widget.js", "Accept-Encoding", "br, gzip")
	if string(gz.Header.Peek("Content-Encoding")) != "gzip" {
		t.Fatalf("Accept-Encoding gzip: Content-Encoding %q", gz.Header.Peek("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.Body()))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(body, plain.Body()) {
		t.Fatalf("gunzipped body differs from the plain one (%v)", err)
	}
	etag, gzEtag := string(plain.Header.Peek("ETag")), string(gz.Header.Peek("ETag"))
	if etag == "" || etag == gzEtag {
		t.Fatalf("ETags %q and %q: want two, one per encoding", etag, gzEtag)
	}

	if r := get(h, "GET", "/widget.js", "If-None-Match", etag); r.StatusCode() != 304 || len(r.Body()) != 0 {
		t.Errorf("If-None-Match: %d with %d bytes", r.StatusCode(), len(r.Body()))
	}
	if r := get(h, "GET", "/widget.js", "If-None-Match", `"other"`); r.StatusCode() != 200 {
		t.Errorf("If-None-Match another tag: %d", r.StatusCode())
	}
	if r := get(h, "POST", "/widget.js"); r.StatusCode() != 405 || string(r.Header.Peek("Allow")) != "GET, HEAD" {
		t.Errorf("POST: %d Allow %q", r.StatusCode(), r.Header.Peek("Allow"))
	}
}

// The widget is the shop's first paint cost: its gzipped size is a budget
// enforced here, not a promise.
func TestWidgetSizeBudget(t *testing.T) {
	const budget = 12 << 10
	h := New(Options{})
	f := h.files["/widget.js"]
	t.Logf("widget.js: %d bytes, %d gzipped (budget %d)", len(f.body), len(f.gz), budget)
	if len(f.gz) > budget {
		t.Fatalf("widget.js gzipped is %d bytes, over the %d-byte budget", len(f.gz), budget)
	}
}

// TestConsole: the console is served whether or not the demo is on, as
// an HTML page with its script and stylesheet, no other site may frame
// it, and it stays within its size budget (agents open it on phones).
func TestConsole(t *testing.T) {
	const budget = 16 << 10 // the three files, gzipped
	for _, demo := range []bool{false, true} {
		h := New(Options{Demo: demo})
		total := 0
		for _, c := range []struct{ path, ctype, has string }{
			{"/console", "text/html; charset=utf-8", `data-edgedesk="login-email"`},
			{"/console/", "text/html; charset=utf-8", `<script src="/console/console.js" defer>`},
			{"/console/console.js", "application/javascript; charset=utf-8", "/v1/agent/ws"},
			{"/console/console.css", "text/css; charset=utf-8", ":focus-visible"},
		} {
			r := get(h, "GET", c.path)
			if r.StatusCode() != 200 || string(r.Header.ContentType()) != c.ctype || !bytes.Contains(r.Body(), []byte(c.has)) {
				t.Fatalf("demo %v: GET %s: %d %s", demo, c.path, r.StatusCode(), r.Header.ContentType())
			}
			if !strings.Contains(string(r.Header.Peek("Content-Security-Policy")), "frame-ancestors 'none'") || string(r.Header.Peek("X-Frame-Options")) != "DENY" {
				t.Errorf("GET %s: CSP %q, X-Frame-Options %q", c.path, r.Header.Peek("Content-Security-Policy"), r.Header.Peek("X-Frame-Options"))
			}
			if len(r.Header.Peek("Access-Control-Allow-Origin")) != 0 {
				t.Errorf("GET %s: the console's files are not for other sites (CORS %q)", c.path, r.Header.Peek("Access-Control-Allow-Origin"))
			}
			if c.path != "/console/" {
				total += len(h.files[c.path].gz)
			}
		}
		if r := get(h, "GET", "/console/other.js"); r.StatusCode() != 404 {
			t.Errorf("GET /console/other.js: %d", r.StatusCode())
		}
		if demo {
			t.Logf("console: %d bytes gzipped (budget %d)", total, budget)
			if total > budget {
				t.Fatalf("the console gzipped is %d bytes, over the %d-byte budget", total, budget)
			}
		}
	}
}

func TestDemo(t *testing.T) {
	off := New(Options{})
	for _, p := range []string{"/demo", "/demo/", "/demo/shop.css", "/demo/index.html"} {
		if r := get(off, "GET", p); r.StatusCode() != 404 {
			t.Errorf("demo off: GET %s answered %d, want 404", p, r.StatusCode())
		}
	}
	if r := get(off, "GET", "/elsewhere"); r.StatusCode() != 404 {
		t.Errorf("GET /elsewhere: %d", r.StatusCode())
	}

	on := New(Options{Demo: true})
	for _, p := range []string{"/demo", "/demo/"} {
		r := get(on, "GET", p)
		if r.StatusCode() != 200 || string(r.Header.ContentType()) != "text/html; charset=utf-8" {
			t.Fatalf("GET %s: %d %s", p, r.StatusCode(), r.Header.ContentType())
		}
		if !bytes.Contains(r.Body(), []byte(`<script src="/widget.js" async data-node=""`)) {
			t.Errorf("GET %s: the page lacks the widget snippet", p)
		}
	}
	if r := get(on, "GET", "/demo/shop.css", "Accept-Encoding", "gzip"); r.StatusCode() != 200 ||
		!strings.HasPrefix(string(r.Header.ContentType()), "text/css") || string(r.Header.Peek("Content-Encoding")) != "gzip" {
		t.Errorf("GET /demo/shop.css: %d %s %q", r.StatusCode(), r.Header.ContentType(), r.Header.Peek("Content-Encoding"))
	}
	if r := get(on, "HEAD", "/demo"); r.StatusCode() != 200 {
		t.Errorf("HEAD /demo: %d", r.StatusCode())
	}

	ws := New(Options{Demo: true, NodeWS: `wss://chat.example.com/v1/ws?a="b"`})
	if r := get(ws, "GET", "/demo"); !bytes.Contains(r.Body(), []byte(`data-node="wss://chat.example.com/v1/ws?a=&#34;b&#34;"`)) {
		t.Errorf("NodeWS is not in the demo's snippet (escaped)")
	}
}

// TestWidgetTexts: the texts the widget fetches for the languages it does
// not carry are served, with CORS, and each file has every key the
// widget's English texts have.
func TestWidgetTexts(t *testing.T) {
	js, err := assets.ReadFile("assets/widget.js")
	if err != nil {
		t.Fatal(err)
	}
	// The keys of the widget's built-in English texts.
	en := regexp.MustCompile(`(?s)\ben: \{(.*?)\},\n`).FindSubmatch(js)
	if en == nil {
		t.Fatal("no English texts in widget.js")
	}
	var keys []string
	for _, m := range regexp.MustCompile(`(\w+): '`).FindAllSubmatch(en[1], -1) {
		keys = append(keys, string(m[1]))
	}
	if len(keys) < 20 {
		t.Fatalf("found %d English keys", len(keys))
	}
	h := New(Options{})
	for _, lang := range []string{"it", "nl", "pl", "ru", "tr", "ko", "zh-Hant", "id", "vi", "th"} {
		resp := get(h, "GET", I18nPath+lang+".json")
		if resp.StatusCode() != 200 || string(resp.Header.Peek("Access-Control-Allow-Origin")) != "*" {
			t.Fatalf("%s: %d, CORS %q", lang, resp.StatusCode(), resp.Header.Peek("Access-Control-Allow-Origin"))
		}
		var texts map[string]string
		if err := json.Unmarshal(resp.Body(), &texts); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		for _, k := range keys {
			if texts[k] == "" {
				t.Errorf("%s: no %q", lang, k)
			}
		}
		if len(texts) != len(keys) {
			t.Errorf("%s: %d texts, the widget has %d keys", lang, len(texts), len(keys))
		}
	}
	if resp := get(h, "GET", I18nPath+"xx.json"); resp.StatusCode() != 404 {
		t.Errorf("an unknown language: %d", resp.StatusCode())
	}
}

// TestDashboard: the supervisor page is served on every node, demo or not,
// with its script and style, and makes no request to another origin.
func TestDashboard(t *testing.T) {
	h := New(Options{})
	for _, p := range []string{"/dashboard", "/dashboard/"} {
		r := get(h, "GET", p)
		if r.StatusCode() != 200 || string(r.Header.ContentType()) != "text/html; charset=utf-8" {
			t.Fatalf("GET %s: %d %s", p, r.StatusCode(), r.Header.ContentType())
		}
		if got := string(r.Header.Peek("Cache-Control")); got != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q", p, got)
		}
		for _, ref := range []string{`src="/dashboard/dashboard.js"`, `href="/dashboard/dashboard.css"`, `data-edgedesk="dashboard"`} {
			if !bytes.Contains(r.Body(), []byte(ref)) {
				t.Errorf("GET %s: the page lacks %s", p, ref)
			}
		}
	}
	for p, ctype := range map[string]string{"/dashboard/dashboard.js": "application/javascript; charset=utf-8", "/dashboard/dashboard.css": "text/css; charset=utf-8"} {
		r := get(h, "GET", p, "Accept-Encoding", "gzip")
		if r.StatusCode() != 200 || string(r.Header.ContentType()) != ctype || string(r.Header.Peek("Content-Encoding")) != "gzip" {
			t.Errorf("GET %s: %d %s %q", p, r.StatusCode(), r.Header.ContentType(), r.Header.Peek("Content-Encoding"))
		}
	}
	if r := get(h, "POST", "/dashboard"); r.StatusCode() != 405 {
		t.Errorf("POST /dashboard: %d", r.StatusCode())
	}
	// Every URL in the page's files is this node's: the SVG namespace
	// names a vocabulary, it is never fetched.
	external := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	for name, f := range dashboardFiles(t) {
		for _, m := range external.FindAllString(string(f), -1) {
			if m != "http://www.w3.org" {
				t.Errorf("%s refers to another origin: %s", name, m)
			}
		}
	}
}

// The dashboard opens on supervisors' laptops and phones, often on a
// shop's back-office connection: its gzipped size is a budget.
func TestDashboardSizeBudget(t *testing.T) {
	const budget = 16 << 10
	h := New(Options{})
	total := 0
	for _, p := range []string{"/dashboard", "/dashboard/dashboard.js", "/dashboard/dashboard.css"} {
		f := h.files[p]
		n := len(f.body)
		if f.gz != nil {
			n = len(f.gz)
		}
		t.Logf("%s: %d bytes, %d gzipped", p, len(f.body), n)
		total += n
	}
	if total > budget {
		t.Fatalf("the dashboard is %d bytes gzipped, over the %d-byte budget", total, budget)
	}
}

// TestDashboardHooks: the data-edgedesk hooks the page sets are the ones
// docs/DASHBOARD.md documents, no more, no fewer, and every tile metric
// of the doc is on the page.
func TestDashboardHooks(t *testing.T) {
	doc, err := os.ReadFile("../../docs/DASHBOARD.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z-]+)`").FindAllSubmatch(doc, -1) {
		documented[string(m[1])] = true
	}
	used := map[string]bool{}
	hook := regexp.MustCompile(`data-edgedesk['"]?\s*[:=]\s*['"]?([a-z-]+)`)
	var page []byte
	for _, f := range dashboardFiles(t) {
		page = append(page, f...)
		for _, m := range hook.FindAllSubmatch(f, -1) {
			used[string(m[1])] = true
		}
	}
	for name := range used {
		if !documented[name] {
			t.Errorf("hook %q is on the page but not in docs/DASHBOARD.md", name)
		}
	}
	for name := range documented {
		if !used[name] {
			t.Errorf("docs/DASHBOARD.md documents hook %q, the page has none", name)
		}
	}
	metrics := regexp.MustCompile("`data-metric`[^\n]*").Find(doc)
	if metrics == nil {
		t.Fatal("docs/DASHBOARD.md does not list the tiles' data-metric values")
	}
	for _, m := range regexp.MustCompile("`([a-z_]+)`").FindAllSubmatch(metrics, -1) {
		if name := string(m[1]); name != "data" && !bytes.Contains(page, []byte(`data-metric="`+name+`"`)) {
			t.Errorf("tile metric %q documented, not on the page", name)
		}
	}
}

func dashboardFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, name := range []string{"index.html", "dashboard.js", "dashboard.css"} {
		files[name] = must(assets.ReadFile("assets/dashboard/" + name))
	}
	return files
}
