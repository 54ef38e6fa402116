package extract

import (
	"sort"
	"unicode/utf8"
)

// keywords announce the value that follows them. They are matched
// case-insensitively. Words of space-separated languages must stand alone
// (no letter of the same script right before or after); words of Chinese
// need no boundary. At one position the longest keyword wins, so "订单号"
// is not read as "订单" followed by "号".
var keywords = map[Kind][]string{
	OrderNumber: {
		// en
		"order", "orders", "orderid", "purchase",
		// es
		"pedido", "pedidos", "orden", "compra",
		// pt
		"encomenda",
		// fr
		"commande", "commandes",
		// de
		"bestellung", "bestellungen", "bestellnummer", "bestell-nr", "auftrag", "auftragsnummer",
		// zh (simplified, traditional)
		"订单", "订单号", "订单号码", "订单编号", "单号",
		"訂單", "訂單號", "訂單號碼", "訂單編號", "單號",
	},
	TrackingNumber: {
		// en
		"tracking", "track", "waybill", "awb",
		// es
		"seguimiento", "guía", "guia", "rastreo",
		// pt
		"rastreio", "rastreamento",
		// fr
		"suivi",
		// de
		"sendungsnummer", "sendungsverfolgung", "trackingnummer", "paketnummer",
		// zh
		"运单号", "运单", "快递单号", "快递号", "物流单号", "物流号", "追踪号", "追踪号码", "跟踪号",
		"運單號", "運單", "快遞單號", "物流單號", "追蹤號", "追蹤號碼", "追蹤碼",
	},
	Phone: {
		// en
		"phone", "telephone", "tel", "mobile", "cell", "cellphone", "call me", "text me", "whatsapp",
		// es
		"teléfono", "telefono", "celular", "móvil", "movil", "llámame", "llamame",
		// pt
		"telefone",
		// fr
		"téléphone", "tél", "portable",
		// de
		"telefon", "telefonnummer", "handy", "handynummer", "mobil", "mobilnummer",
		// zh
		"电话", "手机", "電話", "手機",
	},
}

// fillers may stand between a keyword and its value: "order number is
// #12345", "número de pedido: 12345", "订单号是：123456".
var fillerWords = []string{
	// en
	"is", "was", "number", "num", "no", "nr", "id", "my", "the", "it's", "it’s", "its", "at", "on", "code", "ref",
	// es / pt
	"es", "era", "fue", "de", "del", "mi", "el", "la", "al", "número", "numero", "núm", "nro", "n°",
	"é", "o", "do", "da", "meu", "minha",
	// fr
	"est", "du", "le", "ma", "mon", "numéro",
	// de
	"ist", "war", "nummer", "lautet", "die", "der", "mit", "meine",
	// zh
	"是", "为", "為", "号", "號", "号码", "號碼", "编号", "編號", "码", "碼", "的",
}

type keyword struct {
	text string // lower case
	kind Kind
	wide bool // Chinese: no word boundary needed
}

// kwIndex holds the keywords by their first byte, longest first.
var kwIndex, fillerIndex = buildIndexes()

func buildIndexes() (kw, fill [256][]keyword) {
	add := func(t *[256][]keyword, text string, k Kind) {
		r, _ := utf8.DecodeRuneInString(text)
		t[text[0]] = append(t[text[0]], keyword{text: text, kind: k, wide: isWide(r)})
	}
	for k, words := range keywords {
		for _, w := range words {
			add(&kw, w, k)
		}
	}
	for _, w := range fillerWords {
		add(&fill, w, "")
	}
	for _, t := range []*[256][]keyword{&kw, &fill} {
		for i := range t {
			sort.SliceStable(t[i], func(a, b int) bool {
				if len(t[i][a].text) != len(t[i][b].text) {
					return len(t[i][a].text) > len(t[i][b].text)
				}
				return t[i][a].text < t[i][b].text
			})
		}
	}
	return kw, fill
}

// matchWord finds the longest word of index at s[i:] that stands alone and
// returns its kind and end, or end 0.
func matchWord(index *[256][]keyword, s string, i int) (Kind, int) {
	list := index[lower(s[i])]
	if len(list) == 0 {
		return "", 0
	}
	latinStart := prevIsWordLetter(s, i)
	var c1 byte // the second byte, lower-cased: a cheap filter before hasPrefixFold
	if i+1 < len(s) {
		c1 = lower(s[i+1])
	}
	for _, kw := range list {
		if !kw.wide && latinStart || len(kw.text) > 1 && kw.text[1] != c1 {
			continue
		}
		end, ok := hasPrefixFold(s, i, kw.text)
		if !ok {
			continue
		}
		if !kw.wide && nextIsWordLetter(s, end) {
			continue
		}
		return kw.kind, end
	}
	return "", 0
}

// matchKeyword returns the kind of the keyword at s[i:] and its end.
func matchKeyword(s string, i int) (Kind, int) {
	return matchWord(&kwIndex, s, i)
}

// Limits on what may stand between a keyword and its value.
const (
	maxFillers   = 6
	maxFillerGap = 40 // bytes
)

// skipFillers skips spaces, punctuation and filler words after a keyword
// ending at i and returns where the value should start.
func skipFillers(s string, i int) int {
	start := i
	for n := 0; n < maxFillers && i < len(s) && i-start <= maxFillerGap; {
		switch s[i] {
		case ' ', '\t', ':', '#', '=', '-', '.', ',':
			i++
			continue
		}
		_, end := matchWord(&fillerIndex, s, i)
		if end == 0 {
			break
		}
		i = end
		n++
	}
	return i
}
