package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestConsoleInBrowser runs console.spec.mjs against a real node: agents
// Ana and Bo (group es) and supervisor Sue, created with `edgedesk staff
// add` and signed in through the console's form in their own browser
// contexts, and Spanish customers on /demo.
func TestConsoleInBrowser(t *testing.T) {
	chromium := needBrowser(t)
	base, n, cfg := startNodeWith(t, nil)
	control := openTeams(t, n)
	const password = "console e2e passphrase"
	file := configFile(t, cfg)
	staffAdd(t, file, password, "--email", "ana@shop.example", "--name", "Ana", "--role", "agent", "--groups", "es")
	staffAdd(t, file, password, "--email", "bo@shop.example", "--name", "Bo", "--role", "agent", "--groups", "es")
	staffAdd(t, file, password, "--email", "sue@shop.example", "--name", "Sue", "--role", "supervisor")
	out := runSpec(t, chromium, "console.spec.mjs", base, 6*time.Minute, "CONTROL="+control, "PASSWORD="+password)
	if !strings.Contains(out, "all console scenarios passed") {
		t.Fatal("the spec did not finish")
	}
}
