package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node"
	"github.com/edgedesk/edgedesk/node/auth"
)

const chromiumPath = "/usr/bin/chromium"

// unavailable skips the test on a developer's machine that cannot install
// what it needs (not root), and fails it everywhere else: under CI (CI set)
// or as root (CI's case: it could install), a missing browser is a broken
// machine, not a reason to pass.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" || os.Geteuid() == 0 {
		t.Fatalf("the browser test cannot run: %s", msg)
	}
	t.Skipf("browser test skipped: %s", msg)
}

// ensureChromium installs Debian's chromium when it is missing and we may.
func ensureChromium(t *testing.T) string {
	if _, err := os.Stat(chromiumPath); err == nil {
		return chromiumPath
	}
	if os.Geteuid() != 0 {
		unavailable(t, "%s is missing and the test is not root (apt-get install -y chromium)", chromiumPath)
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		unavailable(t, "%s is missing and there is no apt-get", chromiumPath)
	}
	t.Logf("installing chromium: apt-get update && apt-get install -y chromium")
	cmd := exec.Command("sh", "-c", "apt-get update && apt-get install -y chromium")
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		unavailable(t, "apt-get install chromium: %v\n%s", err, tail(out))
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		unavailable(t, "apt-get installed chromium but %s is missing", chromiumPath)
	}
	return chromiumPath
}

// ensureModules runs npm ci when node_modules does not match
// package-lock.json (a marker holds the lock file's hash).
func ensureModules(t *testing.T) {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			unavailable(t, "%s is not installed", tool)
		}
	}
	lock, err := os.ReadFile("package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lock)
	want := hex.EncodeToString(sum[:])
	marker := filepath.Join("node_modules", ".edgedesk-lock")
	if got, _ := os.ReadFile(marker); string(got) == want {
		return
	}
	t.Logf("npm ci (playwright-core, axe-core)")
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
	if out, err := cmd.CombinedOutput(); err != nil {
		unavailable(t, "npm ci: %v\n%s", err, tail(out))
	}
	os.WriteFile(marker, []byte(want), 0o644)
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

const staffSecret = "e2e-staff-secret-0123456789abcdef0123456789"

// startNode runs a real node with the demo shop on, as `make run` does,
// plus two agent groups: uk-en (open all week; the spec connects an agent)
// and es (closed now, opening in about two hours, until the spec asks
// openTeams), for the leave-a-message and rating scenarios.
func startNode(t *testing.T) (string, *node.Node) {
	base, n, _ := startNodeWith(t, nil)
	return base, n
}

// startNodeWith is startNode with tune applied to the configuration
// (when not nil); it returns the configuration the node runs with.
func startNodeWith(t *testing.T, tune func(*config.Config)) (string, *node.Node, config.Config) {
	if os.Getenv("EDGEDESK_ORT_LIB") == "" {
		lib, _ := filepath.Abs("../.cache/ort/libonnxruntime.so.1")
		if _, err := os.Stat(lib); err != nil {
			t.Fatalf("ONNX Runtime missing: run scripts/fetch-ort.sh (or make test) first: %v", err)
		}
		t.Setenv("EDGEDESK_ORT_LIB", lib)
	}
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Demo = true
	cfg.Gateway.RateLimit, cfg.Gateway.RateBurst = 1000, 1000
	cfg.Gateway.SessionRateLimit, cfg.Gateway.SessionRateBurst = 1000, 1000
	cfg.Gateway.AddressUpgradeRate, cfg.Gateway.AddressUpgradeBurst = 10000, 10000 // every test connection comes from 127.0.0.1
	cfg.Auth.StaffSecret = staffSecret
	// The pages are under test, not the classifier's latency: on a loaded
	// machine a message classified past the 50 ms default is stored
	// without an intent (by design) and the bot answers "not understood".
	cfg.Model.Timeout = time.Minute
	h := time.Now().UTC().Add(2 * time.Hour).Hour()
	cfg.Routing.Groups = teams(weekly(fmt.Sprintf("%02d:00-%02d:00", h, h+1)))
	if tune != nil {
		tune(cfg)
	}
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
	base := "http://" + n.Addr().String()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if r, err := http.Get(base + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return base, n, *cfg
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("node not ready after 30 s")
		}
	}
}

func TestWidgetInBrowser(t *testing.T) {
	chromium := needBrowser(t)
	base, n := startNode(t)
	agent, err := auth.Sign(staffSecret, auth.Claims{Subject: "alice", Name: "Alice", Role: "agent", Groups: []string{"uk-en"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	agentES, err := auth.Sign(staffSecret, auth.Claims{Subject: "bea", Name: "Bea", Role: "agent", Groups: []string{"es"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	control := openTeams(t, n)
	out := runSpec(t, chromium, "widget.spec.mjs", base, 8*time.Minute, "AGENT_TOKEN="+agent, "AGENT_ES_TOKEN="+agentES, "CONTROL="+control)
	if !strings.Contains(out, `"timings"`) {
		t.Fatal("the spec printed no timings")
	}
}

// needBrowser skips the test in -short, and installs Chromium and the npm
// modules when they are missing (or fails or skips: see unavailable). It
// returns Chromium's path.
func needBrowser(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test: not in -short")
	}
	chromium := ensureChromium(t)
	ensureModules(t)
	return chromium
}

// runSpec runs spec (a .mjs file in this directory) with plain node
// against the node at base, and fails the test unless it exits 0. Every
// spec gets BASE, CHROMIUM, SHOTS (a temporary directory, or
// docs/screenshots when EDGEDESK_UPDATE_SCREENSHOTS is set) and FAILS
// (screenshots of the pages when a step fails, kept then), plus env. It
// returns what the spec printed.
func runSpec(t *testing.T, chromium, spec, base string, timeout time.Duration, env ...string) string {
	t.Helper()
	shots := t.TempDir()
	if os.Getenv("EDGEDESK_UPDATE_SCREENSHOTS") != "" {
		shots, _ = filepath.Abs("../docs/screenshots")
	}
	fails, err := os.MkdirTemp("", "edgedesk-"+strings.TrimSuffix(spec, ".spec.mjs")+"-failures-")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", spec)
	cmd.Env = append(append(os.Environ(), "BASE="+base, "CHROMIUM="+chromium, "SHOTS="+shots, "FAILS="+fails), env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("%s (%v):\n%s", spec, time.Since(start).Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("%s failed (%v); screenshots of the pages at the failure in %s", spec, err, fails)
	}
	os.RemoveAll(fails)
	return string(out)
}

// openTeams serves the spec's one control: POST /open-teams opens every
// agent group all week (a routing reload, as SIGHUP or the core would
// send), so a message left for a closed team reaches an agent.
func openTeams(t *testing.T, n *node.Node) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /open-teams", func(w http.ResponseWriter, r *http.Request) {
		cfg := config.Default().Routing
		cfg.Groups = teams(weekly("00:00-24:00"))
		if err := n.ReloadRouting(cfg); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// teams are the spec's agent groups: uk-en, open all week, and es, open
// during esHours.
func teams(esHours map[string][]string) []config.AgentGroup {
	return []config.AgentGroup{
		{Name: "uk-en", Languages: []string{"en"}, TZ: "Europe/London", Hours: weekly("00:00-24:00"), Capacity: 5},
		{Name: "es", Languages: []string{"es"}, TZ: "UTC", Hours: esHours, Capacity: 5},
	}
}

// weekly is the same range of hours every day of the week.
func weekly(r string) map[string][]string {
	h := map[string][]string{}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		h[d] = []string{r}
	}
	return h
}
