package edgesync

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

var jsSecrets = []string{"zanzibar-order-7731", "alice.wong@example.org", "+44 7700 900461"}

func startEncrypted(t *testing.T, dir string, key, old []byte) (*server.Server, jetstream.JetStream) {
	t.Helper()
	srv, err := StartServer(ServerOptions{Name: "edge", StoreDir: dir, EncryptionKey: key, OldEncryptionKey: old})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect("", nats.InProcessServer(srv))
	if err != nil {
		srv.Shutdown()
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close(); srv.Shutdown() })
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := EnsureStream(context.Background(), js, 1); err != nil {
		t.Fatal(err)
	}
	return srv, js
}

func jsPlaintext(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range jsSecrets {
			if bytes.Contains(b, []byte(s)) {
				found = append(found, s+" in "+path)
			}
		}
		return nil
	})
	return found
}

// TestJetStreamEncrypted: with a key, the embedded JetStream's files hold
// no plaintext of what the events say; after a rotation (the new key, the
// old one given as old) the stream is read back and re-encrypted.
func TestJetStreamEncrypted(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "nats")
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	data := []byte(`{"text":"where is zanzibar-order-7731? alice.wong@example.org, +44 7700 900461"}`)

	srv, js := startEncrypted(t, dir, k1, nil)
	for i := 0; i < 20; i++ {
		if _, err := js.Publish(ctx, SubjectPrefix+"edge.s_1.msg", data); err != nil {
			t.Fatal(err)
		}
	}
	srv.Shutdown()
	srv.WaitForShutdown()
	if found := jsPlaintext(t, dir); len(found) > 0 {
		t.Fatalf("plaintext in JetStream's files: %v", found)
	}

	srv, js = startEncrypted(t, dir, k2, k1)
	st, err := js.Stream(ctx, Stream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.GetMsg(ctx, 20)
	if err != nil || !bytes.Equal(m.Data, data) {
		t.Fatalf("after rotation: %q, %v", m.Data, err)
	}
	srv.Shutdown()
	srv.WaitForShutdown()
	if found := jsPlaintext(t, dir); len(found) > 0 {
		t.Fatalf("plaintext in JetStream's files after rotation: %v", found)
	}
	// Re-encrypted: the new key alone opens the stream.
	_, js = startEncrypted(t, dir, k2, nil)
	if st, err = js.Stream(ctx, Stream); err != nil {
		t.Fatal(err)
	}
	if m, err := st.GetMsg(ctx, 1); err != nil || !bytes.Equal(m.Data, data) {
		t.Fatalf("new key alone: %q, %v", m.Data, err)
	}
}

func TestJetStreamKeyDerived(t *testing.T) {
	k := bytes.Repeat([]byte{1}, 32)
	a, err := jetStreamKey(k)
	if err != nil || len(a) != 64 || a == jetStreamKeyHex(k) {
		t.Fatalf("derived key %q (%v) is the store key", a, err)
	}
}

func jetStreamKeyHex(k []byte) string {
	const hexdigits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(k))
	for _, b := range k {
		out = append(out, hexdigits[b>>4], hexdigits[b&15])
	}
	return string(out)
}
