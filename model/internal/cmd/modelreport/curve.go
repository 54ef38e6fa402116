package main

import (
	"context"
	"flag"
	"fmt"
	"hash/fnv"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/edgedesk/edgedesk/model"
)

// curve prints the learning curve of the default model's recipe: models
// trained on growing shares of the training data (the same share of each
// language and intent, chosen by a hash of the text, so a smaller share
// is part of every larger one), each scored on the whole dev data. When
// accuracy stops rising as data is added, more of the same data would
// not help.
//
//	modelreport curve -data a.jsonl,b.jsonl -dev c.jsonl,d.jsonl [-fractions 0.25,0.5,0.75,1] [train flags]
func curve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("curve", flag.ContinueOnError)
	d := model.DefaultTrainOptions()
	data := fs.String("data", "", "training data, comma-separated JSON Lines files (required)")
	dev := fs.String("dev", "", "dev data, comma-separated JSON Lines files (required)")
	fractions := fs.String("fractions", "0.25,0.5,0.75,1", "shares of the training data")
	seed := fs.Uint64("seed", d.Seed, "random seed")
	dim := fs.Int("dim", d.Dim, "embedding width")
	buckets := fs.Int("buckets", d.Featurizer.Buckets, "hash buckets of the intent embedding")
	langBuckets := fs.Int("lang-buckets", d.Featurizer.LangBuckets, "hash buckets of the language embedding")
	langDim := fs.Int("lang-dim", d.LangDim, "language embedding width")
	fold := fs.Int("fold", d.Featurizer.Fold, "featurizer folding")
	charMin := fs.Int("char-min", d.Featurizer.CharMin, "shortest character n-gram")
	charMax := fs.Int("char-max", d.Featurizer.CharMax, "longest character n-gram")
	conceptDir := fs.String("concepts", "", "directory of concept lexicon files (adds concept features)")
	conceptRepeat := fs.Int("concept-repeat", 1, "how many times each matched concept's feature is emitted")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" || *dev == "" {
		return fmt.Errorf("curve: -data and -dev are required")
	}
	train, err := readAll(strings.Split(*data, ","))
	if err != nil {
		return err
	}
	devSet, err := readAll(strings.Split(*dev, ","))
	if err != nil {
		return err
	}
	opt := d
	opt.Seed, opt.Dim, opt.LangDim = *seed, *dim, *langDim
	opt.Featurizer.Buckets, opt.Featurizer.LangBuckets, opt.Featurizer.Fold = *buckets, *langBuckets, *fold
	opt.Featurizer.CharMin, opt.Featurizer.CharMax = *charMin, *charMax
	if *conceptDir != "" {
		if opt.Featurizer.Concepts, err = model.ReadConceptDir(*conceptDir, filepath.Base(*conceptDir), *conceptRepeat); err != nil {
			return err
		}
	}
	langs := slices.Sorted(maps.Keys(groupBy(devSet, func(e model.Example) string { return e.Lang })))
	fmt.Printf("| share of training data | rows | dev accuracy | %s |\n", strings.Join(langs, " | "))
	fmt.Printf("|---|---|---|%s\n", strings.Repeat("---|", len(langs)))
	for _, fs := range strings.Split(*fractions, ",") {
		frac, err := strconv.ParseFloat(strings.TrimSpace(fs), 64)
		if err != nil || frac <= 0 || frac > 1 {
			return fmt.Errorf("curve: fraction %q not in (0, 1]", fs)
		}
		sub := share(train, frac)
		m, err := model.Train(ctx, sub, nil, nil, opt)
		if err != nil {
			return err
		}
		ok := map[string]int{}
		n := map[string]int{}
		all := 0
		for _, ex := range devSet {
			p := m.Predict(ex.Text, "", 1)
			n[ex.Lang]++
			if p.Intent == ex.Intent || !p.Understood && ex.Intent == opt.OOSLabel {
				ok[ex.Lang]++
				all++
			}
		}
		cells := make([]string, len(langs))
		for i, l := range langs {
			cells[i] = fmt.Sprintf("%.1f", pct(ok[l], n[l]))
		}
		fmt.Printf("| %.0f%% | %d | %.1f%% | %s |\n", 100*frac, len(sub), pct(all, len(devSet)), strings.Join(cells, " | "))
		os.Stdout.Sync()
	}
	return nil
}

// share keeps about frac of each language and intent, at least one: the
// examples with the lowest hashes of their text, so a smaller share is a
// part of a larger one.
func share(exs []model.Example, frac float64) []model.Example {
	if frac >= 1 {
		return exs
	}
	var out []model.Example
	for _, group := range groupBy(exs, func(e model.Example) string { return e.Lang + "\x00" + e.Intent }) {
		slices.SortFunc(group, func(a, b model.Example) int { return int(textHash(a.Text)>>1) - int(textHash(b.Text)>>1) })
		k := max(1, int(frac*float64(len(group))+0.5))
		out = append(out, group[:k]...)
	}
	slices.SortFunc(out, func(a, b model.Example) int {
		return strings.Compare(a.Lang+a.Intent+a.Text, b.Lang+b.Intent+b.Text)
	})
	return out
}

func textHash(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

func groupBy(exs []model.Example, key func(model.Example) string) map[string][]model.Example {
	m := map[string][]model.Example{}
	for _, e := range exs {
		m[key(e)] = append(m[key(e)], e)
	}
	return m
}
