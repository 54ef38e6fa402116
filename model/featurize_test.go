package model

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func testFeaturizer(t testing.TB) *Featurizer {
	t.Helper()
	f, err := NewFeaturizer(DefaultFeaturizerConfig())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestNormalizeText(t *testing.T) {
	f := testFeaturizer(t)
	tests := []struct {
		name, in, want string
	}{
		{"ascii lower", "Where IS my Order?", "where is my order"},
		{"fullwidth NFKC", "ＷＨＥＲＥ　ｉｓ", "where is"},
		{"case fold sharp s", "STRASSE Straße", "strasse strasse"},
		{"digits to zero", "order #12345 on 3/4", "order 00000 on 0 0"},
		{"arabic-indic digits", "طلب ١٢٣", "طلب 000"},
		{"han runes are tokens", "我的订单到哪了？", "我的订单到哪了"},
		{"japanese", "注文はどこ?", "注文はどこ"},
		{"collapse separators", "  hi!!!   there ...  ", "hi there"},
		{"only punctuation", "?!...", ""},
		{"empty", "", ""},
		{"accents kept", "¿Dónde está?", "dónde está"},
		{"greek final sigma folds", "ΟΔΟΣ", "οδοσ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.NormalizeText(tt.in); got != tt.want {
				t.Errorf("NormalizeText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFeaturizeProperties(t *testing.T) {
	f := testFeaturizer(t)
	cfg := f.Config()
	a := f.Featurize("Where is my order?")
	b := f.Featurize("where is my ORDER")
	if !equalInt32(a.IDs, b.IDs) || !equalInt32(a.LangIDs, b.LangIDs) {
		t.Errorf("case and punctuation changed the features")
	}
	// 4 words -> 4 unigrams + 3 bigrams; " where is my order " has 19 runes
	// -> n-grams of length 2..5: 18+17+16+15.
	if want := 4 + 3 + 18 + 17 + 16 + 15; len(a.IDs) != want {
		t.Errorf("len(IDs) = %d, want %d", len(a.IDs), want)
	}
	for _, id := range a.IDs {
		if id < 0 || int(id) >= cfg.Buckets {
			t.Fatalf("id %d out of range", id)
		}
	}
	c := f.Featurize("where is my refund")
	if equalInt32(a.IDs, c.IDs) {
		t.Errorf("different texts hashed identically")
	}
	other := cfg
	other.Seed++
	g, _ := NewFeaturizer(other)
	if equalInt32(g.Featurize("where is my order").IDs, a.IDs) {
		t.Errorf("seed does not change the hashes")
	}
	if e := f.Featurize("?!"); len(e.IDs) != 0 {
		t.Errorf("punctuation only gave %d features", len(e.IDs))
	}
}

func TestFeaturizeBoundsLongInput(t *testing.T) {
	f := testFeaturizer(t)
	for _, unit := range []string{"abc ", "我", "ﷺ", "a", "\xff"} {
		long := strings.Repeat(unit, 200_000)
		got := f.Featurize(long)
		if len(got.IDs) > f.MaxFeatures() || len(got.LangIDs) > f.MaxLangFeatures() {
			t.Errorf("%q x 200000: %d/%d features, bounds %d/%d", unit, len(got.IDs), len(got.LangIDs), f.MaxFeatures(), f.MaxLangFeatures())
		}
		if n := utf8.RuneCountInString(f.NormalizeText(long)); n > f.Config().MaxRunes {
			t.Errorf("%q: normalised to %d runes, MaxRunes %d", unit, n, f.Config().MaxRunes)
		}
	}
}

func TestFeaturizeAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	f := testFeaturizer(t)
	var ft Features
	f.AppendFeatures(&ft, "warm up the scratch pool with a long enough sentence")
	allocs := testing.AllocsPerRun(200, func() {
		ft.Reset()
		f.AppendFeatures(&ft, "I have been waiting over a week. Is the card still coming?")
	})
	if allocs > 0 {
		t.Errorf("AppendFeatures on ASCII allocated %.1f times per call", allocs)
	}
	// The default model's featurizer: folding on, scripts known.
	cfg := DefaultFeaturizerConfig()
	cfg.Fold = 1
	g, err := NewFeaturizer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	g = g.WithScripts([]string{"Latin", "Han"})
	g.AppendFeatures(&ft, "warm up the scratch pool with a long enough sentence")
	if allocs := testing.AllocsPerRun(200, func() {
		ft.Reset()
		g.AppendFeatures(&ft, "I have been waiting over a week. Is the card still coming?")
	}); allocs > 0 {
		t.Errorf("AppendFeatures on ASCII with fold and scripts allocated %.1f times per call", allocs)
	}
}

func TestFeaturizerConfigValidate(t *testing.T) {
	base := DefaultFeaturizerConfig()
	tests := []struct {
		name   string
		mutate func(*FeaturizerConfig)
	}{
		{"zero buckets", func(c *FeaturizerConfig) { c.Buckets = 0 }},
		{"huge buckets", func(c *FeaturizerConfig) { c.Buckets = 1 << 25 }},
		{"char max below min", func(c *FeaturizerConfig) { c.CharMin, c.CharMax = 4, 3 }},
		{"no features", func(c *FeaturizerConfig) { c.WordNgrams, c.CharMax = 0, 0 }},
		{"bad lang range", func(c *FeaturizerConfig) { c.LangCharMin = 0 }},
		{"zero max runes", func(c *FeaturizerConfig) { c.MaxRunes = 0 }},
	}
	if err := base.Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			tt.mutate(&c)
			if _, err := NewFeaturizer(c); !isErr(err, ErrBadConfig) {
				t.Errorf("got %v, want ErrBadConfig", err)
			}
		})
	}
}

func FuzzFeaturize(f *testing.F) {
	for _, s := range []string{"", "where is my order?", "我的订单到哪了", "¿Dónde está mi pedido?", "طلبي لم يصل", "สวัสดีครับ", "\xff\xfe", "ﷺ ﷺ", strings.Repeat("x", 3000), "gdzie moje zamówienie, zwrot pieniędzy", "注文した商品はどこ？返品したい", strings.Repeat("where order refund 订单 ", 200)} {
		f.Add(s)
	}
	feat, err := NewFeaturizer(DefaultFeaturizerConfig())
	if err != nil {
		f.Fatal(err)
	}
	cfg := feat.Config()
	ccfg := cfg
	ccfg.Fold = 1
	ccfg.Concepts = defaultConcepts(f)
	cfeat, err := NewFeaturizer(ccfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// With concept features (and folding, as the default model).
		cgot := cfeat.Featurize(s)
		if len(cgot.IDs) > cfeat.MaxFeatures() {
			t.Fatalf("too many features with concepts: %d > %d", len(cgot.IDs), cfeat.MaxFeatures())
		}
		for _, id := range cgot.IDs {
			if id < 0 || int(id) >= cfg.Buckets {
				t.Fatalf("id %d out of range with concepts", id)
			}
		}
		if again := cfeat.Featurize(s); !equalInt32(cgot.IDs, again.IDs) {
			t.Fatalf("not deterministic with concepts")
		}
		got := feat.Featurize(s)
		if len(got.IDs) > feat.MaxFeatures() || len(got.LangIDs) > feat.MaxLangFeatures() {
			t.Fatalf("too many features: %d/%d", len(got.IDs), len(got.LangIDs))
		}
		for _, id := range got.IDs {
			if id < 0 || int(id) >= cfg.Buckets {
				t.Fatalf("id %d out of range", id)
			}
		}
		for _, id := range got.LangIDs {
			if id < 0 || int(id) >= cfg.LangBuckets {
				t.Fatalf("lang id %d out of range", id)
			}
		}
		again := feat.Featurize(s)
		if !equalInt32(got.IDs, again.IDs) {
			t.Fatalf("not deterministic")
		}
	})
}

func equalInt32(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestFold: with Fold 1 what customers leave out stops mattering to the
// intent features, while the language head still sees the accents.
func TestFold(t *testing.T) {
	cfg := DefaultFeaturizerConfig()
	cfg.Fold = 1
	f, err := NewFeaturizer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	same := [][2]string{
		{"devolução", "devolucao"},
		{"ĐƠN HÀNG của tôi", "don hang cua toi"},
		{"SİPARİŞ", "sipariş"},
		{"siparış", "sipariş"},
		{"İADE", "iade"},
		{"Zamówienie dotarło?", "zamowienie dotarlo"},
		{"أين طَلَبي؟", "اين طلبي"},
		{"إلغاء الطلبية", "الغاء الطلبيه"},
		{"عـــايز", "عايز"},
		{"Где мой заказ? Ещё нет", "где мои заказ еще нет"},
	}
	for _, p := range same {
		if a, b := f.NormalizeText(p[0]), f.NormalizeText(p[1]); a != b {
			t.Errorf("%q → %q, %q → %q: want the same", p[0], a, p[1], b)
		}
		if a, b := f.Featurize(p[0]), f.Featurize(p[1]); !equalInt32(a.IDs, b.IDs) {
			t.Errorf("%q and %q: intent features differ", p[0], p[1])
		}
	}
	// Kana voicing marks, Hangul syllables and Thai vowels are letters,
	// not accents: kept.
	for _, in := range []string{"が", "ご注文", "주문", "คำสั่งซื้อ", "日本語のテキスト"} {
		if got, want := f.NormalizeText(in), testFeaturizer(t).NormalizeText(in); got != want {
			t.Errorf("%q folded to %q, want %q", in, got, want)
		}
	}
	a, b := f.Featurize("não"), f.Featurize("nao")
	if equalInt32(a.LangIDs, b.LangIDs) {
		t.Error("the language features lost the accent")
	}
	// Fold 0 (older models) keeps accents in the intent features.
	if g := testFeaturizer(t); g.NormalizeText("devolução") != "devolução" {
		t.Error("fold 0 folded")
	}
}

func TestScripts(t *testing.T) {
	f := testFeaturizer(t).WithScripts([]string{"Latin", "Han"})
	for _, tt := range []struct {
		in               string
		letters, foreign int
	}{
		{"where is order 48213", 12, 0},
		{"我的订单 48213", 4, 0},
		{"Где мой заказ", 11, 11},
		{"order Где", 8, 3},
		{"🙂 123 ?!", 0, 0},
	} {
		got := f.Featurize(tt.in)
		if got.Letters != tt.letters || got.Foreign != tt.foreign {
			t.Errorf("%q: letters %d foreign %d, want %d %d", tt.in, got.Letters, got.Foreign, tt.letters, tt.foreign)
		}
	}
	if n := testFeaturizer(t).Featurize("Где"); n.Letters != 3 || n.Foreign != 0 {
		t.Errorf("a featurizer without scripts: letters %d, foreign %d; want 3, 0", n.Letters, n.Foreign)
	}
	for r, want := range map[rune]string{'a': "Latin", 'я': "Cyrillic", '字': "Han", 'ก': "Thai", 'ش': "Arabic", '한': "Hangul", 'ა': "Georgian", '1': "", 'ꦲ': ScriptOther} {
		if got := ScriptOf(r); got != want {
			t.Errorf("ScriptOf(%q) = %q, want %q", r, got, want)
		}
	}
}

// TestScriptFastPathsAgree: the blocks scriptIndex answers without a
// table search agree with the tables.
func TestScriptFastPathsAgree(t *testing.T) {
	for r := rune(0x80); r <= 0xFFFF; r++ {
		i := scriptIndex(r)
		if i < 0 || i == len(knownScripts) {
			continue
		}
		if !unicode.Is(knownScripts[i].table, r) {
			t.Fatalf("%U: scriptIndex says %s", r, knownScripts[i].name)
		}
	}
}
