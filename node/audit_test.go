package node

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/audit"
)

// waitAudit polls the node's audit log until match finds an entry.
func waitAudit(t *testing.T, n *Node, q audit.Query, match func(audit.Entry) bool) audit.Entry {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := n.Audit().Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Entries {
			if match(e) {
				return e
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no audit entry for %+v in %+v", q, p.Entries)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// What agents do on a real node is in the audit log: connecting, the
// router's assignment, a supervisor's reassign, a close.
func TestAuditAgentActions(t *testing.T) {
	n, base, _ := startNode(t, withConsoleAgents)
	ana, _ := dialConsole(t, base, "ana", "agent", nil, "mx-es")
	es, wes := dialWidget(t, base, map[string]any{"locale": "es-MX", "tz": "America/Mexico_City"})
	es.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "quiero hablar con un agente"})
	ana.next(func(f consoleFrame) bool { return f.Type == "assigned" && f.Session == wes.Session })
	sue, _ := dialConsole(t, base, "sue", "supervisor", nil)
	cy, _ := dialConsole(t, base, "cy", "agent", nil, "uk-en")
	if a := sue.reply(map[string]any{"type": "transfer", "cid": "t1", "session": wes.Session, "agent": "cy"}); a.Type != "ack" {
		t.Fatalf("reassign: %+v", a)
	}
	cy.next(func(f consoleFrame) bool { return f.Type == "assigned" && f.Session == wes.Session })
	if a := cy.reply(map[string]any{"type": "close", "cid": "c1", "session": wes.Session}); a.Type != "ack" {
		t.Fatalf("close: %+v", a)
	}

	if e := waitAudit(t, n, audit.Query{Actor: "ana", Action: audit.ActionAgentConnect}, func(audit.Entry) bool { return true }); e.Role != "agent" || e.From != "127.0.0.1" {
		t.Fatalf("connect: %+v", e)
	}
	waitAudit(t, n, audit.Query{Action: audit.ActionAssign, Target: wes.Session}, func(e audit.Entry) bool {
		return e.Actor == "routing" && e.Details["agent"] == "ana" && e.Details["group"] == "mx-es"
	})
	waitAudit(t, n, audit.Query{Action: audit.ActionAssign, Target: wes.Session}, func(e audit.Entry) bool { return e.Details["agent"] == "cy" })
	if e := waitAudit(t, n, audit.Query{Action: audit.ActionReassign}, func(audit.Entry) bool { return true }); e.Actor != "sue" || e.Role != "supervisor" || e.Target != wes.Session || e.Details["to_agent"] != "cy" {
		t.Fatalf("reassign: %+v", e)
	}
	if e := waitAudit(t, n, audit.Query{Action: audit.ActionClose}, func(audit.Entry) bool { return true }); e.Actor != "cy" || e.Target != wes.Session || e.From != "127.0.0.1" {
		t.Fatalf("close: %+v", e)
	}
}

// Sign-ins (and a failed one), an FAQ import through the admin API, a
// routing reload from the core and a session read are recorded; the
// query API wants an admin, filters, and changes nothing.
func TestAuditAdminAPI(t *testing.T) {
	n, base, _ := startNode(t, withStaff(t))
	ana := login(t, base, "ana@shop.example", anaPassword)
	if ana.code != 200 {
		t.Fatalf("login: %d", ana.code)
	}
	bob := login(t, base, "bob@shop.example", bobPassword)
	if r := login(t, base, "bob@shop.example", "not bob's password"); r.code != 401 {
		t.Fatalf("wrong password: %d", r.code)
	}
	admin, agent := "Authorization: Bearer "+ana.cookie.Value, "Authorization: Bearer "+bob.cookie.Value
	get := func(path, header string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if header != "" {
			k, v, _ := strings.Cut(header, ": ")
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	_, faqBody := get("/v1/admin/faq", admin)
	if r := call(t, "PUT", base+"/v1/admin/faq", "application/x-ndjson", faqBody, admin); r.code != 200 {
		t.Fatalf("FAQ import: %d %v", r.code, r.body)
	}
	if r := call(t, "POST", base+"/v1/auth/logout", "", "", agent); r.code != 204 {
		t.Fatalf("logout: %d", r.code)
	}
	if err := n.ApplyRouting([]byte("groups: [{name: 42")); err == nil {
		t.Fatal("bad routing applied")
	}

	if code, _ := get(AuditPath, ""); code != 401 {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := get(AuditPath, agent); code != 403 {
		t.Fatalf("agent: %d", code)
	}
	query := func(v url.Values) audit.Page {
		t.Helper()
		code, body := get(AuditPath+"?"+v.Encode(), admin)
		if code != 200 {
			t.Fatalf("%v: %d %s", v, code, body)
		}
		var p audit.Page
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := query(url.Values{"actor": {"ana"}})
	if len(p.Entries) != 2 || p.Entries[0].Action != audit.ActionFAQImport || p.Entries[1].Action != audit.ActionSignIn ||
		p.Entries[1].From != "127.0.0.1" || p.Entries[1].Role != "admin" || p.Entries[0].Details["entries"] == "" {
		t.Fatalf("ana's entries: %+v", p.Entries)
	}
	if p := query(url.Values{"action": {audit.ActionSignInFailed}}); len(p.Entries) != 1 || p.Entries[0].Actor != "bob@shop.example" {
		t.Fatalf("failed sign-ins: %+v", p.Entries)
	}
	if p := query(url.Values{"action": {audit.ActionRoutingReload}}); len(p.Entries) != 1 || p.Entries[0].Actor != "core" || p.Entries[0].Details["outcome"] != "failed" {
		t.Fatalf("routing reloads: %+v", p.Entries)
	}
	if p := query(url.Values{"action": {"signin"}, "limit": {"1"}}); len(p.Entries) != 1 || p.Next == nil || p.Entries[0].Actor != "bob" {
		t.Fatalf("first page of sign-ins: %+v", p)
	} else if p2 := query(url.Values{"action": {"signin"}, "before": {p.Next.String()}}); len(p2.Entries) != 1 || p2.Entries[0].Actor != "ana" {
		t.Fatalf("second page: %+v", p2)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if p := query(url.Values{"from": {future}}); len(p.Entries) != 0 {
		t.Fatalf("from the future: %+v", p.Entries)
	}
	for _, bad := range []string{"limit=0", "limit=x", "from=yesterday", "before=zz", "to=2026-01-01T00:00:00Z&from=2026-02-01T00:00:00Z"} {
		if code, body := get(AuditPath+"?"+bad, admin); code != 400 {
			t.Errorf("%s: %d %s", bad, code, body)
		}
	}
	// Append-only: no method changes the log.
	for _, m := range []string{"DELETE", "PUT", "POST"} {
		if r := call(t, m, base+AuditPath, "", "", admin); r.code != 405 || r.header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d", m, r.code)
		}
	}
	if p := query(url.Values{"action": {audit.ActionSignOut}}); len(p.Entries) != 1 || p.Entries[0].Actor != "bob" || p.Entries[0].Role != "agent" {
		t.Fatalf("sign-outs: %+v", p.Entries)
	}
	if p := query(url.Values{}); len(p.Entries) != 6 {
		t.Fatalf("the log changed: %+v", p.Entries)
	}
}

func FuzzAuditQuery(f *testing.F) {
	f.Add("from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z&actor=ana&action=chat.&limit=10")
	f.Add("before=0123456789abcdef0123456789abcdef&target=s1")
	f.Add("limit=-1&from=%ff")
	f.Fuzz(func(t *testing.T, raw string) {
		var args fasthttpArgs
		args.Parse(raw)
		q, err := auditQuery(&args)
		if err != nil {
			return
		}
		if q.Limit < 0 || q.Limit > audit.MaxLimit || len(q.Actor) > audit.MaxField || len(q.Action) > audit.MaxField || len(q.Target) > audit.MaxField {
			t.Fatalf("%q accepted as %+v", raw, q)
		}
	})
}

type fasthttpArgs = fasthttp.Args

// FuzzLoginForm: any sign-in body is read or refused with a 4xx and a
// message, never a panic; what is read is within the documented bounds.
func FuzzLoginForm(f *testing.F) {
	f.Add("application/json", `{"email":"ana@shop.example","password":"pw"}`)
	f.Add("application/x-www-form-urlencoded", "email=ana%40shop.example&password=pw")
	f.Add("application/json", `{"email":["x"],"password":null}`)
	f.Add("text/plain", "x")
	f.Fuzz(func(t *testing.T, ct, body string) {
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod("POST")
		ctx.Request.Header.SetContentType(ct)
		ctx.Request.SetBodyString(body)
		email, password, status, msg := loginForm(&ctx)
		switch {
		case status == 0 && (email == "" || password == "" || len(email) > 254):
			t.Fatalf("accepted email %q password %q", email, password)
		case status != 0 && (status < 400 || status > 499 || msg == ""):
			t.Fatalf("status %d %q", status, msg)
		}
	})
}

// Refused sign-ins cost the sender nothing: a flood of them is one audit
// entry a minute per address and account, not one per attempt; each
// failed attempt before the refusal is recorded.
func TestAuditRefusedSignInFloodBounded(t *testing.T) {
	n, base, _ := startNode(t, withStaff(t), func(c *config.Config) { c.Auth.LoginMaxFailures = 2 })
	for range 2 {
		if r := login(t, base, "ana@shop.example", "wrong"); r.code != 401 {
			t.Fatalf("wrong password: %d", r.code)
		}
	}
	for range 50 {
		if r := login(t, base, "ana@shop.example", "wrong"); r.code != 429 {
			t.Fatalf("throttled: %d", r.code)
		}
	}
	p, err := n.Audit().Query(audit.Query{Actor: "ana@shop.example"})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range p.Entries {
		count[e.Action]++
	}
	if count[audit.ActionSignInFailed] != 2 || count[audit.ActionSignInLocked] != 1 || len(p.Entries) != 3 {
		t.Fatalf("entries: %v", count)
	}
}
