package extract

import "strings"

// trackingAt reads a tracking number with a distinctive format at i: UPS
// "1Z…", USPS IMpb "9[1-5]…" and FedEx Ground "96…" (check digits
// validated), UPU S10 (check digit validated), SF Express "SF…" and
// YunExpress "YT…". These need no keyword.
func (sc *scanner) trackingAt(i int) (end int, value, carrier string, ok bool) {
	s := sc.s
	if i+10 > len(s) {
		return 0, "", "", false
	}
	c0, c1 := upper(s[i]), upper(s[i+1])
	switch {
	case c0 == '1' && c1 == 'Z':
		if e, v, ok := upsAt(s, i); ok {
			return e, v, CarrierUPS, true
		}
	case c0 == '9' && c1 >= '1' && c1 <= '6':
		return impbAt(s, i)
	case isLetter(c0) && isLetter(c1):
		if e, ok := s10At(s, i); ok {
			return e, strings.ToUpper(s[i:e]), CarrierUPU, true
		}
		if c0 == 'S' && c1 == 'F' {
			if e, ok := prefixedDigits(s, i, 12, 15); ok {
				return e, strings.ToUpper(s[i:e]), CarrierSF, true
			}
		}
		if c0 == 'Y' && c1 == 'T' {
			if e, ok := prefixedDigits(s, i, 16, 16); ok {
				return e, strings.ToUpper(s[i:e]), CarrierYunExpress, true
			}
		}
	}
	return 0, "", "", false
}

// upsAt reads "1Z" and 16 letters or digits, which may be grouped by single
// spaces as UPS prints them ("1Z 999 AA1 01 2345 6784").
func upsAt(s string, i int) (int, string, bool) {
	var buf [18]byte
	buf[0], buf[1] = '1', 'Z'
	n, p, plain := 2, i+2, true
loop:
	for n < len(buf) && p < len(s) {
		c := s[p]
		switch {
		case isAlnum(c):
			buf[n] = upper(c)
			n++
			p++
		case c == ' ' && p+1 < len(s) && isAlnum(s[p+1]):
			plain = false
			p++
		default:
			break loop
		}
	}
	if n != len(buf) || p < len(s) && isAlnum(s[p]) || !upsValid(string(buf[:])) {
		return 0, "", false
	}
	if plain {
		return p, strings.ToUpper(s[i:p]), true
	}
	return p, string(buf[:]), true
}

// impbAt reads a USPS Intelligent Mail package barcode number (20–22 digits
// starting 91–95) or a FedEx Ground "96" number (22 digits), contiguous or
// in space-separated groups, and validates its check digit.
func impbAt(s string, i int) (int, string, string, bool) {
	var buf [22]byte
	n, p := 0, i
	best, bestN := -1, 0
	for {
		q := p
		for q < len(s) && isDigit(s[q]) {
			q++
		}
		if n+q-p > len(buf) || q < len(s) && isLetter(s[q]) || numberContinues(s, q) {
			break
		}
		n += copy(buf[n:], s[p:q])
		if impbValid(buf[:n]) {
			best, bestN = q, n
		}
		if q+1 < len(s) && s[q] == ' ' && isDigit(s[q+1]) {
			p = q + 1
			continue
		}
		break
	}
	if best < 0 {
		return 0, "", "", false
	}
	carrier := CarrierUSPS
	if buf[1] == '6' {
		carrier = CarrierFedEx
	}
	if best-i == bestN {
		return best, s[i:best], carrier, true
	}
	return best, string(buf[:bestN]), carrier, true
}

// impbValid checks a USPS IMpb number (20–22 digits, 91–95, mod 10 over
// all digits) or a FedEx Ground 96 number (22 digits: "96", 2 digits of
// service class, 3 of service type, then a 15-digit FedEx Ground number
// whose own mod 10 check digit ends it).
func impbValid(d []byte) bool {
	switch {
	case len(d) < 2:
		return false
	case d[1] == '6':
		return len(d) == 22 && mod10Valid(d[7:])
	default:
		return len(d) >= 20 && mod10Valid(d)
	}
}

// s10At reads a UPU S10 item identifier, two letters, eight digits, a check
// digit and two letters ("RR123456785CN"), and validates the check digit.
func s10At(s string, i int) (int, bool) {
	e := i + 13
	if e > len(s) || e < len(s) && isAlnum(s[e]) {
		return 0, false
	}
	t := s[i:e]
	if !isLetter(t[0]) || !isLetter(t[1]) || !isLetter(t[11]) || !isLetter(t[12]) {
		return 0, false
	}
	for k := 2; k < 11; k++ {
		if !isDigit(t[k]) {
			return 0, false
		}
	}
	return e, s10Valid(t[2:11])
}

// prefixedDigits reads a two-letter prefix and min–max digits at i.
func prefixedDigits(s string, i, min, max int) (int, bool) {
	q := i + 2
	for q < len(s) && isDigit(s[q]) {
		q++
	}
	n := q - i - 2
	if n < min || n > max || q < len(s) && isAlnum(s[q]) {
		return 0, false
	}
	return q, true
}

// genericTrackingAt reads the tracking numbers accepted after a tracking
// keyword: 10–22 digits, or 10–30 letters and digits with at least 8 digits.
// The carrier of a digits-only number is named when its length and check
// digit fit one: DHL Express (10–11 digits, mod 7), FedEx Express (12,
// weights 3-1-7 mod 11) or FedEx Ground (15, mod 10).
func (sc *scanner) genericTrackingAt(j int) (int, string, string, bool) {
	s := sc.s
	if j >= len(s) || !isAlnum(s[j]) {
		return 0, "", "", false
	}
	q, digits := j, 0
	for q < len(s) && isAlnum(s[q]) {
		if isDigit(s[q]) {
			digits++
		}
		q++
	}
	n := q - j
	if q < len(s) && s[q] == '@' || numberContinues(s, q) {
		return 0, "", "", false
	}
	if digits == n {
		if n < 10 || n > 22 || precededByCurrency(s, j) || followedByUnit(s, q) {
			return 0, "", "", false
		}
		return q, s[j:q], digitsCarrier(s[j:q]), true
	}
	if n < 10 || n > 30 || digits < 8 {
		return 0, "", "", false
	}
	return q, strings.ToUpper(s[j:q]), "", true
}

func digitsCarrier(d string) string {
	switch len(d) {
	case 10, 11:
		if mod7Valid(d) {
			return CarrierDHL
		}
	case 12:
		if fedexExpressValid(d) {
			return CarrierFedEx
		}
	case 15:
		if mod10Valid([]byte(d)) {
			return CarrierFedEx
		}
	}
	return ""
}

// upsValid checks the last character of a UPS number "1Z" + 15 + check:
// letters count as (ASCII code − 3) mod 10 (A=2, B=3, …), the characters
// after "1Z" at odd positions (1-based) are summed once and at even
// positions twice, and the check digit tops the sum up to a multiple of 10.
func upsValid(t string) bool {
	if len(t) != 18 || !isDigit(t[17]) {
		return false
	}
	sum := 0
	for k := 2; k < 17; k++ {
		c := t[k]
		v := int(c - '0')
		if !isDigit(c) {
			v = (int(c) - 3) % 10
		}
		if k%2 == 1 {
			v *= 2
		}
		sum += v
	}
	return int(t[17]-'0') == (10-sum%10)%10
}

// mod10Valid checks the last digit of d by the USPS IMpb rule (USPS
// Publication 199, also FedEx Ground): from the right, excluding the check
// digit, digits are weighted 3, 1, 3, 1, …; the check digit tops the sum up
// to a multiple of 10.
func mod10Valid(d []byte) bool {
	if len(d) < 2 {
		return false
	}
	sum, w := 0, 3
	for k := len(d) - 2; k >= 0; k-- {
		sum += int(d[k]-'0') * w
		w = 4 - w
	}
	return int(d[len(d)-1]-'0') == (10-sum%10)%10
}

// fedexExpressValid checks a 12-digit FedEx Express number: the first 11
// digits weighted 3, 1, 7, 3, 1, 7, … from the left, sum mod 11 mod 10.
func fedexExpressValid(d string) bool {
	if len(d) != 12 {
		return false
	}
	weights := [3]int{3, 1, 7}
	sum := 0
	for k := 0; k < 11; k++ {
		sum += int(d[k]-'0') * weights[k%3]
	}
	return int(d[11]-'0') == sum%11%10
}

// mod7Valid checks a DHL Express waybill: the number without its last digit,
// mod 7, is the last digit.
func mod7Valid(d string) bool {
	if len(d) < 2 {
		return false
	}
	var v uint64
	for k := 0; k < len(d)-1; k++ {
		v = v*10 + uint64(d[k]-'0')
	}
	return int(d[len(d)-1]-'0') == int(v%7)
}

// s10Valid checks the ninth digit of the nine digits of a UPU S10 item
// identifier: the first eight weighted 8, 6, 4, 2, 3, 5, 9, 7; check =
// 11 − sum mod 11, with 10 read as 0 and 11 as 5.
func s10Valid(d string) bool {
	if len(d) != 9 {
		return false
	}
	weights := [8]int{8, 6, 4, 2, 3, 5, 9, 7}
	sum := 0
	for k, w := range weights {
		sum += int(d[k]-'0') * w
	}
	check := 11 - sum%11
	switch check {
	case 10:
		check = 0
	case 11:
		check = 5
	}
	return int(d[8]-'0') == check
}
