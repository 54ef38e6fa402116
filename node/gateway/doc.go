// Package gateway terminates widget WebSockets (GET /v1/ws, widget protocol
// v1: docs/PROTOCOL.md) on fasthttp and fasthttp/websocket, and turns their
// frames into session operations. It is one transport beside others: all
// conversation state lives in package session, which never imports this one.
//
// Per connection the gateway keeps one goroutine (the reader, which is the
// fasthttp hijack handler) and no buffers while idle: frames are read into
// pooled buffers and handled, like the flushing of queued frames, by a small
// set of long-lived worker goroutines shared by all connections (a new
// goroutine when all are busy), so the reader's stack stays small. Pings are
// sent from a timer, not a goroutine. This keeps an idle session near the
// bare stack's footprint.
//
// After the upgrade fasthttp's timeouts no longer apply, so the gateway sets
// its own: a hello deadline, an idle read deadline refreshed by every frame
// and pong, and a write deadline on every write.
//
// Gateway methods are safe for concurrent use.
package gateway
