package auth

import (
	"net/url"
	"strings"
)

// CookieName is the staff sign-in cookie: a staff JWT in an HttpOnly,
// SameSite=Strict cookie, set by POST /v1/auth/login. Pages (the console,
// the dashboard) never see the token; the browser sends it with their
// same-origin requests and WebSocket upgrades.
const CookieName = "edgedesk_staff"

// StaffToken picks a request's staff token: the bearer token of an
// Authorization header first (API clients), else the sign-in cookie.
// fromCookie says which, so the caller can require a same-origin request
// for cookie-authenticated state changes (cross-site request forgery: a
// browser attaches cookies, never a bearer token, on its own).
func StaffToken(authorization, cookie string) (token string, fromCookie bool) {
	if t, ok := strings.CutPrefix(authorization, "Bearer "); ok && t != "" {
		return t, false
	}
	return cookie, cookie != ""
}

// SameOrigin reports whether origin (a request's Origin header) names the
// host the request was sent to (its Host header), so a page of this node
// sent it. Browsers send Origin on every POST, PUT, DELETE and WebSocket
// upgrade; an empty or "null" Origin is not same-origin.
func SameOrigin(origin, host string) bool {
	if origin == "" || origin == "null" || host == "" {
		return false
	}
	// An Origin is scheme://host[:port] and nothing else (RFC 6454):
	// anything more (a user, a query) is not a browser's and not trusted.
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Path != "" || u.User != nil ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" {
		return false
	}
	return strings.EqualFold(u.Host, host)
}
