package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/node"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/channels/webhook"
	"github.com/edgedesk/edgedesk/node/delivery"
)

const (
	shopSecret      = "generic-channel-secret-0123456789"
	killStaffSecret = "staff-secret-for-the-kill-test-0123456789"
)

// sendAPI is a generic channel's receiving end: while refusing it
// answers 503; otherwise it checks the signature and records each item.
type sendAPI struct {
	refusing atomic.Bool
	refused  atomic.Int64
	mu       sync.Mutex
	got      []delivery.Item
	bad      []string
}

func (a *sendAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if a.refusing.Load() {
		a.refused.Add(1)
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	var it delivery.Item
	if err := json.Unmarshal(body, &it); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	var sec int64
	fmt.Sscan(r.Header.Get(webhook.HeaderTimestamp), &sec)
	_, want := webhook.Sign([]byte(shopSecret), body, time.Unix(sec, 0))
	a.mu.Lock()
	defer a.mu.Unlock()
	if r.Header.Get(webhook.HeaderSignature) != want || r.Header.Get("Idempotency-Key") != it.Key {
		a.bad = append(a.bad, it.Key)
		http.Error(w, "bad signature", 401)
		return
	}
	a.got = append(a.got, it)
}

func (a *sendAPI) items() ([]delivery.Item, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]delivery.Item(nil), a.got...), append([]string(nil), a.bad...)
}

// postShop posts one signed webhook of msgs to the generic channel.
func postShop(t *testing.T, addr string, msgs []map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"messages": msgs})
	ts, sig := webhook.Sign([]byte(shopSecret), body, time.Now())
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+webhook.PathPrefix+"shop/webhook", bytes.NewReader(body))
	req.Header.Set(webhook.HeaderTimestamp, ts)
	req.Header.Set(webhook.HeaderSignature, sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("webhook: %d %s", resp.StatusCode, b)
	}
}

// staffGet GETs an admin path as a supervisor.
func staffGet(t *testing.T, addr, path string, v any) {
	t.Helper()
	tok, _ := auth.Sign(killStaffSecret, auth.Claims{Subject: "sue", Role: "supervisor"}, time.Hour)
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(b, v) != nil {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
}

// pendingKeys lists the whole delivery queue through the admin API.
func pendingKeys(t *testing.T, addr string) []string {
	var keys []string
	after := ""
	for {
		var p node.DeliveryPage
		staffGet(t, addr, node.AdminDeliveriesPath+"?state=pending&limit=100&after="+after, &p)
		for _, it := range p.Items {
			keys = append(keys, it.Key)
		}
		if p.Next == "" {
			return keys
		}
		after = p.Next
	}
}

// TestKillWithDeliveries: customers write through a generic webhook
// channel whose send API refuses, so the bot's answers pile up in the
// delivery queue; the node is SIGKILLed and restarted, the send API
// accepts, and every answer stored in the sessions is delivered exactly
// once, in order per conversation.
func TestKillWithDeliveries(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node processes")
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	api := &sendAPI{}
	api.refusing.Store(true)
	srv := httptest.NewServer(api)
	defer srv.Close()
	cfg := dir + "/edgedesk.yaml"
	os.WriteFile(cfg, []byte(fmt.Sprintf(`channels:
  - name: shop
    preset: generic
    send_url: %s/edgedesk/answers
delivery:
  min_backoff: 20ms
  max_backoff: 200ms
`, srv.URL)), 0o600)
	env := []string{"EDGEDESK_CONFIG=" + cfg, "EDGEDESK_CHANNELS_SHOP_SECRET=" + shopSecret, "EDGEDESK_AUTH_STAFF_SECRET=" + killStaffSecret}
	p := startNode(t, dir+"/data", addr, env...)

	const customers, rounds, perWebhook = 8, 5, 4
	for r := range rounds {
		for c := range customers {
			var msgs []map[string]any
			for i := range perWebhook {
				msgs = append(msgs, map[string]any{"id": fmt.Sprintf("c%d-r%d-m%d", c, r, i), "type": "message",
					"customer": map[string]any{"id": fmt.Sprintf("app-user-%d", c), "locale": "en-US"}, "text": "Where is my order 12345?"})
			}
			postShop(t, addr, msgs)
		}
	}
	// The answers pile up: wait for as many as the questions (the bot
	// answers each), and for the send API to have refused some.
	var before []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		before = pendingKeys(t, addr)
		if len(before) >= customers*rounds*perWebhook && api.refused.Load() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d answers queued, %d refusals: the bot should answer each of %d questions", len(before), api.refused.Load(), customers*rounds*perWebhook)
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.cmd.Process.Kill() // with a non-empty delivery queue
	<-p.done

	api.refusing.Store(false)
	p = startNode(t, dir+"/data", addr, env...)
	deadline = time.Now().Add(60 * time.Second)
	for {
		var page node.DeliveryPage
		staffGet(t, addr, node.AdminDeliveriesPath, &page)
		if page.Pending == 0 && page.Dead == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue not drained: %d pending, %d dead", page.Pending, page.Dead)
		}
		time.Sleep(50 * time.Millisecond)
	}
	got, bad := api.items()
	if len(bad) > 0 {
		t.Fatalf("badly signed sends: %v", bad)
	}
	// Exactly once, in order per conversation.
	sent := map[string]bool{}
	last := map[string]uint64{}
	for _, it := range got {
		if sent[it.Key] {
			t.Fatalf("%s delivered twice", it.Key)
		}
		sent[it.Key] = true
		if it.Seq <= last[it.SessionID] {
			t.Fatalf("session %s: seq %d delivered after %d", it.SessionID, it.Seq, last[it.SessionID])
		}
		last[it.SessionID] = it.Seq
	}
	for _, k := range before {
		if !sent[k] {
			t.Fatalf("%s was queued before the kill and never delivered", k)
		}
	}
	// Every answer in the sessions went out (not only those listed
	// before the kill), and nothing else did.
	answers := 0
	for sid := range last {
		var v node.SessionView
		staffGet(t, addr, node.AdminSessionsPath+sid, &v)
		if !strings.HasPrefix(v.Session.Customer.ID, "shop:app-user-") || v.Session.Channel != "shop" {
			t.Fatalf("session %s of customer %q", sid, v.Session.Customer.ID)
		}
		for _, m := range v.Messages {
			if m.From != "customer" && m.Text != "" {
				answers++
				if !sent[fmt.Sprintf("%s/%d", sid, m.Seq)] {
					t.Fatalf("answer %s/%d (%q) never delivered", sid, m.Seq, m.Text)
				}
			}
		}
	}
	if answers != len(got) || len(last) != customers {
		t.Fatalf("%d answers in %d sessions, %d delivered", answers, len(last), len(got))
	}
	t.Logf("%d answers queued before the kill, %d refusals, %d delivered after the restart", len(before), api.refused.Load(), len(got))
}
