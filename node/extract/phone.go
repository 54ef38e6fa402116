package extract

// phoneMode says which phone numbers phoneAt accepts.
type phoneMode uint8

const (
	phoneIntl    phoneMode = iota // no keyword: only "+…" and "00…" (international) forms
	phoneKeyword                  // after a phone keyword: national numbers too
	phoneLoose                    // Loose(Phone): national numbers of 8 digits or more
)

// Phone number limits, in digits (E.164 allows at most 15, country code
// included).
const (
	minPhoneDigits      = 7
	minLoosePhoneDigits = 8
	maxPhoneDigits      = 15
)

// phoneAt reads a phone number at i: an optional "+" or "00" international
// prefix, then groups of digits separated by one space, '-', '.' or '/'
// (optionally spaced), or wrapped in parentheses: "+1 (555) 123-4567",
// "0044 20 7946 0958", "030 1234567". After the first group every group has
// two digits or more (except right after a country code: "+52 1 55 …"), so
// a trailing "2 items" or the "1.1" of an IP address does not join the
// number. A trunk "(0)" after a country code is
// dropped ("+44 (0)20 …").
func (sc *scanner) phoneAt(i int, mode phoneMode) (int, string, bool) {
	s := sc.s
	p := i
	intl, dbl := false, false
	switch {
	case s[p] == '+':
		intl = true
		p++
		if p >= len(s) || !isDigit(s[p]) {
			return 0, "", false
		}
	case p+2 < len(s) && s[p] == '0' && s[p+1] == '0' && s[p+2] >= '1' && s[p+2] <= '9':
		intl, dbl = true, true
		p += 2
	}
	if !intl && mode == phoneIntl {
		return 0, "", false
	}
	var buf [1 + maxPhoneDigits]byte
	buf[0] = '+'
	nd, groups, firstLen, last := 0, 0, 0, -1
	for {
		g := p
		paren := g < len(s) && s[g] == '('
		if paren {
			g++
		}
		q := g
		for q < len(s) && isDigit(s[q]) {
			q++
		}
		dl := q - g
		if dl == 0 {
			break
		}
		ge := q
		if paren {
			if q >= len(s) || s[q] != ')' {
				break
			}
			ge++
		}
		if ge < len(s) && (isLetter(s[ge]) || s[ge] == '@' || s[ge] == '_') {
			break // "3pm", a local part
		}
		if ge+1 < len(s) && (s[ge] == ':' || s[ge] == ',') && isDigit(s[ge+1]) {
			break // "10:30", "1,234"
		}
		trunk := paren && intl && groups > 0 && dl == 1 && s[g] == '0'
		// A one-digit group may follow a bare country code: "+52 1 55 …".
		if groups > 0 && dl < 2 && !trunk && !(intl && groups == 1 && firstLen <= 3) {
			break
		}
		if !trunk {
			if nd+dl > maxPhoneDigits {
				break
			}
			nd += copy(buf[1+nd:], s[g:q])
		}
		if groups == 0 {
			firstLen = dl
		}
		groups++
		last = ge
		r := skipSpace(s, ge)
		if r < len(s) && (s[r] == '-' || s[r] == '.' || s[r] == '/') {
			r = skipSpace(s, r+1)
		}
		if r < len(s) && (isDigit(s[r]) || s[r] == '(') && (r > ge || paren) {
			p = r
			continue
		}
		if r == ge && r < len(s) && s[r] == '(' {
			p = r
			continue
		}
		break
	}
	if last < 0 {
		return 0, "", false
	}
	min := minPhoneDigits
	if mode == phoneLoose && !intl {
		min = minLoosePhoneDigits
	}
	if nd < min {
		return 0, "", false
	}
	// Without a keyword, "00" must be followed by a country code of 1–3
	// digits and a separator ("0044 20 …"), so zero-padded ids stay ids.
	if dbl && mode == phoneIntl && (firstLen > 3 || groups < 2) {
		return 0, "", false
	}
	if !intl && (looksLikeDate(s[i:last]) || precededByCurrency(s, i) || followedByUnit(s, last)) {
		return 0, "", false
	}
	if intl {
		if !dbl && last-i == nd+1 {
			return last, s[i:last], true
		}
		return last, string(buf[:1+nd]), true
	}
	if last-i == nd {
		return last, s[i:last], true
	}
	return last, string(buf[1 : 1+nd]), true
}

// cnMobileAt reads a mainland China mobile number without country code:
// 1[3-9] and nine more digits, contiguous or grouped 3-4-4 by spaces or
// hyphens ("138 0013 8000").
func (sc *scanner) cnMobileAt(i int) (int, string, bool) {
	s := sc.s
	if i+11 > len(s) || s[i] != '1' || s[i+1] < '3' || s[i+1] > '9' {
		return 0, "", false
	}
	q := i
	for q < len(s) && isDigit(s[q]) {
		q++
	}
	var e int
	var v string
	switch {
	case q-i == 11:
		e, v = q, s[i:q]
	case q-i == 3 && i+13 <= len(s) && (s[q] == ' ' || s[q] == '-'):
		sep := s[q]
		if !digitsAt(s, q+1, 4) || q+5 >= len(s) || s[q+5] != sep || !digitsAt(s, q+6, 4) {
			return 0, "", false
		}
		e = q + 10
		if e < len(s) && isDigit(s[e]) {
			return 0, "", false
		}
		v = s[i:i+3] + s[q+1:q+5] + s[q+6:q+10]
	default:
		return 0, "", false
	}
	if e < len(s) && (isLetter(s[e]) || s[e] == '@' || s[e] == '_' || numberContinues(s, e)) {
		return 0, "", false
	}
	if precededByCurrency(s, i) || followedByUnit(s, e) {
		return 0, "", false
	}
	return e, v, true
}

// digitsAt reports whether s[i:i+n] are n digits.
func digitsAt(s string, i, n int) bool {
	if i+n > len(s) {
		return false
	}
	for k := i; k < i+n; k++ {
		if !isDigit(s[k]) {
			return false
		}
	}
	return true
}
