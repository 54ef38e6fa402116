package email

import (
	"context"
	"fmt"

	"github.com/edgedesk/edgedesk/node/email/verify"
)

// Verifier proves a customer's address: Start mails a code, Confirm takes
// it back and, once it matches, hands the proven address to Link.
type Verifier struct {
	Codes  *verify.Codes
	Sender *Sender
	// Link receives a proven address of session's customer: the one place
	// an email address becomes a verified identity (node links it to the
	// session's signed-in customer). It says whether it linked anything.
	// Nil: nothing links.
	Link func(ctx context.Context, session, address string) (bool, error)
}

// Start issues a code for session and address and mails it. The errors
// are verify's (ErrTooSoon, ErrBusy) or the relay's.
func (v *Verifier) Start(ctx context.Context, session, address string) error {
	code, err := v.Codes.Issue(session, address)
	if err != nil {
		return err
	}
	if err := v.Sender.SendCode(ctx, address, code, v.Codes.TTL()); err != nil {
		return fmt.Errorf("email: verification code for session %s: %w", session, err)
	}
	return nil
}

// Confirm checks code for session and address, then links the address,
// saying whether it did. The errors are verify's (ErrNoCode, ErrExpired,
// ErrWrongCode, ErrTooManyAttempts) or Link's.
func (v *Verifier) Confirm(ctx context.Context, session, address, code string) (linked bool, err error) {
	if err := v.Codes.Check(session, address, code); err != nil {
		return false, err
	}
	if v.Link == nil {
		return false, nil
	}
	return v.Link(ctx, session, address)
}
