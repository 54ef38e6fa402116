package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/edgedesk/edgedesk/node/files"
	"github.com/edgedesk/edgedesk/node/gateway"
	"github.com/edgedesk/edgedesk/node/session"
)

// FilesKeyFile holds the key that signs upload tokens and file links,
// made on first start; replacing it invalidates every token and link.
const FilesKeyFile = "files.key"

// httpWriteTimeout is the HTTP server's write timeout: for a file
// download, the time each chunk may take.
const httpWriteTimeout = 10 * time.Second

// openFiles takes customers' uploads when files.enabled and there is a
// JetStream to keep them in.
func (n *Node) openFiles() error {
	if !n.cfg.Files.Enabled {
		return nil
	}
	if n.link == nil {
		n.log.Warn("files.enabled needs nats.enabled (files are kept in JetStream): uploads are off")
		return nil
	}
	key, err := loadOrMakeKey(filepath.Join(n.cfg.DataDir, FilesKeyFile))
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	trust := gateway.ParseTrust(n.cfg.Routing.TrustHeaders)
	n.files, err = files.New(ctx, files.Options{
		JS:       n.link.JetStream(),
		Replicas: n.cfg.NATS.LocalReplicas(),
		Core:     n.link.CoreJetStream(), // other nodes' files, e.g. of chats relayed here
		Signer:   files.NewSigner(key, nil),
		// Each session's files are kept with it: its quota needs no
		// count of the bucket, and its expiry (deleteFiles) no listing.
		Index: sessionUploads{n.store},
		// The client the gateway takes (a trusted CDN's header, else
		// the peer): the key of the per-network upload budget.
		ClientIP:           func(ctx *fasthttp.RequestCtx) string { return gateway.ClientIP(ctx, trust) },
		MaxBytes:           n.cfg.Files.MaxBytes,
		LinkTTL:            n.cfg.Files.LinkTTL,
		MaxTotalBytes:      int64(n.cfg.Files.MaxTotalBytes),
		TTL:                n.cfg.Files.TTL,
		MaxFilesPerSession: n.cfg.Files.MaxFilesPerSession,
		MaxSessionBytes:    int64(n.cfg.Files.MaxSessionBytes),
		UploadsPerMinute:   n.cfg.Files.UploadsPerMinute,
		IPFilesPerMinute:   n.cfg.Files.IPFilesPerMinute,
		IPBytesPerHour:     int64(n.cfg.Files.IPBytesPerHour),
		// Downloads move the write deadline chunk by chunk.
		WriteTimeout: httpWriteTimeout,
		Logger:       n.log.With("component", "files"),
	})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	n.store.OnExpire(n.deleteFiles)
	return nil
}

// deleteFiles deletes the uploads of the sessions the sweeper expired
// (session.Store.OnExpire), by the names each session recorded
// (Meta.Uploads); what it cannot delete goes at files.ttl.
func (n *Node) deleteFiles(expired []session.Meta) {
	var doomed []files.SessionFiles
	count := 0
	for _, m := range expired {
		if len(m.Uploads) == 0 {
			continue
		}
		fs := make([]files.File, len(m.Uploads))
		for i, u := range m.Uploads {
			fs[i] = files.File{ID: u.ID, Size: u.Size}
		}
		doomed = append(doomed, files.SessionFiles{Session: m.ID, Files: fs})
		count += len(fs)
	}
	if len(doomed) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := n.files.DeleteSessions(ctx, doomed); err != nil {
		n.log.Warn("files of expired sessions not deleted; files.ttl removes them later", "sessions", len(doomed), "files", count, "err", err)
	}
}

// sessionUploads keeps each session's files in its metadata
// (session.Meta.Uploads): the files.Index of the node.
type sessionUploads struct{ store *session.Store }

// Update implements files.Index.
func (u sessionUploads) Update(ctx context.Context, sid string, fn func([]files.File) ([]files.File, error)) error {
	_, err := u.store.Update(ctx, sid, func(m *session.Meta) error {
		held := make([]files.File, len(m.Uploads))
		for i, f := range m.Uploads {
			held[i] = files.File{ID: f.ID, Size: f.Size}
		}
		out, err := fn(held)
		if err != nil {
			return err
		}
		ups := make([]session.Upload, len(out)) // a new slice: Meta copies share the old one
		for i, f := range out {
			ups[i] = session.Upload{ID: f.ID, Size: f.Size}
		}
		m.Uploads = ups
		return nil
	})
	if errors.Is(err, session.ErrNoSession) {
		return fmt.Errorf("%w: %w", files.ErrNoSession, err)
	}
	return err
}

// gatewayFiles is the node's files as the widget gateway sees them.
type gatewayFiles struct{ *files.Handler }

// Stat implements gateway.Files.
func (f gatewayFiles) Stat(ctx context.Context, stored string) (session.Attachment, error) {
	a, err := f.Handler.Stat(ctx, stored)
	if errors.Is(err, files.ErrNotFound) {
		return session.Attachment{}, fmt.Errorf("%w: %w", gateway.ErrNoFile, err)
	}
	if err != nil {
		return session.Attachment{}, err
	}
	return session.Attachment{URL: a.URL, MIME: a.MIME, Name: a.Name, Size: int64(a.Size)}, nil
}

// loadOrMakeKey reads a 32-byte key from path, writing a random one
// first when there is none.
func loadOrMakeKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) < 32 {
			return nil, fmt.Errorf("%s: %d bytes, want 32: delete it to make a new one", path, len(key))
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key = make([]byte, 32)
	rand.Read(key)
	if err := writeNew(path, key); err != nil {
		return nil, err
	}
	return key, nil
}

// writeNew writes data to a new file at path, durably, readable by the
// owner only.
func writeNew(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
