package node

// The merchant's translation glossary (node/translate): imported and
// exported by the CLI while the node is stopped (the glossary lives in
// translate.db, which a running node holds), and through the admin API
// (GET/PUT /v1/admin/glossary) while it runs. Both are audited.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
	bolt "go.etcd.io/bbolt"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/audit"
	"github.com/edgedesk/edgedesk/node/translate"
)

// GlossaryResult is what a glossary import came to.
type GlossaryResult struct {
	Version string `json:"version"`
	Terms   int    `json:"terms"`
}

func pickGlossaryFormat(name, format string) (translate.Format, error) {
	switch format {
	case "jsonl":
		return translate.JSONL, nil
	case "csv":
		return translate.CSV, nil
	case "":
	default:
		return "", fmt.Errorf("%w: format %q: want jsonl or csv", ErrBadInput, format)
	}
	if name != "" && name != "-" {
		if f, err := translate.FormatFromPath(name); err == nil {
			return f, nil
		}
	}
	return translate.JSONL, nil
}

// openGlossaryStore opens translate.db of cfg's data directory for the
// CLI: the cache and glossary file, without providers.
func openGlossaryStore(cfg *config.Config) (*translate.Service, error) {
	path := filepath.Join(cfg.DataDir, TranslateFile)
	s, err := translate.New(translate.Options{CachePath: path, OpenTimeout: time.Second, Logger: slog.New(slog.DiscardHandler)})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("node: %s is in use by a running node (its admin API takes PUT /v1/admin/glossary): %w", path, err)
	}
	return s, err
}

// ImportGlossary replaces the glossary in cfg's data directory with the
// terms read from r (format "jsonl" or "csv"; empty: from the file name).
// The node must not be running. Bad terms give an error wrapping
// ErrBadInput that names every bad line and field; nothing changes then.
func ImportGlossary(cfg *config.Config, r io.Reader, name, format string) (GlossaryResult, error) {
	f, err := pickGlossaryFormat(name, format)
	if err != nil {
		return GlossaryResult{}, err
	}
	terms, err := translate.ParseGlossary(r, f)
	if err != nil {
		return GlossaryResult{}, fmt.Errorf("%w: %s: %w", ErrBadInput, name, err)
	}
	s, err := openGlossaryStore(cfg)
	if err != nil {
		return GlossaryResult{}, err
	}
	defer s.Close()
	g, err := s.SetGlossary(terms)
	if err != nil {
		return GlossaryResult{}, err
	}
	return GlossaryResult{Version: g.Version(), Terms: len(terms)}, nil
}

// ExportGlossary writes the glossary in cfg's data directory to w.
func ExportGlossary(cfg *config.Config, w io.Writer, name, format string) error {
	f, err := pickGlossaryFormat(name, format)
	if err != nil {
		return err
	}
	s, err := openGlossaryStore(cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	return translate.WriteGlossary(w, s.Glossary().Terms(), f)
}

// serveAdminGlossary is /v1/admin/glossary: GET exports, PUT (or POST)
// replaces the whole glossary (and empties the translation cache). The
// format is ?format=jsonl|csv, else text/csv in Content-Type (PUT) or
// Accept (GET), else JSONL.
func (n *Node) serveAdminGlossary(ctx *fasthttp.RequestCtx) {
	c := n.staffClaims(ctx, "admin")
	if c == nil {
		return
	}
	if n.translator == nil {
		ctx.Error("translation is off: set translate.enabled and a provider\n", fasthttp.StatusNotFound)
		return
	}
	format := string(ctx.QueryArgs().Peek("format"))
	switch string(ctx.Method()) {
	case fasthttp.MethodGet:
		if format == "" && bytes.Contains(ctx.Request.Header.Peek("Accept"), []byte("text/csv")) {
			format = "csv"
		}
		f, err := pickGlossaryFormat("", format)
		if err != nil {
			ctx.Error(err.Error()+"\n", fasthttp.StatusBadRequest)
			return
		}
		var buf bytes.Buffer
		g := n.translator.Glossary()
		if err := translate.WriteGlossary(&buf, g.Terms(), f); err != nil {
			ctx.Error("export failed: "+err.Error()+"\n", fasthttp.StatusInternalServerError)
			return
		}
		ctx.SetContentType(glossaryContentType(f))
		ctx.Response.Header.Set("X-Edgedesk-Glossary-Version", g.Version())
		ctx.SetBody(buf.Bytes())
	case fasthttp.MethodPut, fasthttp.MethodPost:
		if format == "" && bytes.HasPrefix(ctx.Request.Header.ContentType(), []byte("text/csv")) {
			format = "csv"
		}
		f, err := pickGlossaryFormat("", format)
		if err != nil {
			ctx.Error(err.Error()+"\n", fasthttp.StatusBadRequest)
			return
		}
		terms, err := translate.ParseGlossary(bytes.NewReader(ctx.PostBody()), f)
		if err != nil {
			writeJSON(ctx, fasthttp.StatusBadRequest, map[string]any{"error": "invalid glossary: nothing changed", "errors": glossaryErrors(err)})
			return
		}
		g, err := n.translator.SetGlossary(terms)
		if err != nil {
			ctx.Error("import failed: "+err.Error()+"\n", fasthttp.StatusInternalServerError)
			return
		}
		n.log.Info("glossary imported through the admin API", "by", c.Subject, "version", g.Version(), "terms", len(terms))
		n.recordAudit(audit.Entry{Actor: c.Subject, Role: c.Role, Action: audit.ActionGlossaryImport, Target: "glossary " + g.Version(), From: n.clientAddr(ctx),
			Details: map[string]string{"terms": strconv.Itoa(len(terms)), "format": string(f)}})
		writeJSON(ctx, fasthttp.StatusOK, GlossaryResult{Version: g.Version(), Terms: len(terms)})
	default:
		ctx.Error("method not allowed: GET exports, PUT replaces\n", fasthttp.StatusMethodNotAllowed)
		ctx.Response.Header.Set("Allow", "GET, PUT, POST")
	}
}

// glossaryErrors lists a refused import's problems, each with its line
// and field.
func glossaryErrors(err error) []map[string]any {
	var out []map[string]any
	var walk func(error)
	walk = func(e error) {
		var ge *translate.GlossaryError
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		if errors.As(e, &ge) {
			out = append(out, map[string]any{"line": ge.Line, "field": ge.Field, "reason": ge.Reason})
			return
		}
		out = append(out, map[string]any{"reason": e.Error()})
	}
	walk(err)
	return out
}

func glossaryContentType(f translate.Format) string {
	if f == translate.CSV {
		return "text/csv; charset=utf-8"
	}
	return "application/x-ndjson; charset=utf-8"
}
