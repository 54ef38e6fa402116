package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/node/auth"
)

// TestDashboardInBrowser runs dashboard.spec.mjs against a real node: the
// supervisor dashboard refuses an agent and a visitor not signed in, and
// follows a customer's chat, hand-over, top intent and rating live.
func TestDashboardInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: not in -short")
	}
	chromium := ensureChromium(t)
	ensureModules(t)
	base, _ := startNode(t)
	supervisor, err := auth.Sign(staffSecret, auth.Claims{Subject: "sam", Name: "Sam", Role: "supervisor", Groups: []string{"uk-en", "es"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	agent, err := auth.Sign(staffSecret, auth.Claims{Subject: "alice", Name: "Alice", Role: "agent", Groups: []string{"uk-en"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	shots := t.TempDir()
	if os.Getenv("EDGEDESK_UPDATE_SCREENSHOTS") != "" {
		shots, _ = filepath.Abs("../docs/screenshots")
	}
	fails, err := os.MkdirTemp("", "edgedesk-e2e-dashboard-failures-") // kept when the test fails
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "dashboard.spec.mjs")
	cmd.Env = append(os.Environ(), "BASE="+base, "CHROMIUM="+chromium, "SUPERVISOR_TOKEN="+supervisor, "AGENT_TOKEN="+agent, "SHOTS="+shots, "FAILS="+fails)
	out, err := cmd.CombinedOutput()
	t.Logf("dashboard.spec.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("dashboard scenarios failed (%v); screenshots of failures in %s", err, fails)
	}
	os.RemoveAll(fails)
	if !strings.Contains(string(out), `"results"`) {
		t.Fatal("the spec printed no results")
	}
}
