package gateway

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

const canWait = true

// waitReadable blocks until rc has bytes to read, the peer closed or the
// socket failed, or the read deadline set on the connection passes (an
// error whose Timeout is true, as a read's would be). It takes nothing
// from the socket (MSG_PEEK): NextReader reads what came, or meets the
// end or the error. It says what came first (classify): whole pongs, which
// takePongs consumes without NextReader, or a whole final data frame,
// which NextReader reads without waiting. The recv is a raw syscall so
// that the parked frame stays small (syscall.Recvfrom keeps a 112-byte
// address on the stack).
func waitReadable(rc syscall.RawConn) (h head, err error) {
	err = rc.Read(func(fd uintptr) bool {
		var b [pongPeek]byte
		n, _, errno := syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
			syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
		switch errno {
		case syscall.EAGAIN:
			return false // wait on the netpoller
		case 0:
			avail := int(n)
			if avail == len(b) { // there may be more: how much?
				if v, err := unix.IoctlGetInt(int(fd), unix.SIOCINQ); err == nil {
					avail = v
				}
			}
			h = classify(b[:n], avail)
		}
		return true // data, the end, or an error for NextReader
	})
	return h, err
}

// discard reads and drops n bytes from rc, waiting for them if need be.
func discard(rc syscall.RawConn, n int) error {
	var rerr error
	err := rc.Read(func(fd uintptr) bool {
		var b [pongPeek]byte
		for n > 0 {
			got, _, errno := syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(min(n, len(b))),
				syscall.MSG_DONTWAIT, 0, 0)
			switch {
			case errno == syscall.EAGAIN:
				return false
			case errno == syscall.EINTR:
				continue
			case errno != 0:
				rerr = errno
				return true
			case got == 0:
				rerr = errShortPong
				return true
			}
			n -= int(got)
		}
		return true
	})
	if err != nil {
		return err
	}
	return rerr
}
