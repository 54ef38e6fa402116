package node

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/corelink"
	"github.com/edgedesk/edgedesk/node/internal/testpki"
)

// secureCore is a core nats-server with JetStream that requires TLS (a
// certificate of its own test CA) and credentials on its client port and
// on its leaf-node port: user edge with a password, or an NKey.
type secureCore struct {
	srv              *server.Server
	client, leaf     string // host:port
	ca               *testpki.CA
	caFile, seedFile string
}

const corePassword = "a long core password"

func startSecureCore(t *testing.T) *secureCore {
	t.Helper()
	dir := t.TempDir()
	c := &secureCore{ca: testpki.New(t, "core CA")}
	c.caFile = c.ca.WriteCA(t, dir)
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	pub, _ := kp.PublicKey()
	c.seedFile = filepath.Join(dir, "edge.nk")
	if err := os.WriteFile(c.seedFile, append(seed, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	serverTLS := func() *tls.Config {
		return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{c.ca.Issue(t, time.Hour, "127.0.0.1").TLS(t)}}
	}
	c.client, c.leaf = freeTCP(t), freeTCP(t)
	host, port, _ := strings.Cut(c.client, ":")
	lhost, lport, _ := strings.Cut(c.leaf, ":")
	o := &server.Options{
		ServerName: "core", Host: host, JetStream: true, StoreDir: filepath.Join(dir, "js"), JetStreamDomain: "core",
		NoLog: true, NoSigs: true,
		TLS: true, TLSConfig: serverTLS(), TLSTimeout: 2,
		Users: []*server.User{{Username: "edge", Password: corePassword}},
		Nkeys: []*server.NkeyUser{{Nkey: pub}},
	}
	o.Port, _ = strconv.Atoi(port)
	o.LeafNode.Host = lhost
	o.LeafNode.Port, _ = strconv.Atoi(lport)
	o.LeafNode.TLSConfig, o.LeafNode.TLSTimeout = serverTLS(), 2
	o.LeafNode.Username, o.LeafNode.Password = "edge", corePassword
	s, err := server.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("core not ready")
	}
	t.Cleanup(s.Shutdown)
	c.srv = s
	return c
}

// js connects to the core as edge.
func (c *secureCore) js(t *testing.T) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect("nats://"+c.client, nats.Secure(&tls.Config{RootCAs: c.ca.Pool()}), nats.UserInfo("edge", corePassword))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	return js
}

// TestSyncToCoreOverTLS: a node whose core requires TLS and credentials
// syncs with nats.tls.ca_file and user/password, or an NKey seed file;
// wrong credentials, or a core certificate it cannot verify, fail New
// at once with ErrRefused and a message saying what to check.
func TestSyncToCoreOverTLS(t *testing.T) {
	core := startSecureCore(t)
	for _, tc := range []struct {
		name string
		set  func(*config.NATS)
	}{
		{"user and password", func(n *config.NATS) { n.User, n.Password = "edge", corePassword }},
		{"nkey seed file", func(n *config.NATS) { n.NKeySeedFile = core.seedFile }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node := "edge-" + strings.ReplaceAll(tc.name, " ", "-")
			n, base, _ := startNode(t, noBot, func(c *config.Config) {
				c.NATS.URL, c.NATS.Node, c.NATS.TLS.CAFile = "nats://"+core.client, node, core.caFile
				tc.set(&c.NATS)
			})
			ws, _ := dialWidget(t, base, nil)
			ask(t, ws, "m1", "hello over TLS to "+node, true)
			waitFor(t, "the message at the core", func() bool {
				st, err := core.js(t).Stream(context.Background(), "EDGEDESK_SESSIONS")
				if err != nil {
					return false
				}
				info, err := st.Info(context.Background(), jetstream.WithSubjectFilter("edgedesk.sessions."+node+".>"))
				return err == nil && info.State.Msgs > 0 && n.Store().OutboxDepth() == 0
			})
		})
	}

	refused := []struct {
		name, want string
		set        func(*config.NATS)
	}{
		{"wrong password", "authorization", func(n *config.NATS) { n.User, n.Password, n.TLS.CAFile = "edge", "not the password", core.caFile }},
		{"no credentials", "authorization", func(n *config.NATS) { n.TLS.CAFile = core.caFile }},
		{"core certificate not trusted", "certificate", func(n *config.NATS) { n.User, n.Password = "edge", corePassword }},
		{"core certificate checked against another CA", "certificate", func(n *config.NATS) {
			other := testpki.New(t, "other CA")
			n.User, n.Password = "edge", corePassword
			n.TLS.CAFile = other.WriteCA(t, t.TempDir())
		}},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.DataDir, cfg.Bot.Enabled, cfg.Model.Enabled = t.TempDir(), false, false
			cfg.NATS.URL, cfg.NATS.Node = "nats://"+core.client, "edge-refused"
			tc.set(&cfg.NATS)
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			n, err := New(cfg, nil)
			if err == nil {
				n.Close(context.Background())
				t.Fatal("New connected with " + tc.name)
			}
			if !errors.Is(err, corelink.ErrRefused) || !strings.Contains(strings.ToLower(err.Error()), tc.want) || !strings.Contains(err.Error(), "nats.tls") {
				t.Fatalf("err = %v, want ErrRefused saying %q and what to check", err, tc.want)
			}
			t.Logf("New: %v", err)
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("refusal took %v", d)
			}
		})
	}
}

// TestLeafOverTLS: the embedded server joins a core that requires TLS
// and a password on its leaf-node port, with nats.tls.ca_file and
// nats.user/password, and the edge's stream is reachable from the core
// through the leaf connection.
func TestLeafOverTLS(t *testing.T) {
	core := startSecureCore(t)
	startNode(t, noBot, func(c *config.Config) {
		c.NATS.Leaf, c.NATS.Node = "nats-leaf://"+core.leaf, "edge-tls"
		c.NATS.TLS.CAFile, c.NATS.User, c.NATS.Password = core.caFile, "edge", corePassword
	})
	waitFor(t, "the leaf link over TLS", func() bool { return leafCount(core.srv) > 0 })
	l, err := core.srv.Leafz(nil)
	if err != nil || len(l.Leafs) != 1 {
		t.Fatalf("leafz %+v %v", l, err)
	}
	ejs, _ := jetstream.NewWithDomain(core.js(t).Conn(), "edge-edge-tls")
	waitFor(t, "the edge's stream, seen from the core", func() bool {
		_, err := ejs.Stream(context.Background(), "EDGEDESK_SESSIONS")
		return err == nil
	})
}

// TestCoreOutOfReachStillStarts: a core that does not answer (nothing
// listens) is no refusal: New succeeds and the connection retries in the
// background, while a core that answers later takes the outbox.
func TestCoreOutOfReachStillStarts(t *testing.T) {
	addr := freeTCP(t) // nothing listens there
	n, base, _ := startNode(t, noBot, func(c *config.Config) {
		c.NATS.URL, c.NATS.Node, c.NATS.User, c.NATS.Password = "nats://"+addr, "edge-later", "edge", corePassword
		c.Files.Enabled = false // the object store is made at start, with the core
	})
	ws, _ := dialWidget(t, base, nil)
	ask(t, ws, "m1", "while the core is away", true)
	if n.Store().OutboxDepth() == 0 {
		t.Fatal("the outbox is empty with the core away")
	}
	host, port, _ := strings.Cut(addr, ":")
	o := &server.Options{ServerName: "late-core", Host: host, JetStream: true, StoreDir: filepath.Join(t.TempDir(), "js"), NoLog: true, NoSigs: true,
		Users: []*server.User{{Username: "edge", Password: corePassword}}}
	o.Port, _ = strconv.Atoi(port)
	s, err := server.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(s.Shutdown)
	waitFor(t, "the outbox drained to the core that came", func() bool { return n.Store().OutboxDepth() == 0 })
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLeafRefusedIsLogged: a leaf connection the core refuses (a wrong
// password) is logged by the node (corelink's serverLog; its test checks
// that retries do not repeat the line).
func TestLeafRefusedIsLogged(t *testing.T) {
	core := startSecureCore(t)
	cfg := config.Default()
	cfg.DataDir, cfg.Bot.Enabled, cfg.Model.Enabled = t.TempDir(), false, false
	cfg.NATS.Leaf, cfg.NATS.Node = "nats-leaf://"+core.leaf, "edge-wrong"
	cfg.NATS.TLS.CAFile, cfg.NATS.User, cfg.NATS.Password = core.caFile, "edge", "not the password"
	var logs syncBuffer
	n, err := New(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close(context.Background())
	waitFor(t, "the refusal in the log", func() bool { return strings.Contains(logs.String(), "Authorization Violation") })
	t.Logf("logged: %s", logs.String())
	if leafCount(core.srv) != 0 {
		t.Fatal("a leaf with the wrong password is connected")
	}
}

// TestSyncToCoreWithToken: nats.token authenticates to a core that takes
// a token (here over TLS from a tls:// URL with the test CA).
func TestSyncToCoreWithToken(t *testing.T) {
	ca := testpki.New(t, "token core CA")
	addr := freeTCP(t)
	host, port, _ := strings.Cut(addr, ":")
	o := &server.Options{ServerName: "token-core", Host: host, JetStream: true, StoreDir: filepath.Join(t.TempDir(), "js"), NoLog: true, NoSigs: true,
		Authorization: "a-long-core-token", TLS: true, TLSTimeout: 2,
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{ca.Issue(t, time.Hour, "127.0.0.1").TLS(t)}}}
	o.Port, _ = strconv.Atoi(port)
	s, err := server.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(s.Shutdown)
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("core not ready")
	}
	n, base, _ := startNode(t, noBot, func(c *config.Config) {
		c.NATS.URL, c.NATS.Node, c.NATS.Token, c.NATS.TLS.CAFile = "tls://"+addr, "edge-token", "a-long-core-token", ca.WriteCA(t, t.TempDir())
	})
	ws, _ := dialWidget(t, base, nil)
	ask(t, ws, "m1", "hello with a token", true)
	waitFor(t, "the outbox drained to the core", func() bool { return n.Store().OutboxDepth() == 0 })
	nc, err := nats.Connect("tls://"+addr, nats.Secure(&tls.Config{RootCAs: ca.Pool()}), nats.Token("a-long-core-token"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if got := streamMessages(t, js, 1); len(got) != 1 {
		t.Fatalf("the core holds %v", got)
	}
}
