package extract

import "strings"

// Order number limits.
const (
	minOrderLen    = 4
	maxOrderLen    = 24
	minOrderDigits = 3
)

// orderAt reads an order number at j: 4–24 characters of [A-Za-z0-9-]
// with at least 3 digits, not a date, not an amount or quantity, not part
// of a decimal number or an email address.
func (sc *scanner) orderAt(j int) (int, string, bool) {
	s := sc.s
	if j >= len(s) || !isAlnum(s[j]) {
		return 0, "", false
	}
	q, digits := j, 0
	for q < len(s) && (isAlnum(s[q]) || s[q] == '-') {
		if isDigit(s[q]) {
			digits++
		}
		q++
		if q-j > maxOrderLen+1 {
			return 0, "", false
		}
	}
	e := q
	for s[e-1] == '-' {
		e--
	}
	if n := e - j; n < minOrderLen || n > maxOrderLen || digits < minOrderDigits {
		return 0, "", false
	}
	if e < len(s) && (s[e] == '@' || s[e] == '_' || numberContinues(s, e)) {
		return 0, "", false
	}
	t := s[j:e]
	if looksLikeDate(t) || precededByCurrency(s, j) || followedByUnit(s, e) {
		return 0, "", false
	}
	return e, strings.ToUpper(t), true
}
