package gateway

import (
	"syscall"
	"unsafe"
)

const canWait = true

// waitReadable blocks until rc has bytes to read, the peer closed or the
// socket failed, or the read deadline set on the connection passes (an
// error whose Timeout is true, as a read's would be). It takes nothing
// from the socket (MSG_PEEK): NextReader reads what came, or meets the
// end or the error. The recv is a raw syscall so that the parked frame
// stays small (syscall.Recvfrom keeps a 112-byte address on the stack).
func waitReadable(rc syscall.RawConn) error {
	return rc.Read(func(fd uintptr) bool {
		var b byte
		_, _, errno := syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b)), 1,
			syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
		return errno != syscall.EAGAIN // anything else: data, the end, an error for NextReader
	})
}
