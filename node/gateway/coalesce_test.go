package gateway

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/edgedesk/edgedesk/config"
)

// TestCoalescedFramesKeepOrder: frames queued together go out coalesced
// (and split past coalesceMax) as separate WebSocket messages, whole and
// in order, across every header length (7-bit, 16-bit and 64-bit).
func TestCoalescedFramesKeepOrder(t *testing.T) {
	cl, sc := oneConn(t)
	sizes := []int{1, 125, 126, 127, 65535, 65536, 100_000, 3}
	for i := range 300 {
		sizes = append(sizes, 20+i%200)
	}
	want := make([][]byte, len(sizes))
	sc.mu.Lock() // all queued before the flusher runs: one flush
	for i, n := range sizes {
		p := bytes.Repeat([]byte{byte('a' + i%26)}, n)
		copy(p, fmt.Sprint(i))
		want[i] = p
		b := frameBuf()
		*b = append(*b, p...)
		sc.enqueueLocked(b)
	}
	sc.mu.Unlock()
	for i, w := range want {
		cl.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, got, err := cl.ws.ReadMessage()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(got, w) {
			t.Fatalf("frame %d: %d bytes starting %q, want %d starting %q", i, len(got), got[:min(8, len(got))], len(w), w[:min(8, len(w))])
		}
	}
	// The connection still works as before.
	if f := cl.msg("c1", "hello"); f.Type != "receipt" {
		t.Fatalf("after the coalesced frames: %+v", f)
	}
}

func TestAppendFrameHeader(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want []byte
	}{
		{0, []byte{0x81, 0}},
		{125, []byte{0x81, 125}},
		{126, []byte{0x81, 126, 0, 126}},
		{65535, []byte{0x81, 126, 0xff, 0xff}},
		{65536, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	} {
		if got := appendFrameHeader(nil, tc.n); !bytes.Equal(got, tc.want) {
			t.Errorf("%d: % x, want % x", tc.n, got, tc.want)
		}
	}
}

// TestPeerCloseIsEchoed: the close handler (which writes under the
// connection's write lock) still answers a widget's close frame with its
// code.
func TestPeerCloseIsEchoed(t *testing.T) {
	h := newHarness(t, nil, "")
	cl := h.dial(nil)
	cl.hello(nil)
	if err := cl.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "bye"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if code := cl.closeCode(); code != websocket.CloseGoingAway {
		t.Fatalf("close answered with %d, want %d", code, websocket.CloseGoingAway)
	}
}

// oneConn starts a gateway with room for many queued frames, connects one
// client that said hello, and returns the node's side of it.
func oneConn(tb testing.TB) (*client, *conn) {
	tb.Helper()
	h := newHarness(tb, func(c *config.Gateway) { c.SendQueue = 1000 }, "")
	cl := h.dial(nil)
	cl.hello(nil)
	var sc *conn
	for sc == nil {
		h.g.connsMu.Lock()
		for c := range h.g.conns {
			sc = c
		}
		h.g.connsMu.Unlock()
		time.Sleep(time.Millisecond)
	}
	return cl, sc
}
