package node

import (
	"io"
	"net"
	"sync"
	"time"
)

// lingerTime and lingerBytes bound what closing a connection reads from
// its peer before closing it.
const (
	lingerTime  = 500 * time.Millisecond
	lingerBytes = 1 << 20
)

// lingerListener hands out connections that close as HTTP servers
// should (RFC 9112 §9.6): the write side first, then what the peer still
// sends is read and discarded until it closes too, within lingerTime.
// Closing a socket with unread data in it sends a reset, and a reset
// makes the peer's kernel discard what it had not yet read: a client
// still sending a body over the bound lost the 413 saying so, and a
// widget flooding when refused lost its error frames and the close frame.
type lingerListener struct{ net.Listener }

func (l lingerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c, nil
	}
	return &lingerConn{TCPConn: tc}, nil
}

// lingerConn is a TCP connection whose Close lingers; it stays a
// *net.TCPConn in everything else.
type lingerConn struct {
	*net.TCPConn
	once sync.Once
	err  error
}

// lingering bounds the connections draining at once: past it a
// connection closes at once (with a reset, as without lingering).
var lingering = make(chan struct{}, 4096)

// Close shuts the write side and returns; the drain and the close run on
// their own goroutine, so a caller closing many connections in a row
// (fasthttp closes idle ones one by one at shutdown, under a lock) is
// never held lingerTime per peer that does not close its side.
func (c *lingerConn) Close() error {
	c.once.Do(func() {
		select {
		case lingering <- struct{}{}:
		default:
			c.err = c.TCPConn.Close()
			return
		}
		if err := c.TCPConn.CloseWrite(); err != nil {
			<-lingering
			c.err = c.TCPConn.Close()
			return
		}
		go func() {
			defer func() { <-lingering }()
			c.TCPConn.SetReadDeadline(time.Now().Add(lingerTime))
			io.CopyN(io.Discard, c.TCPConn, lingerBytes)
			c.TCPConn.Close()
		}()
	})
	return c.err
}
