package gateway

import (
	"bufio"
	"encoding/binary"
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
// read path (frame parser, bufio, fasthttp's hijacked conn, net.Conn)
// grows a stack to 4 KiB; the runtime shrinks a stack only while its
// goroutine uses less than a quarter of it minus 800 bytes, so a reader
// that ran it once kept 4 KiB for as long as its session idled. A reader
// that never runs it stays on the 2 KiB it started with (measured:
// docs/LOAD.md); the read runs on another goroutine (conn.nextOffStack).
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
// else goes to NextReader: on a worker when a whole final data frame is
// first (dataFrameReady), so it returns without waiting; otherwise (a
// frame still arriving, a ping, a close, a fragment, a pong cut in two)
// on a goroutine of its own, which may wait for the client.

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
// when that cannot be known. p is what ws's buffer holds.
func readBuffered(ws *websocket.Conn) (p []byte, buffered bool) {
	if brOffset == 0 {
		return nil, true
	}
	br := *(**bufio.Reader)(unsafe.Add(unsafe.Pointer(ws), brOffset))
	if br == nil {
		return nil, true
	}
	if n := br.Buffered(); n > 0 {
		p, _ = br.Peek(n) // what is buffered: no read
		return p, true
	}
	return nil, hijackedBuffered(ws.NetConn())
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

// hijackReader returns fasthttp's hijackConn.r of nc, the WebSocket's
// conn; known is false when nc is not a fasthttp hijacked conn, or one
// whose reader field moved.
func hijackReader(nc net.Conn) (r io.Reader, known bool) {
	t := reflect.TypeOf(nc)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil, false
	}
	hjr.once.Do(func() {
		if f, ok := t.Elem().FieldByName("r"); ok && f.Type == reflect.TypeFor[io.Reader]() && t.Elem().Name() == "hijackConn" {
			hjr.typ, hjr.off = t, f.Offset
		}
	})
	if t != hjr.typ {
		return nil, false
	}
	return *(*io.Reader)(unsafe.Add(reflect.ValueOf(nc).UnsafePointer(), hjr.off)), true
}

// hijackedBuffered reports whether nc, the WebSocket's conn, holds read
// bytes of its own; true when that cannot be known.
func hijackedBuffered(nc net.Conn) bool {
	r, known := hijackReader(nc)
	if !known {
		return true
	}
	if br, ok := r.(*bufio.Reader); ok {
		return br.Buffered() > 0
	}
	return false
}

// readsRequestBuffer reports whether nc reads through fasthttp's read
// buffer (the client sent bytes before the 101), or may. That buffer
// reads the socket through the upgrade request's RequestCtx, which
// fasthttp frees, and hands to another request, once the hijack handler
// returns; such a connection must be served inside the handler.
func readsRequestBuffer(nc net.Conn) bool {
	r, known := hijackReader(nc)
	if !known {
		return true
	}
	_, ok := r.(*bufio.Reader)
	return ok
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

// head is what came first on an idle connection.
type head struct {
	pongs int  // the length of the whole pong frames first (takePongs)
	ready bool // a whole final data frame first: NextReader will not wait
}

// classify says what p, the first bytes of avail readable ones, starts
// with.
func classify(p []byte, avail int) head {
	if n := leadingPongs(p); n > 0 {
		return head{pongs: n}
	}
	return head{ready: dataFrameReady(p, avail)}
}

// dataFrameReady reports whether p, the first bytes of avail readable
// ones, starts a final, masked text or binary frame without reserved bits
// whose avail bytes hold it whole: NextReader reads it without waiting.
// Anything else (a fragment, a ping, a close, a frame still arriving)
// may keep NextReader waiting for more.
func dataFrameReady(p []byte, avail int) bool {
	if len(p) < 2 || avail < len(p) {
		return false
	}
	b0, b1 := p[0], p[1]
	if b0&0xf0 != 0x80 || b0&0x0f != 1 && b0&0x0f != 2 || b1&0x80 == 0 {
		return false
	}
	n, hdr := uint64(b1&0x7f), uint64(2)
	switch n {
	case 126:
		if len(p) < 4 {
			return false
		}
		n, hdr = uint64(binary.BigEndian.Uint16(p[2:])), 4
	case 127:
		if len(p) < 10 {
			return false
		}
		n, hdr = binary.BigEndian.Uint64(p[2:]), 10
	}
	return n <= uint64(avail) && hdr+4+n <= uint64(avail)
}
