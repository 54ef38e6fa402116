package extract

import (
	"sync"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normBuf holds one normalisation: the NFKC bytes and the offset map. It is
// pooled; the scanner reads b through a string view only while scanning,
// and copies every value it keeps (see scanner.detach).
type normBuf struct {
	b    []byte
	offs []int32
	it   norm.Iter // for segments without a fast path; Form.AppendString would allocate
}

var normPool = sync.Pool{New: func() any { return new(normBuf) }}

// maxPooled bounds the buffers returned to normPool, so one huge message
// does not pin its buffers for the life of the process.
const maxPooled = 64 << 10

// needsNormalization reports whether text may differ from its NFKC form
// (Form.IsNormalString would be exact but allocates). 'º' and '№', which
// normalize maps differently from NFKC, are not NFKC-stable either.
func needsNormalization(text string) bool {
	return norm.NFKC.QuickSpanString(text) < len(text)
}

// normalize writes the NFKC form of text into nb.b and, for each output
// byte, the offset in text of the normalisation segment it came from into
// nb.offs; nb.offs gets one extra entry, len(text), for the end.
//
// A segment is one rune plus the following runes that can combine with it
// (those without a normalisation boundary before them), so normalising
// segment by segment gives the same result as normalising the whole text,
// and every segment boundary is a rune boundary of both texts.
//
// Two runes differ from plain NFKC: 'º' (U+00BA, masculine ordinal, NFKC
// "o") and '№' (U+2116, NFKC "No") become "°" and "n°", so that "nº 123"
// and "№123" read as the order prefix "n°" rather than as the word "no".
func normalize(nb *normBuf, text string) {
	b := nb.b[:0]
	offs := nb.offs[:0]
	for i := 0; i < len(text); {
		j := i + 1
		if text[i] >= utf8.RuneSelf {
			_, n := utf8.DecodeRuneInString(text[i:])
			j = i + n
		}
		for j < len(text) && text[j] >= utf8.RuneSelf {
			p := norm.NFKC.PropertiesString(text[j:])
			if p.Size() == 0 || p.BoundaryBefore() {
				break
			}
			j += p.Size()
		}
		seg := text[i:j]
		n0 := len(b)
		switch {
		case j == i+1 && seg[0] < utf8.RuneSelf:
			b = append(b, seg[0])
		case seg == "\u00ba":
			b = append(b, "\u00b0"...)
		case seg == "\u2116":
			b = append(b, "n\u00b0"...)
		default:
			b = nb.appendNFKC(b, seg)
		}
		for k := n0; k < len(b); k++ {
			offs = append(offs, int32(i))
		}
		i = j
	}
	offs = append(offs, int32(len(text)))
	nb.b, nb.offs = b, offs
}

// appendNFKC appends the NFKC form of the segment seg to b. A single rune
// without a decomposition (Han, most letters) is its own NFKC form; one
// that decomposes to ASCII (full-width forms, "ﬁ") needs no composition.
func (nb *normBuf) appendNFKC(b []byte, seg string) []byte {
	if p := norm.NFKC.PropertiesString(seg); p.Size() == len(seg) {
		d := p.Decomposition()
		if d == nil {
			return append(b, seg...)
		}
		if isASCII(d) {
			return append(b, d...)
		}
	}
	nb.it.InitString(norm.NFKC, seg)
	for !nb.it.Done() {
		b = append(b, nb.it.Next()...)
	}
	return b
}

func isASCII(d []byte) bool {
	for _, c := range d {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
