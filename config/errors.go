package config

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("config: invalid")

// ErrUnknownKey is returned when the YAML file names a key edgedesk does not
// know (usually a typo).
var ErrUnknownKey = errors.New("config: unknown key")

// FieldError names the key (YAML path or environment variable) and the bad
// value. It wraps ErrInvalid.
type FieldError struct {
	Key    string // e.g. "gateway.max_frame_bytes" or "EDGEDESK_LISTEN"
	Value  any
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: %v: %s", e.Key, e.Value, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }
