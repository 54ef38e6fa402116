// Package extract finds the entities a customer writes in a chat message —
// order numbers, parcel tracking numbers, email addresses and phone
// numbers — so the bot can fill answer templates such as
// "Your order {{order_number}} …". It reads the keywords of the default
// model's 18 languages (keywords.go); in Chinese, Japanese, Korean, Thai
// and the other scripts written without spaces a keyword needs no word
// boundary.
//
// All (and AppendAll, its allocation-free form) returns every entity in
// position order, never overlapping; First returns the first of one kind;
// Loose reads the reply to a question that asked for one kind, where the
// keyword is implied ("12345" answering "what is your order number?").
// Everything is safe for concurrent use: there is no mutable package state
// apart from a sync.Pool of scratch buffers.
//
// # Normalisation and offsets
//
// A text that is not ASCII and not already in NFKC form is normalised (NFKC)
// before scanning, so full-width input common in Chinese — "１２３４５",
// "＃", "：", "＠" — reads as ASCII. Two runes are mapped differently from
// NFKC: "º" (which NFKC makes "o") and "№" (NFKC "No") both become the order
// prefix "n°". Entity.Start and Entity.End are byte offsets into the
// ORIGINAL text: text[Start:End] is what the customer typed (for example
// "１２３４５６"), while Entity.Value is normalised ("123456"). The span is
// the value only: it excludes the keyword and a leading '#'.
//
// # Order numbers
//
// A token of 4–24 characters of [A-Za-z0-9-] with at least 3 digits
// (trailing hyphens dropped), after either
//   - a prefix: "#", "＃", "No.", "Nr.", "n°", "nº", "№"; or
//   - an order keyword, case-insensitive: en "order", "order number",
//     "order no", "order #", "order id", "purchase"; es "pedido", "orden",
//     "número de pedido", "compra"; pt "pedido", "encomenda"; fr "commande";
//     de "Bestellung", "Bestellnummer", "Auftrag", "Auftragsnummer"; zh
//     "订单", "订单号", "订单编号", "訂單", "訂單號", "单号", "單號".
//
// Between keyword and value there may be spaces, ":", "#", "-", "=", "." and
// up to six filler words such as "number", "no", "is", "was", "es", "el",
// "é", "est", "ist", "Nr", "是", "为", "号", "编号" (see fillerWords), at most
// 40 bytes in all. Latin keywords must stand as words ("border" and
// "ordered" are not "order"); Chinese keywords need no spaces:
// "我的订单123456在哪里", "订单号：123456", "订单号是123456". Values are
// upper-cased: "ord-7" → "ORD-7".
//
// # Tracking numbers
//
// Without a keyword, only formats distinctive enough to stand alone:
//   - UPS: "1Z" + 16 letters or digits, check digit validated (letters
//     count as (code−3) mod 10; the 15 characters after "1Z" weighted 1, 2,
//     1, 2, …; the check tops the sum up to a multiple of 10).
//   - USPS IMpb: 20–22 digits starting 91–95, mod-10 check digit validated
//     as in USPS Publication 199 (from the right, weights 3, 1, 3, …; e.g.
//     9400 1112 0108 0805 4830 16). FedEx Ground "96" + 20 digits uses the
//     same check and is reported as "fedex".
//   - UPU S10 (international postal items, China Post, Royal Mail, …): two
//     letters, eight digits, a check digit and two letters, accepted only
//     when the check digit is right (weights 8, 6, 4, 2, 3, 5, 9, 7; check =
//     11 − sum mod 11, 10 → 0, 11 → 5): "RR123456785CN".
//   - SF Express: "SF" + 12–15 digits. YunExpress: "YT" + 16 digits.
//
// UPS and USPS numbers may be written in space-separated groups, as printed
// on labels. After a tracking keyword — "tracking", "tracking number",
// "track", "waybill", "seguimiento", "número de seguimiento", "guía",
// "rastreio", "suivi", "Sendungsnummer", "运单号", "快递单号", "物流单号",
// "追踪号", "追蹤號碼", … — a contiguous number of 10–22 digits, or a 10–30
// character token of letters and digits with at least 8 digits, is a
// tracking number too. Its carrier is named only when its length and check
// digit fit: DHL Express (10–11 digits, mod 7), FedEx Express (12 digits,
// weights 3-1-7, mod 11 mod 10), FedEx Ground (15 digits, mod 10); else
// Carrier is "". FedEx and DHL numbers are never taken without a keyword:
// a bare 10- or 12-digit number is too often something else. A value with
// a distinctive tracking format is a tracking number even after an order or
// phone keyword, and is never also reported as an order number or phone.
//
// # Email addresses
//
// A practical syntax, not RFC 5322: a local part of [A-Za-z0-9._%+-], '@'
// (or '＠'), and a domain of at least two labels whose last label has two
// or more letters ("xn--" labels also count). Labels may contain Unicode
// letters (IDN, "müller.de", "例子.中国"), but a label stops where ASCII meets
// a Han, kana or Hangul letter, so "abc@qq.com谢谢" ends at "com". Trailing
// punctuation (".", ",", ")", "。") is not included; the domain is
// lower-cased, the local part kept as written.
//
// # Phone numbers
//
// Digits grouped by single spaces, '-', '.', '/' or parentheses, 7–15
// digits in all (E.164). Without a keyword only two forms are taken:
// international ones — "+1 (555) 123-4567", "+44 20 7946 0958",
// "+86 138 0013 8000", "0044 20 7946 0958" ("00" must be followed by a 1–3
// digit country code and a separator) — and mainland China mobiles,
// 1[3-9] + 9 digits ("13800138000", "138 0013 8000"). After a phone
// keyword ("phone", "tel", "call me at", "mobile", "teléfono", "celular",
// "móvil", "telefone", "téléphone", "portable", "Telefon", "Handy", "电话",
// "手机", "電話", "手機", …) national numbers are taken too. Values are
// "+<digits>" when a country code was given ("00" becomes "+", a trunk
// "(0)" after the country code is dropped), else digits only.
//
// # What is never extracted
//
// Dates ("2024-05-01", "01/05/2024", "2024年5月1日"), times ("10:30"),
// amounts ("$1,234.56", "1.234,56 €", "USD 12345", "1234元") and
// quantities ("5000 pcs", "12 unidades") are rejected wherever they occur:
// a number that continues as a decimal, thousands group, time or date, or
// that has a currency sign or code before it or a currency, unit or date
// word after it, is not a value. Values also never start in the middle of a
// word or of a larger number ("05-01" inside "2024-05-01").
//
// # Why no regular expressions
//
// This runs on every customer message. The scanner makes one left-to-right
// pass: at each word start it dispatches on the first byte — '@'-terminated
// local parts, keywords looked up in a table indexed by first byte, and the
// few characters that can begin a standalone value ('#', '+', "00", "1Z",
// '9', two letters, "n°") — and skips the rest of the word. Regular
// expressions (RE2) would need one pass per format, cannot validate check
// digits or map NFKC offsets, and allocate for submatches. An 80-byte
// message costs about 0.1 µs (no digit and no '@': nothing to look at) to
// 2 µs, and AppendAll into a slice with room allocates nothing unless a
// value must be rebuilt: a spaced tracking number, a formatted phone, a
// domain to lower-case, or a value spelled differently in the original
// (full-width digits). Text that needs NFKC is normalised into a pooled
// buffer, not a new string; TestAllocs keeps these promises.
//
// Known limits: keywords after the value ("12345 is my order") are not
// used; order numbers with spaces inside, USPS numbers with a "420"+ZIP
// routing prefix, and tracking formats not listed above are not
// recognised without a keyword; email local parts are ASCII only.
package extract
