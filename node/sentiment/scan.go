package sentiment

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// scanner walks one message once, left to right, keeping a little state:
// the running sums, how many more words a negator or an intensifier
// applies to, and the previous word when it may start a two-word term.
type scanner struct {
	lang     langSet
	pos, neg float64 // sums of positive and of negative contributions
	hits     int
	negLeft  int     // words still under a negator
	mult     float64 // pending intensifier multiplier
	multLeft int     // words the multiplier may still reach
	shout    int     // ALL CAPS words of 3+ letters
	excl     int     // '!' count
	qq       int     // "??" count
	rec      *[]Match

	// Two-word terms: when a word may start one, the state before it is
	// saved so the pair can replace it.
	prevHead bool
	prevCaps bool
	prevLen  int
	prev     [maxToken]byte
	snap     snapshot
}

type snapshot struct {
	pos, neg          float64
	hits              int
	negLeft, multLeft int
	mult              float64
	recLen            int
}

func (s *scanner) save() snapshot {
	n := 0
	if s.rec != nil {
		n = len(*s.rec)
	}
	return snapshot{s.pos, s.neg, s.hits, s.negLeft, s.multLeft, s.mult, n}
}

func (s *scanner) restore(p snapshot) {
	s.pos, s.neg, s.hits = p.pos, p.neg, p.hits
	s.negLeft, s.multLeft, s.mult = p.negLeft, p.multLeft, p.mult
	if s.rec != nil {
		*s.rec = (*s.rec)[:p.recLen]
	}
}

// word is one folded input word.
type word struct {
	buf      [maxToken]byte
	n        int
	letters  int
	upper    int
	lower    int
	elong    bool // some letter is repeated three times or more in a row
	overflow bool
}

func (w *word) bytes() []byte { return w.buf[:w.n] }

func (w *word) add(r rune) {
	var tmp [8]byte
	f, up := appendFolded(tmp[:0], r)
	if !unicode.IsDigit(r) { // fullwidth digits are Nd too
		w.letters++
		if up {
			w.upper++
		} else {
			w.lower++ // lower-case, or a letter of a caseless script
		}
	}
	if len(f) == 1 && w.n >= 2 && w.buf[w.n-1] == f[0] && w.buf[w.n-2] == f[0] {
		w.elong = true
	}
	if w.n+len(f) > maxToken {
		w.overflow = true
		return
	}
	w.n += copy(w.buf[w.n:], f)
}

// caps reports whether the word is written in capitals ("NOW", "SCAM").
func (w *word) caps() bool { return w.upper > 0 && w.lower == 0 && w.letters >= 2 }

// run scans text.
func (s *scanner) run(text string) {
	var w word
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			if isASCIIWord(c) {
				i = s.readWord(text, i, &w)
				s.word(&w)
				continue
			}
			s.punct(c, i > 0 && text[i-1] == c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case isWordRune(r):
			i = s.readWord(text, i, &w)
			s.word(&w)
			continue
		case r < firstLimit && lex.first[r/64]&(1<<(r%64)) != 0:
			if n := s.substring(text[i:], r); n > 0 {
				i += n
				continue
			}
		}
		s.other(r)
		i += size
	}
}

// readWord reads the word starting at text[i] into w and returns the index
// after it. "n't" stays in the word ("don't" -> "dont"); other apostrophes
// split ("l'arnaque" -> "l", "arnaque"). '*' inside a word is kept
// ("f*ck").
func (s *scanner) readWord(text string, i int, w *word) int {
	w.n, w.letters, w.upper, w.lower, w.elong, w.overflow = 0, 0, 0, 0, false, false
	for {
		// Fast path: ASCII letters and digits, in locals.
		n, letters, upper, elong := w.n, w.letters, w.upper, w.elong
		for ; i < len(text); i++ {
			c := text[i]
			cls := asciiClass[c]
			if cls == 0 {
				break
			}
			if cls != classDigit {
				letters++
				if cls == classUpper {
					upper++
					c |= 0x20
				}
				if n >= 2 && n <= maxToken && w.buf[n-1] == c && w.buf[n-2] == c {
					elong = true
				}
			}
			if n < maxToken {
				w.buf[n] = c
				n++
			} else {
				w.overflow = true
			}
		}
		w.lower += letters - w.letters - (upper - w.upper)
		w.n, w.letters, w.upper, w.elong = n, letters, upper, elong
		if i >= len(text) {
			return i
		}
		c := text[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '*' && w.letters > 0:
				if w.n < maxToken {
					w.buf[w.n] = '*'
					w.n++
				}
				i++
				continue
			case c == '\'':
				if j := nt(text, i+1, w); j > 0 {
					return j
				}
			}
			return i
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == '’':
			if j := nt(text, i+size, w); j > 0 {
				return j
			}
			return i
		case isWordRune(r):
			w.add(r)
		case isMark(r):
		default:
			return i
		}
		i += size
	}
}

// Classes of ASCII bytes for readWord; 0 is anything else, including
// every byte of a multi-byte rune.
const (
	classLower = 1 + iota
	classUpper
	classDigit
)

var asciiClass = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = classLower
		t[c-'a'+'A'] = classUpper
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = classDigit
	}
	return t
}()

// nt completes a "n't" contraction: if w ends in 'n' and text[j:] is "t"
// followed by the end of the word, it appends 't' and returns the index
// after it; otherwise 0.
func nt(text string, j int, w *word) int {
	if w.n == 0 || w.buf[w.n-1] != 'n' || j >= len(text) || text[j]|0x20 != 't' {
		return 0
	}
	if j+1 < len(text) {
		r, _ := utf8.DecodeRuneInString(text[j+1:])
		if isWordRune(r) {
			return 0
		}
	}
	if w.n < maxToken {
		w.buf[w.n] = 't'
		w.n++
	}
	if text[j] == 'T' {
		w.upper++
	} else {
		w.lower++
	}
	w.letters++
	return j + 1
}

// word handles one input word.
func (s *scanner) word(w *word) {
	caps := w.caps()
	tok := w.bytes()
	var e *entry
	elong := false
	var alt [maxToken]byte
	if !w.overflow {
		e = lex.lookup(tok)
		switch n := len(tok); {
		case e != nil:
		case w.elong:
			// An elongated word ("goooood", "baaad", "sooo"): cut every run
			// of three or more letters to two, then to one.
			for keep := 2; keep >= 1 && e == nil; keep-- {
				a := collapse(alt[:0], tok, keep)
				if e = lex.lookup(a); e != nil {
					tok = a
				}
			}
			elong = true
		case n > 1 && tok[n-1] == '*': // "*terrible*"
			t := bytes.TrimRight(tok, "*")
			if e = lex.lookup(t); e != nil {
				tok = t
			}
		}
	}

	if caps && w.letters >= 3 && (e == nil || !e.acro) {
		s.shout++
	}

	// A pair ("rip off", "nunca mas") replaces its first word.
	if s.prevHead {
		s.prevHead = false
		var key [2*maxToken + 1]byte
		n := copy(key[:], s.prev[:s.prevLen])
		key[n] = ' '
		n++
		n += copy(key[n:], tok)
		if pe := lex.lookup(key[:n]); pe != nil {
			if pe.applies(s.lang) {
				s.restore(s.snap)
				s.apply(pe, caps || s.prevCaps, false)
				return
			}
		}
	}
	if e != nil && e.head {
		s.prevHead = true
		s.prevCaps = caps
		s.prevLen = copy(s.prev[:], tok)
		s.snap = s.save()
	}

	if e == nil {
		if len(tok) >= minRootWord && !w.overflow {
			if re := lex.root(tok); re != nil {
				s.apply(re, caps, elong)
				return
			}
		}
		s.step()
		return
	}
	if !e.applies(s.lang) {
		s.step()
		return
	}
	s.apply(e, caps, elong)
}

// collapse appends tok to dst with every run of three or more equal ASCII
// letters cut to keep letters.
func collapse(dst, tok []byte, keep int) []byte {
	for j := 0; j < len(tok); {
		k := j + 1
		for k < len(tok) && tok[k] == tok[j] {
			k++
		}
		n := k - j
		if n >= 3 && tok[j] >= 'a' && tok[j] <= 'z' {
			n = keep
		}
		for ; n > 0; n-- {
			dst = append(dst, tok[j])
		}
		j = k
	}
	return dst
}

// substring matches the longest substring term at the start of text (which
// starts with r) and returns its length, or 0.
func (s *scanner) substring(text string, r rune) int {
	for _, i := range lex.subs[r] {
		e := &lex.entries[i]
		if strings.HasPrefix(text, e.term) {
			s.prevHead = false
			if e.applies(s.lang) {
				s.apply(e, false, false)
			} else {
				s.step()
			}
			return len(e.term)
		}
	}
	return 0
}

// other handles a rune that is neither part of a word nor the start of a
// substring term.
func (s *scanner) other(r rune) {
	switch {
	case noSpaceScript(r):
		// An unmatched Chinese character is a word for the scopes.
		s.prevHead = false
		s.step()
	case r >= 0xFF01 && r <= 0xFF5E:
		s.punct(byte(r-0xFEE0), false)
	case r == '、', r == '。', r == '…', r == '¡', r == '¿', r == '｡', r == '\u2028', r == '\u2029':
		s.boundary()
	}
}

// punct handles an ASCII byte that is not part of a word; repeat reports
// whether the previous byte was the same.
func (s *scanner) punct(c byte, repeat bool) {
	switch c {
	case '!':
		s.excl++
		s.boundary()
	case '?':
		if repeat {
			s.qq++
		}
		s.boundary()
	case '.', ',', ';', ':', '\n', '\r':
		s.boundary()
	}
}

// boundary ends a clause: negation, intensifiers and pairs do not cross it.
func (s *scanner) boundary() {
	s.negLeft, s.multLeft, s.mult = 0, 0, 1
	s.prevHead = false
}

// step moves the scopes past a word that carries no sentiment.
func (s *scanner) step() {
	if s.negLeft > 0 {
		s.negLeft--
	}
	if s.multLeft > 0 {
		s.multLeft--
		if s.multLeft == 0 {
			s.mult = 1
		}
	}
}

// apply applies a lexicon entry at the current position.
func (s *scanner) apply(e *entry, caps, elong bool) {
	switch e.kind {
	case kindNeg:
		s.negLeft = negScope
		if s.multLeft > 0 {
			s.multLeft--
		}
		return
	case kindInt:
		s.mult = min(s.mult*float64(e.weight), maxMult)
		s.multLeft = intScope
		if s.negLeft > 0 {
			s.negLeft--
		}
		return
	case kindBut:
		s.pos *= 0.5
		s.boundary()
		return
	case kindSent:
	default:
		s.step()
		return
	}
	v := float64(e.weight)
	switch {
	case s.negLeft > 0 && !e.fixed:
		if v > 0 {
			v *= negPos
		} else {
			v *= negNeg
		}
	case s.multLeft > 0:
		v *= s.mult
	}
	if caps {
		v *= capsBoost
	}
	if elong {
		v *= elongBoost
	}
	if v < 0 {
		s.neg += v
	} else {
		s.pos += v
	}
	s.hits++
	if s.rec != nil {
		*s.rec = append(*s.rec, Match{Term: e.term, Weight: float32(v)})
	}
	s.mult, s.multLeft = 1, 0
	if s.negLeft > 0 {
		s.negLeft--
	}
}
