package model

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Concept features (FeaturizerConfig.Concepts): a multilingual lexicon maps
// the words shoppers use for shop concepts ("pedido", "zamówienie",
// "注文" → ORDER) to shared tokens, emitted as extra intent features, so
// what the model learns for ORDER+WHERE in one language also fires in
// another, and for words of a concept it never saw in a training sentence.
// The lexicon travels in the model's manifest: a model built with it is
// written as format 3, which builds without concept features refuse.

// ConceptLexicon is a table of concepts and the patterns that evoke them.
type ConceptLexicon struct {
	// Version names the lexicon (for the manifest reader; matching does
	// not depend on it).
	Version string `json:"version"`
	// Repeat is how many times each matched concept's feature is emitted;
	// features are mean-pooled, so it weighs a concept against the
	// message's hundred-odd n-grams. 0 counts as 1.
	Repeat   int       `json:"repeat,omitempty"`
	Concepts []Concept `json:"concepts"`
}

// Concept is one shared meaning and its patterns, in any language.
// A pattern is matched on the normalised, folded text: "word" matches the
// whole word (or words: "đơn hàng"), "stem*" a word beginning with stem,
// "*end" a word ending with end, "*part*" anywhere. An end written in a
// script without spaces (Han, kana, Thai) is never tied to a word
// boundary: "注文" matches inside "注文した".
type Concept struct {
	Name     string   `json:"name"`
	Patterns []string `json:"patterns"`
}

// Concept table limits: bounded work and features per message whatever the
// text, and a bounded table whatever the manifest says.
const (
	maxConceptMatches  = 16 // distinct concepts per message
	maxConceptPatterns = 1 << 16
	maxPatternRunes    = 32
	maxConceptRepeat   = 16
)

const (
	kindConcept     = 0x6f
	kindConceptPair = 0x7f
)

// conceptMatcher is a compiled lexicon: a trie over normalised runes.
type conceptMatcher struct {
	edges  map[uint64]int32 // node<<32 | rune → child node
	outs   [][]uint16       // concept indexes a node completes
	hashes []uint64         // per concept, the hash of its name
	repeat int
	// first marks the runes (of the Basic Multilingual Plane) a pattern
	// starts with: most positions of a text start none, and a bit test
	// is much cheaper than a map lookup.
	first [1 << 10]uint64
}

func (m *conceptMatcher) mayStart(r rune) bool {
	return r >= 1<<16 || m.first[r>>6]&(1<<(r&63)) != 0
}

// Validate reports the first invalid field of the lexicon.
func (l *ConceptLexicon) Validate() error {
	n := 0
	seen := map[string]bool{}
	switch {
	case len(l.Concepts) == 0:
		return fmt.Errorf("%w: concept lexicon %q has no concepts", ErrBadConfig, l.Version)
	case len(l.Concepts) > 1<<15:
		return fmt.Errorf("%w: concept lexicon %q has %d concepts, at most %d", ErrBadConfig, l.Version, len(l.Concepts), 1<<15)
	case l.Repeat < 0 || l.Repeat > maxConceptRepeat:
		return fmt.Errorf("%w: concept repeat %d not in [0, %d]", ErrBadConfig, l.Repeat, maxConceptRepeat)
	}
	for _, c := range l.Concepts {
		if c.Name == "" || seen[c.Name] {
			return fmt.Errorf("%w: concept name %q empty or repeated", ErrBadConfig, c.Name)
		}
		seen[c.Name] = true
		n += len(c.Patterns)
		for _, p := range c.Patterns {
			if strings.Trim(p, "* ") == "" || len([]rune(p)) > maxPatternRunes {
				return fmt.Errorf("%w: concept %s: pattern %q empty or longer than %d runes", ErrBadConfig, c.Name, p, maxPatternRunes)
			}
		}
	}
	if n > maxConceptPatterns {
		return fmt.Errorf("%w: concept lexicon has %d patterns, at most %d", ErrBadConfig, n, maxConceptPatterns)
	}
	return nil
}

// compileConcepts builds the matcher of l, normalising every pattern as f
// normalises text (so folding applies to both alike).
func (f *Featurizer) compileConcepts(l *ConceptLexicon) (*conceptMatcher, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	m := &conceptMatcher{edges: map[uint64]int32{}, outs: [][]uint16{nil}, repeat: max(1, l.Repeat)}
	s := &scratch{caser: newCaser()}
	for ci, c := range l.Concepts {
		h := f.cfg.Seed ^ kindConcept
		for i := 0; i < len(c.Name); i++ {
			h = (h ^ uint64(c.Name[i])) * fnvPrime
		}
		m.hashes = append(m.hashes, h)
		for _, p := range c.Patterns {
			open := strings.HasPrefix(p, "*")
			prefix := strings.HasSuffix(p, "*")
			core := strings.Trim(p, "* ")
			f.tokenize(s, f.prepare(s, core), f.cfg.Fold > 0)
			if len(s.runes) < 3 {
				return nil, fmt.Errorf("%w: concept %s: pattern %q has no letters", ErrBadConfig, c.Name, p)
			}
			rs := s.runes[1 : len(s.runes)-1] // without the ends' spaces
			if len(rs) > maxPatternRunes {
				return nil, fmt.Errorf("%w: concept %s: pattern %q longer than %d runes once normalised", ErrBadConfig, c.Name, p, maxPatternRunes)
			}
			var seq []rune
			if !open && !isolating(rs[0]) {
				seq = append(seq, ' ')
			}
			seq = append(seq, rs...)
			if !prefix && !isolating(rs[len(rs)-1]) {
				seq = append(seq, ' ')
			}
			if r := seq[0]; r < 1<<16 {
				m.first[r>>6] |= 1 << (r & 63)
			}
			node := int32(0)
			for _, r := range seq {
				k := uint64(node)<<32 | uint64(uint32(r))
				next, ok := m.edges[k]
				if !ok {
					next = int32(len(m.outs))
					m.outs = append(m.outs, nil)
					m.edges[k] = next
				}
				node = next
			}
			if !slices.Contains(m.outs[node], uint16(ci)) {
				m.outs[node] = append(m.outs[node], uint16(ci))
			}
		}
	}
	return m, nil
}

// appendConcepts appends the concept features of the normalised text in s:
// each distinct concept once (Repeat times), and each pair of concepts
// matched one after the other, in an order-free form (word order differs
// between languages: "pedido dónde", "where order").
func (f *Featurizer) appendConcepts(s *scratch, dst *Features) {
	m := f.concepts
	found := s.found[:0]
	rs := s.runes
scan:
	for i := range rs {
		if !m.mayStart(rs[i]) {
			continue
		}
		node := int32(0)
		for j := i; j < len(rs) && j-i < maxPatternRunes+2; j++ {
			next, ok := m.edges[uint64(node)<<32|uint64(uint32(rs[j]))]
			if !ok {
				break
			}
			node = next
			for _, c := range m.outs[node] {
				if len(found) > 0 && found[len(found)-1] == c {
					continue
				}
				found = append(found, c)
				if len(found) >= 2*maxConceptMatches {
					break scan
				}
			}
		}
	}
	s.found = found
	buckets := uint64(f.cfg.Buckets)
	seen := s.seen[:0]
	prev := -1
	for _, c := range found {
		if !slices.Contains(seen, c) {
			if len(seen) == maxConceptMatches {
				break
			}
			seen = append(seen, c)
			id := int32(mix(m.hashes[c]) % buckets)
			for range m.repeat {
				dst.IDs = append(dst.IDs, id)
			}
		}
		if prev >= 0 && int(c) != prev {
			a, b := m.hashes[prev], m.hashes[c]
			if a > b {
				a, b = b, a
			}
			dst.IDs = append(dst.IDs, int32(mix((a*31+b)^kindConceptPair)%buckets))
		}
		prev = int(c)
	}
	s.seen = seen
}

// maxConceptFeatures bounds the concept features of one message.
func (m *conceptMatcher) maxFeatures() int {
	if m == nil {
		return 0
	}
	return maxConceptMatches*m.repeat + 2*maxConceptMatches
}

// ReadConceptDir reads a lexicon written as one file per language
// (dir/<lang>.txt): lines "CONCEPT: pattern, pattern, …", '#' starts a
// comment. Concepts are sorted by name and their patterns sorted and
// deduplicated, so the same files always give the same lexicon.
func ReadConceptDir(dir, version string, repeat int) (*ConceptLexicon, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no *.txt concept files in %s", ErrBadConfig, dir)
	}
	slices.Sort(files)
	byName := map[string][]string{}
	for _, path := range files {
		fh, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		err = readConcepts(fh, byName)
		fh.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	l := &ConceptLexicon{Version: version, Repeat: repeat}
	for name, ps := range byName {
		slices.Sort(ps)
		l.Concepts = append(l.Concepts, Concept{Name: name, Patterns: slices.Compact(ps)})
	}
	slices.SortFunc(l.Concepts, func(a, b Concept) int { return strings.Compare(a.Name, b.Name) })
	// The version names the content too: the same name with other words
	// is another lexicon.
	sum := sha256.New()
	for _, c := range l.Concepts {
		fmt.Fprintf(sum, "%s\x00%s\x00", c.Name, strings.Join(c.Patterns, "\x00"))
	}
	l.Version = fmt.Sprintf("%s@%x", version, sum.Sum(nil)[:6])
	return l, l.Validate()
}

func readConcepts(r io.Reader, byName map[string][]string) error {
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		name, list, ok := strings.Cut(text, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ToUpper(name) != name {
			return fmt.Errorf("%w: line %d: want \"CONCEPT: pattern, …\"", ErrBadData, line)
		}
		for _, p := range strings.Split(list, ",") {
			if p = strings.TrimSpace(p); p != "" {
				byName[name] = append(byName[name], p)
			}
		}
	}
	return sc.Err()
}
