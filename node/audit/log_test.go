package audit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func openTest(t *testing.T, o Options) *Log {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	if o.Node == "" {
		o.Node = "edge-1"
	}
	l, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(context.Background()) })
	return l
}

func record(t *testing.T, l *Log, e Entry) {
	t.Helper()
	if err := l.Record(context.Background(), e); err != nil {
		t.Fatal(err)
	}
}

func TestRecordQuery(t *testing.T) {
	l := openTest(t, Options{})
	base := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	record(t, l, Entry{At: base, Actor: "ana", Role: "agent", Action: ActionSignIn, From: "203.0.113.7"})
	record(t, l, Entry{At: base.Add(time.Minute), Actor: "ana", Role: "agent", Action: ActionClose, Target: "s1", From: "203.0.113.7"})
	record(t, l, Entry{At: base.Add(2 * time.Minute), Actor: "boss", Role: "admin", Action: ActionFAQImport, Target: "faq v2"})
	record(t, l, Entry{At: base.Add(3 * time.Minute), Actor: "routing", Action: ActionAssign, Target: "s2", Details: map[string]string{"agent": "ana"}})

	all, err := l.Query(Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Entries) != 4 || all.Entries[0].Action != ActionAssign || all.Entries[3].Action != ActionSignIn || all.Next != nil {
		t.Fatalf("want 4 entries newest first, got %+v", all)
	}
	if e := all.Entries[0]; e.Node != "edge-1" || e.Details["agent"] != "ana" || !e.At.Equal(base.Add(3*time.Minute)) || e.Key.Time() != e.At {
		t.Fatalf("entry fields: %+v", e)
	}
	for _, c := range []struct {
		q    Query
		want []string
	}{
		{Query{Actor: "ana"}, []string{ActionClose, ActionSignIn}},
		{Query{Action: "chat."}, []string{ActionAssign, ActionClose}},
		{Query{Action: ActionFAQImport}, []string{ActionFAQImport}},
		{Query{Target: "s2"}, []string{ActionAssign}},
		{Query{From: base.Add(time.Minute), To: base.Add(3 * time.Minute)}, []string{ActionFAQImport, ActionClose}},
		{Query{To: base}, nil},
	} {
		p, err := l.Query(c.q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range p.Entries {
			got = append(got, e.Action)
		}
		if len(got) != len(c.want) || (len(got) > 0 && got[0] != c.want[0]) || (len(got) > 1 && got[1] != c.want[1]) {
			t.Errorf("%+v: got %v, want %v", c.q, got, c.want)
		}
	}
	// Pages: 1 at a time, through Next, see each entry once.
	seen := 0
	q := Query{Limit: 1}
	for {
		p, err := l.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		seen += len(p.Entries)
		if p.Next == nil {
			break
		}
		q.Before = *p.Next
	}
	if seen != 4 {
		t.Fatalf("paging saw %d entries, want 4", seen)
	}
	for _, bad := range []Query{{Limit: MaxLimit + 1}, {Limit: -1}, {From: base, To: base}} {
		if _, err := l.Query(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: want ErrInvalid, got %v", bad, err)
		}
	}
}

func TestRecordInvalid(t *testing.T) {
	l := openTest(t, Options{})
	long := string(make([]byte, MaxField+1))
	many := map[string]string{}
	for i := range MaxDetails + 1 {
		many[string(rune('a'+i))] = "x"
	}
	for _, e := range []Entry{
		{Action: ActionSignIn},
		{Actor: "a"},
		{Actor: "a", Action: "Sign In"},
		{Actor: long, Action: ActionSignIn},
		{Actor: "a\xff", Action: ActionSignIn},
		{Actor: "a", Action: ActionSignIn, Details: many},
	} {
		if err := l.Record(context.Background(), e); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: want ErrInvalid, got %v", e, err)
		}
	}
}

// The log is append-only: entries survive a reopen unchanged, and only the
// sweeper deletes, by age.
func TestAppendOnlySweep(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	l := openTest(t, Options{DataDir: dir, Retention: 24 * time.Hour, Now: func() time.Time { return now }})
	err := l.db.Update(func(tx *bolt.Tx) error {
		for i := range 2500 { // more than one sweep batch
			e := Entry{At: now.Add(-48*time.Hour + time.Duration(i)*time.Second), Actor: "old", Action: ActionSignIn}
			if err := insert(tx, &e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	record(t, l, Entry{At: now.Add(-time.Hour), Actor: "recent", Action: ActionSignIn})
	n, err := l.Sweep()
	if err != nil || n != 2500 {
		t.Fatalf("sweep: %d, %v; want 2500", n, err)
	}
	p, err := l.Query(Query{})
	if err != nil || len(p.Entries) != 1 || p.Entries[0].Actor != "recent" {
		t.Fatalf("after sweep: %+v, %v", p, err)
	}
	if u, _ := l.Unsent(); u != 1 {
		t.Fatalf("unsent after sweep: %d, want 1", u)
	}
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.Record(context.Background(), Entry{Actor: "x", Action: ActionSignIn}); !errors.Is(err, ErrClosed) {
		t.Fatalf("record after close: %v", err)
	}
	p, err = Read(dir, Query{})
	if err != nil || len(p.Entries) != 1 || p.Entries[0].Actor != "recent" {
		t.Fatalf("reopened: %+v, %v", p, err)
	}
}

// The CLI records straight into audit.db when no node holds it, and
// through audit-pending/ when one does; the node ingests those, keeping
// their time, and Read says plainly that the node holds the file.
func TestRecordOffline(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	if err := RecordOffline(ctx, dir, "edge-1", Entry{At: at, Actor: "cli:root", Action: ActionStaffAdd, Target: "ana@example.com", From: "cli"}); err != nil {
		t.Fatal(err)
	}
	l := openTest(t, Options{DataDir: dir})
	if _, err := Read(dir, Query{}); !errors.Is(err, ErrNodeRunning) {
		t.Fatalf("Read while held: %v, want ErrNodeRunning", err)
	}
	if err := RecordOffline(ctx, dir, "edge-1", Entry{At: at.Add(time.Hour), Actor: "cli:root", Action: ActionStaffDisable, Target: "ana@example.com", From: "cli"}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, PendingDir, "*.json"))
	if len(files) != 1 {
		t.Fatalf("pending files: %v", files)
	}
	// A file that is not an entry is kept aside, not lost, not recorded.
	os.WriteFile(filepath.Join(dir, PendingDir, "junk.json"), []byte(`{"actor":`), 0o600)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := l.Query(Query{Actor: "cli:root"})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Entries) == 2 {
			if p.Entries[0].Action != ActionStaffDisable || !p.Entries[0].At.Equal(at.Add(time.Hour)) {
				t.Fatalf("ingested entry: %+v", p.Entries[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pending entry not ingested: %+v", p)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, PendingDir, "*.json")); len(left) != 0 {
		t.Fatalf("pending files left: %v", left)
	}
	if _, err := os.Stat(filepath.Join(dir, PendingDir, "junk.json.bad")); err != nil {
		t.Fatalf("bad pending file not kept: %v", err)
	}
}

// No key of the file is reachable by anything but Record and the sweeper:
// a record edited behind the log's back is reported, not skipped.
func TestCorruptEntryReported(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, Options{DataDir: dir})
	record(t, l, Entry{Actor: "a", Action: ActionSignIn})
	l.db.Update(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketEntries).Cursor().First()
		return tx.Bucket(bucketEntries).Put(k, []byte("not json"))
	})
	if _, err := l.Query(Query{}); err == nil {
		t.Fatal("a corrupt entry was not reported")
	}
}

func FuzzDecodePending(f *testing.F) {
	f.Add([]byte(`{"at":"2026-12-03T10:00:00Z","actor":"cli:root","action":"staff.add","target":"a@b.c","from":"cli","details":{"id":"ana"}}`))
	f.Add([]byte(`{"at":"2026-12-03T10:00:00Z","actor":"","action":"x"}`))
	f.Add([]byte(`{"key":"00000000000000000000000000000001","at":"0001-01-01T00:00:00Z"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodePending(b)
		if err != nil {
			return
		}
		// What is accepted can be recorded as it is.
		if verr := e.validate(); verr != nil {
			t.Fatalf("accepted an entry that does not validate: %v", verr)
		}
	})
}

func FuzzDecodeEntry(f *testing.F) {
	f.Add(make([]byte, 16), []byte(`{"actor":"a","action":"signin","at":"2026-12-03T10:00:00Z"}`))
	f.Add([]byte("short"), []byte(`{}`))
	f.Add(make([]byte, 16), []byte(`{"key":"zz","details":{"a":1}}`))
	f.Fuzz(func(t *testing.T, k, v []byte) {
		e, err := decodeEntry(k, v)
		if err == nil && string(e.Key[:]) != string(k) {
			t.Fatalf("key %x decoded as %x", k, e.Key)
		}
	})
}

func FuzzKeyText(f *testing.F) {
	f.Add([]byte("0123456789abcdef0123456789abcdef"))
	f.Add([]byte("0123456789ABCDEF0123456789abcdef"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var k Key
		if k.UnmarshalText(b) != nil {
			return
		}
		if out, _ := k.MarshalText(); string(out) != string(b) {
			t.Fatalf("%q round-trips as %q", b, out)
		}
	})
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"ana@shop.example":          "ana@shop.example",
		"a\xffb":                    "a\uFFFDb",
		"evil\n2026-12-03 admin ok": "evil\uFFFD2026-12-03 admin ok",
		"\u202emoc.elpmaxe@ana":     "\uFFFDmoc.elpmaxe@ana",
		"x\u2066y\u2069\x1b[31m":    "x\uFFFDy\uFFFD\uFFFD[31m",
	} {
		if got := Clean(in, MaxField); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Clean("ééé", 3); got != "é" {
		t.Errorf("cut: %q", got)
	}
}
