package model

import (
	"slices"

	"golang.org/x/text/unicode/norm"
)

// Han variants. Simplified and Traditional Chinese share most characters;
// those they do not share settle which one a message is written in, even
// when it is too short for the language head's n-grams to ("發票": 發 is
// Traditional only; "发票": 发 is Simplified only). The model learns which
// characters those are from its own training text: a Han character seen
// at least minHanVariantCount times in one variant's text and never in the
// other's (Manifest.HanVariants). A message with characters of one variant
// only moves the head's probability for the other variant to it; a message
// with both, or with neither ("你好", "好吧"), is left to the head and the
// declared locale.

// HanVariants lists the Han characters only one Chinese variant's training
// text uses.
type HanVariants struct {
	Simplified  string `json:"simplified"`  // seen in zh, never in zh-Hant
	Traditional string `json:"traditional"` // seen in zh-Hant, never in zh
}

// minHanVariantCount is how often a character must occur in one variant's
// training text to count as that variant's: a character seen once may be
// a typo or a quotation.
const minHanVariantCount = 2

// Languages the Han variant evidence decides between.
const (
	langHans = "zh"
	langHant = "zh-Hant"
)

// hanVariantsOf derives the variant-only characters of the zh and zh-Hant
// training examples; nil when the data lacks either variant.
func hanVariantsOf(train []Example) *HanVariants {
	counts := map[string]map[rune]int{langHans: {}, langHant: {}}
	for _, ex := range train {
		c, ok := counts[ex.Lang]
		if !ok {
			continue
		}
		for _, r := range norm.NFKC.String(ex.Text) {
			if isHan(r) {
				c[r]++
			}
		}
	}
	if len(counts[langHans]) == 0 || len(counts[langHant]) == 0 {
		return nil
	}
	only := func(in, notIn map[rune]int) string {
		var rs []rune
		for r, n := range in {
			if n >= minHanVariantCount && notIn[r] == 0 {
				rs = append(rs, r)
			}
		}
		slices.Sort(rs)
		return string(rs)
	}
	return &HanVariants{Simplified: only(counts[langHans], counts[langHant]), Traditional: only(counts[langHant], counts[langHans])}
}

func isHan(r rune) bool { return r >= 0x2E80 && scriptIndex(r) >= 0 && ScriptOf(r) == "Han" }

// hanTable maps a variant-only character to +1 (Traditional) or -1
// (Simplified).
type hanTable map[rune]int8

func newHanTable(h *HanVariants) hanTable {
	if h == nil {
		return nil
	}
	t := hanTable{}
	for _, r := range h.Simplified {
		t[r] = -1
	}
	for _, r := range h.Traditional {
		t[r] = 1
	}
	return t
}

// WithHanVariants returns a featurizer like f that counts the
// variant-only Han characters of a text (Features.Hans, Features.Hant).
func (f *Featurizer) WithHanVariants(h *HanVariants) *Featurizer {
	g := *f
	g.han = newHanTable(h)
	return &g
}

// applyHanVariants moves the language head's probability between zh and
// zh-Hant when the text's characters belong to one variant only.
func applyHanVariants(langs []string, probs []float32, f *Features) {
	if len(probs) == 0 || f.Hans > 0 == (f.Hant > 0) {
		return
	}
	s, t := slices.Index(langs, langHans), slices.Index(langs, langHant)
	if s < 0 || t < 0 {
		return
	}
	if f.Hant > 0 {
		s, t = t, s // move zh's probability to zh-Hant
	}
	probs[s] += probs[t]
	probs[t] = 0
}
