//go:build linux

package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The webhook mode (-mode webhook) posts signed webhooks of a generic
// channel (docs/CHANNELS.md) at a fixed rate, open loop, like the
// WebSocket modes: request k is due at start + k/rate whatever the earlier
// ones did, and its latency runs from that due time to the end of its
// answer, so requests waiting for a free connection are counted. The
// node answers 200 only once the messages are on disk, so that latency
// is the webhook's equivalent of the widget's receipt.
//
// With -sink, loadgen also serves the channel's send API on that address
// and counts the answers the node delivers to it (the bot's, through the
// delivery queue).

// webhookReport is the result of a webhook run.
type webhookReport struct {
	Mode      string  `json:"mode"`
	URL       string  `json:"url"`
	Customers int     `json:"sessions"` // distinct customer ids, one session each
	Batch     int     `json:"batch"`    // messages per webhook
	Conns     int     `json:"conns"`    // most requests in flight
	Rate      float64 `json:"rate"`     // webhooks per second
	DurationS float64 `json:"duration_s"`
	WarmupS   float64 `json:"warmup_s"`
	Text      string  `json:"text,omitempty"`

	Sent          int64          `json:"sent"`
	SentMeasured  int64          `json:"sent_measured"`
	OK            int64          `json:"ok"`
	OKMeasured    int64          `json:"ok_measured"`
	Missing       int64          `json:"missing"` // measured requests without a 200
	Status        map[string]int `json:"status"`  // answers other than 200, by code
	Errors        map[string]int `json:"errors"`  // transport errors
	Stored        int64          `json:"stored"`  // messages the node said it stored
	Duplicates    int64          `json:"duplicates"`
	OfferedPerSec float64        `json:"offered_per_s"`
	// RequestsPerSec counts the measured requests answered 200, per
	// second of the window (named like the widget's receipts_per_s).
	RequestsPerSec float64        `json:"requests_per_s"`
	LatencyFrom    string         `json:"latency_from"`
	Latency        latencySummary `json:"latency"`
	Service        latencySummary `json:"service_latency"`
	SendLag        latencySummary `json:"send_lag"`
	CPU            cpuUse         `json:"cpu"`
	ServerUsPerReq float64        `json:"server_cpu_us_per_req"`
	Delivered      int64          `json:"delivered"` // answers the node posted to -sink
}

// signWebhook returns the generic channel's headers for body at t: "v1="
// hex HMAC-SHA256(secret, timestamp "." body), written here from the
// documented scheme rather than imported, so the load test also checks it.
func signWebhook(secret, body []byte, t time.Time) (ts, sig string) {
	ts = strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return ts, "v1=" + hex.EncodeToString(m.Sum(nil))
}

// appendWebhook appends the body of webhook k: batch messages of customer
// k mod customers, with ids unique in the run.
func appendWebhook(dst []byte, run string, k, customers, batch int, quoted string) []byte {
	dst = append(dst, `{"messages":[`...)
	for i := range batch {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"id":"`...)
		dst = append(dst, run...)
		dst = append(dst, '-')
		dst = strconv.AppendInt(dst, int64(k), 10)
		dst = append(dst, '-')
		dst = strconv.AppendInt(dst, int64(i), 10)
		dst = append(dst, `","type":"message","customer":{"id":"load-`...)
		dst = strconv.AppendInt(dst, int64(k%customers), 10)
		dst = append(dst, `","locale":"en-US"},"text":`...)
		dst = append(dst, quoted...)
		dst = append(dst, '}')
	}
	return append(dst, "]}"...)
}

// webhookRun drives one webhook run.
type webhookRun struct {
	cfg    config
	log    io.Writer
	client *http.Client
	secret []byte
	run    string

	inflight chan struct{}
	wg       sync.WaitGroup

	mu         sync.Mutex
	latency    []int64 // measured 200s, from the due time
	service    []int64 // measured 200s, from the actual send
	lag        []int64
	status     map[string]int
	errs       map[string]int
	ok, okMeas atomic.Int64
	stored     atomic.Int64
	dups       atomic.Int64
	delivered  atomic.Int64
}

func runWebhook(ctx context.Context, cfg config, stderr io.Writer) (*webhookReport, error) {
	secret := []byte(cfg.secret)
	w := &webhookRun{
		cfg: cfg, log: stderr, secret: secret,
		run:      "lg" + strconv.FormatInt(time.Now().UnixNano(), 36),
		inflight: make(chan struct{}, cfg.conns),
		status:   map[string]int{}, errs: map[string]int{},
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConnsPerHost: cfg.conns, MaxConnsPerHost: cfg.conns, DisableCompression: true,
			DialContext: (&net.Dialer{Timeout: cfg.handshakeTimeout}).DialContext,
		}},
	}
	if cfg.sink != "" {
		stop, err := w.serveSink(cfg.sink)
		if err != nil {
			return nil, err
		}
		defer stop()
	}
	text := encodeText(messageText(cfg.size))
	if cfg.textSet {
		text = encodeText(cfg.text)
	}
	rep := &webhookReport{Mode: modeWebhook, URL: cfg.url, Customers: cfg.n, Batch: cfg.batch, Conns: cfg.conns, Rate: cfg.rate,
		DurationS: cfg.duration.Seconds(), WarmupS: cfg.warmup.Seconds(),
		LatencyFrom: "scheduled send time (open loop; coordinated omission corrected)"}
	if cfg.textSet {
		rep.Text = cfg.text
	}

	interval := int64(float64(time.Second) / cfg.rate)
	start := mono() + int64(100*time.Millisecond)
	winStart, winEnd := start+int64(cfg.warmup), start+int64(cfg.warmup+cfg.duration)
	var cpu0 cpuSample
	var cpuErr error
	cpuTaken := false
	fmt.Fprintf(stderr, "loadgen: webhooks at %.0f/s to %s (%d customers, %d per webhook)\n", cfg.rate, cfg.url, cfg.n, cfg.batch)
	buf := make([]byte, 0, 256+cfg.batch*(96+len(text)))
	var sent, sentMeas int64
	for k := 0; ; k++ {
		due := start + int64(k)*interval
		if due >= winEnd {
			break
		}
		if !sleepUntil(ctx, due) {
			break
		}
		if !cpuTaken && due >= winStart {
			cpu0, cpuErr = readCPU(cfg.pid)
			cpuTaken = true
		}
		measured := due >= winStart
		buf = appendWebhook(buf[:0], w.run, k, cfg.n, cfg.batch, text)
		body := bytes.Clone(buf)
		select {
		case w.inflight <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		sent++
		if measured {
			sentMeas++
		}
		w.wg.Add(1)
		go w.post(ctx, body, due, measured)
	}
	cpu1, err := readCPU(cfg.pid)
	if cpuErr == nil && err == nil && cpuTaken {
		rep.CPU = cpuBetween(cpu0, cpu1, cfg.duration.Seconds(), runtime.NumCPU())
	}
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(cfg.drain):
		fmt.Fprintf(stderr, "loadgen: %d requests still open after -drain %s\n", len(w.inflight), cfg.drain)
	}
	if cfg.sink != "" { // the last answers go out after their webhooks' 200
		time.Sleep(min(cfg.drain, time.Second))
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	rep.Sent, rep.SentMeasured = sent, sentMeas
	rep.OK, rep.OKMeasured = w.ok.Load(), w.okMeas.Load()
	rep.Missing = sentMeas - rep.OKMeasured
	rep.Status, rep.Errors = w.status, w.errs
	rep.Stored, rep.Duplicates, rep.Delivered = w.stored.Load(), w.dups.Load(), w.delivered.Load()
	rep.OfferedPerSec = round1(cfg.rate)
	rep.RequestsPerSec = round1(float64(rep.OKMeasured) / cfg.duration.Seconds())
	rep.Latency, rep.Service, rep.SendLag = summarize(w.latency), summarize(w.service), summarize(w.lag)
	if rep.OKMeasured > 0 && rep.CPU.Server > 0 {
		rep.ServerUsPerReq = round1(rep.CPU.Server * cfg.duration.Seconds() * 1e6 / float64(rep.OKMeasured))
	}
	if rep.OK == 0 {
		return rep, errors.New("no webhook was answered 200")
	}
	return rep, nil
}

// post sends one webhook and records its outcome.
func (w *webhookRun) post(ctx context.Context, body []byte, due int64, measured bool) {
	defer w.wg.Done()
	defer func() { <-w.inflight }()
	sentAt := mono()
	ts, sig := signWebhook(w.secret, body, time.Now())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.url, bytes.NewReader(body))
	if err != nil {
		w.count(w.errs, err.Error())
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Edgedesk-Timestamp", ts)
	req.Header.Set("X-Edgedesk-Signature", sig)
	resp, err := w.client.Do(req)
	if err != nil {
		w.count(w.errs, errorClass(err))
		return
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	end := mono()
	if resp.StatusCode != http.StatusOK {
		w.count(w.status, strconv.Itoa(resp.StatusCode))
		return
	}
	w.ok.Add(1)
	if s, d, ok := parseTaken(answer); ok {
		w.stored.Add(s)
		w.dups.Add(d)
	}
	if !measured {
		return
	}
	w.okMeas.Add(1)
	w.mu.Lock()
	w.latency = append(w.latency, end-due)
	w.service = append(w.service, end-sentAt)
	w.lag = append(w.lag, sentAt-due)
	w.mu.Unlock()
}

// parseTaken reads {"stored":n,"duplicates":m,…} without a JSON decoder
// per request.
func parseTaken(b []byte) (stored, dups int64, ok bool) {
	num := func(key string) (int64, bool) {
		i := bytes.Index(b, []byte(`"`+key+`":`))
		if i < 0 {
			return 0, false
		}
		rest := b[i+len(key)+3:]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		n, err := strconv.ParseInt(string(rest[:j]), 10, 64)
		return n, err == nil
	}
	s, ok1 := num("stored")
	d, ok2 := num("duplicates")
	return s, d, ok1 && ok2
}

// errorClass shortens a transport error for the report's counts.
func errorClass(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Op + ": " + oe.Err.Error()
	}
	return err.Error()
}

func (w *webhookRun) count(m map[string]int, key string) {
	w.mu.Lock()
	m[key]++
	w.mu.Unlock()
}

// serveSink serves the channel's send API on addr: every POST is an
// answer delivered, answered 200.
func (w *webhookRun) serveSink(addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-sink %s: %w", addr, err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		if r.Method == http.MethodPost {
			w.delivered.Add(1)
		}
		rw.WriteHeader(http.StatusOK)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return func() { _ = srv.Close() }, nil
}

// writeText writes rep for a human reader.
func (rep *webhookReport) writeText(w io.Writer) error {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("mode webhook, target %s, %d customers, %d message(s) per webhook, at most %d in flight", rep.URL, rep.Customers, rep.Batch, rep.Conns)
	p("webhooks: offered %.0f/s; sent %d (%d measured), 200s %d (%d measured), missing %d; stored %d messages, duplicates %d",
		rep.OfferedPerSec, rep.Sent, rep.SentMeasured, rep.OK, rep.OKMeasured, rep.Missing, rep.Stored, rep.Duplicates)
	if len(rep.Status) > 0 {
		p("other answers: %s", formatCounts(rep.Status))
	}
	if len(rep.Errors) > 0 {
		p("errors: %s", formatCounts(rep.Errors))
	}
	p("requests/s (200s in the window): %.1f over %.0fs after %.0fs warmup", rep.RequestsPerSec, rep.DurationS, rep.WarmupS)
	p("latency of the 200s from %s:", rep.LatencyFrom)
	p("  %s", formatLatency(rep.Latency))
	p("service latency (from the actual send): %s", formatLatency(rep.Service))
	p("send lag: %s", formatLatency(rep.SendLag))
	p("cpu over the window, in cores of %d: machine %.2f = server %.2f + loadgen %.2f + other %.2f",
		rep.CPU.Cores, rep.CPU.Machine, rep.CPU.Server, rep.CPU.Loadgen, rep.CPU.Other)
	if rep.ServerUsPerReq > 0 {
		p("server CPU per webhook: %.1f µs", rep.ServerUsPerReq)
	}
	if rep.Delivered > 0 {
		p("answers delivered to the sink: %d", rep.Delivered)
	}
	_, err := w.Write(b.Bytes())
	return err
}
