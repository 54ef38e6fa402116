package email

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
)

// Outgoing is one answer as a mail.
type Outgoing struct {
	From      *mail.Address
	To        *mail.Address
	Subject   string
	MessageID string
	// InReplyTo and References thread the answer under the customer's
	// last mail (empty for a session that never had one).
	InReplyTo  string
	References []string
	Text       string
	// Footer ends the text with a line inviting a reply by mail, in
	// Lang.
	Footer bool
	Lang   string
	// AutoSubmitted is RFC 3834's Auto-Submitted: "auto-replied" for the
	// bot's answers, "auto-generated" for codes, empty for people's
	// answers. Autoresponders do not answer such mail.
	AutoSubmitted string
	Date          time.Time
}

// replyFooters end every answer, in the answer's language (English
// otherwise): the customer may reply by mail.
var replyFooters = map[string]string{
	"en": "Reply to this email to continue the conversation.",
	"es": "Responda a este correo para continuar la conversación.",
	"pt": "Responda a este e-mail para continuar a conversa.",
	"fr": "Répondez à cet e-mail pour poursuivre la conversation.",
	"de": "Antworten Sie auf diese E-Mail, um das Gespräch fortzusetzen.",
	"it": "Rispondi a questa email per continuare la conversazione.",
	"nl": "Beantwoord deze e-mail om het gesprek voort te zetten.",
	"zh": "回复此邮件即可继续对话。",
	"ja": "このメールに返信すると会話を続けられます。",
	"ko": "이 이메일에 회신하여 대화를 계속하세요.",
}

// replyFooter is the footer for lang (a BCP 47 tag; its language part).
func replyFooter(lang string) string {
	base, _, _ := strings.Cut(strings.ToLower(lang), "-")
	if f, ok := replyFooters[base]; ok {
		return "\n\n-- \n" + f
	}
	return "\n\n-- \n" + replyFooters["en"]
}

// Compose writes o as an RFC 5322 text/plain mail in UTF-8
// (quoted-printable, header words RFC 2047-encoded where needed).
func Compose(o *Outgoing) ([]byte, error) {
	var h mail.Header
	h.SetDate(o.Date)
	h.SetAddressList("From", []*mail.Address{o.From})
	h.SetAddressList("To", []*mail.Address{o.To})
	h.SetSubject(o.Subject)
	h.SetMessageID(o.MessageID)
	if o.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{o.InReplyTo})
	}
	if len(o.References) > 0 {
		h.SetMsgIDList("References", o.References)
	}
	if o.AutoSubmitted != "" {
		h.Set("Auto-Submitted", o.AutoSubmitted)
	}
	// Outlook and Exchange: no out-of-office answers to these.
	h.Set("X-Auto-Response-Suppress", "OOF, AutoReply")
	h.Set("MIME-Version", "1.0")
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	var buf bytes.Buffer
	w, err := mail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("email: compose: %w", err)
	}
	body := strings.ReplaceAll(o.Text, "\r\n", "\n")
	if o.Footer {
		body += replyFooter(o.Lang)
	}
	if _, err := w.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n"))); err != nil {
		return nil, fmt.Errorf("email: compose: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("email: compose: %w", err)
	}
	return buf.Bytes(), nil
}

// replySubject is "Re: " and the thread's subject, without stacking
// prefixes ("Re: Re: …"); fallback when the thread has none.
func replySubject(subject, fallback string) string {
	s := strings.TrimSpace(subject)
	if s == "" {
		return fallback
	}
	if len(s) >= 3 && strings.EqualFold(s[:3], "re:") {
		return "Re:" + s[3:]
	}
	return "Re: " + s
}
