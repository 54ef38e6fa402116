package session

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func mustKeyring(t testing.TB, cur []byte, old ...[]byte) *Keyring {
	t.Helper()
	kr, err := NewKeyring(cur, old...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// secrets are what a chat below says about its customer.
var secrets = []string{"zanzibar-order-7731", "alice.wong@example.org", "+44 7700 900461", "Alice Wong", "receipt-scan.pdf"}

// chat stores a session with a customer and messages carrying secrets,
// through the log, compaction and the outbox.
func chat(t *testing.T, s *Store, n int) string {
	t.Helper()
	ctx := context.Background()
	m, err := s.Create(ctx, Meta{Channel: "web", Customer: Customer{ID: "c-42", Name: "Alice Wong", Email: "alice.wong@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		msg := customerMsg(m.ID, "cid-"+strconv.Itoa(i), "where is zanzibar-order-7731? call me on +44 7700 900461")
		msg.Attachments = []Attachment{{URL: "files/x", MIME: "application/pdf", Name: "receipt-scan.pdf", Size: 10}}
		if _, err := s.Post(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	return m.ID
}

// plaintextIn returns the secrets found in the files under dir.
func plaintextIn(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				found = append(found, s+" in "+filepath.Base(path))
			}
		}
		return nil
	})
	return found
}

func TestSealedAtRest(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sessions.db")
	kr := mustKeyring(t, testKey(1))
	s := openTest(t, Options{Path: path, Shards: 2, Keys: kr, Outbox: true})
	id := chat(t, s, 40) // past CompactAt: some messages compacted, some in the log

	// The outbox hands the publisher plaintext.
	evs, err := s.OutboxBatch(s.pick(id).index, 0, 100)
	if err != nil || len(evs) == 0 || !bytes.Contains(evs[len(evs)-1].Data, []byte("zanzibar-order-7731")) {
		t.Fatalf("outbox = %d events, %v", len(evs), err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if found := plaintextIn(t, dir); len(found) > 0 {
		t.Fatalf("plaintext on disk: %v", found)
	}

	// The same key reads everything back, offline too.
	s = openTest(t, Options{Path: path, Shards: 2, Keys: kr, Outbox: true})
	meta, err := s.Get(id)
	if err != nil || meta.Customer.Email != "alice.wong@example.org" {
		t.Fatalf("meta = %+v, %v", meta, err)
	}
	msgs, err := s.Messages(id, 0, 0)
	if err != nil || len(msgs) != 40 || msgs[39].Attachments[0].Name != "receipt-scan.pdf" || !strings.Contains(msgs[0].Text, "+44 7700 900461") {
		t.Fatalf("messages = %d, %v", len(msgs), err)
	}
	// A resent cid finds its sealed original.
	r, err := s.Post(context.Background(), customerMsg(id, "cid-0", "again"))
	if err != nil || r.Seq != 1 || !strings.Contains(r.Text, "zanzibar") {
		t.Fatalf("resend: %+v, %v", r, err)
	}
	s.Close(context.Background())
	if _, msgs, err := Inspect(path, 2, kr, id, 0); err != nil || len(msgs) != 40 {
		t.Fatalf("Inspect = %d messages, %v", len(msgs), err)
	}

	// Without the key (or with another) nothing opens.
	if _, _, err := Inspect(path, 2, nil, id, 0); !errors.Is(err, ErrSealed) {
		t.Fatalf("Inspect without a key: %v", err)
	}
	if _, _, err := Inspect(path, 2, mustKeyring(t, testKey(2)), id, 0); !errors.Is(err, ErrSealed) {
		t.Fatalf("Inspect with another key: %v", err)
	}
}

// A sealed record moved under another key does not open: the associated
// data binds it to its session and seq.
func TestSealedRecordBoundToItsKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	kr := mustKeyring(t, testKey(1))
	s := openTest(t, Options{Path: path, Keys: kr, CompactAt: 1, CompactChunk: 100})
	a := chat(t, s, 3)
	b := chat(t, s, 3)
	s.Close(context.Background())

	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		sb := tx.Bucket(bucketSessions)
		v := sb.Get(msgKey(a, 1))
		if v == nil || !isSealed(v) {
			t.Fatalf("message 1 of a not compacted or not sealed: %x", v)
		}
		if err := sb.Put(msgKey(b, 2), bytes.Clone(v)); err != nil {
			return err
		}
		return sb.Put(metaKey(b), bytes.Clone(sb.Get(metaKey(a))))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Inspect(path, 1, kr, b, 0); err == nil || !strings.Contains(err.Error(), "does not open") {
		t.Fatalf("swapped records opened: %v", err)
	}
	if _, msgs, err := Inspect(path, 1, kr, a, 0); err != nil || len(msgs) != 3 {
		t.Fatalf("a = %d messages, %v", len(msgs), err)
	}
}

// A store switched on keeps reading what it wrote in plaintext.
func TestSealSwitchedOn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	s := openTest(t, Options{Path: path})
	old := chat(t, s, 20)
	s.Close(context.Background())

	s = openTest(t, Options{Path: path, Keys: mustKeyring(t, testKey(1))})
	id := chat(t, s, 5)
	for _, sid := range []string{old, id} {
		meta, err := s.Get(sid)
		msgs, merr := s.Messages(sid, 0, 0)
		if err != nil || merr != nil || meta.Customer.Email != "alice.wong@example.org" || len(msgs) == 0 || msgs[0].Attachments[0].Name != "receipt-scan.pdf" {
			t.Fatalf("%s: meta %+v %v, %d messages %v", sid, meta, err, len(msgs), merr)
		}
	}
}

func TestKeyring(t *testing.T) {
	if _, err := NewKeyring(make([]byte, 16)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("16-byte key: %v", err)
	}
	kr := mustKeyring(t, testKey(1), testKey(2), testKey(1))
	if kr.CurrentID() != KeyID(testKey(1)) || len(kr.byID) != 2 {
		t.Fatalf("keyring %08x with %d keys", kr.CurrentID(), len(kr.byID))
	}
	aad := []byte("g-key")
	v := kr.seal(nil, aad, []byte(`{"text":"hi"}`))
	w := kr.seal(nil, aad, []byte(`{"text":"hi"}`))
	if bytes.Equal(v, w) || len(v) != len(`{"text":"hi"}`)+sealOverhead {
		t.Fatal("two seals of one record are equal: nonce reused")
	}
	if p, err := kr.open(aad, v); err != nil || string(p) != `{"text":"hi"}` {
		t.Fatalf("open = %q, %v", p, err)
	}
	for i := range v { // every altered byte is caught
		bad := bytes.Clone(v)
		bad[i] ^= 0x40
		if _, err := kr.open(aad, bad); err == nil && i != 0 {
			t.Fatalf("byte %d altered: opened", i)
		}
	}
	if _, err := kr.open(aad, v[:sealOverhead-1]); err == nil {
		t.Fatal("truncated record opened")
	}
	// An old key still opens its records.
	older := mustKeyring(t, testKey(2))
	if p, err := kr.open(aad, older.seal(nil, aad, []byte("x"))); err != nil || string(p) != "x" {
		t.Fatalf("old key: %q, %v", p, err)
	}
}

func FuzzOpenSealed(f *testing.F) {
	kr := mustKeyring(f, testKey(1))
	f.Add(kr.seal(nil, []byte("a"), []byte(`{"x":1}`)))
	f.Add([]byte{sealMark})
	f.Add([]byte(`{"x":1}`))
	f.Fuzz(func(t *testing.T, v []byte) {
		p, err := kr.open([]byte("a"), v)
		if err == nil && isSealed(v) && len(p) > len(v) {
			t.Fatalf("opened %d bytes from %d", len(p), len(v))
		}
	})
}

// BenchmarkSealRecord and BenchmarkOpenRecord are what sealing adds per
// stored message (a typical customer message's record) on the answer
// path: one seal in the committer, one open per read from the store.
func BenchmarkSealRecord(b *testing.B) {
	kr := mustKeyring(b, testKey(1))
	m := customerMsg("s_0123456789abcdef", "cid-1", "Where is my order #12345? It was due on Monday and nothing came.")
	m.Seq, m.Intent, m.Lang = 7, "order_status", "en"
	rec := appendRecord(nil, &m)
	aad := appendAAD(nil, aadMsg, msgKey(m.Session, m.Seq))
	buf := make([]byte, 0, len(rec)+sealOverhead)
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		buf = kr.seal(buf[:0], aad, rec)
	}
}

func BenchmarkOpenRecord(b *testing.B) {
	kr := mustKeyring(b, testKey(1))
	m := customerMsg("s_0123456789abcdef", "cid-1", "Where is my order #12345? It was due on Monday and nothing came.")
	m.Seq, m.Intent, m.Lang = 7, "order_status", "en"
	rec := appendRecord(nil, &m)
	aad := appendAAD(nil, aadMsg, msgKey(m.Session, m.Seq))
	v := kr.seal(nil, aad, rec)
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.open(aad, v); err != nil {
			b.Fatal(err)
		}
	}
}
