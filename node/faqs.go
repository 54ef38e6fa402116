package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/faq"
)

// FAQFile is the FAQ store's file name inside the data directory.
const FAQFile = "faq.db"

// ErrBadInput marks a FAQ file the CLI refused (the error names the lines).
var ErrBadInput = errors.New("node: bad input")

// ImportResult is what an import came to.
type ImportResult struct {
	Version uint64 `json:"version"`
	Entries int    `json:"entries"`
}

// openFAQ opens data_dir/faq.db and seeds it when it never had an import.
func openFAQ(cfg *config.Config, log *slog.Logger, timeout time.Duration) (*faq.Store, error) {
	st, err := faq.Open(filepath.Join(cfg.DataDir, FAQFile), faq.Options{Logger: log, OpenTimeout: timeout})
	if err != nil {
		if errors.Is(err, faq.ErrLocked) {
			return nil, fmt.Errorf("node: %s is in use by a running node (its admin API takes PUT /v1/admin/faq): %w", filepath.Join(cfg.DataDir, FAQFile), err)
		}
		return nil, fmt.Errorf("node: %w", err)
	}
	return st, nil
}

// seedFAQ imports faq.seed into a store that never had an import.
func seedFAQ(st *faq.Store, seed string, log *slog.Logger) error {
	if seed == "" || st.Version() > 0 {
		return nil
	}
	var r io.Reader
	f := faq.JSONL
	if seed == "demo" {
		r = bytes.NewReader(faq.Demo)
	} else {
		file, err := os.Open(seed)
		if err != nil {
			return fmt.Errorf("node: faq.seed: %w", err)
		}
		defer file.Close()
		r = file
		if f, err = faq.FormatFromPath(seed); err != nil {
			return fmt.Errorf("node: faq.seed %s: %w", seed, err)
		}
	}
	v, err := st.Import(r, f)
	if err != nil {
		return fmt.Errorf("node: faq.seed %s: %w", seed, err)
	}
	log.Info("FAQ seeded", "seed", seed, "version", v, "entries", st.Len())
	return nil
}

// ImportFAQ replaces the FAQ in cfg's data directory with the entries read
// from r (format by name: "jsonl" or "csv"; empty: from the file name).
// The node must not be running. Bad entries give an error wrapping
// ErrBadInput that names every bad line and field.
func ImportFAQ(cfg *config.Config, r io.Reader, name, format string) (ImportResult, error) {
	f, err := pickFormat(name, format)
	if err != nil {
		return ImportResult{}, err
	}
	st, err := openFAQ(cfg, slog.New(slog.DiscardHandler), time.Second)
	if err != nil {
		return ImportResult{}, err
	}
	defer st.Close()
	v, err := st.Import(r, f)
	if err != nil {
		if errors.Is(err, faq.ErrInvalid) {
			return ImportResult{}, fmt.Errorf("%w: %s: %w", ErrBadInput, name, err)
		}
		return ImportResult{}, err
	}
	return ImportResult{Version: v, Entries: st.Len()}, nil
}

// ExportFAQ writes the FAQ in cfg's data directory to w.
func ExportFAQ(cfg *config.Config, w io.Writer, name, format string) error {
	f, err := pickFormat(name, format)
	if err != nil {
		return err
	}
	st, err := openFAQ(cfg, slog.New(slog.DiscardHandler), time.Second)
	if err != nil {
		return err
	}
	defer st.Close()
	return st.Export(w, f)
}

func pickFormat(name, format string) (faq.Format, error) {
	if format != "" {
		f, err := faq.ParseFormat(format)
		if err != nil {
			return f, fmt.Errorf("%w: %w", ErrBadInput, err)
		}
		return f, nil
	}
	if name != "" && name != "-" {
		if f, err := faq.FormatFromPath(name); err == nil {
			return f, nil
		}
	}
	return faq.JSONL, nil
}

// staffClaims authenticates an admin API request: a staff token (HS256 with
// auth.staff_secret) in "Authorization: Bearer", whose role is one of
// roles. It writes the error answer and returns nil on failure.
func (n *Node) staffClaims(ctx *fasthttp.RequestCtx, roles ...string) *auth.Claims {
	if n.staff == nil {
		ctx.Error("admin API disabled: set auth.staff_secret (EDGEDESK_AUTH_STAFF_SECRET)\n", fasthttp.StatusForbidden)
		return nil
	}
	h := string(ctx.Request.Header.Peek("Authorization"))
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" {
		ctx.Error("missing bearer token: send Authorization: Bearer <staff JWT>\n", fasthttp.StatusUnauthorized)
		ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="edgedesk"`) // after Error, which resets headers
		return nil
	}
	c, err := n.staff.Verify(token)
	if err != nil {
		ctx.Error("invalid token: "+err.Error()+"\n", fasthttp.StatusUnauthorized)
		ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="edgedesk", error="invalid_token"`)
		return nil
	}
	for _, r := range roles {
		if c.Role == r {
			return c
		}
	}
	ctx.Error(fmt.Sprintf("role %q may not do this (needs %s)\n", c.Role, strings.Join(roles, " or ")), fasthttp.StatusForbidden)
	return nil
}

// serveAdminFAQ is /v1/admin/faq: GET exports, PUT (or POST) replaces the
// whole FAQ as a new version. The format is ?format=jsonl|csv, else the
// Content-Type (text/csv) on PUT or the Accept header on GET.
func (n *Node) serveAdminFAQ(ctx *fasthttp.RequestCtx) {
	c := n.staffClaims(ctx, "admin")
	if c == nil {
		return
	}
	format := string(ctx.QueryArgs().Peek("format"))
	switch string(ctx.Method()) {
	case fasthttp.MethodGet:
		if format == "" && bytes.Contains(ctx.Request.Header.Peek("Accept"), []byte("text/csv")) {
			format = "csv"
		}
		f, err := pickFormat("", format)
		if err != nil {
			ctx.Error(err.Error()+"\n", fasthttp.StatusBadRequest)
			return
		}
		var buf bytes.Buffer
		if err := n.faq.Export(&buf, f); err != nil {
			ctx.Error("export failed: "+err.Error()+"\n", fasthttp.StatusInternalServerError)
			return
		}
		ctx.SetContentType(contentType(f))
		ctx.Response.Header.Set("X-Edgedesk-Faq-Version", strconv.FormatUint(n.faq.Version(), 10))
		ctx.SetBody(buf.Bytes())
	case fasthttp.MethodPut, fasthttp.MethodPost:
		if format == "" && bytes.HasPrefix(ctx.Request.Header.ContentType(), []byte("text/csv")) {
			format = "csv"
		}
		f, err := pickFormat("", format)
		if err != nil {
			ctx.Error(err.Error()+"\n", fasthttp.StatusBadRequest)
			return
		}
		v, err := n.faq.Import(bytes.NewReader(ctx.PostBody()), f)
		var ie *faq.ImportError
		switch {
		case errors.As(err, &ie):
			writeJSON(ctx, fasthttp.StatusBadRequest, map[string]any{"error": "invalid FAQ: nothing changed", "errors": ie.Errs})
			return
		case errors.Is(err, faq.ErrInvalid):
			writeJSON(ctx, fasthttp.StatusBadRequest, map[string]any{"error": err.Error()})
			return
		case err != nil:
			ctx.Error("import failed: "+err.Error()+"\n", fasthttp.StatusInternalServerError)
			return
		}
		n.log.Info("FAQ imported through the admin API", "by", c.Subject, "version", v, "entries", n.faq.Len())
		writeJSON(ctx, fasthttp.StatusOK, ImportResult{Version: v, Entries: n.faq.Len()})
	default:
		ctx.Error("method not allowed: GET exports, PUT replaces\n", fasthttp.StatusMethodNotAllowed)
		ctx.Response.Header.Set("Allow", "GET, PUT, POST")
	}
}

func contentType(f faq.Format) string {
	if f == faq.CSV {
		return "text/csv; charset=utf-8"
	}
	return "application/x-ndjson; charset=utf-8"
}

func writeJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		ctx.Error(err.Error(), fasthttp.StatusInternalServerError)
		return
	}
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json; charset=utf-8")
	ctx.SetBody(append(b, '\n'))
}
