package mqtt

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/edgedesk/edgedesk/node/gateway"
	"github.com/edgedesk/edgedesk/node/session"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

const (
	codeUnavailable = gateway.CodeUnavailable
	codeRateLimited = gateway.CodeRateLimited
)

// inQueue bounds the frames a client holds for its worker; past it a
// frame is answered rate_limited.
const inQueue = 8

// maxInflight bounds a client's messages submitted but not yet receipted:
// at the bound its worker waits, and its frames queue up to inQueue.
const maxInflight = 64

// replayPage is how many messages a resume reads from the store at a time
// (as the gateway: one page held at most while the app reads).
const replayPage = 16

// errorBurst and errorRate bound the error frames a client is answered:
// each costs the node a stored publish, so a client sending garbage gets
// errorBurst answers, then one a second; the rest are dropped unanswered.
const (
	errorBurst = 10
	errorRate  = 1.0
)

// inFrame is one frame from the app.
type inFrame struct {
	data     []byte
	tooLarge bool
}

// client is one app connection (a key and a connection token). Its worker
// goroutine owns everything but the fields under mu; the store's committer
// delivers under mu, and a flusher publishes the queue.
type client struct {
	b         *Bridge
	key, conn string
	out       string // the out subject
	id        uint64
	created   time.Time
	in        chan inFrame
	quit      chan struct{}
	quitOnce  sync.Once

	// Set by hello; read by the committer's callbacks after.
	sid           string
	channel       string
	customerID    string
	locale, tz    string
	verifiedEmail bool
	savedAck      uint64
	ackSeq        uint64

	bucket, typing, errs bucket
	inflight             chan struct{}
	// overflow budgets the answers to frames refused because in is full;
	// the bridge's subscription goroutine owns it.
	overflow bucket

	mu        sync.Mutex
	cond      *sync.Cond // signalled when the flusher takes the queue or the client closes
	queue     []outFrame
	gen       uint64     // hello's generation: frames of an older one are not published
	pubMu     sync.Mutex // held while a frame is published
	flushing  bool
	replaying bool
	pending   []*session.Event
	cursor    uint64
	closed    bool
}

func newClient(b *Bridge, key, conn string) *client {
	g := b.o.Gateway
	c := &client{
		b: b, key: key, conn: conn, out: edgesync.MQTTOutSubject(key, conn), id: b.o.Store.NewSubscriberID(),
		created: b.o.Now(), in: make(chan inFrame, inQueue), quit: make(chan struct{}),
		bucket: newBucket(g.RateLimit, g.RateBurst), typing: newBucket(g.TypingRate, g.TypingBurst),
		errs: newBucket(errorRate, errorBurst), overflow: newBucket(errorRate, errorBurst), inflight: make(chan struct{}, maxInflight),
	}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// ID implements session.Subscriber.
func (c *client) ID() uint64 { return c.id }

func (c *client) stop() { c.quitOnce.Do(func() { close(c.quit) }) }

// run is the client's worker: it handles the app's frames in order.
func (c *client) run() {
	defer c.b.wg.Done()
	defer c.finish()
	for {
		select {
		case <-c.quit:
			c.drainAcks()
			return
		case f := <-c.in:
			c.handle(f)
		}
	}
}

// drainAcks applies the acks still queued when the client stops (the app
// acknowledged, then left): finish saves them with the session.
func (c *client) drainAcks() {
	var f gateway.Frame
	for {
		select {
		case in := <-c.in:
			if _, err := gateway.DecodeFrame(in.data, &f); err == nil && f.Type == "ack" {
				c.ackSeq = max(c.ackSeq, f.Seq)
			}
		default:
			return
		}
	}
}

// finish leaves the session and saves what the app acknowledged.
func (c *client) finish() {
	c.leave()
	c.mu.Lock()
	c.closed = true
	c.queue, c.pending = nil, nil
	c.cond.Broadcast()
	c.mu.Unlock()
}

// leave unsubscribes from the session hello opened, if any, and saves the
// app's ack position.
func (c *client) leave() {
	if c.sid == "" {
		return
	}
	c.b.o.Store.Unsubscribe(c.sid, c)
	if c.ackSeq > c.savedAck {
		c.saveState(func(*session.Meta) {})
	}
	c.sid = ""
}

func (c *client) handle(in inFrame) {
	if in.tooLarge {
		c.b.m.FramesIn.WithLabelValues("invalid").Inc()
		c.refuse(&gateway.ProtoError{Code: gateway.CodeTooLarge, Message: "frame over gateway.max_frame_bytes"}, "")
		return
	}
	var f gateway.Frame
	cid, err := gateway.DecodeFrame(in.data, &f)
	if err != nil {
		var pe *gateway.ProtoError
		if !errors.As(err, &pe) {
			pe = &gateway.ProtoError{Code: gateway.CodeBadFrame, Message: err.Error()}
		}
		c.b.m.FramesIn.WithLabelValues("invalid").Inc()
		c.refuse(pe, cid)
		return
	}
	c.b.m.FramesIn.WithLabelValues(f.Type).Inc()
	if f.Type != "hello" && c.sid == "" {
		c.refuse(&gateway.ProtoError{Code: gateway.CodeNoSession, Message: "send hello first"}, cid)
		return
	}
	switch f.Type {
	case "hello":
		c.hello(&f, cid)
	case "msg":
		c.msg(&f, cid)
	case "ack":
		c.ackSeq = max(c.ackSeq, f.Seq)
	case "typing":
		if c.typing.allow(c.b.o.Now()) {
			c.b.o.Store.Signal(c.sid, &session.Event{Kind: session.EventTyping, From: session.FromCustomer, On: f.On}, c.id)
		}
	case "bye":
		c.saveState(func(m *session.Meta) { m.ClosedAt = c.b.o.Now().UTC() })
		c.leave()
	case "contact":
		c.contact(&f, cid)
	case "csat":
		c.csat(&f, cid)
	}
}

// refuse answers a frame with an error frame, within the error budget.
func (c *client) refuse(pe *gateway.ProtoError, cid string) {
	if !c.errs.allow(c.b.o.Now()) {
		return
	}
	c.sendError(pe.Code, pe.Message, cid)
}

func errorFrame(code, msg, cid string) []byte { return gateway.AppendError(nil, code, msg, cid) }

// sendError answers a write the store refused or could not take: outside
// the error budget, since the app waits for what became of its frame.
func (c *client) sendError(code, msg, cid string) {
	c.b.m.Errors.WithLabelValues(code).Inc()
	c.enqueue(errorFrame(code, msg, cid))
}

func (c *client) hello(f *gateway.Frame, cid string) {
	b := c.b
	// A second hello restarts the connection: an app that reconnected
	// resumes before the sweep noticed it had left.
	if c.sid != "" {
		c.leave()
		c.newGeneration()
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.o.Gateway.WriteTimeout)
	defer cancel()
	channel := f.Channel
	if channel == "" {
		channel = "app"
	}
	h := session.Hello{Channel: channel, Customer: f.Customer, Locale: f.Locale, TZ: f.TZ, Session: f.Session}
	c.verifiedEmail = false
	if v := b.o.Verifier; v != nil {
		claims, err := v.Verify(f.Token)
		if err != nil || CustomerKey(claims.Subject) != c.key {
			c.refuse(&gateway.ProtoError{Code: gateway.CodeUnauthorized, Message: "widget token refused (or another customer's than this topic's)"}, cid)
			return
		}
		h.Customer, h.Verified = gateway.TrustedCustomer(claims, h.Customer), true
		c.verifiedEmail = claims.Email != ""
	}
	meta, resumed, err := b.o.Opener.Open(ctx, h)
	switch {
	case errors.Is(err, session.ErrNoSession):
		c.refuse(&gateway.ProtoError{Code: gateway.CodeNoSession, Message: "unknown or expired session; send hello without session to start a new one"}, cid)
		return
	case errors.Is(err, session.ErrNotOwner):
		c.refuse(&gateway.ProtoError{Code: gateway.CodeUnauthorized, Message: "session belongs to another customer"}, cid)
		return
	case err != nil:
		b.log.Error("mqtt hello failed", "err", err)
		c.refuse(&gateway.ProtoError{Code: codeUnavailable, Message: "session store unavailable; retry"}, cid)
		return
	}
	c.sid = meta.ID
	c.channel, c.customerID, c.locale, c.tz = meta.Channel, meta.Customer.ID, meta.Locale, meta.TZ
	c.savedAck, c.ackSeq = meta.AckSeq, meta.AckSeq

	// Subscribe before reading the history so nothing committed in between
	// is missed; deliveries wait in pending until the replay is queued.
	c.mu.Lock()
	c.replaying = true
	c.pending = nil
	c.cursor = 0
	c.mu.Unlock()
	b.o.Store.Subscribe(c.sid, c)

	top := meta.LastSeq
	if cur, err := b.o.Store.Get(c.sid); err == nil && cur.LastSeq > top {
		top = cur.LastSeq
	}
	after := f.LastSeq
	if !resumed {
		after = top
	}
	if !c.enqueueWait(gateway.AppendWelcome(nil, c.sid, top, resumed, b.o.Now(), "")) {
		return
	}
	for after < top {
		page, err := b.o.Store.Messages(c.sid, after, replayPage)
		if err != nil {
			b.log.Error("mqtt replay failed", "session", c.sid, "err", err)
			c.refuse(&gateway.ProtoError{Code: codeUnavailable, Message: "replay failed; send hello again"}, cid)
			c.leave()
			return
		}
		if len(page) == 0 {
			break
		}
		for i := range page {
			after = page[i].Seq
			if !c.enqueueWait(gateway.AppendMsg(nil, &page[i], b.o.Sign)) {
				return
			}
		}
	}
	c.mu.Lock()
	c.cursor = max(top, after)
	c.replaying = false
	held := c.pending
	c.pending = nil
	for _, ev := range held {
		c.deliverLocked(ev)
	}
	c.mu.Unlock()
}

func (c *client) msg(f *gateway.Frame, cid string) {
	if !c.allowWrite(cid) {
		return
	}
	for _, a := range f.Attachments {
		// Uploads are the widget's (welcome.upload over HTTP); an app
		// links files it hosts.
		if !strings.HasPrefix(a.URL, "https://") && !strings.HasPrefix(a.URL, "http://") {
			c.refuse(&gateway.ProtoError{Code: gateway.CodeBadFrame, Message: "attachments over MQTT are http(s) links; uploads to the node are the widget's"}, cid)
			return
		}
	}
	m := session.Message{
		Session: c.sid, From: session.FromCustomer, CID: cid, Channel: c.channel, CustomerID: c.customerID,
		Attachments: f.Attachments, Text: f.Text, Locale: c.locale, TZ: c.tz,
	}
	c.inflight <- struct{}{} // the worker waits at maxInflight
	start := time.Now()
	err := c.b.o.Store.Submit(context.Background(), m, c.id, func(r session.Result) {
		c.b.m.Receipt.Observe(time.Since(start).Seconds())
		if r.Msg.CID == "" {
			r.Msg.CID = cid
		}
		c.result(r)
		<-c.inflight
	})
	if err != nil {
		<-c.inflight
		code, text := codeUnavailable, "message not stored; retry with the same cid"
		if errors.Is(err, session.ErrInvalid) {
			code, text = gateway.CodeBadFrame, "message not stored: "+strings.TrimPrefix(err.Error(), "session: invalid: ")
		}
		c.sendError(code, text, cid)
	}
}

// result runs on the store's committer once a customer message is durable
// (or refused): only then is its receipt queued.
func (c *client) result(r session.Result) {
	switch {
	case r.Err == nil:
		c.enqueue(gateway.AppendReceipt(nil, &r.Msg, c.b.o.Sign))
	case errors.Is(r.Err, session.ErrNoSession):
		c.sendError(gateway.CodeNoSession, "session expired", r.Msg.CID)
	case errors.Is(r.Err, session.ErrSessionFull):
		c.sendError(gateway.CodeSessionFull, "this conversation is full: send hello without session to start a new one", r.Msg.CID)
	default:
		c.sendError(codeUnavailable, "message not stored; retry with the same cid", r.Msg.CID)
	}
}

// allowWrite applies the connection's rate limit to a write (msg,
// contact, csat).
func (c *client) allowWrite(cid string) bool {
	if c.bucket.allow(c.b.o.Now()) {
		return true
	}
	c.refuse(&gateway.ProtoError{Code: codeRateLimited, Message: "slow down"}, cid)
	return false
}

// contact stores the customer's email address; a verified token's wins.
func (c *client) contact(f *gateway.Frame, cid string) {
	if !c.allowWrite(cid) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.b.o.Gateway.WriteTimeout)
	defer cancel()
	email, verified := f.Email, c.verifiedEmail
	_, err := c.b.o.Store.Update(ctx, c.sid, func(m *session.Meta) error {
		if verified && m.Customer.Email != "" {
			return nil
		}
		m.Customer.Email = email
		return nil
	})
	if err != nil {
		c.storeFailed(err, cid)
		return
	}
	c.enqueue(gateway.AppendOK(nil, cid, "contact"))
}

// csat stores the customer's rating of the chat an agent closed last.
func (c *client) csat(f *gateway.Frame, cid string) {
	if !c.allowWrite(cid) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.b.o.Gateway.WriteTimeout)
	defer cancel()
	_, _, err := c.b.o.Store.Rate(ctx, c.sid, session.Rating{Score: f.Score, Comment: f.Comment, CID: cid})
	switch {
	case errors.Is(err, session.ErrNoChat):
		c.refuse(&gateway.ProtoError{Code: gateway.CodeNoChat, Message: "no chat with an agent was closed in this session: nothing to rate"}, cid)
	case errors.Is(err, session.ErrRated):
		c.refuse(&gateway.ProtoError{Code: gateway.CodeAlreadyRated, Message: "the chat is already rated"}, cid)
	case err != nil:
		c.storeFailed(err, cid)
	default:
		c.enqueue(gateway.AppendOK(nil, cid, "csat"))
	}
}

func (c *client) storeFailed(err error, cid string) {
	switch {
	case errors.Is(err, session.ErrInvalid):
		c.refuse(&gateway.ProtoError{Code: gateway.CodeBadFrame, Message: err.Error()}, cid)
	case errors.Is(err, session.ErrNoSession):
		c.refuse(&gateway.ProtoError{Code: gateway.CodeNoSession, Message: "session expired"}, cid)
	default:
		c.b.log.Warn("mqtt contact or rating not stored", "session", c.sid, "err", err)
		c.sendError(codeUnavailable, "not stored; retry", cid)
	}
}

// saveState persists the app's ack position with fn's changes.
func (c *client) saveState(fn func(*session.Meta)) {
	ctx, cancel := context.WithTimeout(context.Background(), c.b.o.Gateway.WriteTimeout)
	defer cancel()
	ack := c.ackSeq
	if _, err := c.b.o.Store.Update(ctx, c.sid, func(m *session.Meta) error {
		if ack > m.AckSeq && ack <= m.LastSeq {
			m.AckSeq = ack
		}
		fn(m)
		return nil
	}); err != nil {
		c.b.log.Debug("mqtt session state not saved", "session", c.sid, "err", err)
	} else {
		c.savedAck = max(c.savedAck, ack)
	}
}
