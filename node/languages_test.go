package node

import (
	"strings"
	"testing"

	"github.com/edgedesk/edgedesk/node/convo"
)

// trackOrder is "where is my order 48213" as a customer of each language
// of the default model writes it, with the locale of their browser.
var trackOrder = []struct{ locale, lang, text string }{
	{"en-US", "en", "where is my order 48213"},
	{"es-ES", "es", "dónde está mi pedido 48213"},
	{"pt-BR", "pt", "cadê meu pedido 48213"},
	{"fr-FR", "fr", "où est ma commande 48213"},
	{"de-DE", "de", "wo ist meine Bestellung 48213"},
	{"it-IT", "it", "dov'è il mio ordine 48213"},
	{"nl-NL", "nl", "waar blijft mijn bestelling 48213"},
	{"pl-PL", "pl", "gdzie jest moje zamówienie 48213"},
	{"ru-RU", "ru", "где мой заказ 48213"},
	{"tr-TR", "tr", "48213 numaralı siparişim nerede"},
	{"ar-SA", "ar", "وين طلبي رقم 48213"},
	{"ja-JP", "ja", "注文番号48213の荷物はどこですか？"},
	{"ko-KR", "ko", "주문번호 48213 어디쯤 왔어요?"},
	{"zh-CN", "zh", "我的订单48213到哪了"},
	{"zh-TW", "zh-Hant", "我的訂單48213到哪了"},
	{"id-ID", "id", "pesanan saya 48213 dimana ya kak"},
	{"vi-VN", "vi", "đơn hàng 48213 của mình đâu rồi"},
	{"th-TH", "th", "ออเดอร์ 48213 ถึงไหนแล้วคะ"},
}

// TestTrackOrderInEveryLanguage: over a real WebSocket, a customer of
// each of the 18 languages asks where order 48213 is and gets the demo
// FAQ's track_order answer in their language with the number filled in.
func TestTrackOrderInEveryLanguage(t *testing.T) {
	_, base, _ := startNode(t)
	for _, tc := range trackOrder {
		t.Run(tc.lang, func(t *testing.T) {
			ws, _ := dialWidget(t, base, map[string]any{"locale": tc.locale, "tz": "UTC"})
			_, answers := ask(t, ws, "q1", tc.text, false)
			a := answers[0]
			if a.Intent != "track_order" || a.Lang != tc.lang {
				t.Fatalf("%q: answer intent %q in %q, want track_order in %s: %q", tc.text, a.Intent, a.Lang, tc.lang, a.Text)
			}
			want := demoAnswer(t, "track_order", tc.lang, map[string]string{"order_number": "48213"})
			if a.Text != want || !strings.Contains(a.Text, "48213") {
				t.Fatalf("answer text\n got %q\nwant %q", a.Text, want)
			}
		})
	}
}

// TestUnsupportedLanguageNotUnderstood: text in a language the default
// model does not cover, in a script it has never seen, or mixing scripts
// gets no confident intent: the bot's fallback (and, the second time, a
// person).
func TestUnsupportedLanguageNotUnderstood(t *testing.T) {
	_, base, _ := startNode(t)
	for _, tc := range []struct{ name, locale, text string }{
		{"Armenian", "hy-AM", "Որտե՞ղ է իմ պատվերը 48213"},
		{"Amharic", "am-ET", "ትዕዛዜ 48213 የት ነው ያለው?"},
		{"Sinhala", "si-LK", "මගේ ඇණවුම 48213 කොහෙද?"},
		{"Hindi", "hi-IN", "मेरा ऑर्डर 48213 कहाँ है?"},
		{"Greek", "el-GR", "πού είναι η παραγγελία μου 48213;"},
		{"Georgian in an English browser", "en-US", "სად არის ჩემი შეკვეთა 48213?"},
		{"mixed scripts", "en-US", "Որտե՞ղ ትዕዛዜ මගේ order"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws, _ := dialWidget(t, base, map[string]any{"locale": tc.locale})
			_, answers := ask(t, ws, "u1", tc.text, false)
			a := answers[0]
			if a.Intent != "" && a.Intent != "oos" {
				t.Fatalf("%q: confident intent %q (%.2f): %q", tc.text, a.Intent, a.Confidence, a.Text)
			}
			// None of these locales has answers: the merchant's default.
			if want := demoAnswer(t, convo.TextFallback, "en", nil); a.Text != want {
				t.Fatalf("%q: answered %q, want the fallback %q", tc.text, a.Text, want)
			}
		})
	}
}
