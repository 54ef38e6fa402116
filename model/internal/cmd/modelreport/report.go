package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/edgedesk/edgedesk/model"
)

type dsSpec struct {
	name  string
	train []string
	dev   string // "" = hold out 10% of train (seed 1)
}

func specs(shared string) []dsSpec {
	p := func(s string) string { return filepath.Join(shared, s) }
	return []dsSpec{
		{"banking77", []string{p("banking77/train.jsonl")}, ""},
		{"clinc150", []string{p("clinc150/train.jsonl")}, p("clinc150/dev.jsonl")},
		{"massive-en-US", []string{p("massive/en-US/train.jsonl")}, p("massive/en-US/dev.jsonl")},
		{"massive-zh-CN", []string{p("massive/zh-CN/train.jsonl")}, p("massive/zh-CN/dev.jsonl")},
		{"bitext", []string{p("bitext_customer_support/train.jsonl")}, p("bitext_customer_support/dev.jsonl")},
		{"arbanking77", []string{p("arbanking77/train.jsonl")}, p("arbanking77/dev.jsonl")},
	}
}

type reportRow struct {
	name               string
	nTrain, nDev       int
	acc, f1            float64
	inScope, oosRecall *float64
	bytes              int64
	trainSec           float64
	p50, p99           float64
	batchP50           float64 // µs per message at batch 32
	throughput         float64 // messages/s at batch 32
	epochs             int
}

// report trains one model per data set with the default options and
// measures it through ONNX Runtime on the dev split.
func report(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	shared := fs.String("shared", "../shared/data", "shared data directory")
	only := fs.String("only", "", "comma-separated data set names (default all)")
	runs := fs.Int("runs", 3, "latency/throughput repetitions (the median is reported)")
	dim := fs.Int("dim", 0, "override embedding width")
	hidden := fs.Int("hidden", 0, "hidden layer width")
	buckets := fs.Int("buckets", 0, "override buckets")
	epochs := fs.Int("epochs", 0, "override max epochs")
	lr := fs.Float64("lr", 0, "override learning rate")
	dropout := fs.Float64("dropout", -1, "override feature dropout")
	charMin := fs.Int("char-min", 0, "override shortest char n-gram")
	charMax := fs.Int("char-max", 0, "override longest char n-gram")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := initRuntime(); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "modelreport-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var rows []reportRow
	for _, sp := range specs(*shared) {
		if *only != "" && !slices.Contains(strings.Split(*only, ","), sp.name) {
			continue
		}
		opt := model.DefaultTrainOptions()
		opt.Featurizer.LangBuckets = 0
		if *dim > 0 {
			opt.Dim = *dim
		}
		opt.Hidden = *hidden
		if *buckets > 0 {
			opt.Featurizer.Buckets = *buckets
		}
		if *epochs > 0 {
			opt.Epochs = *epochs
		}
		if *lr > 0 {
			opt.LR = *lr
		}
		if *dropout >= 0 {
			opt.Dropout = *dropout
		}
		if *charMin > 0 {
			opt.Featurizer.CharMin = *charMin
		}
		if *charMax > 0 {
			opt.Featurizer.CharMax = *charMax
		}
		r, err := measure(ctx, sp, opt, tmp, *runs)
		if err != nil {
			return fmt.Errorf("%s: %w", sp.name, err)
		}
		rows = append(rows, r)
		printRows(os.Stdout, rows[len(rows)-1:], len(rows) == 1)
	}
	return nil
}

func readAll(paths []string) ([]model.Example, error) {
	var out []model.Example
	for _, p := range paths {
		exs, err := model.ReadJSONLFile(p, model.ReadOptions{RequireIntent: true})
		if err != nil {
			return nil, err
		}
		out = append(out, exs...)
	}
	return out, nil
}

func measure(ctx context.Context, sp dsSpec, opt model.TrainOptions, tmp string, runs int) (reportRow, error) {
	r := reportRow{name: sp.name}
	train, err := readAll(sp.train)
	if err != nil {
		return r, err
	}
	var dev []model.Example
	if sp.dev == "" {
		train, dev = model.SplitHoldout(train, func(e model.Example) string { return e.Intent }, 0.1, 1)
	} else if dev, err = readAll([]string{sp.dev}); err != nil {
		return r, err
	}
	r.nTrain, r.nDev = len(train), len(dev)
	opt.Progress = os.Stderr
	t0 := time.Now()
	m, err := model.Train(ctx, train, dev, nil, opt)
	if err != nil {
		return r, err
	}
	r.trainSec = time.Since(t0).Seconds()
	r.epochs = m.Manifest.Metrics.Epochs
	path := filepath.Join(tmp, sp.name+".onnx")
	if err := m.WriteFile(path); err != nil {
		return r, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return r, err
	}
	r.bytes = st.Size()
	svc, err := model.NewService(path, model.ServiceOptions{Workers: 1, MaxBatch: 32})
	if err != nil {
		return r, err
	}
	defer svc.Close()
	var p50s, p99s, tputs, bp50s []float64
	for i := range runs {
		rep, err := model.Evaluate(ctx, svc, dev)
		if err != nil {
			return r, err
		}
		if i == 0 {
			r.acc, r.f1, r.inScope, r.oosRecall = rep.Accuracy, rep.MacroF1, rep.InScopeAccuracy, rep.OOSRecall
		}
		p50s, p99s = append(p50s, rep.P50us), append(p99s, rep.P99us)
		texts := make([]string, len(dev))
		for j, e := range dev {
			texts[j] = e.Text
		}
		var lat []float64
		t0 := time.Now()
		n := 0
		for lo := 0; lo+32 <= len(texts); lo += 32 {
			t1 := time.Now()
			if _, err := svc.ClassifyBatch(ctx, texts[lo:lo+32], nil); err != nil {
				return r, err
			}
			lat = append(lat, float64(time.Since(t1).Microseconds())/32)
			n += 32
		}
		tputs = append(tputs, float64(n)/time.Since(t0).Seconds())
		bp50s = append(bp50s, median(lat))
	}
	r.p50, r.p99, r.throughput, r.batchP50 = median(p50s), median(p99s), median(tputs), median(bp50s)
	return r, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func printRows(w io.Writer, rows []reportRow, header bool) {
	if header {
		fmt.Fprintln(w, "| data set | train / dev | dev accuracy | macro-F1 | in-scope acc | OOS recall | model size | train time (epochs) | p50 / p99 batch 1 | batch 32: µs/msg, msgs/s |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	}
	opt := func(p *float64) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", 100**p)
	}
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %d / %d | %.1f%% | %.1f%% | %s | %s | %.2f MB | %.1f s (%d) | %.0f / %.0f µs | %.1f µs, %.0f/s |\n",
			r.name, r.nTrain, r.nDev, 100*r.acc, 100*r.f1, opt(r.inScope), opt(r.oosRecall),
			float64(r.bytes)/1e6, r.trainSec, r.epochs, r.p50, r.p99, r.batchP50, r.throughput)
	}
}
