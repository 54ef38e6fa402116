package gateway

import (
	"net"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/session"
)

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// liveHeap is the heap in use after a collection, in bytes.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestSlowResumersHeapBounded is the amplification: 50 resumers
// of a 4 MB session who never read. Before replay was paged each held the
// whole history (7 to 11 MB of RSS each); now each holds at most a page
// (about 150 KiB), so the heap they add stays under 512 KiB per resumer.
// Measured: about 0.1 MB each; with one page as large as the history
// (what a store read whole costs once the sockets' buffers are full),
// 1.6 MB each. (RSS figures: go run ./scripts/slowresume.)
func TestSlowResumersHeapBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 4 MB session")
	}
	const resumers, mb = 50, 4
	h := newHarnessStore(t, func(c *config.Gateway) {
		c.WriteTimeout = time.Minute // the resumers stay blocked while measured
		c.MaxConnectionsPerAddress = resumers + 10
		c.AddressUpgradeBurst = resumers + 10
	}, "", nil, session.Options{Linger: time.Millisecond})
	meta, err := h.store.Create(t.Context(), session.Meta{Channel: "web"})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("lorem ipsum ", 8000/12)
	for i := range mb << 20 / len(text) {
		if _, err := h.store.Post(t.Context(), session.Message{Session: meta.ID, From: session.FromCustomer, CID: "c" + strconv.Itoa(i), Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	before := liveHeap()
	// A small receive buffer, set before connecting: else the kernel's
	// buffers on loopback take most of the history, and what the node
	// holds would not show.
	nd := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		}); err != nil {
			return err
		}
		return serr
	}}
	dialer := websocket.Dialer{ReadBufferSize: 1024, NetDialContext: nd.DialContext}
	for range resumers {
		ws, _, err := dialer.Dial(h.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		// Never read: the replay fills the socket and blocks.
		if err := ws.WriteJSON(map[string]any{"type": "hello", "v": 1, "session": meta.ID, "last_seq": 0}); err != nil {
			t.Fatal(err)
		}
	}
	// The replays run until the sockets are full: wait for the heap to
	// settle (two readings 300 ms apart within 1 MB), checking the bound
	// at every reading on the way.
	limit := uint64(resumers) * 512 << 10
	var prev, grown uint64
	for i := 0; ; i++ {
		if now := liveHeap(); now > before {
			grown = now - before
		} else {
			grown = 0
		}
		if grown > limit {
			t.Fatalf("%d slow resumers hold %.1f MB of heap (%.2f MB each); the bound is %.0f MB", resumers, mib(grown), mib(grown)/resumers, mib(limit))
		}
		if i >= 3 && max(grown, prev)-min(grown, prev) < 1<<20 {
			break
		}
		if i > 100 {
			t.Fatalf("heap never settled: %.1f MB then %.1f MB", mib(prev), mib(grown))
		}
		prev = grown
		time.Sleep(300 * time.Millisecond)
	}
	if n := h.g.Connections(); n != resumers {
		t.Fatalf("%d connections open, want the %d resumers", n, resumers)
	}
	t.Logf("%d slow resumers of a %d MB session: heap +%.1f MB (%.2f MB each)", resumers, mb, mib(grown), mib(grown)/resumers)
}
