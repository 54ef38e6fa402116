package faq

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestCanonicalLang(t *testing.T) {
	tests := []struct{ in, want string }{
		{"en", "en"},
		{"EN", "en"},
		{"es-mx", "es-MX"},
		{"es_MX", "es-MX"},
		{"zh-hant", "zh-Hant"},
		{"zh-Hans-CN", "zh-Hans-CN"},
		{"zh-TW", "zh-TW"},
		{"iw", "he"},
		{"cmn", "zh"},
		{"en-Latn-US", "en-US"},
		{"es-419", "es-419"},
		{"sr-Latn-RS", "sr-Latn-RS"},
		{"de-CH-1996", "de-CH-1996"},
	}
	for _, tt := range tests {
		got, err := CanonicalLang(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("CanonicalLang(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if again, err := CanonicalLang(got); err != nil || again != got {
			t.Errorf("CanonicalLang(%q) = %q, %v: not idempotent", got, again, err)
		}
	}
	for _, bad := range []string{"", "und", "x-klingon", "en-u-ca-buddhist", "e", "english", "en US", "zh-Hant-x-foo"} {
		if got, err := CanonicalLang(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("CanonicalLang(%q) = %q, %v; want ErrInvalid", bad, got, err)
		}
	}
}

func TestChain(t *testing.T) {
	extra := map[string][]string{
		"es-MX": {"es-419"},
		"zh-HK": {"zh-TW", "not a tag"},
		"pt":    {"es"},
	}
	tests := []struct {
		name                      string
		locale, detected, deflang string
		want                      string
	}{
		{"locale only", "es-MX", "", "en", "es-MX es-419 es en"},
		{"lowercase input", "es-mx", "es", "en", "es-MX es-419 es en"},
		{"detected agrees", "es-MX", "es", "en", "es-MX es-419 es en"},
		{"detected wins when it disagrees", "en-US", "es", "en", "es en-US en"},
		{"detected wins, with extras", "en-GB", "es-MX", "fr", "es-MX es-419 es en-GB en fr"},
		{"no locale", "", "es", "en", "es en"},
		{"invalid locale", "not a tag!", "zh", "en", "zh zh-Hans en"},
		{"nothing", "", "", "", ""},
		{"only default", "", "", "en-US", "en-US en"},
		{"zh-TW", "zh-TW", "zh", "en", "zh-TW zh-Hant zh zh-Hans en"},
		{"zh-HK with extra", "zh-HK", "", "en", "zh-HK zh-TW zh-Hant zh en"},
		{"zh-Hant", "zh-Hant", "", "en", "zh-Hant zh en"},
		{"zh-Hant-TW", "zh-Hant-TW", "", "en", "zh-Hant-TW zh-Hant zh en"},
		{"zh-CN", "zh-CN", "", "en", "zh-CN zh-Hans zh en"},
		{"zh-SG", "zh-SG", "", "en", "zh-SG zh-Hans zh en"},
		{"zh-Hans", "zh-Hans", "", "en", "zh-Hans zh en"},
		{"zh", "zh", "", "en", "zh zh-Hans en"},
		{"declared en, writes zh", "en-US", "zh", "en", "zh zh-Hans en-US en"},
		{"declared zh-CN, writes Traditional", "zh-CN", "zh-Hant", "en", "zh-Hant zh zh-CN zh-Hans en"},
		{"declared zh-TW, writes Simplified", "zh-TW", "zh-Hans", "en", "zh-Hans zh zh-TW zh-Hant en"},
		{"script and variant", "sr-Latn-RS", "", "en", "sr-Latn-RS sr-Latn sr en"},
		{"variant", "de-CH-1996", "", "en", "de-CH-1996 de-CH de en"},
		{"extension dropped", "en-US-u-ca-gregory", "", "en", "en-US en"},
		{"extra of a parent", "pt-BR", "", "en", "pt-BR pt es en"},
		{"default duplicates", "en", "en", "en", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(Chain(tt.locale, tt.detected, tt.deflang, extra), " ")
			if got != tt.want {
				t.Errorf("Chain(%q, %q, %q) = %q, want %q", tt.locale, tt.detected, tt.deflang, got, tt.want)
			}
		})
	}
}

func TestAppendChainKeepsPrefix(t *testing.T) {
	dst := []string{"es"}
	got := AppendChain(dst, "es-MX", "", "en", nil)
	if want := []string{"es", "es-MX", "es", "en"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAppendChainDoesNotAllocate(t *testing.T) {
	extra := map[string][]string{"es-MX": {"es-419"}}
	buf := make([]string, 0, 16)
	AppendChain(buf, "es-MX", "es", "en", extra) // warm the cache
	if n := testing.AllocsPerRun(100, func() { buf = AppendChain(buf[:0], "es-MX", "es", "en", extra) }); n != 0 {
		t.Errorf("AppendChain: %v allocations, want 0", n)
	}
}

func TestChainCacheBounded(t *testing.T) {
	t.Cleanup(func() { // leave a usable cache to the other tests
		chainCache.Clear()
		chainCacheN.Store(0)
	})
	for i := range chainCacheMax + 10 {
		Chain("en-x-"+strings.Repeat("a", 1+i%7)+string(rune('a'+i%26))+strings.Repeat("b", i%5), "", "", nil)
		Chain("bogus-"+string(rune(0x4e00+i)), "", "", nil)
	}
	if n := chainCacheN.Load(); n > chainCacheMax {
		t.Errorf("cache holds %d inputs, max %d", n, chainCacheMax)
	}
	// Still correct past the cap.
	if got := strings.Join(Chain("fr-CA", "", "en", nil), " "); got != "fr-CA fr en" {
		t.Errorf("Chain past the cache cap = %q", got)
	}
}

func FuzzChain(f *testing.F) {
	for _, s := range [][3]string{{"es-MX", "es", "en"}, {"zh-HK", "zh", "en"}, {"en-US", "zh", "zh-Hant"}, {"sr-Latn-RS", "", "x"}, {"de-CH-1996-u-co-phonebk", "cmn", "iw"}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, locale, detected, deflang string) {
		chain := Chain(locale, detected, deflang, map[string][]string{locale: {detected, deflang}})
		for i, tag := range chain {
			if c, err := CanonicalLang(tag); err != nil || c != tag {
				t.Fatalf("%q in %q is not canonical (%q, %v)", tag, chain, c, err)
			}
			if slices.Contains(chain[:i], tag) {
				t.Fatalf("%q twice in %q", tag, chain)
			}
		}
		if c, err := CanonicalLang(locale); err == nil {
			if again, err := CanonicalLang(c); err != nil || again != c {
				t.Fatalf("CanonicalLang not idempotent: %q → %q → %q, %v", locale, c, again, err)
			}
		}
	})
}
