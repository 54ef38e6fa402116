package model

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// smallOptions train a small model fast, also under -race.
func smallOptions() TrainOptions {
	o := DefaultTrainOptions()
	o.Featurizer.Buckets = 1 << 12
	o.Featurizer.LangBuckets = 1 << 10
	o.Dim = 16
	o.LangDim = 8
	o.Epochs = 12
	o.Patience = 3
	return o
}

func authoredData(tb testing.TB) []Example {
	tb.Helper()
	exs, err := ReadJSONLFile(filepath.Join("testdata", "authored.jsonl"), ReadOptions{RequireIntent: true})
	if err != nil {
		tb.Fatal(err)
	}
	return exs
}

var small struct {
	once  sync.Once
	model *Model
	err   error
	path  string
	dev   []Example
}

// smallModel trains (once per test binary) a model on the project's own
// authored utterances and writes it to a temporary file.
func smallModel(t *testing.T) (*Model, string, []Example) {
	t.Helper()
	small.once.Do(func() {
		exs := authoredData(t)
		train, dev := splitHoldout(exs, func(e Example) string { return e.Intent }, 0.2, 7)
		small.dev = dev
		small.model, small.err = Train(context.Background(), train, dev, nil, smallOptions())
		if small.err != nil {
			return
		}
		dir, err := osMkdirTemp()
		if err != nil {
			small.err = err
			return
		}
		small.path = filepath.Join(dir, "small.onnx")
		small.err = small.model.WriteFile(small.path)
	})
	if small.err != nil {
		t.Fatal(small.err)
	}
	return small.model, small.path, small.dev
}

func TestTrainLearns(t *testing.T) {
	m, _, dev := smallModel(t)
	man := m.Manifest
	if len(man.Labels) != 13 || man.OOSLabel != "oos" {
		t.Fatalf("labels %v oos %q", man.Labels, man.OOSLabel)
	}
	if !reflect.DeepEqual(man.Langs, []string{"en", "es", "zh"}) {
		t.Fatalf("langs %v", man.Langs)
	}
	// A majority-class guess scores under 0.2 here; a working model with
	// 360 training utterances does far better.
	if acc := man.Metrics.Dev.Accuracy; acc < 0.6 {
		t.Errorf("dev accuracy %.3f < 0.6", acc)
	}
	if man.Metrics.LangDevAcc < 0.9 {
		t.Errorf("language dev accuracy %.3f < 0.9", man.Metrics.LangDevAcc)
	}
	if man.Temperature <= 0 || man.Threshold < 0 || man.Threshold >= 1 {
		t.Errorf("temperature %v threshold %v", man.Temperature, man.Threshold)
	}
	// The metrics in the manifest are those of the exported int8 weights.
	n := 0
	for _, ex := range dev {
		p := m.Predict(ex.Text, "", 1)
		label := p.Top[0].Label
		if !p.Understood {
			label = "oos"
		}
		if label == ex.Intent {
			n++
		}
	}
	if got := float64(n) / float64(len(dev)); got != man.Metrics.Dev.Accuracy {
		t.Errorf("recomputed dev accuracy %.4f, manifest says %.4f", got, man.Metrics.Dev.Accuracy)
	}
}

func TestTrainDeterministic(t *testing.T) {
	exs := authoredData(t)
	opt := smallOptions()
	opt.Epochs = 3
	train := func() *Model {
		m, err := Train(context.Background(), exs, nil, nil, opt)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, b := train(), train()
	if !reflect.DeepEqual(a.intent, b.intent) || !reflect.DeepEqual(a.lang, b.lang) {
		t.Fatal("same seed gave different weights")
	}
	a.Manifest.Metrics.TrainSeconds, b.Manifest.Metrics.TrainSeconds = 0, 0
	if !reflect.DeepEqual(a.Manifest, b.Manifest) {
		t.Fatalf("same seed gave different manifests:\n%+v\n%+v", a.Manifest, b.Manifest)
	}
	opt.Seed++
	c, err := Train(context.Background(), exs, nil, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(a.intent.EmbQ, c.intent.EmbQ) {
		t.Error("different seeds gave identical weights")
	}
}

func TestTrainRejectsBadData(t *testing.T) {
	ctx := context.Background()
	opt := smallOptions()
	one := []Example{{Text: "a", Intent: "x"}, {Text: "b", Intent: "x"}}
	tests := []struct {
		name       string
		train, dev []Example
		want       string
	}{
		{"empty", nil, nil, "no training examples"},
		{"one label", one, nil, "only one intent label (\"x\")"},
		{"unknown dev label", []Example{{Text: "a", Intent: "x"}, {Text: "b", Intent: "y"}}, []Example{{Text: "c", Intent: "x"}, {Text: "d", Intent: "z"}}, "dev example 2: intent \"z\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Train(ctx, tt.train, tt.dev, nil, opt)
			if !isErr(err, ErrBadData) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want ErrBadData with %q", err, tt.want)
			}
		})
	}
	bad := opt
	bad.Dim = 0
	bad.LR = -1
	if _, err := Train(ctx, authoredData(t), nil, nil, bad); !isErr(err, ErrBadConfig) {
		t.Errorf("negative lr: got %v, want ErrBadConfig", err)
	}
}

func TestTrainHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, authoredData(t), nil, nil, smallOptions()); err != context.Canceled {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestSplitHoldoutStratified(t *testing.T) {
	exs := authoredData(t)
	key := func(e Example) string { return e.Intent }
	tr, dv := splitHoldout(exs, key, 0.1, 3)
	tr2, dv2 := splitHoldout(exs, key, 0.1, 3)
	if !reflect.DeepEqual(dv, dv2) || !reflect.DeepEqual(tr, tr2) {
		t.Fatal("holdout not deterministic")
	}
	if len(tr)+len(dv) != len(exs) {
		t.Fatalf("%d + %d != %d", len(tr), len(dv), len(exs))
	}
	inDev := map[string]int{}
	for _, e := range dv {
		inDev[e.Intent]++
	}
	for _, l := range uniqueSorted(exs, key) {
		if inDev[l] == 0 {
			t.Errorf("label %q has no dev example", l)
		}
	}
}

func TestModelEncodeLoad(t *testing.T) {
	m, path, _ := smallModel(t)
	got, err := LoadModelFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.intent, m.intent) || !reflect.DeepEqual(got.lang, m.lang) || !reflect.DeepEqual(got.Manifest, m.Manifest) {
		t.Fatal("LoadModel(Encode(m)) differs from m")
	}
	if _, err := LoadModel([]byte("not onnx")); !isErr(err, ErrBadModel) {
		t.Errorf("garbage: got %v, want ErrBadModel", err)
	}
}

func TestCalibratedConfidence(t *testing.T) {
	m, _, dev := smallModel(t)
	// Expected calibration error over 5 bins on the dev split stays
	// moderate after temperature scaling.
	var bins [5]struct {
		n, ok int
		conf  float64
	}
	for _, ex := range dev {
		p := m.Predict(ex.Text, "", 1)
		b := min(int(p.Top[0].Score*5), 4)
		bins[b].n++
		bins[b].conf += float64(p.Top[0].Score)
		if p.Top[0].Label == ex.Intent {
			bins[b].ok++
		}
	}
	var ece float64
	for _, b := range bins {
		if b.n > 0 {
			d := float64(b.ok)/float64(b.n) - b.conf/float64(b.n)
			ece += float64(b.n) / float64(len(dev)) * max(d, -d)
		}
	}
	if ece > 0.15 {
		t.Errorf("expected calibration error %.3f > 0.15", ece)
	}
}
