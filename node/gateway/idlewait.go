package gateway

import (
	"bufio"
	"errors"
	"io"
	"net"
	"reflect"
	"sync"
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
// The wait is only correct when nothing is buffered above the socket: a
// frame that arrived in the same segment as the previous one sits in the
// WebSocket's read buffer, and bytes a client sent before the 101 in
// fasthttp's, and the socket says nothing about either. Neither library
// exports its buffer, so brOffset and hjr find the fields by reflection;
// if a later version renames or retypes one, the wait is off and the
// reader blocks in NextReader as before (TestIdleWaitEnabled fails, so
// the upgrade is noticed).
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

// readBuffered reports whether bytes not yet parsed wait above the
// socket: in ws's read buffer, or in fasthttp's (hijackedBuffered); true
// when that cannot be known.
func readBuffered(ws *websocket.Conn) bool {
	if brOffset == 0 {
		return true
	}
	br := *(**bufio.Reader)(unsafe.Add(unsafe.Pointer(ws), brOffset))
	return br == nil || br.Buffered() > 0 || hijackedBuffered(ws.NetConn())
}

// hjr locates fasthttp's hijackConn.r (an io.Reader), through which the
// WebSocket reads the socket. When the client sent bytes behind its
// upgrade request before the 101 (RFC 6455 says to wait; some clients
// do not), r is fasthttp's read buffer holding them, and it keeps taking
// up to its size from the socket on each read.
var hjr struct {
	once sync.Once
	typ  reflect.Type
	off  uintptr
}

// hijackedBuffered reports whether nc, the WebSocket's conn, holds read
// bytes of its own; true when that cannot be known (not a fasthttp
// hijacked conn, or one whose reader field moved).
func hijackedBuffered(nc net.Conn) bool {
	t := reflect.TypeOf(nc)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return true
	}
	hjr.once.Do(func() {
		if f, ok := t.Elem().FieldByName("r"); ok && f.Type == reflect.TypeFor[io.Reader]() && t.Elem().Name() == "hijackConn" {
			hjr.typ, hjr.off = t, f.Offset
		}
	})
	if t != hjr.typ {
		return true
	}
	r := *(*io.Reader)(unsafe.Add(reflect.ValueOf(nc).UnsafePointer(), hjr.off))
	if br, ok := r.(*bufio.Reader); ok {
		return br.Buffered() > 0
	}
	return false
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
