package faq

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/text/language"
)

// canonType is how language tags are canonicalised: deprecated and legacy
// codes replaced ("iw" → "he", "zh-cmn-Hans" → "zh-Hans"), macrolanguage
// members folded into the macrolanguage ("cmn" → "zh"), and a script the
// language is nearly always written in dropped ("en-Latn-US" → "en-US").
const canonType = language.Deprecated | language.Legacy | language.Macro | language.SuppressScript

// tagInfo is a parsed, canonicalised tag reduced to language, script,
// region and variants (extensions dropped).
type tagInfo struct {
	base    language.Base
	script  language.Script // zero when the tag has none
	region  language.Region // zero when the tag has none
	vars    []language.Variant
	hasExt  bool
	guessed language.Script // the script the language is most likely written in
}

func parseTag(s string) (tagInfo, error) {
	if s == "" {
		return tagInfo{}, errors.New("empty language tag")
	}
	t, err := canonType.Parse(s)
	if err != nil {
		return tagInfo{}, err
	}
	var ti tagInfo
	ti.base, ti.script, ti.region = t.Raw()
	if ti.base == (language.Base{}) || ti.base.String() == "und" {
		return tagInfo{}, errors.New("no language")
	}
	ti.vars = t.Variants()
	ti.hasExt = len(t.Extensions()) > 0
	ti.guessed, _ = t.Script()
	return ti, nil
}

// join formats the tag's first parts: script and region are included
// when set and asked for; variants when asked for.
func (ti tagInfo) join(script language.Script, region, variants bool) string {
	var b strings.Builder
	b.WriteString(ti.base.String())
	if script != (language.Script{}) {
		b.WriteByte('-')
		b.WriteString(script.String())
	}
	if region && ti.region != (language.Region{}) {
		b.WriteByte('-')
		b.WriteString(ti.region.String())
	}
	if variants {
		for _, v := range ti.vars {
			b.WriteByte('-')
			b.WriteString(v.String())
		}
	}
	return b.String()
}

func (ti tagInfo) String() string { return ti.join(ti.script, true, true) }

// CanonicalLang returns the canonical form of the BCP 47 tag s, the form
// entries are stored under and Chain produces: "es-mx" → "es-MX",
// "zh_hant" → "zh-Hant", "iw" → "he", "cmn" → "zh", "en-Latn-US" →
// "en-US". Tags with extensions or private use ("en-u-ca-buddhist",
// "x-klingon") and "und" are refused (an error wrapping ErrInvalid).
func CanonicalLang(s string) (string, error) {
	ti, err := parseTag(s)
	if err != nil {
		return "", fmt.Errorf("%w: language tag %s: %v", ErrInvalid, quoteTrunc(s), err)
	}
	if ti.hasExt {
		return "", fmt.Errorf("%w: language tag %s: extensions and private use are not supported", ErrInvalid, quoteTrunc(s))
	}
	return ti.String(), nil
}

var (
	scriptHans = language.MustParseScript("Hans")
	scriptHant = language.MustParseScript("Hant")
	baseZh     = language.MustParseBase("zh")
)

// expansion is what Chain derives from one input tag.
type expansion struct {
	base string // canonical base language, "" when the tag is invalid
	// script is the tag's script, explicit or (Chinese) guessed from the
	// region; explicit says it was in the tag ("zh-Hant", not "zh-TW").
	script   string
	explicit bool
	tags     []string // the tag and its parents, most specific first
}

var invalidExpansion = &expansion{}

func expand(s string) *expansion {
	ti, err := parseTag(s)
	if err != nil {
		return invalidExpansion
	}
	e := &expansion{base: ti.base.String()}
	add := func(t string) {
		if !slices.Contains(e.tags, t) {
			e.tags = append(e.tags, t)
		}
	}
	add(ti.String())
	add(ti.join(ti.script, true, false))
	script := ti.script
	if ti.base == baseZh && script == (language.Script{}) && (ti.guessed == scriptHans || ti.guessed == scriptHant) {
		// zh-TW, zh-HK, zh-MO → zh-Hant; zh-CN, zh-SG, zh → zh-Hans.
		script = ti.guessed
	}
	if script != (language.Script{}) {
		add(ti.join(script, false, false))
		e.script, e.explicit = script.String(), ti.script != (language.Script{})
	}
	add(e.base)
	return e
}

// The expansion cache: customers' locales come from a small set, so
// after the first sight of one AppendChain does not parse it again. It
// holds at most chainCacheMax inputs (valid or not); past that, new ones
// are parsed on each call.
const chainCacheMax = 4096

var (
	chainCache  sync.Map // string → *expansion
	chainCacheN atomic.Int64
)

func cachedExpand(s string) *expansion {
	if s == "" {
		return invalidExpansion
	}
	if v, ok := chainCache.Load(s); ok {
		return v.(*expansion)
	}
	e := expand(s)
	if chainCacheN.Load() < chainCacheMax {
		if _, loaded := chainCache.LoadOrStore(strings.Clone(s), e); !loaded {
			chainCacheN.Add(1)
		}
	}
	return e
}

// Chain returns the languages to try for a customer, most specific
// first, without duplicates, every tag canonical (CanonicalLang):
//
//  1. the declared locale ("es-MX") and its parents ("es");
//  2. the detected language of the message and its parents — but when
//     its base language differs from the locale's, or it names a script
//     that differs from the locale's, it comes FIRST: a customer whose
//     browser says en-US but who writes in Spanish is answered in
//     Spanish, one whose browser says zh-CN but who writes Traditional
//     characters (detected "zh-Hant") in Traditional;
//  3. defaultLang and its parents.
//
// Right after each tag come its configured extra fallbacks, extra[tag]
// (keys canonical; values are canonicalised, not expanded): with
// extra["es-MX"] = ["es-419"] the chain for es-MX is es-MX, es-419, es.
// Parents drop variants, then the region, then the script. Chinese falls
// back by script, guessed from the region when the tag has none:
// zh-TW, zh-HK, zh-MO → zh-Hant, zh; zh-CN, zh-SG → zh-Hans, zh; and a
// bare "zh" is followed by zh-Hans. Empty and invalid tags are skipped.
func Chain(locale, detected, defaultLang string, extra map[string][]string) []string {
	return AppendChain(make([]string, 0, 8), locale, detected, defaultLang, extra)
}

// AppendChain is Chain appending to dst (tags already in dst before the
// call are not looked at for duplicates). It does not allocate, beyond
// growing dst, once each tag it is given has been seen (a process-wide
// cache keeps up to 4096 distinct inputs); a tag seen the first time costs
// a parse, a few small allocations.
func AppendChain(dst []string, locale, detected, defaultLang string, extra map[string][]string) []string {
	start := len(dst)
	first, second := cachedExpand(locale), cachedExpand(detected)
	if second.base != "" && (second.base != first.base || second.explicit && first.script != "" && second.script != first.script) {
		first, second = second, first
	}
	for _, e := range [3]*expansion{first, second, cachedExpand(defaultLang)} {
		for _, t := range e.tags {
			dst = appendUnique(dst, start, t)
			for _, x := range extra[t] {
				if xe := cachedExpand(x); len(xe.tags) > 0 {
					dst = appendUnique(dst, start, xe.tags[0])
				}
			}
		}
	}
	return dst
}

func appendUnique(dst []string, start int, t string) []string {
	if slices.Contains(dst[start:], t) {
		return dst
	}
	return append(dst, t)
}
