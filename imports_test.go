package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The import rules of docs/ARCHITECTURE.md, checked with go list on the
// transitive dependencies, so a rule cannot be dodged through a package in
// between.
func TestImportRules(t *testing.T) {
	const mod = "github.com/edgedesk/edgedesk"
	// Transports and the NATS side: what conversation logic must never
	// depend on, so every channel can sit beside the widget.
	transports := []string{
		mod + "/node/gateway", mod + "/node/agentws", mod + "/node/relay", mod + "/node/corelink",
		mod + "/sync", mod + "/node/channels", mod + "/node/web", mod + "/node/files", mod + "/node/mqtt", mod + "/node/email",
		mod + "/node/translate", // HTTP to translation providers: conversation logic gets translations through its own interfaces
		"github.com/valyala/fasthttp", "github.com/fasthttp/websocket", "github.com/nats-io",
	}
	rules := []struct {
		name     string
		pkgs     []string // go list patterns
		withTest bool     // the packages' tests are held to the rule too
		// forbidden reports whether a dependency breaks the rule.
		forbidden func(dep string) bool
	}{
		{
			name: "sync/ imports nothing under node/", pkgs: []string{"./sync/..."}, withTest: true,
			forbidden: func(dep string) bool { return under(dep, mod+"/node") },
		},
		{
			name: "config/ imports no edgedesk package", pkgs: []string{"./config/..."},
			forbidden: func(dep string) bool { return under(dep, mod) && !under(dep, mod+"/config") },
		},
		{
			name: "model/ imports no edgedesk package", pkgs: []string{"./model/..."},
			forbidden: func(dep string) bool { return under(dep, mod) && !under(dep, mod+"/model") },
		},
		{
			name: "conversation logic imports no transport",
			// Analytics too: an observer of the store, fed CSAT through its
			// notes, never through the gateway.
			// node/away too: the commit calls it to decide what is emailed.
			pkgs: []string{"./node/session/...", "./node/convo/...", "./node/faq/...", "./node/routing/...", "./node/analytics/...", "./node/away/..."},
			forbidden: func(dep string) bool {
				return slices.ContainsFunc(transports, func(tr string) bool { return under(dep, tr) })
			},
		},
		{
			// The delivery queue's contract is shared by the store (which
			// writes its items) and every channel (which implements its
			// Senders): it depends on neither, nor on a transport.
			name: "node/delivery imports no edgedesk package and no transport", pkgs: []string{"./node/delivery/..."},
			forbidden: func(dep string) bool {
				return (under(dep, mod) && !under(dep, mod+"/node/delivery")) ||
					slices.ContainsFunc(transports, func(tr string) bool { return under(dep, tr) })
			},
		},
		{
			name: "node/translate imports no other edgedesk package", pkgs: []string{"./node/translate/..."},
			forbidden: func(dep string) bool { return under(dep, mod) && !under(dep, mod+"/node/translate") },
		},
		{
			name: "nothing imports the composition root but main", pkgs: []string{"./node/...", "./sync/...", "./config/...", "./model/..."},
			forbidden: func(dep string) bool { return dep == mod+"/node" },
		},
	}
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			for pkg, deps := range goListDeps(t, r.pkgs, false) {
				for _, d := range deps {
					if r.forbidden(d) {
						t.Errorf("%s depends on %s", pkg, d)
					}
				}
			}
			if !r.withTest {
				return
			}
			for pkg, deps := range goListDeps(t, r.pkgs, true) {
				for _, d := range deps {
					if r.forbidden(d) {
						t.Errorf("%s (with its tests) depends on %s", pkg, d)
					}
				}
			}
		})
	}
}

// under reports whether package path p is pkg or inside it.
func under(p, pkg string) bool {
	return p == pkg || strings.HasPrefix(p, pkg+"/")
}

// goListDeps maps each package matched by patterns to its transitive
// dependencies; withTest adds what its tests import.
func goListDeps(t *testing.T, patterns []string, withTest bool) map[string][]string {
	t.Helper()
	args := []string{"list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}"}
	if withTest {
		args = append(args, "-test")
	}
	out, err := exec.Command("go", append(args, patterns...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	deps := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		// With -test, test variants are named "p [p.test]": keep the path.
		pkg := fields[0]
		rest := fields[1:]
		if len(rest) > 0 && strings.HasPrefix(rest[0], "[") {
			rest = rest[1:]
		}
		deps[pkg] = append(deps[pkg], rest...)
	}
	if len(deps) == 0 {
		t.Fatalf("go list %v matched no package", patterns)
	}
	return deps
}
