package gateway

import (
	"bytes"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/config"
)

// BenchmarkFlushReceiptAndAnswer writes a receipt-sized and an
// answer-sized frame to a real WebSocket client over loopback, as the
// flusher does after each answered message: coalesced (one write) and as
// before (one write per frame). The client reads both each time.
func BenchmarkFlushReceiptAndAnswer(b *testing.B) {
	h := newHarness(b, func(c *config.Gateway) { c.SendQueue = 1000 }, "")
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
	receipt := bytes.Repeat([]byte("r"), 120)
	answer := bytes.Repeat([]byte("a"), 420)
	read := func() {
		for range 2 {
			if _, _, err := cl.ws.ReadMessage(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("coalesced", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, a := frameBuf(), frameBuf()
			*r, *a = append(*r, receipt...), append(*a, answer...)
			frames := []*[]byte{r, a}
			if sc.sendAll(frames) != 2 {
				b.Fatal("write failed")
			}
			releaseFrame(r)
			releaseFrame(a)
			read()
		}
	})
	b.Run("per-frame", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !sc.sendNow(receipt) || !sc.sendNow(answer) {
				b.Fatal("write failed")
			}
			read()
		}
	})
}
