package sentiment

import "math"

// Score is the signal for one message.
type Score struct {
	Value    float32 // in [-1, 1]; negative is negative sentiment
	Negative bool    // Value <= StrongNegative: worth escalating
	Hits     int     // lexicon matches that contributed
}

// StrongNegative is the threshold below which a message counts as strongly
// negative. Value is a monotonic squashing of the message's summed
// weight s, Value = s / sqrt(s² + 15), so -0.6 corresponds to s ≈ -2.9: a
// single weight -3 term ("unacceptable", "damn", "垃圾", "estafa" is -4) is
// enough; a weight -2 term ("disappointed", "rude") needs an intensifier,
// "!!", an ALL CAPS word or a second negative term; descriptions of a
// problem ("late" -0.5, "broken" -1) never are on their own.
//
// It was chosen on tuning data only — the "tune" half of
// testdata/labelled.jsonl and the Bitext train split — never on the
// "check" half or Bitext dev. Precision counts most, so the rule is: the
// most negative threshold on a 0.05 grid (the widest margin against false
// escalations) that still keeps a recall of at least 0.95 on the tune half
// and on Bitext train (tag W), with a tune precision of at least 0.95.
// TestThresholdSweep prints the sweep and fails if the rule no longer
// gives this value.
const StrongNegative float32 = -0.6

// Tuning constants (chosen on the tune split and Bitext train, like the
// threshold).
const (
	maxInput   = 4096 // bytes of a message analysed; the rest is ignored
	maxToken   = 64   // bytes of a folded word; longer words match nothing
	negScope   = 3    // a negator affects the next negScope words
	intScope   = 2    // an intensifier affects a sentiment word within intScope words
	maxMult    = 4    // cap on chained intensifiers
	negPos     = -0.6 // weight factor of a negated positive word ("not good")
	negNeg     = -0.2 // weight factor of a negated negative word ("not bad")
	capsBoost  = 1.5  // an ALL CAPS sentiment word
	elongBoost = 1.2  // an elongated sentiment word ("soooo", "baaad")
	exclOne    = 0.15 // amplification for one '!'
	exclMany   = 0.3  // amplification for two or more
	shoutAmp   = 0.2  // amplification when any word of 3+ letters is ALL CAPS
	qqAmp      = 0.1  // amplification for "??"
	alpha      = 15   // squashing constant
	maxSum     = 1e6
)

// Analyze scores text. lang is a BCP 47 tag or base language ("en",
// "es-MX", "zh-TW"), possibly empty or wrong: every lexicon is applied to
// every message, and lang only decides the handful of words whose meaning
// differs between covered languages (French "con", German "mal"). Chinese
// terms and emoji are matched as substrings, other scripts word by word.
//
// Analyze does not allocate and is safe for concurrent use. Only the first
// 4096 bytes of text are analysed.
func Analyze(text, lang string) Score {
	return analyze(text, lang, nil)
}

// Match is one lexicon term that contributed to a Score.
type Match struct {
	Term   string  // the folded lexicon term ("pesimo", "rip off", "垃圾")
	Weight float32 // its contribution after negation, intensifiers and case
}

// Explain is Analyze that also returns the terms that contributed, in text
// order, before the message-level amplifiers ("!!!", ALL CAPS words). It
// allocates; use it for logs and debugging, not on the hot path.
func Explain(text, lang string) (Score, []Match) {
	var m []Match
	s := analyze(text, lang, &m)
	return s, m
}

func analyze(text, lang string, rec *[]Match) Score {
	if len(text) > maxInput {
		text = text[:maxInput]
	}
	s := scanner{lang: parseLang(lang), mult: 1, rec: rec}
	s.run(text)
	return s.score()
}

// score turns the sums into a Score.
func (s *scanner) score() Score {
	total := s.neg + s.pos
	amp := 1.0
	switch {
	case s.excl >= 2:
		amp += exclMany
	case s.excl == 1:
		amp += exclOne
	}
	if s.shout > 0 {
		amp += shoutAmp
	}
	if s.qq > 0 {
		amp += qqAmp
	}
	total *= amp
	total = math.Max(-maxSum, math.Min(maxSum, total))
	v := float32(total / math.Sqrt(total*total+alpha))
	return Score{Value: v, Negative: v <= StrongNegative, Hits: s.hits}
}
