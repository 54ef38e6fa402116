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

// startDebug serves net/http/pprof on cfg.DebugListen (a separate listener,
// so profiling never shares the widgets' port). It returns a stop function.
func (n *Node) startDebug() (func(context.Context) error, error) {
	if n.cfg.DebugListen == "" {
		return func(context.Context) error { return nil }, nil
	}
	ln, err := net.Listen("tcp", n.cfg.DebugListen)
	if err != nil {
		return nil, fmt.Errorf("node: debug_listen %s: %w", n.cfg.DebugListen, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("debug server stopped", "err", err)
		}
	}()
	n.log.Warn("serving the Go profiler; keep debug_listen on loopback", "addr", ln.Addr().String())
	return srv.Shutdown, nil
}
