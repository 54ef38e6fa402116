// Package testapy starts a real Apertium APY server for tests: installed
// from Debian packages when missing (the test fails when it cannot be,
// it never skips), started on a free loopback port, waited for by polling
// /listPairs, stopped and started again on the same port to test what a
// node does while its translation provider is down. Tests only.
package testapy

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Packages are the Debian packages the tests need: the server and the
// pairs they translate (en↔es, fr→es, es↔pt, en→ca, and Serbo-Croatian→en
// for understanding a language the model does not know).
var Packages = []string{"apertium-apy", "apertium-eng-spa", "apertium-fr-es", "apertium-es-pt", "apertium-eng-cat", "apertium-hbs-eng"}

// modes are the files whose absence means the packages are missing.
var pairModes = []string{"spa-eng.mode", "fr-es.mode", "es-pt.mode", "eng-cat.mode", "hbs-eng.mode"}

const (
	binary = "/usr/bin/apertium-apy"
	modes  = "/usr/share/apertium/modes"
)

var installOnce sync.Once
var installErr error

// Ensure installs the packages with apt-get when the server or a pair is
// missing; it fails t when that is not possible.
func Ensure(t testing.TB) {
	t.Helper()
	installOnce.Do(func() {
		missing := false
		if _, err := os.Stat(binary); err != nil {
			missing = true
		}
		for _, m := range pairModes {
			if _, err := os.Stat(modes + "/" + m); err != nil {
				missing = true
			}
		}
		if !missing {
			return
		}
		if _, err := exec.LookPath("apt-get"); err != nil {
			installErr = fmt.Errorf("apertium-apy is missing and there is no apt-get to install %v", Packages)
			return
		}
		cmd := exec.Command("sh", "-c", "apt-get update && apt-get install -y --no-install-recommends \"$@\"", "sh")
		cmd.Args = append(cmd.Args, Packages...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			if len(out) > 2000 {
				out = out[len(out)-2000:]
			}
			installErr = fmt.Errorf("apt-get install %v: %v\n%s", Packages, err, out)
		}
	})
	if installErr != nil {
		t.Fatalf("Apertium APY is needed and cannot be installed: %v", installErr)
	}
}

// Server is a running APY.
type Server struct {
	URL  string
	port int
	mu   sync.Mutex
	cmd  *exec.Cmd
	log  bytes.Buffer
}

// Start installs (if needed) and starts APY on a free loopback port and
// waits until it lists its pairs; t.Cleanup stops it.
func Start(t testing.TB) *Server {
	t.Helper()
	Ensure(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), port: port}
	s.Restart(t)
	t.Cleanup(s.Stop)
	return s
}

// Restart starts the server again after Stop, on the same port.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	s.cmd = exec.Command(binary, "-p", strconv.Itoa(s.port), modes)
	s.cmd.Stdout, s.cmd.Stderr = &s.log, &s.log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its translation pipelines go with it
	err := s.cmd.Start()
	s.mu.Unlock()
	if err != nil {
		t.Fatalf("starting apertium-apy: %v", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/listPairs")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			s.Stop()
			t.Fatalf("apertium-apy on port %d did not list its pairs within 60s: %v\n%s", s.port, err, s.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop kills the server and its pipelines; it may be called twice.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	_ = s.cmd.Wait()
	s.cmd = nil
}
