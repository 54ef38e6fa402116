package node

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/golang-jwt/jwt/v5"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/staff"
)

const (
	anaPassword = "ana's long passphrase"
	bobPassword = "bob's long passphrase"
)

// withStaff adds Ana (admin) and Bob (agent) to the node's account store
// before it starts.
func withStaff(t *testing.T) func(*config.Config) {
	return func(c *config.Config) {
		s := staff.NewStore(c.DataDir)
		ctx := context.Background()
		if _, err := s.Add(ctx, staff.Account{Email: "ana@shop.example", Name: "Ana", Role: "admin", Groups: []string{"mx-es"}}, anaPassword); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Add(ctx, staff.Account{Email: "bob@shop.example", Name: "Bob", Role: "agent", Groups: []string{"uk-en"}}, bobPassword); err != nil {
			t.Fatal(err)
		}
	}
}

// authReply is an answer of /v1/auth/….
type authReply struct {
	code   int
	body   map[string]any
	header http.Header
	cookie *http.Cookie // the edgedesk_staff Set-Cookie, if any
}

// call sends method path with body (JSON unless contentType says) and
// headers ("Name: value").
func call(t *testing.T, method, url, contentType, body string, headers ...string) authReply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		if contentType == "" {
			contentType = "application/json"
		}
		req.Header.Set("Content-Type", contentType)
	}
	for _, h := range headers {
		if h == "" {
			continue
		}
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := authReply{code: resp.StatusCode, header: resp.Header}
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &r.body)
	for _, c := range resp.Cookies() {
		if c.Name == auth.CookieName {
			r.cookie = c
		}
	}
	return r
}

func login(t *testing.T, base, email, password string, headers ...string) authReply {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	return call(t, "POST", base+"/v1/auth/login", "", string(b), headers...)
}

func cookieHeader(tok string) string { return "Cookie: " + auth.CookieName + "=" + tok }

func TestSignIn(t *testing.T) {
	_, base, _ := startNode(t, withStaff(t))
	r := login(t, base, "Ana@Shop.example", anaPassword)
	if r.code != 200 || r.body["id"] != "ana" || r.body["role"] != "admin" || r.body["email"] != "ana@shop.example" || r.body["name"] != "Ana" {
		t.Fatalf("login = %d %v", r.code, r.body)
	}
	if g, _ := r.body["groups"].([]any); len(g) != 1 || g[0] != "mx-es" {
		t.Fatalf("groups %v", r.body["groups"])
	}
	exp, err := time.Parse(time.RFC3339, r.body["expires_at"].(string))
	if err != nil || time.Until(exp) < 14*time.Minute || time.Until(exp) > 15*time.Minute {
		t.Fatalf("expires_at %v %v", r.body["expires_at"], err)
	}
	c := r.cookie
	if c == nil || c.Value == "" || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge != 900 || c.Secure {
		t.Fatalf("cookie %+v (raw %q)", c, r.header.Values("Set-Cookie"))
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control %q", r.header.Get("Cache-Control"))
	}
	me := call(t, "GET", base+"/v1/auth/me", "", "", cookieHeader(c.Value))
	if me.code != 200 || me.body["id"] != "ana" || me.body["expires_at"] != r.body["expires_at"] || me.cookie != nil {
		t.Fatalf("me = %d %v (cookie %v: a fresh token is not re-issued)", me.code, me.body, me.cookie)
	}
	// The cookie authenticates the admin API (Ana is an admin) …
	if admin := call(t, "GET", base+"/v1/admin/faq", "", "", cookieHeader(c.Value)); admin.code != 200 {
		t.Fatalf("admin API with the cookie: %d", admin.code)
	}
	// … and, being a token, API clients may send it as a bearer.
	if me := call(t, "GET", base+"/v1/auth/me", "", "", "Authorization: Bearer "+c.Value); me.code != 200 || me.body["id"] != "ana" {
		t.Fatalf("me with bearer = %d %v", me.code, me.body)
	}
	// A form post signs in too; Bob is an agent: the agent endpoint takes
	// his cookie from a page of this node.
	form := url.Values{"email": {"bob@shop.example"}, "password": {bobPassword}}.Encode()
	r = call(t, "POST", base+"/v1/auth/login", "application/x-www-form-urlencoded", form)
	if r.code != 200 || r.body["id"] != "bob" || r.cookie == nil {
		t.Fatalf("form login = %d %v", r.code, r.body)
	}
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(base, "http", "ws", 1)+"/v1/agent/ws", http.Header{"Cookie": {auth.CookieName + "=" + r.cookie.Value}, "Origin": {base}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.WriteJSON(map[string]any{"type": "hello", "v": 1})
	var f agentFrame
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := ws.ReadJSON(&f); err != nil || f.Type != "welcome" {
		t.Fatalf("agent hello with the sign-in cookie: %+v %v", f, err)
	}
	// Signing out clears the cookie.
	out := call(t, "POST", base+"/v1/auth/logout", "", "", cookieHeader(c.Value), "Origin: "+base)
	if out.code != 204 || out.cookie == nil || out.cookie.MaxAge >= 0 || out.cookie.Value != "" {
		t.Fatalf("logout = %d, cookie %+v (raw %q)", out.code, out.cookie, out.header.Values("Set-Cookie"))
	}
	if me := call(t, "GET", base+"/v1/auth/me", "", ""); me.code != 401 || me.body["error"] != "not signed in" {
		t.Fatalf("me without a cookie = %d %v", me.code, me.body)
	}
}

func TestSignInBadRequests(t *testing.T) {
	_, base, _ := startNode(t, withStaff(t))
	for _, tc := range []struct {
		method, ctype, body string
		code                int
		says                string
	}{
		{"GET", "", "", 405, "POST"},
		{"POST", "text/plain", "email=a", 415, "Content-Type"},
		{"POST", "", `{"email":`, 400, "JSON"},
		{"POST", "", `{"email":"ana@shop.example"}`, 400, "password"},
		{"POST", "", `{"password":"x"}`, 400, "email"},
		{"POST", "", `{"email":"` + strings.Repeat("a", 300) + `","password":"x"}`, 400, "email"},
		{"POST", "", `{"email":"a","password":"` + strings.Repeat("x", 9000) + `"}`, 413, "too large"},
	} {
		r := call(t, tc.method, base+"/v1/auth/login", tc.ctype, tc.body)
		msg, _ := r.body["error"].(string)
		if r.code != tc.code || !strings.Contains(msg, tc.says) || r.cookie != nil {
			t.Errorf("%s %q: %d %q, want %d naming %s", tc.method, tc.body, r.code, msg, tc.code, tc.says)
		}
	}
	if r := call(t, "POST", base+"/v1/auth/me", "", ""); r.code != 405 || r.header.Get("Allow") != "GET" {
		t.Errorf("POST /v1/auth/me = %d", r.code)
	}
}

// A wrong password and an unknown email get the same answer; after
// auth.login_max_failures failures the account is refused (429) even with
// the right password, while another account from another address is not;
// an address (an IPv6 /64) failing on many accounts is refused too.
func TestSignInWrongPasswordRateLimited(t *testing.T) {
	_, base, _ := startNode(t, withStaff(t), func(c *config.Config) {
		c.Routing.TrustHeaders = []string{"cloudflare"} // CF-Connecting-IP gives each attempt its address
		c.Auth.LoginMaxFailures = 3
		c.Auth.LoginMaxFailuresPerAddress = 5
	})
	from := func(ip string) string { return "CF-Connecting-IP: " + ip }
	wrong := login(t, base, "ana@shop.example", "not ana's password", from("203.0.113.5"))
	unknown := login(t, base, "nobody@shop.example", anaPassword, from("203.0.113.99"))
	for _, r := range []authReply{wrong, unknown} {
		if r.code != 401 || r.body["error"] != "wrong email or password" || r.cookie != nil {
			t.Fatalf("failed sign-in = %d %v", r.code, r.body)
		}
	}
	if len(wrong.body) != len(unknown.body) {
		t.Fatalf("answers differ: %v vs %v", wrong.body, unknown.body)
	}
	login(t, base, "ana@shop.example", "still not it", from("203.0.113.5"))
	login(t, base, "ANA@shop.example", "nor this", from("203.0.113.6")) // the account counts across addresses and cases
	r := login(t, base, "ana@shop.example", anaPassword, from("203.0.113.7"))
	retry, _ := strconv.Atoi(r.header.Get("Retry-After"))
	if r.code != 429 || retry < 1 || retry > 15*60 || r.cookie != nil || !strings.HasPrefix(r.body["error"].(string), "too many failed sign-ins; try again in "+strconv.Itoa(retry)+" s") {
		t.Fatalf("4th attempt, right password = %d %v Retry-After %q", r.code, r.body, r.header.Get("Retry-After"))
	}
	if r := login(t, base, "bob@shop.example", bobPassword, from("198.51.100.1")); r.code != 200 {
		t.Fatalf("Bob from another address = %d %v", r.code, r.body)
	}

	// One /64 tries five accounts: its sixth attempt is refused, Bob's
	// right password included; another /64 is fine.
	for i := range 5 {
		r := login(t, base, "guess"+strconv.Itoa(i)+"@shop.example", "password123", from("2001:db8:1:2::"+strconv.Itoa(i+1)))
		if r.code != 401 {
			t.Fatalf("guess %d = %d", i, r.code)
		}
	}
	if r := login(t, base, "bob@shop.example", bobPassword, from("2001:db8:1:2:ffff::1")); r.code != 429 {
		t.Fatalf("6th attempt from the /64 = %d %v", r.code, r.body)
	}
	if r := login(t, base, "bob@shop.example", bobPassword, from("2001:db8:1:3::1")); r.code != 200 {
		t.Fatalf("another /64 = %d %v", r.code, r.body)
	}
}

// signToken signs claims of a sign-in token issued at iat, expiring at exp.
func signToken(t *testing.T, key string, c auth.Claims, iat, exp time.Time) string {
	t.Helper()
	c.Issuer = signinIssuer
	c.IssuedAt, c.ExpiresAt = jwt.NewNumericDate(iat), jwt.NewNumericDate(exp)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, &c).SignedString([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func nodeKey(t *testing.T, n *Node) string {
	t.Helper()
	key, err := staff.LoadKey(n.cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// An expired cookie sends the page back to sign-in: 401 and the cookie
// cleared.
func TestSignInExpiredCookie(t *testing.T) {
	n, base, _ := startNode(t, withStaff(t))
	ana := auth.Claims{Subject: "ana", Name: "Ana", Role: "admin"}
	expired := signToken(t, nodeKey(t, n), ana, time.Now().Add(-20*time.Minute), time.Now().Add(-5*time.Minute))
	for _, path := range []string{"/v1/auth/me", "/v1/admin/faq"} {
		r := call(t, "GET", base+path, "", "", cookieHeader(expired))
		if r.code != 401 {
			t.Fatalf("%s with an expired cookie = %d", path, r.code)
		}
		if path == "/v1/auth/me" && (r.body["error"] != "not signed in" || r.cookie == nil || r.cookie.MaxAge >= 0) {
			t.Fatalf("me with an expired cookie = %v, cookie %+v", r.body, r.cookie)
		}
	}
	// A cookie of another key (a forged one) is no better.
	forged := signToken(t, strings.Repeat("k", 64), ana, time.Now(), time.Now().Add(10*time.Minute))
	if r := call(t, "GET", base+"/v1/auth/me", "", "", cookieHeader(forged)); r.code != 401 {
		t.Fatalf("forged cookie = %d", r.code)
	}
}

// Past half its life, /v1/auth/me re-issues the cookie with the account's
// current details; a disabled account can neither refresh nor sign in.
func TestSignInRefreshAndDisable(t *testing.T) {
	n, base, _ := startNode(t, withStaff(t))
	key := nodeKey(t, n)
	old := signToken(t, key, auth.Claims{Subject: "bob", Name: "Bob", Role: "agent", Groups: []string{"old-group"}}, time.Now().Add(-10*time.Minute), time.Now().Add(5*time.Minute))
	r := call(t, "GET", base+"/v1/auth/me", "", "", cookieHeader(old))
	if r.code != 200 || r.cookie == nil || r.cookie.MaxAge != 900 || !r.cookie.HttpOnly {
		t.Fatalf("refresh = %d %v cookie %+v", r.code, r.body, r.cookie)
	}
	exp, _ := time.Parse(time.RFC3339, r.body["expires_at"].(string))
	if time.Until(exp) < 14*time.Minute {
		t.Fatalf("refreshed expires_at %v", exp)
	}
	if g, _ := r.body["groups"].([]any); len(g) != 1 || g[0] != "uk-en" {
		t.Fatalf("refreshed groups %v: want the account's", r.body["groups"])
	}
	c, err := n.staff.Verify(r.cookie.Value)
	if err != nil || c.Subject != "bob" || c.Issuer != signinIssuer {
		t.Fatalf("refreshed token %+v %v", c, err)
	}
	fresh := r.cookie.Value

	// Bob is disabled: his refresh fails and clears the cookie, the admin
	// API refuses his token, he cannot sign in again.
	if _, err := staff.NewStore(n.cfg.DataDir).SetDisabled("bob@shop.example", true); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{old, fresh} {
		r := call(t, "GET", base+"/v1/auth/me", "", "", cookieHeader(tok))
		if r.code != 401 || r.cookie == nil || r.cookie.MaxAge >= 0 || !strings.HasPrefix(r.body["error"].(string), "not signed in") {
			t.Fatalf("disabled account's me = %d %v cookie %+v", r.code, r.body, r.cookie)
		}
	}
	if r := call(t, "GET", base+"/v1/admin/faq", "", "", "Authorization: Bearer "+fresh); r.code != 401 {
		t.Fatalf("disabled account's admin call = %d", r.code)
	}
	if r := login(t, base, "bob@shop.example", bobPassword); r.code != 401 || r.body["error"] != "wrong email or password" {
		t.Fatalf("disabled account's sign-in = %d %v", r.code, r.body)
	}
}

// Cross-site POSTs are refused: a login (login CSRF), a logout with the
// cookie (or with the cookie and no Origin at all).
func TestSignInCrossSiteRefused(t *testing.T) {
	_, base, _ := startNode(t, withStaff(t))
	if r := login(t, base, "ana@shop.example", anaPassword, "Origin: https://evil.example"); r.code != 403 || r.cookie != nil {
		t.Fatalf("cross-site login = %d %v", r.code, r.body)
	}
	if r := login(t, base, "ana@shop.example", anaPassword, "Sec-Fetch-Site: cross-site"); r.code != 403 || r.cookie != nil {
		t.Fatalf("login with Sec-Fetch-Site: cross-site = %d %v", r.code, r.body)
	}
	r := login(t, base, "ana@shop.example", anaPassword, "Origin: "+base)
	if r.code != 200 || r.cookie == nil {
		t.Fatalf("same-origin login = %d %v", r.code, r.body)
	}
	for _, origin := range []string{"Origin: https://evil.example", "Origin: null", ""} {
		out := call(t, "POST", base+"/v1/auth/logout", "", "", cookieHeader(r.cookie.Value), origin)
		if out.code != 403 || out.cookie != nil {
			t.Fatalf("logout with the cookie and %q = %d", origin, out.code)
		}
	}
	if out := call(t, "POST", base+"/v1/auth/logout", "", "", "Authorization: Bearer "+r.cookie.Value); out.code != 204 {
		t.Fatalf("API client's logout = %d", out.code)
	}
}

// Behind a TLS-terminating proxy that is trusted, the cookie is Secure;
// an untrusted X-Forwarded-Proto changes nothing.
func TestSignInSecureCookieBehindTrustedProxy(t *testing.T) {
	_, plain, _ := startNode(t, withStaff(t))
	if r := login(t, plain, "ana@shop.example", anaPassword, "X-Forwarded-Proto: https"); r.code != 200 || r.cookie.Secure {
		t.Fatalf("untrusted X-Forwarded-Proto: %d secure=%v", r.code, r.cookie != nil && r.cookie.Secure)
	}
	_, proxied, _ := startNode(t, withStaff(t), func(c *config.Config) { c.Routing.TrustHeaders = []string{"x-forwarded-proto"} })
	r := login(t, proxied, "ana@shop.example", anaPassword, "X-Forwarded-Proto: https")
	if r.code != 200 || !r.cookie.Secure || !r.cookie.HttpOnly || r.cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("trusted X-Forwarded-Proto https: %d %+v", r.code, r.cookie)
	}
	if r := login(t, proxied, "ana@shop.example", anaPassword); r.code != 200 || r.cookie.Secure {
		t.Fatalf("trusted proxy, plain HTTP: secure=%v", r.cookie.Secure)
	}
}

// Tokens the merchant's SSO mints with auth.staff_secret work as a bearer
// and as the cookie; their account need not be in staff.db.
func TestSSOTokenAccepted(t *testing.T) {
	n, base, _ := startNode(t, withStaff(t), func(c *config.Config) { c.Auth.StaffSecret = testStaffSecret })
	sso, err := auth.Sign(testStaffSecret, auth.Claims{Subject: "sso-carla", Name: "Carla", Role: "admin", Groups: []string{"mx-es"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"Authorization: Bearer " + sso, cookieHeader(sso)} {
		if r := call(t, "GET", base+"/v1/auth/me", "", "", h); r.code != 200 || r.body["id"] != "sso-carla" || r.cookie != nil {
			t.Fatalf("me with the SSO token (%s) = %d %v", h[:6], r.code, r.body)
		}
		if r := call(t, "GET", base+"/v1/admin/faq", "", "", h); r.code != 200 {
			t.Fatalf("admin API with the SSO token = %d", r.code)
		}
	}
	// Sign-in signs with staff_secret too, so every node sharing it
	// accepts the cookie; no key is generated.
	r := login(t, base, "ana@shop.example", anaPassword)
	if _, err := auth.NewVerifier(testStaffSecret, 0, nil).Verify(r.cookie.Value); err != nil {
		t.Fatalf("sign-in token not signed with staff_secret: %v", err)
	}
	if _, err := os.Stat(filepath.Join(n.cfg.DataDir, staff.KeyFile)); !os.IsNotExist(err) {
		t.Fatalf("staff.key generated although staff_secret is set: %v", err)
	}
}

// Without auth.staff_secret the node generates its key once: a cookie
// issued before a restart still works after it.
func TestGeneratedKeyPersists(t *testing.T) {
	dir := t.TempDir()
	onDir := func(c *config.Config) { c.DataDir = dir }
	_, base, stop := startNode(t, onDir, withStaff(t))
	r := login(t, base, "ana@shop.example", anaPassword)
	if r.code != 200 {
		t.Fatalf("login = %d %v", r.code, r.body)
	}
	stop()
	fi, err := os.Stat(filepath.Join(dir, staff.KeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("staff.key: %v %v", fi, err)
	}
	_, base, _ = startNode(t, onDir)
	if me := call(t, "GET", base+"/v1/auth/me", "", "", cookieHeader(r.cookie.Value)); me.code != 200 || me.body["id"] != "ana" {
		t.Fatalf("me after a restart = %d %v", me.code, me.body)
	}
}

// Concurrent guesses cannot slip past the limit between the check and the
// count: of many at once, exactly auth.login_max_failures get a password
// check.
func TestSignInLimitHoldsUnderConcurrency(t *testing.T) {
	_, base, _ := startNode(t, withStaff(t), func(c *config.Config) { c.Auth.LoginMaxFailures = 3 })
	codes := make(chan int, 12)
	var wg sync.WaitGroup
	for i := range cap(codes) {
		wg.Go(func() { // t.Fatal is for the test's goroutine: report with t.Error here
			body := `{"email":"ana@shop.example","password":"guess number ` + strconv.Itoa(i) + `"}`
			resp, err := http.Post(base+"/v1/auth/login", "application/json", strings.NewReader(body))
			if err != nil {
				t.Error(err)
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		})
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[401] != 3 || count[429] != cap(codes)-3 {
		t.Fatalf("answers %v: want 3 × 401 and the rest 429", count)
	}
}
