package mqtt

import "errors"

var (
	// ErrUnauthorized is returned (wrapped) by an Authenticator for a
	// CONNECT whose credentials grant no key.
	ErrUnauthorized = errors.New("mqtt: unauthorized")
	// ErrOptions is returned (wrapped) by New for missing options.
	ErrOptions = errors.New("mqtt: options")
)
