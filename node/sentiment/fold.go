package sentiment

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Folding maps a word to the form the lexicon is keyed by: lower case,
// accents removed from Latin letters ("Pésimo" -> "pesimo", "Größe" ->
// "grosse"), fullwidth ASCII to ASCII. Other scripts are only lower-cased.

// folded is the fold of one Latin rune outside ASCII.
type folded struct {
	s     string
	upper bool
}

// The tables are package variables initialised by function (not in an
// init func) so that the lexicon, itself a package variable, is folded
// with them.
var (
	foldLatin = foldTable(0xC0, 0x250-0xC0) // U+00C0..U+024F
	foldExt   = foldTable(0x1E00, 0x100)    // U+1E00..U+1EFF (Vietnamese and others)
)

// foldSpecial are letters that do not decompose to an ASCII letter.
var foldSpecial = map[rune]string{
	'ß': "ss", 'ẞ': "ss", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe",
	'ø': "o", 'Ø': "o", 'đ': "d", 'Đ': "d", 'ł': "l", 'Ł': "l",
	'þ': "th", 'Þ': "th", 'ð': "d", 'Ð': "d", 'ı': "i", 'ĳ': "ij", 'Ĳ': "ij",
}

func foldTable(base rune, n int) []folded {
	t := make([]folded, n)
	for i := range t {
		r := base + rune(i)
		t[i].upper = unicode.IsUpper(r)
		if s, ok := foldSpecial[r]; ok {
			t[i].s = s
			continue
		}
		d, _ := utf8.DecodeRuneInString(norm.NFD.String(string(r)))
		if d < utf8.RuneSelf && (d|0x20) >= 'a' && (d|0x20) <= 'z' {
			t[i].s = string(d | 0x20)
			continue
		}
		t[i].s = string(unicode.ToLower(r))
	}
	return t
}

// isASCIIWord reports whether c is an ASCII letter or digit.
func isASCIIWord(c byte) bool {
	return (c|0x20) >= 'a' && (c|0x20) <= 'z' || c >= '0' && c <= '9'
}

// noSpaceScript reports whether r belongs to a script written without
// spaces between words (Chinese, Japanese kana, Thai and its neighbours).
// Such runes are matched as substrings, never as words.
func noSpaceScript(r rune) bool {
	switch {
	case r >= 0x4E00 && r <= 0x9FFF, // CJK unified ideographs
		r >= 0x3400 && r <= 0x4DBF,   // extension A
		r >= 0x3040 && r <= 0x30FF,   // hiragana, katakana
		r >= 0xF900 && r <= 0xFAFF,   // compatibility ideographs
		r >= 0x20000 && r <= 0x3FFFF, // extensions B..
		r >= 0x0E00 && r <= 0x0EFF,   // Thai, Lao
		r >= 0x1000 && r <= 0x109F,   // Myanmar
		r >= 0x1780 && r <= 0x17FF:   // Khmer
		return true
	}
	return false
}

// isWordRune reports whether r is part of a word of a space-separated
// script: a letter or digit that is not in a no-space script.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isASCIIWord(byte(r))
	}
	if r >= 0xFF01 && r <= 0xFF5E { // fullwidth ASCII
		return isASCIIWord(byte(r - 0xFEE0))
	}
	if r < 0x250 {
		return unicode.IsLetter(r)
	}
	if noSpaceScript(r) {
		return false
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// isMark reports whether r is a combining mark; marks are dropped from
// words, which folds decomposed accents ("e" + U+0301).
func isMark(r rune) bool {
	if r >= 0x300 && r <= 0x36F {
		return true
	}
	return r >= 0x250 && unicode.Is(unicode.Mn, r)
}

// appendFolded appends the fold of the word rune r to dst and reports
// whether r is an upper-case letter.
func appendFolded(dst []byte, r rune) ([]byte, bool) {
	switch {
	case r < utf8.RuneSelf:
		c := byte(r)
		if c >= 'A' && c <= 'Z' {
			return append(dst, c|0x20), true
		}
		return append(dst, c), false
	case r >= 0xFF01 && r <= 0xFF5E:
		return appendFolded(dst, r-0xFEE0)
	case r >= 0xC0 && r < 0x250:
		f := &foldLatin[r-0xC0]
		return append(dst, f.s...), f.upper
	case r >= 0x1E00 && r <= 0x1EFF:
		f := &foldExt[r-0x1E00]
		return append(dst, f.s...), f.upper
	}
	return utf8.AppendRune(dst, unicode.ToLower(r)), unicode.IsUpper(r)
}
