package faq

import (
	"bytes"
	"testing"
)

func demoStore(b *testing.B) *Store {
	s, _ := openStore(b)
	if _, err := s.SeedIfEmpty(Demo); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkLookupThirdLang: the entry is found at the third language of
// the chain (es-MX, es-419, es).
func BenchmarkLookupThirdLang(b *testing.B) {
	s := demoStore(b)
	chain := Chain("es-MX", "", "en", map[string][]string{"es-MX": {"es-419"}})
	if len(chain) < 3 || chain[2] != "es" {
		b.Fatalf("chain %q", chain)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := s.Lookup("track_order", chain); !ok {
			b.Fatal("miss")
		}
	}
}

func BenchmarkLookupMiss(b *testing.B) {
	s := demoStore(b)
	chain := Chain("es-MX", "", "en", map[string][]string{"es-MX": {"es-419"}})
	b.Run("unknown intent", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := s.Lookup("no_such_intent", chain); ok {
				b.Fatal("hit")
			}
		}
	})
	b.Run("no language", func(b *testing.B) {
		langs := []string{"fr-CA", "fr", "de"}
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := s.Lookup("track_order", langs); ok {
				b.Fatal("hit")
			}
		}
	})
}

func BenchmarkLookupParallel(b *testing.B) {
	s := demoStore(b)
	chain := Chain("es-MX", "", "en", map[string][]string{"es-MX": {"es-419"}})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.Lookup("track_order", chain)
		}
	})
}

func BenchmarkRenderTrackOrder(b *testing.B) {
	tm := MustParseTemplate(demoTrackOrderEN)
	lookup := func(name string) (string, bool) {
		if name == VarOrderNumber {
			return "10042", true
		}
		return "", false
	}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = tm.Render(buf[:0], lookup)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkAppendChain(b *testing.B) {
	extra := map[string][]string{"es-MX": {"es-419"}, "zh-HK": {"zh-TW"}}
	for _, bc := range []struct{ name, locale, detected string }{
		{"es-MX", "es-MX", "es"},
		{"en-US writes zh", "en-US", "zh"},
		{"zh-HK", "zh-HK", "zh"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			buf := make([]string, 0, 16)
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendChain(buf[:0], bc.locale, bc.detected, "en", extra)
			}
		})
	}
}

// BenchmarkReplace stores the demo set (about 60 entries) again and
// again: the identical-set path, mostly bbolt's commit.
func BenchmarkReplaceDemo(b *testing.B) {
	s := demoStore(b)
	entries := s.Entries()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Replace(entries); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkImportDemo(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(Demo)))
	for b.Loop() {
		if _, err := parseAll(bytes.NewReader(Demo), JSONL); err != nil {
			b.Fatal(err)
		}
	}
}
