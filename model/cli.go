package model

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
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
	devPath := fs.String("dev", "", "dev data for early stopping, calibration and the threshold, comma-separated files (default: hold out 10% of -data)")
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
	fold := fs.Int("fold", d.Featurizer.Fold, "1: fold accents, the Turkish i and Arabic letter variants out of the intent features")
	conceptDir := fs.String("concepts", "", "directory of concept lexicon files (<lang>.txt); adds concept features, written as model format 3")
	conceptRepeat := fs.Int("concept-repeat", 1, "how many times each matched concept's feature is emitted")
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
	train, err := readFiles(*data)
	if err != nil {
		return err
	}
	var dev, langExtra []Example
	if *devPath != "" {
		if dev, err = readFiles(*devPath); err != nil {
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
	opt.Featurizer.Fold = *fold
	if *conceptDir != "" {
		lex, err := ReadConceptDir(*conceptDir, filepath.Base(*conceptDir), *conceptRepeat)
		if err != nil {
			return err
		}
		opt.Featurizer.Concepts = lex
	}
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
	// LangAccuracy is the language head's accuracy on the utterances
	// labelled with one of its languages (and a letter: "??" is in no
	// language); LangShortAccuracy the same on those of ShortRunes runes
	// or fewer (LangShortN of them).
	LangAccuracy      *float64 `json:"lang_accuracy,omitempty"`
	LangShortAccuracy *float64 `json:"lang_short_accuracy,omitempty"`
	LangShortN        int      `json:"lang_short_n,omitempty"`
	// LangConfusion counts the language head's mistakes, "gold>predicted".
	LangConfusion map[string]int `json:"lang_confusion,omitempty"`
	// ByLang breaks the figures down by the utterances' language labels.
	ByLang []LangEval `json:"by_lang,omitempty"`
	P50us  float64    `json:"p50_us"`
	P99us  float64    `json:"p99_us"`
}

// LangEval is EvalReport's breakdown for one language label.
type LangEval struct {
	Lang string `json:"lang"`
	Metrics
	LangAccuracy      *float64 `json:"lang_accuracy,omitempty"`
	LangShortAccuracy *float64 `json:"lang_short_accuracy,omitempty"`
	LangShortN        int      `json:"lang_short_n,omitempty"`
}

// ShortRunes is the length up to which an utterance counts as short for
// EvalReport.LangShortAccuracy.
const ShortRunes = 20

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
	data := fs.String("data", "", "labelled JSON Lines, comma-separated files (required)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	lib := fs.String("ort-lib", "", "ONNX Runtime library (default: $EDGEDESK_ORT_LIB or .cache/ort/libonnxruntime.so.1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *modelPath == "" || *data == "" {
		fs.Usage()
		return fmt.Errorf("%w: -model and -data are required", ErrBadConfig)
	}
	exs, err := readFiles(*data)
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
	var all langTally
	per := map[string]*langTally{}
	confusion := map[string]int{}
	for i, ex := range exs {
		t0 := time.Now()
		p, err := svc.Classify(ctx, ex.Text, "")
		lat[i] = float64(time.Since(t0).Nanoseconds()) / 1e3
		if err != nil {
			return nil, err
		}
		gold[i], und[i] = ex.Intent, p.Understood
		pred[i] = p.Top[0].Label
		t := per[ex.Lang]
		if t == nil {
			t = &langTally{}
			per[ex.Lang] = t
		}
		t.idx = append(t.idx, i)
		if ex.Lang != "" && slices.Contains(info.Langs, ex.Lang) && hasLetter(ex.Text) {
			short := utf8.RuneCountInString(ex.Text) <= ShortRunes
			all.add(p.Lang == ex.Lang, short)
			t.add(p.Lang == ex.Lang, short)
			if p.Lang != ex.Lang {
				confusion[ex.Lang+">"+p.Lang]++
			}
		}
	}
	met := Score(gold, pred, und, info.OOSLabel)
	rep := &EvalReport{Metrics: met, P50us: percentile(lat, 50), P99us: percentile(lat, 99)}
	rep.LangAccuracy, rep.LangShortAccuracy, rep.LangShortN = all.figures()
	if len(confusion) > 0 {
		rep.LangConfusion = confusion
	}
	if len(per) > 1 {
		for _, lang := range slices.Sorted(maps.Keys(per)) {
			t := per[lang]
			g, p, u := make([]string, len(t.idx)), make([]string, len(t.idx)), make([]bool, len(t.idx))
			for j, i := range t.idx {
				g[j], p[j], u[j] = gold[i], pred[i], und[i]
			}
			le := LangEval{Lang: lang, Metrics: Score(g, p, u, info.OOSLabel)}
			le.PerIntent = nil
			le.LangAccuracy, le.LangShortAccuracy, le.LangShortN = t.figures()
			rep.ByLang = append(rep.ByLang, le)
		}
	}
	return rep, nil
}

// hasLetter reports whether text has a letter: "??" or "👍" is in no
// language, and the language head is not asked (the locale answers).
func hasLetter(text string) bool {
	for _, r := range text {
		if ScriptOf(r) != "" {
			return true
		}
	}
	return false
}

// langTally counts the language head's answers on one set of utterances.
type langTally struct {
	idx                    []int // the utterances' indexes
	n, ok, shortN, shortOK int
}

func (t *langTally) add(ok, short bool) {
	t.n++
	if short {
		t.shortN++
	}
	if ok {
		t.ok++
		if short {
			t.shortOK++
		}
	}
}

func (t *langTally) figures() (acc, short *float64, shortN int) {
	if t.n > 0 {
		a := float64(t.ok) / float64(t.n)
		acc = &a
	}
	if t.shortN > 0 {
		s := float64(t.shortOK) / float64(t.shortN)
		short = &s
	}
	return acc, short, t.shortN
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
	if r.LangShortAccuracy != nil {
		fmt.Fprintf(w, "language accuracy, %d utterances of %d runes or fewer: %.4f\n", r.LangShortN, ShortRunes, *r.LangShortAccuracy)
	}
	if len(r.ByLang) > 0 {
		fmt.Fprintf(w, "\n%-8s %5s %8s %8s %8s %9s %8s %8s\n", "lang", "n", "accuracy", "in-scope", "oos rec", "false oos", "lang id", "short id")
		pct := func(p *float64) string {
			if p == nil {
				return "–"
			}
			return fmt.Sprintf("%.1f%%", 100**p)
		}
		for _, l := range r.ByLang {
			fmt.Fprintf(w, "%-8s %5d %7.1f%% %8s %8s %9s %8s %8s\n", l.Lang, l.N, 100*l.Accuracy, pct(l.InScopeAccuracy), pct(l.OOSRecall), pct(l.FalseOOS), pct(l.LangAccuracy), pct(l.LangShortAccuracy))
		}
	}
	fmt.Fprintf(w, "latency per utterance: p50 %.1f µs  p99 %.1f µs\n\n", r.P50us, r.P99us)
	fmt.Fprintf(w, "%-40s %7s %9s %7s %7s\n", "intent", "support", "precision", "recall", "f1")
	for _, im := range r.PerIntent {
		fmt.Fprintf(w, "%-40s %7d %9.4f %7.4f %7.4f\n", im.Intent, im.Support, im.Precision, im.Recall, im.F1)
	}
}

// readFiles reads labelled examples from comma-separated JSON Lines files.
func readFiles(paths string) ([]Example, error) {
	var all []Example
	for _, p := range strings.Split(paths, ",") {
		exs, err := ReadJSONLFile(p, ReadOptions{RequireIntent: true})
		if err != nil {
			return nil, err
		}
		all = append(all, exs...)
	}
	return all, nil
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
