package edgesync

import "errors"

var (
	// ErrServer is returned (wrapped) when the embedded server does not
	// start: bad options, or not ready in time.
	ErrServer = errors.New("edgesync: embedded nats-server")
	// ErrNoHistory is returned by FetchHistory when the core has no event
	// of the session (or the id cannot be a session's subject token).
	ErrNoHistory = errors.New("edgesync: the core has no such session")
	// ErrRelay is returned (wrapped) when another node refused a relay
	// request or did not answer it.
	ErrRelay = errors.New("edgesync: relay")
	// ErrOutboxClosed is what an Outbox returns (wrapped) once its store
	// is closing: the publisher stops deleting without complaint (the
	// events left are checked against the stream at the next start).
	ErrOutboxClosed = errors.New("edgesync: outbox closed")
	// ErrUsage is returned (wrapped) by ArchiveCommand for a bad command
	// line.
	ErrUsage = errors.New("edgesync: usage")
	// ErrInvalid is returned (wrapped) for an erasure announcement or a
	// session id that cannot be what it claims.
	ErrInvalid = errors.New("edgesync: invalid")
)
