package model

import (
	"context"
	"testing"
)

var benchTexts = []string{
	"where is my order? it has been ten days",
	"I want to cancel order 12345 please",
	"¿Dónde está mi pedido? ya pasaron dos semanas",
	"我的快递到哪了，怎么还没到",
	"can I pay with PayPal or only credit card?",
	"quiero hablar con un agente humano",
	"退款什么时候到账",
	"how much does shipping to Canada cost",
}

func BenchmarkFeaturize(b *testing.B) {
	f, err := NewFeaturizer(DefaultFeaturizerConfig())
	if err != nil {
		b.Fatal(err)
	}
	var ft Features
	n := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ft.Reset()
		f.AppendFeatures(&ft, benchTexts[i%len(benchTexts)])
		n += len(ft.IDs)
	}
	b.ReportMetric(float64(n)/float64(b.N), "features/op")
}

// BenchmarkFeaturizeConcepts is what concept matching adds per message:
// the default model's featurizer (folding) without and with the default
// concept lexicon (repeat 8, as the default model).
func BenchmarkFeaturizeConcepts(b *testing.B) {
	for _, withConcepts := range []bool{false, true} {
		cfg := DefaultFeaturizerConfig()
		cfg.Fold = 1
		name := "fold"
		if withConcepts {
			cfg.Concepts = defaultConcepts(b)
			cfg.Concepts.Repeat = 8 // as scripts/build-default-model.sh
			name = "fold+concepts"
		}
		f, err := NewFeaturizer(cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			var ft Features
			n := 0
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				ft.Reset()
				f.AppendFeatures(&ft, benchTexts[i%len(benchTexts)])
				n += len(ft.IDs)
			}
			b.ReportMetric(float64(n)/float64(b.N), "features/op")
		})
	}
}

func BenchmarkPredictGo(b *testing.B) {
	m, err := LoadModelFile(defaultModelPath)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m.Predict(benchTexts[i%len(benchTexts)], "", 3)
	}
}

// BenchmarkClassify is the serving path at batch 1: featurize, queue,
// ONNX Runtime, decode.
func BenchmarkClassify(b *testing.B) {
	requireRuntime(b)
	s, err := NewService(defaultModelPath, ServiceOptions{Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Classify(ctx, benchTexts[i%len(benchTexts)], ""); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/msg")
}

// BenchmarkClassifyBatch32 measures throughput with 32 messages per call.
func BenchmarkClassifyBatch32(b *testing.B) {
	requireRuntime(b)
	s, err := NewService(defaultModelPath, ServiceOptions{Workers: 1, MaxBatch: 32})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	texts := make([]string, 32)
	for i := range texts {
		texts[i] = benchTexts[i%len(benchTexts)]
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ClassifyBatch(ctx, texts, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(32*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkClassifyParallel measures the micro-batching path: many
// goroutines calling Classify at once.
func BenchmarkClassifyParallel(b *testing.B) {
	requireRuntime(b)
	s, err := NewService(defaultModelPath, ServiceOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetParallelism(16)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.Classify(context.Background(), benchTexts[i%len(benchTexts)], ""); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkTrainSmall(b *testing.B) {
	exs := authoredData(b)
	opt := smallOptions()
	opt.Epochs = 5
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Train(context.Background(), exs, nil, nil, opt); err != nil {
			b.Fatal(err)
		}
	}
}
