package email

import "errors"

var (
	// ErrMalformed is returned by Parse for a mail it cannot read: bad
	// MIME structure, no usable From, no text.
	ErrMalformed = errors.New("email: malformed mail")
	// ErrNoText is returned by Parse for a mail with neither a text nor
	// an HTML part nor a subject (an empty mail, attachments only).
	ErrNoText = errors.New("email: no text in the mail")
	// ErrClosed is returned by the Threads index after Close.
	ErrClosed = errors.New("email: closed")
)
