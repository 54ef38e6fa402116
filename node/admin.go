package node

// The admin API: HTTP handlers under /v1/admin/, authenticated with staff
// tokens (auth.staff_secret, or the key generated into the data directory).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/edgedesk/edgedesk/node/audit"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/faq"
)

// staffClaims authenticates an admin API request whose role is one of
// roles: a staff token (HS256 with the staff key) in "Authorization:
// Bearer" (API clients), or the sign-in cookie (auth.CookieName, pages of
// this node). A cookie-authenticated request that changes state must come
// from a page of this node (its Origin names this host): a cross-site form
// or fetch is refused. A sign-in token's account must still be enabled.
// A static API key (auth.api_keys) in "Authorization: Bearer" stands for
// a staff token with its role.
// It writes the error answer and returns nil on failure.
func (n *Node) staffClaims(ctx *fasthttp.RequestCtx, roles ...string) *auth.Claims {
	token, fromCookie := auth.StaffToken(string(ctx.Request.Header.Peek("Authorization")), string(ctx.Request.Header.Cookie(auth.CookieName)))
	if token == "" {
		ctx.Error("missing bearer token: send Authorization: Bearer <staff JWT>, or sign in\n", fasthttp.StatusUnauthorized)
		ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="edgedesk"`) // after Error, which resets headers
		return nil
	}
	if fromCookie && !safeMethod(ctx) && !auth.SameOrigin(string(ctx.Request.Header.Peek("Origin")), string(ctx.Host())) {
		ctx.Error("cross-site request refused: a signed-in page of this node must send it (Origin)\n", fasthttp.StatusForbidden)
		return nil
	}
	var (
		c   *auth.Claims
		err error
	)
	if !fromCookie {
		c = n.apiKeys.Match(token) // nil without auth.api_keys
	}
	if c == nil {
		c, err = n.staff.Verify(token)
	}
	if err != nil {
		ctx.Error("invalid token: "+err.Error()+"\n", fasthttp.StatusUnauthorized)
		ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="edgedesk", error="invalid_token"`)
		return nil
	}
	switch active, err := n.accountActive(c); {
	case err != nil:
		n.log.Error("admin API: account store", "err", err)
		ctx.Error("the account store could not be read; try again\n", fasthttp.StatusServiceUnavailable)
		return nil
	case !active:
		ctx.Error("invalid token: the account is disabled or removed, or its password changed since\n", fasthttp.StatusUnauthorized)
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

// safeMethod: GET, HEAD and OPTIONS change nothing.
func safeMethod(ctx *fasthttp.RequestCtx) bool {
	return ctx.IsGet() || ctx.IsHead() || ctx.IsOptions()
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
		n.recordAudit(audit.Entry{Actor: c.Subject, Role: c.Role, Action: audit.ActionFAQImport, Target: "faq v" + strconv.FormatUint(v, 10), From: n.clientAddr(ctx),
			Details: map[string]string{"entries": strconv.Itoa(n.faq.Len()), "format": faqFormatName(f)}})
		writeJSON(ctx, fasthttp.StatusOK, ImportResult{Version: v, Entries: n.faq.Len()})
	default:
		ctx.Error("method not allowed: GET exports, PUT replaces\n", fasthttp.StatusMethodNotAllowed)
		ctx.Response.Header.Set("Allow", "GET, PUT, POST")
	}
}

func faqFormatName(f faq.Format) string {
	if f == faq.CSV {
		return "csv"
	}
	return "jsonl"
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
