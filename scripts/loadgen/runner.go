//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

// runner drives one load run.
type runner struct {
	cfg     config
	log     io.Writer
	dialers []*websocket.Dialer

	hello       []byte
	welcomeType string // frame type that completes the handshake
	respType    string // frame type that answers a msg
	text        string // message text as a JSON string literal

	sessions []*session
	fsyncs   fsyncWindow // counted over the measurement window
	readers  sync.WaitGroup
	senders  sync.WaitGroup
	closing  atomic.Bool

	sent     atomic.Int64
	received atomic.Int64
	dropped  atomic.Int64
	held     atomic.Int64
	failed   atomic.Int64
	answers  atomic.Int64 // bot answers matched (-answers)
	awaiting atomic.Int64 // receipted messages whose answer has not come (-answers)

	mu         sync.Mutex
	dialErrors map[string]int
	errFrames  map[string]int // error frames received during handshakes
}

// newRunner prepares a run of cfg.
func newRunner(cfg config, log io.Writer) *runner {
	r := &runner{
		cfg:        cfg,
		log:        log,
		hello:      helloFrame(cfg.token),
		text:       encodeText(messageText(cfg.size)),
		sessions:   make([]*session, cfg.n),
		dialErrors: make(map[string]int),
		errFrames:  make(map[string]int),
	}
	if cfg.textSet {
		r.text = encodeText(cfg.text)
	}
	switch cfg.mode {
	case modeEcho:
		r.welcomeType, r.respType = "hello", "msg"
	default:
		r.welcomeType, r.respType = "welcome", "receipt"
	}
	for _, src := range cfg.sources {
		nd := &net.Dialer{
			LocalAddr: &net.TCPAddr{IP: src.AsSlice()},
			Timeout:   cfg.handshakeTimeout,
		}
		r.dialers = append(r.dialers, &websocket.Dialer{
			NetDialContext:   nd.DialContext,
			HandshakeTimeout: cfg.handshakeTimeout,
			ReadBufferSize:   2048,
			WriteBufferSize:  2048,
		})
	}
	return r
}

// countErrorFrame counts an error frame received during a handshake.
func (r *runner) countErrorFrame(code string) {
	r.mu.Lock()
	r.errFrames[code]++
	r.mu.Unlock()
}

// logf writes a progress line.
func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.log, "loadgen: "+format+"\n", args...)
}

// run performs the whole run and returns its report. It returns an error
// only when nothing could be measured.
func (r *runner) run(ctx context.Context) (*report, error) {
	cfg := r.cfg
	rep := &report{
		Mode:        cfg.mode,
		URL:         cfg.url,
		Sessions:    cfg.n,
		Sources:     len(cfg.sources),
		Rate:        cfg.rate,
		DurationS:   cfg.duration.Seconds(),
		WarmupS:     cfg.warmup.Seconds(),
		Ramp:        cfg.ramp,
		Nofile:      cfg.nofile,
		LatencyFrom: "scheduled send time (open loop; coordinated omission corrected)",
	}
	if cfg.textSet {
		rep.Text = cfg.text
	}
	if cfg.pid > 0 {
		v, err := readRSS(cfg.pid)
		if err != nil {
			return nil, fmt.Errorf("-pid %d: %w", cfg.pid, err)
		}
		rep.RSSBefore = v
	}
	if cfg.metrics != "" {
		v, err := scrapeMetric(ctx, cfg.metrics, heapMetric)
		if err != nil {
			r.logf("metrics before: %v (heap per connection not reported)", err)
		} else {
			rep.HeapBefore = v
		}
	}

	connectStart := time.Now()
	r.connect(ctx)
	rep.ConnectS = time.Since(connectStart).Seconds()
	rep.Attempted = int(r.held.Load() + r.failed.Load())
	rep.Held = int(r.held.Load())
	rep.Failed = int(r.failed.Load())
	rep.DialErrors = maps.Clone(r.dialErrors)
	r.logf("connected %d of %d in %.1fs (%d failed)", rep.Held, cfg.n, rep.ConnectS, rep.Failed)
	if rep.Held == 0 {
		return rep, fmt.Errorf("no session was established (%v)", rep.DialErrors)
	}

	sleepCtx(ctx, cfg.settle)
	if cfg.pid > 0 {
		if v, err := readRSS(cfg.pid); err == nil {
			rep.RSSAfter = v
			rep.RSSPerSession = float64(v-rep.RSSBefore) / float64(rep.Held)
			rep.RSSPerSessionKiB = round1(rep.RSSPerSession / 1024)
		}
	}
	if cfg.metrics != "" && rep.HeapBefore > 0 {
		if v, err := scrapeMetric(ctx, cfg.metrics, heapMetric); err == nil {
			rep.HeapAfter = v
			rep.HeapPerConn = (v - rep.HeapBefore) / float64(rep.Held)
			rep.HeapPerConnKiB = round1(rep.HeapPerConn / 1024)
		}
	}
	if rep.RSSPerSession > 0 {
		r.logf("server RSS %.1f MiB -> %.1f MiB: %.1f KiB per session",
			mib(rep.RSSBefore), mib(rep.RSSAfter), rep.RSSPerSessionKiB)
	}

	if cfg.rate > 0 {
		r.traffic(ctx, rep)
	} else {
		r.logf("holding %d idle sessions for %s", rep.Held, cfg.duration)
		sleepCtx(ctx, cfg.duration)
	}
	if cfg.pid > 0 {
		rep.RSSEnd, _ = readRSS(cfg.pid)
	}
	rep.SelfRSS, _ = readRSS(os.Getpid())
	rep.HeldEnd = rep.Held - int(r.dropped.Load())

	r.closeAll()
	r.collect(rep)
	return rep, nil
}

// connect opens the sessions at cfg.ramp per second with at most
// cfg.dialConcurrency dials in flight.
func (r *runner) connect(ctx context.Context) {
	cfg := r.cfg
	sem := make(chan struct{}, cfg.dialConcurrency)
	var wg sync.WaitGroup
	stop := r.progress(func() string {
		return fmt.Sprintf("connecting: %d held, %d failed", r.held.Load(), r.failed.Load())
	})
	defer stop()
	step := float64(time.Second) / cfg.ramp
	start := mono()
loop:
	for i := range cfg.n {
		if d := start + int64(float64(i)*step) - mono(); d > 0 {
			if !sleepCtx(ctx, time.Duration(d)) {
				break
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s, err := r.dial(ctx, i)
			if err != nil {
				r.failed.Add(1)
				r.mu.Lock()
				r.dialErrors[classify(err)]++
				r.mu.Unlock()
				return
			}
			r.sessions[i] = s
			r.held.Add(1)
			r.readers.Add(1)
			go s.readLoop(r)
		}()
	}
	wg.Wait()
}

// traffic sends at cfg.rate in total for warmup+duration, then waits up to
// cfg.drain for outstanding responses.
func (r *runner) traffic(ctx context.Context, rep *report) {
	cfg := r.cfg
	held := rep.Held
	interval := int64(float64(held) / cfg.rate * float64(time.Second))
	if interval < 1 {
		interval = 1
	}
	base := mono() + int64(100*time.Millisecond)
	from := base + int64(cfg.warmup)
	to := from + int64(cfg.duration)
	groups := make([][]*session, cfg.senders)
	for _, s := range r.sessions {
		if s == nil {
			continue
		}
		first := base + rand.Int64N(interval)
		count := int((to - first + interval - 1) / interval)
		sch := &schedule{
			first:       first,
			interval:    interval,
			count:       count,
			measureFrom: from,
			measureTo:   to,
			wrote:       make([]atomic.Int64, count),
		}
		s.sched.Store(sch)
		groups[s.id%cfg.senders] = append(groups[s.id%cfg.senders], s)
	}
	for _, g := range groups {
		if len(g) > 0 {
			r.senders.Add(1)
			go r.pace(ctx, g)
		}
	}
	r.logf("sending %.0f msgs/s over %d sessions (%.3g msgs/s each) for %s warmup + %s",
		cfg.rate, held, float64(time.Second)/float64(interval), cfg.warmup, cfg.duration)
	stop := r.progress(func() string {
		line := fmt.Sprintf("sent %d, received %d, dropped sessions %d", r.sent.Load(), r.received.Load(), r.dropped.Load())
		if cfg.answers {
			line += fmt.Sprintf(", answers %d (awaiting %d)", r.answers.Load(), r.awaiting.Load())
		}
		return line
	})
	// CPU use over the measurement window, to tell a saturated server from
	// a busy machine.
	if sleepUntil(ctx, from) {
		a, errA := readCPU(cfg.pid)
		w := r.startFsyncs(ctx)
		if sleepUntil(ctx, to) {
			b, errB := readCPU(cfg.pid)
			if errA == nil && errB == nil {
				rep.CPU = cpuBetween(a, b, cfg.duration.Seconds(), runtime.NumCPU())
			}
			r.fsyncs = w.end(ctx)
		}
	}
	r.senders.Wait()
	// With -answers, also wait for the answers to receipted messages; a
	// message the bot does not answer makes the run wait the whole drain.
	deadline := time.Now().Add(cfg.drain)
	for (r.received.Load() < r.sent.Load() || (cfg.answers && r.awaiting.Load() > 0)) &&
		time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
}

// closeAll closes every session and waits for the readers to exit.
func (r *runner) closeAll() {
	r.closing.Store(true)
	for _, s := range r.sessions {
		if s != nil {
			_ = s.conn.Close()
		}
	}
	done := make(chan struct{})
	go func() { r.readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		r.logf("some readers did not exit within 30s")
	}
}

// collect merges the per-session counters and samples into rep. It must run
// after the senders and readers have exited.
func (r *runner) collect(rep *report) {
	var lat, svc, lag, ansLat []int64
	var ans answerReport
	rep.ErrorFrames = maps.Clone(r.errFrames)
	for _, s := range r.sessions {
		if s == nil {
			continue
		}
		lat = append(lat, s.lat...)
		svc = append(svc, s.svc...)
		lag = append(lag, s.lag...)
		rep.Sent += s.sent
		rep.SentMeasured += s.sentMeasured
		rep.Received += s.resp
		rep.ReceivedInWindow += s.respInWindow
		rep.Duplicates += s.dup
		rep.Unknown += s.unknown
		rep.NodeMsgs += s.nodeMsgs
		rep.OtherFrames += s.other
		rep.Unparsed += s.unparsed
		for code, n := range s.errCodes {
			rep.ErrorFrames[code] += n
		}
		if s.writeErr != nil {
			rep.WriteErrors++
		}
		ansLat = append(ansLat, s.ansLat...)
		ans.Received += s.answers
		ans.ReceivedInWindow += s.answersInWindow
		ans.Unmatched += s.answersUnmatched
		ans.Unanswered += int64(len(s.pending)) + s.untracked
	}
	if r.cfg.rate > 0 {
		rep.Latency = summarize(lat)
		rep.Service = summarize(svc)
		rep.SendLag = summarize(lag)
		rep.Missing = rep.SentMeasured - int64(rep.Latency.Count)
		rep.ReceiptsPerSec = round1(float64(rep.ReceivedInWindow) / r.cfg.duration.Seconds())
		rep.OfferedPerSec = round1(float64(rep.SentMeasured) / r.cfg.duration.Seconds())
		if rep.ReceiptsPerSec > 0 {
			rep.ServerUsPerMsg = round1(rep.CPU.Server * 1e6 / rep.ReceiptsPerSec)
		}
		rep.Fsyncs = r.fsyncs.perMsg(rep.ReceivedInWindow)
		if r.cfg.answers {
			ans.Latency = summarize(ansLat)
			ans.Missing = rep.SentMeasured - int64(ans.Latency.Count)
			ans.PerSec = round1(float64(ans.ReceivedInWindow) / r.cfg.duration.Seconds())
			rep.Answers = &ans
		}
	}
}

// progress prints line() every second until the returned stop is called.
func (r *runner) progress(line func() string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				r.logf("%s", line())
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// sleepCtx sleeps for d or until ctx is done, and reports whether the full
// sleep happened.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
