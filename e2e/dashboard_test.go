package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/node/auth"
)

// TestDashboardInBrowser runs dashboard.spec.mjs against a real node: the
// supervisor dashboard refuses an agent and a visitor not signed in, and
// follows a customer's chat, hand-over, top intent and rating live.
func TestDashboardInBrowser(t *testing.T) {
	chromium := needBrowser(t)
	base, _ := startNode(t)
	supervisor, err := auth.Sign(staffSecret, auth.Claims{Subject: "sam", Name: "Sam", Role: "supervisor", Groups: []string{"uk-en", "es"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	agent, err := auth.Sign(staffSecret, auth.Claims{Subject: "alice", Name: "Alice", Role: "agent", Groups: []string{"uk-en"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	out := runSpec(t, chromium, "dashboard.spec.mjs", base, 5*time.Minute, "SUPERVISOR_TOKEN="+supervisor, "AGENT_TOKEN="+agent)
	if !strings.Contains(out, `"results"`) {
		t.Fatal("the spec printed no results")
	}
}
