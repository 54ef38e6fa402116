package sentiment

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The lexicons are plain text files, one per language, embedded in the
// binary and parsed once at package initialisation. Their format is
// described at the top of lexicon/en.txt.
//
//go:embed lexicon/*.txt
var lexiconFiles embed.FS

// lexiconOrder lists the embedded files in load order, each with the
// language it belongs to (emoji belong to none).
var lexiconOrder = []struct {
	file string
	lang langSet
}{
	{"lexicon/en.txt", langEN},
	{"lexicon/es.txt", langES},
	{"lexicon/pt.txt", langPT},
	{"lexicon/fr.txt", langFR},
	{"lexicon/de.txt", langDE},
	{"lexicon/zh.txt", langZH},
	{"lexicon/emoji.txt", 0},
	{"lexicon/acronyms.txt", 0},
}

type kind uint8

const (
	kindNone kind = iota // no effect: a stopper, or only the first word of a pair
	kindSent             // a sentiment word; weight in [-4, 4]
	kindNeg              // a negator
	kindInt              // an intensifier or diminisher; weight is the multiplier
	kindBut              // a contrast word
)

// entry is one lexicon term.
type entry struct {
	term   string  // folded term; two words are joined by one space
	weight float32 // sentiment weight, or multiplier for kindInt
	kind   kind
	fixed  bool    // not flipped by negation
	head   bool    // first word of a two-word term
	acro   bool    // an acronym: ALL CAPS is not shouting
	only   langSet // if non-zero, used only for these languages
	not    langSet // ignored for these languages
	langs  langSet // the lexicon files the term came from
}

// applies reports whether e is used for a message in language l
// (0 = unknown).
func (e *entry) applies(l langSet) bool {
	if e.only != 0 && e.only&l == 0 {
		return false
	}
	return e.not&l == 0
}

// firstLimit bounds the runes indexed by the first-rune bitset of
// substring terms; it covers the BMP and the emoji planes in use.
const firstLimit = 0x20000

// lexicon is the merged, read-only lexicon of every language.
type lexicon struct {
	entries []entry
	words   map[string]int32 // folded word or "word word" -> entry index
	subs    map[rune][]int32 // substring terms by first rune, longest first
	first   [firstLimit / 64]uint64
	filter  [1 << filterBits / 64]uint64 // see filterIndex
	filter2 [1 << filterBits / 64]uint64 // see filterHash
	roots   []rootWord
}

// filterBits sizes a two-hash Bloom filter over the keys of words, so
// most words that are not in the lexicon skip the map lookup.
const filterBits = 14

// filterIndex hashes a key by its length and its first and last bytes.
func filterIndex(k []byte) uint {
	n := len(k)
	return uint(n&15)<<10 | uint(k[0]&31)<<5 | uint(k[n-1]&31)
}

// filterHash hashes every byte of a key (FNV-1a, folded to filterBits).
func filterHash(k []byte) uint {
	h := uint32(2166136261)
	for _, c := range k {
		h = (h ^ uint32(c)) * 16777619
	}
	return uint(h>>(32-filterBits)) ^ uint(h&(1<<filterBits-1))
}

// lookup returns the entry of a folded word or pair, or nil.
func (l *lexicon) lookup(k []byte) *entry {
	if len(k) == 0 {
		return nil
	}
	if f := filterIndex(k); l.filter[f/64]&(1<<(f%64)) == 0 {
		return nil
	}
	if f := filterHash(k); l.filter2[f/64]&(1<<(f%64)) == 0 {
		return nil
	}
	if i, ok := l.words[string(k)]; ok {
		return &l.entries[i]
	}
	return nil
}

// root returns the profanity root inside the word k, or nil.
func (l *lexicon) root(k []byte) *entry {
	for j := range k {
		switch k[j] {
		case 'f', 's', 'g', 'a', 'b':
			for r := range l.roots {
				if bytes.HasPrefix(k[j:], l.roots[r].root) {
					return &l.roots[r].e
				}
			}
		}
	}
	return nil
}

// rootWord is a profanity root matched inside an unknown word
// ("thisgoddamn", "motherfucking").
type rootWord struct {
	root []byte
	e    entry
}

// profanityRoots are matched inside words of at least minRootWord bytes
// that are not in the lexicon. Only roots that do not occur inside
// ordinary words of the covered languages are listed.
var profanityRoots = []string{"fuck", "shit", "goddam", "asshole", "bitch"}

const minRootWord = 6

var lex = mustLoadLexicon()

func mustLoadLexicon() *lexicon {
	l, err := loadLexicon()
	if err != nil {
		panic("sentiment: " + err.Error())
	}
	return l
}

func loadLexicon() (*lexicon, error) {
	l := &lexicon{
		words: make(map[string]int32, 1500),
		subs:  make(map[rune][]int32, 300),
	}
	for _, f := range lexiconOrder {
		data, err := lexiconFiles.ReadFile(f.file)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || line[0] == '#' {
				continue
			}
			e, err := parseLine(line)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", f.file, n, err)
			}
			e.langs = f.lang
			if err := l.add(e, f.lang == langZH); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", f.file, n, err)
			}
		}
	}
	for i := range profanityRoots {
		l.roots = append(l.roots, rootWord{
			root: []byte(profanityRoots[i]),
			e:    entry{term: profanityRoots[i], weight: -4, kind: kindSent, fixed: true},
		})
	}
	for k := range l.words {
		f := filterIndex([]byte(k))
		l.filter[f/64] |= 1 << (f % 64)
		f = filterHash([]byte(k))
		l.filter2[f/64] |= 1 << (f % 64)
	}
	for r, idx := range l.subs {
		sort.SliceStable(idx, func(i, j int) bool {
			return len(l.entries[idx[i]].term) > len(l.entries[idx[j]].term)
		})
		l.first[r/64] |= 1 << (r % 64)
	}
	return l, nil
}

// parseLine parses "VALUE TERM [FLAGS]".
func parseLine(line string) (entry, error) {
	var e entry
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return e, fmt.Errorf("want VALUE TERM, got %q", line)
	}
	switch v := fields[0]; {
	case v == "neg":
		e.kind = kindNeg
	case v == "but":
		e.kind = kindBut
	case v[0] == 'x':
		m, err := strconv.ParseFloat(v[1:], 32)
		if err != nil || !(m > 0 && m <= 3) {
			return e, fmt.Errorf("bad multiplier %q", v)
		}
		e.kind, e.weight = kindInt, float32(m)
	default:
		w, err := strconv.ParseFloat(v, 32)
		if err != nil || !(w >= -4 && w <= 4) {
			return e, fmt.Errorf("bad weight %q", v)
		}
		e.kind, e.weight = kindSent, float32(w)
		if w == 0 {
			e.kind = kindNone
		}
	}
	var words []string
	for _, f := range fields[1:] {
		switch {
		case f == "!":
			e.fixed = true
		case f == "@acronym":
			e.acro = true
		case strings.HasPrefix(f, "@only="):
			s, err := parseLangList(f[len("@only="):])
			if err != nil {
				return e, err
			}
			e.only = s
		case strings.HasPrefix(f, "@not="):
			s, err := parseLangList(f[len("@not="):])
			if err != nil {
				return e, err
			}
			e.not = s
		case f[0] == '@':
			return e, fmt.Errorf("unknown flag %q", f)
		default:
			words = append(words, f)
		}
	}
	if len(words) == 0 || len(words) > 2 {
		return e, fmt.Errorf("want one or two words, got %q", line)
	}
	e.term = strings.Join(words, " ")
	return e, nil
}

func parseLangList(s string) (langSet, error) {
	var set langSet
	for _, t := range strings.Split(s, ",") {
		l := parseLang(t)
		if l == 0 {
			return 0, fmt.Errorf("unknown language %q", t)
		}
		set |= l
	}
	return set, nil
}

// add inserts e, folded like the input. Chinese terms also get a
// traditional-character variant.
func (l *lexicon) add(e entry, chinese bool) error {
	r, _ := utf8.DecodeRuneInString(e.term)
	if !isWordRune(r) {
		if strings.Contains(e.term, " ") {
			return fmt.Errorf("substring term %q contains a space", e.term)
		}
		if err := l.addSub(e); err != nil {
			return err
		}
		if chinese {
			if t := toTraditional(e.term); t != e.term {
				e.term = t
				return l.addSub(e)
			}
		}
		return nil
	}
	words := foldTerm(e.term)
	if len(words) == 0 || len(words) > 2 || strings.Join(words, " ") == "" {
		return fmt.Errorf("term %q does not fold to one or two words (%q)", e.term, words)
	}
	e.term = strings.Join(words, " ")
	if len(words) == 2 {
		// The first word must be in the table so the scanner knows to
		// look for a pair after it.
		hi, ok := l.words[words[0]]
		if !ok {
			l.entries = append(l.entries, entry{term: words[0], kind: kindNone})
			hi = int32(len(l.entries) - 1)
			l.words[words[0]] = hi
		}
		l.entries[hi].head = true
	}
	return l.addWord(e)
}

func (l *lexicon) addWord(e entry) error {
	if i, ok := l.words[e.term]; ok {
		old := &l.entries[i]
		if old.kind == kindNone && old.langs == 0 && old.head && !old.acro {
			// A placeholder created for a pair: replace it, keeping the flag.
			e.head = true
			*old = e
			return nil
		}
		if !sameMeaning(old, &e) {
			return fmt.Errorf("%q already in the lexicon with a different value or flags", e.term)
		}
		old.langs |= e.langs
		return nil
	}
	l.entries = append(l.entries, e)
	l.words[e.term] = int32(len(l.entries) - 1)
	return nil
}

func (l *lexicon) addSub(e entry) error {
	r, _ := utf8.DecodeRuneInString(e.term)
	if r >= firstLimit {
		return fmt.Errorf("term %q starts beyond U+%X", e.term, firstLimit)
	}
	for _, i := range l.subs[r] {
		if old := &l.entries[i]; old.term == e.term {
			if !sameMeaning(old, &e) {
				return fmt.Errorf("%q already in the lexicon with a different value or flags", e.term)
			}
			return nil
		}
	}
	l.entries = append(l.entries, e)
	l.subs[r] = append(l.subs[r], int32(len(l.entries)-1))
	return nil
}

func sameMeaning(a, b *entry) bool {
	return a.kind == b.kind && a.weight == b.weight && a.fixed == b.fixed &&
		a.only == b.only && a.not == b.not && a.acro == b.acro
}

// foldTerm splits a lexicon term into folded words the way the scanner
// folds input words.
func foldTerm(s string) []string {
	var words []string
	var buf []byte
	flush := func() {
		if len(buf) > 0 {
			words = append(words, string(buf))
			buf = buf[:0]
		}
	}
	for _, r := range s {
		switch {
		case r == '*' && len(buf) > 0:
			buf = append(buf, '*')
		case isWordRune(r):
			buf, _ = appendFolded(buf, r)
		case isMark(r):
		default:
			flush()
		}
	}
	flush()
	return words
}
