package email

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode ISO-8859-*, Shift_JIS, GB18030, … parts, not only UTF-8
	"github.com/emersion/go-message/mail"

	"github.com/edgedesk/edgedesk/node/session"
)

// Mail is what the node keeps of an inbound mail.
type Mail struct {
	// From is the sender's bare address, Name its display name. Neither
	// is authenticated (see the package doc).
	From, Name string
	Subject    string
	// MessageID, InReplyTo and References are message ids without the
	// angle brackets.
	MessageID  string
	InReplyTo  []string
	References []string
	// Text is the customer's new text: text/plain preferred, else the
	// HTML part reduced to text, with the quoted history of a reply and
	// the signature cut off, at most session.MaxTextBytes (Truncated then
	// says some was left out). A mail with no body text keeps its subject.
	Text      string
	Truncated bool
	// Attachments counts the parts that are not the mail's text; the
	// node does not keep them.
	Attachments int
	// Auto is set for automatic mail (RFC 3834's Auto-Submitted, a
	// Precedence of bulk, junk or list, X-Autoreply): out-of-office
	// answers, bounces, mailing lists. The node never answers them.
	Auto bool
}

// Bounds of what Parse reads of one mail, beside the listener's size
// limit on the whole of it.
const (
	// maxPartBytes is the most read of one text part: a reply's new text
	// is at its top, and MaxTextBytes of it is kept.
	maxPartBytes = 256 << 10
	// maxParts bounds the MIME parts walked (a mail of thousands of empty
	// parts costs a walk, not the node).
	maxParts = 100
	// maxRefs bounds the References kept: threading needs the last few.
	maxRefs = 20
)

// Parse reads one RFC 5322 mail. It fails with ErrMalformed (a From that
// is not one address, a MIME structure it cannot walk) or ErrNoText
// (nothing to show an agent). r should be bounded by the caller.
func Parse(r io.Reader) (*Mail, error) {
	mr, err := mail.CreateReader(r)
	if err != nil && !message.IsUnknownCharset(err) {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	defer mr.Close()
	h := mr.Header
	m := &Mail{}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || !strings.Contains(from[0].Address, "@") {
		reason := "want exactly one address"
		if err != nil {
			reason = err.Error()
		}
		return nil, fmt.Errorf("%w: From %q: %s", ErrMalformed, clip(h.Get("From"), 80), reason)
	}
	m.From, m.Name = from[0].Address, oneLine(from[0].Name)
	if s, err := h.Subject(); err == nil {
		m.Subject = oneLine(s)
	} else {
		m.Subject = oneLine(h.Get("Subject"))
	}
	// A mail client that writes ids we cannot parse only loses threading:
	// the mail is still the customer's.
	m.MessageID, _ = h.MessageID()
	m.InReplyTo, _ = h.MsgIDList("In-Reply-To")
	if refs, _ := h.MsgIDList("References"); len(refs) > maxRefs {
		m.References = refs[len(refs)-maxRefs:]
	} else {
		m.References = refs
	}

	m.Auto = automatic(h)

	var plain, html string
	var havePlain, haveHTML bool
	for parts := 0; ; parts++ {
		if parts == maxParts {
			return nil, fmt.Errorf("%w: more than %d MIME parts", ErrMalformed, maxParts)
		}
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !message.IsUnknownCharset(err) {
			return nil, fmt.Errorf("%w: MIME part %d: %v", ErrMalformed, parts+1, err)
		}
		ih, inline := p.Header.(*mail.InlineHeader)
		if !inline {
			m.Attachments++
			continue
		}
		ct, _, cterr := ih.ContentType()
		if cterr != nil {
			ct = "text/plain" // RFC 2045 §5.2: an unreadable type is text/plain
		}
		switch {
		case ct == "text/plain" && !havePlain:
			plain, err = readPart(p.Body)
			havePlain = true
		case ct == "text/html" && !haveHTML:
			html, err = readPart(p.Body)
			haveHTML = true
		case strings.HasPrefix(ct, "text/"):
			// A second text part (a signature, a calendar note) adds nothing.
		default:
			m.Attachments++
		}
		if err != nil {
			return nil, fmt.Errorf("%w: MIME part %d: %v", ErrMalformed, parts+1, err)
		}
	}
	text := ""
	switch {
	case havePlain && strings.TrimSpace(plain) != "":
		text = StripQuoted(plain)
	case haveHTML:
		text = StripQuoted(HTMLToText(html))
	}
	text = strings.TrimSpace(session.NeutralizeText(text))
	if text == "" {
		text = m.Subject
	}
	if text == "" {
		return nil, ErrNoText
	}
	m.Text, m.Truncated = truncate(text, session.MaxTextBytes)
	return m, nil
}

// readPart reads a text part's decoded body, at most maxPartBytes of it,
// as valid UTF-8.
func readPart(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxPartBytes))
	if err != nil {
		return "", err
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}

// truncate cuts s to at most n bytes at a rune boundary.
func truncate(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut], true
}

// oneLine makes a header value safe to show and to put back into a
// header: valid UTF-8, no line breaks or controls, at most 200 bytes.
func oneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s, _ = truncate(strings.TrimSpace(session.NeutralizeText(s)), 200)
	return s
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	s, cut := truncate(strings.ToValidUTF8(s, "?"), n)
	if cut {
		return s + "…"
	}
	return s
}

func automatic(h mail.Header) bool {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && v != "no" {
		return true
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Precedence"))) {
	case "bulk", "junk", "list", "auto_reply":
		return true
	}
	return h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != ""
}
