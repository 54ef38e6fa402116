package edgesync

import (
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
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
	// Listen is the client address ("" serves in-process connections
	// only). A host left empty is 127.0.0.1: the port serves every
	// session's events, so it is reached from elsewhere only when the
	// operator names an interface. Off loopback it requires credentials
	// (ListenUser and ListenPassword, or ListenNKeys) and TLS
	// (ListenTLSCert, ListenTLSKey); on loopback, credentials if any are
	// given (a node always gives them: config.Validate).
	Listen string
	// ListenUser and ListenPassword are a user of the client port.
	ListenUser, ListenPassword string
	// ListenNKeys are the public NKeys (U…) of users of the client port.
	ListenNKeys []string
	// ListenTLSCert and ListenTLSKey are the client port's certificate
	// and key files (PEM).
	ListenTLSCert, ListenTLSKey string
	// InternalPassword is the password of the node's own in-process user
	// ("edgedesk-node") when the client port has users: the node connects
	// with nats.UserInfo(InternalUser, InternalPassword). Required with
	// credentials.
	InternalPassword string
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
	// EncryptionKey, if set, encrypts JetStream's files (nats-server's
	// own encryption, AES-GCM) with a key derived from it (jetStreamKey),
	// so the node's one key covers both stores. OldEncryptionKey is the
	// key before a rotation: nats-server opens the streams with it and
	// re-encrypts them with the new one at start.
	EncryptionKey, OldEncryptionKey []byte
	// MQTT, with a Listen address, serves MQTT clients (apps) on the
	// server: see MQTTOptions.
	MQTT MQTTOptions
}

// jetStreamKey derives JetStream's key from the node's store key: a
// separate key per use, so neither store's ciphertext helps against the
// other's.
func jetStreamKey(k []byte) (string, error) {
	d, err := hkdf.Key(sha256.New, k, nil, "edgedesk jetstream v1", 32)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(d), nil
}

// InternalUser is the embedded server's user for the node's own
// in-process connection, when its client port has users.
const InternalUser = "edgedesk-node"

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
	if len(o.EncryptionKey) > 0 {
		var err error
		opts.JetStreamCipher = server.AES
		if opts.JetStreamKey, err = jetStreamKey(o.EncryptionKey); err != nil {
			return nil, fmt.Errorf("%w: encryption key: %w", ErrServer, err)
		}
		if len(o.OldEncryptionKey) > 0 {
			if opts.JetStreamOldKey, err = jetStreamKey(o.OldEncryptionKey); err != nil {
				return nil, fmt.Errorf("%w: old encryption key: %w", ErrServer, err)
			}
		}
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
		if host == "" {
			host = "127.0.0.1"
		}
		opts.Host = host
		if opts.Port, err = strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("%w: listen %q: %w", ErrServer, o.Listen, err)
		}
		if err := listenAuth(opts, o); err != nil {
			return nil, err
		}
	}
	opts.JetStreamDomain = o.Domain
	if o.MQTT.Listen != "" {
		if err := mqttListen(opts, o); err != nil {
			return nil, err
		}
	}
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
	// Generous: JetStream recovers its streams (and MQTT's) before the
	// server is ready, which on a busy machine or a large store takes a
	// while; a node that gave up would only be restarted to do it again.
	if !s.ReadyForConnections(serverReadyTimeout) {
		s.Shutdown()
		return nil, fmt.Errorf("%w: not ready within %s", ErrServer, serverReadyTimeout)
	}
	return s, nil
}

// serverReadyTimeout bounds the embedded server's start.
const serverReadyTimeout = time.Minute

// listenAuth puts credentials, and TLS off loopback, on the client port:
// anyone who reaches it reads every session. Without credentials the port
// may only listen on loopback (a core or a test on this machine); the node
// itself refuses nats.listen without credentials (config.Validate).
func listenAuth(opts *server.Options, o ServerOptions) error {
	loopback := opts.Host == "localhost"
	if ip := net.ParseIP(opts.Host); ip != nil && ip.IsLoopback() {
		loopback = true
	}
	creds := o.ListenUser != "" && o.ListenPassword != "" || len(o.ListenNKeys) > 0
	switch {
	case o.ListenUser != "" && o.ListenPassword == "":
		return fmt.Errorf("%w: listen %s: user %q has no password", ErrServer, o.Listen, o.ListenUser)
	case !creds && !loopback:
		return fmt.Errorf("%w: listen %s: off loopback the client port needs credentials (a user and password, or NKeys)", ErrServer, o.Listen)
	case !creds:
		return nil
	case o.InternalPassword == "":
		return fmt.Errorf("%w: listen %s: no password for the node's own connection", ErrServer, o.Listen)
	case !loopback && o.ListenTLSCert == "":
		return fmt.Errorf("%w: listen %s: off loopback the client port needs TLS (a certificate and key)", ErrServer, o.Listen)
	}
	opts.Users = []*server.User{{Username: InternalUser, Password: o.InternalPassword}}
	if o.ListenUser != "" {
		opts.Users = append(opts.Users, &server.User{Username: o.ListenUser, Password: o.ListenPassword})
	}
	for _, k := range o.ListenNKeys {
		opts.Nkeys = append(opts.Nkeys, &server.NkeyUser{Nkey: k})
	}
	if o.ListenTLSCert != "" {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: o.ListenTLSCert, KeyFile: o.ListenTLSKey})
		if err != nil {
			return fmt.Errorf("%w: listen %s: %w", ErrServer, o.Listen, err)
		}
		opts.TLSConfig, opts.TLS, opts.TLSVerify = tc, true, false
		opts.TLSTimeout = 2
	}
	return nil
}
