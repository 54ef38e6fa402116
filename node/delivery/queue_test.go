package delivery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/edgedesk/edgedesk/node/delivery"
	"github.com/edgedesk/edgedesk/node/session"
)

// httpSender posts each item as JSON with its idempotency key, as the
// generic webhook channel does; a 4xx other than 408/429 is permanent.
type httpSender struct {
	url    string
	client *http.Client
}

func (s httpSender) Send(ctx context.Context, it delivery.Item) error {
	body, _ := json.Marshal(map[string]any{"key": it.Key, "session": it.SessionID, "seq": it.Seq, "to": it.To, "text": it.Text})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Idempotency-Key", it.Key)
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch {
	case resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 408 && resp.StatusCode != 429:
		return fmt.Errorf("%w: status %d", delivery.ErrPermanent, resp.StatusCode)
	}
	return fmt.Errorf("status %d", resp.StatusCode)
}

// platform is a send API that refuses (503) while down, and records what
// it accepted.
type platform struct {
	down     atomic.Bool
	refused  atomic.Int64
	mu       sync.Mutex
	accepted map[string]int      // key → times accepted
	order    map[string][]uint64 // session → seqs in the order accepted
}

func (p *platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m struct {
		Key     string `json:"key"`
		Session string `json:"session"`
		Seq     uint64 `json:"seq"`
	}
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil || r.Header.Get("Idempotency-Key") != m.Key {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if p.down.Load() {
		p.refused.Add(1)
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	p.mu.Lock()
	p.accepted[m.Key]++
	p.order[m.Session] = append(p.order[m.Session], m.Seq)
	p.mu.Unlock()
}

func openStore(t *testing.T, path string, deliver func(*session.Meta, *session.Message) (delivery.Item, bool)) *session.Store {
	t.Helper()
	s, err := session.Open(session.Options{Path: path, Shards: 2, Deliver: deliver})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// toContact delivers every answer of a session with a Contact.
func toContact(m *session.Meta, msg *session.Message) (delivery.Item, bool) {
	if m.Contact == nil {
		return delivery.Item{}, false
	}
	return delivery.Item{Channel: m.Contact.Channel, To: m.Contact.To}, true
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestQueueSendAPIDown: 1,000 replies in 20 conversations while the send
// API refuses, then accepts: each is delivered exactly once, in order
// per conversation, and the queue is empty.
func TestQueueSendAPIDown(t *testing.T) {
	p := &platform{accepted: map[string]int{}, order: map[string][]uint64{}}
	p.down.Store(true)
	srv := httptest.NewServer(p)
	defer srv.Close()
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "s.db"), toContact)
	defer s.Close(ctx)

	reg := prometheus.NewRegistry()
	metrics := delivery.NewMetrics(reg, s.DeliveryCounts)
	w := delivery.New(delivery.Options{Queue: s, MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Metrics: metrics, Concurrency: 8})
	w.Register("wa", httpSender{url: srv.URL, client: srv.Client()})
	runErr := make(chan error, 1)
	go func() { runErr <- w.Run(ctx) }()

	const sessions, per = 20, 50
	var ids []string
	for i := range sessions {
		m, err := s.Create(ctx, session.Meta{Channel: "wa", Contact: &session.Contact{Channel: "wa", To: fmt.Sprint("+4915100000", i)}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range per {
				if _, err := s.Post(ctx, session.Message{Session: id, From: session.FromAgent, Text: fmt.Sprint("reply ", j)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	waitFor(t, 10*time.Second, "refused attempts", func() bool { return p.refused.Load() >= 40 })
	p.down.Store(false)
	waitFor(t, 60*time.Second, "every reply delivered", func() bool {
		pending, dead := s.DeliveryCounts()
		return pending == 0 && dead == 0
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.accepted) != sessions*per {
		t.Fatalf("%d replies accepted, want %d", len(p.accepted), sessions*per)
	}
	for k, n := range p.accepted {
		if n != 1 {
			t.Errorf("%s accepted %d times", k, n)
		}
	}
	for _, id := range ids {
		seqs := p.order[id]
		for i, seq := range seqs {
			if seq != uint64(i+1) {
				t.Fatalf("session %s: seqs in order of delivery %v", id, seqs)
			}
		}
	}
	if got := testutil.ToFloat64(metrics.Delivered.WithLabelValues("wa")); got != sessions*per {
		t.Errorf("delivered metric %v", got)
	}
	if testutil.ToFloat64(metrics.Retried.WithLabelValues("wa")) < 1 {
		t.Error("no retries counted")
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-runErr; err != nil {
		t.Fatal(err)
	}
}

type funcSender func(context.Context, delivery.Item) error

func (f funcSender) Send(ctx context.Context, it delivery.Item) error { return f(ctx, it) }

// TestQueueDeadLetters: a permanent failure goes to the dead letters at
// once without holding the session's later items; a retry from the dead
// letters sends it again; ErrSkip drops an item; NotBefore delays one.
func TestQueueDeadLetters(t *testing.T) {
	ctx := context.Background()
	delay := time.Now().Add(300 * time.Millisecond)
	s := openStore(t, filepath.Join(t.TempDir(), "s.db"), func(m *session.Meta, msg *session.Message) (delivery.Item, bool) {
		it, ok := toContact(m, msg)
		if msg.Text == "later" {
			it.NotBefore = delay
		}
		return it, ok
	})
	defer s.Close(ctx)
	var (
		mu     sync.Mutex
		sent   []string
		reject atomic.Bool
		sentAt = map[string]time.Time{}
	)
	reject.Store(true)
	w := delivery.New(delivery.Options{Queue: s, MinBackoff: 10 * time.Millisecond})
	w.Register("x", funcSender(func(_ context.Context, it delivery.Item) error {
		switch {
		case it.Text == "bad" && reject.Load():
			return fmt.Errorf("%w: no such recipient", delivery.ErrPermanent)
		case it.Text == "skip":
			return delivery.ErrSkip
		}
		mu.Lock()
		sent, sentAt[it.Text] = append(sent, it.Text), time.Now()
		mu.Unlock()
		return nil
	}))
	go w.Run(ctx)
	defer w.Close(ctx)
	m, err := s.Create(ctx, session.Meta{Contact: &session.Contact{Channel: "x", To: "u1"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"bad", "after", "skip", "later"} {
		if _, err := s.Post(ctx, session.Message{Session: m.ID, From: session.FromBot, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "the queue to settle", func() bool {
		p, d := s.DeliveryCounts()
		return p == 0 && d == 1
	})
	mu.Lock()
	if fmt.Sprint(sent) != "[after later]" || sentAt["later"].Before(delay) {
		t.Fatalf("sent %v (later at %v, not before %v)", sent, sentAt["later"], delay)
	}
	mu.Unlock()
	dead, err := s.Deliveries(true, "", 10)
	if err != nil || len(dead) != 1 || dead[0].Key != m.ID+"/1" || dead[0].Attempts != 1 || dead[0].LastError == "" {
		t.Fatalf("dead letters %+v, %v", dead, err)
	}
	if _, err := s.DeliveryRevive(ctx, m.ID+"/2"); !errors.Is(err, session.ErrNoDelivery) {
		t.Fatalf("revive of a delivered item: %v", err)
	}
	reject.Store(false)
	if _, err := s.DeliveryRevive(ctx, dead[0].Key); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the retried dead letter", func() bool {
		p, d := s.DeliveryCounts()
		return p == 0 && d == 0
	})
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(sent) != "[after later bad]" {
		t.Fatalf("sent %v", sent)
	}
}

// TestQueueSurvivesRestart: items pending when the store closes are sent
// after it opens again; erasing the session deletes its pending items.
func TestQueueSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	s := openStore(t, path, toContact)
	m, err := s.Create(ctx, session.Meta{Customer: session.Customer{ID: "c1"}, Contact: &session.Contact{Channel: "x", To: "u1"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := s.Post(ctx, session.Message{Session: m.ID, From: session.FromAgent, Text: fmt.Sprint("r", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// A customer message is never delivered back.
	if _, err := s.Post(ctx, session.Message{Session: m.ID, From: session.FromCustomer, CID: "c", Channel: "x", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.DeliveryCounts(); p != 3 {
		t.Fatalf("%d pending, want 3", p)
	}
	s.Close(ctx)
	s = openStore(t, path, toContact)
	defer s.Close(ctx)
	pend, _, err := s.SessionDeliveries(m.ID)
	if err != nil || len(pend) != 3 || pend[0].To != "u1" || pend[2].Text != "r2" {
		t.Fatalf("after reopen %+v %v", pend, err)
	}
	// The customer wrote from the x channel, then from the widget: the
	// contact is gone and later answers stay in the widget.
	if _, err := s.Post(ctx, session.Message{Session: m.ID, From: session.FromCustomer, CID: "w", Channel: "web", Text: "back"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Post(ctx, session.Message{Session: m.ID, From: session.FromAgent, Text: "to the widget"}); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.DeliveryCounts(); p != 3 {
		t.Fatalf("%d pending after the customer went back to the widget, want 3", p)
	}
	if _, err := s.EraseCustomer(ctx, "c1", nil); err != nil {
		t.Fatal(err)
	}
	if p, d := s.DeliveryCounts(); p != 0 || d != 0 {
		t.Fatalf("after erasure: %d pending, %d dead", p, d)
	}
}
