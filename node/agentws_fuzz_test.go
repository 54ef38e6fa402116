package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fasthttp/websocket"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/auth"
)

// FuzzAgentFrames sends any frame to a real node's agent endpoint: the
// node answers with JSON frames, and the connection keeps working (a
// heartbeat after the frame is acknowledged), whatever the frame held —
// but a frame over 64 KiB (1009) or not UTF-8 (1007), which closes it.
func FuzzAgentFrames(f *testing.F) {
	for _, s := range []string{
		`{"type":"heartbeat","cid":"a"}`,
		`{"type":"msg","cid":"m1","session":"s_1","text":"hola"}`,
		`{"type":"msg","cid":"m1","session":"s_1","text":42}`,
		`{"type":"transfer","cid":"t1","session":"s_1","agent":"bo","note":"\u202e"}`,
		`{"type":"close","cid":"c1","session":"../../etc"}`,
		`{"type":"status","cid":"s1","status":"away"}`,
		`{"type":"canned","cid":"k1","session":"s_1","q":"\u0000"}`,
		`{"type":"queues","cid":"q1"}`,
		`{"type":"agents"}`,
		`{"type":"hello","token":"x"}`,
		`[{"type":"msg"}]`,
		`{"type":` + strings.Repeat(`{"a":`, 200),
		"\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", f.TempDir()
	cfg.Model.Enabled, cfg.Bot.Enabled = false, false
	// Every frame that is not UTF-8 closes the connection and the next
	// one dials again: more upgrades than one address may make by default.
	cfg.Gateway.AddressUpgradeRate, cfg.Gateway.AddressUpgradeBurst = 10000, 10000
	withConsoleAgents(cfg)
	n, err := New(cfg, nil)
	if err != nil {
		f.Fatal(err)
	}
	if err := n.Listen(); err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	f.Cleanup(func() { cancel(); <-done })
	base := "ws://" + n.Addr().String()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get("http://" + n.Addr().String() + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			f.Fatal("node not ready")
		}
	}
	tok, err := auth.Sign(testStaffSecret, auth.Claims{Subject: "sue", Name: "Sue", Role: "supervisor", Groups: []string{"mx-es"}}, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	var ws *websocket.Conn
	dial := func(t testing.TB) {
		if ws != nil {
			ws.Close()
		}
		var err error
		if ws, _, err = websocket.DefaultDialer.Dial(base+"/v1/agent/ws", nil); err != nil {
			t.Fatal(err)
		}
		ws.WriteJSON(map[string]any{"type": "hello", "v": 1, "token": tok})
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		var w struct{ Type string }
		if err := ws.ReadJSON(&w); err != nil || w.Type != "welcome" {
			t.Fatalf("welcome: %+v %v", w, err)
		}
	}
	dial(f)
	f.Cleanup(func() { ws.Close() })
	hb := 0
	f.Fuzz(func(t *testing.T, frame []byte) {
		if err := ws.WriteMessage(websocket.TextMessage, frame); err != nil {
			t.Fatal(err)
		}
		hb++
		cid := fmt.Sprintf("hb-%d", hb)
		ws.WriteJSON(map[string]any{"type": "heartbeat", "cid": cid})
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				// Past the frame limit (1009), or not UTF-8 (1007): closed,
				// by design.
				var ce *websocket.CloseError
				if len(frame) > 64<<10 || !utf8.Valid(frame) && errors.As(err, &ce) && ce.Code == websocket.CloseInvalidFramePayloadData {
					dial(t)
					return
				}
				t.Fatalf("the node dropped the agent after %q: %v", frame, err)
			}
			var g struct{ Type, CID string }
			if err := json.Unmarshal(data, &g); err != nil || g.Type == "" {
				t.Fatalf("answer to %q is not a frame: %s", frame, data)
			}
			if g.Type == "ack" && g.CID == cid {
				return
			}
		}
	})
}
