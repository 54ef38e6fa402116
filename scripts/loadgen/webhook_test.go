//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/node/channels/webhook"
)

// The load client's signature is the node's: written separately from the
// docs, checked against the node's own.
func TestSignWebhookMatchesNode(t *testing.T) {
	body := []byte(`{"messages":[{"id":"m-1","customer":{"id":"c"},"text":"hi"}]}`)
	at := time.Unix(1764770000, 0)
	ts, sig := signWebhook([]byte("0123456789abcdef"), body, at)
	wts, wsig := webhook.Sign([]byte("0123456789abcdef"), body, at)
	if ts != wts || sig != wsig {
		t.Fatalf("loadgen signs %s %s, the node %s %s", ts, sig, wts, wsig)
	}
}

// TestWebhookRun runs the webhook mode briefly against a server that
// checks each request's signature and body: every webhook is answered,
// its ids are unique, and the report counts them.
func TestWebhookRun(t *testing.T) {
	const secret = "loadgen-test-secret-0123"
	var mu sync.Mutex
	ids := map[string]bool{}
	var bad atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var sec int64
		ts := r.Header.Get(webhook.HeaderTimestamp)
		for _, c := range ts {
			sec = sec*10 + int64(c-'0')
		}
		_, want := webhook.Sign([]byte(secret), body, time.Unix(sec, 0))
		var p struct {
			Messages []struct {
				ID       string `json:"id"`
				Text     string `json:"text"`
				Customer struct {
					ID string `json:"id"`
				} `json:"customer"`
			} `json:"messages"`
		}
		if r.Header.Get(webhook.HeaderSignature) != want || json.Unmarshal(body, &p) != nil || len(p.Messages) != 2 {
			bad.Add(1)
			http.Error(w, "bad", 401)
			return
		}
		mu.Lock()
		for _, m := range p.Messages {
			if ids[m.ID] || m.Text != "Where is my parcel?" || !strings.HasPrefix(m.Customer.ID, "load-") {
				bad.Add(1)
			}
			ids[m.ID] = true
		}
		mu.Unlock()
		io.WriteString(w, `{"stored":2,"duplicates":0,"ignored":0}`)
	}))
	defer srv.Close()
	sf := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(sf, []byte(secret+"\n"), 0o600)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-mode", "webhook", "-url", srv.URL + "/v1/channels/load/webhook", "-secret-file", sf,
		"-rate", "200", "-n", "10", "-batch", "2", "-warmup", "200ms", "-duration", "500ms", "-text", "Where is my parcel?", "-json"}, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	var rep webhookReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report %q: %v", out.String(), err)
	}
	if bad.Load() != 0 {
		t.Fatalf("%d bad requests", bad.Load())
	}
	if rep.Sent < 120 || rep.OK != rep.Sent || rep.Missing != 0 || rep.Stored != 2*rep.OK || int64(len(ids)) != 2*rep.Sent ||
		rep.Latency.Count != int(rep.OKMeasured) || rep.OKMeasured < 80 || rep.RequestsPerSec < 150 {
		t.Fatalf("report %+v (%d ids)", rep, len(ids))
	}
}
