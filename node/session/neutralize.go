package session

import (
	"strings"
	"unicode/utf8"
)

// Text a customer or an agent sends is shown to the other side, in the
// console, the widget, notification e-mails and exports. Control
// characters and the bidirectional embedding, override and isolate
// characters let a sender make text look other than it is (an order
// number that reads backwards, a line that hides the one before it, a
// terminal escape in a log), so they are removed before a message is
// checked and stored. Newlines and tabs stay; so do the left-to-right and
// right-to-left marks (U+200E, U+200F), which only nudge neutral
// characters and are what right-to-left writers legitimately use.

// unsafeRune reports whether r is removed by NeutralizeText: C0 controls
// but '\n' and '\t', DEL, C1 controls, U+202A–U+202E (embeddings and
// overrides) and U+2066–U+2069 (isolates).
func unsafeRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// NeutralizeText returns s without the characters unsafeRune names. It
// returns s itself, allocating nothing, when there are none (the usual
// case). Invalid UTF-8 is returned unchanged, for Check to refuse:
// removing a control from between stray bytes could join them into a
// character (U+202E itself).
func NeutralizeText(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return s
		}
		if unsafeRune(r) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return s
		}
		if !unsafeRune(r) {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// Neutralize removes unsafe characters from what of m is shown to people:
// its text and its translation, its attachments' names and its quick
// replies. Slices are
// copied before a change, since the caller may share them.
func (m *Message) Neutralize() {
	m.Text = NeutralizeText(m.Text)
	if tr := m.Translation; tr != nil {
		// A machine translation is shown as the message too; the pointer
		// may be shared.
		if t := NeutralizeText(tr.Text); t != tr.Text {
			c := *tr
			c.Text = t
			m.Translation = &c
		}
	}
	copied := false
	for i := range m.Attachments {
		name := NeutralizeText(m.Attachments[i].Name)
		if name == m.Attachments[i].Name {
			continue
		}
		if !copied {
			m.Attachments, copied = append([]Attachment(nil), m.Attachments...), true
		}
		m.Attachments[i].Name = name
	}
	copied = false
	for i := range m.QuickReplies {
		q := NeutralizeText(m.QuickReplies[i])
		if q == m.QuickReplies[i] {
			continue
		}
		if !copied {
			m.QuickReplies, copied = append([]string(nil), m.QuickReplies...), true
		}
		m.QuickReplies[i] = q
	}
}

// Neutralize removes unsafe characters from the customer's name, which
// agents see beside every message.
func (c *Customer) Neutralize() {
	c.Name = NeutralizeText(c.Name)
}
