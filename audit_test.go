package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/node/audit"
)

func auditRun(t *testing.T, args ...string) (audit.Page, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"audit", "-json"}, args...), &out, io.Discard)
	var p audit.Page
	if err == nil {
		if jerr := json.Unmarshal(out.Bytes(), &p); jerr != nil {
			t.Fatalf("audit -json: %v\n%s", jerr, out.String())
		}
	}
	return p, err
}

// The staff command's actions are in the audit log as cli:<user>, with
// the node stopped (straight into audit.db) and running (through
// audit-pending/, ingested by the node); edgedesk audit reads the file,
// or the running node's API.
func TestAuditCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("EDGEDESK_CONFIG", "")
	t.Setenv("EDGEDESK_DATA_DIR", dir)
	t.Setenv("EDGEDESK_AUTH_STAFF_SECRET", "")
	if _, _, err := staffRun(t, "ana's long passphrase\n", "add", "--email", "ana@shop.example", "--name", "Ana", "--role", "agent", "--groups", "mx-es"); err != nil {
		t.Fatal(err)
	}
	p, err := auditRun(t)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Entries) != 1 || p.Entries[0].Action != audit.ActionStaffAdd || !strings.HasPrefix(p.Entries[0].Actor, "cli:") ||
		p.Entries[0].From != "cli" || p.Entries[0].Target != "ana@shop.example" || p.Entries[0].Details["role"] != "agent" {
		t.Fatalf("stopped node: %+v", p.Entries)
	}

	base := startInProcessNode(t, dir)
	t.Setenv("EDGEDESK_LISTEN", strings.TrimPrefix(base, "http://"))
	if _, _, err := staffRun(t, "", "disable", "--email", "ana@shop.example"); err != nil {
		t.Fatal(err)
	}
	if code, _ := signIn(t, base, "ana@shop.example", "ana's long passphrase"); code != 401 {
		t.Fatalf("disabled sign-in: %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err = auditRun(t, "-action", "staff.")
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Entries) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("running node: %+v", p.Entries)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if p.Entries[0].Action != audit.ActionStaffDisable || !strings.HasPrefix(p.Entries[0].Actor, "cli:") {
		t.Fatalf("running node: %+v", p.Entries)
	}
	// The failed sign-in is there too, read through the node.
	if p, err := auditRun(t, "-actor", "ana@shop.example"); err != nil || len(p.Entries) != 1 || p.Entries[0].Action != audit.ActionSignInFailed {
		t.Fatalf("failed sign-in: %+v %v", p.Entries, err)
	}
	var ue usageError
	if _, err := auditRun(t, "-from", "yesterday"); !errors.As(err, &ue) {
		t.Fatalf("bad -from: %v", err)
	}
	if _, err := auditRun(t, "-limit", "5000"); err == nil {
		t.Fatal("-limit 5000 accepted")
	}
}
