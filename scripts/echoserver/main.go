// Command echoserver is the bare-stack baseline for edgedesk load tests: a
// fasthttp server with fasthttp/websocket that echoes every text frame
// verbatim on /v1/ws, with nothing else in the path.
//
// It serves GET /readyz (200 once listening) and GET /metrics (a few Go
// runtime figures in Prometheus text format, including
// go_memstats_heap_inuse_bytes, so loadgen can report heap per connection).
// With -pooled, write buffers come from a sync.Pool and the read buffer is
// 1 KiB, which is the smallest idle footprint the stack offers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "echoserver:", err)
		os.Exit(1)
	}
}

// options are the command-line settings.
type options struct {
	addr      string
	pooled    bool
	readLimit int64
	idle      time.Duration
}

// run serves until ctx is cancelled.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("echoserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.addr, "addr", "127.0.0.1:18081", "listen `address`")
	fs.BoolVar(&o.pooled, "pooled", false, "pool write buffers and use a 1 KiB read buffer")
	fs.Int64Var(&o.readLimit, "read-limit", 64<<10, "largest accepted frame in `bytes`")
	fs.DurationVar(&o.idle, "idle", 5*time.Minute, "close a connection silent for this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.readLimit < 128 || o.readLimit > 16<<20 {
		return fmt.Errorf("-read-limit %d: want 128..16777216", o.readLimit)
	}
	if o.idle <= 0 {
		return fmt.Errorf("-idle %s: want > 0", o.idle)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	e := newEchoServer(o)
	srv := &fasthttp.Server{
		Handler:      e.handle,
		Name:         "echoserver",
		ReadTimeout:  10 * time.Second, // applies to the upgrade request only
		WriteTimeout: 10 * time.Second,
		IdleTimeout:  30 * time.Second,
		Logger:       fasthttpLogger{log},
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe(o.addr) }()
	log.Info("listening", "addr", o.addr, "pooled", o.pooled, "read_limit", o.readLimit, "idle", o.idle)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Hijacked WebSocket connections are not tracked by fasthttp; close
	// them ourselves so shutdown does not wait on them.
	e.closeAll()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.ShutdownWithContext(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// echoServer upgrades /v1/ws and echoes frames.
type echoServer struct {
	o        options
	upgrader websocket.FastHTTPUpgrader
	open     atomic.Int64
	echoed   atomic.Int64

	mu    sync.Mutex
	conns map[*websocket.Conn]struct{}
}

// newEchoServer returns an echo server configured by o.
func newEchoServer(o options) *echoServer {
	e := &echoServer{o: o, conns: make(map[*websocket.Conn]struct{})}
	e.upgrader = websocket.FastHTTPUpgrader{
		HandshakeTimeout: 10 * time.Second,
		CheckOrigin:      func(*fasthttp.RequestCtx) bool { return true },
	}
	if o.pooled {
		e.upgrader.WriteBufferPool = &sync.Pool{}
		e.upgrader.ReadBufferSize = 1024
	}
	return e
}

// handle routes one HTTP request.
func (e *echoServer) handle(ctx *fasthttp.RequestCtx) {
	switch string(ctx.Path()) {
	case "/v1/ws", "/ws":
		if err := e.upgrader.Upgrade(ctx, e.echo); err != nil {
			return // the upgrader has written the HTTP error
		}
	case "/readyz", "/healthz":
		ctx.SetBodyString("ok\n")
	case "/metrics":
		e.writeMetrics(ctx)
	default:
		ctx.Error("not found", fasthttp.StatusNotFound)
	}
}

// echo echoes every text or binary frame of c until it fails or is silent
// for longer than the idle timeout.
func (e *echoServer) echo(c *websocket.Conn) {
	e.track(c, true)
	defer e.track(c, false)
	defer c.Close()
	c.SetReadLimit(e.o.readLimit)
	for {
		_ = c.SetReadDeadline(time.Now().Add(e.o.idle))
		mt, data, err := c.ReadMessage()
		if err != nil {
			return
		}
		_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if err := c.WriteMessage(mt, data); err != nil {
			return
		}
		e.echoed.Add(1)
	}
}

// track adds or removes c from the set of open connections.
func (e *echoServer) track(c *websocket.Conn, add bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if add {
		e.conns[c] = struct{}{}
		e.open.Add(1)
	} else {
		delete(e.conns, c)
		e.open.Add(-1)
	}
}

// closeAll closes every open WebSocket connection with a 1001 close frame.
func (e *echoServer) closeAll() {
	e.mu.Lock()
	defer e.mu.Unlock()
	msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "shutting down")
	for c := range e.conns {
		_ = c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(100*time.Millisecond))
		_ = c.Close()
	}
}

// writeMetrics writes runtime figures in Prometheus text format.
func (e *echoServer) writeMetrics(ctx *fasthttp.RequestCtx) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	ctx.SetContentType("text/plain; version=0.0.4")
	fmt.Fprintf(ctx, "# TYPE go_memstats_heap_inuse_bytes gauge\ngo_memstats_heap_inuse_bytes %d\n", ms.HeapInuse)
	fmt.Fprintf(ctx, "# TYPE go_memstats_sys_bytes gauge\ngo_memstats_sys_bytes %d\n", ms.Sys)
	fmt.Fprintf(ctx, "# TYPE go_memstats_stack_inuse_bytes gauge\ngo_memstats_stack_inuse_bytes %d\n", ms.StackInuse)
	fmt.Fprintf(ctx, "# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintf(ctx, "# TYPE echoserver_connections gauge\nechoserver_connections %d\n", e.open.Load())
	fmt.Fprintf(ctx, "# TYPE echoserver_frames_total counter\nechoserver_frames_total %d\n", e.echoed.Load())
}

// fasthttpLogger adapts slog to fasthttp's Logger.
type fasthttpLogger struct{ log *slog.Logger }

// Printf logs a fasthttp message at warn level.
func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Warn(fmt.Sprintf(format, args...))
}
