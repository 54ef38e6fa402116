package email

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/emersion/go-message/mail"

	"github.com/edgedesk/edgedesk/node/session"
)

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func TestParse(t *testing.T) {
	cases := []struct {
		name, raw string
		want      Mail
	}{
		{"plain", "From: Ana <ana@c.example>\nSubject: Order\nMessage-ID: <m1@c.example>\n\nWhere is my order?\n",
			Mail{From: "ana@c.example", Name: "Ana", Subject: "Order", MessageID: "m1@c.example", Text: "Where is my order?"}},
		{"encoded words, quoted-printable, latin-1",
			"From: =?ISO-8859-1?Q?Jos=E9?= <jose@c.example>\nSubject: =?UTF-8?B?wr9Ew7NuZGUgZXN0w6E/?=\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n=BFD=F3nde est=E1 mi pedido?\n",
			Mail{From: "jose@c.example", Name: "José", Subject: "¿Dónde está?", Text: "¿Dónde está mi pedido?"}},
		{"gmail reply, attribution over two lines",
			"From: a@c.example\nSubject: Re: Order\nIn-Reply-To: <x@shop.example>\nReferences: <m1@c.example> <x@shop.example>\n\nThanks, got it.\n\nOn Thu, Dec 3, 2026 at 10:05 AM Shop Support <support@shop.example>\nwrote:\n\n> It shipped.\n> Tracking 1Z.\n",
			Mail{From: "a@c.example", Subject: "Re: Order", InReplyTo: []string{"x@shop.example"}, References: []string{"m1@c.example", "x@shop.example"}, Text: "Thanks, got it."}},
		{"outlook reply and signature",
			"From: a@c.example\nSubject: RE: Order\n\nPlease cancel it.\n\nFrom: Shop Support <support@shop.example>\nSent: Thursday, December 3, 2026 10:05\nTo: a@c.example\nSubject: Order\n\nIt shipped.\n",
			Mail{From: "a@c.example", Subject: "RE: Order", Text: "Please cancel it."}},
		{"signature delimiter", "From: a@c.example\n\nCall me.\n-- \nAna, 555-1234\n",
			Mail{From: "a@c.example", Text: "Call me."}},
		{"chinese attribution", "From: a@c.example\nContent-Type: text/plain; charset=utf-8\n\n收到了，谢谢\n\n在 2026年12月3日 10:05，Shop <support@shop.example> 写道：\n> 已发货\n",
			Mail{From: "a@c.example", Text: "收到了，谢谢"}},
		{"html only, gmail quote dropped",
			"From: a@c.example\nContent-Type: text/html; charset=utf-8\n\n<html><head><style>p{color:red}</style></head><body><div>Hello&nbsp;there,</div><div>my <b>order</b> 12345<br>is late &amp; broken.</div><div class=\"gmail_quote\"><div>On Thu … wrote:</div><blockquote>old text</blockquote></div><script>alert(1)</script></body></html>\n",
			Mail{From: "a@c.example", Text: "Hello there,\nmy order 12345\nis late & broken."}},
		{"multipart alternative prefers text/plain, counts the attachment",
			"From: a@c.example\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=OUT\n\n--OUT\nContent-Type: multipart/alternative; boundary=ALT\n\n--ALT\nContent-Type: text/plain; charset=utf-8\n\nplain text\n--ALT\nContent-Type: text/html; charset=utf-8\n\n<p>html text</p>\n--ALT--\n--OUT\nContent-Type: image/png\nContent-Disposition: attachment; filename=a.png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--OUT--\n",
			Mail{From: "a@c.example", Text: "plain text", Attachments: 1}},
		{"only a subject", "From: a@c.example\nSubject: Call me back\n\n\n",
			Mail{From: "a@c.example", Subject: "Call me back", Text: "Call me back"}},
		{"auto-submitted", "From: a@c.example\nAuto-Submitted: auto-replied\n\nI am away.\n",
			Mail{From: "a@c.example", Text: "I am away.", Auto: true}},
		{"controls and bidi overrides removed from the text and the subject",
			"From: a@c.example\nSubject: hi\u202e there\n\norder\u202e 123\x1b[31m\n",
			Mail{From: "a@c.example", Subject: "hi there", Text: "order 123[31m"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Parse(strings.NewReader(crlf(c.raw)))
			if err != nil {
				t.Fatal(err)
			}
			if m.From != c.want.From || m.Name != c.want.Name || m.Subject != c.want.Subject || m.MessageID != c.want.MessageID ||
				m.Text != c.want.Text || m.Attachments != c.want.Attachments || m.Auto != c.want.Auto ||
				strings.Join(m.InReplyTo, " ") != strings.Join(c.want.InReplyTo, " ") || strings.Join(m.References, " ") != strings.Join(c.want.References, " ") {
				t.Fatalf("got  %+v\nwant %+v", *m, c.want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	for name, c := range map[string]struct {
		raw  string
		want error
	}{
		"no From":        {"Subject: x\n\nhello\n", ErrMalformed},
		"From no domain": {"From: ana\n\nhello\n", ErrMalformed},
		"two From":       {"From: a@c.example, b@c.example\n\nhello\n", ErrMalformed},
		"empty":          {"From: a@c.example\n\n", ErrNoText},
		"attachment only": {"From: a@c.example\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: application/pdf\n\n%PDF\n--B--\n",
			ErrNoText},
		"too many parts": {"From: a@c.example\nContent-Type: multipart/mixed; boundary=B\n\n" + strings.Repeat("--B\nContent-Type: text/plain\n\nx\n", 120) + "--B--\n", ErrMalformed},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(crlf(c.raw)))
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestParseTruncates(t *testing.T) {
	m, err := Parse(strings.NewReader(crlf("From: a@c.example\n\n" + strings.Repeat("é", session.MaxTextBytes) + "\n")))
	if err != nil {
		t.Fatal(err)
	}
	if !m.Truncated || len(m.Text) > session.MaxTextBytes || !utf8.ValidString(m.Text) {
		t.Fatalf("truncated %v, %d bytes, valid %v", m.Truncated, len(m.Text), utf8.ValidString(m.Text))
	}
}

func TestStripQuotedKeepsOrdinaryText(t *testing.T) {
	for _, s := range []string{
		"On Monday you wrote that it shipped, but it did not",
		"from: my office",
		"Order 5 > order 4",
		"--",
	} {
		if got := StripQuoted(s); got != s {
			t.Errorf("StripQuoted(%q) = %q", s, got)
		}
	}
	if got := StripQuoted("> only a quote"); got != "> only a quote" {
		t.Errorf("a text of only quotes became %q", got)
	}
}

// FuzzParse: whatever arrives on port 25, Parse returns an error or a mail
// the store accepts — valid UTF-8, bounded text, one address — and never
// panics.
func FuzzParse(f *testing.F) {
	f.Add([]byte(crlf("From: Ana <ana@c.example>\nSubject: Order\nMessage-ID: <m1@c.example>\n\nWhere is my order?\n")))
	f.Add([]byte(crlf("From: a@c.example\nContent-Type: multipart/alternative; boundary=ALT\n\n--ALT\nContent-Type: text/html\n\n<p>x<blockquote>y</blockquote>\n--ALT--\n")))
	f.Add([]byte(crlf("From: =?utf-8?b?5byg5LiJ?= <z@c.example>\nIn-Reply-To: <a@b>\nReferences: <c@d> <e@f>\nContent-Transfer-Encoding: base64\n\n5L2g5aW9\n")))
	f.Add([]byte("From: a@c.example\n\nOn x wrote:\n> y\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(strings.NewReader(string(raw)))
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNoText) {
				t.Fatalf("error %v is neither ErrMalformed nor ErrNoText", err)
			}
			return
		}
		if m.Text == "" || len(m.Text) > session.MaxTextBytes || !utf8.ValidString(m.Text) {
			t.Fatalf("text %q", m.Text)
		}
		if !strings.Contains(m.From, "@") || !utf8.ValidString(m.Subject) || strings.ContainsAny(m.Subject, "\r\n") || len(m.References) > maxRefs {
			t.Fatalf("mail %+v", m)
		}
		msg := session.Message{Session: "s_x", From: session.FromCustomer, CID: mailCID(m, raw), Text: m.Text}
		msg.Neutralize()
		if err := msg.Check(); err != nil {
			t.Fatalf("the store would refuse %q: %v", m.Text, err)
		}
	})
}

// BenchmarkParse: a typical reply (multipart/alternative, a quoted
// history), from bytes to the stored text.
func BenchmarkParse(b *testing.B) {
	raw := crlf("From: Ana <ana@c.example>\nSubject: Re: Order\nMessage-ID: <m2@c.example>\nIn-Reply-To: <x@shop.example>\nReferences: <m1@c.example> <x@shop.example>\n" +
		"MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=ALT\n\n--ALT\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
		"Thanks, when will it arrive?\n\nOn Thu, 3 Dec 2026 at 10:05, Shop <support@shop.example> wrote:\n" + strings.Repeat("> It left our warehouse today.\n", 40) +
		"--ALT\nContent-Type: text/html; charset=utf-8\n\n<div>Thanks, when will it arrive?</div><div class=\"gmail_quote\">" + strings.Repeat("<p>old</p>", 40) + "</div>\n--ALT--\n")
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := Parse(strings.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSMTPText(t *testing.T) {
	got := smtpText("From \"é\r\n250 ok\": bad" + strings.Repeat("x", 400))
	if strings.ContainsAny(got, "\r\n") || len(got) > 300 || !strings.HasPrefix(got, "From \"????250 ok\": bad") {
		t.Fatalf("%q", got)
	}
}

func TestComposeFooterLanguage(t *testing.T) {
	for lang, want := range map[string]string{"es-MX": "Responda a este correo", "zh-Hant": "回复此邮件", "sv": "Reply to this email", "": "Reply to this email"} {
		raw, err := Compose(&Outgoing{From: &mail.Address{Address: "s@shop.example"}, To: &mail.Address{Address: "a@c.example"},
			Subject: "Re: x", MessageID: "m@shop.example", Text: "hi", Footer: true, Lang: lang})
		if err != nil {
			t.Fatal(err)
		}
		m, err := Parse(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		// Parse cuts the footer as a signature: read the body raw.
		mr, _ := mail.CreateReader(bytes.NewReader(raw))
		p, _ := mr.NextPart()
		body, _ := io.ReadAll(p.Body)
		if m.Text != "hi" || !strings.Contains(string(body), want) {
			t.Errorf("%s: text %q, body %q", lang, m.Text, body)
		}
	}
}
