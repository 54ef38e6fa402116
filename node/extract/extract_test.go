package extract

import (
	"fmt"
	"strings"
	"testing"
)

// want is one expected entity. span is the expected text[Start:End]; it is
// checked when not empty.
type want struct {
	kind    Kind
	value   string
	span    string
	carrier string
}

func order(v, span string) want { return want{kind: OrderNumber, value: v, span: span} }
func track(v, span, carrier string) want {
	return want{kind: TrackingNumber, value: v, span: span, carrier: carrier}
}
func email(v, span string) want { return want{kind: Email, value: v, span: span} }
func phone(v, span string) want { return want{kind: Phone, value: v, span: span} }

var allCases = []struct {
	name string
	text string
	want []want
}{
	// Order numbers, English.
	{"en hash", "Where is my order #12345?", []want{order("12345", "12345")}},
	{"en order number is", "My order number is 98765, thanks", []want{order("98765", "98765")}},
	{"en order no dot", "Order No. AB-12345 hasn't arrived", []want{order("AB-12345", "AB-12345")}},
	{"en order id lower", "my order id: ord-2024-0042", []want{order("ORD-2024-0042", "ord-2024-0042")}},
	{"en order# glued", "ORDER#555123", []want{order("555123", "555123")}},
	{"en purchase", "about my purchase 77812", []want{order("77812", "77812")}},
	{"en bare hash alnum", "#A1B2C3 is late", []want{order("A1B2C3", "A1B2C3")}},
	{"en No prefix", "No. 123456 please", []want{order("123456", "123456")}},
	{"en orders plural", "orders 1234 and 5678", []want{order("1234", "1234")}},
	{"en order was", "the order was 4455-66", []want{order("4455-66", "4455-66")}},
	{"en trailing hyphen", "order 12345- ok", []want{order("12345", "12345")}},
	// Spanish.
	{"es pedido es el", "Hola, mi pedido es el 45678", []want{order("45678", "45678")}},
	{"es numero de pedido", "número de pedido: A-1234-5678", []want{order("A-1234-5678", "A-1234-5678")}},
	{"es orden hash", "Mi orden #778899 no llegó", []want{order("778899", "778899")}},
	{"es compra", "la compra 123456 no ha llegado", []want{order("123456", "123456")}},
	{"es pedido nº", "pedido nº 98765", []want{order("98765", "98765")}},
	{"es upper case", "PEDIDO: 55-12-34-99", []want{order("55-12-34-99", "55-12-34-99")}},
	// Portuguese.
	{"pt encomenda é", "O número da minha encomenda é 445566", []want{order("445566", "445566")}},
	{"pt meu pedido", "meu pedido 123987 atrasou", []want{order("123987", "123987")}},
	// French.
	{"fr commande n°", "Ma commande n° 98765", []want{order("98765", "98765")}},
	{"fr numero de commande", "numéro de commande : 2024ABC55", []want{order("2024ABC55", "2024ABC55")}},
	// German.
	{"de Bestellnummer", "Bestellnummer: 55512345", []want{order("55512345", "55512345")}},
	{"de Bestellung Nr.", "Meine Bestellung Nr. 778899 ist nicht da", []want{order("778899", "778899")}},
	{"de Auftrag", "Auftrag 4711-0815", []want{order("4711-0815", "4711-0815")}},
	{"de Bestell-Nr", "Bestell-Nr. 300012345", []want{order("300012345", "300012345")}},
	{"en keyword far", "the order number for my last purchase 12345", []want{order("12345", "12345")}},
	{"zh-hant mobile", "手機號碼：0912-345-678", []want{phone("0912345678", "0912-345-678")}},
	// Chinese.
	{"zh no spaces", "我的订单123456在哪里", []want{order("123456", "123456")}},
	{"zh fullwidth colon", "订单号：123456", []want{order("123456", "123456")}},
	{"zh shi", "订单号是123456", []want{order("123456", "123456")}},
	{"zh-hant", "訂單號：AB12345", []want{order("AB12345", "AB12345")}},
	{"zh danhao", "单号 778899 还没到", []want{order("778899", "778899")}},
	{"zh fullwidth digits", "订单号：１２３４５６", []want{order("123456", "１２３４５６")}},
	{"zh fullwidth hash", "＃１２３４５", []want{order("12345", "１２３４５")}},
	{"zh order and phone", "订单号：123456，电话：13800138000", []want{order("123456", "123456"), phone("13800138000", "13800138000")}},
	{"zh numero sign", "№12345", []want{order("12345", "12345")}},

	// Tracking numbers.
	{"ups", "UPS 1Z879E930346834440 please", []want{track("1Z879E930346834440", "1Z879E930346834440", CarrierUPS)}},
	{"ups spaced", "it's 1Z 5R8 939 03 5756 7127.", []want{track("1Z5R89390357567127", "1Z 5R8 939 03 5756 7127", CarrierUPS)}},
	{"ups lower", "1z879e930346834440", []want{track("1Z879E930346834440", "1z879e930346834440", CarrierUPS)}},
	{"usps spaced", "usps 9400 1112 0108 0805 4830 16 thanks", []want{track("9400111201080805483016", "9400 1112 0108 0805 4830 16", CarrierUSPS)}},
	{"usps es", "mi número de seguimiento es 9405803699300124287899", []want{track("9405803699300124287899", "9405803699300124287899", CarrierUSPS)}},
	{"fedex 96", "9611020987654312345672", []want{track("9611020987654312345672", "", CarrierFedEx)}},
	{"s10", "RR123456785CN please", []want{track("RR123456785CN", "RR123456785CN", CarrierUPU)}},
	{"s10 lower", "my parcel rb123456785gb", []want{track("RB123456785GB", "rb123456785gb", CarrierUPU)}},
	{"sf after han", "顺丰SF1234567890123到了吗", []want{track("SF1234567890123", "SF1234567890123", CarrierSF)}},
	{"yunexpress", "YT2229521272164446", []want{track("YT2229521272164446", "", CarrierYunExpress)}},
	{"kw fedex express", "tracking number 986578788855", []want{track("986578788855", "986578788855", CarrierFedEx)}},
	{"kw dhl", "Sendungsnummer: 3318810025", []want{track("3318810025", "3318810025", CarrierDHL)}},
	{"kw unknown carrier", "运单号：1234567890", []want{track("1234567890", "1234567890", "")}},
	{"kw fedex ground", "快递单号 568283610012000", []want{track("568283610012000", "", CarrierFedEx)}},
	{"kw alnum", "suivi LP00123456789012", []want{track("LP00123456789012", "LP00123456789012", "")}},
	{"kw zh-hant", "追蹤號碼：YT2229521272164446", []want{track("YT2229521272164446", "", CarrierYunExpress)}},
	{"kw rastreio", "código de rastreio é 9405803699300124287899", []want{track("9405803699300124287899", "", CarrierUSPS)}},
	{"tracking after order keyword", "order 1Z879E930346834440", []want{track("1Z879E930346834440", "", CarrierUPS)}},
	{"tracking after hash", "#RR123456785CN", []want{track("RR123456785CN", "RR123456785CN", CarrierUPU)}},

	// Emails.
	{"email trailing dot", "mail: John.Doe@Example.COM.", []want{email("John.Doe@example.com", "John.Doe@Example.COM")}},
	{"email parens", "(jane+shop@mail.co.uk)", []want{email("jane+shop@mail.co.uk", "jane+shop@mail.co.uk")}},
	{"email qq digits", "邮箱12345678@qq.com谢谢", []want{email("12345678@qq.com", "12345678@qq.com")}},
	{"email es comma", "correo: usuario@dominio.es, gracias", []want{email("usuario@dominio.es", "usuario@dominio.es")}},
	{"email idn han", "写信到 info@例子.中国。", []want{email("info@例子.中国", "info@例子.中国")}},
	{"email idn latin", "contact: hans@Müller.de", []want{email("hans@müller.de", "hans@Müller.de")}},
	{"email fullwidth at", "abc＠example.com", []want{email("abc@example.com", "abc＠example.com")}},
	{"email keyword local part", "order@shop.com", []want{email("order@shop.com", "order@shop.com")}},
	{"email mobile local part", "13800138000@163.com", []want{email("13800138000@163.com", "")}},
	{"email then order", "a.b@c.io order 12345", []want{email("a.b@c.io", ""), order("12345", "")}},

	// Phones.
	{"phone us", "Call +1 (555) 123-4567.", []want{phone("+15551234567", "+1 (555) 123-4567")}},
	{"phone uk", "+44 20 7946 0958", []want{phone("+442079460958", "+44 20 7946 0958")}},
	{"phone cn intl", "+86 138 0013 8000", []want{phone("+8613800138000", "+86 138 0013 8000")}},
	{"phone mx", "mi cel +52 55 1234 5678", []want{phone("+525512345678", "+52 55 1234 5678")}},
	{"phone 00", "0044 20 7946 0958", []want{phone("+442079460958", "0044 20 7946 0958")}},
	{"phone call me at", "Call me at 555-123-4567", []want{phone("5551234567", "555-123-4567")}},
	{"phone telefono", "teléfono: 55 1234 5678", []want{phone("5512345678", "55 1234 5678")}},
	{"phone zh landline", "电话：010-12345678", []want{phone("01012345678", "010-12345678")}},
	{"phone zh mobile kw", "手机号是13800138000", []want{phone("13800138000", "13800138000")}},
	{"phone zh mobile bare", "我的号码13800138000", []want{phone("13800138000", "13800138000")}},
	{"phone de", "Telefon: 030 12345678", []want{phone("03012345678", "030 12345678")}},
	{"phone fr", "téléphone : 06 12 34 56 78", []want{phone("0612345678", "06 12 34 56 78")}},
	{"phone celular", "celular 5512345678", []want{phone("5512345678", "5512345678")}},
	{"phone trunk zero", "+44 (0)20 7946 0958", []want{phone("+442079460958", "+44 (0)20 7946 0958")}},
	{"phone contiguous", "+8613800138000", []want{phone("+8613800138000", "+8613800138000")}},
	{"phone cn spaced", "138 0013 8000", []want{phone("13800138000", "138 0013 8000")}},
	{"phone fullwidth", "手机：１３８００１３８０００", []want{phone("13800138000", "１３８００１３８０００")}},
	{"phone then time", "call me at 555 1234 10:30", []want{phone("5551234", "555 1234")}},
	{"phone then quantity", "+86 13800138000 2 items", []want{phone("+8613800138000", "+86 13800138000")}},
	{"phone mx mobile 1", "whatsapp +52 1 55 1234 5678", []want{phone("+5215512345678", "+52 1 55 1234 5678")}},
	{"phone parens national", "电话：(010) 1234-5678", []want{phone("01012345678", "(010) 1234-5678")}},
	{"phone handy", "Handy: 0171 1234567", []want{phone("01711234567", "0171 1234567")}},
	{"phone upper accents", "TELÉFONO 55 1234 5678", []want{phone("5512345678", "")}},

	// Several.
	{"mixed", "Order #12345, tracking 1Z879E930346834440, email a@b.com, phone +1 555 123 4567",
		[]want{order("12345", ""), track("1Z879E930346834440", "", CarrierUPS), email("a@b.com", ""), phone("+15551234567", "+1 555 123 4567")}},
	{"mixed zh", "订单123456的运单号是SF1234567890123，手机13800138000",
		[]want{order("123456", ""), track("SF1234567890123", "", CarrierSF), phone("13800138000", "")}},

	// Never extracted: dates, times, amounts, quantities, near misses.
	{"neg date time price", "I paid $1,234.56 on 2024-05-01 at 10:30", nil},
	{"neg eu price", "Total 1.234,56 € for 3 items", nil},
	{"neg order date", "order 2024-05-01", nil},
	{"neg order slash date", "order 01/05/2024 arrived", nil},
	{"neg order of", "my order of 5 shirts", nil},
	{"neg pedido price", "pedido de 1.234,56 €", nil},
	{"neg zh date", "订单2024年5月1日", nil},
	{"neg order quantity", "I want to order 5000 pcs", nil},
	{"neg order amount word", "order total $1234", nil},
	{"neg order currency", "order €1234", nil},
	{"neg order amount after", "pedido 1234 euros", nil},
	{"neg order yuan", "订单 1234元", nil},
	{"neg order decimal", "order 1234.56", nil},
	{"neg usd", "Price: USD 12345678", nil},
	{"neg time", "call me at 10:30", nil},
	{"neg short phone", "phone 12345", nil},
	{"neg s10 check", "RR123456784CN", nil},
	{"neg ups check", "1Z879E930346834441", nil},
	{"neg usps check", "9400 1112 0108 0805 4830 17", nil},
	{"neg short tracking", "tracking 1234", nil},
	{"neg bare fedex", "123456789012", nil},
	{"neg bare dhl", "3318810025", nil},
	{"neg border", "The border 12345", nil},
	{"neg ordered", "I ordered 12345 units", nil},
	{"neg hotel", "hotel 5551234567", nil},
	{"neg product", "iPhone 15 Pro Max 256GB", nil},
	{"neg version", "Version 2.0.1 released 2023", nil},
	{"neg room", "Room 1234, floor 5", nil},
	{"neg plus short", "+1 2", nil},
	{"neg long digits", "13800138000123", nil},
	{"neg no dot domain", "john@localhost", nil},
	{"neg one letter tld", "a@b.c", nil},
	{"neg order too long", "order 12345678901234567890123456", nil},
	{"neg zero padded", "0012345678", nil},
	{"neg arithmetic", "2+12345678", nil},
	{"neg percent", "order 1000%", nil},
	{"neg ip", "tel 192.168.1.1", nil},
	{"neg empty", "", nil},
	{"neg chinese chat", "你好，请问什么时候发货？", nil},
}

func TestAll(t *testing.T) {
	for _, tc := range allCases {
		t.Run(tc.name, func(t *testing.T) {
			got := All(tc.text)
			if len(got) != len(tc.want) {
				t.Fatalf("All(%q) = %s, want %d entities", tc.text, describe(tc.text, got), len(tc.want))
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Kind != w.kind || g.Value != w.value || g.Carrier != w.carrier {
					t.Errorf("All(%q)[%d] = %s, want %s %q carrier %q", tc.text, i, describe(tc.text, got[i:i+1]), w.kind, w.value, w.carrier)
				}
				if w.span != "" && tc.text[g.Start:g.End] != w.span {
					t.Errorf("All(%q)[%d] span %q, want %q", tc.text, i, tc.text[g.Start:g.End], w.span)
				}
			}
		})
	}
}

func describe(text string, es []Entity) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, e := range es {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %q carrier %q span %q", e.Kind, e.Value, e.Carrier, text[e.Start:e.End])
	}
	b.WriteByte(']')
	return b.String()
}

func TestFirst(t *testing.T) {
	text := "Order #12345, tracking 1Z879E930346834440, email a@b.com, phone +1 555 123 4567, order 67890"
	tests := []struct {
		kind Kind
		want string
	}{
		{OrderNumber, "12345"},
		{TrackingNumber, "1Z879E930346834440"},
		{Email, "a@b.com"},
		{Phone, "+15551234567"},
	}
	for _, tc := range tests {
		e, ok := First(text, tc.kind)
		if !ok || e.Value != tc.want || e.Kind != tc.kind {
			t.Errorf("First(%s) = %+v, %v; want %q", tc.kind, e, ok, tc.want)
		}
	}
	if e, ok := First("nothing here", OrderNumber); ok {
		t.Errorf("First on a text without entities = %+v", e)
	}
	if e, ok := First(text, Kind("unknown")); ok {
		t.Errorf("First of an unknown kind = %+v", e)
	}
}

func TestAppendAllReuses(t *testing.T) {
	buf := make([]Entity, 0, 8)
	buf = AppendAll(buf, "order #12345 and #67890")
	if len(buf) != 2 {
		t.Fatalf("got %d entities", len(buf))
	}
	buf = AppendAll(buf[:0], "nothing")
	if len(buf) != 0 {
		t.Fatalf("got %d entities after reuse", len(buf))
	}
	prefix := []Entity{{Kind: Email, Value: "x@y.zz"}}
	out := AppendAll(prefix, "#12345")
	if len(out) != 2 || out[0].Value != "x@y.zz" || out[1].Value != "12345" {
		t.Fatalf("AppendAll did not append: %+v", out)
	}
}

// TestAllocs keeps the hot path honest: AppendAll into a slice with room
// allocates nothing for ASCII and already-normalised messages whose values
// are substrings of the text.
func TestAllocs(t *testing.T) {
	texts := []string{
		benchOrderMessage,
		benchEmptyMessage,
		benchNegativeMessage,
		"我的订单123456在哪里",
		"UPS 1Z879E930346834440 and email john@example.com",
	}
	buf := make([]Entity, 0, 8)
	for _, text := range texts {
		n := testing.AllocsPerRun(100, func() {
			buf = AppendAll(buf[:0], text)
		})
		if n != 0 {
			t.Errorf("AppendAll(%q) allocates %v times per run", text, n)
		}
	}
	// A text that needs NFKC normalises into a pooled buffer; only values
	// spelled differently in the original (here "１２３４５６") are copied.
	if !raceEnabled {
		n := testing.AllocsPerRun(100, func() {
			buf = AppendAll(buf[:0], "订单号：１２３４５６")
		})
		if n > 1 {
			t.Errorf("AppendAll on full-width text allocates %v times per run, want ≤ 1", n)
		}
		n = testing.AllocsPerRun(100, func() {
			buf = AppendAll(buf[:0], "订单号：123456")
		})
		if n != 0 {
			t.Errorf("AppendAll on normalised text with an ASCII value allocates %v times per run", n)
		}
	}
	n := testing.AllocsPerRun(100, func() {
		_, _ = First(benchOrderMessage, OrderNumber)
	})
	if n != 0 {
		t.Errorf("First allocates %v times per run", n)
	}
}

// TestOffsetsOriginal checks that spans index the original text when it was
// normalised, for every kind.
func TestOffsetsOriginal(t *testing.T) {
	text := "ｏｒｄｅｒ ＃Ａ１２３４ 邮箱ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ 电话 ＋８６ １３８ ００１３ ８０００ ＲＲ１２３４５６７８５ＣＮ"
	got := All(text)
	wantSpans := []string{"Ａ１２３４", "ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ", "＋８６ １３８ ００１３ ８０００", "ＲＲ１２３４５６７８５ＣＮ"}
	wantValues := []string{"A1234", "john@example.com", "+8613800138000", "RR123456785CN"}
	if len(got) != len(wantSpans) {
		t.Fatalf("All = %s", describe(text, got))
	}
	for i := range got {
		if s := text[got[i].Start:got[i].End]; s != wantSpans[i] || got[i].Value != wantValues[i] {
			t.Errorf("entity %d: value %q span %q, want %q %q", i, got[i].Value, s, wantValues[i], wantSpans[i])
		}
	}
}

func TestNormalizeSegments(t *testing.T) {
	// A combining accent joins the letter before it; offsets stay on rune
	// boundaries of the original.
	text := "pedido\u0301 nu\u0301mero 12345 ｜ café 12345"
	var nb normBuf
	normalize(&nb, text)
	if len(nb.offs) != len(nb.b)+1 || int(nb.offs[len(nb.b)]) != len(text) {
		t.Fatalf("offset map has %d entries for %d bytes", len(nb.offs), len(nb.b))
	}
	for j := 1; j < len(nb.offs); j++ {
		if nb.offs[j] < nb.offs[j-1] {
			t.Fatalf("offsets decrease at %d", j)
		}
	}
	if got, want := string(nb.b), "pedidó número 12345 | café 12345"; got != want {
		t.Errorf("normalize = %q, want %q", got, want)
	}
}
