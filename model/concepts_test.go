package model

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func defaultConcepts(t testing.TB) *ConceptLexicon {
	t.Helper()
	l, err := ReadConceptDir(filepath.FromSlash(defaultConceptDir), "concepts", 1)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func conceptFeaturizer(t testing.TB, l *ConceptLexicon) *Featurizer {
	t.Helper()
	cfg := DefaultFeaturizerConfig()
	cfg.Fold = 1
	cfg.Concepts = l
	f, err := NewFeaturizer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestConceptMatch: the lexicon's patterns match inflected, unaccented and
// unsegmented text the way each language's shoppers write it.
func TestConceptMatch(t *testing.T) {
	l := defaultConcepts(t)
	f := conceptFeaturizer(t, l)
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"where is my order 48213", []string{"WHERE", "ORDER"}},
		{"dónde está mi pedido", []string{"WHERE", "ORDER"}},
		{"donde esta mi pedido", []string{"WHERE", "ORDER"}},
		{"Gdzie jest moje zamówienie?", []string{"WHERE", "ORDER"}},
		{"gdzie zamowieniem", []string{"WHERE", "ORDER"}},
		{"Wo bleibt meine Sammelbestellung", []string{"WHERE", "ORDER"}},
		{"siparişim nerede", []string{"ORDER", "WHERE"}},
		{"SİPARİŞİM NEREDE", []string{"ORDER", "WHERE"}},
		{"где мой заказ", []string{"WHERE", "ORDER"}},
		{"注文した商品はどこですか", []string{"ORDER", "WHERE"}},
		{"我的订单在哪里", []string{"ORDER", "WHERE"}},
		{"我的訂單在哪裡", []string{"ORDER", "WHERE"}},
		{"주문한 물건 어디쯤 왔나요", []string{"ORDER", "WHERE"}},
		{"don hang cua toi o dau", []string{"ORDER", "WHERE"}},
		{"คำสั่งซื้อของฉันอยู่ที่ไหน", []string{"ORDER", "WHERE"}},
		{"وين طلبي", []string{"WHERE", "ORDER"}},
		{"quero meu dinheiro de volta, reembolso", []string{"REFUND"}},
		{"I want a refund", []string{"REFUND"}},
		{"the weather is nice", nil},
	} {
		got := f.conceptNames(l, tc.text)
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("%q: concepts %v, want %v among them", tc.text, got, tc.want)
				break
			}
		}
		if tc.want == nil && len(got) > 0 {
			t.Errorf("%q: concepts %v, want none", tc.text, got)
		}
	}
}

// TestConceptFeatures: concept features are added to the n-grams, shared by
// languages (the same concepts give the same ids), bounded, and cost no
// allocation once the scratch buffers have grown.
func TestConceptFeatures(t *testing.T) {
	l := defaultConcepts(t)
	f := conceptFeaturizer(t, l)
	plain, err := NewFeaturizer(func() FeaturizerConfig { c := f.Config(); c.Concepts = nil; return c }())
	if err != nil {
		t.Fatal(err)
	}
	es, pl := f.Featurize("dónde está mi pedido"), f.Featurize("gdzie jest moje zamówienie")
	esPlain := plain.Featurize("dónde está mi pedido")
	if len(es.IDs) <= len(esPlain.IDs) || !equalInt32(es.IDs[:len(esPlain.IDs)], esPlain.IDs) {
		t.Fatalf("concept features are not appended to the n-grams: %d vs %d ids", len(es.IDs), len(esPlain.IDs))
	}
	shared := 0
	for _, id := range es.IDs[len(esPlain.IDs):] {
		if slices.Contains(pl.IDs, id) {
			shared++
		}
	}
	// WHERE, ORDER and the WHERE+ORDER pair.
	if shared < 3 {
		t.Errorf("es and pl share %d concept ids, want 3", shared)
	}
	// Every concept at once, many times over: bounded.
	var all []string
	for _, c := range l.Concepts {
		all = append(all, strings.Trim(c.Patterns[0], "*"))
	}
	long := strings.Repeat(strings.Join(all, " ")+" ", 50)
	if got := f.Featurize(long); len(got.IDs) > f.MaxFeatures() {
		t.Errorf("%d features, bound %d", len(got.IDs), f.MaxFeatures())
	}
	if raceEnabled {
		return // sync.Pool drops items at random under the race detector
	}
	var ft Features
	f.AppendFeatures(&ft, long)
	for _, text := range []string{"where is my order? it is late and I want a refund", "我的订单在哪里，快递太慢了", "Gdzie jest moje zamówienie? Chcę zwrot pieniędzy"} {
		if allocs := testing.AllocsPerRun(100, func() {
			ft.Reset()
			f.AppendFeatures(&ft, text)
		}); allocs > 0 && isASCII(text) {
			t.Errorf("%q: %.1f allocations per call", text, allocs)
		}
	}
}

// TestConceptLexiconValidate: a malformed table is refused, naming what is
// wrong.
func TestConceptLexiconValidate(t *testing.T) {
	for _, l := range []ConceptLexicon{
		{Version: "empty"},
		{Version: "x", Concepts: []Concept{{Name: "A", Patterns: []string{"*"}}}},
		{Version: "x", Concepts: []Concept{{Name: "A", Patterns: []string{"a"}}, {Name: "A", Patterns: []string{"b"}}}},
		{Version: "x", Repeat: 99, Concepts: []Concept{{Name: "A", Patterns: []string{"a"}}}},
		{Version: "x", Concepts: []Concept{{Name: "A", Patterns: []string{strings.Repeat("a", 40)}}}},
		{Version: "x", Concepts: []Concept{{Name: "A", Patterns: []string{"?!"}}}},
	} {
		cfg := DefaultFeaturizerConfig()
		cfg.Concepts = &l
		if _, err := NewFeaturizer(cfg); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%+v: err %v, want ErrBadConfig", l, err)
		}
	}
	if _, err := ReadConceptDir(t.TempDir(), "none", 1); !errors.Is(err, ErrBadConfig) {
		t.Errorf("empty dir: err %v, want ErrBadConfig", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "xx.txt"), []byte("order: lowercase name\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadConceptDir(dir, "bad", 1); !errors.Is(err, ErrBadData) || !strings.Contains(err.Error(), "xx.txt") {
		t.Errorf("bad line: err %v, want ErrBadData naming the file", err)
	}
}

// TestConceptModelFormat: a model with concept features is written as
// format 3 with its lexicon in the manifest, reads back to the same
// predictions, and a build that reads only up to format 2 would refuse it.
func TestConceptModelFormat(t *testing.T) {
	l := &ConceptLexicon{Version: "test", Repeat: 2, Concepts: []Concept{
		{Name: "ORDER", Patterns: []string{"order*", "pedido*", "订单"}},
		{Name: "WHERE", Patterns: []string{"where", "dónde", "哪"}},
		{Name: "REFUND", Patterns: []string{"refund*", "reembols*", "退款"}},
	}}
	var train []Example
	for i := range 40 {
		n := fmt.Sprint(i)
		train = append(train,
			Example{Text: "where is order " + n, Intent: "track"},
			Example{Text: "dónde está mi pedido " + n, Intent: "track"},
			Example{Text: "I want a refund " + n, Intent: "refund"},
			Example{Text: "quiero un reembolso " + n, Intent: "refund"})
	}
	opt := DefaultTrainOptions()
	opt.Featurizer.Fold = 1
	opt.Featurizer.Concepts = l
	opt.Epochs = 3
	m, err := Train(context.Background(), train, nil, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	if m.Manifest.Format != 3 {
		t.Errorf("format %d, want 3", m.Manifest.Format)
	}
	path := filepath.Join(t.TempDir(), "c.onnx")
	if err := m.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadModelFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Manifest.Featurizer.Concepts, l) {
		t.Errorf("lexicon after reading: %+v, want %+v", back.Manifest.Featurizer.Concepts, l)
	}
	for _, text := range []string{"où est ma commande", "订单在哪", "refund please"} {
		a, b := m.Predict(text, "", 2), back.Predict(text, "", 2)
		if a.Top[0] != b.Top[0] {
			t.Errorf("%q: %+v after reading, %+v before", text, b.Top[0], a.Top[0])
		}
	}
	// Without concepts the same training writes format 2, which builds
	// before concepts read.
	opt.Featurizer.Concepts = nil
	if m2, err := Train(context.Background(), train, nil, nil, opt); err != nil || m2.Manifest.Format != 2 {
		t.Errorf("without concepts: format %v, err %v; want 2", m2.Manifest.Format, err)
	}
	// A format this build does not know is refused, not served with other
	// features.
	m.Manifest.Format = FormatVersion + 1
	if err := m.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadModelFile(path); !errors.Is(err, ErrBadModel) {
		t.Errorf("format %d: err %v, want ErrBadModel", FormatVersion+1, err)
	}
}

// conceptNames returns the concepts text evokes, in order of first match
// (for tests and debugging).
func (f *Featurizer) conceptNames(l *ConceptLexicon, text string) []string {
	if f.concepts == nil {
		return nil
	}
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	text = f.prepare(s, text)
	f.tokenize(s, text, f.cfg.Fold > 0 && !isASCII(text))
	var dst Features
	f.appendConcepts(s, &dst)
	var names []string
	for _, c := range s.seen {
		names = append(names, l.Concepts[c].Name)
	}
	return names
}
