package translate

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// gcmSealer seals as session.Keyring does (AES-256-GCM, random nonce,
// the key's id in front), without importing the store.
type gcmSealer struct {
	id   uint32
	aead cipher.AEAD
}

func newGCMSealer(t *testing.T, id uint32) *gcmSealer {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return &gcmSealer{id: id, aead: g}
}

func (s *gcmSealer) CurrentID() uint32 { return s.id }

func (s *gcmSealer) Seal(dst, aad, plain []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, s.id)
	n := len(dst)
	dst = append(dst, make([]byte, s.aead.NonceSize())...)
	rand.Read(dst[n:])
	return s.aead.Seal(dst, dst[n:], plain, aad)
}

func (s *gcmSealer) Open(aad, v []byte) ([]byte, error) {
	ns := s.aead.NonceSize()
	if len(v) < 4+ns {
		return nil, os.ErrInvalid
	}
	return s.aead.Open(nil, v[4:4+ns], v[4+ns:], aad)
}

// TestCacheSealed: with a sealer, no cached translation is on disk in
// plaintext; reopened under another key (or none) the cache is emptied
// rather than left readable or unreadable.
func TestCacheSealed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	const secret = "Mi pedido 48213 a Calle Mayor 5 no llega"
	k1 := cacheKey("apertium", "es", "en", "v1", "texto")
	c, err := openCache(path, 100, time.Hour, time.Second, newGCMSealer(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.put(k1, secret, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, ok := c.get(k1, time.Now()); !ok || got != secret {
		t.Fatalf("sealed entry read back as %q %v", got, ok)
	}
	c.close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("48213")) || bytes.Contains(raw, []byte("Calle Mayor")) {
		t.Fatal("the cache file holds the translation in plaintext")
	}
	for _, next := range []Sealer{newGCMSealer(t, 2), nil} {
		c, err = openCache(path, 100, time.Hour, time.Second, next)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.get(k1, time.Now()); ok || c.n.Load() != 0 {
			t.Fatalf("reopened under key %v: %d entries kept", next, c.n.Load())
		}
		if err := c.put(k1, secret, time.Now()); err != nil {
			t.Fatal(err)
		}
		c.close()
	}
}
