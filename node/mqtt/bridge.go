package mqtt

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/gateway"
	"github.com/edgedesk/edgedesk/node/session"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// Options configures a Bridge.
type Options struct {
	// Conn is the node's connection to the embedded server whose MQTT
	// listener the apps use. Required.
	Conn *nats.Conn
	// Interest reports whether a client of the embedded server subscribes
	// to a subject: the sweep drops a client whose app no longer
	// subscribes to its out topic. Required.
	Interest func(subject string) bool
	// Store and Opener are the session store and the node's one way of
	// opening sessions. Required.
	Store  *session.Store
	Opener *session.Opener
	// Verifier checks the widget token hello carries; nil accepts
	// anonymous apps (as the widget's gateway does).
	Verifier *auth.Verifier
	// Gateway holds the widget's limits, which apps get too: frame size,
	// rates, send queue, timeouts.
	Gateway config.Gateway
	// MQTT holds the caps on connections.
	MQTT config.MQTT
	// Sign turns the node's stored files into links in msg frames (nil:
	// as stored).
	Sign func(string) string
	// Metrics (nil: unregistered ones).
	Metrics *Metrics
	// Logger (nil: discard) and Now (nil: time.Now).
	Logger *slog.Logger
	Now    func() time.Time
}

// Bridge serves the widget protocol to MQTT apps. New subscribes to their
// frames; Run sweeps out the clients whose apps left; Close drops every
// client and unsubscribes.
type Bridge struct {
	o   Options
	js  jetstream.JetStream
	log *slog.Logger
	m   *Metrics
	sub *nats.Subscription

	mu      sync.Mutex
	clients map[string]*client // by key.conn
	perKey  map[string]int
	closed  bool
	wg      sync.WaitGroup // client workers

	stop     chan struct{}
	stopOnce sync.Once

	// refusals bounds the answers to frames of connections the caps
	// refuse (the subscription's goroutine owns it).
	refusals bucket
}

// inboundPending bounds the frames the NATS subscription holds for the
// bridge before it drops them (the app resends a msg with its cid until
// it has a receipt).
const (
	inboundPendingMsgs  = 65536
	inboundPendingBytes = 64 << 20
)

// New subscribes to every app's inbound frames.
func New(o Options) (*Bridge, error) {
	if o.Conn == nil || o.Interest == nil || o.Store == nil || o.Opener == nil {
		return nil, fmt.Errorf("%w: Conn, Interest, Store and Opener are required", ErrOptions)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.MQTT.SweepInterval <= 0 {
		o.MQTT.SweepInterval = 5 * time.Second
	}
	js, err := jetstream.New(o.Conn)
	if err != nil {
		return nil, fmt.Errorf("mqtt: jetstream: %w", err)
	}
	b := &Bridge{o: o, js: js, log: o.Logger, m: o.Metrics, clients: map[string]*client{}, perKey: map[string]int{}, stop: make(chan struct{}),
		refusals: newBucket(10, 100)}
	sub, err := o.Conn.Subscribe(edgesync.MQTTInbound, b.inbound)
	if err != nil {
		return nil, fmt.Errorf("mqtt: subscribe %s: %w", edgesync.MQTTInbound, err)
	}
	if err := sub.SetPendingLimits(inboundPendingMsgs, inboundPendingBytes); err != nil {
		sub.Unsubscribe()
		return nil, fmt.Errorf("mqtt: %w", err)
	}
	if err := o.Conn.Flush(); err != nil {
		sub.Unsubscribe()
		return nil, fmt.Errorf("mqtt: subscribe %s: %w", edgesync.MQTTInbound, err)
	}
	b.sub = sub
	return b, nil
}

// Run drops the clients whose apps left, every mqtt.sweep_interval, until ctx is done or
// Close is called.
func (b *Bridge) Run(ctx context.Context) error {
	t := time.NewTicker(b.o.MQTT.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-b.stop:
			return nil
		case <-t.C:
			b.sweep()
		}
	}
}

// sweep drops clients that have been there a whole sweep and whose app
// no longer subscribes to their out topic (it disconnected, or never
// subscribed).
func (b *Bridge) sweep() {
	cutoff := b.o.Now().Add(-b.o.MQTT.SweepInterval)
	var gone []*client
	b.mu.Lock()
	for _, c := range b.clients {
		if c.created.Before(cutoff) && !b.o.Interest(c.out) {
			gone = append(gone, c)
		}
	}
	b.mu.Unlock()
	for _, c := range gone {
		b.drop(c, "left")
	}
}

// Close drops every client (saving what each app acknowledged) and
// unsubscribes; it waits for the clients' workers until ctx is done.
// It is idempotent.
func (b *Bridge) Close(ctx context.Context) error {
	b.stopOnce.Do(func() { close(b.stop) })
	b.mu.Lock()
	b.closed = true
	all := make([]*client, 0, len(b.clients))
	for _, c := range b.clients {
		all = append(all, c)
	}
	b.mu.Unlock()
	var err error
	if b.sub != nil {
		if uerr := b.sub.Unsubscribe(); uerr != nil && uerr != nats.ErrConnectionClosed && uerr != nats.ErrBadSubscription {
			err = fmt.Errorf("mqtt: unsubscribe: %w", uerr)
		}
	}
	for _, c := range all {
		b.drop(c, "closed")
	}
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("mqtt: close: %w", ctx.Err())
	}
}

// Clients returns the app connections served.
func (b *Bridge) Clients() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.clients)
}

// inbound takes one frame from an app, on the subscription's goroutine:
// it only hands it to the connection's worker. The answers it gives itself
// (caps, a full queue) are budgeted: each costs a stored publish.
func (b *Bridge) inbound(m *nats.Msg) {
	key, conn, ok := parseInbound(m.Subject)
	if !ok {
		return
	}
	c, refusal := b.client(key, conn)
	if c == nil {
		if refusal != "" && b.refusals.allow(b.o.Now()) {
			b.m.Errors.WithLabelValues(codeUnavailable).Inc()
			b.publishAsync(edgesync.MQTTOutSubject(key, conn), errorFrame(codeUnavailable, refusal, ""))
		}
		return
	}
	in := inFrame{data: m.Data}
	if len(m.Data) > b.o.Gateway.MaxFrameBytes {
		in = inFrame{tooLarge: true} // not held: the limit bounds what a client queues
	}
	select {
	case c.in <- in:
	default:
		if !c.overflow.allow(b.o.Now()) {
			return
		}
		b.m.Errors.WithLabelValues(codeRateLimited).Inc()
		c.enqueue(errorFrame(codeRateLimited, "frames arrive faster than the node takes them: slow down", ""))
	}
}

// parseInbound splits edgedesk.mqtt.<key>.<conn>.in.
func parseInbound(subject string) (key, conn string, ok bool) {
	rest, ok := strings.CutPrefix(subject, edgesync.MQTTPrefix)
	if !ok {
		return "", "", false
	}
	rest, ok = strings.CutSuffix(rest, ".in")
	if !ok {
		return "", "", false
	}
	key, conn, ok = strings.Cut(rest, ".")
	if !ok || strings.Contains(conn, ".") || key == "" || !connRE.MatchString(conn) {
		return "", "", false
	}
	return key, conn, true
}

// client returns the client of key.conn, made and started if new and the
// caps allow; otherwise nil and why ("" when the bridge is closed).
func (b *Bridge) client(key, conn string) (*client, string) {
	id := key + "." + conn
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ""
	}
	if c := b.clients[id]; c != nil {
		return c, ""
	}
	if len(b.clients) >= b.o.MQTT.MaxClients {
		return nil, "the node serves as many app connections as it may: retry later"
	}
	if b.perKey[key] >= b.o.MQTT.MaxConnsPerKey {
		return nil, "too many connections for this key: reuse a connection token"
	}
	c := newClient(b, key, conn)
	b.clients[id] = c
	b.perKey[key]++
	b.wg.Add(1)
	go c.run()
	return c, ""
}

// drop forgets c and stops its worker, which then unsubscribes it from its
// session. Safe to call more than once.
func (b *Bridge) drop(c *client, reason string) {
	b.mu.Lock()
	id := c.key + "." + c.conn
	first := b.clients[id] == c
	if first {
		b.m.Dropped.WithLabelValues(reason).Inc()
		delete(b.clients, id)
		if b.perKey[c.key]--; b.perKey[c.key] <= 0 {
			delete(b.perKey, c.key)
		}
	}
	b.mu.Unlock()
	c.stop()
	if first && (reason == "slow" || reason == "publish") {
		// A WebSocket would be closed; an MQTT app learns from this frame
		// that its next frames need a hello, which replays what it missed.
		b.m.Errors.WithLabelValues(gateway.CodeNoSession).Inc()
		b.publishAsync(c.out, errorFrame(gateway.CodeNoSession, "the node dropped this connection ("+reason+"): send hello with last_seq to resume", ""))
	}
}

// publish sends frames to an app at QoS 1 (edgesync.MQTTQoS1Subject), in
// order, and waits until the server has stored them all: they are sent
// without waiting for each one's acknowledgement (the server stores one
// connection's publishes in order), so a batch costs one round trip.
func (b *Bridge) publish(ctx context.Context, out string, frames [][]byte) error {
	acks := make([]jetstream.PubAckFuture, 0, len(frames))
	for _, f := range frames {
		a, err := b.js.PublishMsgAsync(qos1Msg(out, f))
		if err != nil {
			return err
		}
		acks = append(acks, a)
	}
	for _, a := range acks {
		select {
		case <-a.Ok():
			b.m.FramesOut.Inc()
		case err := <-a.Err():
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// publishAsync publishes without waiting: an answer to an app the bridge
// does not serve.
func (b *Bridge) publishAsync(out string, frame []byte) {
	if _, err := b.js.PublishMsgAsync(qos1Msg(out, frame)); err != nil {
		b.log.Debug("mqtt answer not published", "subject", out, "err", err)
	}
}

func qos1Msg(out string, frame []byte) *nats.Msg {
	m := nats.NewMsg(edgesync.MQTTQoS1Subject(out))
	m.Header.Set(edgesync.MQTTQoSHeader, "1")
	m.Data = frame
	return m
}
