package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/edgedesk/edgedesk/config"
)

// The edgedesk binary, built once per test run for the tests that create
// staff accounts as an admin does: with `edgedesk staff add`.
var cli struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// edgedeskBinary builds the edgedesk command (the module's root) once.
func edgedeskBinary(t *testing.T) string {
	t.Helper()
	cli.once.Do(func() {
		if cli.dir, cli.err = os.MkdirTemp("", "edgedesk-e2e-bin-"); cli.err != nil {
			return
		}
		cli.path = filepath.Join(cli.dir, "edgedesk")
		out, err := exec.Command("go", "build", "-o", cli.path, "..").CombinedOutput()
		if err != nil {
			cli.err = &buildError{err, string(out)}
		}
	})
	if cli.err != nil {
		t.Fatalf("go build edgedesk: %v", cli.err)
	}
	return cli.path
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

func TestMain(m *testing.M) {
	code := m.Run()
	if cli.dir != "" {
		os.RemoveAll(cli.dir)
	}
	os.Exit(code)
}

// configFile writes the part of cfg `edgedesk staff` reads (data_dir, and
// the groups it checks --groups against) as a YAML config file: the CLI
// then works on the data directory of the node the test runs in-process.
func configFile(t *testing.T, cfg config.Config) string {
	t.Helper()
	type group struct {
		Name      string              `yaml:"name"`
		Languages []string            `yaml:"languages"`
		TZ        string              `yaml:"tz"`
		Hours     map[string][]string `yaml:"hours"`
		Capacity  int                 `yaml:"capacity"`
	}
	var doc struct {
		DataDir string `yaml:"data_dir"`
		Routing struct {
			Groups []group `yaml:"groups"`
		} `yaml:"routing"`
	}
	doc.DataDir = cfg.DataDir
	for _, g := range cfg.Routing.Groups {
		doc.Routing.Groups = append(doc.Routing.Groups, group{g.Name, g.Languages, g.TZ, g.Hours, g.Capacity})
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "edgedesk.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// staffAdd runs `edgedesk staff add args… -config configFile` with the
// password on standard input, as an admin scripting it would, and fails
// the test unless it added the account without a warning.
func staffAdd(t *testing.T, configFile, password string, args ...string) {
	t.Helper()
	cmd := exec.Command(edgedeskBinary(t), append(append([]string{"staff", "add"}, args...), "-config", configFile)...)
	// Only the file configures it: config.Load reads EDGEDESK_* settings
	// from the environment (a developer's EDGEDESK_DATA_DIR would win over
	// the file) and refuses names it does not know (the test's own
	// EDGEDESK_UPDATE_SCREENSHOTS).
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "EDGEDESK_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stdin = strings.NewReader(password + "\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("edgedesk staff add %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "added ") || stderr.Len() > 0 {
		t.Fatalf("edgedesk staff add %s: stdout %q, stderr %q", strings.Join(args, " "), stdout.String(), stderr.String())
	}
}
