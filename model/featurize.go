package model

import (
	"fmt"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// FeaturizerConfig holds the featurizer parameters. They are stored in every
// exported model, so training and serving always hash text the same way.
type FeaturizerConfig struct {
	// Buckets is the number of rows of the intent embedding table; every
	// intent feature is hashed into [0, Buckets).
	Buckets int `json:"buckets"`
	// WordNgrams is the longest word n-gram (1 = unigrams, 2 = uni+bigrams).
	WordNgrams int `json:"word_ngrams"`
	// CharMin and CharMax bound the character n-grams of the intent features.
	// CharMax 0 disables them.
	CharMin int `json:"char_min"`
	CharMax int `json:"char_max"`
	// LangBuckets, LangCharMin, LangCharMax describe the language features
	// (character n-grams only). LangBuckets 0 disables them.
	LangBuckets int `json:"lang_buckets"`
	LangCharMin int `json:"lang_char_min"`
	LangCharMax int `json:"lang_char_max"`
	// MaxRunes bounds the normalised text that is featurized; longer input
	// is cut, so the work per message is bounded.
	MaxRunes int `json:"max_runes"`
	// Seed perturbs the hash functions.
	Seed uint64 `json:"seed"`
	// Fold 1 folds accents, the Turkish i and Arabic letter variants out
	// of the intent features (fold.go); 0 keeps them (models made before
	// it).
	Fold int `json:"fold,omitempty"`
	// Concepts, when set, adds concept features (concepts.go) to the
	// intent features; such models are written as format 3.
	Concepts *ConceptLexicon `json:"concepts,omitempty"`
}

// DefaultFeaturizerConfig returns the parameters used when the trainer is
// given none.
func DefaultFeaturizerConfig() FeaturizerConfig {
	return FeaturizerConfig{
		Buckets:     1 << 16,
		WordNgrams:  2,
		CharMin:     2,
		CharMax:     5,
		LangBuckets: 1 << 14,
		LangCharMin: 1,
		LangCharMax: 3,
		MaxRunes:    256,
		Seed:        0x9E3779B97F4A7C15,
	}
}

// Validate reports the first invalid field.
func (c FeaturizerConfig) Validate() error {
	switch {
	case c.Buckets < 1 || c.Buckets > 1<<24:
		return fmt.Errorf("%w: buckets %d not in [1, 2^24]", ErrBadConfig, c.Buckets)
	case c.WordNgrams < 0 || c.WordNgrams > 3:
		return fmt.Errorf("%w: word_ngrams %d not in [0, 3]", ErrBadConfig, c.WordNgrams)
	case c.CharMax != 0 && (c.CharMin < 1 || c.CharMax < c.CharMin || c.CharMax > 8):
		return fmt.Errorf("%w: char n-grams [%d, %d] invalid", ErrBadConfig, c.CharMin, c.CharMax)
	case c.WordNgrams == 0 && c.CharMax == 0:
		return fmt.Errorf("%w: no intent features (word_ngrams and char_max are 0)", ErrBadConfig)
	case c.LangBuckets < 0 || c.LangBuckets > 1<<24:
		return fmt.Errorf("%w: lang_buckets %d not in [0, 2^24]", ErrBadConfig, c.LangBuckets)
	case c.LangBuckets > 0 && (c.LangCharMin < 1 || c.LangCharMax < c.LangCharMin || c.LangCharMax > 8):
		return fmt.Errorf("%w: lang char n-grams [%d, %d] invalid", ErrBadConfig, c.LangCharMin, c.LangCharMax)
	case c.MaxRunes < 1 || c.MaxRunes > 1<<16:
		return fmt.Errorf("%w: max_runes %d not in [1, 65536]", ErrBadConfig, c.MaxRunes)
	case c.Fold < 0 || c.Fold > 1:
		return fmt.Errorf("%w: fold %d not in [0, 1]", ErrBadConfig, c.Fold)
	}
	if c.Concepts != nil {
		return c.Concepts.Validate()
	}
	return nil
}

// Features are the hashed features of one message.
type Features struct {
	IDs     []int32 // intent feature buckets, with repetitions
	LangIDs []int32 // language feature buckets, with repetitions
	Runes   int     // length of the normalised text in runes
	// Letters counts the letters of the text; Foreign those in scripts
	// the model was not trained on (only with Featurizer.WithScripts).
	Letters, Foreign int
	// Hans and Hant count the Han characters only Simplified or only
	// Traditional Chinese uses (only with Featurizer.WithHanVariants).
	Hans, Hant int
}

// Reset empties f, keeping its capacity.
func (f *Features) Reset() {
	f.IDs = f.IDs[:0]
	f.LangIDs = f.LangIDs[:0]
	f.Runes, f.Letters, f.Foreign = 0, 0, 0
	f.Hans, f.Hant = 0, 0
}

// Featurizer turns text into hashed features. It is immutable and safe for
// concurrent use.
type Featurizer struct {
	cfg FeaturizerConfig
	// known marks the scripts (indexes of knownScripts, and ScriptOther
	// last) whose letters are not foreign; nil counts none as foreign.
	known []bool
	// concepts is the compiled Concepts lexicon, nil without one.
	concepts *conceptMatcher
	// han marks the variant-only Han characters, nil without them.
	han hanTable
}

// NewFeaturizer validates cfg and returns a featurizer.
func NewFeaturizer(cfg FeaturizerConfig) (*Featurizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f := &Featurizer{cfg: cfg}
	if cfg.Concepts != nil {
		m, err := f.compileConcepts(cfg.Concepts)
		if err != nil {
			return nil, err
		}
		f.concepts = m
	}
	return f, nil
}

// WithScripts returns a featurizer like f that counts the letters of a
// text outside scripts (Features.Foreign).
func (f *Featurizer) WithScripts(scripts []string) *Featurizer {
	g := &Featurizer{cfg: f.cfg, known: make([]bool, len(knownScripts)+1), concepts: f.concepts, han: f.han}
	for _, name := range scripts {
		for i, s := range knownScripts {
			if s.name == name {
				g.known[i] = true
			}
		}
	}
	return g
}

// Config returns the featurizer's parameters.
func (f *Featurizer) Config() FeaturizerConfig { return f.cfg }

// MaxFeatures is an upper bound on len(Features.IDs) for any input.
func (f *Featurizer) MaxFeatures() int {
	n := f.cfg.MaxRunes + 2
	return f.cfg.WordNgrams*n + (f.cfg.CharMax-f.cfg.CharMin+1)*n + 1 + f.concepts.maxFeatures()
}

// MaxLangFeatures is an upper bound on len(Features.LangIDs) for any input.
func (f *Featurizer) MaxLangFeatures() int {
	if f.cfg.LangBuckets == 0 {
		return 0
	}
	return (f.cfg.LangCharMax-f.cfg.LangCharMin+1)*(f.cfg.MaxRunes+2) + 1
}

type scratch struct {
	runes  []rune  // normalised text, separators collapsed to ' ', with ' ' at both ends
	starts []int32 // token start offsets into runes
	ends   []int32 // token end offsets
	folded bool    // tokenize changed a rune: the language head needs the text unfolded
	caser  cases.Caser
	found  []uint16 // concepts matched, in text order
	seen   []uint16 // distinct concepts emitted
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{caser: newCaser()}
}}

func newCaser() cases.Caser { return cases.Fold() }

// maxInputBytes bounds the raw input looked at before normalisation.
func (f *Featurizer) maxInputBytes() int { return 8 * f.cfg.MaxRunes }

// Featurize returns the features of text.
func (f *Featurizer) Featurize(text string) Features {
	var out Features
	f.AppendFeatures(&out, text)
	return out
}

// AppendFeatures appends the features of text to dst.
func (f *Featurizer) AppendFeatures(dst *Features, text string) {
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	text = f.prepare(s, text)
	fold := f.cfg.Fold > 0 && !isASCII(text)
	f.tokenize(s, text, fold)
	dst.Runes = max(0, len(s.runes)-2)
	f.appendIntent(s, dst)
	if f.concepts != nil {
		f.appendConcepts(s, dst)
	}
	for _, r := range s.runes {
		if i := scriptIndex(r); i >= 0 {
			dst.Letters++
			if f.known != nil && !f.known[i] {
				dst.Foreign++
			}
			if f.han != nil && r >= 0x2E80 {
				switch f.han[r] {
				case 1:
					dst.Hant++
				case -1:
					dst.Hans++
				}
			}
		}
	}
	if f.cfg.LangBuckets > 0 {
		if s.folded {
			f.tokenize(s, text, false) // the language head sees the accents
		}
		f.appendLang(s, dst)
	}
}

// NormalizeText returns the normalised text features are computed from:
// NFKC, case folded, digits mapped to 0, runs of separators collapsed to one
// space, cut to MaxRunes runes. It is exposed for tests and debugging.
func (f *Featurizer) NormalizeText(text string) string {
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	f.tokenize(s, f.prepare(s, text), f.cfg.Fold > 0)
	if len(s.runes) < 2 {
		return ""
	}
	return string(s.runes[1 : len(s.runes)-1])
}

// prepare cuts text to the input bound and, unless it is ASCII, applies
// NFKC and case folding.
func (f *Featurizer) prepare(s *scratch, text string) string {
	if len(text) > f.maxInputBytes() {
		cut := f.maxInputBytes()
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	if !isASCII(text) {
		text = norm.NFKC.String(text)
		s.caser.Reset()
		text = s.caser.String(text)
	}
	return text
}

// tokenize fills s with the normalised runes of prepared text and its
// tokens; fold applies foldRune first.
func (f *Featurizer) tokenize(s *scratch, text string, fold bool) {
	s.runes = append(s.runes[:0], ' ')
	s.folded = false
	s.starts = s.starts[:0]
	s.ends = s.ends[:0]
	inWord := false
	n := 0
	for _, r := range text {
		if n >= f.cfg.MaxRunes {
			break
		}
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
		} else if fold {
			fr := foldRune(r)
			if fr != r {
				s.folded = true
			}
			if r = fr; r < 0 {
				continue
			}
		}
		word := isWordRune(r)
		if !word {
			if inWord {
				s.ends = append(s.ends, int32(len(s.runes)))
				inWord = false
			}
			if s.runes[len(s.runes)-1] != ' ' {
				s.runes = append(s.runes, ' ')
				n++
			}
			continue
		}
		if r >= '0' && r <= '9' || r >= utf8.RuneSelf && unicode.IsDigit(r) {
			r = '0'
		}
		if isolating(r) {
			// Scripts written without spaces: every rune is a token of its own.
			if inWord {
				s.ends = append(s.ends, int32(len(s.runes)))
			}
			s.starts = append(s.starts, int32(len(s.runes)))
			s.runes = append(s.runes, r)
			s.ends = append(s.ends, int32(len(s.runes)))
			inWord = false
			n++
			continue
		}
		if !inWord {
			s.starts = append(s.starts, int32(len(s.runes)))
			inWord = true
		}
		s.runes = append(s.runes, r)
		n++
	}
	if inWord {
		s.ends = append(s.ends, int32(len(s.runes)))
	}
	if s.runes[len(s.runes)-1] != ' ' {
		s.runes = append(s.runes, ' ')
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || 'A' <= r && r <= 'Z'
	}
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)
}

func isolating(r rune) bool {
	if r < 0x0E00 {
		return false
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai,
		unicode.Lao, unicode.Khmer, unicode.Myanmar)
}

const (
	fnvPrime  = 1099511628211
	kindWord1 = 0x1f
	kindWord2 = 0x2f
	kindWord3 = 0x3f
	kindChar  = 0x4f
	kindLang  = 0x5f
)

func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

func (f *Featurizer) hashRunes(h uint64, rs []rune) uint64 {
	for _, r := range rs {
		h = (h ^ uint64(r)) * fnvPrime
	}
	return h
}

func (f *Featurizer) appendIntent(s *scratch, dst *Features) {
	buckets := uint64(f.cfg.Buckets)
	seed := f.cfg.Seed
	if f.cfg.WordNgrams >= 1 {
		var prev, prev2 uint64
		for i := range s.starts {
			w := f.hashRunes(seed^kindWord1, s.runes[s.starts[i]:s.ends[i]])
			dst.IDs = append(dst.IDs, int32(mix(w)%buckets))
			if f.cfg.WordNgrams >= 2 && i >= 1 {
				dst.IDs = append(dst.IDs, int32(mix((prev*31+w)^kindWord2)%buckets))
			}
			if f.cfg.WordNgrams >= 3 && i >= 2 {
				dst.IDs = append(dst.IDs, int32(mix(((prev2*31+prev)*31+w)^kindWord3)%buckets))
			}
			prev2, prev = prev, w
		}
	}
	if f.cfg.CharMax > 0 {
		appendCharNgrams(&dst.IDs, s.runes, f.cfg.CharMin, f.cfg.CharMax, seed^kindChar, buckets)
	}
}

func (f *Featurizer) appendLang(s *scratch, dst *Features) {
	appendCharNgrams(&dst.LangIDs, s.runes, f.cfg.LangCharMin, f.cfg.LangCharMax,
		f.cfg.Seed^kindLang, uint64(f.cfg.LangBuckets))
}

// appendCharNgrams hashes every n-gram of rs with min <= n <= max, skipping
// n-grams that are a lone space.
func appendCharNgrams(dst *[]int32, rs []rune, lo, hi int, seed, buckets uint64) {
	ids := *dst
	for i := range rs {
		h := seed
		for n := 1; n <= hi && i+n <= len(rs); n++ {
			h = (h ^ uint64(rs[i+n-1])) * fnvPrime
			if n < lo || n == 1 && rs[i] == ' ' {
				continue
			}
			ids = append(ids, int32(mix(h^uint64(n))%buckets))
		}
	}
	*dst = ids
}
