package gateway

import (
	"bytes"
	"testing"
)

// BenchmarkFlushReceiptAndAnswer writes a receipt-sized and an
// answer-sized frame to a real WebSocket client over loopback, as the
// flusher does after each answered message: coalesced (one write) and as
// before (one write per frame). The client reads both each time.
func BenchmarkFlushReceiptAndAnswer(b *testing.B) {
	cl, sc := oneConn(b)
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
