package gateway

import (
	"bufio"
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
