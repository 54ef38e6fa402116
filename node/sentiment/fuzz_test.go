package sentiment

import (
	"math"
	"testing"
)

func FuzzAnalyze(f *testing.F) {
	for _, s := range []struct{ text, lang string }{
		{benchEN, "en"}, {benchZH, "zh-TW"}, {benchES, ""},
		{"not bad at all", "en"}, {"don't", ""}, {"l'arnaque", "fr"},
		{"rip-off!!! SCAM ??", "x"}, {"sooooo baaaad", "en"}, {"f*ck***", ""},
		{"thisgoddamn", ""}, {"不好意思，出差", ""}, {"😡🤬👍", ""},
		{"pe\u0301simo", "es_MX"}, {"ＳＣＡＭ", ""}, {"\xff\xfe'n\xe2\x80\x99t", ""},
		{"very very very very very very very bad", ""},
	} {
		f.Add(s.text, s.lang)
	}
	f.Fuzz(func(t *testing.T, text, lang string) {
		s := Analyze(text, lang)
		v := float64(s.Value)
		if math.IsNaN(v) || v < -1 || v > 1 {
			t.Fatalf("Value %v out of [-1, 1]", s.Value)
		}
		if s.Negative != (s.Value <= StrongNegative) {
			t.Fatalf("Negative %v inconsistent with Value %v", s.Negative, s.Value)
		}
		if s.Hits < 0 {
			t.Fatalf("Hits %d", s.Hits)
		}
		if s.Hits == 0 && s.Value != 0 {
			t.Fatalf("Value %v without hits", s.Value)
		}
		e, m := Explain(text, lang)
		if e != s {
			t.Fatalf("Explain %+v != Analyze %+v", e, s)
		}
		if len(m) != s.Hits {
			t.Fatalf("%d matches for %d hits", len(m), s.Hits)
		}
	})
}
