package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Email address limits (RFC 5321).
const (
	maxLocalLen  = 64
	maxDomainLen = 253
	maxLabelLen  = 63
)

// emailAt reads an email address whose local part begins at i: a local part
// of [A-Za-z0-9._%+-] (leading dots dropped), '@', and a domain of at least
// two labels whose last label (the TLD) has two or more letters or is an
// IDN "xn--" label. Labels may hold Unicode letters and digits (IDN). It
// returns the start of the address, its end, and its value with the domain
// in lower case.
func (sc *scanner) emailAt(i int) (start, end int, value string, ok bool) {
	s := sc.s
	q := i
	for q < len(s) && isLocal(s[q]) {
		q++
	}
	if q >= len(s) || s[q] != '@' {
		return 0, 0, "", false
	}
	a := i
	for a < q && s[a] == '.' {
		a++
	}
	if a == q || q-a > maxLocalLen {
		return 0, 0, "", false
	}
	d := q + 1
	e, ok := domainEnd(s, d)
	if !ok {
		return 0, 0, "", false
	}
	dom := s[d:e]
	if low := strings.ToLower(dom); low != dom {
		return a, e, s[a:d] + low, true
	}
	return a, e, s[a:e], true
}

// domainEnd returns the end of the domain that starts at d: the end of its
// last label that is a valid TLD, so "x.com." and "x.com.123" end after
// "com". A label stops where ASCII meets a Han, kana or Hangul letter, so
// "abc@qq.com谢谢" ends after "com".
func domainEnd(s string, d int) (int, bool) {
	p, labels, best := d, 0, -1
	for {
		ls := p
		ascii, wide, alpha := false, false, true
		for p < len(s) {
			c := s[p]
			if c < utf8.RuneSelf {
				if wide || !isAlnum(c) && c != '-' {
					break
				}
				ascii = true
				alpha = alpha && isLetter(c)
				p++
				continue
			}
			r, n := utf8.DecodeRuneInString(s[p:])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
				break
			}
			if isWide(r) {
				if ascii {
					break
				}
				wide = true
			}
			alpha = alpha && !unicode.IsDigit(r)
			p += n
		}
		label := s[ls:p]
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' || len(label) > maxLabelLen {
			break
		}
		labels++
		if labels >= 2 && isTLD(label, alpha) {
			best = p
		}
		if p+1 < len(s) && s[p] == '.' {
			p++
			continue
		}
		break
	}
	if best < 0 || best-d > maxDomainLen {
		return 0, false
	}
	return best, true
}

func isTLD(label string, alpha bool) bool {
	if _, ok := hasPrefixFold(label, 0, "xn--"); ok {
		return len(label) > 4
	}
	return alpha && utf8.RuneCountInString(label) >= 2
}

// looseEmailAt reads the spelled-out addresses people type when asked for
// their email: "john at example dot com", "john(at)example(dot)com",
// "john [at] example.com", "john @ example.com". Only Loose(Email) uses it.
func (sc *scanner) looseEmailAt(i int) (int, int, string, bool) {
	s := sc.s
	if !isLocal(s[i]) || i > 0 && isLocal(s[i-1]) {
		return 0, 0, "", false
	}
	q := i
	for q < len(s) && isLocal(s[q]) {
		q++
	}
	a := i
	for a < q && s[a] == '.' {
		a++
	}
	if a == q || q-a > maxLocalLen {
		return 0, 0, "", false
	}
	p := spelledSign(s, q, "@", "at", "arroba", "arobase")
	if p < 0 {
		return 0, 0, "", false
	}
	var buf [maxDomainLen]byte
	n, labels, end, endN := 0, 0, -1, 0
	for {
		ls := p
		for p < len(s) && (isAlnum(s[p]) || s[p] == '-') {
			p++
		}
		if p == ls || n+p-ls+1 > len(buf) {
			break
		}
		if labels > 0 {
			buf[n] = '.'
			n++
		}
		for k := ls; k < p; k++ {
			buf[n] = lower(s[k])
			n++
		}
		labels++
		if labels >= 2 && isTLD(s[ls:p], allLetters(s[ls:p])) {
			end, endN = p, n
		}
		if p+1 < len(s) && s[p] == '.' && isAlnum(s[p+1]) {
			p++
			continue
		}
		if p = spelledSign(s, p, ".", "dot", "punto", "point", "ponto", "punkt"); p < 0 {
			break
		}
	}
	if end < 0 {
		return 0, 0, "", false
	}
	return a, end, s[a:q] + "@" + string(buf[:endN]), true
}

// spelledSign matches, after the word ending at q, the sign sym with
// optional spaces around it, the sign's words in brackets ("(at)",
// "[dot]"), or one of the words between spaces (" at "). It returns where
// the next part starts, or -1.
func spelledSign(s string, q int, sym string, words ...string) int {
	p := q
	for p < len(s) && p-q < 2 && s[p] == ' ' {
		p++
	}
	spaced := p > q
	if strings.HasPrefix(s[p:], sym) && (sym == "@" || spaced && p+1 < len(s) && s[p+1] == ' ') {
		return skipSpaces(s, p+len(sym))
	}
	if p < len(s) {
		if closer := bracketCloser(s[p]); closer != 0 {
			for _, w := range words {
				if e, ok := hasPrefixFold(s, p+1, w); ok && e < len(s) && s[e] == closer {
					return skipSpaces(s, e+1)
				}
			}
		}
	}
	if spaced {
		for _, w := range words {
			if e, ok := hasPrefixFold(s, p, w); ok && e < len(s) && s[e] == ' ' {
				return skipSpaces(s, e)
			}
		}
	}
	return -1
}

func bracketCloser(c byte) byte {
	switch c {
	case '(':
		return ')'
	case '[':
		return ']'
	case '{':
		return '}'
	case '<':
		return '>'
	}
	return 0
}

// skipSpaces skips up to two spaces.
func skipSpaces(s string, i int) int {
	for k := 0; k < 2 && i < len(s) && s[i] == ' '; k++ {
		i++
	}
	return i
}

func allLetters(t string) bool {
	for i := 0; i < len(t); i++ {
		if !isLetter(t[i]) {
			return false
		}
	}
	return true
}
