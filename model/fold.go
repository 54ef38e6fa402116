package model

import (
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Folding (FeaturizerConfig.Fold = 1): what customers leave out or type
// differently stops mattering to the intent features. Accents and other
// diacritics of Latin, Greek and Cyrillic letters are removed
// ("devolução" and "devolucao", "đơn hàng" and "don hang" meet), the
// Turkish dotted and dotless i become i (Unicode case folding turns "İ"
// into "i" plus a combining dot, and "ı" stays apart from "i"), and Arabic
// loses its optional short vowels and tatweel while the letter variants
// people type interchangeably are unified (alef with hamza or madda, alef
// maqsura and Persian yeh, teh marbuta, hamza on waw and yeh, Persian
// kaf). The language head keeps the text unfolded: the accents say which
// language it is.

// foldRune returns what r becomes in folded text, or -1 to drop it.
func foldRune(r rune) rune {
	switch {
	case r < 0xC0:
		return r
	case r >= 0x300 && r <= 0x36F: // combining diacritical marks
		return -1
	case r >= 0x64B && r <= 0x65F || r == 0x670 || r == 0x640: // Arabic harakat, superscript alef, tatweel
		return -1
	}
	if r <= foldMax {
		if b := foldTable[r]; b != 0 {
			return b
		}
	}
	return r
}

// foldMax is the last rune foldTable covers (Latin Extended Additional,
// where Vietnamese lives).
const foldMax = 0x1EFF

// foldTable maps a rune to its folded base (0: unchanged).
var foldTable = buildFoldTable()

func buildFoldTable() []rune {
	t := make([]rune, foldMax+1)
	decompose := func(lo, hi rune) {
		for r := lo; r <= hi; r++ {
			if !unicode.IsLetter(r) {
				continue
			}
			d := []rune(norm.NFD.String(string(r)))
			if len(d) < 2 || d[0] == r {
				continue
			}
			marks := true
			for _, m := range d[1:] {
				marks = marks && unicode.Is(unicode.Mn, m)
			}
			if marks {
				t[r] = d[0]
			}
		}
	}
	decompose(0xC0, 0x24F)    // Latin-1 Supplement, Latin Extended-A and -B
	decompose(0x370, 0x3FF)   // Greek
	decompose(0x400, 0x52F)   // Cyrillic (й → и, ё → е)
	decompose(0x1E00, 0x1EFF) // Latin Extended Additional (Vietnamese)
	for from, to := range map[rune]rune{
		'đ': 'd', 'Đ': 'd', 'ł': 'l', 'Ł': 'l', 'ø': 'o', 'Ø': 'o', 'ı': 'i', 'ħ': 'h',
		'أ': 'ا', 'إ': 'ا', 'آ': 'ا', 'ٱ': 'ا', 'ى': 'ي', 'ی': 'ي', 'ئ': 'ي', 'ة': 'ه', 'ؤ': 'و', 'ک': 'ك',
	} {
		t[from] = to
	}
	return t
}
