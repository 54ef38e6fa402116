package edgesync

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestMQTTKeepsClientPortAuth: an MQTT listener replaces nats-server's own
// checks with the custom authenticator, which must still take the client
// port's users and NKeys (with full permissions) and refuse everyone else;
// a widget token grants its key's topics only.
func TestMQTTKeepsClientPortAuth(t *testing.T) {
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := user.PublicKey()
	stranger, _ := nkeys.CreateUser()
	s, err := StartServer(ServerOptions{
		Name: "t", StoreDir: t.TempDir(), Listen: "127.0.0.1:-1", InternalPassword: "internal-secret",
		ListenUser: "ops", ListenPassword: "s3cret-pw", ListenNKeys: []string{pub},
		MQTT: MQTTOptions{Listen: freePort(t), Auth: func(u, p string) (string, error) {
			if p != "good-token" {
				return "", errors.New("refused")
			}
			return "k1", nil
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	url := s.ClientURL()
	refused := map[string][]nats.Option{
		"no credentials":                 nil,
		"wrong password":                 {nats.UserInfo("ops", "wrong")},
		"internal user over the network": {nats.UserInfo(InternalUser, "guess")},
		"unknown nkey":                   {nkeyOpt(t, stranger)},
		"bad token":                      {nats.UserInfo("k1", "bad-token")},
	}
	for name, opts := range refused {
		if nc, err := nats.Connect(url, opts...); err == nil {
			nc.Close()
			t.Errorf("%s: connected", name)
		}
	}
	full := map[string][]nats.Option{
		"user":       {nats.UserInfo("ops", "s3cret-pw")},
		"nkey":       {nkeyOpt(t, user)},
		"in-process": {nats.InProcessServer(s)},
	}
	for name, opts := range full {
		nc, err := nats.Connect(url, opts...)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if err := nc.Publish("edgedesk.sessions.x.y.msg", nil); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := nc.Subscribe(">", func(*nats.Msg) {}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if err := nc.Flush(); err != nil || nc.LastError() != nil {
			t.Errorf("%s: full permissions refused: %v %v", name, err, nc.LastError())
		}
		nc.Close()
	}

	// A token's holder may publish only into its key's inbound subjects.
	errs := make(chan error, 4)
	nc, err := nats.Connect(url, nats.UserInfo("k1", "good-token"), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.Publish(MQTTInSubject("k1", "c"), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	select {
	case err := <-errs:
		t.Fatalf("own inbound subject: %v", err)
	default:
	}
	nc.Publish(MQTTInSubject("k2", "c"), []byte("{}"))
	select {
	case err := <-errs:
		if !strings.Contains(err.Error(), "Permissions Violation") {
			t.Fatalf("another key's subject: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("publishing into another key's subject was not refused")
	}
}

func nkeyOpt(t *testing.T, kp nkeys.KeyPair) nats.Option {
	t.Helper()
	pub, _ := kp.PublicKey()
	return nats.Nkey(pub, kp.Sign)
}

// TestMQTTListenNeedsTLSOffLoopback: the CONNECT carries a token, so the
// MQTT port off loopback requires TLS; an authenticator is required.
func TestMQTTListenNeedsTLSOffLoopback(t *testing.T) {
	auth := func(string, string) (string, error) { return "k", nil }
	for name, m := range map[string]MQTTOptions{
		"off loopback without TLS": {Listen: "0.0.0.0:0", Auth: auth},
		"no authenticator":         {Listen: "127.0.0.1:0"},
		"bad address":              {Listen: "nope", Auth: auth},
	} {
		if s, err := StartServer(ServerOptions{Name: "t", StoreDir: t.TempDir(), MQTT: m}); !errors.Is(err, ErrServer) {
			if s != nil {
				s.Shutdown()
			}
			t.Errorf("%s: %v, want ErrServer", name, err)
		}
	}
}
