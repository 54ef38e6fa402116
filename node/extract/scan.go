package extract

import (
	"strings"
	"unicode/utf8"
	"unsafe"
)

// scanner is one left-to-right pass over a text. It lives on the caller's
// stack. A text that needs NFKC is normalised into a pooled buffer and
// scanned through a string view of it; emit copies out what it keeps.
type scanner struct {
	s    string  // the text being scanned: the original, or a view of its NFKC form
	orig string  // the original text
	offs []int32 // nil when s is the original; else offs[j] = original offset of s[j] (len(s)+1 entries)

	loose Kind // Loose: values of this kind need no keyword
	want  Kind // First/Loose: stop at the first entity of this kind

	dst     []Entity
	found   Entity
	done    bool
	lastEnd int // end (original offset) of the last entity taken
}

func (sc *scanner) scan(text string) {
	ascii, interesting := true, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		if c == '@' || isDigit(c) {
			interesting = true
		}
	}
	// Every entity holds a digit or an '@'; only Loose(Email) reads
	// "john at example dot com".
	if ascii && !interesting && sc.loose != Email {
		return
	}
	sc.s, sc.orig = text, text
	if !ascii && needsNormalization(text) {
		nb := normPool.Get().(*normBuf)
		normalize(nb, text)
		if len(nb.b) > 0 {
			// The view lives only during run; emit detaches what it keeps.
			sc.s = unsafe.String(&nb.b[0], len(nb.b))
			sc.offs = nb.offs
			sc.run()
			sc.s, sc.offs = text, nil
		}
		if cap(nb.b) <= maxPooled {
			normPool.Put(nb)
		}
		return
	}
	sc.run()
}

func (sc *scanner) run() {
	s := sc.s
	for i := 0; i < len(s) && !sc.done; {
		c := s[i]
		if c == ' ' || isAlnum(c) && i > 0 && isAlnum(s[i-1]) {
			i++ // a space, or inside a word: nothing starts here
			continue
		}
		if next := sc.at(i); next > i {
			i = next
			continue
		}
		if c < utf8.RuneSelf {
			i++
		} else {
			_, n := utf8.DecodeRuneInString(s[i:])
			i += n
		}
	}
}

// at tries everything that may start at i. It returns where scanning goes
// on: past an entity or keyword it consumed, or i when nothing started.
func (sc *scanner) at(i int) int {
	s := sc.s
	c := s[i]
	// Emails first: their local part may look like anything else
	// ("order@shop.com", "13800138000@163.com").
	if isLocal(c) && (i == 0 || !isLocal(s[i-1])) {
		if a, e, v, ok := sc.emailAt(i); ok {
			sc.emit(Email, a, e, v, "")
			return e
		}
	}
	if k, kend := matchKeyword(s, i); k != "" {
		if e, ok := sc.valueAt(skipFillers(s, kend), k); ok {
			return e
		}
		return kend
	}
	return sc.standalone(i)
}

// standalone tries the values that need no keyword at i.
func (sc *scanner) standalone(i int) int {
	s := sc.s
	c := s[i]
	if isAlnum(c) {
		if e, v, car, ok := sc.trackingAt(i); ok {
			sc.emit(TrackingNumber, i, e, v, car)
			return e
		}
	}
	switch {
	case c == '+' || c == '0' && i+1 < len(s) && s[i+1] == '0':
		if i > 0 && isAlnum(s[i-1]) || insideNumber(s, i) {
			break
		}
		if e, v, ok := sc.phoneAt(i, phoneIntl); ok {
			sc.emit(Phone, i, e, v, "")
			return e
		}
	case c == '#':
		if e, ok := sc.valueAt(skipSpace(s, i+1), OrderNumber); ok {
			return e
		}
	case c == 'n' || c == 'N':
		if j := orderPrefix(s, i); j > i {
			if e, ok := sc.valueAt(skipSpace(s, j), OrderNumber); ok {
				return e
			}
		}
	}
	if sc.loose != "" && !insideNumber(s, i) {
		if e, ok := sc.kindAt(i, sc.loose, true); ok {
			return e
		}
	}
	if c == '1' && !insideNumber(s, i) {
		if e, v, ok := sc.cnMobileAt(i); ok {
			sc.emit(Phone, i, e, v, "")
			return e
		}
	}
	return i
}

// valueAt reads the value that follows a keyword or prefix of kind k at j.
// A value with a distinctive format keeps its own kind: "order 1Z…" is a
// tracking number.
func (sc *scanner) valueAt(j int, k Kind) (int, bool) {
	s := sc.s
	if j >= len(s) {
		return 0, false
	}
	c := s[j]
	if isLocal(c) {
		if a, e, v, ok := sc.emailAt(j); ok {
			sc.emit(Email, a, e, v, "")
			return e, true
		}
	}
	if isAlnum(c) {
		if e, v, car, ok := sc.trackingAt(j); ok {
			sc.emit(TrackingNumber, j, e, v, car)
			return e, true
		}
	}
	if c == '+' || c == '0' {
		if e, v, ok := sc.phoneAt(j, phoneIntl); ok {
			sc.emit(Phone, j, e, v, "")
			return e, true
		}
	}
	return sc.kindAt(j, k, false)
}

// kindAt reads a value of kind k at j in the form that needs a keyword (or,
// with loose, the form Loose accepts).
func (sc *scanner) kindAt(j int, k Kind, loose bool) (int, bool) {
	switch k {
	case OrderNumber:
		if e, v, ok := sc.orderAt(j); ok {
			sc.emit(OrderNumber, j, e, v, "")
			return e, true
		}
	case TrackingNumber:
		if e, v, car, ok := sc.genericTrackingAt(j); ok {
			sc.emit(TrackingNumber, j, e, v, car)
			return e, true
		}
	case Phone:
		mode := phoneKeyword
		if loose {
			mode = phoneLoose
		}
		if e, v, ok := sc.phoneAt(j, mode); ok {
			sc.emit(Phone, j, e, v, "")
			return e, true
		}
	case Email:
		if loose {
			if a, e, v, ok := sc.looseEmailAt(j); ok {
				sc.emit(Email, a, e, v, "")
				return e, true
			}
		}
	}
	return 0, false
}

// emit records the entity s[a:b]. Entities arrive in order; one that would
// overlap the previous (possible only when two values share a
// normalisation segment of the original) is dropped.
func (sc *scanner) emit(k Kind, a, b int, value, carrier string) {
	start, end := sc.span(a, b)
	if start < sc.lastEnd || end <= start || value == "" {
		return
	}
	sc.lastEnd = end
	if sc.offs != nil {
		value = sc.detach(value, start, end)
	}
	e := Entity{Kind: k, Value: value, Start: start, End: end, Carrier: carrier}
	if sc.want != "" {
		if k == sc.want {
			sc.found, sc.done = e, true
		}
		return
	}
	sc.dst = append(sc.dst, e)
}

// span maps s[a:b] to offsets in the original text, widening it to whole
// normalisation segments.
func (sc *scanner) span(a, b int) (int, int) {
	if sc.offs == nil {
		return a, b
	}
	offs := sc.offs
	for b < len(sc.s) && offs[b] == offs[b-1] {
		b++
	}
	return int(offs[a]), int(offs[b])
}

// detach returns a value that does not share memory with the pooled
// normalisation buffer: the original text when the value is spelled the
// same there (no allocation), the value itself when it was built afresh,
// else a copy.
func (sc *scanner) detach(v string, start, end int) string {
	if o := sc.orig[start:end]; o == v {
		return o
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(v)))
	base := uintptr(unsafe.Pointer(unsafe.StringData(sc.s)))
	if p < base || p >= base+uintptr(len(sc.s)) {
		return v
	}
	return strings.Clone(v)
}
