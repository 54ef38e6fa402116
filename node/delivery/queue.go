package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// Queue is where the pending items are kept: node/session's Store, which
// writes each item in the transaction of its message. Done, Retry and
// Dead are durable when they return.
type Queue interface {
	// DeliveryReady is signalled when new items were committed.
	DeliveryReady() <-chan struct{}
	// DeliveryHeads returns the oldest pending item of each session (up
	// to limit per store shard): only heads are sent, so a session's
	// items leave in order.
	DeliveryHeads(limit int) ([]Item, error)
	DeliveryDone(ctx context.Context, key string) error
	DeliveryRetry(ctx context.Context, it Item) error
	DeliveryDead(ctx context.Context, it Item) error
}

// Options configures a Worker. Zero values take the documented defaults.
type Options struct {
	Queue Queue
	// Concurrency bounds the sends in flight, each of another session
	// (default 16).
	Concurrency int
	// MinBackoff and MaxBackoff bound the wait before a failed item is
	// tried again: MinBackoff doubled per attempt up to MaxBackoff, half
	// of it fixed and half random so a platform coming back is not hit
	// by every item at once (defaults 1s and 10m).
	MinBackoff, MaxBackoff time.Duration
	// MaxAttempts and MaxAge move an item that keeps failing to the dead
	// letters: after that many attempts (default 25) or once it is that
	// old (default 48h).
	MaxAttempts int
	MaxAge      time.Duration
	// AttemptTimeout bounds one Send (default 30s).
	AttemptTimeout time.Duration
	// Poll is how often the queue is read again without a signal
	// (default 30s): a safety net, as every commit that adds items
	// signals.
	Poll time.Duration
	// ScanLimit bounds the heads read per shard in one pass (default
	// 4096).
	ScanLimit int
	Logger    *slog.Logger
	Metrics   *Metrics
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Worker sends the queue's items through the Sender of their channel.
// Register senders before Run; Run and Close are safe to call from
// different goroutines.
type Worker struct {
	opts    Options
	mu      sync.RWMutex
	senders map[string]Sender
	stop    context.CancelFunc
	stopMu  sync.Mutex
	done    chan struct{}
	started bool
	closed  bool // Close came first: Run returns at once
}

// ErrNoSender dead-letters an item whose channel has no Sender (a channel
// removed from the configuration while items waited for it).
var ErrNoSender = errors.New("delivery: no sender for the channel")

// New returns a Worker over opts.Queue.
func New(opts Options) *Worker {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 16
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 10 * time.Minute
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = opts.MinBackoff
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 25
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = 48 * time.Hour
	}
	if opts.AttemptTimeout <= 0 {
		opts.AttemptTimeout = 30 * time.Second
	}
	if opts.Poll <= 0 {
		opts.Poll = 30 * time.Second
	}
	if opts.ScanLimit <= 0 {
		opts.ScanLimit = 4096
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Worker{opts: opts, senders: map[string]Sender{}, done: make(chan struct{})}
}

// Register makes s the Sender of channel's items, replacing any other.
func (w *Worker) Register(channel string, s Sender) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.senders[channel] = s
}

// Has reports whether channel has a Sender.
func (w *Worker) Has(channel string) bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.senders[channel] != nil
}

func (w *Worker) sender(channel string) Sender {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.senders[channel]
}

// Run sends items until ctx is done or Close is called, then waits for
// the sends in flight. An item whose send was cut short stays pending: it
// is sent again after a restart, with the same idempotency key.
func (w *Worker) Run(ctx context.Context) error {
	w.stopMu.Lock()
	if w.started {
		w.stopMu.Unlock()
		return errors.New("delivery: Run called twice")
	}
	w.started = true
	if w.closed {
		w.stopMu.Unlock()
		close(w.done)
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	w.stop = cancel
	w.stopMu.Unlock()
	defer close(w.done)
	defer cancel()

	var wg sync.WaitGroup
	defer wg.Wait()
	finished := make(chan string, w.opts.Concurrency)
	inflight := map[string]bool{} // session ids
	timer := time.NewTimer(0)
	defer timer.Stop()
	var failed time.Time // the last failed read of the queue
	for {
		// Read the heads and start what is due.
		wake := w.opts.Poll
		heads, err := w.opts.Queue.DeliveryHeads(w.opts.ScanLimit)
		if err != nil {
			if failed.IsZero() || w.opts.Now().Sub(failed) > time.Minute {
				w.opts.Logger.Error("delivery queue not read", "err", err)
			}
			failed = w.opts.Now()
			wake = time.Second
		}
		now := w.opts.Now()
		if m := w.opts.Metrics; m != nil {
			m.Heads.Set(float64(len(heads)))
		}
		for _, it := range heads {
			if inflight[it.SessionID] {
				continue
			}
			if due := it.due(); due.After(now) {
				wake = min(wake, due.Sub(now))
				continue
			}
			if len(inflight) >= w.opts.Concurrency {
				break // a finished send reads the heads again
			}
			inflight[it.SessionID] = true
			wg.Add(1)
			go func(it Item) {
				defer wg.Done()
				w.attempt(ctx, it)
				finished <- it.SessionID
			}(it)
		}
		timer.Reset(wake)
		select {
		case <-ctx.Done():
			return nil
		case <-w.opts.Queue.DeliveryReady():
		case <-timer.C:
		case sid := <-finished:
			delete(inflight, sid)
		drain: // read the heads once for every send that finished by now
			for {
				select {
				case sid := <-finished:
					delete(inflight, sid)
				default:
					break drain
				}
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// Close stops Run and waits for it (bounded by ctx). Call it before the
// queue's store closes.
func (w *Worker) Close(ctx context.Context) error {
	w.stopMu.Lock()
	started, stop := w.started, w.stop
	w.closed = true
	w.stopMu.Unlock()
	if !started {
		return nil
	}
	if stop != nil {
		stop()
	}
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("delivery: close: sends still in flight: %w", ctx.Err())
	}
}

// due is when an item may be tried: after NotBefore and its next retry.
func (it *Item) due() time.Time {
	if it.Next.After(it.NotBefore) {
		return it.Next
	}
	return it.NotBefore
}

// attempt sends it once and records the outcome.
func (w *Worker) attempt(ctx context.Context, it Item) {
	m := w.opts.Metrics
	s := w.sender(it.Channel)
	var err error
	start := time.Now()
	if s == nil {
		err = fmt.Errorf("%w %q", ErrNoSender, it.Channel)
	} else {
		sctx, cancel := context.WithTimeout(ctx, w.opts.AttemptTimeout)
		err = s.Send(sctx, it)
		cancel()
		if m != nil {
			m.SendSeconds.WithLabelValues(it.Channel).Observe(time.Since(start).Seconds())
		}
	}
	if ctx.Err() != nil && err != nil {
		return // shutting down: the item stays as it was, tried after a restart
	}
	// The outcome is recorded even when Run is being stopped: a sent item
	// not marked done would be sent again.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var rerr error
	switch {
	case err == nil:
		rerr = w.opts.Queue.DeliveryDone(rctx, it.Key)
		if m != nil {
			m.Delivered.WithLabelValues(it.Channel).Inc()
		}
	case errors.Is(err, ErrSkip):
		rerr = w.opts.Queue.DeliveryDone(rctx, it.Key)
		if m != nil {
			m.Skipped.WithLabelValues(it.Channel).Inc()
		}
	default:
		it.Attempts++
		it.LastError = truncate(err.Error(), 512)
		now := w.opts.Now()
		if errors.Is(err, ErrPermanent) || errors.Is(err, ErrNoSender) || it.Attempts >= w.opts.MaxAttempts || !it.Created.IsZero() && now.Sub(it.Created) > w.opts.MaxAge {
			it.Next = time.Time{}
			rerr = w.opts.Queue.DeliveryDead(rctx, it)
			if m != nil {
				m.Dead.WithLabelValues(it.Channel).Inc()
			}
			w.opts.Logger.Warn("delivery dead-lettered", "key", it.Key, "channel", it.Channel, "attempts", it.Attempts, "err", err)
			break
		}
		it.Next = now.Add(w.backoff(it.Attempts, err))
		rerr = w.opts.Queue.DeliveryRetry(rctx, it)
		if m != nil {
			m.Retried.WithLabelValues(it.Channel).Inc()
		}
		w.opts.Logger.Debug("delivery failed; retrying", "key", it.Key, "channel", it.Channel, "attempts", it.Attempts, "next", it.Next, "err", err)
	}
	if rerr != nil {
		w.opts.Logger.Error("delivery outcome not recorded", "key", it.Key, "err", rerr)
	}
}

// backoff is the wait before attempt n+1 after attempt n failed with
// err: MinBackoff·2^(n-1), capped at MaxBackoff, half fixed and half
// random; at least what the platform asked for (RetryAfter).
func (w *Worker) backoff(n int, err error) time.Duration {
	d := w.opts.MinBackoff
	for i := 1; i < n && d < w.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, w.opts.MaxBackoff)
	d = d/2 + rand.N(d/2+1)
	var ra *retryAfter
	if errors.As(err, &ra) && ra.after > d {
		d = min(ra.after, w.opts.MaxAge)
	}
	return d
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

type retryAfter struct {
	err   error
	after time.Duration
}

func (r *retryAfter) Error() string { return r.err.Error() }
func (r *retryAfter) Unwrap() error { return r.err }

// RetryAfter wraps err, a temporary failure, with how long the channel
// asked to wait before the next attempt (an HTTP 429's or 503's
// Retry-After): the queue waits at least that long.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryAfter{err: err, after: d}
}
