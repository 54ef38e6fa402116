package files

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"
)

// File is one of a session's files as the Index keeps it: ID is the file
// id (the object's name is "<session>/<ID>"), Size its stored bytes.
type File struct {
	ID   string
	Size int64
}

// Index keeps each session's files where the node finds them without
// listing the bucket: an upload is recorded in it before it is stored
// (the session's quota counts what it holds), and a session's files are
// deleted by the names it kept. The node keeps them with the session,
// durably (session.Meta.Uploads), so they survive a restart and go to
// the sweeper's OnExpire hooks with the session.
type Index interface {
	// Update calls fn with the files session sid holds and records what
	// fn returns, atomically with respect to other updates of sid. It
	// returns an error wrapping fn's when fn fails (nothing is recorded
	// then), and one wrapping ErrNoSession when there is no session sid.
	Update(ctx context.Context, sid string, fn func(held []File) ([]File, error)) error
}

// SessionFiles names the files of one session: what DeleteSessions
// deletes.
type SessionFiles struct {
	Session string
	Files   []File
}

// reserve records file f of session sid in the index, unless the
// session would then hold more than MaxFilesPerSession files or
// MaxSessionBytes bytes (ErrSessionFull, ErrSessionBytes). held is what
// the session held before, for the error message.
func (h *Handler) reserve(ctx context.Context, sid string, f File) (held int64, err error) {
	err = h.o.Index.Update(ctx, sid, func(files []File) ([]File, error) {
		held = 0
		for _, g := range files {
			held += g.Size
		}
		switch {
		case len(files) >= h.o.MaxFilesPerSession:
			return nil, ErrSessionFull
		case held+f.Size > h.o.MaxSessionBytes:
			return nil, ErrSessionBytes
		}
		return append(slices.Clip(files), f), nil
	})
	return held, err
}

// unreserve removes file id of session sid from the index: the upload
// that reserved it was not stored. It gets a context of its own, as the
// request's may be what failed.
func (h *Handler) unreserve(sid, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), h.o.IOTimeout)
	defer cancel()
	err := h.o.Index.Update(ctx, sid, func(files []File) ([]File, error) {
		return slices.DeleteFunc(slices.Clone(files), func(f File) bool { return f.ID == id }), nil
	})
	if err != nil && !errors.Is(err, ErrNoSession) {
		// It counts against the session's quota until the session expires.
		h.o.Logger.Warn("a file not stored stays counted", "session", sid, "file", id, "err", err)
	}
}

// DeleteSessions deletes the files of the sessions the sweeper expired,
// by name (never listing the bucket), and forgets their upload rates.
// A file already gone (files.ttl) is no error; what it cannot delete the
// bucket's TTL removes later.
func (h *Handler) DeleteSessions(ctx context.Context, expired []SessionFiles) error {
	var errs []error
	sids := make([]string, 0, len(expired))
	for _, s := range expired {
		sids = append(sids, s.Session)
		for _, f := range s.Files {
			if !validName(f.ID) {
				continue
			}
			name := s.Session + "/" + f.ID
			if err := h.obs.Delete(ctx, name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
				errs = append(errs, fmt.Errorf("files: delete %s: %w", name, err))
			}
		}
	}
	h.rate.forget(sids...)
	return errors.Join(errs...)
}
