package faq

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestStoreEmpty(t *testing.T) {
	s, _ := openStore(t)
	if s.Version() != 0 || s.Len() != 0 || len(s.Entries()) != 0 {
		t.Errorf("new store: version %d, %d entries", s.Version(), s.Len())
	}
	if _, ok := s.Lookup("greeting", []string{"en"}); ok {
		t.Error("Lookup found something in an empty store")
	}
	if got := export(t, s, JSONL); len(got) != 0 {
		t.Errorf("export of an empty store: %q", got)
	}
}

func TestReplaceVersions(t *testing.T) {
	s, _ := openStore(t)
	a := Entry{Intent: "greeting", Lang: "en", Answer: "Hi"}
	b := Entry{Intent: "greeting", Lang: "es", Answer: "Hola"}
	c := Entry{Intent: "thanks", Lang: "en", Answer: "You're welcome"}
	if v := mustReplace(t, s, a, b, c); v != 1 {
		t.Fatalf("first version %d", v)
	}
	greetEN, _ := s.Lookup("greeting", []string{"en"})

	b2 := b
	b2.Answer = "¡Hola!"
	d := Entry{Intent: "thanks", Lang: "es", Answer: "De nada"}
	if v := mustReplace(t, s, d, b2, a); v != 2 { // c removed, b changed, d added
		t.Fatalf("second version %d", v)
	}
	want := map[string]uint64{"greeting/en": 1, "greeting/es": 2, "thanks/es": 2}
	checkVersions(t, s, want)
	if got, _ := s.Lookup("greeting", []string{"en"}); got != greetEN {
		t.Error("an unchanged entry got a new *Answer")
	}
	if _, ok := s.Lookup("thanks", []string{"en"}); ok {
		t.Error("removed entry still found")
	}

	// An identical set is a new version; the entries keep theirs.
	if v := mustReplace(t, s, a, b2, d); v != 3 || s.Version() != 3 {
		t.Fatalf("identical set: version %d", v)
	}
	checkVersions(t, s, want)

	// Input versions are ignored; languages canonicalised.
	e := Entry{Intent: "greeting", Lang: "EN", Answer: "Hi", Version: 99}
	mustReplace(t, s, e)
	checkVersions(t, s, map[string]uint64{"greeting/en": 1})

	// Empty set.
	if v := mustReplace(t, s); v != 5 || s.Len() != 0 {
		t.Errorf("empty set: version %d, %d entries", v, s.Len())
	}
}

func checkVersions(t *testing.T, s *Store, want map[string]uint64) {
	t.Helper()
	got := make(map[string]uint64)
	for _, e := range s.Entries() {
		got[e.Intent+"/"+e.Lang] = e.Version
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("versions %v, want %v", got, want)
	}
}

func TestReplaceInvalidChangesNothing(t *testing.T) {
	s, _ := openStore(t)
	mustReplace(t, s, Entry{Intent: "greeting", Lang: "en", Answer: "Hi"})
	before := export(t, s, JSONL)
	_, err := s.Replace([]Entry{
		{Intent: "greeting", Lang: "en", Answer: "Hello"},
		{Intent: "greeting", Lang: "en-Latn", Answer: "Hey"},
		{Intent: "Bad", Lang: "en", Answer: "x"},
	})
	wantErrs(t, err, `2 lang duplicate of line 1`, `3 intent invalid intent`)
	if s.Version() != 1 || !bytes.Equal(export(t, s, JSONL), before) {
		t.Error("a failed Replace changed the store")
	}
	_, err = s.Import(strings.NewReader(`{"intent":"x","lang":"en","answer":"ok"}`+"\n{"), JSONL)
	if !errors.Is(err, ErrInvalid) || s.Version() != 1 || !bytes.Equal(export(t, s, JSONL), before) {
		t.Errorf("a failed Import changed the store (%v)", err)
	}
	if _, err := s.Replace(make([]Entry, MaxEntries+1)); !errors.Is(err, ErrInvalid) {
		t.Errorf("too many entries: %v", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestImportReadError(t *testing.T) {
	s, _ := openStore(t)
	for _, f := range []Format{JSONL, CSV} {
		_, err := s.Import(failingReader{}, f)
		if err == nil || errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "disk on fire") {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestReopen(t *testing.T) {
	s, path := openStore(t)
	if ok, err := s.SeedIfEmpty(Demo); !ok || err != nil {
		t.Fatal(ok, err)
	}
	mustReplace(t, s, append(s.Entries()[1:], Entry{Intent: "new", Lang: "fr", Answer: "Bonjour"})...)
	want := export(t, s, CSV)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.Version() != 2 || s2.Len() != s.Len() {
		t.Errorf("reopened: version %d, %d entries; want 2, %d", s2.Version(), s2.Len(), s.Len())
	}
	if got := export(t, s2, CSV); !bytes.Equal(got, want) {
		t.Errorf("reopened export differs:\n%s\n---\n%s", got, want)
	}
	a, ok := s2.Lookup("track_order", Chain("es-MX", "", "en", nil))
	if !ok || a.Lang != "es" || a.AskTmpl == nil || a.Tmpl.Required()[0] != VarOrderNumber {
		t.Errorf("reopened lookup: %+v", a)
	}
	if ok, err := s2.SeedIfEmpty(Demo); ok || err != nil {
		t.Errorf("SeedIfEmpty on a used store: %v %v", ok, err)
	}
}

func TestLocked(t *testing.T) {
	_, path := openStore(t)
	start := time.Now()
	s2, err := Open(path, Options{OpenTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		if s2 != nil {
			s2.Close()
		}
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond { // bbolt retries every 50ms

		t.Errorf("gave up after %v", d)
	}
}

func TestClose(t *testing.T) {
	s, _ := openStore(t)
	mustReplace(t, s, Entry{Intent: "greeting", Lang: "en", Answer: "Hi"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Replace(nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Replace after Close: %v", err)
	}
	if _, err := s.SeedIfEmpty(Demo); !errors.Is(err, ErrClosed) && err != nil {
		t.Errorf("SeedIfEmpty after Close: %v", err)
	}
	if _, ok := s.Lookup("greeting", []string{"en"}); !ok {
		t.Error("Lookup after Close lost the set")
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open("", Options{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty path: %v", err)
	}
	dir := t.TempDir()
	if _, err := Open(dir, Options{}); err == nil {
		t.Error("opened a directory")
	}
}

func TestSeedIfEmpty(t *testing.T) {
	s, _ := openStore(t)
	if _, err := s.SeedIfEmpty([]byte("garbage")); !errors.Is(err, ErrInvalid) || s.Version() != 0 {
		t.Errorf("bad seed: %v", err)
	}
	ok, err := s.SeedIfEmpty(Demo)
	if !ok || err != nil || s.Version() != 1 {
		t.Fatalf("seed: %v %v version %d", ok, err, s.Version())
	}
	if ok, err := s.SeedIfEmpty(Demo); ok || err != nil || s.Version() != 1 {
		t.Errorf("second seed: %v %v", ok, err)
	}
	// An emptied store has a version: it is not seeded again.
	mustReplace(t, s)
	if ok, _ := s.SeedIfEmpty(Demo); ok || s.Len() != 0 {
		t.Error("seeded a store that was emptied on purpose")
	}
}

func TestSeedIfEmptyConcurrent(t *testing.T) {
	s, _ := openStore(t)
	var seeded atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			ok, err := s.SeedIfEmpty(Demo)
			if err != nil {
				t.Error(err)
			}
			if ok {
				seeded.Add(1)
			}
		})
	}
	wg.Wait()
	if seeded.Load() != 1 || s.Version() != 1 {
		t.Errorf("seeded %d times, version %d", seeded.Load(), s.Version())
	}
}

// TestReplaceAtomic has readers look several intents up from one
// snapshot while Replace alternates between two sets: every answer of a
// snapshot comes from the same set, and versions never go back.
func TestReplaceAtomic(t *testing.T) {
	s, _ := openStore(t)
	intents := []string{"greeting", "thanks", "track_order", "shipping", "payment", "_fallback"}
	set := func(tag string, extra string) []Entry {
		var out []Entry
		for _, in := range intents {
			for _, l := range []string{"en", "es", "zh"} {
				out = append(out, Entry{Intent: in, Lang: l, Answer: tag + ": " + in + " " + l + " {{name|}}"})
			}
		}
		// Set B has one more intent, so snapshots differ in shape too.
		if extra != "" {
			out = append(out, Entry{Intent: extra, Lang: "en", Answer: tag + ": " + extra})
		}
		return out
	}
	setA, setB := set("A", ""), set("B", "complaint")
	mustReplace(t, s, setA...)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads atomic.Int64
	for range 4 {
		wg.Go(func() {
			chain := Chain("es-MX", "", "en", nil)
			var last uint64
			for {
				select {
				case <-stop:
					return
				default:
				}
				snap := s.Snapshot()
				if v := snap.Version(); v < last {
					t.Errorf("version went back from %d to %d", last, v)
					return
				} else {
					last = v
				}
				var tag string
				for _, in := range intents {
					a, ok := snap.Lookup(in, chain)
					if !ok {
						t.Errorf("version %d: %s missing", snap.Version(), in)
						return
					}
					if tag == "" {
						tag = a.Answer[:2]
					} else if a.Answer[:2] != tag {
						t.Errorf("version %d mixes sets: %q after %q", snap.Version(), a.Answer, tag)
						return
					}
				}
				if _, ok := snap.Lookup("complaint", []string{"en"}); ok != (tag == "B:") {
					t.Errorf("version %d: set %s, complaint present %v", snap.Version(), tag, ok)
					return
				}
				// Store.Lookup always answers from some whole set.
				if a, ok := s.Lookup("greeting", chain); !ok || (a.Answer[:2] != "A:" && a.Answer[:2] != "B:") {
					t.Errorf("Store.Lookup: %v %v", a, ok)
					return
				}
				reads.Add(1)
			}
		})
	}
	const rounds = 60
	for i := range rounds {
		next := setB
		if i%2 == 1 {
			next = setA
		}
		mustReplace(t, s, next...)
	}
	// Let the readers see the last set too before stopping them.
	for n := reads.Load(); reads.Load() < n+100; {
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if s.Version() != rounds+1 {
		t.Errorf("version %d, want %d", s.Version(), rounds+1)
	}
	t.Logf("%d snapshot reads across %d replaces", reads.Load(), rounds)
}

func TestLookup(t *testing.T) {
	s, _ := openStore(t)
	mustReplace(t, s,
		Entry{Intent: "greeting", Lang: "es", Answer: "Hola"},
		Entry{Intent: "greeting", Lang: "en", Answer: "Hi"},
		Entry{Intent: "greeting", Lang: "zh-Hant", Answer: "您好（繁）"},
	)
	tests := []struct {
		langs []string
		want  string
	}{
		{[]string{"es-MX", "es-419", "es", "en"}, "Hola"},
		{[]string{"fr", "en"}, "Hi"},
		{[]string{"zh-HK", "zh-Hant", "zh"}, "您好（繁）"},
		{[]string{"ES"}, ""}, // exact tags only
		{nil, ""},
	}
	for _, tt := range tests {
		a, ok := s.Lookup("greeting", tt.langs)
		if got := ""; ok {
			got = a.Answer
			if got != tt.want {
				t.Errorf("Lookup(%q) = %q, want %q", tt.langs, got, tt.want)
			}
		} else if tt.want != "" {
			t.Errorf("Lookup(%q) found nothing, want %q", tt.langs, tt.want)
		}
	}
	if _, ok := s.Lookup("nope", []string{"en"}); ok {
		t.Error("unknown intent found")
	}
	if got := s.Snapshot().Langs("greeting"); strings.Join(got, " ") != "en es zh-Hant" {
		t.Errorf("Langs = %q", got)
	}
	// Entries are copies.
	es := s.Entries()
	es[0].Answer = "changed"
	if s.Entries()[0].Answer == "changed" {
		t.Error("Entries shares the set")
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	s, _ := openStore(t)
	s.SeedIfEmpty(Demo)
	chain := Chain("zh-HK", "zh", "en", nil)
	if n := testing.AllocsPerRun(100, func() {
		s.Lookup("track_order", chain)
		s.Lookup("unknown", chain)
		s.Lookup("cancel_order", chain)
	}); n != 0 {
		t.Errorf("Lookup: %v allocations, want 0", n)
	}
}

// TestOpenSkipsInvalidStored: an entry on disk that no longer validates
// is skipped, and the next Replace removes it.
func TestOpenSkipsInvalidStored(t *testing.T) {
	s, path := openStore(t)
	mustReplace(t, s, Entry{Intent: "greeting", Lang: "en", Answer: "Hi"})
	s.Close()

	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEntries)
		if err := b.Put(entryKey("bad", "en"), []byte(`{"intent":"bad","lang":"en","answer":"{{unknown_var}}","version":1}`)); err != nil {
			return err
		}
		if err := b.Put(entryKey("garbled", "en"), []byte(`{`)); err != nil {
			return err
		}
		return b.Put(entryKey("moved", "en"), []byte(`{"intent":"other","lang":"en","answer":"x","version":1}`))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.Len() != 1 || s2.Version() != 1 {
		t.Fatalf("%d entries, version %d", s2.Len(), s2.Version())
	}
	mustReplace(t, s2, s2.Entries()...)
	s2.Close()

	db, err = bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket(bucketEntries).Stats().KeyN; n != 1 {
			t.Errorf("%d keys left after Replace, want 1", n)
		}
		return nil
	})
}

func TestOpenCorrupt(t *testing.T) {
	for name, put := range map[string][2][]byte{
		"newer schema": {keySchema, {2}},
		"bad version":  {keyVersion, {1, 2, 3}},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "faq.db")
			s, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(put[0], put[1]) })
			db.Close()
			if s, err := Open(path, Options{}); !errors.Is(err, ErrCorrupt) {
				if s != nil {
					s.Close()
				}
				t.Errorf("Open: %v, want ErrCorrupt", err)
			}
		})
	}
}
