// Package testapy starts a real Apertium APY server for tests: installed
// from Debian packages when missing (the test fails when it cannot be,
// it never skips), started on a free loopback port, waited for by polling
// /listPairs, stopped and started again on the same port to test what a
// node does while its translation provider is down. Tests only.
package testapy

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
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
	URL    string
	port   int
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan error // cmd.Wait's result, once
	log    syncBuffer
}

// syncBuffer is APY's output, written by the process's copier goroutine
// and read by a failing test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

// Start installs (if needed) and starts APY on a free port and waits
// until it lists its pairs; t.Cleanup stops it. APY binds every interface
// (it has no option for one): the port is picked below the kernel's
// ephemeral range, where other processes' outgoing connections do not
// take it, and checked free on every address, IPv4 and IPv6; a start that
// still finds it taken tries another.
func Start(t testing.TB) *Server {
	t.Helper()
	Ensure(t)
	for try := 0; ; try++ {
		port := freePort(t)
		s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), port: port}
		err := s.start()
		if err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		if try == 4 || !strings.Contains(s.log.String(), "Address already in use") {
			t.Fatalf("apertium-apy on port %d: %v\n%s", port, err, s.log.String())
		}
	}
}

// freePort returns a port in [20000, 32768) that nothing listens on or
// connects from, on any address.
func freePort(t testing.TB) int {
	t.Helper()
	for range 100 {
		port := 20000 + rand.IntN(12768)
		l4, err := net.Listen("tcp4", "0.0.0.0:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		l6, err := net.Listen("tcp6", "[::]:"+strconv.Itoa(port))
		l4.Close()
		if err != nil && !strings.Contains(err.Error(), "address family") && !strings.Contains(err.Error(), "cannot assign") {
			continue
		}
		if l6 != nil {
			l6.Close()
		}
		return port
	}
	t.Fatal("no free port for apertium-apy")
	return 0
}

// Restart starts the server again after Stop, on the same port.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		t.Fatalf("apertium-apy on port %d: %v\n%s", s.port, err, s.log.String())
	}
}

// start runs APY and polls /listPairs until it answers, the process
// exits, or 60 s pass.
func (s *Server) start() error {
	s.mu.Lock()
	s.log.Reset()
	cmd := exec.Command(binary, "-p", strconv.Itoa(s.port), modes)
	cmd.Stdout, cmd.Stderr = &s.log, &s.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its translation pipelines go with it
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("starting: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/listPairs")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case werr := <-exited:
			exited <- werr // Stop reads it too
			s.Stop()
			return fmt.Errorf("exited before listing its pairs: %v", werr)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("did not list its pairs within 60s: %v", err)
		}
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
	<-s.exited
	s.cmd = nil
}
