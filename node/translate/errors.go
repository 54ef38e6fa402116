package translate

import "errors"

var (
	// ErrUnsupported is returned by a provider asked for a pair it does
	// not translate.
	ErrUnsupported = errors.New("translate: language pair not supported")
	// ErrProvider wraps a provider's failure: an HTTP error status, a
	// body that is not its documented format, a network error.
	ErrProvider = errors.New("translate: provider failed")
	// ErrGlossary is returned for a glossary file or term that is not
	// valid; a *GlossaryError names the line and field.
	ErrGlossary = errors.New("translate: invalid glossary")
	// ErrClosed is returned by a Service after Close.
	ErrClosed = errors.New("translate: closed")

	// errCallerGone wraps a provider call the caller abandoned: kept out
	// of the provider's breaker.
	errCallerGone = errors.New("translate: the caller stopped waiting")
)
