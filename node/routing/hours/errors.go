package hours

import (
	"errors"
	"fmt"
)

// ErrInvalid is returned (wrapped, see Error) by Compile when a Spec is
// malformed: an unknown time zone, day name, range or date, a duplicate
// holiday, or ranges that overlap.
var ErrInvalid = errors.New("hours: invalid")

// Error describes one invalid value of a Spec. Compile returns an *Error,
// or several joined with errors.Join; each wraps ErrInvalid, so
// errors.Is(err, ErrInvalid) holds, and errors.As finds the first one.
type Error struct {
	// Field names the value the way the configuration spells it:
	// "tz", "weekly.mon", "weekly.mon[1]", "holidays[2]",
	// "overrides.2026-12-24", "overrides.2026-12-24[0]".
	Field string
	// Value is the offending text, as given.
	Value string
	// Reason says what is wrong with it.
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("hours: invalid %s %q: %s", e.Field, e.Value, e.Reason)
}

// Unwrap returns ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }
