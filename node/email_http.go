package node

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/edgedesk/edgedesk/node/email/verify"
	"github.com/edgedesk/edgedesk/node/session"
)

// The widget's address verification endpoints (docs/EMAIL.md).
const (
	EmailVerifyPath  = "/v1/email/verify"
	EmailConfirmPath = "/v1/email/verify/confirm"
)

// emailVerifyRequest is the body of both endpoints.
type emailVerifyRequest struct {
	Session string `json:"session"`
	Email   string `json:"email"`
	Code    string `json:"code,omitempty"`
}

// serveEmailVerify is POST /v1/email/verify {session, email}: mail a code
// to the address the session's customer left (contact frame). The session
// id is the widget's capability, as on /v1/ws; only the session's own
// address can be sent a code, so the endpoint mails no address a contact
// frame (rate-limited) did not name.
func (n *Node) serveEmailVerify(ctx *fasthttp.RequestCtx) {
	req, meta, ok := n.emailVerifyRequest(ctx)
	if !ok {
		return
	}
	v := n.EmailVerifier()
	sctx, cancel := context.WithTimeout(context.Background(), n.cfg.Email.Relay.Timeout)
	defer cancel()
	err := v.Start(sctx, meta.ID, req.Email)
	switch {
	case errors.Is(err, verify.ErrTooSoon), errors.Is(err, verify.ErrBusy):
		jsonError(ctx, fasthttp.StatusTooManyRequests, err.Error())
		ctx.Response.Header.Set("Retry-After", "60")
	case err != nil:
		n.log.Warn("verification code not mailed", "session", meta.ID, "err", err)
		jsonError(ctx, fasthttp.StatusBadGateway, "the code could not be mailed; try again later")
	default:
		writeJSON(ctx, fasthttp.StatusAccepted, map[string]any{"sent": true, "expires_in": int(n.cfg.Email.Verify.CodeTTL / time.Second)})
	}
}

// serveEmailConfirm is POST /v1/email/verify/confirm {session, email,
// code}: the address is proven, and linked (Verifier.Link).
func (n *Node) serveEmailConfirm(ctx *fasthttp.RequestCtx) {
	req, meta, ok := n.emailVerifyRequest(ctx)
	if !ok {
		return
	}
	if req.Code == "" {
		jsonError(ctx, fasthttp.StatusBadRequest, "code is missing")
		return
	}
	v := n.EmailVerifier()
	linked, err := v.Confirm(ctx, meta.ID, req.Email, req.Code)
	switch {
	case errors.Is(err, verify.ErrWrongCode):
		jsonError(ctx, fasthttp.StatusBadRequest, err.Error())
	case errors.Is(err, verify.ErrNoCode):
		jsonError(ctx, fasthttp.StatusNotFound, "no code is pending for this address: ask for one")
	case errors.Is(err, verify.ErrExpired):
		jsonError(ctx, fasthttp.StatusGone, "the code expired: ask for a new one")
	case errors.Is(err, verify.ErrTooManyAttempts):
		jsonError(ctx, fasthttp.StatusTooManyRequests, "too many wrong codes: ask for a new one")
	case err != nil:
		n.log.Error("verified address not linked", "session", meta.ID, "err", err)
		jsonError(ctx, fasthttp.StatusInternalServerError, "the address is verified but could not be linked; try again")
	default:
		writeJSON(ctx, fasthttp.StatusOK, map[string]any{"verified": true, "linked": linked})
	}
}

// emailVerifyRequest checks the method, CORS, the body and the session
// for both endpoints, answering the request itself when it fails.
func (n *Node) emailVerifyRequest(ctx *fasthttp.RequestCtx) (emailVerifyRequest, session.Meta, bool) {
	var req emailVerifyRequest
	// Shops embed the widget from their own origin; the session id, not a
	// cookie, authorises the call. (Deferred: errors reset headers.)
	defer ctx.Response.Header.Set("Access-Control-Allow-Origin", "*")
	if ctx.IsOptions() {
		ctx.Response.Header.Set("Access-Control-Allow-Methods", "POST")
		ctx.Response.Header.Set("Access-Control-Allow-Headers", "Content-Type")
		ctx.Response.Header.Set("Access-Control-Max-Age", "600")
		ctx.SetStatusCode(fasthttp.StatusNoContent)
		return req, session.Meta{}, false
	}
	if !ctx.IsPost() {
		methodNotAllowed(ctx, "POST")
		return req, session.Meta{}, false
	}
	noStore(ctx)
	if n.EmailVerifier() == nil {
		jsonError(ctx, fasthttp.StatusNotFound, "email is off on this node (email.relay.host)")
		return req, session.Meta{}, false
	}
	dec := json.NewDecoder(strings.NewReader(string(ctx.PostBody())))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		jsonError(ctx, fasthttp.StatusBadRequest, "body: want {\"session\", \"email\"[, \"code\"]}: "+err.Error())
		return req, session.Meta{}, false
	}
	if !session.ValidID(req.Session) || req.Email == "" || len(req.Email) > 254 || len(req.Code) > 16 {
		jsonError(ctx, fasthttp.StatusBadRequest, "session, email or code malformed")
		return req, session.Meta{}, false
	}
	meta, err := n.store.Get(req.Session)
	if err != nil {
		jsonError(ctx, fasthttp.StatusNotFound, "no such session")
		return req, session.Meta{}, false
	}
	if !strings.EqualFold(meta.Customer.Email, req.Email) {
		jsonError(ctx, fasthttp.StatusConflict, "email is not the session's contact address: send a contact frame first")
		return req, session.Meta{}, false
	}
	return req, meta, true
}
