package gateway

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
)

// The flusher writes every frame queued for a connection — a receipt and
// the bot's answer, typically — in one write system call, as consecutive
// WebSocket text frames: websocket.Conn writes one call per message,
// which profiles at 5,000 answered msgs/s put at 12 % of the node's CPU.
// Frames from the server are not masked, so a frame is a 2-, 4- or
// 10-byte header and the payload (RFC 6455 §5.2). Every write to the
// socket, the library's control frames included, holds conn.wmu, so these
// raw writes never interleave with its own.

// coalesceMax bounds the bytes of one write: more frames go in the next.
const coalesceMax = 64 << 10

var coalescePool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// appendFrameHeader appends the header of a final, unmasked text frame
// with a payload of n bytes.
func appendFrameHeader(b []byte, n int) []byte {
	b = append(b, 0x81) // FIN, opcode 1 (text)
	switch {
	case n < 126:
		return append(b, byte(n))
	case n <= 0xFFFF:
		b = append(b, 126)
		return binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 127)
		return binary.BigEndian.AppendUint64(b, uint64(n))
	}
}

// sendAll writes frames in order, coalesced into as few writes as
// coalesceMax allows. It returns how many were written whole; fewer than
// len(frames) means the connection broke (it is then marked closed).
func (c *conn) sendAll(frames []*[]byte) int {
	c.life.RLock()
	defer c.life.RUnlock()
	if c.dead {
		return 0
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return 0
	}
	deadline := c.g.now().Add(c.g.cfg.WriteTimeout)
	if by := c.closeBy.Load(); by != 0 && by < deadline.UnixNano() {
		deadline = time.Unix(0, by)
	}
	if err := c.raw.SetWriteDeadline(deadline); err != nil {
		c.broken()
		return 0
	}
	bp := coalescePool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= coalesceMax+16 {
			*bp = (*bp)[:0]
			coalescePool.Put(bp)
		}
	}()
	buf := (*bp)[:0]
	sent, pending, payload := 0, 0, 0
	write := func() bool {
		if _, err := c.raw.Write(buf); err != nil {
			c.broken()
			return false
		}
		c.g.m.BytesOut.Add(float64(payload))
		sent, pending, payload = sent+pending, 0, 0
		buf = buf[:0]
		return true
	}
	for _, f := range frames {
		if len(buf) > 0 && len(buf)+len(*f)+10 > coalesceMax && !write() {
			*bp = buf
			return sent
		}
		buf = appendFrameHeader(buf, len(*f))
		buf = append(buf, *f...)
		pending++
		payload += len(*f)
	}
	if len(buf) > 0 {
		write()
	}
	*bp = buf
	return sent
}

// broken marks the connection closed after a failed write and closes the
// socket, which unblocks the reader.
func (c *conn) broken() {
	c.markClosed()
	c.raw.Close()
}

// writeControl writes a control frame under wmu (see sendAll); a close
// frame ends the data frames.
func (c *conn) writeControl(typ int, data []byte, deadline time.Time) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if typ == websocket.CloseMessage {
		c.closeSent = true
	}
	return c.ws.WriteControl(typ, data, deadline)
}
