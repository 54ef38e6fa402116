package gateway

import (
	"bufio"
	"errors"
	"reflect"
	"syscall"
	"unsafe"

	"github.com/fasthttp/websocket"
)

// An idle connection's reader waits for its next frame in waitReadable,
// a few frames deep, instead of inside websocket.Conn.NextReader, whose
// read path (frame parser, bufio, fasthttp's hijacked conn, net.Conn) is
// deep enough to keep a 4 KiB stack. The garbage collector halves a
// parked goroutine's stack while it uses less than a quarter of it, so
// a reader parked here keeps the minimal 2 KiB stack for as long as its
// session idles (measured: docs/LOAD.md).
//
// The wait is only correct when the WebSocket's read buffer is empty:
// a frame that arrived in the same segment as the previous one sits in
// that buffer, and the socket says nothing about it. fasthttp/websocket
// does not export its buffer, so brOffset finds the field once; if a
// later version renames or retypes it, the wait is off and the reader
// blocks in NextReader as before (TestIdleWaitEnabled fails, so the
// upgrade is noticed).
//
// NextReader returns only with a data frame: the control frames before
// one it handles inside. A pong (a widget's answer to the node's ping,
// every gateway.ping_interval) handed to NextReader would therefore keep
// the worker, with its grown stack, waiting for the session's next
// message. So the pongs at the head of what an idle socket received are
// taken without it (takePongs): they are whole frames, the WebSocket's
// read buffer is empty and the previous message was read to its end, so
// taking them leaves fasthttp/websocket's reader where it was. Anything
// else — a ping, a close, a pong cut in two, a frame with reserved bits —
// goes to NextReader as before.

// brOffset is the offset of websocket.Conn's read buffer (*bufio.Reader),
// or 0 when it cannot be found.
var brOffset = func() uintptr {
	f, ok := reflect.TypeFor[websocket.Conn]().FieldByName("br")
	if !ok || f.Type != reflect.TypeFor[*bufio.Reader]() {
		return 0
	}
	return f.Offset
}()

// readBuffered reports whether ws's read buffer holds bytes not yet
// parsed; true when that cannot be known.
func readBuffered(ws *websocket.Conn) bool {
	if brOffset == 0 {
		return true
	}
	br := *(**bufio.Reader)(unsafe.Add(unsafe.Pointer(ws), brOffset))
	return br == nil || br.Buffered() > 0
}

// rawConn returns the socket's syscall.RawConn, or nil when the
// connection has buffering of its own below the WebSocket (TLS) or no
// fd, or the platform has no waitReadable: its reader then waits in
// NextReader.
func rawConn(c any) syscall.RawConn {
	if !canWait {
		return nil
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// pongPeek bounds the bytes waitReadable looks at: room for ten empty
// pongs (the node's pings carry no payload, so neither do their answers).
const pongPeek = 64

// errShortPong says the socket ended inside pongs it had shown.
var errShortPong = errors.New("gateway: connection ended inside a pong")

// leadingPongs returns the length of the complete, final, masked pong
// frames (RFC 6455 §5.5.3) at the start of p, without reserved bits and
// with at most 125 bytes of payload; 0 when p starts with anything else.
func leadingPongs(p []byte) int {
	i := 0
	for len(p)-i >= 2 {
		b0, b1 := p[i], p[i+1]
		if b0 != 0x8a || b1&0x80 == 0 { // FIN, no RSV, opcode 0xA; masked
			break
		}
		n := int(b1 & 0x7f)
		if n > 125 {
			break
		}
		end := i + 2 + 4 + n
		if end > len(p) {
			break
		}
		i = end
	}
	return i
}
