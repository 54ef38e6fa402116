package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// pointer is a parsed JSON pointer (RFC 6901) with two extensions of the
// channel mapping: a "*" segment walks every element of an array (only in
// the events' pointer), and a leading "^" makes a field's pointer start at
// the object holding the events' array.
type pointer struct {
	tokens []string
	up     bool // started with ^
}

var errPointer = errors.New("webhook: bad JSON pointer")

// maxPointerTokens bounds a pointer's depth.
const maxPointerTokens = 32

// parsePointer parses s: "" is the whole document; otherwise "/" and
// tokens with ~1 for "/" and ~0 for "~".
func parsePointer(s string) (pointer, error) {
	var p pointer
	if strings.HasPrefix(s, "^") {
		p.up, s = true, s[1:]
	}
	if s == "" {
		return p, nil
	}
	if s[0] != '/' {
		return p, fmt.Errorf("%w %q: must start with / (or ^/)", errPointer, s)
	}
	for _, t := range strings.Split(s[1:], "/") {
		if strings.Contains(strings.NewReplacer("~0", "", "~1", "").Replace(t), "~") {
			return p, fmt.Errorf("%w %q: ~ must be ~0 or ~1", errPointer, s)
		}
		p.tokens = append(p.tokens, strings.NewReplacer("~1", "/", "~0", "~").Replace(t))
	}
	if len(p.tokens) > maxPointerTokens {
		return p, fmt.Errorf("%w %q: deeper than %d", errPointer, s, maxPointerTokens)
	}
	return p, nil
}

// step resolves one token in v.
func step(v any, t string) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		r, ok := x[t]
		return r, ok
	case []any:
		// RFC 6901: decimal without leading zeros.
		if t == "" || len(t) > 1 && t[0] == '0' {
			return nil, false
		}
		i, err := strconv.Atoi(t)
		if err != nil || i < 0 || i >= len(x) {
			return nil, false
		}
		return x[i], true
	}
	return nil, false
}

// get resolves p in v (no wildcards).
func (p pointer) get(v any) (any, bool) {
	for _, t := range p.tokens {
		var ok bool
		if v, ok = step(v, t); !ok {
			return nil, false
		}
	}
	return v, true
}

// event is one element the events' pointer reached, and the object that
// holds the array it is in (the root when there is none).
type event struct {
	v, holder any
}

// maxEvents bounds the events taken from one request.
const maxEvents = 1000

// walk resolves p in root with "*" segments walking arrays, and appends
// every value reached to out.
func (p pointer) walk(root any, out []event) ([]event, error) {
	var rec func(v, holder any, i int) error
	rec = func(v, holder any, i int) error {
		for ; i < len(p.tokens); i++ {
			t := p.tokens[i]
			if t == "*" {
				arr, ok := v.([]any)
				if !ok {
					return nil
				}
				for _, e := range arr {
					if err := rec(e, holder, i+1); err != nil {
						return err
					}
				}
				return nil
			}
			if m, ok := v.(map[string]any); ok {
				if _, isArr := m[t].([]any); isArr && i+1 < len(p.tokens) && p.tokens[i+1] == "*" {
					holder = m
				}
			}
			var ok bool
			if v, ok = step(v, t); !ok {
				return nil
			}
		}
		if len(out) >= maxEvents {
			return fmt.Errorf("more than %d events in one request", maxEvents)
		}
		out = append(out, event{v: v, holder: holder})
		return nil
	}
	err := rec(root, root, 0)
	return out, err
}

// field is a mapped field: alternatives, the first present wins.
type field []pointer

func parseField(alts []string) (field, error) {
	var f field
	for _, a := range alts {
		p, err := parsePointer(a)
		if err != nil {
			return nil, err
		}
		f = append(f, p)
	}
	return f, nil
}

// value returns the first alternative present in ev, as found.
func (f field) value(ev event) (any, bool) {
	for _, p := range f {
		base := ev.v
		if p.up {
			base = ev.holder
		}
		if v, ok := p.get(base); ok && v != nil {
			return v, true
		}
	}
	return nil, false
}

// str returns the field as a string: a JSON string as is, a number in
// its JSON form (Telegram's ids), anything else "".
func (f field) str(ev event) string {
	v, ok := f.value(ev)
	if !ok {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

func jsonDecoder(b []byte) *json.Decoder {
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	return d
}
