package node

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/config"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// TestEncryptedAtRest: a chat through a node with a store key leaves no
// plaintext of the message, the email or the phone number in the bbolt
// files or in the embedded JetStream's directory, and the node reads it
// all back after a restart.
func TestEncryptedAtRest(t *testing.T) {
	dir := t.TempDir()
	key := strings.Repeat("5a", 32)
	withKey := func(c *config.Config) {
		c.DataDir = dir
		c.Store.EncryptionKey = key // as EDGEDESK_STORE_ENCRYPTION_KEY sets it
	}
	n, base, stop := startNode(t, withKey)
	secrets := []string{"zanzibar-order-7731", "alice.wong@example.org", "+44 7700 900461"}
	ws, w := dialWidget(t, base, map[string]any{"locale": "en", "customer": map[string]any{"name": "Alice Wong", "email": "alice.wong@example.org"}})
	ask(t, ws, "c1", "Where is my order zanzibar-order-7731? Call me on +44 7700 900461", false)
	deadline := time.Now().Add(10 * time.Second)
	for n.store.OutboxDepth() > 0 { // published to the embedded JetStream
		if time.Now().After(deadline) {
			t.Fatalf("outbox still holds %d events", n.store.OutboxDepth())
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()

	var scanned []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if !strings.HasPrefix(rel, "nats") && !strings.HasPrefix(rel, "sessions") {
			return nil // analytics, audit, staff, FAQ: not covered (SECURITY.md)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanned = append(scanned, rel)
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%q in plaintext in %s", s, rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var js, bolt bool
	for _, f := range scanned {
		js = js || strings.HasPrefix(f, "nats")
		bolt = bolt || strings.HasSuffix(f, ".db")
	}
	if !js || !bolt {
		t.Fatalf("scanned %v: want the bbolt files and JetStream's", scanned)
	}

	// Rotated: a new key in a file, the old one among the old keys. The
	// node reads the chat, JetStream opens, and the resealer finishes.
	keys := t.TempDir()
	newKey, oldKey := filepath.Join(keys, "new.key"), filepath.Join(keys, "old.key")
	os.WriteFile(newKey, []byte(strings.Repeat("a7", 32)+"\n"), 0o600)
	os.WriteFile(oldKey, []byte(key), 0o600)
	n, _, stop = startNode(t, func(c *config.Config) {
		c.DataDir = dir
		c.Store.EncryptionKeyFile, c.Store.EncryptionOldKeyFiles = newKey, []string{oldKey}
	})
	meta, err := n.store.Get(w.Session)
	msgs, merr := n.store.Messages(w.Session, 0, 0)
	if err != nil || merr != nil || meta.Customer.Email != "alice.wong@example.org" || len(msgs) < 2 || !strings.Contains(msgs[0].Text, "zanzibar-order-7731") {
		t.Fatalf("after rotation: %+v %v; %d messages %v", meta.Customer, err, len(msgs), merr)
	}
	for deadline := time.Now().Add(10 * time.Second); !n.store.Resealed(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("resealer not done")
		}
	}
	stop()

	// Done: the new key alone serves the chat, and the stream.
	n, _, _ = startNode(t, func(c *config.Config) { c.DataDir = dir; c.Store.EncryptionKeyFile = newKey })
	if msgs, err := n.store.Messages(w.Session, 0, 0); err != nil || len(msgs) < 2 {
		t.Fatalf("new key alone: %d messages, %v", len(msgs), err)
	}
	st, err := n.link.JetStream().Stream(context.Background(), edgesync.Stream)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for seq := uint64(1); seq <= 10 && !found; seq++ {
		if m, err := st.GetMsg(context.Background(), seq); err == nil {
			found = bytes.Contains(m.Data, []byte("zanzibar-order-7731"))
		}
	}
	if !found {
		t.Fatal("the stream with the new key alone: the chat's message not found")
	}
}
