package edgesync

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ErrServer wraps failures to start the embedded server.
var ErrServer = errors.New("edgesync: embedded nats-server")

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
}

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
