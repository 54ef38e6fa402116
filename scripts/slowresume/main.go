//go:build linux

// Command slowresume measures what slow resumers cost the node: it runs
// the widget gateway and a session store in this process (on loopback
// only), writes one session of about -mb MB, then opens -n WebSockets
// that resume it from seq 0 and never read, and reports the process's
// resident memory (VmRSS) before and after, once the replays have filled
// the sockets. The clients cost this process almost nothing (they read
// nothing), so the growth is the gateway's.
//
//	go run ./scripts/slowresume -n 50 -mb 4
//
// The figures, before replay was paged: 135 MB → ~500 MB, 7 to
// 11 MB per resumer. A resumer now holds at most one page of replayPage
// messages while its write waits, so the growth per resumer is bounded by
// about 150 KiB plus its socket buffers' share of the heap.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/gateway"
	"github.com/edgedesk/edgedesk/node/session"
)

func main() {
	n := flag.Int("n", 50, "slow resumers (at most 500)")
	mb := flag.Int("mb", 4, "session size in MB (at most 64)")
	hold := flag.Duration("hold", 3*time.Second, "how long to let the replays fill the sockets")
	flag.Parse()
	if *n < 1 || *n > 500 || *mb < 1 || *mb > 64 {
		log.Fatal("want 1 <= n <= 500 and 1 <= mb <= 64")
	}
	if err := run(*n, *mb, *hold); err != nil {
		log.Fatal(err)
	}
}

func run(n, mb int, hold time.Duration) error {
	dir, err := os.MkdirTemp("", "slowresume")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := session.Open(session.Options{Path: filepath.Join(dir, "s.db"), Linger: time.Millisecond})
	if err != nil {
		return err
	}
	defer store.Close(context.Background())
	cfg := config.Default().Gateway
	cfg.WriteTimeout = time.Minute // the resumers stay blocked while measured
	cfg.MaxConnectionsPerAddress = n + 10
	cfg.AddressUpgradeBurst = n + 10
	g := gateway.New(gateway.Options{Config: cfg, Store: store})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &fasthttp.Server{Handler: g.ServeWS}
	go srv.Serve(ln)
	defer srv.Shutdown()

	ctx := context.Background()
	meta, err := store.Create(ctx, session.Meta{Channel: "web"})
	if err != nil {
		return err
	}
	text := strings.Repeat("lorem ipsum ", 8000/12)
	msgs := mb << 20 / len(text)
	for i := range msgs {
		if _, err := store.Post(ctx, session.Message{Session: meta.ID, From: session.FromCustomer, CID: "c" + strconv.Itoa(i), Text: text}); err != nil {
			return err
		}
	}
	before := settle()
	fmt.Printf("session %s: %d messages, %.1f MB of text\n", meta.ID, msgs, float64(msgs*len(text))/(1<<20))
	fmt.Printf("RSS before: %.1f MB\n", before)

	url := "ws://" + ln.Addr().String() + "/v1/ws"
	conns := make([]*websocket.Conn, 0, n)
	dialer := websocket.Dialer{ReadBufferSize: 1024}
	for range n {
		ws, _, err := dialer.Dial(url, nil)
		if err != nil {
			return err
		}
		// Never read: the replay fills the socket and blocks.
		if err := ws.WriteJSON(map[string]any{"type": "hello", "v": 1, "session": meta.ID, "last_seq": 0}); err != nil {
			return err
		}
		conns = append(conns, ws)
	}
	time.Sleep(hold) // the replays run until the sockets are full
	after := settle()
	fmt.Printf("RSS with %d slow resumers: %.1f MB (+%.1f MB, %.2f MB each)\n", n, after, after-before, (after-before)/float64(n))
	fmt.Printf("open connections: %d\n", g.Connections())
	for _, ws := range conns {
		ws.Close()
	}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return g.Shutdown(sctx)
}

// settle collects garbage, returns it to the OS, and reads VmRSS in MB.
func settle() float64 {
	runtime.GC()
	debug.FreeOSMemory()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return -1
}
