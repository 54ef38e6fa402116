package sentiment

// langSet is a set of the languages the lexicons cover.
type langSet uint8

const (
	langEN langSet = 1 << iota
	langES
	langPT
	langFR
	langDE
	langZH
)

// parseLang maps a BCP 47 tag ("es-MX", "zh_TW", "pt") or an ISO 639-2/3
// code to its covered language, or 0 when the language is not covered or
// the tag is empty. It does not allocate.
func parseLang(tag string) langSet {
	n := 0
	for n < len(tag) && tag[n] != '-' && tag[n] != '_' {
		n++
	}
	if n < 2 || n > 3 {
		return 0
	}
	var b [3]byte
	for i := 0; i < n; i++ {
		c := tag[i]
		if c >= 'A' && c <= 'Z' {
			c |= 0x20
		}
		b[i] = c
	}
	switch string(b[:n]) {
	case "en", "eng":
		return langEN
	case "es", "spa":
		return langES
	case "pt", "por":
		return langPT
	case "fr", "fra", "fre":
		return langFR
	case "de", "deu", "ger":
		return langDE
	case "zh", "zho", "chi", "cmn", "yue":
		return langZH
	}
	return 0
}
