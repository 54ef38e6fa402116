// Package mqtt lets apps and devices chat over MQTT with the widget
// protocol (docs/PROTOCOL.md): the same frames, as MQTT payloads, on a pair
// of topics per app connection, served by the embedded nats-server's MQTT
// listener (edgesync.MQTTOptions) and bridged here to the session store
// the one way every channel uses (session.Opener, Store.Submit,
// Store.Subscribe). docs/MQTT.md is the app developer's page.
//
// An app connection is a key and a connection token: it publishes frames
// on edgedesk/mqtt/<key>/<conn>/in and subscribes (QoS 1) to
// edgedesk/mqtt/<key>/<conn>/out. The key is what the MQTT CONNECT's
// credentials granted (Authenticator): with auth.widget_secret, the hash of
// the widget token's customer (CustomerKey); without, the user name, an
// unguessable install id. The server lets a client publish and subscribe
// on its own key's topics only, and hello checks the token again and that
// it belongs to the key, so no app writes into or reads another
// customer's connection.
//
// The Bridge subscribes on NATS to every app's inbound subject and keeps
// one client per connection that sent a frame: its hello opens or resumes
// a session, replays what the app missed since the last seq it names (in
// pages) and then delivers live; a msg is submitted to the store and its
// receipt published only once the store calls back after the commit.
// Frames to the app are published into nats-server's MQTT stream, so they
// reach the app at QoS 1. A client whose app left (no subscription on its
// out topic any more) is dropped by the sweep.
//
// Memory per app connection is bounded: a few frames queued in (frames
// over gateway.max_frame_bytes are refused before they are queued), at
// most gateway.send_queue frames queued out (past it the client is
// dropped and the app resumes with hello), and mqtt.max_clients
// connections in all, mqtt.max_conns_per_key per key.
//
// Bridge methods are safe for concurrent use.
package mqtt
