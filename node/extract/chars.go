package extract

import (
	"unicode"
	"unicode/utf8"
)

const (
	clDigit = 1 << iota
	clUpper
	clLower
	clLocal // may appear in the local part of an email address
)

var class = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = clDigit | clLocal
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = clUpper | clLocal
		t[c+'a'-'A'] = clLower | clLocal
	}
	for _, c := range "._%+-" {
		t[c] = clLocal
	}
	return t
}()

func isDigit(c byte) bool  { return c-'0' < 10 }
func isLetter(c byte) bool { return class[c]&(clUpper|clLower) != 0 }
func isAlnum(c byte) bool  { return class[c]&(clDigit|clUpper|clLower) != 0 }
func isLocal(c byte) bool  { return class[c]&clLocal != 0 }

func lower(c byte) byte {
	if class[c]&clUpper != 0 {
		return c + 'a' - 'A'
	}
	return c
}

func upper(c byte) byte {
	if class[c]&clLower != 0 {
		return c - ('a' - 'A')
	}
	return c
}

// isWide reports whether r belongs to the scripts written without spaces
// between words (Han, kana, Hangul, …: everything from U+2E80 on that is
// a letter; Thai, Lao, Khmer, Myanmar). A keyword next to such a letter is
// still a word of its own.
func isWide(r rune) bool {
	return r >= 0x2e80 || r >= 0x0e00 && r <= 0x0eff || r >= 0x1000 && r <= 0x109f || r >= 0x1780 && r <= 0x17ff
}

// wordLetter reports whether r continues a space-separated word: ASCII
// letters and the letters of alphabetic scripts (é, ß, ñ, Cyrillic, …).
func wordLetter(r rune) bool {
	if r < utf8.RuneSelf {
		return isLetter(byte(r))
	}
	return !isWide(r) && unicode.IsLetter(r)
}

func prevIsWordLetter(s string, i int) bool {
	if i == 0 {
		return false
	}
	if c := s[i-1]; c < utf8.RuneSelf {
		return isLetter(c)
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return wordLetter(r)
}

func nextIsWordLetter(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	if c := s[i]; c < utf8.RuneSelf {
		return isLetter(c)
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return wordLetter(r)
}

// hasPrefixFold reports whether s[i:] starts with word, which is in lower
// case, ignoring case; it returns the end of the match.
func hasPrefixFold(s string, i int, word string) (int, bool) {
	for k := 0; k < len(word); {
		if i >= len(s) {
			return 0, false
		}
		w := word[k]
		if w < utf8.RuneSelf {
			if lower(s[i]) != w {
				return 0, false
			}
			i++
			k++
			continue
		}
		wr, wn := utf8.DecodeRuneInString(word[k:])
		r, n := utf8.DecodeRuneInString(s[i:])
		if r != wr && unicode.ToLower(r) != wr {
			return 0, false
		}
		i += n
		k += wn
	}
	return i, true
}

// skipSpace skips at most one space.
func skipSpace(s string, i int) int {
	if i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

// insideNumber reports whether a candidate at i continues a larger number
// or code, as "05-01" does in "2024-05-01" or "56" in "1.234,56".
func insideNumber(s string, i int) bool {
	if i < 2 || !isAlnum(s[i-2]) {
		return false
	}
	switch s[i-1] {
	case '-', '/', '.', ',', ':', '_':
		return true
	}
	return false
}

// numberContinues reports whether the number that ends at e goes on as a
// decimal, a thousands group, a time or a date ("12.50", "1,234",
// "10:30", "05/01").
func numberContinues(s string, e int) bool {
	if e+1 >= len(s) || !isDigit(s[e+1]) {
		return false
	}
	switch s[e] {
	case '.', ',', ':', '/':
		return true
	}
	return false
}

// looksLikeDate reports whether t is a numeric date: three digit groups
// split by one separator ('-', '/' or '.'), as yyyy-mm-dd or dd-mm-yy(yy).
func looksLikeDate(t string) bool {
	var n [3]int
	var sep byte
	g := 0
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case isDigit(c):
			n[g]++
		case c == '-' || c == '/' || c == '.':
			if sep != 0 && c != sep || g == 2 || n[g] == 0 {
				return false
			}
			sep = c
			g++
		default:
			return false
		}
	}
	if g != 2 || n[2] == 0 {
		return false
	}
	if n[0] == 4 {
		return n[1] <= 2 && n[2] <= 2
	}
	return n[0] <= 2 && n[1] <= 2 && (n[2] == 2 || n[2] == 4)
}

// currencyCodes are ISO codes that make the number next to them an amount.
var currencyCodes = wordSet(
	"usd", "eur", "gbp", "cny", "rmb", "mxn", "brl", "cad", "aud", "jpy",
	"hkd", "twd", "ars", "cop", "clp", "pen", "chf", "inr", "krw",
)

// wordSet builds a set of lower-case words.
func wordSet(words ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(words))
	for _, w := range words {
		m[w] = struct{}{}
	}
	return m
}

// inSet reports whether w, lower-cased (ASCII letters only), is in set. It
// does not allocate.
func inSet(set map[string]struct{}, w string) bool {
	var buf [24]byte
	if len(w) > len(buf) {
		return false
	}
	for i := 0; i < len(w); i++ {
		buf[i] = lower(w[i])
	}
	_, ok := set[string(buf[:len(w)])]
	return ok
}

func isCurrencyRune(r rune) bool {
	switch r {
	case '$', '€', '£', '¥', '₹', '₩', '₽', '₺', '元':
		return true
	}
	return false
}

// precededByCurrency reports whether the number at j is an amount: "$1234",
// "€ 1234", "USD 1234".
func precededByCurrency(s string, j int) bool {
	p := skipSpaceBack(s, j)
	if p == 0 {
		return false
	}
	c := s[p-1]
	if c >= utf8.RuneSelf {
		r, _ := utf8.DecodeLastRuneInString(s[:p])
		return isCurrencyRune(r)
	}
	if c == '$' {
		return true
	}
	if !isLetter(c) {
		return false
	}
	w := p
	for w > 0 && p-w < 4 && isLetter(s[w-1]) {
		w--
	}
	return p-w == 3 && !prevIsWordLetter(s, w) && inSet(currencyCodes, s[w:p])
}

func skipSpaceBack(s string, j int) int {
	if j > 0 && s[j-1] == ' ' {
		j--
	}
	return j
}

// unitWords make the number before them an amount, a quantity or a
// measure: "1234 €", "500 pcs", "2024年".
var unitWords = wordSet(
	"usd", "eur", "gbp", "cny", "rmb", "mxn", "brl", "cad", "aud", "jpy", "hkd",
	"dollar", "dollars", "euro", "euros", "peso", "pesos", "real", "reais", "yuan",
	"pc", "pcs", "piece", "pieces", "unit", "units", "item", "items",
	"pieza", "piezas", "unidad", "unidades", "artículo", "artículos", "articulos",
	"stück", "stuck", "stk", "pièce", "pièces", "article", "articles",
	"peça", "peças", "itens",
	"kg", "g", "lb", "lbs", "ml", "l", "cm", "mm", "m", "km",
	"year", "years", "day", "days", "año", "años", "días", "dias",
)

func isUnitRune(r rune) bool {
	switch r {
	case '%', '€', '£', '¥', '₹', '₩', '₽', '₺', '$',
		'元', '块', '塊', '円', '件', '个', '個', '箱', '包', '年', '月', '日':
		return true
	}
	return false
}

// followedByUnit reports whether the number that ends at e is followed by
// a currency, a unit or a date part.
func followedByUnit(s string, e int) bool {
	p := skipSpace(s, e)
	if p >= len(s) {
		return false
	}
	r, n := rune(s[p]), 1
	if r >= utf8.RuneSelf {
		r, n = utf8.DecodeRuneInString(s[p:])
	}
	if isUnitRune(r) {
		return true
	}
	if !wordLetter(r) {
		return false
	}
	q := p + n
	for q < len(s) && q-p <= 12 {
		r, n := rune(s[q]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[q:])
		}
		if !wordLetter(r) {
			break
		}
		q += n
	}
	if nextIsWordLetter(s, q) {
		return false // longer than any unit word
	}
	return inSet(unitWords, s[p:q])
}

// orderPrefix matches "No.", "Nr.", "n°" (also "nº" and "№", see
// normalize) at i and returns its end, or i.
func orderPrefix(s string, i int) int {
	if prevIsWordLetter(s, i) || i+2 >= len(s) {
		return i
	}
	if e, ok := hasPrefixFold(s, i, "n°"); ok {
		return e
	}
	if c := lower(s[i+1]); (c == 'o' || c == 'r') && s[i+2] == '.' {
		return i + 3
	}
	return i
}
