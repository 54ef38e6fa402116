package node

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/edgedesk/edgedesk/config"
)

// TestAgentUpgradesCount: tokenless agent upgrades count toward
// gateway.max_connections and the agent endpoint's own cap, so they cannot
// crowd out widgets unnoticed or exhaust the node.
func TestAgentUpgradesCount(t *testing.T) {
	_, base, _ := startNode(t, withAgents, func(c *config.Config) {
		c.Gateway.MaxConnections, c.Gateway.MaxAgentConnections = 4, 2
	})
	ws := strings.Replace(base, "http", "ws", 1)
	dial := func(path string) int {
		t.Helper()
		c, resp, err := websocket.DefaultDialer.Dial(ws+path, nil)
		if err == nil {
			t.Cleanup(func() { c.Close() })
			return http.StatusSwitchingProtocols
		}
		if resp == nil {
			t.Fatal(err)
		}
		if resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s: %d without Retry-After", path, resp.StatusCode)
		}
		return resp.StatusCode
	}
	for i := range 2 {
		if code := dial("/v1/agent/ws"); code != http.StatusSwitchingProtocols {
			t.Fatalf("agent %d: %d", i, code)
		}
	}
	if code := dial("/v1/agent/ws"); code != http.StatusServiceUnavailable {
		t.Fatalf("agent past max_agent_connections: %d", code)
	}
	for i := range 2 {
		if code := dial("/v1/ws"); code != http.StatusSwitchingProtocols {
			t.Fatalf("widget %d: %d", i, code)
		}
	}
	// Two agents and two widgets: the node's cap of 4 is reached.
	if code := dial("/v1/ws"); code != http.StatusServiceUnavailable {
		t.Fatalf("widget past max_connections: %d", code)
	}
}

// TestFloodFromOneAddress is the flood: many connections from one
// address into one session. The connections past the per-address cap are
// refused, and the session takes no more than its shared rate allows.
func TestFloodFromOneAddress(t *testing.T) {
	_, base, _ := startNode(t, func(c *config.Config) {
		c.Gateway.MaxConnectionsPerAddress = 20
		c.Gateway.SessionRateLimit, c.Gateway.SessionRateBurst = 10, 20
	})
	first, w := dialWidget(t, base, nil)
	_ = first
	url := strings.Replace(base, "http", "ws", 1) + "/v1/ws"
	var conns []*websocket.Conn
	refused := 0
	for range 50 {
		c, resp, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			if resp == nil || resp.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("dial: %v", err)
			}
			refused++
			continue
		}
		t.Cleanup(func() { c.Close() })
		conns = append(conns, c)
	}
	if len(conns) != 19 || refused != 31 {
		t.Fatalf("%d connections accepted, %d refused; want 19 (the cap of 20 with the first) and 31", len(conns), refused)
	}
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	receipts := 0
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.WriteJSON(map[string]any{"type": "hello", "v": 1, "session": w.Session, "last_seq": 1 << 40})
			for j := range 20 {
				c.WriteJSON(map[string]any{"type": "msg", "cid": fmt.Sprintf("f%d-%d", i, j), "text": "flood"})
			}
			answered := 0
			for answered < 20 {
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				var f struct{ Type, CID, Code string }
				if err := c.ReadJSON(&f); err != nil {
					t.Errorf("conn %d: %v after %d answers", i, err, answered)
					return
				}
				if !strings.HasPrefix(f.CID, fmt.Sprintf("f%d-", i)) {
					continue // welcome, other connections' messages, bot answers
				}
				answered++
				if f.Type == "receipt" {
					mu.Lock()
					receipts++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	if max := 20 + int(10*elapsed) + 1; receipts > max {
		t.Fatalf("%d of 380 messages stored in %.1fs; the session's rate allows %d", receipts, elapsed, max)
	}
	if receipts < 20 {
		t.Fatalf("only %d stored: the burst should be", receipts)
	}
}
