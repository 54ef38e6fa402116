package node

// Staff sign-in: POST /v1/auth/login puts a staff JWT in the HttpOnly,
// SameSite=Strict cookie auth.CookieName; GET /v1/auth/me says who is
// signed in and refreshes the cookie while a page is in use; POST
// /v1/auth/logout clears it. Accounts come from node/staff (staff.db in
// the data directory, managed with `edgedesk staff`).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"mime"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"

	"github.com/edgedesk/edgedesk/node/audit"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/gateway"
	"github.com/edgedesk/edgedesk/node/staff"
)

// signinIssuer is the iss of tokens this node's sign-in issues. Only they
// name an account of staff.db, so only they are checked against it (still
// enabled?) and refreshed; tokens the merchant's SSO mints with
// auth.staff_secret are trusted as they are until they expire.
const signinIssuer = "edgedesk/signin"

// Answers that must not tell an attacker anything: which of email and
// password was wrong, or whether the account exists.
const (
	msgWrongPassword = "wrong email or password"
	msgNotSignedIn   = "not signed in"
)

// maxLoginBody bounds a sign-in request's body: an email and a password
// (staff.MaxPasswordBytes) with room for JSON escapes.
const maxLoginBody = 8 << 10

// throttleCapacity bounds each sign-in throttle's table (accounts,
// addresses): some hundreds of kilobytes at most.
const throttleCapacity = 10000

// hashWait bounds how long a sign-in waits for a hashing slot before it is
// answered 503: under a flood the queue must not grow without end.
const hashWait = 5 * time.Second

// signin is the sign-in endpoints' state.
type signin struct {
	accounts   *staff.Store
	key        string
	ttl        time.Duration
	perAccount *staff.Throttle
	perAddress *staff.Throttle
	trust      gateway.Trust
	// trustProto: a proxy in front sets X-Forwarded-Proto and is trusted
	// to (routing.trust_headers x-forwarded-proto, cloudflare, cloudfront).
	trustProto bool
	log        *slog.Logger

	countMu   sync.Mutex
	counts    map[string]int // enabled accounts per group (staffCount)
	countedAt time.Time

	refused refusedLog // which refused sign-ins the audit log has had
}

// openSignin sets up staff authentication: the signing key (auth.staff_secret,
// else the key generated into the data directory), the verifier every staff
// endpoint uses, and the sign-in endpoints' state.
func (n *Node) openSignin() error {
	a := n.cfg.Auth
	key := a.StaffSecret
	if key == "" {
		var err error
		if key, err = staff.LoadKey(n.cfg.DataDir); err != nil {
			return fmt.Errorf("node: auth.staff_secret is empty and %w", err)
		}
		n.log.Info("staff tokens are signed with the node's own key (auth.staff_secret is empty)", "key_file", filepath.Join(n.cfg.DataDir, staff.KeyFile))
	}
	n.staff = auth.NewVerifier(key, a.ClockSkew, nil)
	staff.Warm()
	accounts := staff.NewStore(n.cfg.DataDir)
	// An unreadable staff.db must not keep customers' chats down: sign-in
	// answers 503 until it is fixed.
	if all, err := accounts.List(); err != nil {
		n.log.Error("staff accounts unreadable: sign-in will fail", "err", err)
	} else if len(all) == 0 {
		n.log.Info("no staff accounts yet: add one with edgedesk staff add to sign in to the console", "file", accounts.Path())
	}
	trust := gateway.ParseTrust(n.cfg.Routing.TrustHeaders)
	n.signin = &signin{
		accounts:   accounts,
		key:        key,
		ttl:        a.StaffSessionTTL,
		perAccount: staff.NewThrottle(a.LoginMaxFailures, a.LoginWindow, throttleCapacity, nil),
		perAddress: staff.NewThrottle(a.LoginMaxFailuresPerAddress, a.LoginWindow, throttleCapacity, nil),
		trust:      trust,
		log:        n.log.With("component", "signin"),
		trustProto: trust.Cloudflare || trust.CloudFront || slices.Contains(n.cfg.Routing.TrustHeaders, "x-forwarded-proto"),
	}
	return nil
}

// StaffSession is what /v1/auth/login and /v1/auth/me answer: who is
// signed in, and until when.
type StaffSession struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	Groups    []string  `json:"groups"`
	ExpiresAt time.Time `json:"expires_at"`
}

func sessionOf(c *auth.Claims) StaffSession {
	s := StaffSession{ID: c.Subject, Name: c.Name, Email: c.Email, Role: c.Role, Groups: c.Groups}
	if s.Groups == nil {
		s.Groups = []string{}
	}
	if c.ExpiresAt != nil {
		s.ExpiresAt = c.ExpiresAt.UTC()
	}
	return s
}

// serveLogin is POST /v1/auth/login.
func (n *Node) serveLogin(ctx *fasthttp.RequestCtx) {
	s := n.signin
	noStore(ctx)
	if !ctx.IsPost() {
		methodNotAllowed(ctx, "POST")
		return
	}
	// Login CSRF: a cross-site page must not sign the browser into an
	// account of its choosing. Browsers send Origin on every POST; API
	// clients send none.
	if crossSite(ctx) {
		jsonError(ctx, fasthttp.StatusForbidden, "cross-site sign-in refused: sign in from this node's own pages")
		return
	}
	email, password, status, msg := loginForm(ctx)
	if status != 0 {
		jsonError(ctx, status, msg)
		return
	}
	// A refused attempt checks no password, so it counts against neither
	// limit: a locked account does not use up its office's address budget.
	accountKey, addrKey := strings.ToLower(strings.TrimSpace(email)), s.addressKey(ctx)
	ok, wait := s.perAddress.Take(addrKey)
	if ok {
		if ok, wait = s.perAccount.Take(accountKey); !ok {
			s.perAddress.Refund(addrKey)
		}
	}
	if !ok {
		secs := int(math.Ceil(wait.Seconds()))
		n.log.Warn("sign-in refused: too many failures", "address", addrKey, "retry_after_s", secs)
		if s.refused.first(addrKey+"\x00"+accountKey, time.Now()) {
			n.recordAudit(audit.Entry{Actor: audit.Clean(accountKey, audit.MaxField), Action: audit.ActionSignInLocked, From: n.clientAddr(ctx),
				Details: map[string]string{"retry_after_s": strconv.Itoa(secs)}})
		}
		jsonError(ctx, fasthttp.StatusTooManyRequests, fmt.Sprintf("too many failed sign-ins; try again in %d s", secs))
		ctx.Response.Header.Set("Retry-After", strconv.Itoa(secs))
		return
	}
	hctx, cancel := context.WithTimeout(context.Background(), hashWait)
	defer cancel()
	a, err := s.accounts.Authenticate(hctx, email, password)
	switch {
	case errors.Is(err, staff.ErrWrongPassword):
		n.log.Info("sign-in failed", "address", addrKey)
		// The tried email is the actor: whose account is being guessed.
		n.recordAudit(audit.Entry{Actor: audit.Clean(accountKey, audit.MaxField), Action: audit.ActionSignInFailed, From: n.clientAddr(ctx)})
		jsonError(ctx, fasthttp.StatusUnauthorized, msgWrongPassword)
		return
	case err != nil:
		// Not the user's failure: give the attempts back.
		s.perAccount.Refund(accountKey)
		s.perAddress.Refund(addrKey)
		if errors.Is(err, staff.ErrBusy) {
			jsonError(ctx, fasthttp.StatusServiceUnavailable, "sign-in is busy; try again")
			ctx.Response.Header.Set("Retry-After", "1")
			return
		}
		n.log.Error("sign-in failed: account store", "err", err)
		jsonError(ctx, fasthttp.StatusServiceUnavailable, "sign-in unavailable: the account store could not be read")
		return
	}
	s.perAccount.Reset(accountKey)
	s.perAddress.Refund(addrKey)
	c, err := s.issue(ctx, a)
	if err != nil {
		n.log.Error("sign-in: signing the token", "err", err)
		jsonError(ctx, fasthttp.StatusInternalServerError, "sign-in failed: could not sign the token")
		return
	}
	n.log.Info("staff signed in", "id", a.ID, "role", a.Role, "address", addrKey)
	n.recordAudit(audit.Entry{Actor: a.ID, Role: a.Role, Action: audit.ActionSignIn, Target: a.Email, From: n.clientAddr(ctx)})
	writeJSON(ctx, fasthttp.StatusOK, sessionOf(c))
}

// serveLogout is POST /v1/auth/logout: it clears the cookie. The token
// itself stays valid until it expires (auth.staff_session_ttl): the node
// keeps no list of signed-out tokens.
func (n *Node) serveLogout(ctx *fasthttp.RequestCtx) {
	noStore(ctx)
	if !ctx.IsPost() {
		methodNotAllowed(ctx, "POST")
		return
	}
	token, fromCookie := auth.StaffToken(string(ctx.Request.Header.Peek("Authorization")), string(ctx.Request.Header.Cookie(auth.CookieName)))
	if crossSite(ctx) || (fromCookie && !auth.SameOrigin(string(ctx.Request.Header.Peek("Origin")), string(ctx.Host()))) {
		jsonError(ctx, fasthttp.StatusForbidden, "cross-site sign-out refused: a signed-in page of this node must send it (Origin)")
		return
	}
	n.signin.clearCookie(ctx)
	// Whoever the token names signed out; a sign-out without a valid
	// token changes nothing worth recording.
	if c, err := n.staff.Verify(token); err == nil && token != "" {
		n.recordAudit(audit.Entry{Actor: c.Subject, Role: c.Role, Action: audit.ActionSignOut, From: n.clientAddr(ctx)})
	}
	ctx.SetStatusCode(fasthttp.StatusNoContent)
}

// serveMe is GET /v1/auth/me: who the cookie (or bearer token) signs in.
// A sign-in token is checked against staff.db (a disabled or removed
// account is signed out) and, from a cookie past half its life, re-issued
// with the account's current name, role and groups.
func (n *Node) serveMe(ctx *fasthttp.RequestCtx) {
	s := n.signin
	noStore(ctx)
	if !ctx.IsGet() && !ctx.IsHead() {
		methodNotAllowed(ctx, "GET")
		return
	}
	token, fromCookie := auth.StaffToken(string(ctx.Request.Header.Peek("Authorization")), string(ctx.Request.Header.Cookie(auth.CookieName)))
	notSignedIn := func(msg string) {
		if fromCookie {
			s.clearCookie(ctx)
		}
		jsonError(ctx, fasthttp.StatusUnauthorized, msg)
	}
	c, err := n.staff.Verify(token)
	if err != nil {
		notSignedIn(msgNotSignedIn)
		return
	}
	if c.Issuer != signinIssuer {
		writeJSON(ctx, fasthttp.StatusOK, sessionOf(c)) // an SSO token: its claims are the truth
		return
	}
	a, err := s.accounts.ByID(c.Subject)
	switch {
	case errors.Is(err, staff.ErrNotFound), err == nil && a.Disabled:
		n.log.Info("signed out: account disabled or removed", "id", c.Subject)
		notSignedIn(msgNotSignedIn + ": the account is disabled or removed")
		return
	case err == nil && signedOut(c, a):
		notSignedIn(msgNotSignedIn + ": the password changed since; sign in again")
		return
	case err != nil:
		n.log.Error("sign-in check: account store", "err", err)
		jsonError(ctx, fasthttp.StatusServiceUnavailable, "the account store could not be read; try again")
		return
	}
	if fromCookie && halfSpent(c, time.Now()) {
		if c, err = s.issue(ctx, a); err != nil {
			n.log.Error("refresh: signing the token", "err", err)
			jsonError(ctx, fasthttp.StatusInternalServerError, "could not refresh the sign-in")
			return
		}
	}
	writeJSON(ctx, fasthttp.StatusOK, sessionOf(c))
}

// halfSpent reports whether more than half of c's life has passed.
func halfSpent(c *auth.Claims, now time.Time) bool {
	if c.ExpiresAt == nil || c.IssuedAt == nil {
		return true
	}
	life := c.ExpiresAt.Sub(c.IssuedAt.Time)
	return now.After(c.IssuedAt.Add(life / 2))
}

// issue signs a token for a and sets it as the cookie.
func (s *signin) issue(ctx *fasthttp.RequestCtx, a staff.Account) (*auth.Claims, error) {
	c := auth.Claims{Subject: a.ID, Name: a.Name, Email: a.Email, Role: a.Role, Groups: a.Groups}
	c.Issuer = signinIssuer
	tok, err := auth.Sign(s.key, c, s.ttl)
	if err != nil {
		return nil, err
	}
	// Sign stamped the times; read them back as a verifier would.
	var signed auth.Claims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &signed); err != nil {
		return nil, err
	}
	s.setCookie(ctx, tok, int(s.ttl/time.Second))
	return &signed, nil
}

// setCookie sets the sign-in cookie; maxAge < 0 deletes it (Max-Age=0).
func (s *signin) setCookie(ctx *fasthttp.RequestCtx, value string, maxAge int) {
	ck := fasthttp.AcquireCookie()
	defer fasthttp.ReleaseCookie(ck)
	ck.SetKey(auth.CookieName)
	ck.SetValue(value)
	ck.SetPath("/")
	ck.SetMaxAge(maxAge)
	ck.SetHTTPOnly(true)
	ck.SetSameSite(fasthttp.CookieSameSiteStrictMode)
	ck.SetSecure(s.overTLS(ctx))
	ctx.Response.Header.SetCookie(ck)
}

func (s *signin) clearCookie(ctx *fasthttp.RequestCtx) { s.setCookie(ctx, "", -1) }

// overTLS reports whether the browser reached the node over HTTPS: its
// own TLS, or a trusted proxy that terminated TLS and says so. Only then
// is the cookie Secure: over plain HTTP (make run) a Secure cookie would
// never come back.
func (s *signin) overTLS(ctx *fasthttp.RequestCtx) bool {
	if ctx.IsTLS() {
		return true
	}
	if !s.trustProto {
		return false
	}
	h := &ctx.Request.Header
	return strings.EqualFold(strings.TrimSpace(string(h.Peek("X-Forwarded-Proto"))), "https") ||
		(s.trust.CloudFront && strings.EqualFold(strings.TrimSpace(string(h.Peek("CloudFront-Forwarded-Proto"))), "https"))
}

// addressKey is the throttle's key for the client: its IPv4 address, or
// the /64 of its IPv6 address (one subscriber commonly holds a whole /64,
// so per address would be per attempt).
func (s *signin) addressKey(ctx *fasthttp.RequestCtx) string {
	ip := gateway.ClientIP(ctx, s.trust)
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a = a.Unmap(); a.Is6() {
		p, _ := a.Prefix(64) // cannot fail for an IPv6 address and 64
		return p.String()
	}
	return a.String()
}

// loginForm reads email and password from a JSON or form body. status is
// non-zero, with a message, when the request is malformed.
func loginForm(ctx *fasthttp.RequestCtx) (email, password string, status int, msg string) {
	body := ctx.PostBody()
	if len(body) > maxLoginBody {
		return "", "", fasthttp.StatusRequestEntityTooLarge, fmt.Sprintf("body too large: want at most %d bytes", maxLoginBody)
	}
	mt, _, _ := mime.ParseMediaType(string(ctx.Request.Header.ContentType()))
	switch mt {
	case "application/json":
		var f struct{ Email, Password string }
		if err := json.Unmarshal(body, &f); err != nil {
			return "", "", fasthttp.StatusBadRequest, `body: want JSON {"email":"…","password":"…"}`
		}
		email, password = f.Email, f.Password
	case "application/x-www-form-urlencoded":
		args := ctx.PostArgs()
		email, password = string(args.Peek("email")), string(args.Peek("password"))
	default:
		return "", "", fasthttp.StatusUnsupportedMediaType, "Content-Type: want application/json or application/x-www-form-urlencoded"
	}
	switch {
	case strings.TrimSpace(email) == "":
		return "", "", fasthttp.StatusBadRequest, "email is required"
	case password == "":
		return "", "", fasthttp.StatusBadRequest, "password is required"
	case len(email) > 254:
		return "", "", fasthttp.StatusBadRequest, "email: want at most 254 bytes"
	}
	return email, password, 0, ""
}

// crossSite reports a browser request sent by another site's page: an
// Origin that is not this host, or Sec-Fetch-Site: cross-site.
func crossSite(ctx *fasthttp.RequestCtx) bool {
	origin := string(ctx.Request.Header.Peek("Origin"))
	if origin != "" && !auth.SameOrigin(origin, string(ctx.Host())) {
		return true
	}
	return string(ctx.Request.Header.Peek("Sec-Fetch-Site")) == "cross-site"
}

func jsonError(ctx *fasthttp.RequestCtx, status int, msg string) {
	writeJSON(ctx, status, map[string]string{"error": msg})
}

func methodNotAllowed(ctx *fasthttp.RequestCtx, allow string) {
	jsonError(ctx, fasthttp.StatusMethodNotAllowed, "method not allowed: want "+allow)
	ctx.Response.Header.Set("Allow", allow)
}

// noStore keeps answers naming the signed-in person out of caches.
func noStore(ctx *fasthttp.RequestCtx) { ctx.Response.Header.Set("Cache-Control", "no-store") }

// staffHeaders are on every answer of /v1/auth/ and /v1/admin/, set after
// the handler (ctx.Error resets the headers set before it): they name
// staff, customers and their messages, so no cache keeps them, and no
// browser reads them as anything but their Content-Type.
func staffHeaders(ctx *fasthttp.RequestCtx) {
	noStore(ctx)
	ctx.Response.Header.Set("X-Content-Type-Options", "nosniff")
}

// accountActive reports whether a sign-in token's account may still act:
// it exists, is enabled, and has not been signed out (password changed,
// disabled) since the token was issued. Tokens of other issuers (SSO)
// are not checked.
func (n *Node) accountActive(c *auth.Claims) (bool, error) {
	if c.Issuer != signinIssuer {
		return true, nil
	}
	a, err := n.signin.accounts.ByID(c.Subject)
	if errors.Is(err, staff.ErrNotFound) {
		return false, nil
	}
	return err == nil && !a.Disabled && !signedOut(c, a), err
}

// signedOut reports whether c was issued before a's SignedOut (a token
// without iat counts as issued then: it cannot be shown to be newer).
func signedOut(c *auth.Claims, a staff.Account) bool {
	if c.IssuedAt == nil {
		return !a.SignedOut.IsZero()
	}
	return a.IssuedBefore(c.IssuedAt.Time)
}

// staffCountTTL is how long the staffing forecast reuses a count of
// accounts: a live dashboard asks every second, and each count opens
// staff.db.
const staffCountTTL = 30 * time.Second

// staffCount is the number of enabled staff accounts in group, counted
// afresh at most every staffCountTTL; 0 when staff.db is unreadable
// (logged).
func (s *signin) staffCount(group string) int {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	if now := time.Now(); s.counts == nil || now.Sub(s.countedAt) > staffCountTTL {
		all, err := s.accounts.List()
		if err != nil {
			s.log.Warn("staff accounts unreadable: the forecast counts connected agents only", "err", err)
		}
		s.counts, s.countedAt = map[string]int{}, now
		for _, a := range all {
			if a.Disabled {
				continue
			}
			for _, g := range a.Groups {
				s.counts[g]++
			}
		}
	}
	return s.counts[group]
}

// refusedLog lets the audit log have one refused sign-in per address and
// account a minute: a refused attempt checks no password and costs the
// sender nothing, so recording each one would let a flood fill the disk.
// The failed attempts before the refusal are each recorded (the throttle
// bounds them).
type refusedLog struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// refusedEvery is how often one address and account's refusals are
// recorded; refusedKeys bounds the memory (past it the map starts over).
const (
	refusedEvery = time.Minute
	refusedKeys  = 10000
)

// first reports whether key's refusal at now is the first in refusedEvery.
func (r *refusedLog) first(key string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if last, ok := r.seen[key]; ok && now.Sub(last) < refusedEvery {
		return false
	}
	if r.seen == nil || len(r.seen) >= refusedKeys {
		r.seen = map[string]time.Time{}
	}
	r.seen[key] = now
	return true
}
