package files

import "errors"

var (
	// ErrType is returned for an upload whose content is not a JPEG, PNG,
	// WebP or PDF.
	ErrType = errors.New("files: not an image (JPEG, PNG, WebP) or a PDF")
	// ErrMalformed is returned by Strip for an image whose structure it
	// cannot follow; such a file is refused rather than stored with its
	// metadata.
	ErrMalformed = errors.New("files: malformed image")
	// ErrTooLarge is returned for an upload over the size limit.
	ErrTooLarge = errors.New("files: file too large")
	// ErrDenied is returned for a missing, forged or expired token or link.
	ErrDenied = errors.New("files: not authorised")
	// ErrNotFound is returned for a file the store does not hold.
	ErrNotFound = errors.New("files: no such file")
	// ErrSessionFull is returned for an upload into a session that holds
	// Options.MaxFilesPerSession files.
	ErrSessionFull = errors.New("files: the session holds its most files")
	// ErrSessionBytes is returned for an upload that would take a
	// session's files past Options.MaxSessionBytes.
	ErrSessionBytes = errors.New("files: the session holds its most bytes")
	// ErrNoSession is what an Index returns (wrapped) for a session it
	// does not have: expired, or never on this node.
	ErrNoSession = errors.New("files: no such session")
)
