package gateway

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/edgedesk/edgedesk/config"
)

// TestIdleWaitEnabled fails when the idle wait is off: on a plain TCP
// socket every reader should wait in waitReadable, on the smallest stack.
// An upgrade of fasthttp/websocket or fasthttp that renames or retypes
// websocket.Conn.br or hijackConn.r turns it off silently otherwise
// (TestPongsDoNotHoldAWorker fails too then).
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
	}
	hjr.once.Do(func() {}) // the reader ran it: this orders its writes before the read below
	if hjr.typ == nil {
		t.Fatal("fasthttp's hijacked conn has no r io.Reader field: the idle wait is off")
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

func TestLeadingPongs(t *testing.T) {
	pong := []byte{0x8a, 0x80, 1, 2, 3, 4}
	pongData := []byte{0x8a, 0x82, 0, 0, 0, 0, 'h', 'i'}
	msg := maskedText([]byte(`{"type":"ack","seq":1}`))
	cases := []struct {
		name string
		p    []byte
		want int
	}{
		{"empty", nil, 0},
		{"one", pong, 6},
		{"two", append(append([]byte{}, pong...), pongData...), 14},
		{"pong then a message", append(append([]byte{}, pong...), msg...), 6},
		{"message first", append(append([]byte{}, msg...), pong...), 0},
		{"pong cut in two", pongData[:7], 0},
		{"pong then a cut one", append(append([]byte{}, pong...), pong[:3]...), 6},
		{"unmasked", []byte{0x8a, 0x00}, 0},
		{"not final", []byte{0x0a, 0x80, 0, 0, 0, 0}, 0},
		{"reserved bit", []byte{0xca, 0x80, 0, 0, 0, 0}, 0},
		{"ping", []byte{0x89, 0x80, 0, 0, 0, 0}, 0},
		{"close", []byte{0x88, 0x80, 0, 0, 0, 0}, 0},
		{"payload over 125", []byte{0x8a, 0xfe, 0, 126, 0, 0, 0, 0}, 0},
	}
	for _, tc := range cases {
		if got := leadingPongs(tc.p); got != tc.want {
			t.Errorf("%s: leadingPongs(% x) = %d, want %d", tc.name, tc.p, got, tc.want)
		}
	}
}

// FuzzLeadingPongs: whatever the bytes, the length returned is within p
// and covers whole pong frames only, each one a pong by itself.
func FuzzLeadingPongs(f *testing.F) {
	f.Add([]byte{0x8a, 0x80, 1, 2, 3, 4})
	f.Add([]byte{0x8a, 0x81, 0, 0, 0, 0, 'x', 0x81, 0x80})
	f.Add(maskedText([]byte("{}")))
	f.Fuzz(func(t *testing.T, p []byte) {
		n := leadingPongs(p)
		if n < 0 || n > len(p) {
			t.Fatalf("leadingPongs = %d for %d bytes", n, len(p))
		}
		for i := 0; i < n; {
			if p[i] != 0x8a || p[i+1]&0x80 == 0 || p[i+1]&0x7f > 125 {
				t.Fatalf("byte %d of % x is not a masked final pong", i, p[:n])
			}
			i += 6 + int(p[i+1]&0x7f)
			if i > n {
				t.Fatalf("a frame crosses the end of the pongs: % x", p[:n])
			}
		}
	})
}

// TestPongsDoNotHoldAWorker: an idle widget that answers every ping must
// not leave a goroutine waiting in NextReader for its next message (the
// pongs are taken without it), and must stay connected past the idle
// timeout.
func TestPongsDoNotHoldAWorker(t *testing.T) {
	h := newHarness(t, func(g *config.Gateway) {
		g.PingInterval = 40 * time.Millisecond
		g.IdleTimeout = 300 * time.Millisecond
	}, "")
	c := h.dial(nil)
	c.hello(nil)
	var pings atomic.Int64
	c.ws.SetPingHandler(func(data string) error {
		pings.Add(1)
		return c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	c.ws.SetReadDeadline(time.Time{})
	readErr := make(chan error, 1)
	go func() {
		_, _, err := c.ws.ReadMessage() // answers pings until the node sends a frame or closes
		readErr <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-readErr:
			t.Fatalf("connection ended after %d pings: %v", pings.Load(), err)
		default:
		}
		// More pings than the idle timeout allows without pongs: the
		// node took them; then no goroutine may sit in next.
		if pings.Load() >= 12 && !inNext() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d pings a goroutine still waits in conn.next:\n%s", pings.Load(), stacks())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func stacks() []byte {
	b := make([]byte, 1<<20)
	return b[:runtime.Stack(b, true)]
}

// inNext reports whether a goroutine is inside conn.next (NextReader).
func inNext() bool {
	return bytes.Contains(stacks(), []byte("gateway.(*conn).next("))
}

// TestHelloSentWithTheUpgrade: a client that sends hello in the same write
// as its upgrade request (RFC 6455 says to wait for the 101; some do not)
// is still welcomed. fasthttp then hands the hello over in its own read
// buffer, where neither the WebSocket's buffer nor the socket shows it.
func TestHelloSentWithTheUpgrade(t *testing.T) {
	h := newHarness(t, nil, "")
	addr := strings.TrimSuffix(strings.TrimPrefix(h.url, "ws://"), "/v1/ws")
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req := "GET /v1/ws HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	out := append([]byte(req), maskedText([]byte(`{"type":"hello","v":1}`))...)
	if _, err := nc.Write(out); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade answered %s", resp.Status)
	}
	var hdr [2]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		t.Fatalf("no frame after the upgrade: %v", err)
	}
	n := int(hdr[1] & 0x7f)
	if n == 126 {
		var ext [2]byte
		if _, err := io.ReadFull(br, ext[:]); err != nil {
			t.Fatal(err)
		}
		n = int(binary.BigEndian.Uint16(ext[:]))
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(br, payload); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(payload, []byte(`"type":"welcome"`)) {
		t.Fatalf("first frame %q, want welcome", payload)
	}
	// Later frames come through fasthttp's read buffer too, which reads
	// through the upgrade's RequestCtx: it must still be this
	// connection's (a handler that returned at once let fasthttp free it:
	// a nil dereference in fasthttp, or another connection's bytes).
	for i := range 3 {
		if _, err := nc.Write(maskedText(fmt.Appendf(nil, `{"type":"msg","cid":"after%d","text":"hi"}`, i))); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			t.Fatalf("no receipt for msg %d: %v", i, err)
		}
		payload = make([]byte, int(hdr[1]&0x7f))
		if _, err := io.ReadFull(br, payload); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(payload, fmt.Appendf(nil, `"cid":"after%d"`, i)) {
			t.Fatalf("frame %q, want the receipt of after%d", payload, i)
		}
	}
}

func TestDataFrameReady(t *testing.T) {
	small := maskedText([]byte(`{"type":"ack","seq":1}`))
	big := maskedText(bytes.Repeat([]byte("x"), 300)) // 16-bit length
	cases := []struct {
		name  string
		p     []byte
		avail int
		want  bool
	}{
		{"whole", small, len(small), true},
		{"whole, more behind", small, len(small) + 10, true},
		{"cut", small[:len(small)-1], len(small) - 1, false},
		{"header only", small[:2], 2, false},
		{"16-bit length, whole, seen in part", big[:pongPeek], len(big), true},
		{"16-bit length, cut", big[:pongPeek], len(big) - 1, false},
		{"16-bit length header cut", big[:3], 3, false},
		{"64-bit length", []byte{0x81, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 'x'}, 15, true},
		{"64-bit length, huge", []byte{0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 100, false},
		{"binary", []byte{0x82, 0x80, 0, 0, 0, 0}, 6, true},
		{"not final", []byte{0x01, 0x80, 0, 0, 0, 0}, 6, false},
		{"continuation", []byte{0x80, 0x80, 0, 0, 0, 0}, 6, false},
		{"ping", []byte{0x89, 0x80, 0, 0, 0, 0}, 6, false},
		{"unmasked", []byte{0x81, 0x00}, 2, false},
		{"reserved bit", []byte{0xc1, 0x80, 0, 0, 0, 0}, 6, false},
		{"avail below what was seen", small, 2, false},
	}
	for _, tc := range cases {
		if got := dataFrameReady(tc.p, tc.avail); got != tc.want {
			t.Errorf("%s: dataFrameReady(% x, %d) = %v, want %v", tc.name, tc.p, tc.avail, got, tc.want)
		}
	}
}

// FuzzDataFrameReady: a frame said to be ready fits in the bytes available.
func FuzzDataFrameReady(f *testing.F) {
	f.Add(maskedText([]byte("{}")), 8)
	f.Add([]byte{0x81, 0xfe, 0x01, 0x00}, 300)
	f.Add([]byte{0x82, 0xff, 0, 0, 0, 0, 0, 0, 0, 1}, 20)
	f.Fuzz(func(t *testing.T, p []byte, avail int) {
		if !dataFrameReady(p, avail) {
			return
		}
		n, hdr := uint64(p[1]&0x7f), uint64(2)
		switch n {
		case 126:
			n, hdr = uint64(binary.BigEndian.Uint16(p[2:])), 4
		case 127:
			n, hdr = binary.BigEndian.Uint64(p[2:]), 10
		}
		if avail < 0 || hdr+4+n > uint64(avail) || n > uint64(avail) {
			t.Fatalf("ready with %d bytes available: % x", avail, p)
		}
	})
}

// TestSlowFrameHoldsNoWorker: a frame that arrives in pieces is read on a
// goroutine of its own, not on one of the gateway's workers, and is
// answered once whole.
func TestSlowFrameHoldsNoWorker(t *testing.T) {
	h := newHarness(t, nil, "")
	c := h.dial(nil)
	c.hello(nil)
	frame := maskedText([]byte(`{"type":"msg","cid":"slow","text":"in two pieces"}`))
	if _, err := c.ws.NetConn().Write(frame[:5]); err != nil {
		t.Fatal(err)
	}
	// The goroutine waiting in NextReader for the rest of the frame.
	waiting := func() []byte {
		for _, g := range bytes.Split(stacks(), []byte("\n\n")) {
			if bytes.Contains(g, []byte("[IO wait")) && bytes.Contains(g, []byte("gateway.(*conn).next(")) {
				return g
			}
		}
		return nil
	}
	deadline := time.Now().Add(5 * time.Second)
	var g []byte
	for g = waiting(); g == nil; g = waiting() {
		if time.Now().After(deadline) {
			t.Fatal("no goroutine is reading the frame")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if bytes.Contains(g, []byte("gateway.(*Gateway).worker(")) {
		t.Fatalf("a worker waits for the rest of the frame:\n%s", g)
	}
	if _, err := c.ws.NetConn().Write(frame[5:]); err != nil {
		t.Fatal(err)
	}
	if f := c.next(); f.Type != "receipt" || f.CID != "slow" {
		t.Fatalf("got %+v, want the receipt of slow", f)
	}
}
