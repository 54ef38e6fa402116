package model

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// TrainCommand implements `edgedesk train`:
//
//	edgedesk train -data train.jsonl [-dev dev.jsonl] [-lang-data lang.jsonl] -out model.onnx
//
// The progress bar goes to stderr, a summary to stdout.
func TrainCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	d := DefaultTrainOptions()
	data := fs.String("data", "", "training data, JSON Lines with \"text\", \"intent\" and optional \"lang\"; several files separated by commas (required)")
	devPath := fs.String("dev", "", "dev data for early stopping, calibration and the threshold (default: hold out 10% of -data)")
	langPath := fs.String("lang-data", "", "extra JSON Lines with \"text\" and \"lang\" for the language head only")
	out := fs.String("out", "", "output model file (required)")
	seed := fs.Uint64("seed", d.Seed, "random seed; the same seed and data give the same model")
	dim := fs.Int("dim", d.Dim, "embedding width")
	hidden := fs.Int("hidden", d.Hidden, "hidden layer width (0 = none)")
	buckets := fs.Int("buckets", d.Featurizer.Buckets, "hash buckets of the intent embedding")
	langBuckets := fs.Int("lang-buckets", d.Featurizer.LangBuckets, "hash buckets of the language embedding (0 = no language head)")
	langDim := fs.Int("lang-dim", d.LangDim, "language embedding width")
	charMin := fs.Int("char-min", d.Featurizer.CharMin, "shortest character n-gram")
	charMax := fs.Int("char-max", d.Featurizer.CharMax, "longest character n-gram (0 = none)")
	wordNgrams := fs.Int("word-ngrams", d.Featurizer.WordNgrams, "longest word n-gram")
	epochs := fs.Int("epochs", d.Epochs, "maximum epochs")
	patience := fs.Int("patience", d.Patience, "stop after this many epochs without dev improvement")
	lr := fs.Float64("lr", d.LR, "Adam learning rate")
	batch := fs.Int("batch", d.Batch, "mini-batch size")
	dropout := fs.Float64("dropout", d.Dropout, "input feature dropout")
	oos := fs.String("oos-label", d.OOSLabel, "intent label that means out of scope")
	reject := fs.Float64("target-reject", d.TargetReject, "without an oos label: share of correct dev answers the threshold may reject")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" || *out == "" {
		fs.Usage()
		return fmt.Errorf("%w: -data and -out are required", ErrBadConfig)
	}
	var train []Example
	for _, p := range strings.Split(*data, ",") {
		exs, err := ReadJSONLFile(p, ReadOptions{RequireIntent: true})
		if err != nil {
			return err
		}
		train = append(train, exs...)
	}
	var err error
	var dev, langExtra []Example
	if *devPath != "" {
		if dev, err = ReadJSONLFile(*devPath, ReadOptions{RequireIntent: true}); err != nil {
			return err
		}
	}
	if *langPath != "" {
		if langExtra, err = ReadJSONLFile(*langPath, ReadOptions{RequireLang: true}); err != nil {
			return err
		}
	}
	opt := d
	opt.Seed, opt.Dim, opt.Hidden, opt.LangDim = *seed, *dim, *hidden, *langDim
	opt.Featurizer.Buckets, opt.Featurizer.LangBuckets = *buckets, *langBuckets
	opt.Featurizer.CharMin, opt.Featurizer.CharMax, opt.Featurizer.WordNgrams = *charMin, *charMax, *wordNgrams
	opt.Epochs, opt.Patience, opt.LR, opt.Batch, opt.Dropout = *epochs, *patience, *lr, *batch, *dropout
	opt.OOSLabel, opt.TargetReject = *oos, *reject
	if !*quiet {
		opt.Progress = stderr
	}
	m, err := Train(ctx, train, dev, langExtra, opt)
	if err != nil {
		return err
	}
	if err := m.WriteFile(*out); err != nil {
		return err
	}
	st, err := os.Stat(*out)
	if err != nil {
		return err
	}
	man := m.Manifest
	fmt.Fprintf(stdout, "wrote %s (%d bytes): %d intents, %d languages, trained in %.1fs (%d epochs)\n",
		*out, st.Size(), len(man.Labels), len(man.Langs), man.Metrics.TrainSeconds, man.Metrics.Epochs)
	dv := man.Metrics.Dev
	fmt.Fprintf(stdout, "dev (%d, held out: %v): accuracy %.4f  macro-F1 %.4f  coverage %.4f  threshold %.4f  temperature %.3f\n",
		dv.N, man.Metrics.DevHeldOut, dv.Accuracy, dv.MacroF1, dv.Coverage, man.Threshold, man.Temperature)
	if dv.OOSRecall != nil {
		fmt.Fprintf(stdout, "dev in-scope accuracy %.4f  oos recall %.4f\n", *dv.InScopeAccuracy, *dv.OOSRecall)
	}
	if len(man.Langs) >= 2 {
		fmt.Fprintf(stdout, "language head: %s  dev accuracy %.4f\n", strings.Join(man.Langs, ","), man.Metrics.LangDevAcc)
	}
	return nil
}

// EvalReport is what `edgedesk eval -json` prints.
type EvalReport struct {
	Model      string `json:"model"`
	ModelBytes int64  `json:"model_bytes"`
	Metrics
	LangAccuracy *float64 `json:"lang_accuracy,omitempty"`
	P50us        float64  `json:"p50_us"`
	P99us        float64  `json:"p99_us"`
}

// EvalCommand implements `edgedesk eval`:
//
//	edgedesk eval -model model.onnx -data test.jsonl [-json] [-ort-lib path]
//
// Every utterance is classified one at a time through ONNX Runtime (the
// serving path), which gives the per-utterance latency percentiles.
func EvalCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	modelPath := fs.String("model", "", "model file (required)")
	data := fs.String("data", "", "labelled JSON Lines (required)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	lib := fs.String("ort-lib", "", "ONNX Runtime library (default: $EDGEDESK_ORT_LIB or .cache/ort/libonnxruntime.so.1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *modelPath == "" || *data == "" {
		fs.Usage()
		return fmt.Errorf("%w: -model and -data are required", ErrBadConfig)
	}
	exs, err := ReadJSONLFile(*data, ReadOptions{RequireIntent: true})
	if err != nil {
		return err
	}
	path := *lib
	if path == "" {
		if path, err = LocateRuntime(); err != nil {
			return err
		}
	}
	if err := InitRuntime(path); err != nil {
		return err
	}
	svc, err := NewService(*modelPath, ServiceOptions{MaxBatch: 1, Workers: 1})
	if err != nil {
		return err
	}
	defer svc.Close()
	rep, err := evaluate(ctx, svc, exs)
	if err != nil {
		return err
	}
	rep.Model = *modelPath
	if st, err := os.Stat(*modelPath); err == nil {
		rep.ModelBytes = st.Size()
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		return enc.Encode(rep)
	}
	printReport(stdout, rep)
	return nil
}

func evaluate(ctx context.Context, svc *Service, exs []Example) (*EvalReport, error) {
	info := svc.Info()
	gold := make([]string, len(exs))
	pred := make([]string, len(exs))
	und := make([]bool, len(exs))
	lat := make([]float64, len(exs))
	langN, langOK := 0, 0
	for i, ex := range exs {
		t0 := time.Now()
		p, err := svc.Classify(ctx, ex.Text, "")
		lat[i] = float64(time.Since(t0).Nanoseconds()) / 1e3
		if err != nil {
			return nil, err
		}
		gold[i], und[i] = ex.Intent, p.Understood
		pred[i] = p.Top[0].Label
		if ex.Lang != "" && slices.Contains(info.Langs, ex.Lang) {
			langN++
			if p.Lang == ex.Lang {
				langOK++
			}
		}
	}
	met := Score(gold, pred, und, info.OOSLabel)
	rep := &EvalReport{Metrics: met, P50us: percentile(lat, 50), P99us: percentile(lat, 99)}
	if langN > 0 {
		a := float64(langOK) / float64(langN)
		rep.LangAccuracy = &a
	}
	return rep, nil
}

func printReport(w io.Writer, r *EvalReport) {
	fmt.Fprintf(w, "model %s (%d bytes), %d utterances\n", r.Model, r.ModelBytes, r.N)
	fmt.Fprintf(w, "accuracy   %.4f\nmacro-F1   %.4f\ncoverage   %.4f\n", r.Accuracy, r.MacroF1, r.Coverage)
	if r.InScopeAccuracy != nil {
		fmt.Fprintf(w, "in-scope accuracy %.4f\n", *r.InScopeAccuracy)
	}
	if r.OOSRecall != nil {
		fmt.Fprintf(w, "oos recall %.4f\n", *r.OOSRecall)
	}
	if r.LangAccuracy != nil {
		fmt.Fprintf(w, "language accuracy %.4f\n", *r.LangAccuracy)
	}
	fmt.Fprintf(w, "latency per utterance: p50 %.1f µs  p99 %.1f µs\n\n", r.P50us, r.P99us)
	fmt.Fprintf(w, "%-40s %7s %9s %7s %7s\n", "intent", "support", "precision", "recall", "f1")
	for _, im := range r.PerIntent {
		fmt.Fprintf(w, "%-40s %7d %9.4f %7.4f %7.4f\n", im.Intent, im.Support, im.Precision, im.Recall, im.F1)
	}
}

// IsUsageError reports whether err came from flag parsing (including -h).
func IsUsageError(err error) bool {
	return errors.Is(err, flag.ErrHelp) || errors.Is(err, ErrBadConfig)
}

// Evaluate classifies every example one at a time through svc and scores
// the answers; it is what `edgedesk eval` prints (without model_bytes).
func Evaluate(ctx context.Context, svc *Service, exs []Example) (*EvalReport, error) {
	return evaluate(ctx, svc, exs)
}
