package faq

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reserved intents: bot texts rather than answers to a customer intent.
// Any intent starting with "_" is reserved; these are the ones the
// conversation engine uses.
const (
	IntentFallback      = "_fallback"       // the message was not understood
	IntentHandoff       = "_handoff"        // passing the customer to a human
	IntentFlowCancelled = "_flow_cancelled" // the customer abandoned a question the bot asked
	IntentFlowExpired   = "_flow_expired"   // the customer did not answer the bot's question in time
)

// Limits on an entry.
const (
	MaxIntentLen       = 64
	MaxTemplateLen     = 4096 // Answer and Ask, in bytes
	MaxQuickReplies    = 10
	MaxQuickReplyLen   = 64
	MaxLinks           = 5
	MaxLinkTitleLen    = 128
	MaxLinkURLLen      = 2048
	MaxEntries         = 100_000 // per set
	MaxLineLen         = 64 << 10
	MaxImportSize      = 256 << 20
	maxCSVRecordLength = MaxLineLen
)

// Link is a link shown under an answer.
type Link struct {
	Title string `json:"title"` // 1..128 bytes, no control characters, no surrounding spaces
	URL   string `json:"url"`   // absolute http(s), ≤ 2048 bytes
}

// Entry is one answer: what the bot says for an intent in a language.
type Entry struct {
	// Intent is [a-z0-9_]{1,64}. Names starting with "_" are reserved bot
	// texts ("_fallback", "_handoff", …); any "_name" is allowed.
	Intent string `json:"intent"`
	// Lang is a BCP 47 tag, canonicalised when the entry is stored
	// (CanonicalLang): "en", "es-MX", "zh-TW", "zh-Hans".
	Lang string `json:"lang"`
	// Answer is the template the bot answers with. Required, ≤ 4096 bytes.
	Answer string `json:"answer"`
	// Ask is the template used instead of Answer when a variable Answer
	// needs has no value ("What is your order number?"). Required when
	// Answer uses an extracted variable without a default.
	Ask string `json:"ask,omitempty"`
	// QuickReplies are suggested replies (≤ 10, each 1..64 bytes, one
	// line, no surrounding spaces).
	QuickReplies []string `json:"quick_replies,omitempty"`
	// Links are shown under the answer (≤ 5).
	Links []Link `json:"links,omitempty"`
	// Version is set by the store: the set version in which this entry
	// last changed. Ignored on import and by Replace.
	Version uint64 `json:"version,omitempty"`
}

// sameContent reports whether a and b say the same (Version aside).
func sameContent(a, b *Entry) bool {
	return a.Intent == b.Intent && a.Lang == b.Lang && a.Answer == b.Answer && a.Ask == b.Ask &&
		slices.Equal(a.QuickReplies, b.QuickReplies) && slices.Equal(a.Links, b.Links)
}

// clone returns a copy of e sharing nothing with it.
func (e Entry) clone() Entry {
	e.QuickReplies = slices.Clone(e.QuickReplies)
	e.Links = slices.Clone(e.Links)
	return e
}

// Answer is a compiled Entry: immutable, shared by readers. Do not modify
// it or the slices it holds.
type Answer struct {
	Entry
	Tmpl    *Template
	AskTmpl *Template // nil when Ask is empty
}

// Render appends to dst what the bot says: Answer filled in when every
// variable it needs has a value, else Ask filled in (asked true). ok is
// false (and dst returned unchanged) when neither can be rendered — for
// instance a session variable without default that has no value.
func (a *Answer) Render(dst []byte, lookup func(name string) (string, bool)) (out []byte, asked, ok bool) {
	if out, ok := a.Tmpl.Render(dst, lookup); ok {
		return out, false, true
	}
	if a.AskTmpl != nil {
		if out, ok := a.AskTmpl.Render(dst, lookup); ok {
			return out, true, true
		}
	}
	return dst, false, false
}

// problem is one validation finding: the field and what is wrong.
type problem struct{ field, msg string }

// compile validates e, canonicalises its Lang, normalises line breaks in
// its templates ("\r\n" and "\r" become "\n") and empty slices to nil,
// and compiles it. Version is cleared. On failure it returns every
// problem found.
func compile(e Entry) (*Answer, []problem) {
	var ps []problem
	bad := func(field, format string, args ...any) {
		ps = append(ps, problem{field, fmt.Sprintf(format, args...)})
	}
	e.Version = 0

	switch {
	case e.Intent == "":
		bad("intent", "required")
	case !validName(e.Intent, MaxIntentLen):
		bad("intent", "invalid intent %s: want 1..%d bytes of a-z, 0-9, _", quoteTrunc(e.Intent), MaxIntentLen)
	case e.Intent == "_":
		bad("intent", `invalid intent "_": a reserved intent needs a name after "_"`)
	}

	if e.Lang == "" {
		bad("lang", "required")
	} else if l, err := CanonicalLang(e.Lang); err != nil {
		bad("lang", "%s", strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
	} else {
		e.Lang = l
	}

	var tmpl, ask *Template
	e.Answer = normalizeNewlines(e.Answer)
	e.Ask = normalizeNewlines(e.Ask)
	if strings.TrimSpace(e.Answer) == "" {
		bad("answer", "required")
	} else if t, msg := checkTemplate(e.Answer); msg != "" {
		bad("answer", "%s", msg)
	} else {
		tmpl = t
	}
	if e.Ask != "" {
		if strings.TrimSpace(e.Ask) == "" {
			bad("ask", "blank (leave it out, or write the question)")
		} else if t, msg := checkTemplate(e.Ask); msg != "" {
			bad("ask", "%s", msg)
		} else {
			ask = t
			for _, p := range t.parts {
				if p.name != "" && !p.hasDef && IsExtractedVar(p.name) {
					bad("ask", "{{%s}} at byte %d needs a default: the ask is what the bot says when such a variable is missing", p.name, p.off)
					break
				}
			}
		}
	}
	if tmpl != nil && ask == nil && e.Ask == "" {
		for _, name := range tmpl.vars {
			if IsExtractedVar(name) && tmpl.requires(name) {
				bad("ask", `required: "answer" uses {{%s}} without a default, so the bot needs a question that asks for it`, name)
				break
			}
		}
	}

	if len(e.QuickReplies) > MaxQuickReplies {
		bad("quick_replies", "%d replies, at most %d allowed", len(e.QuickReplies), MaxQuickReplies)
	}
	for i, q := range e.QuickReplies {
		if msg := checkLabel(q, MaxQuickReplyLen); msg != "" {
			bad("quick_replies["+strconv.Itoa(i)+"]", "%s", msg)
		}
	}
	if len(e.QuickReplies) == 0 {
		e.QuickReplies = nil
	}

	if len(e.Links) > MaxLinks {
		bad("links", "%d links, at most %d allowed", len(e.Links), MaxLinks)
	}
	for i, l := range e.Links {
		f := "links[" + strconv.Itoa(i) + "]"
		if msg := checkLabel(l.Title, MaxLinkTitleLen); msg != "" {
			bad(f+".title", "%s", msg)
		}
		if msg := checkURL(l.URL); msg != "" {
			bad(f+".url", "%s", msg)
		}
	}
	if len(e.Links) == 0 {
		e.Links = nil
	}

	if len(ps) > 0 {
		return nil, ps
	}
	return &Answer{Entry: e, Tmpl: tmpl, AskTmpl: ask}, nil
}

// checkTemplate checks a template's text and syntax and that it uses only
// known variables; it returns the parsed template or a message.
func checkTemplate(s string) (*Template, string) {
	if len(s) > MaxTemplateLen {
		return nil, fmt.Sprintf("%d bytes, at most %d allowed", len(s), MaxTemplateLen)
	}
	if msg := checkText(s, true); msg != "" {
		return nil, msg
	}
	t, err := ParseTemplate(s)
	if err != nil {
		te := err.(*TemplateError)
		return nil, fmt.Sprintf("%s at byte %d", te.Msg, te.Offset)
	}
	for _, p := range t.parts {
		if p.name != "" && !IsExtractedVar(p.name) && !IsSessionVar(p.name) {
			return nil, fmt.Sprintf("unknown variable {{%s}} at byte %d (known: order_number, tracking_number, email, phone, name, local_time, local_date, local_weekday)", p.name, p.off)
		}
	}
	return t, ""
}

// checkText checks s is valid UTF-8 without control characters (but
// newlines and tabs when multiline).
func checkText(s string, multiline bool) string {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return fmt.Sprintf("invalid UTF-8 at byte %d", i)
		case multiline && (r == '\n' || r == '\t'):
		case unicode.IsControl(r):
			return fmt.Sprintf("control character %U at byte %d", r, i)
		}
	}
	return ""
}

// checkLabel checks a one-line label: a quick reply or a link title.
func checkLabel(s string, max int) string {
	switch {
	case s == "":
		return "empty"
	case len(s) > max:
		return fmt.Sprintf("%d bytes, at most %d allowed", len(s), max)
	case strings.TrimSpace(s) != s:
		return "leading or trailing space"
	}
	return checkText(s, false)
}

// checkURL checks an absolute http(s) URL without spaces, quotes or angle
// brackets (so that it can sit in a CSV cell as "Title <URL>").
func checkURL(s string) string {
	switch {
	case s == "":
		return "required"
	case len(s) > MaxLinkURLLen:
		return fmt.Sprintf("%d bytes, at most %d allowed", len(s), MaxLinkURLLen)
	}
	if i := strings.IndexFunc(s, func(r rune) bool {
		return r <= ' ' || r == 0x7f || r == '<' || r == '>' || r == '"' || r == utf8.RuneError || unicode.IsSpace(r) || unicode.IsControl(r)
	}); i >= 0 {
		return fmt.Sprintf("%s: no spaces, control characters, quotes or angle brackets allowed (byte %d)", quoteTrunc(s), i)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return fmt.Sprintf("%s is not an absolute http(s) URL", quoteTrunc(s))
	}
	return ""
}

// normalizeNewlines turns "\r\n" and lone "\r" into "\n".
func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// quoteTrunc quotes s for a message, cut to about 40 bytes.
func quoteTrunc(s string) string {
	const max = 40
	if len(s) <= max {
		return strconv.Quote(s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}
