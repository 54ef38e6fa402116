//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"
)

// Kinds of test server.
const (
	serveEcho     = "echo"     // echoes every frame
	serveProtocol = "protocol" // welcome, receipt, and an unrelated error frame
	serveBot      = "bot"      // welcome, receipt, and a bot answer
)

// botText is the -text of the bot test: it needs escaping in JSON.
const botText = "Where is my order #12345? \"soon\" \\ ¿dónde? 你好\n"

// startEcho serves a fasthttp/websocket test server on a loopback port; see
// the kinds above. The bot server numbers each connection's messages like
// the node: the customer's message gets seq n in its receipt, the answer
// seq n+1 and reply_to n. It does not answer message 1 of a session (sent
// during the warm-up), answers one message twice (the second one is
// unmatched), and sends an error frame if a message's text is not botText.
func startEcho(t *testing.T, kind string) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	up := websocket.FastHTTPUpgrader{}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		_ = up.Upgrade(ctx, func(c *websocket.Conn) {
			defer c.Close()
			var seq uint64
			for {
				mt, data, err := c.ReadMessage()
				if err != nil {
					return
				}
				if kind == serveBot {
					f, _ := parseFrame(data)
					var out [][]byte
					switch f.Type {
					case "hello":
						out = append(out, []byte(`{"type":"welcome","session":"x","seq":0,"resumed":false}`))
					case "msg":
						var m struct{ Text string }
						if err := json.Unmarshal(data, &m); err != nil || m.Text != botText {
							out = append(out, []byte(`{"type":"error","code":"bad_text","message":"x"}`))
						}
						seq++
						out = append(out, fmt.Appendf(nil, `{"type":"receipt","cid":"%s","seq":%d,"ts":"x"}`, f.CID, seq))
						_, k, _ := parseCID(f.CID)
						if k != 1 {
							q := seq
							seq++
							answer := fmt.Appendf(nil, `{"type":"msg","seq":%d,"from":"bot","text":"Say \"reply_to\":1\n你好",`+
								`"ts":"x","intent":"track_order","confidence":0.93,"lang":"en","quick_replies":["a"],"reply_to":%d}`, seq, q)
							out = append(out, answer)
							if k == 0 {
								out = append(out, answer)
							}
						}
					}
					for _, b := range out {
						if err := c.WriteMessage(mt, b); err != nil {
							return
						}
					}
					continue
				}
				if kind == serveProtocol {
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
			url := startEcho(t, mode)
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

func TestRunAnswers(t *testing.T) {
	url := startEcho(t, serveBot)
	var out, log bytes.Buffer
	args := []string{"-url", url, "-n", "20", "-src", "127.0.0.1-127.0.0.3",
		"-rate", "400", "-warmup", "200ms", "-duration", "500ms", "-settle", "0s", "-drain", "500ms",
		"-answers", "-text", botText, "-json"}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := run(ctx, args, &out, &log); err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report %s: %v", out.String(), err)
	}
	if rep.Held != 20 || rep.Missing != 0 || len(rep.ErrorFrames) != 0 || rep.Unparsed != 0 {
		t.Errorf("held %d, missing %d, error frames %v, unparsed %d", rep.Held, rep.Missing, rep.ErrorFrames, rep.Unparsed)
	}
	if rep.Text != botText {
		t.Errorf("report text %q", rep.Text)
	}
	a := rep.Answers
	if a == nil {
		t.Fatalf("no answers in report:\n%s", out.String())
	}
	// Every message but number 1 of each session is answered; message 0's
	// answer comes twice.
	if a.Received != rep.Received-20 || a.Unanswered != 20 || a.Unmatched != 20 || a.Missing != 0 {
		t.Errorf("answers %+v for %d receipts", *a, rep.Received)
	}
	if a.Latency.Count != int(rep.SentMeasured) || a.Latency.Count == 0 || a.Latency.P50 < rep.Latency.P50 {
		t.Errorf("answer latency %+v, receipt latency %+v, measured %d", a.Latency, rep.Latency, rep.SentMeasured)
	}
	if rep.NodeMsgs != 0 {
		t.Errorf("answers counted as node msgs: %d", rep.NodeMsgs)
	}

	// The text report shows them; without -answers there is no answer
	// section at all.
	var text bytes.Buffer
	if err := rep.writeText(&text); err != nil || !strings.Contains(text.String(), "answer latency") {
		t.Errorf("text report lacks answer latency (%v):\n%s", err, text.String())
	}
	rep.Answers = nil
	text.Reset()
	_ = rep.writeText(&text)
	b, _ := json.Marshal(&rep)
	if strings.Contains(text.String(), "answer") || strings.Contains(string(b), `"answers"`) {
		t.Errorf("report without -answers mentions answers:\n%s\n%s", text.String(), b)
	}
}
