//go:build linux

package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"
)

// startEcho serves a fasthttp/websocket echo on a loopback port. With
// protocol set it answers hello with welcome and msg with receipt instead.
func startEcho(t *testing.T, protocol bool) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	up := websocket.FastHTTPUpgrader{}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		_ = up.Upgrade(ctx, func(c *websocket.Conn) {
			defer c.Close()
			for {
				mt, data, err := c.ReadMessage()
				if err != nil {
					return
				}
				if protocol {
					f, _ := parseFrame(data)
					switch f.Type {
					case "hello":
						data = []byte(`{"type":"welcome","session":"x","seq":0,"resumed":false}`)
					case "msg":
						data = []byte(`{"type":"receipt","cid":"` + f.CID + `","seq":1}`)
						// Also an unrelated frame, which must be counted and ignored.
						_ = c.WriteMessage(mt, []byte(`{"type":"error","code":"rate_limited","message":"x"}`))
					}
				}
				if err := c.WriteMessage(mt, data); err != nil {
					return
				}
			}
		})
	}}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return "ws://" + ln.Addr().String() + "/v1/ws"
}

func TestRunEndToEnd(t *testing.T) {
	for _, mode := range []string{modeEcho, modeProtocol} {
		t.Run(mode, func(t *testing.T) {
			url := startEcho(t, mode == modeProtocol)
			var out, log bytes.Buffer
			args := []string{"-url", url, "-mode", mode, "-n", "20", "-src", "127.0.0.1-127.0.0.3",
				"-rate", "400", "-warmup", "200ms", "-duration", "500ms", "-settle", "0s",
				"-pid", strconv.Itoa(os.Getpid()), "-json"}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := run(ctx, args, &out, &log); err != nil {
				t.Fatalf("run: %v\n%s", err, log.String())
			}
			s := out.String()
			for _, want := range []string{`"held":20`, `"failed":0`, `"missing":0`, `"duplicates":0`} {
				if !strings.Contains(s, want) {
					t.Errorf("report lacks %s:\n%s", want, s)
				}
			}
			if mode == modeProtocol && !strings.Contains(s, `"error_frames":{"rate_limited":`) {
				t.Errorf("error frames not counted:\n%s", s)
			}
		})
	}
}
