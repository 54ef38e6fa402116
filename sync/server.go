package edgesync

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ServerOptions configures the embedded server.
type ServerOptions struct {
	// Name is the server's name (the node's).
	Name string
	// StoreDir holds JetStream's files.
	StoreDir string
	// Listen is the client address ("" serves in-process connections only).
	Listen string
	// SyncAlways fsyncs every JetStream write before acknowledging it.
	SyncAlways bool
	// Leaf is the core's leaf-node URL: the server joins it as a leaf.
	// The session events and uploads published on the leaf stay in its
	// own streams; the core sources them (EnsureArchive).
	Leaf string
	// LeafTLS secures the connection to Leaf (nil: as its URL and the
	// core ask).
	LeafTLS *tls.Config
	// LeafCreds (a credentials file), LeafUser (a user and password, or a
	// token as a user name alone) or LeafNKeySeed (an NKey seed)
	// authenticate to Leaf.
	LeafCreds    string
	LeafUser     *url.Userinfo
	LeafNKeySeed string
	// Domain is the server's JetStream domain (required with Leaf).
	Domain string
	// LeafListen accepts leaf nodes on this address (a core; tests).
	LeafListen string
	// MaxBatch is the most messages of one atomic batch the server takes
	// (default EmbeddedBatch). A batch costs the server a fixed few
	// milliseconds (a staging store), so the node's own server takes
	// larger batches than a core's default of 1,000.
	MaxBatch int
}

// EmbeddedBatch is the embedded server's default MaxBatch: the batch size
// the publisher uses towards it.
const EmbeddedBatch = 5000

// StartServer starts an embedded nats-server with JetStream and waits until
// it takes connections.
func StartServer(o ServerOptions) (*server.Server, error) {
	opts := &server.Options{
		ServerName: o.Name,
		JetStream:  true,
		StoreDir:   o.StoreDir,
		NoSigs:     true,
		NoLog:      true,
		DontListen: o.Listen == "",
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = EmbeddedBatch
	}
	opts.JetStreamLimits.MaxBatchSize = o.MaxBatch
	if o.SyncAlways {
		opts.SyncAlways = true
		opts.SyncInterval = 2 * time.Minute // the value is unused with SyncAlways; set as the config parser does
	}
	if o.Listen != "" {
		host, port, err := net.SplitHostPort(o.Listen)
		if err != nil {
			return nil, fmt.Errorf("%w: listen %q: %w", ErrServer, o.Listen, err)
		}
		opts.Host = host
		if opts.Port, err = strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("%w: listen %q: %w", ErrServer, o.Listen, err)
		}
	}
	opts.JetStreamDomain = o.Domain
	if o.Leaf != "" {
		u, err := url.Parse(o.Leaf)
		if err != nil {
			return nil, fmt.Errorf("%w: leaf %q: %w", ErrServer, o.Leaf, err)
		}
		// The edge's own streams keep to the edge (leafLocal).
		if o.LeafUser != nil {
			u.User = o.LeafUser
		}
		remote := &server.RemoteLeafOpts{URLs: []*url.URL{u}, DenyImports: leafLocal, DenyExports: leafLocal,
			Credentials: o.LeafCreds, Nkey: o.LeafNKeySeed}
		if o.LeafTLS != nil {
			remote.TLS, remote.TLSConfig = true, o.LeafTLS
		}
		opts.LeafNode.Remotes = []*server.RemoteLeafOpts{remote}
		opts.LeafNode.ReconnectInterval = 250 * time.Millisecond
	}
	if o.LeafListen != "" {
		host, port, err := net.SplitHostPort(o.LeafListen)
		if err != nil {
			return nil, fmt.Errorf("%w: leaf listen %q: %w", ErrServer, o.LeafListen, err)
		}
		opts.LeafNode.Host = host
		if opts.LeafNode.Port, err = strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("%w: leaf listen %q: %w", ErrServer, o.LeafListen, err)
		}
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrServer, err)
	}
	s.Start()
	if !s.ReadyForConnections(15 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("%w: not ready within 15s", ErrServer)
	}
	return s, nil
}
