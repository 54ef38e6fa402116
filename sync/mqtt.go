package edgesync

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net"
	"strconv"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// MQTT subjects. An app's MQTT topic edgedesk/mqtt/<key>/<conn>/in is the
// NATS subject edgedesk.mqtt.<key>.<conn>.in (nats-server maps the topic
// level separator / to the subject token separator .); the node answers
// on …/out. The key is what the CONNECT's credentials granted (MQTTAuth),
// so an app can publish into and read only its own key's topics.
const (
	MQTTPrefix = "edgedesk.mqtt."
	// MQTTInbound is the node's subscription to every app's frames.
	MQTTInbound = MQTTPrefix + "*.*.in"
)

// MQTTInSubject and MQTTOutSubject are the subjects of one app
// connection's frames to the node and from it.
func MQTTInSubject(key, conn string) string  { return MQTTPrefix + key + "." + conn + ".in" }
func MQTTOutSubject(key, conn string) string { return MQTTPrefix + key + "." + conn + ".out" }

// MQTTQoS1Subject is where a publisher puts a message for MQTT subscribers
// of subject at QoS 1: nats-server's MQTT stream ($MQTT_msgs) captures it
// and each QoS 1 subscription's consumer delivers it until the app
// acknowledges it (PUBACK). A plain NATS publish would reach MQTT
// subscribers at QoS 0 only. The message needs the MQTTQoSHeader.
func MQTTQoS1Subject(subject string) string { return "$MQTT.msgs." + subject }

// MQTTQoSHeader is the header, with value "1", that nats-server reads as
// an MQTT message's QoS (its own mqttNatsHeader).
const MQTTQoSHeader = "Nmqtt-Pub"

// MQTTOptions turns on the embedded server's MQTT listener.
type MQTTOptions struct {
	// Listen is host:port ("" off). A host left empty is 127.0.0.1.
	Listen string
	// TLSCert and TLSKey are the listener's certificate and key (PEM
	// files); required off loopback (the CONNECT carries a token).
	TLSCert, TLSKey string
	// Auth checks an MQTT client's CONNECT user name and password (the
	// app's key and its widget token) and returns the key whose topics the
	// client may use, a subject token. Required.
	Auth func(user, password string) (key string, err error)
}

// mqttListen configures the MQTT listener and, because an MQTT client
// carries a widget token rather than a NATS user, the custom
// authenticator that then checks every client of the server.
func mqttListen(opts *server.Options, o ServerOptions) error {
	m := o.MQTT
	if m.Auth == nil {
		return fmt.Errorf("%w: mqtt listen %s: no authenticator", ErrServer, m.Listen)
	}
	host, port, err := net.SplitHostPort(m.Listen)
	if err != nil {
		return fmt.Errorf("%w: mqtt listen %q: %w", ErrServer, m.Listen, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	opts.MQTT.Host = host
	if opts.MQTT.Port, err = strconv.Atoi(port); err != nil {
		return fmt.Errorf("%w: mqtt listen %q: %w", ErrServer, m.Listen, err)
	}
	loopback := host == "localhost"
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		loopback = true
	}
	if !loopback && m.TLSCert == "" {
		return fmt.Errorf("%w: mqtt listen %s: off loopback the MQTT port needs TLS (a certificate and key)", ErrServer, m.Listen)
	}
	if m.TLSCert != "" {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: m.TLSCert, KeyFile: m.TLSKey})
		if err != nil {
			return fmt.Errorf("%w: mqtt listen %s: %w", ErrServer, m.Listen, err)
		}
		opts.MQTT.TLSConfig, opts.MQTT.TLSTimeout = tc, 2
	}
	// On a leaf node, MQTT's own streams stay in the edge's domain.
	opts.MQTT.JsDomain = o.Domain
	a := &clientAuth{mqtt: m.Auth, nkeys: map[string]bool{}}
	// The users the server would otherwise check itself (listenAuth).
	for _, u := range opts.Users {
		a.users = append(a.users, [2]string{u.Username, u.Password})
	}
	for _, k := range opts.Nkeys {
		a.nkeys[k.Nkey] = true
	}
	opts.AlwaysEnableNonce = len(a.nkeys) > 0 // the server sends a nonce only for its own NKey users
	opts.Users, opts.Nkeys = nil, nil
	opts.CustomClientAuthentication = a
	return nil
}

// clientAuth authenticates every client of a server with an MQTT listener:
// nats-server checks a custom authenticator instead of its users, so it
// checks them too. The node's in-process connection is trusted (it cannot
// come from the network), then the users and NKeys of the client port with
// full permissions, then widget tokens, limited to their key's topics.
type clientAuth struct {
	users [][2]string // name, password
	nkeys map[string]bool
	mqtt  func(user, password string) (string, error)
}

// Check implements server.Authentication.
func (a *clientAuth) Check(c server.ClientAuthentication) bool {
	kind := c.Kind()
	if kind != server.CLIENT && kind != server.LEAF {
		return false
	}
	if addr := c.RemoteAddress(); addr != nil && addr.Network() == "pipe" {
		c.RegisterUser(&server.User{Username: InternalUser}) // nats.InProcessServer: net.Pipe
		return true
	}
	o := c.GetOpts()
	if o.Nkey != "" {
		return a.nkey(c, o)
	}
	for _, u := range a.users {
		if o.Username == u[0] && o.Password != "" && subtle.ConstantTimeCompare([]byte(o.Password), []byte(u[1])) == 1 {
			c.RegisterUser(&server.User{Username: u[0]})
			return true
		}
	}
	if kind != server.CLIENT {
		return false // a leaf node (LeafListen without leaf users) needs a user
	}
	// An MQTT client's password is also its token (nats-server copies it);
	// a NATS client may send either.
	token := o.Password
	if token == "" {
		token = o.Token
	}
	key, err := a.mqtt(o.Username, token)
	if err != nil {
		return false
	}
	c.RegisterUser(&server.User{Username: "mqtt:" + key, Permissions: &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: []string{MQTTInSubject(key, "*")}},
		Subscribe: &server.SubjectPermission{Allow: []string{MQTTOutSubject(key, "*")}},
	}})
	return true
}

// nkey checks a client's signature of the server's nonce with its NKey.
func (a *clientAuth) nkey(c server.ClientAuthentication, o *server.ClientOpts) bool {
	if !a.nkeys[o.Nkey] {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(o.Sig)
	if err != nil {
		if sig, err = base64.StdEncoding.DecodeString(o.Sig); err != nil {
			return false
		}
	}
	pub, err := nkeys.FromPublicKey(o.Nkey)
	if err != nil || pub.Verify(c.GetNonce(), sig) != nil {
		return false
	}
	if r, ok := c.(interface{ RegisterNkeyUser(*server.NkeyUser) error }); ok {
		return r.RegisterNkeyUser(&server.NkeyUser{Nkey: o.Nkey}) == nil
	}
	c.RegisterUser(&server.User{Username: o.Nkey})
	return true
}
