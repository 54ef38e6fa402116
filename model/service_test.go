package model

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if small.path != "" {
		os.RemoveAll(filepath.Dir(small.path))
	}
	os.Exit(code)
}

func newTestService(t *testing.T, path string, opts ServiceOptions) *Service {
	t.Helper()
	requireRuntime(t)
	s, err := NewService(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestORTMatchesGo compares ONNX Runtime's probabilities with the pure-Go
// forward pass over the same int8 weights, at batch 1 and in batches.
func TestORTMatchesGo(t *testing.T) {
	m, path, dev := smallModel(t)
	s := newTestService(t, path, ServiceOptions{TopK: len(m.Manifest.Labels), MaxBatch: 8})
	texts := []string{"", "?!", strings.Repeat("where is my order ", 100), "我的订单到哪了", "ﷺ"}
	for _, ex := range dev {
		texts = append(texts, ex.Text)
	}
	check := func(text string, p Prediction) float64 {
		intent, lang := m.Probs(text)
		var worst float64
		for _, sc := range p.Top {
			i := indexOf(m.Manifest.Labels)[sc.Label]
			worst = max(worst, math.Abs(float64(sc.Score-intent[i])))
		}
		if len(p.Top) != len(intent) {
			t.Fatalf("%q: %d scores, want %d", text, len(p.Top), len(intent))
		}
		wantLang, wantConf := combineLang(m.Manifest.Langs, lang, "", nil, m.feat.Featurize(text).Runes, m.feat.Featurize(text).Letters)
		if p.Lang != wantLang {
			t.Errorf("%q: ORT language %s, Go %s", text, p.Lang, wantLang)
		}
		return max(worst, math.Abs(float64(p.LangConfidence-wantConf)))
	}
	var worst float64
	ctx := context.Background()
	for _, text := range texts {
		p, err := s.Classify(ctx, text, "")
		if err != nil {
			t.Fatal(err)
		}
		worst = max(worst, check(text, p))
	}
	ps, err := s.ClassifyBatch(ctx, texts, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		worst = max(worst, check(texts[i], p))
	}
	t.Logf("max |p_ort - p_go| = %.3g over %d messages", worst, 2*len(texts))
	if worst > 1e-5 {
		t.Fatalf("max abs difference %.3g > 1e-5", worst)
	}
}

func TestServiceConcurrentBatching(t *testing.T) {
	m, path, dev := smallModel(t)
	s := newTestService(t, path, ServiceOptions{MaxBatch: 16, BatchWindow: time.Millisecond})
	want := make([]string, len(dev))
	for i, ex := range dev {
		want[i] = m.Predict(ex.Text, "", 1).Top[0].Label
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < len(dev); i += 4 {
				p, err := s.Classify(context.Background(), dev[i].Text, "")
				if err != nil {
					errs <- err
					return
				}
				if p.Top[0].Label != want[i] {
					errs <- fmt.Errorf("%q: got %s, want %s", dev[i].Text, p.Top[0].Label, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestServiceContext(t *testing.T) {
	_, path, _ := smallModel(t)
	s := newTestService(t, path, ServiceOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Classify(ctx, "where is my order", ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: got %v", err)
	}
	// Deadlines that expire while requests are queued are respected and
	// never leave the service in a bad state.
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Microsecond)
			defer cancel()
			_, err := s.Classify(ctx, "where is my order", "")
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("got %v", err)
			}
		}()
	}
	wg.Wait()
	if _, err := s.Classify(context.Background(), "where is my order", ""); err != nil {
		t.Fatal(err)
	}
}

func TestServiceSwapUnderLoad(t *testing.T) {
	m, path, dev := smallModel(t)
	// A second, different model: another seed and fingerprint.
	opt := smallOptions()
	opt.Seed = 99
	opt.Epochs = 2
	m2, err := Train(context.Background(), authoredData(t), nil, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	path2 := filepath.Join(t.TempDir(), "second.onnx")
	if err := m2.WriteFile(path2); err != nil {
		t.Fatal(err)
	}
	s := newTestService(t, path, ServiceOptions{MaxBatch: 8})
	var stop atomic.Bool
	var served, failed atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; !stop.Load(); i++ {
				if _, err := s.Classify(context.Background(), dev[i%len(dev)].Text, "en"); err != nil {
					failed.Add(1)
					t.Errorf("classify during swap: %v", err)
					return
				}
				served.Add(1)
			}
		}()
	}
	// The swaps must happen while classifications run: on a loaded
	// machine they could all be done before a goroutine is scheduled.
	for deadline := time.Now().Add(30 * time.Second); served.Load() < 8 && failed.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no classification served within 30 s")
		}
	}
	for i := range 6 {
		p := path2
		if i%2 == 1 {
			p = path
		}
		if err := s.Swap(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Swap(filepath.Join(t.TempDir(), "missing.onnx")); !isErr(err, ErrBadModel) {
		t.Errorf("swap to missing file: got %v, want ErrBadModel", err)
	}
	stop.Store(true)
	wg.Wait()
	if failed.Load() > 0 || served.Load() == 0 {
		t.Fatalf("served %d, failed %d", served.Load(), failed.Load())
	}
	if got := s.Info().Fingerprint; got != m.Manifest.Fingerprint {
		t.Errorf("after swaps the running fingerprint is %s, want %s", got, m.Manifest.Fingerprint)
	}
	if err := s.Swap(path2); err != nil {
		t.Fatal(err)
	}
	if got := s.Info().Fingerprint; got != m2.Manifest.Fingerprint {
		t.Errorf("Info after swap: %s, want %s", got, m2.Manifest.Fingerprint)
	}
}

func TestServiceClose(t *testing.T) {
	_, path, _ := smallModel(t)
	s := newTestService(t, path, ServiceOptions{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Classify(context.Background(), "hi", ""); !errors.Is(err, ErrClosed) {
		t.Errorf("Classify after Close: %v", err)
	}
	if err := s.Swap(path); !errors.Is(err, ErrClosed) {
		t.Errorf("Swap after Close: %v", err)
	}
}

func TestServiceOptionsValidate(t *testing.T) {
	_, path, _ := smallModel(t)
	requireRuntime(t)
	for _, o := range []ServiceOptions{{MaxBatch: -1}, {Workers: 100}, {TopK: -2}} {
		if _, err := NewService(path, o); !isErr(err, ErrBadConfig) {
			t.Errorf("%+v: got %v, want ErrBadConfig", o, err)
		}
	}
	if _, err := NewService(filepath.Join(t.TempDir(), "none.onnx"), ServiceOptions{}); !isErr(err, ErrBadModel) {
		t.Errorf("missing model: got %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.onnx")
	os.WriteFile(bad, []byte("\x08\x0a garbage"), 0o644)
	if _, err := NewService(bad, ServiceOptions{}); !isErr(err, ErrBadModel) {
		t.Errorf("garbage model: got %v", err)
	}
}

func TestLanguageHintAndRestriction(t *testing.T) {
	s := newTestService(t, defaultModelPath, ServiceOptions{Languages: []string{"en", "es"}})
	ctx := context.Background()
	tests := []struct {
		text, hint, want string
	}{
		{"¿Dónde está mi pedido?", "", "es"},
		{"where is my order", "", "en"},
		{"我的订单到哪了", "", "other"}, // zh is not allowed here: in none of the languages
		{"ok", "es-MX", "es"},    // an ambiguous message follows the declared locale
		{"hola", "fr-FR", "es"},  // a locale the model does not know is ignored
	}
	for _, tt := range tests {
		p, err := s.Classify(ctx, tt.text, tt.hint)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(tt.want, p.Lang) || p.Lang == "" {
			t.Errorf("%q hint %q: lang %q, want %s", tt.text, tt.hint, p.Lang, tt.want)
		}
	}
}

// TestShortMessagesOnFewLanguageNodes: "ok" or "ja" on a one-language node
// keeps that language; text clearly in another is "other"; text without a
// letter takes the locale only when it is allowed.
func TestShortMessagesOnFewLanguageNodes(t *testing.T) {
	ctx := context.Background()
	de := newTestService(t, defaultModelPath, ServiceOptions{Languages: []string{"de"}})
	for _, text := range []string{"ok", "ja", "danke", "hallo", "help", "thanks"} {
		if p, err := de.Classify(ctx, text, ""); err != nil || p.Lang != "de" {
			t.Errorf("%q on a de node: lang %q, %v", text, p.Lang, err)
		}
	}
	if p, _ := de.Classify(ctx, "我的订单到哪了", "de-DE"); p.Lang != LangOther || p.Understood {
		t.Errorf("Chinese on a de node: lang %q, understood %v", p.Lang, p.Understood)
	}
	enes := newTestService(t, defaultModelPath, ServiceOptions{Languages: []string{"en", "es"}})
	if p, _ := enes.Classify(ctx, "48213", "ja-JP"); p.Lang != "" {
		t.Errorf("\"48213\" with a ja-JP locale on an en/es node: lang %q", p.Lang)
	}
	if p, _ := enes.Classify(ctx, "??", "es-MX"); p.Lang != "es" {
		t.Errorf("\"??\" with an es-MX locale: lang %q", p.Lang)
	}
	// A model without Traditional Chinese: zh-TW in the allowed languages
	// and in the locale means its zh.
	if got, _ := combineLang([]string{"en", "zh"}, []float32{0.1, 0.9}, "zh-TW", map[string]bool{"en": true, "zh-Hant": true}, 30, 10); got != "zh" {
		t.Errorf("old model, zh-TW node: %q", got)
	}
}

func TestCombineLang(t *testing.T) {
	langs := []string{"en", "es", "zh"}
	tests := []struct {
		name    string
		probs   []float32
		hint    string
		allowed map[string]bool
		want    string
	}{
		{"head wins", []float32{0.1, 0.8, 0.1}, "", nil, "es"},
		{"hint tips a close call", []float32{0.5, 0.4, 0.1}, "es-ES", nil, "es"},
		{"hint does not override a clear answer", []float32{0.02, 0.03, 0.95}, "en", nil, "zh"},
		{"restricted", []float32{0.1, 0.1, 0.8}, "", map[string]bool{"en": true, "es": true}, "en"},
		{"no head uses hint", nil, "pt-BR", nil, "pt"},
		{"nothing allowed falls back to hint", []float32{0.1, 0.1, 0.8}, "de", map[string]bool{"de": true}, "de"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := combineLang(langs, tt.probs, tt.hint, tt.allowed, 40, 30); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestInitRuntimeErrors(t *testing.T) {
	requireRuntime(t)
	dir := t.TempDir()
	if err := InitRuntime(filepath.Join(dir, "nope.so")); !isErr(err, ErrBadConfig) {
		// The runtime is already loaded from another path.
		t.Errorf("second library: got %v, want ErrBadConfig", err)
	}
	if err := InitRuntime(runtimeOnce.path); err != nil {
		t.Errorf("same path again: %v", err)
	}
}

func TestLocateRuntime(t *testing.T) {
	t.Setenv(EnvRuntimeLib, filepath.Join(t.TempDir(), "missing.so"))
	if _, err := LocateRuntime(); !isErr(err, ErrRuntimeMissing) {
		t.Errorf("missing $%s: got %v, want ErrRuntimeMissing", EnvRuntimeLib, err)
	}
	lib := filepath.Join(t.TempDir(), "lib.so")
	os.WriteFile(lib, nil, 0o644)
	t.Setenv(EnvRuntimeLib, lib)
	if got, err := LocateRuntime(); err != nil || got != lib {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestHintBoostShortMessages(t *testing.T) {
	langs := []string{"en", "es"}
	probs := []float32{0.95, 0.05}
	if got, _ := combineLang(langs, probs, "es", nil, 40, 30); got != "en" {
		t.Errorf("long message: hint overrode a clear answer: %s", got)
	}
	if got, _ := combineLang(langs, probs, "es", nil, 2, 2); got != "es" {
		t.Errorf("two-rune message: hint ignored: %s", got)
	}
	// No letter, no language: the declared one, or none.
	if got, conf := combineLang(langs, probs, "es-MX", nil, 2, 0); got != "es" || conf != 1 {
		t.Errorf("\"??\" with locale es-MX: %s %v", got, conf)
	}
	if got, _ := combineLang(langs, probs, "", nil, 2, 0); got != "" {
		t.Errorf("\"??\" without a locale: %s", got)
	}
	if hintBoost(0) < hintBoost(10) || hintBoost(10) < hintBoost(30) || hintBoost(30) != 4 {
		t.Errorf("hintBoost not decreasing to 4: %v %v %v", hintBoost(0), hintBoost(10), hintBoost(30))
	}
}

func TestCheckVersion(t *testing.T) {
	for v, ok := range map[string]bool{"1.29.0": true, "1.29.12": true, "1.28.1": false, "1.290.0": false, "1.30.0": false, "": false} {
		err := checkVersion(v)
		if ok != (err == nil) || !ok && !isErr(err, ErrRuntimeVersion) {
			t.Errorf("checkVersion(%q) = %v", v, err)
		}
	}
}

func TestInitRuntimeMissingLibrary(t *testing.T) {
	if RuntimeLoaded() != "" {
		// Already loaded by another test: a new path is refused before the
		// file is looked at.
		if err := InitRuntime(filepath.Join(t.TempDir(), "missing.so")); !isErr(err, ErrBadConfig) {
			t.Fatalf("got %v", err)
		}
		return
	}
	for _, p := range []string{"", filepath.Join(t.TempDir(), "missing.so"), t.TempDir()} {
		if err := InitRuntime(p); !isErr(err, ErrRuntimeMissing) {
			t.Errorf("InitRuntime(%q) = %v, want ErrRuntimeMissing", p, err)
		}
	}
}

// TestORTMatchesGoHiddenLayer covers the graph with the optional ReLU layer.
func TestORTMatchesGoHiddenLayer(t *testing.T) {
	requireRuntime(t)
	opt := smallOptions()
	opt.Hidden = 24
	opt.Epochs = 3
	m, err := Train(context.Background(), authoredData(t), nil, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hidden.onnx")
	if err := m.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	s := newTestService(t, path, ServiceOptions{TopK: len(m.Manifest.Labels)})
	index := indexOf(m.Manifest.Labels)
	var worst float64
	for _, text := range []string{"where is my order", "我要退款", "¿puedo pagar con tarjeta?", ""} {
		p, err := s.Classify(context.Background(), text, "")
		if err != nil {
			t.Fatal(err)
		}
		want, _ := m.Probs(text)
		for _, sc := range p.Top {
			worst = max(worst, math.Abs(float64(sc.Score-want[index[sc.Label]])))
		}
	}
	if worst > 1e-5 {
		t.Fatalf("hidden-layer model: max abs difference %.3g > 1e-5", worst)
	}
}
