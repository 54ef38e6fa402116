package staff

import "errors"

var (
	// ErrInvalid is returned when an account or password fails validation;
	// the wrapped message names the field.
	ErrInvalid = errors.New("staff: invalid")
	// ErrNotFound is returned when no account has the email or id.
	ErrNotFound = errors.New("staff: no such account")
	// ErrExists is returned by Add when the email or id is taken.
	ErrExists = errors.New("staff: account exists")
	// ErrWrongPassword is returned by Authenticate for an unknown email, a
	// wrong password and a disabled account alike, so a caller cannot tell
	// them apart by mistake.
	ErrWrongPassword = errors.New("staff: wrong email or password")
	// ErrBadHash is returned when a stored hash is not an argon2id PHC
	// string this package can verify.
	ErrBadHash = errors.New("staff: unreadable password hash")
	// ErrBusy is returned when too many hashes are being computed at once
	// and the caller's wait ran out.
	ErrBusy = errors.New("staff: password hashing busy")
)
