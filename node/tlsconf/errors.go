package tlsconf

import "errors"

// ErrCertificate is wrapped by every failure to load a certificate, a key
// or a CA file; the message names the file.
var ErrCertificate = errors.New("tlsconf: certificate")
