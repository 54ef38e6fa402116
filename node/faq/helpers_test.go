package faq

import (
	"bytes"
	"path/filepath"
	"testing"
)

// demoTrackOrderEN is the demo's English track_order answer.
const demoTrackOrderEN = "Order #{{order_number}}: you can follow it at https://shop.example.com/orders/{{order_number}} — it usually arrives 3–7 business days after dispatch."

// openStore opens a store in a fresh temporary directory and closes it
// when the test ends.
func openStore(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "faq.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// mustReplace replaces the store's set or fails the test.
func mustReplace(t testing.TB, s *Store, entries ...Entry) uint64 {
	t.Helper()
	v, err := s.Replace(entries)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// export returns the store's export in format f.
func export(t testing.TB, s *Store, f Format) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := s.Export(&b, f); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
