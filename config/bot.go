package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Bot configures the bot that answers customers from the FAQ, runs flows
// and hands conversations to people.
type Bot struct {
	// Enabled answers customer messages (it needs model.enabled).
	Enabled bool `yaml:"enabled"`
	// DefaultLanguage is the merchant's language (BCP 47): the last step
	// of every customer's language fallback chain.
	DefaultLanguage string `yaml:"default_language"`
	// LanguageFallback adds languages to try after a tag and its parents,
	// for example {es-MX: [es-419], pt-BR: [es]}.
	LanguageFallback map[string][]string `yaml:"language_fallback"`
	// HandoffIntents are the intents that ask for a person.
	HandoffIntents []string `yaml:"handoff_intents"`
	// EscalateAfterNotUnderstood hands the chat to a person after this
	// many messages in a row the model did not understand (0: never).
	EscalateAfterNotUnderstood int `yaml:"escalate_after_not_understood"`
	// EscalateOnNegative hands the chat to a person on a strongly
	// negative message (the sentiment signal in docs/MODEL.md).
	EscalateOnNegative bool `yaml:"escalate_on_negative"`
	// EscalateOnAbandon hands the chat to a person when the customer
	// abandons a flow (cancels it or fails a step max_attempts times).
	EscalateOnAbandon bool `yaml:"escalate_on_abandon"`
	// Flows are the multi-turn conversations the bot runs.
	Flows []Flow `yaml:"flows"`
}

// Flow is a small state machine: when a message's intent is one of
// Intents, the bot asks each step's question in turn, checks the answer,
// and at the end says Done and emits Event.
type Flow struct {
	Name    string   `yaml:"name"`
	Intents []string `yaml:"intents"`
	// Timeout: a flow idle this long lapses; the customer's next message
	// is told so and handled afresh.
	Timeout time.Duration `yaml:"timeout"`
	// MaxAttempts is how many answers that do not fit one step the bot
	// takes before the flow counts as abandoned.
	MaxAttempts int `yaml:"max_attempts"`
	// Event names the note emitted when the flow completes (it carries the
	// flow's slots), for the core to act on.
	Event string `yaml:"event"`
	Steps []Step `yaml:"steps"`
	// Done is said when the flow completes: language → template (slots as
	// variables, e.g. {{order_number}}).
	Done map[string]string `yaml:"done"`
}

// Step asks for one slot.
type Step struct {
	// Slot names the value; later texts use it as {{slot}}.
	Slot string `yaml:"slot"`
	// Kind is what fits: order_number, tracking_number, email, phone
	// (found by the extractors), text (any answer), choice (one of
	// Options), confirm (yes or no; no cancels the flow).
	Kind string `yaml:"kind"`
	// Prompt asks for the slot: language → template.
	Prompt map[string]string `yaml:"prompt"`
	// Retry is said when an answer does not fit (default: Prompt again).
	Retry map[string]string `yaml:"retry"`
	// Options are offered as quick replies: language → list. A choice step
	// accepts only these.
	Options map[string][]string `yaml:"options"`
}

// FAQ configures the FAQ store (data_dir/faq.db).
type FAQ struct {
	// Seed is imported when the store has never had an import: "demo"
	// (the built-in demo FAQ, in the default model's 18 languages), a .jsonl or
	// .csv file, or "" for none.
	Seed string `yaml:"seed"`
}

// StepKinds are the kinds a flow step may have.
var StepKinds = []string{"order_number", "tracking_number", "email", "phone", "text", "choice", "confirm"}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

func defaultBot() Bot {
	return Bot{
		Enabled:                    true,
		DefaultLanguage:            "en",
		HandoffIntents:             []string{"talk_to_human"},
		EscalateAfterNotUnderstood: 2,
		EscalateOnNegative:         true,
		EscalateOnAbandon:          true,
		Flows:                      []Flow{defaultReturnFlow()},
	}
}

// defaultReturnFlow is the demo return/refund flow of the default model.
func defaultReturnFlow() Flow {
	return Flow{
		Name:        "return_refund",
		Intents:     []string{"return_refund"},
		Timeout:     30 * time.Minute,
		MaxAttempts: 3,
		Event:       "return_requested",
		Steps: []Step{
			{
				Slot: "order_number", Kind: "order_number",
				Prompt: map[string]string{
					"en":      "I can help you return it. What is the order number? It starts with # and is in your confirmation email.",
					"es":      "Te ayudo con la devolución. ¿Cuál es el número de pedido? Empieza por # y lo tienes en el correo de confirmación.",
					"pt":      "Posso ajudar com a devolução. Qual é o número do pedido? Ele começa com # e está no e-mail de confirmação.",
					"fr":      "Je peux vous aider à faire ce retour. Quel est le numéro de commande ? Il commence par # et figure dans votre e-mail de confirmation.",
					"de":      "Ich helfe Ihnen gern bei der Rücksendung. Wie lautet die Bestellnummer? Sie beginnt mit # und steht in Ihrer Bestellbestätigung per E-Mail.",
					"it":      "Ti aiuto io con il reso. Qual è il numero d'ordine? Inizia con # e lo trovi nell'email di conferma.",
					"nl":      "Ik help je graag met je retour. Wat is het bestelnummer? Het begint met # en staat in je bevestigingsmail.",
					"pl":      "Pomogę Ci zwrócić produkt. Jaki jest numer zamówienia? Zaczyna się od # i znajdziesz go w e-mailu z potwierdzeniem.",
					"ru":      "Помогу оформить возврат. Какой номер заказа? Он начинается с # и указан в письме с подтверждением.",
					"tr":      "İade işleminizde yardımcı olabilirim. Sipariş numaranız nedir? # ile başlar ve sipariş onay e-postanızda yazar.",
					"ar":      "يسعدني مساعدتك في الإرجاع. ما رقم الطلب؟ يبدأ بالعلامة # وتجده في رسالة التأكيد على بريدك الإلكتروني.",
					"ja":      "返品のお手続きをお手伝いします。ご注文番号を教えてください。「#」から始まる番号で、注文確認メールに記載されています。",
					"ko":      "반품을 도와드릴게요. 주문번호가 어떻게 되세요? #으로 시작하고 주문 확인 메일에서 찾으실 수 있어요.",
					"zh":      "可以帮您办理退货。请问订单号是多少？订单号以 # 开头，可以在订单确认邮件里找到。",
					"zh-Hant": "可以幫您辦理退貨。請問訂單編號是多少？訂單編號以 # 開頭，可以在訂單確認郵件中找到。",
					"id":      "Saya bantu proses returnya ya, Kak. Nomor pesanannya berapa? Diawali # dan ada di email konfirmasi pesanan.",
					"vi":      "Mình có thể giúp bạn trả hàng. Mã đơn hàng của bạn là gì? Mã bắt đầu bằng # và có trong email xác nhận đơn hàng.",
					"th":      "ยินดีช่วยเรื่องคืนสินค้าค่ะ รบกวนแจ้งหมายเลขคำสั่งซื้อด้วยนะคะ หมายเลขขึ้นต้นด้วย # และอยู่ในอีเมลยืนยันคำสั่งซื้อ",
				},
				Retry: map[string]string{
					"en":      "That doesn't look like an order number. It looks like #12345 — could you check your confirmation email?",
					"es":      "Eso no parece un número de pedido. Tiene este formato: #12345. ¿Puedes revisar el correo de confirmación?",
					"pt":      "Isso não parece um número de pedido. Ele tem este formato: #12345. Pode conferir no e-mail de confirmação?",
					"fr":      "Cela ne ressemble pas à un numéro de commande. Il se présente comme ceci : #12345. Pouvez-vous vérifier votre e-mail de confirmation ?",
					"de":      "Das sieht nicht nach einer Bestellnummer aus. Sie sieht so aus: #12345 – können Sie in Ihrer Bestellbestätigung nachsehen?",
					"it":      "Questo non sembra un numero d'ordine. Ha questo formato: #12345 — puoi controllare l'email di conferma?",
					"nl":      "Dat lijkt geen bestelnummer te zijn. Het ziet eruit als #12345 – kun je even in je bevestigingsmail kijken?",
					"pl":      "To nie wygląda na numer zamówienia. Powinien wyglądać tak: #12345 – możesz sprawdzić w e-mailu z potwierdzeniem?",
					"ru":      "Это не похоже на номер заказа. Он выглядит так: #12345 — проверьте, пожалуйста, письмо с подтверждением.",
					"tr":      "Bu bir sipariş numarasına benzemiyor. Sipariş numaraları #12345 gibi görünür; onay e-postanıza bakabilir misiniz?",
					"ar":      "يبدو أن هذا ليس رقم طلب. رقم الطلب يكون بهذا الشكل: #12345 — هل يمكنك التحقق من رسالة التأكيد؟",
					"ja":      "注文番号ではないようです。注文番号は「#12345」のような形式です。注文確認メールをご確認いただけますか？",
					"ko":      "주문번호가 아닌 것 같아요. 주문번호는 #12345 같은 형태예요. 주문 확인 메일을 한번 확인해 주시겠어요?",
					"zh":      "这个看起来不像订单号。订单号的格式类似 #12345，麻烦您再查看一下订单确认邮件。",
					"zh-Hant": "這看起來不像訂單編號。訂單編號的格式像 #12345，麻煩您再查看一下訂單確認郵件。",
					"id":      "Sepertinya itu bukan nomor pesanan. Formatnya seperti #12345 — boleh dicek lagi di email konfirmasinya, Kak?",
					"vi":      "Hình như đây không phải mã đơn hàng. Mã đơn có dạng #12345 — bạn xem lại email xác nhận giúp mình nhé?",
					"th":      "ดูเหมือนจะไม่ใช่หมายเลขคำสั่งซื้อค่ะ หมายเลขจะมีรูปแบบแบบนี้ #12345 รบกวนตรวจสอบในอีเมลยืนยันคำสั่งซื้ออีกครั้งนะคะ",
				},
			},
			{
				Slot: "reason", Kind: "text",
				Prompt: map[string]string{
					"en":      "Thanks. Why are you returning order {{order_number}}?",
					"es":      "Gracias. ¿Por qué quieres devolver el pedido {{order_number}}?",
					"pt":      "Obrigado! Por que você quer devolver o pedido {{order_number}}?",
					"fr":      "Merci. Pourquoi souhaitez-vous retourner la commande {{order_number}} ?",
					"de":      "Danke. Warum möchten Sie Bestellung {{order_number}} zurücksenden?",
					"it":      "Grazie. Perché vuoi restituire l'ordine {{order_number}}?",
					"nl":      "Bedankt. Waarom stuur je bestelling {{order_number}} terug?",
					"pl":      "Dzięki. Dlaczego zwracasz zamówienie {{order_number}}?",
					"ru":      "Спасибо. Почему вы возвращаете заказ {{order_number}}?",
					"tr":      "Teşekkürler. {{order_number}} numaralı siparişi neden iade ediyorsunuz?",
					"ar":      "شكرًا. ما سبب إرجاع الطلب رقم {{order_number}}؟",
					"ja":      "ありがとうございます。ご注文 {{order_number}} を返品される理由を教えてください。",
					"ko":      "감사합니다. 주문 {{order_number}} 건을 반품하시는 이유가 무엇인가요?",
					"zh":      "好的。请问订单 {{order_number}} 退货的原因是什么？",
					"zh-Hant": "謝謝。請問訂單 {{order_number}} 要退貨的原因是什麼？",
					"id":      "Terima kasih. Kenapa pesanan {{order_number}} mau diretur, Kak?",
					"vi":      "Cảm ơn bạn. Vì sao bạn muốn trả đơn hàng {{order_number}}?",
					"th":      "ขอบคุณค่ะ ต้องการคืนสินค้าของคำสั่งซื้อ {{order_number}} เพราะอะไรคะ",
				},
				Options: map[string][]string{
					"en":      {"Damaged", "Wrong item", "Doesn't fit", "Changed my mind"},
					"es":      {"Llegó dañado", "Artículo equivocado", "No me queda bien", "Cambié de opinión"},
					"pt":      {"Chegou com defeito", "Produto errado", "Não serviu", "Mudei de ideia"},
					"fr":      {"Article abîmé", "Mauvais article", "Ne me va pas", "J'ai changé d'avis"},
					"de":      {"Beschädigt", "Falscher Artikel", "Passt nicht", "Gefällt mir doch nicht"},
					"it":      {"Danneggiato", "Articolo sbagliato", "Non mi sta bene", "Ho cambiato idea"},
					"nl":      {"Beschadigd", "Verkeerd artikel", "Past niet", "Toch niet nodig"},
					"pl":      {"Produkt uszkodzony", "Zły produkt", "Nie pasuje", "Zmiana zdania"},
					"ru":      {"Товар повреждён", "Не тот товар", "Не подошёл", "Передумал(а)"},
					"tr":      {"Hasarlı geldi", "Yanlış ürün geldi", "Bedeni uymadı", "Vazgeçtim"},
					"ar":      {"وصل تالفًا", "منتج خاطئ", "المقاس غير مناسب", "غيّرت رأيي"},
					"ja":      {"破損していた", "違う商品が届いた", "サイズが合わない", "気が変わった"},
					"ko":      {"파손됐어요", "다른 상품이 왔어요", "사이즈가 안 맞아요", "마음이 바뀌었어요"},
					"zh":      {"商品损坏", "发错货了", "尺码不合适", "不想要了"},
					"zh-Hant": {"商品損壞", "寄錯商品", "尺寸不合", "不想要了"},
					"id":      {"Barang rusak", "Barang salah", "Ukuran tidak pas", "Berubah pikiran"},
					"vi":      {"Hàng bị hỏng", "Giao sai hàng", "Không vừa", "Đổi ý"},
					"th":      {"สินค้าเสียหาย", "ได้รับสินค้าผิด", "ไซส์ไม่พอดี", "เปลี่ยนใจ"},
				},
			},
			{
				Slot: "confirm", Kind: "confirm",
				Prompt: map[string]string{
					"en":      "Shall I request a return for order {{order_number}} (reason: {{reason}})?",
					"es":      "¿Solicito la devolución del pedido {{order_number}} (motivo: {{reason}})?",
					"pt":      "Posso solicitar a devolução do pedido {{order_number}} (motivo: {{reason}})?",
					"fr":      "Je lance la demande de retour pour la commande {{order_number}} (motif : {{reason}}) ?",
					"de":      "Soll ich für Bestellung {{order_number}} eine Rücksendung anmelden (Grund: {{reason}})?",
					"it":      "Procedo con la richiesta di reso per l'ordine {{order_number}} (motivo: {{reason}})?",
					"nl":      "Zal ik een retour aanvragen voor bestelling {{order_number}} (reden: {{reason}})?",
					"pl":      "Czy mam zgłosić zwrot zamówienia {{order_number}} (powód: {{reason}})?",
					"ru":      "Оформить возврат по заказу {{order_number}} (причина: {{reason}})?",
					"tr":      "{{order_number}} numaralı sipariş için iade talebi oluşturayım mı? (Sebep: {{reason}})",
					"ar":      "هل أقدّم طلب إرجاع للطلب رقم {{order_number}} (السبب: {{reason}})؟",
					"ja":      "ご注文 {{order_number}} の返品を申請してよろしいですか？（理由：{{reason}}）",
					"ko":      "주문 {{order_number}} 건의 반품을 신청할까요? (사유: {{reason}})",
					"zh":      "要为订单 {{order_number}} 申请退货吗？（原因：{{reason}}）",
					"zh-Hant": "要為訂單 {{order_number}} 申請退貨嗎？（原因：{{reason}}）",
					"id":      "Saya ajukan retur untuk pesanan {{order_number}} (alasan: {{reason}}), ya?",
					"vi":      "Mình tạo yêu cầu trả hàng cho đơn {{order_number}} (lý do: {{reason}}) nhé?",
					"th":      "ยืนยันส่งคำขอคืนสินค้าของคำสั่งซื้อ {{order_number}} (เหตุผล: {{reason}}) ใช่ไหมคะ",
				},
				Options: map[string][]string{
					"en":      {"Yes", "No"},
					"es":      {"Sí", "No"},
					"pt":      {"Sim", "Não"},
					"fr":      {"Oui", "Non"},
					"de":      {"Ja", "Nein"},
					"it":      {"Sì", "No"},
					"nl":      {"Ja", "Nee"},
					"pl":      {"Tak", "Nie"},
					"ru":      {"Да", "Нет"},
					"tr":      {"Evet", "Hayır"},
					"ar":      {"نعم", "لا"},
					"ja":      {"はい", "いいえ"},
					"ko":      {"네", "아니요"},
					"zh":      {"是", "否"},
					"zh-Hant": {"是", "否"},
					"id":      {"Ya", "Tidak"},
					"vi":      {"Có", "Không"},
					"th":      {"ใช่", "ไม่ใช่"},
				},
			},
		},
		Done: map[string]string{
			"en":      "Done: return requested for order {{order_number}}. You'll get a prepaid label by email within 24 hours; the refund reaches your original payment method 5–10 business days after the item arrives.",
			"es":      "Listo: hemos solicitado la devolución del pedido {{order_number}}. En menos de 24 horas recibirás por correo una etiqueta prepagada; el reembolso llegará a tu método de pago original entre 5 y 10 días hábiles después de que recibamos el artículo.",
			"pt":      "Pronto: a devolução do pedido {{order_number}} foi solicitada. Você vai receber uma etiqueta pré-paga por e-mail em até 24 horas; o reembolso cai na forma de pagamento original de 5 a 10 dias úteis depois que o produto chegar aqui.",
			"fr":      "C'est fait : retour demandé pour la commande {{order_number}}. Vous recevrez une étiquette prépayée par e-mail sous 24 heures ; le remboursement arrivera sur votre moyen de paiement d'origine 5 à 10 jours ouvrés après réception de l'article.",
			"de":      "Erledigt: Die Rücksendung für Bestellung {{order_number}} ist angemeldet. Sie erhalten innerhalb von 24 Stunden ein vorfrankiertes Rücksendeetikett per E-Mail; die Erstattung geht 5–10 Werktage nach Eingang des Artikels auf Ihre ursprüngliche Zahlungsart.",
			"it":      "Fatto: reso richiesto per l'ordine {{order_number}}. Riceverai un'etichetta prepagata via email entro 24 ore; il rimborso arriverà sul metodo di pagamento originale 5–10 giorni lavorativi dopo che avremo ricevuto l'articolo.",
			"nl":      "Klaar: de retour voor bestelling {{order_number}} is aangevraagd. Binnen 24 uur krijg je per e-mail een gefrankeerd retourlabel; het geld staat 5–10 werkdagen nadat het artikel bij ons binnen is weer op je oorspronkelijke betaalmethode.",
			"pl":      "Gotowe: zwrot zamówienia {{order_number}} został zgłoszony. W ciągu 24 godzin dostaniesz e-mailem opłaconą etykietę zwrotną; pieniądze wrócą na Twoją pierwotną metodę płatności w ciągu 5–10 dni roboczych od dotarcia produktu do nas.",
			"ru":      "Готово: возврат по заказу {{order_number}} оформлен. В течение 24 часов мы пришлём вам на почту оплаченную этикетку; деньги вернутся тем же способом оплаты через 5–10 рабочих дней после того, как товар придёт к нам.",
			"tr":      "Tamamdır: {{order_number}} numaralı sipariş için iade talebiniz oluşturuldu. Ücretsiz iade etiketi 24 saat içinde e-postanıza gelecek; ürün bize ulaştıktan sonra 5–10 iş günü içinde ücret, ödeme yaptığınız yönteme iade edilir.",
			"ar":      "تم: قدّمنا طلب إرجاع للطلب رقم {{order_number}}. ستصلك بوليصة شحن مدفوعة مسبقًا على بريدك الإلكتروني خلال 24 ساعة، ويُعاد المبلغ إلى وسيلة الدفع الأصلية خلال 5–10 أيام عمل من وصول المنتج إلينا.",
			"ja":      "ご注文 {{order_number}} の返品を申請しました。24時間以内に送料無料の返送ラベルをメールでお送りします。返金は、商品が当店に届いてから5〜10営業日でご購入時のお支払い方法に戻ります。",
			"ko":      "주문 {{order_number}} 건의 반품 신청이 완료됐어요. 24시간 안에 선불 반품 라벨을 메일로 보내 드려요. 환불은 상품이 저희에게 도착한 뒤 영업일 기준 5~10일 안에 결제하신 수단으로 들어가요.",
			"zh":      "已完成：订单 {{order_number}} 的退货申请已提交。24 小时内您会收到一封附有预付退货运单的邮件；我们收到商品后 5–10 个工作日内，退款会原路退回到您的付款账户。",
			"zh-Hant": "完成：訂單 {{order_number}} 的退貨申請已送出。24 小時內您會收到附有已付運費退貨標籤的郵件；我們收到商品後 5–10 個工作天內，款項會退回您原本的付款方式。",
			"id":      "Beres: retur untuk pesanan {{order_number}} sudah diajukan. Label retur prabayar akan dikirim ke email Kakak dalam 24 jam; dana dikembalikan ke metode pembayaran semula 5–10 hari kerja setelah barangnya kami terima.",
			"vi":      "Xong: đã tạo yêu cầu trả hàng cho đơn {{order_number}}. Trong vòng 24 giờ bạn sẽ nhận được nhãn gửi hàng trả trước qua email; tiền sẽ được hoàn về phương thức thanh toán ban đầu 5–10 ngày làm việc sau khi chúng tôi nhận được hàng.",
			"th":      "เรียบร้อยค่ะ ส่งคำขอคืนสินค้าของคำสั่งซื้อ {{order_number}} แล้ว คุณจะได้รับใบปะหน้าส่งคืนที่ชำระค่าส่งไว้แล้วทางอีเมลภายใน 24 ชั่วโมง และจะได้รับเงินคืนเข้าช่องทางชำระเงินเดิมภายใน 5–10 วันทำการหลังเราได้รับสินค้า",
		},
	}
}

func (c *Config) validateBot(bad func(key string, v any, reason string)) {
	b := &c.Bot
	if !langRE.MatchString(b.DefaultLanguage) {
		bad("bot.default_language", b.DefaultLanguage, "want a BCP 47 tag such as en or es-MX")
	}
	for tag, list := range b.LanguageFallback {
		if !langRE.MatchString(tag) {
			bad("bot.language_fallback", tag, "want a BCP 47 tag as key")
		}
		for i, l := range list {
			if !langRE.MatchString(l) {
				bad(fmt.Sprintf("bot.language_fallback.%s[%d]", tag, i), l, "want a BCP 47 tag")
			}
		}
	}
	for i, in := range b.HandoffIntents {
		if !nameRE.MatchString(in) {
			bad(fmt.Sprintf("bot.handoff_intents[%d]", i), in, "want an intent name ([a-z0-9_])")
		}
	}
	if b.EscalateAfterNotUnderstood < 0 || b.EscalateAfterNotUnderstood > 100 {
		bad("bot.escalate_after_not_understood", b.EscalateAfterNotUnderstood, "want 0 (never) to 100")
	}
	names := map[string]bool{}
	intents := map[string]string{}
	for i, f := range b.Flows {
		key := fmt.Sprintf("bot.flows[%d]", i)
		if !nameRE.MatchString(f.Name) {
			bad(key+".name", f.Name, "want [a-z][a-z0-9_]*")
		} else if names[f.Name] {
			bad(key+".name", f.Name, "duplicate flow name")
		}
		names[f.Name] = true
		if len(f.Intents) == 0 {
			bad(key+".intents", f.Intents, "must name at least one intent")
		}
		for j, in := range f.Intents {
			if other, dup := intents[in]; dup {
				bad(fmt.Sprintf("%s.intents[%d]", key, j), in, "already starts flow "+other)
			}
			intents[in] = f.Name
		}
		if f.Timeout < time.Minute || f.Timeout > 7*24*time.Hour {
			bad(key+".timeout", f.Timeout, "want 1m to 168h")
		}
		if f.MaxAttempts < 1 || f.MaxAttempts > 20 {
			bad(key+".max_attempts", f.MaxAttempts, "want 1 to 20")
		}
		if f.Event != "" && !nameRE.MatchString(f.Event) {
			bad(key+".event", f.Event, "want [a-z][a-z0-9_]*")
		}
		if len(f.Steps) == 0 || len(f.Steps) > 20 {
			bad(key+".steps", len(f.Steps), "want 1 to 20 steps")
		}
		slots := map[string]bool{}
		for j, s := range f.Steps {
			skey := fmt.Sprintf("%s.steps[%d]", key, j)
			if !nameRE.MatchString(s.Slot) {
				bad(skey+".slot", s.Slot, "want [a-z][a-z0-9_]*")
			} else if slots[s.Slot] {
				bad(skey+".slot", s.Slot, "duplicate slot in this flow")
			}
			slots[s.Slot] = true
			if !oneOf(s.Kind, StepKinds) {
				bad(skey+".kind", s.Kind, fmt.Sprintf("want one of %v", StepKinds))
			}
			if s.Prompt[b.DefaultLanguage] == "" {
				bad(skey+".prompt", s.Prompt, "needs a text in bot.default_language ("+b.DefaultLanguage+")")
			}
			if s.Kind == "choice" && len(s.Options[b.DefaultLanguage]) == 0 {
				bad(skey+".options", s.Options, "a choice step needs options in bot.default_language")
			}
		}
		if f.Done[b.DefaultLanguage] == "" {
			bad(key+".done", f.Done, "needs a text in bot.default_language ("+b.DefaultLanguage+")")
		}
	}
	switch s := c.FAQ.Seed; {
	case s == "", s == "demo":
	case strings.HasSuffix(s, ".csv"), strings.HasSuffix(s, ".jsonl"), strings.HasSuffix(s, ".json"):
	default:
		bad("faq.seed", s, `want "demo", "" or a .jsonl/.csv file`)
	}
}

var langRE = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}
