// Package gateway terminates widget WebSockets (GET /v1/ws, widget protocol
// v1: docs/PROTOCOL.md) on fasthttp and fasthttp/websocket, and turns their
// frames into session operations. It is one transport beside others: all
// conversation state lives in package session, which never imports this one.
//
// Per connection the gateway keeps one goroutine (the reader) and no
// buffers but the WebSocket's read buffer while idle. On a plain TCP socket
// the reader only waits for the socket to become readable (idlewait.go)
// and hands reading and handling the frame to one of a small set of
// long-lived worker goroutines shared by all connections (a new goroutine
// when all are busy), so it keeps the runtime's smallest stack (2 KiB); on
// TLS it reads the frame itself and hands the handling over. With
// Options.KeepHijacked the reader is a goroutine of the gateway's own and
// fasthttp frees the upgrade request at once. Queued frames are flushed by
// the workers too, and one loop hands every silent connection to a few
// pingers. The widget's pongs are taken without NextReader. This keeps
// an idle session below the bare stack's footprint (docs/LOAD.md).
//
// After the upgrade fasthttp's timeouts no longer apply, so the gateway sets
// its own: a hello deadline, an idle read deadline refreshed by every frame
// and pong, and a write deadline on every write.
//
// Gateway methods are safe for concurrent use.
package gateway
