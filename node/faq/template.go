package faq

import (
	"slices"
	"strings"
)

// The variables a template may use. The extracted ones come from the
// customer's messages (the engine's entity extraction); the session ones
// from the session and the customer's clock.
const (
	VarOrderNumber    = "order_number"    // extracted
	VarTrackingNumber = "tracking_number" // extracted
	VarEmail          = "email"           // extracted
	VarPhone          = "phone"           // extracted
	VarName           = "name"            // session: the customer's name, when known
	VarLocalTime      = "local_time"      // session: "14:05"
	VarLocalDate      = "local_date"      // session: "2026-11-21"
	VarLocalWeekday   = "local_weekday"   // session: "Saturday", in the entry's language
	// Set by routing, for its texts to the customer (_queued,
	// _team_closed, _no_agents, _agent_joined, _picked_up, _chat_closed):
	VarQueuePosition = "queue_position" // 3
	VarQueueETA      = "queue_eta"      // minutes, e.g. "4"
	VarOpensAt       = "opens_at"       // when the team opens, in the customer's time zone and the text's language: "09:00", or "jue 09:00", "Thu 9:00 AM" on another day
	VarAgentName     = "agent_name"     // the agent who joined
)

// IsExtractedVar reports whether name is a variable extracted from the
// customer's messages: order_number, tracking_number, email, phone.
func IsExtractedVar(name string) bool {
	switch name {
	case VarOrderNumber, VarTrackingNumber, VarEmail, VarPhone:
		return true
	}
	return false
}

// IsSessionVar reports whether name is a variable the session provides:
// name, local_time, local_date, local_weekday.
func IsSessionVar(name string) bool {
	switch name {
	case VarName, VarLocalTime, VarLocalDate, VarLocalWeekday,
		VarQueuePosition, VarQueueETA, VarOpensAt, VarAgentName:
		return true
	}
	return false
}

// maxVarName bounds a variable name in a template.
const maxVarName = 64

// Template is a parsed answer template: literal text and {{variable}}
// placeholders (see the package documentation for the syntax). It is
// immutable and safe for concurrent use.
type Template struct {
	src   string
	parts []part
	vars  []string // distinct names, in order of first use
}

// part is literal text (name == "") or a placeholder. Strings are
// substrings of the source.
type part struct {
	lit    string
	name   string
	def    string
	hasDef bool
	off    int // byte offset of the placeholder's "{{"
}

// ParseTemplate parses s. Errors are *TemplateError (wrapping ErrInvalid)
// and give the byte offset of the problem. It checks syntax only: which
// variables an entry may use is checked when the entry is validated.
func ParseTemplate(s string) (*Template, error) {
	t := &Template{src: s}
	i := 0
	for {
		j := strings.Index(s[i:], "{{")
		if j < 0 {
			break
		}
		open := i + j
		end := strings.Index(s[open+2:], "}}")
		if end < 0 {
			return nil, &TemplateError{Offset: open, Msg: `"{{" without a closing "}}"`}
		}
		body := s[open+2 : open+2+end]
		name, def, hasDef := strings.Cut(body, "|")
		name = strings.Trim(name, " ")
		if name == "" {
			return nil, &TemplateError{Offset: open, Msg: "empty variable name"}
		}
		if !validName(name, maxVarName) {
			return nil, &TemplateError{Offset: open, Msg: "invalid variable name " + quoteTrunc(name) + " (want a-z, 0-9, _)"}
		}
		if k := strings.Index(def, "{{"); k >= 0 {
			return nil, &TemplateError{Offset: open + 2 + len(body) - len(def) + k, Msg: `"{{" inside a default`}
		}
		if open > i {
			t.parts = append(t.parts, part{lit: s[i:open], off: i})
		}
		t.parts = append(t.parts, part{name: name, def: def, hasDef: hasDef, off: open})
		if !slices.Contains(t.vars, name) {
			t.vars = append(t.vars, name)
		}
		i = open + 2 + end + 2
	}
	if i < len(s) {
		t.parts = append(t.parts, part{lit: s[i:], off: i})
	}
	return t, nil
}

// MustParseTemplate is ParseTemplate that panics on error, for templates
// written in code.
func MustParseTemplate(s string) *Template {
	t, err := ParseTemplate(s)
	if err != nil {
		panic(err)
	}
	return t
}

// validName reports whether s is 1..max bytes of [a-z0-9_].
func validName(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// String returns the template's source.
func (t *Template) String() string { return t.src }

// Vars returns the distinct variables the template references, in order
// of first use (a new slice).
func (t *Template) Vars() []string {
	return append([]string(nil), t.vars...)
}

// Required returns the distinct variables the template uses somewhere
// without a default: Render fails unless lookup gives them a value.
func (t *Template) Required() []string {
	var out []string
	for _, name := range t.vars {
		if t.requires(name) {
			out = append(out, name)
		}
	}
	return out
}

// requires reports whether some use of name has no default.
func (t *Template) requires(name string) bool {
	for i := range t.parts {
		if p := &t.parts[i]; p.name == name && !p.hasDef {
			return true
		}
	}
	return false
}

// Render appends the filled template to dst and returns it. lookup gives
// a variable's value (nil lookup: no values); a variable with no value —
// lookup says !ok, or gives "" — takes its default. When a variable
// without default has no value, Render returns dst unchanged and ok
// false (bytes of dst's spare capacity may have been written). Values are
// inserted verbatim. Render allocates only to grow dst, and only if lookup
// does not.
func (t *Template) Render(dst []byte, lookup func(name string) (string, bool)) (out []byte, ok bool) {
	orig := dst
	for i := range t.parts {
		p := &t.parts[i]
		if p.name == "" {
			dst = append(dst, p.lit...)
			continue
		}
		if lookup != nil {
			if v, ok := lookup(p.name); ok && v != "" {
				dst = append(dst, v...)
				continue
			}
		}
		if !p.hasDef {
			return orig, false
		}
		dst = append(dst, p.def...)
	}
	return dst, true
}
