package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/auth"
)

// teamLoginLimit is auth.login_max_failures on the team test's node: the
// spec fails that many sign-ins, then sees the next refused.
const teamLoginLimit = 3

// TestTeamInBrowser runs team.spec.mjs, issue 14's story end to end on one
// real node: an admin creates the staff with `edgedesk staff add` (the
// binary, against the running node's data directory); two agents, a
// supervisor and an admin sign in through the pages' forms; a customer on
// /demo is answered by the bot, asks for a person, is answered by one
// agent, transferred to the other, closed and rates the chat, while the
// supervisor's dashboard, open all along, follows it without a reload.
// Then the refusals, each its own step: too many wrong passwords (429),
// an agent opening /dashboard, an expired cookie, cross-site POSTs.
func TestTeamInBrowser(t *testing.T) {
	chromium := needBrowser(t)
	base, _, cfg := startNodeWith(t, func(c *config.Config) {
		c.Auth.LoginMaxFailures = teamLoginLimit
	})
	const password = "team e2e passphrase"
	file := configFile(t, cfg)
	for _, a := range [][]string{
		{"--email", "priya@shop.example", "--name", "Priya Shah", "--role", "agent", "--groups", "uk-en"},
		{"--email", "tom@shop.example", "--name", "Tom Becker", "--role", "agent", "--groups", "uk-en,es"},
		{"--email", "max@shop.example", "--name", "Max Roy", "--role", "agent", "--groups", "uk-en"},
		{"--email", "sue@shop.example", "--name", "Sue Park", "--role", "supervisor", "--groups", "uk-en,es"},
		{"--email", "adam@shop.example", "--name", "Adam Okafor", "--role", "admin"},
	} {
		staffAdd(t, file, password, a...)
	}
	// Tom's sign-in as the node issues it, but expired ten minutes ago
	// (beyond auth.clock_skew): what his browser holds after an idle
	// auth.staff_session_ttl, without the test waiting that long.
	expired, err := auth.Sign(staffSecret, auth.Claims{Subject: "tom", Name: "Tom Becker", Email: "tom@shop.example", Role: "agent",
		Groups: []string{"uk-en", "es"}, RegisteredClaims: jwt.RegisteredClaims{Issuer: "edgedesk/signin"}}, -10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	out := runSpec(t, chromium, "team.spec.mjs", base, 5*time.Minute, "PASSWORD="+password, "EXPIRED_TOKEN="+expired,
		"LOGIN_LIMIT="+strconv.Itoa(teamLoginLimit), "XSITE="+crossSite(t, base, password), "FAQ_LINE="+faqLine)
	if !strings.Contains(out, "all team scenarios passed") {
		t.Fatal("the spec did not finish")
	}
}

// faqLine is a valid FAQ file of one entry: what a cross-site page posts
// to the admin API, and what the node's own page then posts to show that
// only the origin made the difference.
const faqLine = `{"intent": "track_order", "lang": "en", "answer": "Order #{{order_number}} ships in 3 days.", "ask": "What is your order number?"}`

// crossSite serves, on another loopback port (another origin, the same
// site: the browser sends the SameSite=Strict cookie, so only the node's
// Origin check stands in the way), a page that does what a malicious page
// would with a signed-in admin's browser: a credentialed no-cors POST of a
// new FAQ to the admin API, a sign-in to another account (login CSRF: the
// admin would go on working in Priya's account), then a form POST to
// /v1/auth/logout.
func crossSite(t *testing.T, base, password string) string {
	t.Helper()
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	page := fmt.Sprintf(`<!doctype html>
<html lang="en"><title>You won a prize</title>
<form id="f" method="post" action=%s></form>
<p id="state">posting…</p>
<script>
(async () => {
  try {
    await fetch(%s, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'Content-Type': 'text/plain' }, body: %s });
  } catch (e) { /* the answer is opaque anyway */ }
  try {
    await fetch(%s, { method: 'POST', mode: 'no-cors', credentials: 'include', body: new URLSearchParams(%s) });
  } catch (e) { /* opaque */ }
  document.getElementById('state').textContent = 'posted';
  document.getElementById('f').submit();
})();
</script>`, js(base+"/v1/auth/logout"), js(base+"/v1/admin/faq"), js(faqLine+"\n"),
		js(base+"/v1/auth/login"), js(map[string]string{"email": "priya@shop.example", "password": password}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
