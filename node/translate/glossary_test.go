package translate

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestProtectRestore(t *testing.T) {
	g := NewGlossary([]Term{
		{Term: "Edgeflux"},
		{Term: "label"},
		{Term: "return label", From: "en", To: "es", Translation: "etiqueta de devolución"},
	})
	text := "Your edgeflux return label, not the labels; EDGEFLUX2 is no brand."
	p, subst := g.Protect(text, "en-US", "es")
	if strings.Contains(strings.ToLower(p), "edgeflux ") || strings.Contains(p, "return label") || !strings.Contains(p, "labels") || !strings.Contains(p, "EDGEFLUX2") {
		t.Fatalf("protected %q", p)
	}
	want := []string{"edgeflux", "etiqueta de devolución"}
	if strings.Join(subst, "|") != strings.Join(want, "|") {
		t.Fatalf("subst %q, want %q", subst, want)
	}
	// Apertium's unknown-word marks in front of a placeholder go.
	out, whole := Restore("Tu *ZXQ0Q #ZXQ1Q", subst)
	if !whole || out != "Tu edgeflux etiqueta de devolución" {
		t.Fatalf("restored %q %v", out, whole)
	}
	if _, whole := Restore("Tu ZXQ0Q", subst); whole {
		t.Fatal("a lost placeholder must be reported")
	}
	// Other pairs keep the forced term's words to the engine.
	if p, _ := g.Protect("return label", "en", "fr"); !strings.Contains(p, "return") {
		t.Fatalf("en→fr protected %q", p)
	}
	// Links and addresses travel as placeholders too, glossary or not.
	p, subst = (*Glossary)(nil).Protect("See https://shop.example.com/orders/48213. Or write to help@shop.example.com!", "en", "es")
	if strings.Contains(p, "shop") || len(subst) != 2 || subst[0] != "https://shop.example.com/orders/48213" || subst[1] != "help@shop.example.com" {
		t.Fatalf("links: %q %q", p, subst)
	}
	if g.Version() == NewGlossary(nil).Version() || g.Version() != NewGlossary(g.Terms()).Version() {
		t.Fatal("version must follow the terms")
	}
}

func TestParseGlossaryErrors(t *testing.T) {
	in := `{"term":"Edgeflux"}
{"term":"return label","from":"en","to":"es","translation":"etiqueta de devolución"}
{"term":""}
{"term":"x","from":"en","to":"es"}
{"term":"y","from":"english","to":"es","translation":"z"}
not json
{"term":"edgeflux"}
`
	_, err := ParseGlossary(strings.NewReader(in), JSONL)
	for _, want := range []string{"line 3: term", "line 4: translation", "line 5: from", "line 6:", "line 7: term: \"edgeflux\" repeats line 1"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	var ge *GlossaryError
	if !errors.As(err, &ge) || !errors.Is(err, ErrGlossary) {
		t.Fatalf("want *GlossaryError wrapping ErrGlossary: %T", err)
	}
	csvIn := "term,from,to,translation\nEdgeflux,,,\n\"return label\",en,es,etiqueta de devolución\nbad,en,,x\n"
	if _, err := ParseGlossary(strings.NewReader(csvIn), CSV); err == nil || !strings.Contains(err.Error(), "line 4: to") {
		t.Fatalf("csv: %v", err)
	}
}

func TestGlossaryRoundTripAndCacheInvalidation(t *testing.T) {
	terms := []Term{{Term: "Edgeflux"}, {Term: "return label", From: "en", To: "es", Translation: "etiqueta de devolución, \"ya\""}}
	for _, f := range []Format{JSONL, CSV} {
		var buf bytes.Buffer
		if err := WriteGlossary(&buf, terms, f); err != nil {
			t.Fatal(err)
		}
		back, err := ParseGlossary(&buf, f)
		if err != nil || NewGlossary(back).Version() != NewGlossary(terms).Version() {
			t.Fatalf("%s round trip: %v %+v", f, err, back)
		}
	}
	path := filepath.Join(t.TempDir(), "translate.db")
	s, err := New(Options{CachePath: path, CacheMaxEntries: 10})
	if err != nil {
		t.Fatal(err)
	}
	k := cacheKey("p", "es", "en", s.Glossary().Version(), "hola")
	if err := s.cache.put(k, "hello", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.cache.get(k, time.Now()); !ok {
		t.Fatal("not cached")
	}
	if _, err := s.SetGlossary(terms); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.cache.get(k, time.Now()); ok {
		t.Fatal("a glossary change must empty the cache")
	}
	s.Close()
	s, err = New(Options{CachePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.Glossary().Terms()) != 2 {
		t.Fatalf("glossary not kept across a restart: %+v", s.Glossary().Terms())
	}
}

func TestCacheBounded(t *testing.T) {
	c, err := openCache(filepath.Join(t.TempDir(), "c.db"), 100, time.Hour, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	now := time.Now()
	for i := range 1000 {
		if err := c.put(cacheKey("p", "es", "en", "v", strings.Repeat("x", i)), "t", now.Add(time.Duration(i))); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.n.Load(); n > 100 {
		t.Fatalf("%d entries, want at most 100", n)
	}
	if _, ok := c.get(cacheKey("p", "es", "en", "v", strings.Repeat("x", 999)), now); !ok {
		t.Fatal("the newest entry was evicted")
	}
	if _, ok := c.get(cacheKey("p", "es", "en", "v", ""), now); ok {
		t.Fatal("the oldest entry was kept")
	}
	if _, ok := c.get(cacheKey("p", "es", "en", "v", strings.Repeat("x", 999)), now.Add(2*time.Hour)); ok {
		t.Fatal("an entry past max age was served")
	}
}

func FuzzParseGlossary(f *testing.F) {
	f.Add([]byte(`{"term":"Edgeflux"}`+"\n"), false)
	f.Add([]byte("term,from,to,translation\nreturn label,en,es,etiqueta\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, csv bool) {
		format := JSONL
		if csv {
			format = CSV
		}
		terms, err := ParseGlossary(bytes.NewReader(data), format)
		if err != nil {
			return
		}
		g := NewGlossary(terms)
		for _, tm := range terms {
			p, subst := g.Protect("a "+tm.Term+" b", tm.From, tm.To)
			if out, whole := Restore(p, subst); !whole || len(subst) > 0 && strings.Contains(out, "ZXQ") && !strings.Contains(tm.Term+tm.Translation, "ZXQ") {
				t.Fatalf("term %+v: %q → %q", tm, p, out)
			}
		}
	})
}

// FuzzProtectRestore: whatever a customer writes and whatever an engine
// answers, protecting and restoring never panics, and an engine that
// copies the text leaves it as it was written (terms as written) or with
// the forced translations.
func FuzzProtectRestore(f *testing.F) {
	g := NewGlossary([]Term{{Term: "Edgeflux"}, {Term: "return label", From: "en", To: "es", Translation: "etiqueta de devolución"}})
	f.Add("Your Edgeflux return label", "*ZXQ0Q #ZXQ1Q ZXQ99Q zxq1q")
	f.Fuzz(func(t *testing.T, text, answer string) {
		p, subst := g.Protect(text, "en", "es")
		back, whole := Restore(p, subst)
		if !whole {
			t.Fatalf("%q → %q lost a placeholder", text, p)
		}
		if !strings.Contains(text, "ZXQ") && !strings.Contains(strings.ToLower(text), "zxq") && !strings.Contains(strings.ToLower(text), "return label") && back != text {
			t.Fatalf("%q → %q → %q", text, p, back)
		}
		Restore(answer, subst)
	})
}
