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
		// from before (en, es, pt, fr, de, zh)
		"order", "orders", "orderid", "purchase", "pedido", "pedidos", "orden", "compra", "encomenda", "commande", "commandes", "bestellung", "bestellungen", "bestellnummer", "bestell-nr", "auftrag", "auftragsnummer", "订单", "订单号", "订单号码", "订单编号", "单号", "訂單", "訂單號", "訂單號碼", "訂單編號", "單號",
		// en
		"order no", "order number", "order id", "ord", "ref", "reference",
		// es
		"nº pedido", "número de pedido", "numero de pedido", "no. de orden", "referencia",
		// pt
		"n° do pedido", "nº do pedido", "número do pedido", "numero do pedido", "ordem", "referência",
		// fr
		"cmd", "cde", "n° de commande", "numéro de commande", "numero de commande", "achat",
		// de
		"bestellnr", "best.-nr", "best.nr",
		// it
		"ordine", "ordini", "n. ordine", "numero ordine", "numero d'ordine", "ord.", "acquisto",
		// nl
		"bestelling", "bestellingen", "bestelnummer", "bestelnr", "bestel nr", "ordernummer", "ordernr", "order nr", "aankoop", "referentie",
		// pl
		"zamówienie", "zamowienie", "zamówienia", "zamowienia", "zamówieniu", "zamowieniu", "zamówieniem", "zamowieniem", "zam", "zam.", "zakup", "zakupu",
		// ru
		"заказ", "заказа", "заказу", "заказом", "заказе", "зак", "покупка", "покупки",
		// tr
		"sipariş", "siparis", "siparişim", "siparisim", "siparişimin", "siparisimin", "sipariş no", "siparis no", "sipariş numarası", "siparis numarasi", "sipariş numaram", "siparis numaram", "sip no",
		// ar
		"طلب", "الطلب", "طلبي", "للطلب", "بالطلب", "رقم الطلب", "رقم طلبي", "طلبية", "الطلبية", "طلبيتي", "الطلبيه", "اوردر", "أوردر", "الاوردر", "الأوردر", "كوموند", "الكوموند",
		// ja
		"注文", "注文番号", "ご注文", "ご注文番号", "注文no", "オーダー", "オーダー番号", "受注番号", "注文id", "ちゅうもん", "ちゅうもんばんごう",
		// ko
		"주문", "주문번호", "주문 번호", "주문건", "주문no", "오더", "오더번호", "구매번호",
		// id
		"pesanan", "pesanannya", "pesananku", "orderan", "orderannya", "no pesanan", "no. pesanan", "nomor pesanan", "nomer pesanan", "no order", "id pesanan", "kode pesanan", "no transaksi",
		// vi
		"đơn", "đơn hàng", "don", "don hang", "mã đơn", "ma don", "mã đơn hàng", "ma don hang", "đh", "dh",
		// th
		"ออเดอร์", "คำสั่งซื้อ", "หมายเลขคำสั่งซื้อ", "เลขคำสั่งซื้อ", "เลขที่คำสั่งซื้อ", "เลขออเดอร์", "เลขที่ออเดอร์", "รหัสคำสั่งซื้อ", "ออร์เดอร์",
	},
	TrackingNumber: {
		// from before (en, es, pt, fr, de, zh)
		"tracking", "track", "waybill", "awb", "seguimiento", "guía", "guia", "rastreo", "rastreio", "rastreamento", "suivi", "sendungsnummer", "sendungsverfolgung", "trackingnummer", "paketnummer", "运单号", "运单", "快递单号", "快递号", "物流单号", "物流号", "追踪号", "追踪号码", "跟踪号", "運單號", "運單", "快遞單號", "物流單號", "追蹤號", "追蹤號碼", "追蹤碼",
		// en
		"tracking number", "tracking no", "tracking code", "tracking id", "consignment", "consignment number", "parcel number",
		// es
		"número de seguimiento", "numero de seguimiento", "número de guía", "numero de guia", "código de envío", "codigo de envio", "localizador",
		// pt
		"código de rastreio", "codigo de rastreio", "código de rastreamento", "codigo de rastreamento", "rastrear", "código de postagem", "codigo de postagem", "objeto",
		// fr
		"numéro de suivi", "numero de suivi", "n° de suivi", "colis", "code de suivi", "lettre de transport",
		// de
		"tracking-nummer", "sendung", "paketverfolgung", "sendungs-nr", "identcode",
		// it
		"tracciamento", "codice di tracciamento", "numero di tracciamento", "spedizione", "numero di spedizione", "lettera di vettura", "ldv", "codice spedizione",
		// nl
		"track & trace", "track en trace", "track&trace", "t&t", "trackingcode", "trackcode", "zendingnummer", "zendingsnummer", "verzendnummer", "pakketnummer", "barcode", "volgnummer",
		// pl
		"przesyłka", "przesylka", "przesyłki", "przesylki", "przesyłkę", "przesylke", "list przewozowy", "listu przewozowego", "numer śledzenia", "numer sledzenia", "śledzenie", "sledzenie", "paczka", "paczki", "paczkę", "paczke",
		// ru
		"трек", "трек-номер", "трекномер", "трек-код", "трекинг", "номер отслеживания", "отслеживание", "шпи", "идентификатор", "накладная", "накладной", "отправление", "отправления", "посылка", "посылки",
		// tr
		"takip", "takip no", "takip numarası", "takip numarasi", "takip numaram", "takip kodu", "kargo takip", "kargo no", "kargo kodu", "gönderi no", "gonderi no", "gönderi kodu", "barkod",
		// ar
		"تتبع", "التتبع", "رقم التتبع", "رقم تتبع", "كود التتبع", "رقم الشحنة", "رقم الشحنه", "الشحنة", "الشحنه", "بوليصة", "البوليصة", "رقم البوليصة", "رقم البوليصه",
		// ja
		"追跡番号", "追跡", "追跡コード", "お問い合わせ伝票番号", "問い合わせ番号", "伝票番号", "送り状番号", "荷物番号", "トラッキング", "トラッキング番号", "トラッキングナンバー",
		// ko
		"송장번호", "송장", "운송장", "운송장번호", "운송장 번호", "송장 번호", "배송조회", "트래킹", "트래킹 번호", "추적번호", "등기번호",
		// zh-Hant
		"貨運單號", "配送單號",
		// id
		"resi", "resinya", "no resi", "no. resi", "nomor resi", "nomer resi", "noresi", "no tracking", "lacak", "no pengiriman", "nomor pengiriman", "no kiriman",
		// vi
		"mã vận đơn", "ma van don", "vận đơn", "van don", "mvđ", "mã tracking", "ma tracking", "mã theo dõi", "ma theo doi",
		// th
		"เลขพัสดุ", "เลขที่พัสดุ", "หมายเลขพัสดุ", "เลขแทร็ก", "เลขแทรค", "เลขติดตาม", "เลขติดตามพัสดุ", "หมายเลขติดตามพัสดุ", "แทร็ก", "แทรค", "แทร็กกิ้ง", "เลขแทร็กกิ้ง",
	},
	Phone: {
		// from before (en, es, pt, fr, de, zh)
		"phone", "telephone", "tel", "mobile", "cell", "cellphone", "call me", "text me", "whatsapp", "teléfono", "telefono", "celular", "móvil", "movil", "llámame", "llamame", "telefone", "téléphone", "tél", "portable", "telefon", "telefonnummer", "handy", "handynummer", "mobil", "mobilnummer", "电话", "手机", "電話", "手機",
		// en
		"phone number", "mobile number", "cell number", "call me on", "ph",
		// es
		"tlf", "cel", "wsp", "número de teléfono", "numero de telefono", "llámame al", "llamame al",
		// pt
		"fone", "whats", "zap", "número de telefone", "numero de telefone", "me liga no", "liga no",
		// fr
		"gsm", "natel", "cellulaire", "numéro de téléphone", "appelez-moi", "rappelez-moi",
		// de
		"rufnummer", "ruf mich an", "rufen sie mich an",
		// it
		"tel.", "cellulare", "numero di telefono", "recapito", "chiamatemi", "richiamatemi", "chiamami",
		// nl
		"telefoon", "telefoonnummer", "telefoonnr", "telnr", "gsm-nummer", "gsmnummer", "mobiel", "mobiel nummer", "mobiele nummer", "06-nummer", "bel me op", "bel mij op",
		// pl
		"telefonu", "komórka", "komorka", "komórki", "komorki", "komórkowy", "zadzwoń", "zadzwon", "zadzwońcie", "zadzwoncie", "oddzwońcie", "oddzwoncie",
		// ru
		"телефон", "телефона", "тел", "тел.", "мобильный", "мобильного", "сотовый", "позвоните", "перезвоните", "звоните", "наберите", "ватсап", "вотсап", "telegram", "телеграм",
		// tr
		"telefonum", "telefon numaram", "cep", "cep no", "cep telefonum", "beni arayın", "beni arayin",
		// ar
		"جوال", "جوالي", "رقم جوالي", "موبايل", "موبايلي", "رقمي", "تلفون", "تلفوني", "تليفون", "هاتف", "هاتفي", "رقم الهاتف", "واتساب", "واتس", "اتصلوا على", "كلموني على",
		// ja
		"電話番号", "でんわ", "でんわばんごう", "携帯", "携帯番号", "ケータイ", "連絡先",
		// ko
		"전화", "전화번호", "전번", "핸드폰", "핸드폰 번호", "휴대폰", "휴대폰 번호", "폰번호", "연락처",
		// zh
		"手机号", "手机号码", "电话号码", "联系电话", "联系方式",
		// zh-Hant
		"手機號碼", "電話號碼", "聯絡電話", "聯絡方式",
		// id
		"hp", "no hp", "no. hp", "nomor hp", "nomer hp", "wa", "no wa", "nomor wa", "telp", "no telp", "nomor telepon", "telepon", "telpon", "hubungi di", "hubungi ke",
		// vi
		"số điện thoại", "so dien thoai", "điện thoại", "dien thoai", "sđt", "sdt", "số đt", "so dt", "đt", "zalo", "gọi cho mình", "goi cho minh", "gọi lại", "goi lai",
		// th
		"เบอร์", "เบอร์โทร", "เบอร์โทรศัพท์", "เบอร์มือถือ", "หมายเลขโทรศัพท์", "โทร", "มือถือ", "โทรศัพท์",
	},
}

// fillers may stand between a keyword and its value: "order number is
// #12345", "número de pedido: 12345", "订单号是：123456".
var fillerWords = []string{
	// from before (en, es, pt, fr, de, zh)
	"is", "was", "number", "num", "no", "nr", "id", "my", "the", "it's", "it’s", "its", "at", "on", "code", "ref", "es", "era", "fue", "de", "del", "mi", "el", "la", "al", "número", "numero", "núm", "nro", "n°", "é", "o", "do", "da", "meu", "minha", "est", "du", "le", "ma", "mon", "numéro", "ist", "war", "nummer", "lautet", "die", "der", "mit", "meine", "是", "为", "為", "号", "號", "号码", "號碼", "编号", "編號", "码", "碼", "的",
	// en
	"no.", "#", ":", "=", "for",
	// es
	"nº", "es el", "n",
	// pt
	"n.", "e", "é o",
	// fr
	"c'est", "était", "etait", "réf",
	// de
	"mein", "meiner", "von", "zu", "zur", "nämlich",
	// it
	"è", "e'", "il", "lo", "mio", "mia", "dello", "della", "di", "d'", "codice", "cod",
	// nl
	"nr.", "mijn", "mn", "m'n", "het", "van", "op", "luidt",
	// pl
	"numer", "numerze", "numerem", "to", "jest", "mój", "moj", "moje", "mojego", "mojej", "mam", "pod", "na", "kod",
	// ru
	"номер", "номера", "№", "это", "мой", "моего", "моему", "моя", "мою", "у", "по", "на", "вот", "код", "—",
	// tr
	"no:", "numarası", "numarasi", "numaram", "numara", "numaralı", "numarali", "nolu", "kodu", "kodum", "benim", "şu", "su", "şöyle", "soyle",
	// ar
	"رقم", "الرقم", "رقمه", "رقمها", "هو", "هي", "بتاعي", "بتاعى", "حقي", "تبعي", "ديالي", "متاعي", "نمبر",
	// ja
	"は", "の", "が", "番号", "ばんごう", "ナンバー", "です", "って", "：", "＃", "＝",
	// ko
	"번호", "는", "은", "이", "가", "제", "내", "저의", "번호는", "넘버", "입니다", "이에요", "예요", "요",
	// zh
	"我的", "是：",
	// zh-Hant
	"係", "嘅",
	// id
	"nomor", "nomer", "nya", "saya", "sy", "aku", "ku", "gw", "gue", "adalah", "yaitu", "yg", "yang", "ini", "itu", "kak",
	// vi
	"là", "số", "so", "của", "cua", "mình", "minh", "tôi", "toi", "em", "hàng", "hang", "mã", "nè", "ne",
	// th
	"คือ", "เลข", "เลขที่", "หมายเลข", "ของ", "ฉัน", "ผม", "ดิฉัน", "หนู", "เรา", "ที่",
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
