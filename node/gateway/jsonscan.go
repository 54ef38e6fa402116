package gateway

import (
	"math"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

func (p *frameParser) peek() byte {
	if p.pos < len(p.data) {
		return p.data[p.pos]
	}
	return 0
}

func (p *frameParser) ws() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// end reports whether only whitespace is left.
func (p *frameParser) end() bool {
	p.ws()
	return p.pos == len(p.data)
}

// open consumes the '{' at p.pos and reports whether the object is empty
// (then its '}' is consumed too).
func (p *frameParser) open() (empty bool) {
	p.pos++
	p.ws()
	if p.peek() == '}' {
		p.pos++
		return true
	}
	return false
}

// memberKey reads `"key" :` and leaves p.pos at the value. The key is
// unescaped; it may alias p.key.
func (p *frameParser) memberKey() ([]byte, bool) {
	p.ws()
	if p.peek() != '"' {
		return nil, false
	}
	key, esc, ok := p.str()
	if !ok {
		return nil, false
	}
	if esc {
		if len(key) > len(p.key) {
			key = nil // too long for a known key (unescaping never lengthens)
		} else {
			key = appendUnescaped(p.key[:0], key)
		}
	}
	p.ws()
	if p.peek() != ':' {
		return nil, false
	}
	p.pos++
	p.ws()
	return key, true
}

// memberEnd consumes the ',' or '}' after an object member.
func (p *frameParser) memberEnd() (done, ok bool) {
	p.ws()
	switch p.peek() {
	case ',':
		p.pos++
		return false, true
	case '}':
		p.pos++
		return true, true
	}
	return false, false
}

// str scans the string at p.pos and returns its raw contents; esc reports
// backslash escapes in it.
func (p *frameParser) str() (raw []byte, esc, ok bool) {
	data := p.data
	i := p.pos + 1
	for i < len(data) {
		if plainStringByte[data[i]] {
			i++
			continue
		}
		switch c := data[i]; {
		case c == '"':
			raw = data[p.pos+1 : i]
			p.pos = i + 1
			return raw, esc, true
		case c == '\\':
			esc = true
			if i+1 >= len(data) {
				return nil, false, false
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(data) || hex4(data[i+2:i+6]) < 0 {
					return nil, false, false
				}
				i += 6
			default:
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		default:
			i++
		}
	}
	return nil, false, false
}

// plainStringByte marks the bytes that stand for themselves in a JSON string.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// number scans the number at p.pos. mag is its absolute value when it is
// integral (no fraction or exponent, and fits in a uint64).
func (p *frameParser) number() (mag uint64, neg, integral, ok bool) {
	data := p.data
	i := p.pos
	if i < len(data) && data[i] == '-' {
		neg = true
		i++
	}
	if i >= len(data) {
		return 0, false, false, false
	}
	integral = true
	switch c := data[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		for ; i < len(data) && data[i] >= '0' && data[i] <= '9'; i++ {
			d := uint64(data[i] - '0')
			if mag > (math.MaxUint64-d)/10 {
				integral = false // overflow
			}
			mag = mag*10 + d
		}
	default:
		return 0, false, false, false
	}
	if i < len(data) && data[i] == '.' {
		integral = false
		i++
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			return 0, false, false, false
		}
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		integral = false
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			return 0, false, false, false
		}
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
	}
	p.pos = i
	return mag, neg, integral, true
}

func (p *frameParser) literal(word string) bool {
	if len(p.data)-p.pos >= len(word) && string(p.data[p.pos:p.pos+len(word)]) == word {
		p.pos += len(word)
		return true
	}
	return false
}

// skip validates and skips the value at p.pos, nested depth containers
// deep. It keeps its own stack of open containers rather than recursing.
func (p *frameParser) skip(depth int) bool {
	var stackBuf [32]byte
	stack := stackBuf[:0] // '{' or '[' per open container
	for {
		// A value.
		p.ws()
		switch c := p.peek(); {
		case c == '{' || c == '[':
			if depth+len(stack)+1 > maxDepth {
				return false
			}
			p.pos++
			p.ws()
			if c == '{' && p.peek() == '}' || c == '[' && p.peek() == ']' {
				p.pos++
				break
			}
			stack = append(stack, c)
			if c == '{' {
				if _, ok := p.memberKey(); !ok {
					return false
				}
			}
			continue
		case c == '"':
			if _, _, ok := p.str(); !ok {
				return false
			}
		case c == 't':
			if !p.literal("true") {
				return false
			}
		case c == 'f':
			if !p.literal("false") {
				return false
			}
		case c == 'n':
			if !p.literal("null") {
				return false
			}
		case c == '-' || c >= '0' && c <= '9':
			if _, _, _, ok := p.number(); !ok {
				return false
			}
		default:
			return false
		}
		// After a value: close containers until one continues.
		for {
			if len(stack) == 0 {
				return true
			}
			p.ws()
			top, c := stack[len(stack)-1], p.peek()
			if c == ',' {
				p.pos++
				if top == '{' {
					if _, ok := p.memberKey(); !ok {
						return false
					}
				}
				break
			}
			if top == '{' && c == '}' || top == '[' && c == ']' {
				p.pos++
				stack = stack[:len(stack)-1]
				continue
			}
			return false
		}
	}
}

// hex4 decodes four hex digits, or returns -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// unescape returns the string a validated raw JSON string stands for, in one
// allocation.
func unescape(raw []byte) string {
	b := appendUnescaped(make([]byte, 0, len(raw)), raw) // unescaping never lengthens
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b)) // b is never written again
}

// appendUnescaped appends what the validated raw JSON string stands for, as
// encoding/json decodes it: a lone or mismatched UTF-16 surrogate becomes
// U+FFFD.
func appendUnescaped(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			j := i + 1
			for j < len(raw) && raw[j] != '\\' {
				j++
			}
			dst = append(dst, raw[i:j]...)
			i = j
			continue
		}
		switch raw[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(raw[i+2:])
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2 = hex4(raw[i+2:])
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, raw[i+1])
		}
		i += 2
	}
	return dst
}
