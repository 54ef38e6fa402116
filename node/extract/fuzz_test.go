package extract

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// distinctiveCarriers are the tracking formats found without a keyword, so
// a value of theirs is found again in its own span.
var distinctiveCarriers = map[string]bool{
	CarrierUPS: true, CarrierUSPS: true, CarrierUPU: true, CarrierSF: true, CarrierYunExpress: true,
}

var allCarriers = map[string]bool{
	"": true, CarrierUPS: true, CarrierUSPS: true, CarrierFedEx: true, CarrierDHL: true,
	CarrierUPU: true, CarrierSF: true, CarrierYunExpress: true,
}

func FuzzAll(f *testing.F) {
	for _, tc := range allCases {
		f.Add(tc.text)
	}
	for _, s := range []string{
		benchOrderMessage, benchEmptyMessage, benchNegativeMessage, benchChineseMessage,
		"ｏｒｄｅｒ ＃Ａ１２３４ 邮箱ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ 电话 ＋８６ １３８ ００１３ ８０００",
		"pedido\u0301 nº 12345 № 67890 ½ 123½",
		"1Z 5R8 939 03 5756 7127 1Z 5R8 939 03 5756 71",
		"9400 1112 0108 0805 4830 16 1234",
		"a@b.cc\u0301 x@例子.中国abc y@xn--p1ai.xn--p1ai",
		"+1 (555) 123-4567 +44 (0)20 7946 0958 0044 20 7946 0958",
		"john at example dot com",
		"\xff\xfe order #123\xff45 #12345\xc3",
		strings.Repeat("订单号：１２３４５６，", 5),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := All(text)
		prevEnd := 0
		for i, e := range got {
			if e.Start < prevEnd || e.Start >= e.End || e.End > len(text) {
				t.Fatalf("entity %d %+v: bad span (previous end %d, len %d)", i, e, prevEnd, len(text))
			}
			prevEnd = e.End
			checkValue(t, e)
			if e.Kind == Email || e.Kind == TrackingNumber && distinctiveCarriers[e.Carrier] {
				span := text[e.Start:e.End]
				again := All(span)
				if len(again) != 1 || again[0].Kind != e.Kind || again[0].Value != e.Value ||
					again[0].Start != 0 || again[0].End != len(span) {
					t.Fatalf("entity %+v from %q: its span %q gives %s", e, text, span, describe(span, again))
				}
			}
		}

		// AppendAll appends exactly what All returns.
		prefix := []Entity{{Kind: Email, Value: "x@y.zz"}}
		app := AppendAll(prefix, text)
		if len(app) != len(got)+1 || app[0] != prefix[0] {
			t.Fatalf("AppendAll = %d entities, All = %d", len(app), len(got))
		}
		for i := range got {
			if app[i+1] != got[i] {
				t.Fatalf("AppendAll[%d] = %+v, All = %+v", i, app[i+1], got[i])
			}
		}

		// First is the first of its kind in All; Loose finds at least that.
		for _, k := range []Kind{OrderNumber, TrackingNumber, Email, Phone} {
			var want Entity
			found := false
			for _, e := range got {
				if e.Kind == k {
					want, found = e, true
					break
				}
			}
			e, ok := First(text, k)
			if ok != found || e != want {
				t.Fatalf("First(%s) = %+v, %v; All has %+v, %v", k, e, ok, want, found)
			}
			l, ok := Loose(text, k)
			if found && (!ok || l != want) {
				t.Fatalf("Loose(%s) = %+v, %v; First = %+v", k, l, ok, want)
			}
			if ok {
				if l.Kind != k || l.Start < 0 || l.Start >= l.End || l.End > len(text) {
					t.Fatalf("Loose(%s) = %+v: bad entity", k, l)
				}
				checkValue(t, l)
			}
		}

		// The segment-wise normalisation is NFKC.
		if utf8.ValidString(text) && !strings.ContainsAny(text, "º№") {
			var nb normBuf
			normalize(&nb, text)
			if want := norm.NFKC.String(text); string(nb.b) != want {
				t.Fatalf("normalize(%q) = %q, NFKC = %q", text, nb.b, want)
			}
		}
	})
}

// checkValue checks the shape of a normalised value.
func checkValue(t *testing.T, e Entity) {
	t.Helper()
	v := e.Value
	if v == "" {
		t.Fatalf("%+v: empty value", e)
	}
	if e.Kind != TrackingNumber && e.Carrier != "" || !allCarriers[e.Carrier] {
		t.Fatalf("%+v: bad carrier", e)
	}
	switch e.Kind {
	case OrderNumber:
		if len(v) < minOrderLen || len(v) > maxOrderLen || strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
			t.Fatalf("%+v: bad order number", e)
		}
	case TrackingNumber:
		if len(v) < 10 || strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
			t.Fatalf("%+v: bad tracking number", e)
		}
	case Phone:
		d := strings.TrimPrefix(v, "+")
		if len(d) < minPhoneDigits || len(d) > maxPhoneDigits || strings.Trim(d, "0123456789") != "" {
			t.Fatalf("%+v: bad phone", e)
		}
	case Email:
		at := strings.IndexByte(v, '@')
		if at <= 0 || at == len(v)-1 || !strings.Contains(v[at:], ".") || !utf8.ValidString(v) {
			t.Fatalf("%+v: bad email", e)
		}
		if dom := v[at+1:]; dom != strings.ToLower(dom) {
			t.Fatalf("%+v: domain not lower-case", e)
		}
	default:
		t.Fatalf("%+v: unknown kind", e)
	}
}

// TestNormalizeMatchesNFKC compares the segment-wise normalisation with
// norm.NFKC rune by rune over the planes in use, then on sequences with
// combining marks, Hangul jamo and full-width forms.
func TestNormalizeMatchesNFKC(t *testing.T) {
	var nb normBuf
	check := func(s string) {
		normalize(&nb, s)
		if want := norm.NFKC.String(s); string(nb.b) != want {
			t.Fatalf("normalize(%q) = %q, NFKC = %q", s, nb.b, want)
		}
	}
	for r := rune(0x80); r < 0x30000; r++ {
		if r == 'º' || r == '№' || !utf8.ValidRune(r) {
			continue
		}
		check(string(r))
	}
	for _, s := range []string{
		"e\u0301", "a\u0308\u0301x", "\u1100\u1161\u11a8", "한국어", "ﬁle", "①②", "ｶﾞ", "ｱｲｳ",
		"x" + strings.Repeat("\u0301", 40) + "y", "Å", "\u212b", "ǅ", "㍿", "½", "㎏",
	} {
		check(s)
	}
	normalize(&nb, "nº 1 №2")
	if string(nb.b) != "n° 1 n°2" {
		t.Errorf("ordinal and numero signs: %q", nb.b)
	}
}
