package gateway

import (
	"context"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/session"
)

// Options configures a Gateway.
type Options struct {
	Config config.Gateway
	// Verifier checks widget tokens; nil accepts anonymous widgets.
	Verifier *auth.Verifier
	Store    *session.Store
	Logger   *slog.Logger
	Metrics  *Metrics
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Trust says which request headers may fill in a customer's locale and
	// time zone when hello lacks them.
	Trust Trust
	// Files, if set, takes customers' uploads: welcome carries an upload
	// token, an attachment that is a file on this node must be one of the
	// session's own and is stored as the node recorded it (type, name,
	// size), and every msg frame carries freshly signed links to the
	// node's files. Without it only http(s) attachment URLs are taken.
	Files Files
	// Opener opens and resumes sessions (default: one on Store that
	// knows only this node's sessions). The node shares one with every
	// channel.
	Opener *session.Opener
	// KeepHijacked says the fasthttp.Server serving ServeWS keeps
	// hijacked connections open after their handler returns
	// (KeepHijackedConns). The gateway then runs each connection on a
	// goroutine of its own and returns the handler at once, so fasthttp
	// frees the upgrade request's context (its RequestCtx and header
	// buffers, about 2 KiB) instead of holding it for the connection's
	// life. Without it the handler must live as long as the connection,
	// and so it does for a client that sent bytes before the 101, which
	// fasthttp hands over in a buffer that reads through that context
	// (readsRequestBuffer).
	KeepHijacked bool
}

// Gateway serves widget WebSockets.
type Gateway struct {
	cfg      config.Gateway
	verifier *auth.Verifier
	store    *session.Store
	log      *slog.Logger
	m        *Metrics
	now      func() time.Time
	trust    Trust
	opener   *session.Opener
	files    Files
	sign     func(string) string // files.Sign, or nil
	keep     bool                // Options.KeepHijacked
	up       websocket.FastHTTPUpgrader
	origins  map[string]bool // nil: any origin

	stop     chan struct{} // closed by Shutdown: stops the pinger and the workers
	jobs     chan job      // to idle workers; unbuffered
	count    atomic.Int64  // every WebSocket of the node: widgets' and agents'
	agents   atomic.Int64  // agent connections (AdmitAgent)
	addrs    addrLimits
	sessions sessionLimits
	draining atomic.Bool
	wg       sync.WaitGroup
	connsMu  sync.Mutex
	conns    map[*conn]struct{}
}

// New returns a Gateway. It panics on a nil Store.
func New(o Options) *Gateway {
	if o.Store == nil {
		panic("gateway: nil Store")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(prometheus.NewRegistry())
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Opener == nil {
		o.Opener = &session.Opener{Store: o.Store, Logger: o.Logger}
	}
	g := &Gateway{
		cfg:      o.Config,
		verifier: o.Verifier,
		store:    o.Store,
		log:      o.Logger,
		m:        o.Metrics,
		now:      o.Now,
		trust:    o.Trust,
		opener:   o.Opener,
		files:    o.Files,
		keep:     o.KeepHijacked,
		conns:    make(map[*conn]struct{}),
		addrs: addrLimits{maxConns: o.Config.MaxConnectionsPerAddress, rate: o.Config.AddressUpgradeRate,
			burst: float64(o.Config.AddressUpgradeBurst), m: make(map[string]*addrState)},
		sessions: sessionLimits{rate: o.Config.SessionRateLimit, burst: float64(o.Config.SessionRateBurst), m: make(map[string]*sessionBucket)},
		stop:     make(chan struct{}),
		jobs:     make(chan job),
	}
	if o.Files != nil {
		g.sign = o.Files.Sign
	}
	for _, origin := range o.Config.AllowedOrigins {
		if origin == "*" {
			g.origins = nil
			break
		}
		if g.origins == nil {
			g.origins = map[string]bool{}
		}
		g.origins[strings.ToLower(strings.TrimSuffix(origin, "/"))] = true
	}
	g.up = websocket.FastHTTPUpgrader{
		ReadBufferSize:  o.Config.ReadBufferBytes,
		WriteBufferPool: &sync.Pool{}, // a write buffer only while writing
		CheckOrigin:     g.checkOrigin,
		Error: func(ctx *fasthttp.RequestCtx, status int, reason error) {
			g.m.rejected(reasonForStatus(status))
			ctx.Error(reason.Error(), status)
		},
	}
	go g.pingLoop()
	for range numWorkers() {
		go g.worker()
	}
	return g
}

// numWorkers is the number of long-lived worker goroutines: enough to keep
// every CPU busy while some workers wait on the store.
func numWorkers() int { return min(max(4*runtime.GOMAXPROCS(0), 8), 64) }

// A job is work a conn hands off its reader: a frame to handle (h set) or
// its send queue to flush.
type job struct {
	c *conn
	h *handoff
}

func (j job) run() {
	if j.h != nil {
		j.h.run()
	} else {
		j.c.flush()
	}
}

// worker runs jobs. Workers live as long as the gateway, so their stacks
// stay grown: a job costs neither a new goroutine nor stack growth, as a
// goroutine per job did (runtime.newstack and copystack were 5% of CPU).
func (g *Gateway) worker() {
	for {
		select {
		case <-g.stop:
			return
		case j := <-g.jobs:
			j.run()
		}
	}
}

// dispatch runs j on an idle worker, or on a new goroutine when none is
// idle: jobs can block (hello on the store, msg on the in-flight bound, a
// flush on a slow socket), so a job never waits for a worker.
func (g *Gateway) dispatch(j job) {
	select {
	case g.jobs <- j:
	default:
		go j.run()
	}
}

// pingLoop pings every connection that has been silent for PingInterval.
// One loop for all connections replaces a timer per connection (about
// 200 bytes each); it checks four times per interval, so a ping goes out
// between 1 and 1.25 intervals after the last frame read.
//
// The pings are written by numWorkers long-lived pingers, so a socket
// that is slow to take one holds up one pinger (for at most
// gateway.write_timeout), not the others. A goroutine per ping, as
// before, started a goroutine for every idle session at once each round:
// the runtime never frees a goroutine's descriptor, and at 19,500 idle
// sessions stack memory rose from 42 to 57 MB after one round
// (docs/LOAD.md).
func (g *Gateway) pingLoop() {
	tick := g.cfg.PingInterval / 4
	if tick < 10*time.Millisecond {
		tick = 10 * time.Millisecond
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	pings := make(chan *conn, 1024)
	for range numWorkers() {
		go g.pinger(pings)
	}
	var due []*conn
	for {
		select {
		case <-g.stop:
			return
		case <-t.C:
		}
		g.addrs.prune(g.now())
		cutoff := g.now().Add(-g.cfg.PingInterval).UnixNano()
		due = due[:0]
		g.connsMu.Lock()
		now := g.now().UnixNano()
		for c := range g.conns {
			if c.lastRead.Load() <= cutoff {
				c.lastRead.Store(now) // queued once, even if its ping waits past the next tick
				due = append(due, c)
			}
		}
		g.connsMu.Unlock()
		for _, c := range due {
			select {
			case pings <- c:
			case <-g.stop:
				return
			}
		}
		clear(due)
	}
}

// pinger pings the connections pingLoop hands it until the gateway stops.
func (g *Gateway) pinger(pings <-chan *conn) {
	for {
		select {
		case <-g.stop:
			return
		case c := <-pings:
			c.ping()
		}
	}
}

func reasonForStatus(status int) string {
	switch status {
	case fasthttp.StatusForbidden:
		return "origin"
	case fasthttp.StatusMethodNotAllowed, fasthttp.StatusBadRequest:
		return "handshake"
	}
	return "other"
}

func (g *Gateway) checkOrigin(ctx *fasthttp.RequestCtx) bool {
	if g.origins == nil {
		return true
	}
	o := ctx.Request.Header.Peek("Origin")
	if len(o) == 0 {
		return true // not a browser: tokens, not origins, protect the node
	}
	return g.origins[strings.ToLower(string(o))]
}

// Connections returns the number of open widget connections.
func (g *Gateway) Connections() int64 { return g.count.Load() - g.agents.Load() }

// ServeWS is the fasthttp handler for GET /v1/ws.
func (g *Gateway) ServeWS(ctx *fasthttp.RequestCtx) {
	if !websocket.FastHTTPIsWebSocketUpgrade(ctx) {
		if g.draining.Load() {
			g.m.rejected("shutdown")
			refuse(ctx, fasthttp.StatusServiceUnavailable, "node shutting down", 0)
			return
		}
		g.m.rejected("handshake")
		ctx.Error("expected a WebSocket upgrade (widget protocol v1)", fasthttp.StatusBadRequest)
		return
	}
	release, ok := g.admit(ctx, false)
	if !ok {
		return
	}
	var h hints
	if g.trust.any() {
		h = readHints(&ctx.Request.Header, g.trust)
	}
	g.wg.Add(1)
	err := g.up.Upgrade(ctx, func(ws *websocket.Conn) {
		if g.keep && !readsRequestBuffer(ws.NetConn()) {
			go g.serveConn(ws, h, release)
			return
		}
		g.serveConn(ws, h, release)
	})
	if err != nil {
		release()
		g.wg.Done()
	}
}

// serveConn runs an upgraded connection until it closes.
func (g *Gateway) serveConn(ws *websocket.Conn, h hints, release func()) {
	defer g.wg.Done()
	defer release()
	c := newConn(g, ws)
	c.hints = h
	if !g.track(c) {
		c.closeWith(CloseGoingAway, "node shutting down") // closes the socket
		return
	}
	defer g.untrack(c)
	c.serve()
}

// AdmitAgent counts an agent console upgrade (GET /v1/agent/ws) against
// the node's limits: gateway.max_connections, which every WebSocket counts
// toward, gateway.max_agent_connections, and the per-address caps. When
// it refuses it has answered ctx (400, 429 or 503, with Retry-After when
// waiting helps). Otherwise release must be called once, when the
// connection ends or its upgrade failed.
func (g *Gateway) AdmitAgent(ctx *fasthttp.RequestCtx) (release func(), ok bool) {
	return g.admit(ctx, true)
}

// admit checks an upgrade's key and counts it against the limits.
func (g *Gateway) admit(ctx *fasthttp.RequestCtx, agent bool) (func(), bool) {
	if g.draining.Load() {
		g.m.rejected("shutdown")
		refuse(ctx, fasthttp.StatusServiceUnavailable, "node shutting down", 0)
		return nil, false
	}
	if !validKey(ctx.Request.Header.Peek("Sec-WebSocket-Key")) {
		g.m.rejected("handshake")
		refuse(ctx, fasthttp.StatusBadRequest, "Sec-WebSocket-Key must be the base64 of 16 random bytes (RFC 6455)", 0)
		return nil, false
	}
	addr := addressKey(ClientIP(ctx, g.trust))
	switch why, retry := g.addrs.acquire(addr, g.now()); why {
	case addrTooMany:
		g.m.rejected("address")
		refuse(ctx, fasthttp.StatusTooManyRequests, "too many connections from your address", retry)
		return nil, false
	case addrTooFast:
		g.m.rejected("address")
		refuse(ctx, fasthttp.StatusTooManyRequests, "too many connections opened from your address: slow down", retry)
		return nil, false
	case addrTableFull:
		g.m.rejected("capacity")
		refuse(ctx, fasthttp.StatusServiceUnavailable, "connection limit reached", retry)
		return nil, false
	}
	if n := g.count.Add(1); n > int64(g.cfg.MaxConnections) {
		g.count.Add(-1)
		g.addrs.release(addr)
		g.m.rejected("capacity")
		refuse(ctx, fasthttp.StatusServiceUnavailable, "connection limit reached", 5*time.Second)
		return nil, false
	}
	if agent {
		if n := g.agents.Add(1); n > int64(g.cfg.MaxAgentConnections) {
			g.agents.Add(-1)
			g.count.Add(-1)
			g.addrs.release(addr)
			g.m.rejected("capacity")
			refuse(ctx, fasthttp.StatusServiceUnavailable, "agent connection limit reached", 5*time.Second)
			return nil, false
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			if agent {
				g.agents.Add(-1)
			}
			g.count.Add(-1)
			g.addrs.release(addr)
		})
	}, true
}

func (g *Gateway) track(c *conn) bool {
	g.connsMu.Lock()
	defer g.connsMu.Unlock()
	if g.draining.Load() {
		return false
	}
	g.conns[c] = struct{}{}
	g.m.Connections.Inc()
	g.m.Accepted.Inc()
	return true
}

func (g *Gateway) untrack(c *conn) {
	g.connsMu.Lock()
	delete(g.conns, c)
	g.connsMu.Unlock()
	g.m.Connections.Dec()
}

// Shutdown stops accepting connections, closes every open one with 1001
// (going away), and waits until their handlers returned or ctx is done.
// It is idempotent.
func (g *Gateway) Shutdown(ctx context.Context) error {
	if !g.draining.Swap(true) {
		close(g.stop)
	}
	g.connsMu.Lock()
	open := make([]*conn, 0, len(g.conns))
	for c := range g.conns {
		open = append(open, c)
	}
	g.connsMu.Unlock()
	for _, c := range open {
		c.closeWith(CloseGoingAway, "node shutting down")
	}
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ErrShuttingDown
	}
}

// Files is what the gateway needs of the node's file uploads (package
// files): tokens for welcome, the check that an attachment is the
// session's own, and signed links.
type Files interface {
	// UploadToken is the bearer token session sid's widget uploads with.
	UploadToken(sid string) string
	// Own returns the stored form of an attachment URL sent in session
	// sid; ok is false for a file of another session.
	Own(sid, url string) (stored string, ok bool)
	// Stat returns the file at stored (a path on this node, as Own
	// returns it) as the node recorded it at upload: URL is stored, and
	// the type, name and size are the stored file's. An error wrapping
	// ErrNoFile means the node holds no such file.
	Stat(ctx context.Context, stored string) (session.Attachment, error)
	// Sign turns a stored URL into a link that works for a while.
	Sign(stored string) string
}
