package model

import (
	"math"
	"slices"
	"sort"
)

// Metrics summarise a classifier on labelled data.
type Metrics struct {
	N        int     `json:"n"`
	Accuracy float64 `json:"accuracy"`
	MacroF1  float64 `json:"macro_f1"`
	// InScopeAccuracy is the accuracy on utterances whose gold label is not
	// the out-of-scope label (nil when the data has none).
	InScopeAccuracy *float64 `json:"in_scope_accuracy,omitempty"`
	// OOSRecall is the share of out-of-scope utterances marked not
	// understood (nil when the data has none).
	OOSRecall *float64 `json:"oos_recall"`
	// FalseOOS is the share of in-scope utterances marked not understood
	// or out of scope (nil, like OOSRecall, when the data has no
	// out-of-scope utterance).
	FalseOOS *float64 `json:"false_oos,omitempty"`
	// Coverage is the share of utterances the model claims to understand.
	Coverage  float64         `json:"coverage"`
	PerIntent []IntentMetrics `json:"per_intent,omitempty"`
}

// IntentMetrics are precision, recall and F1 for one label.
type IntentMetrics struct {
	Intent    string  `json:"intent"`
	Support   int     `json:"support"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// Score compares predictions with gold labels. understood[i] false counts
// as predicting oosLabel when oosLabel is non-empty. Macro-F1 averages over
// the labels that occur in gold or pred.
func Score(gold, pred []string, understood []bool, oosLabel string) Metrics {
	m := Metrics{N: len(gold)}
	if len(gold) == 0 {
		return m
	}
	tp := map[string]int{}
	fp := map[string]int{}
	fn := map[string]int{}
	support := map[string]int{}
	var correct, inN, inCorrect, inOOS, oosN, oosHit, covered int
	for i, g := range gold {
		p := pred[i]
		if understood[i] {
			covered++
		} else if oosLabel != "" {
			p = oosLabel
		}
		support[g]++
		if p == g {
			correct++
			tp[g]++
		} else {
			fp[p]++
			fn[g]++
		}
		if oosLabel != "" && g == oosLabel {
			oosN++
			if p == oosLabel {
				oosHit++
			}
		} else {
			inN++
			if p == g {
				inCorrect++
			}
			if oosLabel != "" && p == oosLabel {
				inOOS++
			}
		}
	}
	m.Accuracy = float64(correct) / float64(len(gold))
	m.Coverage = float64(covered) / float64(len(gold))
	if oosN > 0 {
		r := float64(oosHit) / float64(oosN)
		m.OOSRecall = &r
		a := float64(inCorrect) / float64(max(inN, 1))
		m.InScopeAccuracy = &a
		f := float64(inOOS) / float64(max(inN, 1))
		m.FalseOOS = &f
	}
	labels := make([]string, 0, len(support))
	seen := map[string]bool{}
	for _, set := range []map[string]int{support, fp} {
		for l := range set {
			if !seen[l] {
				seen[l] = true
				labels = append(labels, l)
			}
		}
	}
	sort.Strings(labels)
	var f1sum float64
	for _, l := range labels {
		prec := ratio(tp[l], tp[l]+fp[l])
		rec := ratio(tp[l], tp[l]+fn[l])
		f1 := 0.0
		if prec+rec > 0 {
			f1 = 2 * prec * rec / (prec + rec)
		}
		f1sum += f1
		m.PerIntent = append(m.PerIntent, IntentMetrics{Intent: l, Support: support[l], Precision: prec, Recall: rec, F1: f1})
	}
	m.MacroF1 = f1sum / float64(len(labels))
	return m
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// percentile returns the p-th percentile (0..100) of xs by nearest rank.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}
