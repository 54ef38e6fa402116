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

// TestConsoleInBrowser runs console.spec.mjs: agents Ana and Bo (group
// es) and supervisor Sue in their own browser contexts, signed in with
// the staff cookie the sign-in endpoint sets, and Spanish customers on
// /demo, against a real node.
func TestConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: not in -short")
	}
	chromium := ensureChromium(t)
	ensureModules(t)
	base, n := startNode(t)
	control := openTeams(t, n)
	sign := func(id, name, role string, groups ...string) string {
		tok, err := auth.Sign(staffSecret, auth.Claims{Subject: id, Name: name, Email: id + "@shop.example", Role: role, Groups: groups}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	shots := t.TempDir()
	fails, err := os.MkdirTemp("", "edgedesk-console-failures-") // kept when the test fails
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("EDGEDESK_UPDATE_SCREENSHOTS") != "" {
		shots, _ = filepath.Abs("../docs/screenshots")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "console.spec.mjs")
	cmd.Env = append(os.Environ(), "BASE="+base, "CHROMIUM="+chromium, "CONTROL="+control, "SHOTS="+shots, "FAILS="+fails,
		"ANA_TOKEN="+sign("ana", "Ana", "agent", "es"), "BO_TOKEN="+sign("bo", "Bo", "agent", "es"),
		"SUE_TOKEN="+sign("sue", "Sue", "supervisor"))
	out, err := cmd.CombinedOutput()
	t.Logf("console.spec.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("console scenarios failed (%v); screenshots of failures in %s", err, fails)
	}
	os.RemoveAll(fails)
	if !strings.Contains(string(out), "all console scenarios passed") {
		t.Fatal("the spec did not finish")
	}
}
