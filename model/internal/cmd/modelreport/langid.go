package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"time"

	"github.com/edgedesk/edgedesk/model"
	"github.com/pemistahl/lingua-go"
)

// langGroups maps an xSID language directory to the base language it is
// scored as and the group it is reported under.
var xsidLangs = map[string][2]string{
	"ar": {"ar", "ar"}, "da": {"da", "da"}, "de": {"de", "de"}, "en": {"en", "en"},
	"de-ba": {"de", "de (dialects)"}, "de-muc": {"de", "de (dialects)"}, "de-st": {"de", "de (dialects)"}, "gsw": {"de", "de (dialects)"},
	"id": {"id", "id"}, "it": {"it", "it"}, "ja": {"ja", "ja"}, "kk": {"kk", "kk"}, "lt": {"lt", "lt"},
	"nl": {"nl", "nl"}, "no": {"no", "no"}, "sr": {"sr", "sr (Latin)"}, "tr": {"tr", "tr"}, "zh": {"zh", "zh"},
}

var linguaLangs = map[string][]lingua.Language{
	"en": {lingua.English}, "zh": {lingua.Chinese}, "de": {lingua.German}, "sw": {lingua.Swahili},
	"ar": {lingua.Arabic}, "da": {lingua.Danish}, "id": {lingua.Indonesian}, "it": {lingua.Italian},
	"ja": {lingua.Japanese}, "kk": {lingua.Kazakh}, "lt": {lingua.Lithuanian}, "nl": {lingua.Dutch},
	"no": {lingua.Bokmal, lingua.Nynorsk}, "sr": {lingua.Serbian}, "tr": {lingua.Turkish},
}

type labelled struct {
	model.Example
	group string
}

// langData builds the language-ID training rows and the evaluation rows:
// MASSIVE train files and ArBanking77 train for training, their dev files
// for evaluation; xSID (dev only) is split in two halves by utterance,
// one for training and one for evaluation.
func langData(shared string, capPerSource int) (train []model.Example, eval []labelled, err error) {
	take := func(path, lang string, limit int) ([]model.Example, error) {
		exs, err := model.ReadJSONLFile(filepath.Join(shared, path), model.ReadOptions{})
		if err != nil {
			return nil, err
		}
		if limit > 0 && len(exs) > limit {
			// Deterministic spread-out sample.
			step := float64(len(exs)) / float64(limit)
			var s []model.Example
			for i := range limit {
				s = append(s, exs[int(float64(i)*step)])
			}
			exs = s
		}
		for i := range exs {
			exs[i].Lang = lang
			exs[i].Intent = lang
		}
		return exs, nil
	}
	for _, src := range []struct{ train, dev, lang string }{
		{"massive/en-US/train.jsonl", "massive/en-US/dev.jsonl", "en"},
		{"massive/zh-CN/train.jsonl", "massive/zh-CN/dev.jsonl", "zh"},
		{"massive/zh-TW/train.jsonl", "", "zh"},
		{"massive/de-DE/train.jsonl", "massive/de-DE/dev.jsonl", "de"},
		{"massive/sw-KE/train.jsonl", "massive/sw-KE/dev.jsonl", "sw"},
		{"arbanking77/train.jsonl", "arbanking77/dev.jsonl", "ar"},
	} {
		exs, err := take(src.train, src.lang, capPerSource)
		if err != nil {
			return nil, nil, err
		}
		train = append(train, exs...)
		if src.dev != "" {
			dev, err := take(src.dev, src.lang, 0)
			if err != nil {
				return nil, nil, err
			}
			for _, e := range dev {
				eval = append(eval, labelled{e, src.lang})
			}
		}
	}
	dirs := make([]string, 0, len(xsidLangs))
	for d := range xsidLangs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		m := xsidLangs[d]
		exs, err := take(filepath.Join("xsid", d, "dev.jsonl"), m[0], 0)
		if err != nil {
			return nil, nil, err
		}
		tr, ev := model.SplitHoldout(exs, func(model.Example) string { return "" }, 0.5, 11)
		train = append(train, tr...)
		for _, e := range ev {
			eval = append(eval, labelled{e, m[1]})
		}
	}
	return train, eval, nil
}

func langid(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("langid", flag.ContinueOnError)
	shared := fs.String("shared", "../shared/data", "shared data directory")
	capN := fs.Int("cap", 1500, "training rows per MASSIVE/ArBanking source")
	buckets := fs.Int("lang-buckets", 1<<14, "language hash buckets")
	dim := fs.Int("lang-dim", 16, "language embedding width")
	lmin := fs.Int("lang-char-min", 1, "shortest char n-gram")
	lmax := fs.Int("lang-char-max", 3, "longest char n-gram")
	epochs := fs.Int("epochs", 20, "maximum epochs of the language head")
	balance := fs.Int("balance", 600, "repeat the training rows of smaller languages up to this many (0 = off)")
	skipLingua := fs.Bool("skip-lingua", false, "measure only the edgedesk head")
	if err := fs.Parse(args); err != nil {
		return err
	}
	train, eval, err := langData(*shared, *capN)
	if err != nil {
		return err
	}
	train = balanceLangs(train, *balance)
	fmt.Fprintf(os.Stderr, "langid: %d training rows, %d evaluation rows\n", len(train), len(eval))
	opt := model.DefaultTrainOptions()
	opt.Featurizer.Buckets, opt.Dim = 1<<10, 4 // the intent head is a stub here
	opt.Featurizer.LangBuckets, opt.LangDim = *buckets, *dim
	opt.Featurizer.LangCharMin, opt.Featurizer.LangCharMax = *lmin, *lmax
	opt.Epochs = *epochs
	opt.Progress = os.Stderr
	t0 := time.Now()
	m, err := model.Train(ctx, train, nil, nil, opt)
	if err != nil {
		return err
	}
	trainSec := time.Since(t0).Seconds()
	langs := m.Manifest.Langs
	_, langBytes := m.WeightBytes()

	groups := map[string]*score{}
	var edLat, liLat []float64
	for _, e := range eval {
		g := groups[e.group]
		if g == nil {
			g = &score{}
			groups[e.group] = g
		}
		g.n++
		t1 := time.Now()
		lp := m.LangProbs(e.Text)
		edLat = append(edLat, float64(time.Since(t1).Nanoseconds())/1e3)
		if langs[argmax(lp)] == e.Lang {
			g.ed++
		}
	}
	var liBytes uint64
	if !*skipLingua {
		var all []lingua.Language
		for _, ls := range linguaLangs {
			all = append(all, ls...)
		}
		var ms0, ms1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms0)
		det := lingua.NewLanguageDetectorBuilder().FromLanguages(all...).WithPreloadedLanguageModels().Build()
		runtime.GC()
		runtime.ReadMemStats(&ms1)
		liBytes = ms1.HeapAlloc - ms0.HeapAlloc
		for _, e := range eval {
			t1 := time.Now()
			l, ok := det.DetectLanguageOf(e.Text)
			liLat = append(liLat, float64(time.Since(t1).Nanoseconds())/1e3)
			if ok && slices.Contains(linguaLangs[e.Lang], l) {
				groups[e.group].li++
			}
		}
		runtime.KeepAlive(det)
	}
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	fmt.Println("| language (eval rows) | edgedesk head | lingua-go (high accuracy, 15 languages) |")
	fmt.Println("|---|---|---|")
	var tot score
	for _, n := range names {
		g := groups[n]
		tot.n, tot.ed, tot.li = tot.n+g.n, tot.ed+g.ed, tot.li+g.li
		fmt.Printf("| %s (%d) | %.1f%% | %.1f%% |\n", n, g.n, pct(g.ed, g.n), pct(g.li, g.n))
	}
	fmt.Printf("| **all (%d)** | **%.1f%%** | **%.1f%%** |\n", tot.n, pct(tot.ed, tot.n), pct(tot.li, tot.n))
	fmt.Printf("| mean of languages | %.1f%% | %.1f%% |\n", meanPct(groups, func(s *score) int { return s.ed }), meanPct(groups, func(s *score) int { return s.li }))
	fmt.Printf("| latency p50 / p99 per message | %.1f / %.1f µs (featurize + head, pure Go) | %.1f / %.1f µs |\n",
		median(edLat), pctl(edLat, 99), median(liLat), pctl(liLat, 99))
	fmt.Printf("| memory | %.2f MiB int8 weights | %.0f MiB Go heap after loading |\n", float64(langBytes)/(1<<20), float64(liBytes)/(1<<20))
	fmt.Printf("| training | %.1f s on %d rows | – |\n", trainSec, len(train))
	return nil
}

type score struct{ n, ed, li int }

func meanPct(groups map[string]*score, f func(*score) int) float64 {
	var s float64
	for _, g := range groups {
		s += pct(f(g), g.n)
	}
	return s / float64(max(len(groups), 1))
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func pctl(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[min(len(s)-1, int(p/100*float64(len(s))))]
}

func argmax(x []float32) int {
	b := 0
	for i, v := range x {
		if v > x[b] {
			b = i
		}
	}
	return b
}

// balanceLangs repeats the rows of languages with fewer than n training
// rows (cyclically) until they have n, so that the 150-row xSID languages
// are not drowned by the larger sources.
func balanceLangs(exs []model.Example, n int) []model.Example {
	if n <= 0 {
		return exs
	}
	by := map[string][]model.Example{}
	var order []string
	for _, e := range exs {
		if _, ok := by[e.Lang]; !ok {
			order = append(order, e.Lang)
		}
		by[e.Lang] = append(by[e.Lang], e)
	}
	out := slices.Clone(exs)
	for _, l := range order {
		rows := by[l]
		for i := len(rows); i < n; i++ {
			out = append(out, rows[i%len(rows)])
		}
	}
	return out
}
