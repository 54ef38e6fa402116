package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/valyala/fasthttp"
)

//go:embed assets
var assets embed.FS

// Options configures a Handler.
type Options struct {
	// Demo serves the demo shop at /demo and /demo/ (and its files under
	// /demo/). Off, those paths are not handled (the node answers 404).
	Demo bool
	// NodeWS is the WebSocket URL the demo shop's widget connects to, for a
	// node behind a proxy that rewrites paths. Empty: the widget derives it
	// from its own src (same host, /v1/ws).
	NodeWS string
}

// I18nPath is where the widget's texts in a language live:
// I18nPath + "<lang>.json".
const I18nPath = "/widget/i18n/"

// Handler serves the embedded files. It is safe for concurrent use and
// never changes after New.
type Handler struct {
	files map[string]*file
}

// file is one served path, prepared at New.
type file struct {
	body, gz     []byte // gz is nil when compressing does not pay
	ctype, cache string
	etag, gzEtag string
	// staff: a page of the staff's (the console, the dashboard), which no other site may
	// frame or load scripts into.
	staff bool
}

// staffCSP keeps the console to its own files and its node's WebSocket,
// and out of other sites' frames (clickjacking a signed-in agent).
const staffCSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// New prepares every file: reads it from the embedded tree, gzips it and
// computes its ETags. It panics only if the embedded tree is broken, which
// the package's tests rule out.
func New(o Options) *Handler {
	h := &Handler{files: map[string]*file{}}
	h.add("/widget.js", must(assets.ReadFile("assets/widget.js")), "public, max-age=300")
	// The widget's texts in the languages it does not carry itself,
	// fetched by a widget whose customer reads one of them.
	fs.WalkDir(assets, "assets/i18n", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		h.add(I18nPath+path.Base(p), must(assets.ReadFile(p)), "public, max-age=3600")
		return nil
	})
	// The agent console: always served (agents sign in on any node). Its
	// files change with the node: revalidated on every load (ETags).
	h.add("/console", must(assets.ReadFile("assets/console/index.html")), "no-cache")
	h.add("/console/", must(assets.ReadFile("assets/console/index.html")), "no-cache")
	h.add("/console/console.js", must(assets.ReadFile("assets/console/console.js")), "no-cache")
	h.add("/console/console.css", must(assets.ReadFile("assets/console/console.css")), "no-cache")
	for _, p := range []string{"/console", "/console/", "/console/console.js", "/console/console.css"} {
		h.files[p].staff = true
	}
	// The supervisor dashboard, on every node: the page holds no data, the
	// admin API it reads checks the sign-in. no-cache: the page and its
	// script change together, revalidated by ETag.
	fs.WalkDir(assets, "assets/dashboard", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if body := must(assets.ReadFile(p)); path.Base(p) == "index.html" {
			h.add("/dashboard", body, "no-cache")
			h.add("/dashboard/", body, "no-cache")
			h.files["/dashboard"].staff, h.files["/dashboard/"].staff = true, true
		} else {
			h.add(strings.TrimPrefix(p, "assets"), body, "no-cache")
			h.files[strings.TrimPrefix(p, "assets")].staff = true
		}
		return nil
	})
	if !o.Demo {
		return h
	}
	fs.WalkDir(assets, "assets/demo", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body := must(assets.ReadFile(p))
		name := strings.TrimPrefix(p, "assets")
		if name == "/demo/index.html" {
			if o.NodeWS != "" {
				body = bytes.Replace(body, []byte(`data-node=""`), []byte(`data-node="`+html.EscapeString(o.NodeWS)+`"`), 1)
			}
			h.add("/demo", body, "no-cache")
			h.add("/demo/", body, "no-cache")
			return nil
		}
		h.add(name, body, "public, max-age=300")
		return nil
	})
	return h
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic("web: embedded assets: " + err.Error())
	}
	return b
}

func (h *Handler) add(name string, body []byte, cache string) {
	ctype := mime.TypeByExtension(path.Ext(name))
	switch {
	case strings.HasSuffix(name, ".js"):
		ctype = "application/javascript; charset=utf-8"
	case strings.HasSuffix(name, ".json"):
		ctype = "application/json" // not left to the system's mime.types: CORS depends on it
	case ctype == "":
		ctype = "text/html; charset=utf-8" // /demo, /demo/, /console, /console/
	}
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:8])
	f := &file{body: body, ctype: ctype, cache: cache, etag: `"` + tag + `"`, gzEtag: `"` + tag + `-gz"`}
	if !strings.HasPrefix(ctype, "image/") || strings.HasPrefix(ctype, "image/svg") {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		if b.Len() < len(body) {
			f.gz = b.Bytes()
		}
	}
	h.files[name] = f
}

// Serve answers GET and HEAD for the paths it owns (other methods get 405)
// and reports whether it handled the request; on false the caller routes it.
func (h *Handler) Serve(ctx *fasthttp.RequestCtx) bool {
	f := h.files[string(ctx.Path())]
	if f == nil {
		return false
	}
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Error("method not allowed", fasthttp.StatusMethodNotAllowed) // resets the headers: Allow after
		ctx.Response.Header.Set("Allow", "GET, HEAD")
		return true
	}
	body, etag := f.body, f.etag
	hdr := &ctx.Response.Header
	if f.gz != nil {
		hdr.Set("Vary", "Accept-Encoding")
		if ctx.Request.Header.HasAcceptEncoding("gzip") {
			body, etag = f.gz, f.gzEtag
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("ETag", etag)
	hdr.Set("Cache-Control", f.cache)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.SetContentType(f.ctype)
	if f.staff {
		hdr.Set("Content-Security-Policy", staffCSP)
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Referrer-Policy", "same-origin")
	} else if f.ctype == "application/javascript; charset=utf-8" || f.ctype == "application/json" {
		// Shops may load the widget with crossorigin and integrity (SRI),
		// and it fetches its texts from the node's origin.
		hdr.Set("Access-Control-Allow-Origin", "*")
	}
	if match(ctx.Request.Header.Peek("If-None-Match"), etag) {
		hdr.Del("Content-Encoding")
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return true
	}
	ctx.SetBody(body)
	return true
}

// match reports whether an If-None-Match value names etag (or is *).
func match(inm []byte, etag string) bool {
	for _, t := range strings.Split(string(inm), ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
