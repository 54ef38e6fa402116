package gateway

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
	"time"
)

// TestIdleWaitEnabled fails when the idle wait is off: on a plain TCP
// socket every reader should wait in waitReadable, on the smallest stack.
// A fasthttp/websocket upgrade that renames or retypes Conn.br turns it
// off silently otherwise.
func TestIdleWaitEnabled(t *testing.T) {
	if !canWait {
		t.Skip("no waitReadable on this platform")
	}
	if brOffset == 0 {
		t.Fatal("websocket.Conn has no br *bufio.Reader field: the idle wait is off")
	}
	h := newHarness(t, nil, "")
	h.dial(nil).hello(nil)
	h.g.connsMu.Lock()
	defer h.g.connsMu.Unlock()
	for c := range h.g.conns {
		if rawConn(c.raw) == nil {
			t.Fatalf("connection %T has no raw fd: its reader cannot wait outside NextReader", c.raw)
		}
		if readBuffered(c.ws) {
			t.Fatal("an idle connection's read buffer reports unread bytes")
		}
	}
}

// maskedText is a client text frame (masked with a zero key, as RFC 6455
// allows).
func maskedText(payload []byte) []byte {
	var b bytes.Buffer
	b.WriteByte(0x81)
	switch n := len(payload); {
	case n < 126:
		b.WriteByte(0x80 | byte(n))
	default:
		b.WriteByte(0x80 | 126)
		binary.Write(&b, binary.BigEndian, uint16(n))
	}
	b.Write([]byte{0, 0, 0, 0})
	b.Write(payload)
	return b.Bytes()
}

// TestFramesInOneSegmentAllHandled sends several frames in one write, so
// that the node reads them into its buffer at once: each must be answered
// at once. A reader that waited on the socket with frames left in its
// buffer would answer the first only, until the next bytes came.
func TestFramesInOneSegmentAllHandled(t *testing.T) {
	h := newHarness(t, nil, "")
	c := h.dial(nil)
	c.hello(nil)
	const n = 5
	var burst []byte
	for i := range n {
		burst = append(burst, maskedText(fmt.Appendf(nil, `{"type":"msg","cid":"p%d","text":"frame %d"}`, i, i))...)
	}
	if _, err := c.ws.NetConn().Write(burst); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		f, err := c.read(2 * time.Second)
		if err != nil {
			t.Fatalf("receipt %d of %d: %v", i+1, n, err)
		}
		if f.Type != "receipt" || f.CID != fmt.Sprintf("p%d", i) {
			t.Fatalf("frame %d: got %+v, want the receipt of p%d", i+1, f, i)
		}
	}
}
