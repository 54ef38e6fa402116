package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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

// SIGHUP's routing reload is in the audit log, by "signal", with its
// outcome: applied, then failed when the file no longer parses.
func TestAuditSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node process")
	}
	dir := t.TempDir()
	data, addr := filepath.Join(dir, "data"), freeAddr(t)
	os.MkdirAll(data, 0o700)
	// The node's file, which the test breaks, and the CLI's.
	nodeCfg, cliCfg := filepath.Join(dir, "node.yaml"), filepath.Join(dir, "cli.yaml")
	for _, f := range []string{nodeCfg, cliCfg} {
		os.WriteFile(f, []byte("data_dir: "+data+"\nlisten: "+addr+"\n"), 0o600)
	}
	p := startNode(t, data, addr, "EDGEDESK_AUTH_STAFF_SECRET="+cliStaffSecret, "EDGEDESK_NATS_ENABLED=false", "EDGEDESK_MODEL_ENABLED=false", "EDGEDESK_BOT_ENABLED=false", "EDGEDESK_CONFIG="+nodeCfg)
	t.Setenv("EDGEDESK_CONFIG", cliCfg)
	t.Setenv("EDGEDESK_AUTH_STAFF_SECRET", cliStaffSecret)

	reloads := func(want int) []audit.Entry {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			pg, err := auditRun(t, "-action", audit.ActionRoutingReload)
			if err == nil && len(pg.Entries) == want {
				return pg.Entries
			}
			if time.Now().After(deadline) {
				t.Fatalf("routing reloads: %+v %v, want %d", pg.Entries, err, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if e := reloads(1)[0]; e.Actor != "signal" || e.From != "signal" || e.Details["outcome"] != "applied" {
		t.Fatalf("reload: %+v", e)
	}
	os.WriteFile(nodeCfg, []byte("data_dir: "+data+"\nlisten: "+addr+"\nrouting: {groups: 7}\n"), 0o600)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if e := reloads(2)[0]; e.Details["outcome"] != "failed" || !strings.Contains(e.Details["error"], "node.yaml") {
		t.Fatalf("failed reload: %+v", e)
	}
}
