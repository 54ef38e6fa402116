package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/internal/ratelimit"
	"github.com/edgedesk/edgedesk/node/session"
)

// maxInflight bounds a connection's messages submitted but not yet
// receipted. At the bound the reader stops reading, so a fast sender is
// slowed by TCP flow control instead of growing queues in the node, and the
// send queue never has to hold more receipts than this.
const maxInflight = 64

// maxConsecutiveErrors closes a connection (1008) that keeps sending frames
// the node refuses.
const maxConsecutiveErrors = 10

// replayPage is how many messages a resume reads from the store at a time.
// A connection holds at most one page while its writes wait on a slow
// reader (at most 16 of 8 KiB texts, about 150 KiB), however long the
// history: reading it whole cost a resumer of a 4 MB session 7 to 11 MB.
const replayPage = 16

// closeFlushTime bounds how long a closing connection spends writing the
// frames queued before its close frame.
const closeFlushTime = time.Second

var readBufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

var framePool = sync.Pool{New: func() any { return new(frame) }}

var frameBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// conn is one widget connection. The reader owns everything but the
// fields under mu (the reader: the goroutine in serve, or the goroutine it
// handed the current frame to, one at a time); writes happen under wmu,
// from the reader (replay, close) or from the flusher, a job on a worker
// or a short-lived goroutine.
type conn struct {
	g   *Gateway
	ws  *websocket.Conn
	raw net.Conn // the TCP conn: fasthttp's hijacked wrapper ignores Close
	id  uint64
	// hints from the upgrade's trusted headers, until hello.
	hints hints

	// Set by hello, read-only afterwards (read by the committer's callbacks).
	// Only what each message is normalised with is kept, not the whole Meta:
	// tens of thousands of idle sessions make every byte count.
	sid        string
	channel    string
	customerID string
	locale, tz string
	savedAck   uint64 // AckSeq as stored
	helloed    bool
	// verifiedEmail: the widget token carries an email claim, which wins
	// over an address sent in a contact frame.
	verifiedEmail bool
	onResult      func(session.Result)
	// verified: hello carried a valid widget token. contactSet: this
	// connection stored the session's contact address, so it may correct
	// it (see contact).
	verified, contactSet bool

	bucket   ratelimit.Bucket
	typing   ratelimit.Bucket
	sbucket  *sessionBucket // the session's, shared with its other connections; set by hello
	inflight chan struct{}  // semaphore of maxInflight, made at hello
	errRun   int            // consecutive refused frames
	ackSeq   uint64         // highest seq the widget acknowledged

	// life guards the socket: every use of ws outside the reader holds it
	// for reading and checks dead. finish takes it for writing before the
	// handler returns, because fasthttp then recycles the hijacked conn.
	life sync.RWMutex
	dead bool
	wmu  sync.Mutex // serialises every write to the socket (coalesce.go)
	// closeSent: a close frame went out, no data frame may follow;
	// guarded by wmu.
	closeSent bool

	mu        sync.Mutex
	queue     []*[]byte
	flushing  bool
	replaying bool
	pending   []*session.Event // deliveries held back during replay
	cursor    uint64           // highest message seq delivered
	closed    bool
	// closeMsg is the close frame closeWith leaves to the flusher, to be
	// written after the frames queued before it; flushed is closed when
	// the flusher is done with it.
	closeMsg []byte
	flushed  chan struct{}
	closeBy  atomic.Int64 // unix ns: the write deadline of a closing connection

	lastRead atomic.Int64 // unix ns of the last frame or pong read; the pinger's clock
}

func newConn(g *Gateway, ws *websocket.Conn) *conn {
	c := &conn{g: g, ws: ws, raw: ws.NetConn(), id: g.store.NewSubscriberID()}
	if u, ok := c.raw.(interface{ UnsafeConn() net.Conn }); ok {
		c.raw = u.UnsafeConn()
	}
	c.onResult = c.result
	c.bucket = ratelimit.New(g.cfg.RateLimit, g.cfg.RateBurst)
	c.typing = ratelimit.New(g.cfg.TypingRate, g.cfg.TypingBurst)
	return c
}

// ID implements session.Subscriber.
func (c *conn) ID() uint64 { return c.id }

// serve runs the connection until it closes.
func (c *conn) serve() {
	g := c.g
	c.ws.SetReadLimit(int64(g.cfg.MaxFrameBytes))
	c.ws.SetReadDeadline(g.now().Add(g.cfg.HelloTimeout))
	c.ws.SetPongHandler(func(string) error { c.extendRead(); return nil })
	c.ws.SetPingHandler(func(data string) error {
		c.extendRead()
		err := c.writeControl(websocket.PongMessage, []byte(data), g.now().Add(g.cfg.WriteTimeout))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil
		}
		return err
	})
	// The library's close handler, but writing its reply under wmu:
	// best effort, as the library's (the reader gets the CloseError).
	c.ws.SetCloseHandler(func(code int, _ string) error {
		_ = c.writeControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), g.now().Add(time.Second))
		return nil
	})
	c.lastRead.Store(g.now().UnixNano())
	defer c.finish()

	// On TLS the reader reads each frame itself and hands it to a worker.
	// On a plain socket it waits for the socket in waitReadable and hands
	// reading and handling both over: a goroutine that never runs the read
	// path keeps the smallest stack (idlewait.go).
	rc := rawConn(c.raw)
	for {
		var keep bool
		var err error
		if rc == nil {
			keep, err = c.next(true)
		} else {
			var hd head
			if p, buffered := readBuffered(c.ws); buffered {
				hd.ready = dataFrameReady(p, len(p))
			} else {
				hd, err = waitReadable(rc)
			}
			if err == nil {
				keep, err = c.nextOffStack(rc, hd)
			}
		}
		if err != nil {
			c.readFailed(err)
			return
		}
		if !keep {
			return
		}
	}
}

// next reads the next frame and handles it, on a worker when offStack:
// keep says whether to go on reading, err is the read's failure (for
// readFailed).
func (c *conn) next(offStack bool) (keep bool, err error) {
	g := c.g
	typ, r, err := c.ws.NextReader()
	if err != nil {
		return false, err
	}
	buf := readBufPool.Get().(*bytes.Buffer)
	buf.Reset()
	if _, err = buf.ReadFrom(r); err != nil {
		readBufPool.Put(buf)
		return false, err
	}
	g.m.BytesIn.Add(float64(buf.Len()))
	if c.helloed {
		c.extendRead()
	}
	// Frames are handled on another goroutine than the reader's:
	// decoding and store calls grow a stack to 8 KiB, and a reader's
	// grown stack would stay that size for as long as its session
	// idles (measured: -8 KiB per idle session; docs/LOAD.md). The other
	// goroutine is one of the gateway's long-lived workers, whose stacks
	// are already grown, or a new one when all are busy.
	switch {
	case typ != websocket.TextMessage:
		keep = c.refuse(badFrame("binary frames are not supported; send JSON text"), "")
	case offStack:
		keep = c.handleOffStack(buf.Bytes())
	default:
		f := framePool.Get().(*frame)
		keep = c.handle(buf.Bytes(), f)
		*f = frame{} // drop the strings
		framePool.Put(f)
	}
	if buf.Cap() <= 64<<10 {
		readBufPool.Put(buf)
	}
	return keep, nil
}

func (c *conn) extendRead() {
	now := c.g.now()
	c.lastRead.Store(now.UnixNano())
	c.ws.SetReadDeadline(now.Add(c.g.cfg.IdleTimeout))
}

// readFailed decides how a failed read ends the connection.
func (c *conn) readFailed(err error) {
	var ne net.Error
	switch {
	case errors.Is(err, websocket.ErrReadLimit):
		// fasthttp/websocket already sent close 1009.
		c.g.m.closed(strconv.Itoa(CloseTooLarge))
		c.markClosed()
	case errors.As(err, &ne) && ne.Timeout():
		if !c.helloed {
			c.sendNow(appendError(nil, CodeHelloTimeout, "no hello within "+c.g.cfg.HelloTimeout.String(), ""))
			c.g.m.errorSent(CodeHelloTimeout)
			c.closeWith(ClosePolicy, "hello timeout")
		} else {
			c.closeWith(ClosePolicy, "idle timeout")
		}
	default:
		c.markClosed() // the peer closed or the network failed
	}
}

// handoff carries work from the reader to the goroutine that does it, and
// the answer back: one frame to handle, or (read) the next frame to read
// and handle, or (pongs) pongs to take.
type handoff struct {
	c     *conn
	read  bool
	rc    syscall.RawConn
	pongs int
	data  []byte
	keep  bool
	err   error // the read's
	done  chan struct{}
}

var handoffPool = sync.Pool{New: func() any { return &handoff{done: make(chan struct{}, 1)} }}

func (h *handoff) run() {
	switch {
	case h.pongs > 0:
		h.keep, h.err = true, h.c.takePongs(h.rc, h.pongs)
	case h.read:
		h.keep, h.err = h.c.next(false)
	default:
		f := framePool.Get().(*frame)
		h.keep = h.c.handle(h.data, f)
		*f = frame{} // drop the strings
		framePool.Put(f)
	}
	h.done <- struct{}{}
}

// nextOffStack runs next, or takePongs when hd has pongs, on another
// goroutine and waits for it: on a worker (or a new goroutine when all are
// busy) when it will not wait for the client, else on a goroutine of its
// own, so that a client sending a frame slowly, or a ping (after which
// NextReader waits for the next message), holds no worker.
func (c *conn) nextOffStack(rc syscall.RawConn, hd head) (keep bool, err error) {
	h := handoffPool.Get().(*handoff)
	h.c, h.read, h.rc, h.pongs = c, true, rc, hd.pongs
	if hd.pongs > 0 || hd.ready {
		c.g.dispatch(job{h: h})
	} else {
		go h.run()
	}
	<-h.done
	keep, err = h.keep, h.err
	h.c, h.read, h.rc, h.pongs, h.err = nil, false, nil, 0, nil
	handoffPool.Put(h)
	return keep, err
}

// takePongs takes n bytes of whole pong frames (leadingPongs) from the
// socket and refreshes the idle deadline, as the pong handler would.
func (c *conn) takePongs(rc syscall.RawConn, n int) error {
	if err := discard(rc, n); err != nil {
		return err
	}
	c.extendRead()
	return nil
}

// handleOffStack runs handle on a worker (or a new goroutine) and waits for
// it.
func (c *conn) handleOffStack(data []byte) bool {
	h := handoffPool.Get().(*handoff)
	h.c, h.data = c, data
	c.g.dispatch(job{h: h})
	<-h.done
	keep := h.keep
	h.c, h.data = nil, nil
	handoffPool.Put(h)
	return keep
}

// handle processes one text frame and reports whether to keep reading.
func (c *conn) handle(data []byte, f *frame) bool {
	cid, err := decodeFrame(data, f)
	if err != nil {
		var pe *protoError
		errors.As(err, &pe)
		if pe.Message == "invalid UTF-8" {
			c.closeWith(CloseInvalidUTF8, "invalid UTF-8")
			return false
		}
		if c.helloed && f.Type == "hello" && err != errNotJSON {
			// Once the session is open a hello is a protocol error,
			// whatever its version or fields say.
			pe = badFrame("hello already received")
			if session.ValidCID(f.CID) {
				cid = f.CID
			}
		}
		c.g.m.frameIn("invalid")
		return c.refuse(pe, cid)
	}
	c.g.m.frameIn(f.Type)
	if f.Type != "hello" && !c.helloed {
		return c.refuse(&protoError{Code: CodeNoSession, Message: "send hello first"}, cid)
	}
	switch f.Type {
	case "hello":
		if c.helloed {
			return c.refuse(badFrame("hello already received"), cid)
		}
		return c.hello(f, cid)
	case "msg":
		return c.msg(f, cid)
	case "ack":
		if f.Seq > c.ackSeq {
			c.ackSeq = f.Seq
		}
	case "typing":
		// Typing fans out to every agent watching the session: past its
		// rate it is dropped, unanswered (an error frame per dropped
		// typing would cost the node more than the frame).
		if !c.typing.Allow(c.g.now()) {
			c.g.m.TypingDropped.Inc()
			return true
		}
		c.g.store.Signal(c.sid, &session.Event{Kind: session.EventTyping, From: session.FromCustomer, On: f.On}, c.id)
	case "bye":
		c.saveState(func(m *session.Meta) { m.ClosedAt = c.g.now().UTC() })
		c.closeAfterReceipts(CloseNormal, "bye")
		return false
	case "contact":
		return c.contact(f, cid)
	case "csat":
		return c.csat(f, cid)
	}
	c.errRun = 0
	return true
}

// refuse sends an error frame; past maxConsecutiveErrors it closes with 1008.
func (c *conn) refuse(pe *protoError, cid string) bool {
	c.g.m.errorSent(pe.Code)
	c.errRun++
	b := frameBuf()
	*b = appendError(*b, pe.Code, pe.Message, cid)
	c.enqueue(b)
	if c.errRun >= maxConsecutiveErrors {
		c.closeAfterReceipts(ClosePolicy, "too many refused frames")
		return false
	}
	return true
}

func (c *conn) hello(f *frame, cid string) bool {
	g := c.g
	ctx, cancel := context.WithTimeout(context.Background(), g.cfg.WriteTimeout)
	defer cancel()
	h := session.Hello{Channel: f.Channel, Customer: f.Customer, Locale: f.Locale, TZ: f.TZ, Session: f.Session}
	if g.verifier != nil {
		claims, err := g.verifier.Verify(f.Token)
		if err != nil {
			c.g.m.errorSent(CodeUnauthorized)
			c.sendNow(appendError(nil, CodeUnauthorized, "widget token refused", cid))
			c.closeWith(ClosePolicy, "unauthorized")
			return false
		}
		h.Customer, h.Verified = trustedCustomer(claims, h.Customer), true
		for kind, value := range claims.Links { // channels.go: one customer across channels
			h.Identities = append(h.Identities, session.Identity{Kind: kind, Value: value})
		}
		c.verifiedEmail = claims.Email != ""
		c.verified = true
	}
	// What hello leaves out, the trusted edge headers may fill in.
	if h.Locale == "" {
		h.Locale = c.hints.locale
	}
	if h.TZ == "" {
		h.TZ = c.hints.tz
	}
	c.hints = hints{}
	meta, resumed, err := g.opener.Open(ctx, h)
	switch {
	case errors.Is(err, session.ErrNoSession):
		return c.refuse(&protoError{Code: CodeNoSession, Message: "unknown or expired session; send hello without session to start a new one"}, cid)
	case errors.Is(err, session.ErrNotOwner):
		c.g.m.errorSent(CodeUnauthorized)
		c.sendNow(appendError(nil, CodeUnauthorized, "session belongs to another customer", cid))
		c.closeWith(ClosePolicy, "unauthorized")
		return false
	case err != nil:
		g.log.Error("hello failed", "err", err)
		return c.refuse(&protoError{Code: CodeUnavailable, Message: "session store unavailable; retry"}, cid)
	}
	c.sid, c.helloed = meta.ID, true
	c.channel, c.customerID, c.locale, c.tz = meta.Channel, meta.Customer.ID, meta.Locale, meta.TZ
	c.savedAck = meta.AckSeq
	c.sbucket = g.sessions.acquire(c.sid)
	c.inflight = make(chan struct{}, maxInflight)
	c.ackSeq = meta.AckSeq
	c.errRun = 0
	c.extendRead()

	// Subscribe before reading history so nothing committed in between is
	// missed; deliveries wait in pending until the replay is written.
	c.mu.Lock()
	c.replaying = true
	c.mu.Unlock()
	g.store.Subscribe(c.sid, c)

	// The history is replayed in pages up to the last seq as it stands
	// now that the connection is subscribed; anything newer arrives as a
	// delivery.
	top := meta.LastSeq
	if cur, err := g.store.Get(c.sid); err == nil && cur.LastSeq > top {
		top = cur.LastSeq
	}
	after := f.LastSeq
	if !resumed {
		after = top
	}
	b := frameBuf()
	defer releaseFrame(b)
	upload := ""
	if g.files != nil {
		upload = g.files.UploadToken(c.sid)
	}
	*b = appendWelcome((*b)[:0], c.sid, top, resumed, g.now(), upload)
	if !c.sendNow(*b) {
		return false
	}
	for after < top {
		page, err := g.store.Messages(c.sid, after, replayPage)
		if err != nil {
			g.log.Error("replay failed", "session", c.sid, "err", err)
			c.closeWith(CloseInternalErr, "replay failed")
			return false
		}
		if len(page) == 0 {
			break
		}
		for i := range page {
			*b = appendMsgSigned((*b)[:0], &page[i], g.sign)
			from := page[i].From
			after = page[i].Seq
			page[i] = session.Message{} // what was written is not held while the next write waits
			if !c.sendNow(*b) {
				return false
			}
			g.m.msgOut(string(from))
		}
	}
	top = max(top, after)
	c.mu.Lock()
	c.cursor = top
	c.replaying = false
	held := c.pending
	c.pending = nil
	for _, ev := range held {
		c.deliverLocked(ev)
	}
	c.mu.Unlock()
	return true
}

// trustedCustomer overrides what the widget declared with the verified
// token's claims.
func trustedCustomer(cl *auth.Claims, declared session.Customer) session.Customer {
	c := declared
	c.ID = cl.Subject
	if cl.Name != "" {
		c.Name = cl.Name
	}
	if cl.Email != "" {
		c.Email = cl.Email
	}
	c.Tier = cl.Tier // a tier is a privilege: only a token grants it
	return c
}

func (c *conn) msg(f *frame, cid string) bool {
	if refused, keep := c.limited(cid); refused {
		return keep
	}
	for i, a := range f.Attachments {
		stored, ok := a.URL, !strings.HasPrefix(a.URL, "/")
		if c.g.files != nil {
			stored, ok = c.g.files.Own(c.sid, a.URL)
		}
		if !ok {
			return c.refuse(badFrame("attachment is not a file of this session: upload it with welcome.upload first"), cid)
		}
		f.Attachments[i].URL = stored
		if strings.HasPrefix(stored, "/") { // a file on this node: as it was stored
			if keep, ok := c.stat(&f.Attachments[i], cid); !ok {
				return keep
			}
		}
	}
	c.errRun = 0
	m := session.Message{
		Session:     c.sid,
		From:        session.FromCustomer,
		CID:         cid,
		Channel:     c.channel,
		CustomerID:  c.customerID,
		Attachments: f.Attachments,
		Text:        f.Text,
		Locale:      c.locale,
		TZ:          c.tz,
	}
	c.inflight <- struct{}{} // blocks the reader at maxInflight
	p := pendingPool.Get().(*pendingMsg)
	p.c, p.cid, p.start = c, cid, time.Now()
	err := c.g.store.Submit(context.Background(), m, c.id, p.done)
	if err != nil {
		p.release()
		<-c.inflight
		code, text := CodeUnavailable, "message not stored; retry with the same cid"
		if errors.Is(err, session.ErrInvalid) {
			code, text = CodeBadFrame, "message not stored: "+strings.TrimPrefix(err.Error(), "session: invalid: ")
		}
		c.g.m.errorSent(code)
		b := frameBuf()
		*b = appendError(*b, code, text, cid)
		c.enqueue(b)
	}
	return true
}

// stat replaces what the widget declared of a file on this node (type,
// name, size) with what the node stored. When the file is missing or the
// store cannot say, it answers the msg with an error frame: ok false, and
// keep says whether to go on reading.
func (c *conn) stat(a *session.Attachment, cid string) (keep, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), c.g.cfg.WriteTimeout)
	defer cancel()
	st, err := c.g.files.Stat(ctx, a.URL)
	switch {
	case errors.Is(err, ErrNoFile):
		return c.refuse(badFrame("attachment is not on this node (expired, or never uploaded): upload it again"), cid), false
	case err != nil:
		c.g.log.Warn("attachment lookup failed", "session", c.sid, "err", err)
		c.g.m.errorSent(CodeUnavailable)
		b := frameBuf()
		*b = appendError(*b, CodeUnavailable, "message not stored; retry with the same cid", cid)
		c.enqueue(b)
		return true, false
	}
	st.URL = a.URL
	*a = st
	return true, true
}

// limited applies the connection's and the session's rate limits to a
// write (msg, contact, csat); refused says it was refused, and keep
// whether to go on reading.
func (c *conn) limited(cid string) (refused, keep bool) {
	now := c.g.now()
	if c.bucket.Allow(now) && c.g.sessions.allow(c.sbucket, now) {
		return false, true
	}
	if c.errRun >= 2*c.bucket.Burst()+maxConsecutiveErrors {
		c.closeAfterReceipts(ClosePolicy, "rate limit exceeded")
		return true, false
	}
	c.errRun++
	c.g.m.errorSent(CodeRateLimited)
	b := frameBuf()
	*b = appendError(*b, CodeRateLimited, "slow down", cid)
	c.enqueue(b)
	return true, true
}

// contact stores the customer's email address with the session
// (meta.customer.email), then answers ok. A verified token's email wins:
// the session keeps it, and the frame is answered ok all the same.
//
// On an anonymous connection the session id is the only proof of who is
// writing, and anyone who learned it could otherwise redirect the answers
// meant for the customer's mailbox: such a connection may set the address
// when the session has none, and correct the one it set itself, but not
// replace an address stored before (errContactLocked, unauthorized).
func (c *conn) contact(f *frame, cid string) bool {
	if refused, keep := c.limited(cid); refused {
		return keep
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.g.cfg.WriteTimeout)
	defer cancel()
	email, verified := f.Email, c.verifiedEmail
	owner := c.verified || c.contactSet
	wrote := false
	_, err := c.g.store.Update(ctx, c.sid, func(m *session.Meta) error {
		wrote = false
		if verified && m.Customer.Email != "" {
			return nil
		}
		if !owner && m.Customer.Email != "" {
			if m.Customer.Email != email {
				return errContactLocked
			}
			return nil // the stored address again: fine, and proves nothing
		}
		m.Customer.Email, wrote = email, true
		return nil
	})
	if errors.Is(err, errContactLocked) {
		return c.refuse(&protoError{Code: CodeUnauthorized, Message: "the session already has a contact address; only the connection that left it, or a signed-in customer, may change it"}, cid)
	}
	if err != nil {
		return c.storeFailed(err, cid)
	}
	if wrote {
		// Only a connection that left the address may correct it: sending
		// the stored one again makes nobody its owner.
		c.contactSet = true
	}
	c.ok(cid, "contact")
	return true
}

// csat stores the customer's rating of the chat an agent closed last (a
// durable session event, synced to the core), then answers ok.
func (c *conn) csat(f *frame, cid string) bool {
	if refused, keep := c.limited(cid); refused {
		return keep
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.g.cfg.WriteTimeout)
	defer cancel()
	_, _, err := c.g.store.Rate(ctx, c.sid, session.Rating{Score: f.Score, Comment: f.Comment, CID: cid})
	switch {
	case errors.Is(err, session.ErrNoChat):
		return c.refuse(&protoError{Code: CodeNoChat, Message: "no chat with an agent was closed in this session: nothing to rate"}, cid)
	case errors.Is(err, session.ErrRated):
		return c.refuse(&protoError{Code: CodeAlreadyRated, Message: "the chat is already rated"}, cid)
	case err != nil:
		return c.storeFailed(err, cid)
	}
	c.ok(cid, "csat")
	return true
}

// storeFailed answers a contact or csat the store refused or could not
// store.
func (c *conn) storeFailed(err error, cid string) bool {
	switch {
	case errors.Is(err, session.ErrInvalid):
		return c.refuse(badFrame(err.Error()), cid)
	case errors.Is(err, session.ErrNoSession):
		return c.refuse(&protoError{Code: CodeNoSession, Message: "session expired"}, cid)
	}
	c.g.log.Warn("contact or rating not stored", "session", c.sid, "err", err)
	c.g.m.errorSent(CodeUnavailable)
	b := frameBuf()
	*b = appendError(*b, CodeUnavailable, "not stored; retry", cid)
	c.enqueue(b)
	return true
}

func (c *conn) ok(cid, forType string) {
	c.errRun = 0
	b := frameBuf()
	*b = appendOK(*b, cid, forType)
	c.enqueue(b)
}

// pendingMsg is a customer message submitted to the store. Its done, bound
// once when the pool makes it, is the Submit callback: a closure per
// message would cost an allocation.
type pendingMsg struct {
	c     *conn
	cid   string // the msg's: a failed commit's Result may not carry it
	start time.Time
	done  func(session.Result)
}

var pendingPool sync.Pool

func init() {
	pendingPool.New = func() any {
		p := new(pendingMsg)
		p.done = p.result
		return p
	}
}

func (p *pendingMsg) result(r session.Result) {
	c := p.c
	c.g.m.Receipt.Observe(time.Since(p.start).Seconds())
	if r.Msg.CID == "" {
		r.Msg.CID = p.cid
	}
	p.release() // the store calls done once
	c.onResult(r)
	<-c.inflight
}

func (p *pendingMsg) release() {
	p.c, p.cid = nil, ""
	pendingPool.Put(p)
}

// result runs on the store's committer once a customer message is durable
// (or refused): it queues the receipt or the error.
func (c *conn) result(r session.Result) {
	switch {
	case r.Err == nil:
		if !r.Duplicate {
			c.g.m.MessagesIn.Inc()
		}
		b := frameBuf()
		*b = appendReceipt(*b, &r.Msg, c.g.sign)
		c.enqueue(b)
	case errors.Is(r.Err, session.ErrNoSession):
		c.g.m.errorSent(CodeNoSession)
		b := frameBuf()
		*b = appendError(*b, CodeNoSession, "session expired", r.Msg.CID)
		c.enqueue(b)
	case errors.Is(r.Err, session.ErrSessionFull):
		c.g.m.errorSent(CodeSessionFull)
		b := frameBuf()
		*b = appendError(*b, CodeSessionFull, "this conversation is full: send hello without session to start a new one", r.Msg.CID)
		c.enqueue(b)
	default:
		c.g.m.errorSent(CodeUnavailable)
		b := frameBuf()
		*b = appendError(*b, CodeUnavailable, "message not stored; retry with the same cid", r.Msg.CID)
		c.enqueue(b)
	}
}

// Deliver implements session.Subscriber: called on the committer in seq
// order for messages, and for transient signals.
func (c *conn) Deliver(ev *session.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if c.replaying {
		if len(c.pending) >= c.g.cfg.SendQueue {
			go c.closeWith(ClosePolicy, "too slow")
			return
		}
		c.pending = append(c.pending, ev)
		return
	}
	c.deliverLocked(ev)
}

func (c *conn) deliverLocked(ev *session.Event) {
	switch ev.Kind {
	case session.EventMessage:
		if ev.Msg.Seq <= c.cursor {
			return // already replayed
		}
		c.cursor = ev.Msg.Seq
		c.g.m.msgOut(string(ev.Msg.From))
		b := frameBuf()
		*b = appendMsgSigned(*b, ev.Msg, c.g.sign)
		c.enqueueLocked(b)
	case session.EventTyping:
		b := frameBuf()
		*b = appendTyping(*b, ev.From, ev.On)
		c.enqueueLocked(b)
	case session.EventQueue:
		b := frameBuf()
		*b = appendQueue(*b, ev.Position, ev.ETASec, ev.Group)
		c.enqueueLocked(b)
	}
}

// frameBuf returns an empty pooled frame buffer; enqueue or releaseFrame
// gives it back.
func frameBuf() *[]byte {
	b := frameBufPool.Get().(*[]byte)
	*b = (*b)[:0]
	return b
}

func releaseFrame(b *[]byte) {
	if cap(*b) <= 16<<10 {
		frameBufPool.Put(b)
	}
}

func (c *conn) enqueue(frame *[]byte) {
	c.mu.Lock()
	c.enqueueLocked(frame)
	c.mu.Unlock()
}

// enqueueLocked queues a frame and starts a flusher if none runs. A
// connection whose queue is full is too slow to keep: it is closed (the
// widget resumes and gets everything from the store).
func (c *conn) enqueueLocked(frame *[]byte) {
	if c.closed {
		releaseFrame(frame)
		return
	}
	if len(c.queue) >= c.g.cfg.SendQueue {
		releaseFrame(frame)
		go c.closeWith(ClosePolicy, "too slow")
		return
	}
	c.queue = append(c.queue, frame)
	if !c.flushing {
		c.flushing = true
		c.g.dispatch(job{c: c})
	}
}

func (c *conn) flush() {
	for {
		c.mu.Lock()
		q := c.queue
		c.queue = nil
		if len(q) == 0 {
			c.flushing = false
			closeMsg, done := c.closeMsg, c.flushed
			c.closeMsg, c.flushed = nil, nil
			c.mu.Unlock()
			if done != nil {
				c.writeClose(closeMsg)
				close(done)
			}
			return
		}
		c.mu.Unlock()
		sent := c.sendAll(q)
		for _, f := range q {
			releaseFrame(f)
		}
		if sent < len(q) {
			c.mu.Lock()
			c.flushing = false
			done := c.flushed
			c.closeMsg, c.flushed = nil, nil
			c.mu.Unlock()
			if done != nil {
				close(done)
			}
			return
		}
	}
}

// sendNow writes one frame synchronously; false means the connection broke.
func (c *conn) sendNow(frame []byte) bool {
	c.life.RLock()
	defer c.life.RUnlock()
	if c.dead {
		return false
	}
	c.wmu.Lock()
	deadline := c.g.now().Add(c.g.cfg.WriteTimeout)
	if by := c.closeBy.Load(); by != 0 && by < deadline.UnixNano() {
		deadline = time.Unix(0, by)
	}
	c.ws.SetWriteDeadline(deadline)
	err := c.ws.WriteMessage(websocket.TextMessage, frame)
	c.wmu.Unlock()
	if err != nil {
		c.markClosed()
		c.raw.Close() // unblock the reader
		return false
	}
	c.g.m.BytesOut.Add(float64(len(frame)))
	return true
}

// ping asks the widget for a pong, which refreshes the idle deadline.
func (c *conn) ping() {
	c.lastRead.Store(c.g.now().UnixNano()) // next ping one interval from now
	c.life.RLock()
	defer c.life.RUnlock()
	if c.dead {
		return
	}
	if err := c.writeControl(websocket.PingMessage, nil, c.g.now().Add(c.g.cfg.WriteTimeout)); err != nil && !errors.Is(err, io.EOF) {
		c.raw.Close()
	}
}

// closeWith writes the frames already queued (error frames, receipts),
// then a close frame with code and reason, and closes the socket: a
// widget learns what became of every frame it sent before the close. It
// returns once that is done, within closeFlushTime. Safe to call more
// than once and from any goroutine.
func (c *conn) closeWith(code int, reason string) {
	if len(reason) > closeReasonMaxLen {
		reason = reason[:closeReasonMaxLen]
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.pending = nil
	by := c.g.now().Add(closeFlushTime)
	c.closeBy.Store(by.UnixNano())
	c.closeMsg = websocket.FormatCloseMessage(code, reason)
	done := make(chan struct{})
	c.flushed = done
	run := !c.flushing
	c.flushing = true
	c.mu.Unlock()
	c.g.m.closed(strconv.Itoa(code))
	if run {
		c.flush()
	} else {
		// A flusher is writing: cut its current write short at the
		// close's deadline.
		c.life.RLock()
		if !c.dead {
			c.raw.SetWriteDeadline(by)
		}
		c.life.RUnlock()
	}
	<-done
}

// closeAfterReceipts is closeWith for the reader (the only goroutine that
// submits messages): it first waits, within closeFlushTime, until every
// message submitted has its receipt or error queued, so that a bye right
// after a msg does not lose the msg's receipt.
func (c *conn) closeAfterReceipts(code int, reason string) {
	if c.inflight != nil {
		t := time.NewTimer(closeFlushTime)
		defer t.Stop()
	wait:
		for range cap(c.inflight) {
			select {
			case c.inflight <- struct{}{}: // a slot, freed once its receipt is queued
			case <-t.C:
				break wait
			}
		}
	}
	c.closeWith(code, reason)
}

// writeClose writes the close frame and closes the socket.
func (c *conn) writeClose(msg []byte) {
	c.life.RLock()
	defer c.life.RUnlock()
	if c.dead {
		return
	}
	deadline := time.Unix(0, c.closeBy.Load())
	if now := c.g.now(); deadline.Before(now.Add(100 * time.Millisecond)) {
		deadline = now.Add(100 * time.Millisecond) // the close frame gets its chance
	}
	c.writeControl(websocket.CloseMessage, msg, deadline)
	c.raw.Close()
}

// markClosed flags the connection closed; it reports whether this call did.
func (c *conn) markClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.closed = true
	for _, f := range c.queue {
		releaseFrame(f)
	}
	c.queue, c.pending = nil, nil
	return true
}

// finish runs when the reader exits.
func (c *conn) finish() {
	c.markClosed()
	c.life.Lock()
	c.dead = true
	c.raw.Close()
	c.life.Unlock()
	if c.sid == "" {
		return
	}
	c.g.store.Unsubscribe(c.sid, c)
	c.g.sessions.release(c.sid, c.sbucket)
	if c.ackSeq > c.savedAck {
		c.saveState(func(*session.Meta) {})
	}
}

// saveState persists the widget's ack position with fn's changes.
func (c *conn) saveState(fn func(*session.Meta)) {
	ctx, cancel := context.WithTimeout(context.Background(), c.g.cfg.WriteTimeout)
	defer cancel()
	ack := c.ackSeq
	c.g.store.Update(ctx, c.sid, func(m *session.Meta) error {
		if ack > m.AckSeq && ack <= m.LastSeq {
			m.AckSeq = ack
		}
		fn(m)
		return nil
	})
}
