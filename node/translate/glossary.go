package translate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Term is one glossary entry. A term without Translation is never
// translated (a brand or product name: "Edgeflux"), in any pair. A term
// with Translation is forced to it when translating From → To ("return
// label" → "etiqueta de devolución" for en → es). Terms match whole words,
// case-insensitively.
type Term struct {
	Term        string `json:"term"`
	From        string `json:"from,omitempty"`
	To          string `json:"to,omitempty"`
	Translation string `json:"translation,omitempty"`
}

// Glossary limits: a chat message is short, and every term costs a
// comparison on every translated message.
const (
	MaxTerms     = 5000
	MaxTermBytes = 200
)

// Keep reports whether t is a never-translate term.
func (t Term) Keep() bool { return t.Translation == "" }

// Glossary is the merchant's terms, compiled. The zero Glossary has no
// terms. A Glossary is immutable and safe for concurrent use.
type Glossary struct {
	terms   []Term
	version string
	re      *regexp.Regexp // every term, longest first; nil without terms
	byLower map[string][]int
}

// NewGlossary compiles terms (already validated by Check).
func NewGlossary(terms []Term) *Glossary {
	g := &Glossary{terms: slices.Clone(terms), byLower: map[string][]int{}}
	sum := sha256.New()
	for _, t := range terms {
		b, _ := json.Marshal(t) // a struct of strings: cannot fail
		sum.Write(append(b, '\n'))
	}
	g.version = hex.EncodeToString(sum.Sum(nil))[:16]
	if len(terms) == 0 {
		return g
	}
	uniq := map[string]bool{}
	var alts []string
	for i, t := range terms {
		low := strings.ToLower(t.Term)
		g.byLower[low] = append(g.byLower[low], i)
		if !uniq[low] {
			uniq[low] = true
			alts = append(alts, regexp.QuoteMeta(t.Term))
		}
	}
	// Longest first: "return label" wins over "label".
	slices.SortStableFunc(alts, func(a, b string) int { return len(b) - len(a) })
	g.re = regexp.MustCompile(`(?i)(?:` + strings.Join(alts, "|") + `)`)
	return g
}

// Terms returns a copy of the glossary's terms in order.
func (g *Glossary) Terms() []Term {
	if g == nil {
		return nil
	}
	return slices.Clone(g.terms)
}

// Version identifies the glossary's content: a hash of its terms, part of
// every cache key, so a changed glossary never serves an old translation.
func (g *Glossary) Version() string {
	if g == nil {
		return NewGlossary(nil).version
	}
	return g.version
}

// placeholder is the token a protected term travels as. Engines treat it
// as an unknown word and copy it; Apertium may prefix its unknown-word
// marks, which restore strips.
func placeholder(i int) string { return "ZXQ" + strconv.Itoa(i) + "Q" }

var placeholderRE = regexp.MustCompile(`[*#@~]?(?i:zxq)([0-9]+)(?i:q)`)

// verbatimRE finds what no engine may touch besides the glossary's terms:
// links and email addresses (an engine translates a URL's words).
var verbatimRE = regexp.MustCompile(`https?://[^\s<>"]+[^\s<>".,;:!?)\]]|[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}`)

// Protect replaces the links, email addresses and glossary terms that
// apply to from → to in text with placeholders and returns the text to
// translate and what each placeholder stands for in the translation: the
// link, address or term as written for a never-translate term, the forced
// translation for the pair otherwise.
func (g *Glossary) Protect(text, from, to string) (string, []string) {
	type span struct {
		s, e int
		repl string
	}
	var spans []span
	for _, loc := range verbatimRE.FindAllStringIndex(text, -1) {
		spans = append(spans, span{loc[0], loc[1], text[loc[0]:loc[1]]})
	}
	if g != nil && g.re != nil {
		for _, loc := range g.re.FindAllStringIndex(text, -1) {
			s, e := loc[0], loc[1]
			if !wordEdge(text, s, e) {
				continue
			}
			if repl, ok := g.lookup(text[s:e], from, to); ok {
				spans = append(spans, span{s, e, repl})
			}
		}
	}
	if spans == nil {
		return text, nil
	}
	slices.SortStableFunc(spans, func(a, b span) int { return a.s - b.s })
	var (
		b     strings.Builder
		subst []string
		last  int
	)
	for _, sp := range spans {
		if sp.s < last {
			continue // inside a link or an earlier term
		}
		b.WriteString(text[last:sp.s])
		b.WriteString(placeholder(len(subst)))
		subst = append(subst, sp.repl)
		last = sp.e
	}
	b.WriteString(text[last:])
	return b.String(), subst
}

// lookup finds what found (a match of some term) becomes for from → to.
func (g *Glossary) lookup(found, from, to string) (string, bool) {
	fb, tb := base(from), base(to)
	keep := false
	for _, i := range g.byLower[strings.ToLower(found)] {
		t := g.terms[i]
		if t.Keep() {
			keep = true
			continue
		}
		if base(t.From) == fb && base(t.To) == tb {
			return t.Translation, true
		}
	}
	return found, keep
}

// wordEdge reports whether text[s:e] is a whole word: no letter or digit
// touches it on either side.
func wordEdge(text string, s, e int) bool {
	if s > 0 {
		r, _ := utf8.DecodeLastRuneInString(text[:s])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	if e < len(text) {
		r, _ := utf8.DecodeRuneInString(text[e:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// Restore puts the protected terms back into a translation and strips
// unknown-word marks from them. It reports false when a placeholder did
// not survive, so the caller can refuse a translation that lost a term.
func Restore(text string, subst []string) (string, bool) {
	if len(subst) == 0 {
		return text, true
	}
	seen := make([]bool, len(subst))
	out := placeholderRE.ReplaceAllStringFunc(text, func(m string) string {
		sub := placeholderRE.FindStringSubmatch(m)
		i, err := strconv.Atoi(sub[1])
		if err != nil || i >= len(subst) {
			return m
		}
		seen[i] = true
		return subst[i]
	})
	return out, !slices.Contains(seen, false)
}
