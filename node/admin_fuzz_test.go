package node

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/auth"
)

// fuzzNode runs a node for a whole fuzz target (startNode is per test).
func fuzzNode(f *testing.F, opts ...func(*config.Config)) (*Node, string) {
	f.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = f.TempDir()
	cfg.Gateway.AddressUpgradeRate, cfg.Gateway.AddressUpgradeBurst = 10000, 10000
	for _, o := range opts {
		o(cfg)
	}
	n, err := New(cfg, nil)
	if err != nil {
		f.Fatal(err)
	}
	if err := n.Listen(); err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	f.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			f.Errorf("Run: %v", err)
		}
	})
	base := "http://" + n.Addr().String()
	for i := 0; ; i++ {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if i > 500 {
			f.Fatal("never ready")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return n, base
}

// FuzzAdminHTTP sends any request line, query and body, as an admin, to
// the admin API of a real node — customers' and sessions' paths, the
// stats and audit queries, FAQ imports in JSONL and CSV — and to
// sign-in, written straight to the socket so that what net/http would
// refuse to send is tried too. Every request gets an answer below 500
// (4xx ones with a message), and the node keeps serving.
func FuzzAdminHTTP(f *testing.F) {
	_, base := fuzzNode(f, noBot, withAnalytics)
	addr := strings.TrimPrefix(base, "http://")
	tok, err := auth.Sign(testStaffSecret, auth.Claims{Subject: "sue", Role: "admin"}, 24*time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []struct {
		method, target, ctype, body string
	}{
		{"GET", "/v1/admin/customers/alice/export", "", ""},
		{"DELETE", "/v1/admin/customers/alice", "", ""},
		{"DELETE", "/v1/admin/customers/%2F..%2Fstaff.db", "", ""},
		{"GET", "/v1/admin/sessions/s-1", "", ""},
		{"GET", "/v1/admin/sessions/../../etc/passwd", "", ""},
		{"GET", "/v1/admin/stats?from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z&group=uk-en", "", ""},
		{"GET", "/v1/admin/stats?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z", "", ""},
		{"GET", AuditPath + "?actor=sue&action=export&limit=10", "", ""},
		{"GET", AuditPath + "?from=x&limit=-1", "", ""},
		{"PUT", "/v1/admin/faq?format=jsonl", "application/x-ndjson", `{"intent":"track_order","lang":"en","answer":"Track it at {{link}}"}` + "\n"},
		{"PUT", "/v1/admin/faq", "text/csv", "intent,lang,answer\ntrack_order,en,\"unterminated\n"},
		{"PUT", "/v1/admin/faq?format=jsonl", "application/x-ndjson", `{"intent":` + nested(3000) + "}\n"},
		{"POST", "/v1/auth/login", "application/json", `{"email":"ana@shop.example","password":"x"}`},
		{"POST", "/v1/auth/login", "application/x-www-form-urlencoded", "email=%ff&password="},
	} {
		f.Add(s.method, s.target, s.ctype, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, target, ctype string, body []byte) {
		switch method {
		case "GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS":
		default:
			method = "GET"
		}
		if !strings.HasPrefix(target, "/v1/admin/") && !strings.HasPrefix(target, "/v1/auth/") {
			target = "/v1/admin/" + target
		}
		if len(body) > 8<<10 { // the small-body bound is tested elsewhere
			body = body[:8<<10]
		}
		// Header values with line breaks would be other headers: that is
		// the server's parser's concern, and makes a second request.
		if strings.ContainsAny(target, "\r\n ") || strings.ContainsAny(ctype, "\r\n") {
			return
		}
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\nConnection: close\r\n",
			method, target, addr, tok, len(body))
		if ctype != "" {
			req += "Content-Type: " + ctype + "\r\n"
		}
		if _, err := io.WriteString(c, req+"\r\n"+string(body)); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
		if err != nil {
			t.Fatalf("%s %q: no answer: %v", method, target, err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %q %q: %d %q", method, target, body, resp.StatusCode, msg)
		}
		if resp.StatusCode >= 400 && method != "HEAD" && strings.TrimSpace(string(msg)) == "" {
			t.Fatalf("%s %q %q: %d without a message", method, target, body, resp.StatusCode)
		}
	})
}
