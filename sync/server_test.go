package edgesync

import (
	"errors"
	"testing"

	"github.com/nats-io/nats.go"
)

// TestListenRequiresCredentials: the embedded server's client port serves
// every session, so off loopback it refuses to listen without credentials
// and TLS, and with credentials it refuses clients without them.
func TestListenRequiresCredentials(t *testing.T) {
	base := ServerOptions{Name: "t", Listen: ":-1", InternalPassword: "internal-secret"}
	for name, o := range map[string]ServerOptions{
		"off loopback without credentials": func() ServerOptions { o := base; o.Listen = "0.0.0.0:-1"; return o }(),
		"no password":                      func() ServerOptions { o := base; o.ListenUser = "ops"; return o }(),
		"no internal password": func() ServerOptions {
			o := base
			o.ListenUser, o.ListenPassword, o.InternalPassword = "ops", "pw", ""
			return o
		}(),
		"off loopback without TLS": func() ServerOptions {
			o := base
			o.Listen, o.ListenUser, o.ListenPassword = "0.0.0.0:-1", "ops", "pw"
			return o
		}(),
	} {
		o.StoreDir = t.TempDir()
		if s, err := StartServer(o); !errors.Is(err, ErrServer) {
			if s != nil {
				s.Shutdown()
			}
			t.Errorf("%s: %v, want ErrServer", name, err)
		}
	}

	o := base
	o.StoreDir, o.ListenUser, o.ListenPassword = t.TempDir(), "ops", "s3cret-pw"
	s, err := StartServer(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	url := s.ClientURL()
	if nc, err := nats.Connect(url); err == nil {
		nc.Close()
		t.Fatal("connected without credentials")
	}
	if nc, err := nats.Connect(url, nats.UserInfo("ops", "wrong")); err == nil {
		nc.Close()
		t.Fatal("connected with a wrong password")
	}
	nc, err := nats.Connect(url, nats.UserInfo("ops", "s3cret-pw"))
	if err != nil {
		t.Fatalf("with the credentials: %v", err)
	}
	nc.Close()
	in, err := nats.Connect("", nats.InProcessServer(s), nats.UserInfo(InternalUser, "internal-secret"))
	if err != nil {
		t.Fatalf("the node's own connection: %v", err)
	}
	in.Close()
	if a := s.Addr().String(); a[:10] != "127.0.0.1:" {
		t.Fatalf("listening on %s", a)
	}
}
