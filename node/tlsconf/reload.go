package tlsconf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Reloader serves a certificate and key from two PEM files, and loads
// them again when either changes (Check, on a timer in Run) or when asked
// (Reload, on SIGHUP). A pair that fails to load (a half-written file, a
// key that does not match) leaves the running certificate in place.
// Connections already open keep the certificate of their handshake.
type Reloader struct {
	certFile, keyFile string
	log               *slog.Logger
	cur               atomic.Pointer[tls.Certificate]

	mu    sync.Mutex // serialises loads
	stamp [2]fileStamp
}

// fileStamp is what tells a changed file: its modification time, size
// and inode (a renewal renamed into place within the file system's mtime
// granularity, with the same size, is still a new inode).
type fileStamp struct {
	mod   int64 // UnixNano
	size  int64
	inode uint64
}

// NewReloader loads the pair; it fails if they do not load, since a node
// must not start without its certificate.
func NewReloader(certFile, keyFile string, log *slog.Logger) (*Reloader, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Reloader{certFile: certFile, keyFile: keyFile, log: log}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// GetCertificate is tls.Config.GetCertificate: the current certificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cur.Load(), nil
}

// Leaf is the current certificate's leaf, parsed.
func (r *Reloader) Leaf() *x509.Certificate { return r.cur.Load().Leaf }

// Reload loads the files now. On error the running certificate stays, and
// the error names the files.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stamp = r.stamps() // even on failure: a retry waits for the next change
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("%w: %s and %s: %w", ErrCertificate, r.certFile, r.keyFile, err)
	}
	// LoadX509KeyPair has parsed the leaf (Go 1.23 and later).
	if now := time.Now(); now.After(cert.Leaf.NotAfter) {
		r.log.Warn("TLS certificate has expired: browsers will refuse it", "cert_file", r.certFile, "not_after", cert.Leaf.NotAfter)
	}
	r.cur.Store(&cert)
	return nil
}

// Check reloads the files if either changed since the last load, and
// reports whether it did; a failed load is logged and keeps the running
// certificate.
func (r *Reloader) Check() bool {
	r.mu.Lock()
	changed := r.stamps() != r.stamp
	r.mu.Unlock()
	if !changed {
		return false
	}
	if err := r.Reload(); err != nil {
		r.log.Error("TLS certificate reload failed; the running certificate stays", "err", err)
		return false
	}
	leaf := r.Leaf()
	r.log.Info("TLS certificate reloaded", "cert_file", r.certFile, "subject", leaf.Subject.String(), "not_after", leaf.NotAfter)
	return true
}

// Run checks the files every interval until ctx is done; it returns nil.
func (r *Reloader) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			r.Check()
		}
	}
}

// stamps stats both files; a file that cannot be read has the zero stamp
// (so its return is a change).
func (r *Reloader) stamps() [2]fileStamp {
	var s [2]fileStamp
	for i, p := range []string{r.certFile, r.keyFile} {
		if fi, err := os.Stat(p); err == nil {
			s[i] = fileStamp{mod: fi.ModTime().UnixNano(), size: fi.Size()}
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				s[i].inode = uint64(st.Ino)
			}
		}
	}
	return s
}
