package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// debugServer serves net/http/pprof on cfg.DebugListen (a separate
// listener, so profiling never shares the widgets' port). It returns nil
// when debug_listen is empty.
func (n *Node) debugServer() (*http.Server, net.Listener, error) {
	if n.cfg.DebugListen == "" {
		return nil, nil, nil
	}
	ln, err := net.Listen("tcp", n.cfg.DebugListen)
	if err != nil {
		return nil, nil, fmt.Errorf("node: debug_listen %s: %w", n.cfg.DebugListen, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	n.log.Warn("serving the Go profiler; keep debug_listen on loopback", "addr", ln.Addr().String())
	return &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln, nil
}

// runDebug serves srv on ln until ctx is done.
func runDebug(ctx context.Context, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("node: debug server: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := srv.Shutdown(sctx)
		if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return err
	}
}
