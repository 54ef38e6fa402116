package translate

import "strings"

// base returns a BCP 47 tag's primary language, lower case: "pt-BR" → "pt".
func base(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	return tag
}

// region returns a tag's region subtag, upper case, or "": "pt-br" → "BR".
func region(tag string) string {
	parts := strings.FieldsFunc(tag, func(r rune) bool { return r == '-' || r == '_' })
	for _, p := range parts[min(1, len(parts)):] {
		if len(p) == 2 {
			return strings.ToUpper(p)
		}
	}
	return ""
}

// iso3 maps ISO 639-1 codes to the ISO 639-3 codes Apertium names its
// pairs with. Apertium pairs of languages outside it still work when the
// node is configured with the 639-3 code itself.
var iso3 = map[string]string{
	"af": "afr", "an": "arg", "ar": "ara", "ast": "ast", "be": "bel", "bg": "bul", "br": "bre",
	"bs": "bos", "ca": "cat", "cs": "ces", "cy": "cym", "da": "dan", "de": "deu", "el": "ell",
	"en": "eng", "eo": "epo", "es": "spa", "et": "est", "eu": "eus", "fa": "fas", "fi": "fin",
	"fr": "fra", "ga": "gle", "gl": "glg", "he": "heb", "hi": "hin", "hr": "hrv", "hu": "hun",
	"id": "ind", "is": "isl", "it": "ita", "ja": "jpn", "kk": "kaz", "ko": "kor", "lt": "lit",
	"lv": "lav", "mk": "mkd", "ms": "msa", "mt": "mlt", "nb": "nob", "nl": "nld", "nn": "nno",
	"no": "nor", "oc": "oci", "pl": "pol", "pt": "por", "ro": "ron", "ru": "rus", "sc": "srd",
	"sk": "slk", "sl": "slv", "sq": "sqi", "sr": "srp", "sv": "swe", "th": "tha", "tl": "tgl",
	"tr": "tur", "tt": "tat", "uk": "ukr", "ur": "urd", "vi": "vie", "zh": "zho",
}

// iso1 is iso3 reversed.
var iso1 = func() map[string]string {
	m := make(map[string]string, len(iso3))
	for two, three := range iso3 {
		m[three] = two
	}
	return m
}()

// toISO3 returns the Apertium code of a BCP 47 tag's language.
func toISO3(tag string) string {
	b := base(tag)
	if c, ok := iso3[b]; ok {
		return c
	}
	return b
}

// fromISO3 returns the node's code of an Apertium language ("por_BR" → "pt").
func fromISO3(code string) string {
	b := base(code)
	if c, ok := iso1[b]; ok {
		return c
	}
	return b
}
