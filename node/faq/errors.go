package faq

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

var (
	// ErrInvalid is returned (wrapped) when a template, an entry, a format
	// name or an import file is malformed. Import and Replace return an
	// *ImportError that wraps it; ParseTemplate a *TemplateError.
	ErrInvalid = errors.New("faq: invalid")
	// ErrLocked is returned by Open when another handle (usually another
	// process) holds the store file and Options.OpenTimeout passed.
	ErrLocked = errors.New("faq: store file locked")
	// ErrClosed is returned by writes made after Close.
	ErrClosed = errors.New("faq: store closed")
	// ErrCorrupt is returned by Open when the file's metadata cannot be
	// read (a damaged file, or one written by a newer schema).
	ErrCorrupt = errors.New("faq: corrupt store")
)

// TemplateError is a template syntax error; it wraps ErrInvalid.
type TemplateError struct {
	Offset int    // byte offset in the template source
	Msg    string // what is wrong, without the offset
}

func (e *TemplateError) Error() string {
	return fmt.Sprintf("faq: template: %s at byte %d", e.Msg, e.Offset)
}

// Unwrap returns ErrInvalid.
func (e *TemplateError) Unwrap() error { return ErrInvalid }

// LineError is one problem in an import: the line it starts on (1-based;
// for Replace, the entry's 1-based position in the slice; 0 when it
// concerns the whole input), the field ("answer", "links[1].url"; empty
// when it concerns the whole line) and what is wrong.
type LineError struct {
	Line  int
	Field string
	Msg   string
}

func (e LineError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "field %q: ", e.Field)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// maxErrors caps the problems an import collects before it gives up.
const maxErrors = 1000

// ImportError carries every problem found in an import or a Replace,
// sorted by line. It wraps ErrInvalid. When Truncated is set, collection
// stopped after maxErrors (1000) problems and the input was not read to
// its end.
type ImportError struct {
	Errs      []LineError
	Truncated bool
}

// Error lists the first 20 problems, one a line, and says how many more
// there are.
func (e *ImportError) Error() string {
	const show = 20
	var b strings.Builder
	n := len(e.Errs)
	switch {
	case n == 1:
		b.WriteString("faq: invalid input: ")
		b.WriteString(e.Errs[0].Error())
		return b.String()
	case e.Truncated:
		fmt.Fprintf(&b, "faq: invalid input: more than %d errors (stopped reading):", n)
	default:
		fmt.Fprintf(&b, "faq: invalid input: %d errors:", n)
	}
	for i, le := range e.Errs {
		if i == show {
			fmt.Fprintf(&b, "\n\t… and %d more", n-show)
			break
		}
		b.WriteString("\n\t")
		b.WriteString(le.Error())
	}
	return b.String()
}

// Unwrap returns ErrInvalid.
func (e *ImportError) Unwrap() error { return ErrInvalid }

// errList collects LineErrors up to maxErrors.
type errList struct {
	errs      []LineError
	truncated bool
}

func (l *errList) add(line int, field, msg string) {
	if len(l.errs) >= maxErrors {
		l.truncated = true
		return
	}
	l.errs = append(l.errs, LineError{Line: line, Field: field, Msg: msg})
}

func (l *errList) addf(line int, field, format string, args ...any) {
	l.add(line, field, fmt.Sprintf(format, args...))
}

// full reports whether collection should stop.
func (l *errList) full() bool { return len(l.errs) >= maxErrors }

// err returns the collected problems, in line order, as an
// *ImportError, or nil.
func (l *errList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(l.errs, func(a, b LineError) int { return cmp.Compare(a.Line, b.Line) })
	return &ImportError{Errs: l.errs, Truncated: l.truncated || l.full()}
}
