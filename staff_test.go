package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/staff"
)

// withStdin makes os.Stdin a file holding input for the test (not a
// terminal, so the staff command reads one line from it).
func withStdin(t *testing.T, input string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "stdin")
	if err := os.WriteFile(path, []byte(input), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdin
	os.Stdin = f
	t.Cleanup(func() { os.Stdin = old; f.Close() })
}

// staffRun runs "edgedesk staff args…" with input on stdin.
func staffRun(t *testing.T, input string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	withStdin(t, input)
	var out, errOut bytes.Buffer
	err = run(context.Background(), append([]string{"staff"}, args...), &out, &errOut)
	return out.String(), errOut.String(), err
}

// startInProcessNode runs a node on dataDir in this process, without the
// model (sign-in does not need it).
func startInProcessNode(t *testing.T, dataDir string) string {
	t.Helper()
	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", dataDir
	cfg.Model.Enabled, cfg.Bot.Enabled = false, false
	n, err := node.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node Run: %v", err)
		}
	})
	return "http://" + n.Addr().String()
}

func signIn(t *testing.T, base, email, password string) (int, string) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	resp, err := http.Post(base+"/v1/auth/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == auth.CookieName {
			return resp.StatusCode, c.Value
		}
	}
	return resp.StatusCode, ""
}

// The staff command works while a node runs on the same data directory:
// an account added is signed in with at once, a disabled one is refused,
// a changed password takes effect.
func TestStaffCommandBesideRunningNode(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("EDGEDESK_CONFIG", "")
	t.Setenv("EDGEDESK_DATA_DIR", dir)
	t.Setenv("EDGEDESK_AUTH_STAFF_SECRET", "")
	base := startInProcessNode(t, dir)

	out, errOut, err := staffRun(t, "ana's long passphrase\n", "add", "--email", "Ana@Shop.example", "--name", "Ana López", "--role", "agent", "--groups", "mx-es, uk-en")
	if err != nil || !strings.Contains(out, "added ana: Ana López <ana@shop.example>, agent in mx-es, uk-en") {
		t.Fatalf("add: %q %v", out, err)
	}
	if !strings.Contains(errOut, `group "mx-es" is not in routing.groups`) {
		t.Fatalf("no warning about groups routing does not know: %q", errOut)
	}
	if _, _, err := staffRun(t, "a supervisor's passphrase\r\n", "add", "-email", "lead@shop.example", "-name", "Lead", "-role", "supervisor", "-id", "team-lead"); err != nil {
		t.Fatalf("add supervisor (CRLF input): %v", err)
	}
	if code, tok := signIn(t, base, "ana@shop.example", "ana's long passphrase"); code != 200 || tok == "" {
		t.Fatalf("sign-in after add = %d", code)
	}
	if code, _ := signIn(t, base, "lead@shop.example", "a supervisor's passphrase"); code != 200 {
		t.Fatalf("supervisor sign-in = %d (the trailing CR must not be part of the password)", code)
	}

	out, _, err = staffRun(t, "", "list")
	if err != nil || !strings.Contains(out, "ID") || !strings.Contains(out, "ana") || !strings.Contains(out, "team-lead") || !strings.Contains(out, "mx-es,uk-en") || strings.Contains(out, "argon2") {
		t.Fatalf("list: %q %v", out, err)
	}
	out, _, err = staffRun(t, "", "list", "-json")
	var accounts []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &accounts) != nil || len(accounts) != 2 || accounts[0]["id"] != "ana" || strings.Contains(out, "hash") {
		t.Fatalf("list -json: %q %v", out, err)
	}

	if _, _, err := staffRun(t, "", "disable", "--email", "ana@shop.example"); err != nil {
		t.Fatal(err)
	}
	if code, _ := signIn(t, base, "ana@shop.example", "ana's long passphrase"); code != 401 {
		t.Fatalf("sign-in while disabled = %d", code)
	}
	if out, _, _ := staffRun(t, "", "list"); !strings.Contains(out, "disabled") {
		t.Fatalf("list after disable: %q", out)
	}
	if _, _, err := staffRun(t, "", "enable", "--email", "ANA@shop.example"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := staffRun(t, "a brand new passphrase\n", "passwd", "--email", "ana@shop.example"); err != nil {
		t.Fatal(err)
	}
	if code, _ := signIn(t, base, "ana@shop.example", "ana's long passphrase"); code != 401 {
		t.Fatalf("old password after passwd = %d", code)
	}
	if code, _ := signIn(t, base, "ana@shop.example", "a brand new passphrase"); code != 200 {
		t.Fatalf("new password = %d", code)
	}
}

// Every mistake is a usage error (exit 2) naming the field, and changes
// nothing.
func TestStaffCommandErrors(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("EDGEDESK_CONFIG", "")
	t.Setenv("EDGEDESK_DATA_DIR", dir)
	add := []string{"add", "--email", "ana@shop.example", "--name", "Ana", "--role", "agent", "--groups", "mx-es"}
	for _, tc := range []struct {
		input string
		args  []string
		says  string
	}{
		{"", []string{}, "want one of"},
		{"", []string{"remove"}, "want one of"},
		{"x\n", []string{"add", "--name", "A", "--role", "admin"}, "--email"},
		{"x\n", []string{"add", "--email", "a@shop.example", "--role", "admin"}, "--name"},
		{"x\n", []string{"add", "--email", "a@shop.example", "--name", "A"}, "--role"},
		{"long enough pass\n", []string{"add", "--email", "a@shop", "--name", "A", "--role", "admin"}, "email"},
		{"long enough pass\n", []string{"add", "--email", "a@shop.example", "--name", "A", "--role", "root"}, "role"},
		{"long enough pass\n", []string{"add", "--email", "a@shop.example", "--name", "A", "--role", "agent"}, "groups"},
		{"long enough pass\n", []string{"add", "--email", "a@shop.example", "--name", "A", "--role", "admin", "--id", "Bad Id"}, "id"},
		{"short\n", add, "password"},
		{"", add, "password"},
		{strings.Repeat("x", 2000), add, "password"},
		{"long enough pass\n", []string{"add", "--email", "a@shop.example", "--name", "A", "--role", "admin", "--password", "p"}, "password"}, // no such flag
		{"", []string{"disable"}, "--email"},
		{"", []string{"disable", "--email", "nobody@shop.example"}, "no such account"},
		{"long enough pass\n", []string{"passwd", "--email", "nobody@shop.example"}, "no such account"},
		{"", []string{"list", "extra"}, "unexpected argument"},
	} {
		_, _, err := staffRun(t, tc.input, tc.args...)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("staff %q: %v, want a usage error naming %s", tc.args, err, tc.says)
		}
	}
	if all, err := staff.NewStore(dir).List(); err != nil || len(all) != 0 {
		t.Fatalf("accounts after errors: %v %v", all, err)
	}
	if _, _, err := staffRun(t, "long enough pass\n", add...); err != nil {
		t.Fatal(err)
	}
	if _, _, err := staffRun(t, "long enough pass\n", add...); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("second add of one email: %v", err)
	}
}
