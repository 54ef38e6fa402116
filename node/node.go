package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
	"golang.org/x/sync/errgroup"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/model"
	"github.com/edgedesk/edgedesk/node/agentws"
	"github.com/edgedesk/edgedesk/node/analytics"
	"github.com/edgedesk/edgedesk/node/audit"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/away"
	"github.com/edgedesk/edgedesk/node/channels/webhook"
	"github.com/edgedesk/edgedesk/node/convo"
	"github.com/edgedesk/edgedesk/node/corelink"
	"github.com/edgedesk/edgedesk/node/delivery"
	"github.com/edgedesk/edgedesk/node/enrich"
	"github.com/edgedesk/edgedesk/node/faq"
	"github.com/edgedesk/edgedesk/node/files"
	"github.com/edgedesk/edgedesk/node/gateway"
	"github.com/edgedesk/edgedesk/node/mqtt"
	"github.com/edgedesk/edgedesk/node/relay"
	"github.com/edgedesk/edgedesk/node/routing"
	"github.com/edgedesk/edgedesk/node/sentiment"
	"github.com/edgedesk/edgedesk/node/session"
	"github.com/edgedesk/edgedesk/node/translate"
	"github.com/edgedesk/edgedesk/node/web"
)

// Version is set at build time (-ldflags "-X .../node.Version=...").
var Version = "dev"

// StoreFile is the session store's file name inside the data directory.
const StoreFile = "sessions.db"

// Node is one edgedesk node.
type Node struct {
	cfg    *config.Config
	log    *slog.Logger
	reg    *prometheus.Registry
	store  *session.Store
	enrich *enrich.Stage
	faq    *faq.Store
	bot    *convo.Engine
	router *routing.Router
	agents *agentws.Server
	link   *corelink.Link // nil: nats.enabled is false
	// keys seal the store's records (nil: encryption at rest is off);
	// storeKey and storeOldKeys are the keys themselves, for JetStream's.
	keys         *session.Keyring
	storeKey     []byte
	storeOldKeys [][]byte
	files        *files.Handler // customers' uploads; nil when off
	// relayPtr is the cross-node relay, once started (nil: this node alone).
	relayPtr atomic.Pointer[relay.Relay]
	staff    *auth.Verifier // staff tokens: sign-in cookies, agents, the admin API
	apiKeys  *auth.APIKeys  // auth.api_keys: static keys for the admin API
	signin   *signin
	// analytics are the dashboard's figures (nil: analytics.enabled is
	// false); liveStop ends their live streams at Close.
	analytics   *analytics.Analytics
	liveStop    chan struct{}
	liveStreams atomic.Int64
	audit       *audit.Log // every agent and admin action (node/audit.go)
	gw          *gateway.Gateway
	mqtt        *mqtt.Bridge // apps over MQTT (node/mqtt.go); nil when mqtt.listen is empty
	srv         *fasthttp.Server
	ln          net.Listener
	tls         *nodeTLS // nil: plain HTTP
	ready       atomic.Bool
	stopRun     atomic.Pointer[context.CancelFunc] // ends Run (set while it runs)
	stopped     chan struct{}

	erasing sync.Mutex // one GDPR erasure at a time (customers.go)

	// The email channel (email.go); nil when email is off. opener is the
	// one Opener every channel opens sessions through.
	email  *nodeEmail
	opener *session.Opener
	// Channels without a socket (channels.go): the delivery queue's
	// worker, the rules that put answers in it, the webhook channels.
	deliveries   *delivery.Worker
	deliverRules []DeliverRule
	channels     webhook.Channels
	translator   *translate.Service // nil: translate.enabled is false (translate.go)
	mt           *machineAnswers    // FAQ answers translated (faqtranslate.go); nil: off

	closeOnce sync.Once
	closeErr  error
}

// New opens the node's stores and builds its components. It does not listen.
func New(cfg *config.Config, log *slog.Logger) (_ *Node, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	n := &Node{cfg: cfg, log: log, reg: reg, stopped: make(chan struct{})}
	defer func() {
		if err != nil { // close what was opened, in reverse
			if n.link != nil {
				err = errors.Join(err, n.link.Close(context.Background()))
			}
			if n.router != nil {
				n.router.Close()
			}
			if n.store != nil {
				n.store.Close(context.Background())
			}
			if n.analytics != nil {
				n.analytics.Close(context.Background())
			}
			if n.audit != nil {
				n.audit.Close(context.Background())
			}
			if n.faq != nil {
				n.faq.Close()
			}
			n.enrich.Close()
			if n.translator != nil {
				n.translator.Close()
			}
		}
	}()
	if err = n.openTLS(); err != nil { // first: a certificate or key that does not load opens nothing
		return nil, err
	}
	if err = n.openAPIKeys(); err != nil {
		return nil, err
	}
	if n.enrich, err = enrich.New(enrich.Options{Model: cfg.Model, DataDir: cfg.DataDir, Logger: log.With("component", "model"), Registry: reg}); err != nil {
		return nil, err
	}
	// The store's key seals the translation cache too.
	if n.keys, n.storeKey, n.storeOldKeys, err = storeKeys(cfg); err != nil {
		return nil, err
	}
	if err = n.openTranslate(); err != nil {
		return nil, err
	}
	if n.faq, err = openFAQ(cfg, log.With("component", "faq"), 5*time.Second); err != nil {
		return nil, err
	}
	if err = seedFAQ(n.faq, cfg.FAQ.Seed, log.With("component", "faq")); err != nil {
		return nil, err
	}
	var respond func(*session.Turn)
	switch {
	case !cfg.Bot.Enabled:
	case !n.enrich.HasModel():
		log.Warn("bot.enabled but model.enabled is false: the bot needs the model, so it is off")
	default:
		n.bot, err = convo.New(convo.Options{
			Bot:        cfg.Bot,
			FAQ:        n.faq,
			NegativeAt: sentiment.StrongNegative,
			Logger:     log.With("component", "bot"),
			Metrics:    convo.NewMetrics(reg),
			Translated: n.machineAnswers(),
		})
		if err != nil {
			return nil, err
		}
		respond = n.bot.Respond
	}
	n.store, err = session.Open(session.Options{
		Keys:     n.keys,
		Path:     filepath.Join(cfg.DataDir, StoreFile),
		MaxBatch: cfg.Store.MaxBatch,
		Shards:   cfg.Store.Shards,
		Linger:   cfg.Store.CommitLinger,
		Logger:   log.With("component", "store"),
		Metrics:  session.NewMetrics(reg),
		Enrich:   n.enrichMessage, // the enrich stage and translation (translate.go)
		Respond:  respond,
		Outbox:   cfg.NATS.Enabled,

		ProfileRetention:   cfg.Store.ProfileRetention,
		MaxSessionMessages: cfg.Store.MaxSessionMessages,
		MaxSessionBytes:    cfg.Store.MaxSessionBytes,
		Deliver:            n.deliver,
	})
	if err != nil {
		return nil, err
	}
	// Answers to customers on a platform's channel go out by the queue.
	n.deliverRules = append(n.deliverRules, n.toContact)
	if err = n.openChannels(); err != nil {
		return nil, err
	}
	if cfg.NATS.Enabled {
		if err = n.openLink(); err != nil {
			return nil, err
		}
	}
	n.router, err = routing.New(routing.Options{
		Config:          cfg.Routing,
		Store:           relay.RouterStore{Store: n.store, Relay: &n.relayPtr},
		FAQ:             n.faq,
		DefaultLanguage: cfg.Bot.DefaultLanguage,
		Logger:          log.With("component", "routing"),
		Metrics:         routing.NewMetrics(reg),
	})
	if err != nil {
		return nil, err
	}
	if n.bot != nil {
		n.bot.SetEscalator(n.router, n.router.Holds)
		n.store.AddObserver(n.bot)
	}
	if err := n.openAnalytics(); err != nil {
		return nil, err
	}
	if err := n.openAudit(); err != nil {
		return nil, err
	}
	if err := n.startRelay(); err != nil {
		return nil, err
	}
	if err := n.openFiles(); err != nil {
		return nil, err
	}
	var (
		filesGW  gateway.Files // a nil interface, not a nil *files.Handler
		signFile func(string) string
	)
	if n.files != nil {
		filesGW, signFile = gatewayFiles{n.files}, n.files.Sign
	}
	var verifier *auth.Verifier
	if cfg.Auth.WidgetSecret != "" {
		verifier = auth.NewVerifier(cfg.Auth.WidgetSecret, cfg.Auth.ClockSkew, nil)
	} else {
		log.Warn("auth.widget_secret is empty: accepting anonymous widgets; set it (or EDGEDESK_AUTH_WIDGET_SECRET) in production")
	}
	if err = n.openSignin(); err != nil {
		return nil, err
	}
	var fetch func(context.Context, string) error
	if n.link != nil && n.link.Core() {
		fetch = n.link.Fetch
	}
	n.opener = &session.Opener{Store: n.store, Fetch: fetch, Logger: log.With("component", "session")}
	n.gw = gateway.New(gateway.Options{
		Config:   cfg.Gateway,
		Verifier: verifier,
		Store:    n.store,
		Logger:   log.With("component", "gateway"),
		Metrics:  gateway.NewMetrics(reg),
		Trust:    gateway.ParseTrust(cfg.Routing.TrustHeaders),
		Opener:   n.opener,
		Files:    filesGW,
		// perfmem: n.srv keeps hijacked conns (KeepHijackedConns).
		KeepHijacked: true,
	})
	if err := n.openMQTT(verifier, n.opener, signFile); err != nil {
		return nil, err
	}
	n.agents = agentws.New(agentws.Options{
		Verifier:     n.staff,
		Active:       n.accountActive,
		Router:       n.router,
		Store:        n.store,
		Logger:       log.With("component", "agents"),
		HelloTimeout: cfg.Gateway.HelloTimeout,
		IdleTimeout:  cfg.Gateway.IdleTimeout,
		PingInterval: cfg.Gateway.PingInterval,
		WriteTimeout: cfg.Gateway.WriteTimeout,
		SignFile:     signFile,
		Audit:        n.auditAgent,
		ClientIP:     n.clientAddr,
		// Agents' upgrades count toward the node's connection limits.
		Admit:     n.gw.AdmitAgent,
		RateLimit: cfg.Gateway.AgentRateLimit,
		RateBurst: cfg.Gateway.AgentRateBurst,
		Languages: n.agentLanguages,
		Translate: n.agentTranslate(),

		TranslateForAgent: n.agentTranslateHistory(),
	})
	metrics := fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	n.srv = &fasthttp.Server{
		Name:                  "edgedesk",
		Handler:               n.withHSTS(n.route(metrics)),
		ReadTimeout:           10 * time.Second,
		WriteTimeout:          httpWriteTimeout,
		IdleTimeout:           60 * time.Second,
		MaxRequestBodySize:    config.MaxUploadBytes, // FAQ imports, uploads; WebSockets have no body
		HeaderReceived:        bodyLimit,
		ErrorHandler:          requestError,
		ReadBufferSize:        8 << 10, // room for browsers' upgrade headers and cookies
		ReduceMemoryUsage:     true,    // no idle buffers held for hijacked WebSockets
		Concurrency:           cfg.Gateway.MaxConnections + 1024,
		NoDefaultServerHeader: true,
		Logger:                fasthttpLogger{log},
		// perfmem: a WebSocket handler returns without closing its conn
		// (the gateway's reader runs on its own goroutine; agentws
		// closes its conn itself), so fasthttp frees each upgrade's
		// RequestCtx instead of holding it while the socket lives.
		KeepHijackedConns: true,
	}
	if err = n.openEmail(); err != nil { // last: nothing after it can fail and leave it open
		return nil, err
	}
	if s := n.EmailSender(); s != nil {
		// Answers to mail, and agents' answers to widget customers who
		// left an address and are gone, go out through the relay.
		n.deliveries.Register(away.Channel, s)
		n.deliverRules = append(n.deliverRules, n.emailRule)
	}
	return n, nil
}

// maxSmallBody bounds the body of a request to any path but the two that
// take files: the sign-in's maxLoginBody with room for the handler to say
// so itself. At gateway.max_connections requests at once that is some
// 160 MiB at worst, where 16 MiB each would be 160 GiB.
const maxSmallBody = 16 << 10

// bodyLimit lets only FAQ imports and uploads send up to
// config.MaxUploadBytes: the server reads a body whole before any handler
// runs, so without it a flood of anonymous sign-ins (or requests to any
// path) could each hold 16 MiB.
func bodyLimit(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	uri := h.RequestURI()
	if i := bytes.Index(uri, []byte("://")); i >= 0 { // absolute-form: http://host/path
		uri = uri[i+3:]
		if j := bytes.IndexByte(uri, '/'); j >= 0 {
			uri = uri[j:]
		}
	}
	if i := bytes.IndexAny(uri, "?#"); i >= 0 {
		uri = uri[:i]
	}
	switch string(uri) {
	case "/v1/admin/faq", "/v1/admin/glossary", "/v1/files":
		return fasthttp.RequestConfig{}
	}
	if bytes.HasPrefix(uri, []byte(webhook.PathPrefix)) {
		// Each channel checks its own max_body_bytes and answers 413.
		return fasthttp.RequestConfig{MaxRequestBodySize: config.MaxChannelBody}
	}
	return fasthttp.RequestConfig{MaxRequestBodySize: maxSmallBody}
}

// requestError answers a request the server could not read, as
// fasthttp's default does, but a body over its bound gets 413 saying so
// (the default says 400 "Error when parsing request").
func requestError(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	var nerr net.Error
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		ctx.Error(fmt.Sprintf("body too large: at most %d KiB here (FAQ imports and uploads: %d MiB)\n", maxSmallBody>>10, config.MaxUploadBytes>>20), fasthttp.StatusRequestEntityTooLarge)
	case errors.As(err, &small):
		ctx.Error("request headers too large\n", fasthttp.StatusRequestHeaderFieldsTooLarge)
	case errors.As(err, &nerr) && nerr.Timeout():
		ctx.Error("request timeout\n", fasthttp.StatusRequestTimeout)
	default:
		ctx.Error("malformed request\n", fasthttp.StatusBadRequest)
	}
}

func (n *Node) route(metrics fasthttp.RequestHandler) fasthttp.RequestHandler {
	site := web.New(web.Options{Demo: n.cfg.Demo}) // /widget.js, and /demo when enabled
	return func(ctx *fasthttp.RequestCtx) {
		if p := ctx.Path(); bytes.HasPrefix(p, []byte("/v1/admin/")) || bytes.HasPrefix(p, []byte("/v1/auth/")) {
			defer staffHeaders(ctx)
		}
		switch string(ctx.Path()) {
		case "/v1/ws":
			n.gw.ServeWS(ctx)
		case "/healthz":
			ctx.SetContentType("text/plain; charset=utf-8")
			ctx.WriteString("ok\n")
		case "/readyz":
			ctx.SetContentType("text/plain; charset=utf-8")
			if n.ready.Load() {
				ctx.WriteString("ready\n")
				return
			}
			ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
			ctx.WriteString("not ready\n")
		case "/metrics":
			metrics(ctx)
		case "/v1/agent/ws":
			n.agents.ServeWS(ctx)
		case "/v1/admin/faq":
			n.serveAdminFAQ(ctx)
		case "/v1/admin/glossary":
			n.serveAdminGlossary(ctx)
		case "/v1/auth/login":
			n.serveLogin(ctx)
		case "/v1/auth/logout":
			n.serveLogout(ctx)
		case "/v1/auth/me":
			n.serveMe(ctx)
		case "/v1/admin/stats":
			n.serveStats(ctx)
		case "/v1/admin/stats/live":
			n.serveStatsLive(ctx)
		case AuditPath:
			n.serveAdminAudit(ctx)
		case EmailVerifyPath: // the email channel's address verification (email_http.go)
			n.serveEmailVerify(ctx)
		case EmailConfirmPath:
			n.serveEmailConfirm(ctx)
		case "/v1/files":
			if n.files == nil {
				ctx.Error("uploads are off on this node (files.enabled, nats.enabled)\n", fasthttp.StatusNotFound)
				return
			}
			n.files.ServeUpload(ctx)
		default:
			if bytes.HasPrefix(ctx.Path(), []byte(webhook.PathPrefix)) {
				n.channels.Serve(ctx)
				return
			}
			if p := ctx.Path(); bytes.Equal(p, []byte(AdminDeliveriesPath)) || bytes.HasPrefix(p, []byte(AdminDeliveriesPath+"/")) {
				n.serveAdminDeliveries(ctx)
				return
			}
			if bytes.HasPrefix(ctx.Path(), []byte(AdminCustomersPath)) && bytes.HasSuffix(ctx.Path(), []byte("/identities")) {
				n.serveAdminIdentities(ctx)
				return
			}
			if bytes.HasPrefix(ctx.Path(), []byte(AdminCustomersPath)) {
				n.serveAdminCustomer(ctx)
				return
			}
			if bytes.HasPrefix(ctx.Path(), []byte(AdminSessionsPath)) {
				n.serveAdminSession(ctx)
				return
			}
			if n.files != nil && bytes.HasPrefix(ctx.Path(), []byte(files.PathPrefix)) {
				n.files.ServeFile(ctx)
				return
			}
			if !site.Serve(ctx) {
				ctx.Error("not found: this node serves /v1/ws, /widget.js, /healthz, /readyz, /metrics", fasthttp.StatusNotFound)
			}
		}
	}
}

// Store is the internal API to sessions: components that write to customers
// (the bot, agents, system notices) Post through it.
func (n *Node) Store() *session.Store { return n.store }

// ReloadModel swaps in the model file again (after it was replaced on disk)
// without dropping connections or failing in-flight classifications; on
// error the running model stays.
func (n *Node) ReloadModel() error {
	return n.enrich.Reload()
}

// ReloadRouting swaps in new agent groups, hours and rules; chats already
// assigned or queued stay where they are. On error the running routing
// stays.
func (n *Node) ReloadRouting(c config.Routing) error { return n.router.Reload(c) }

// ErrModelDisabled is returned by ReloadModel when model.enabled is false.
var ErrModelDisabled = enrich.ErrModelDisabled

// Model describes the running model (zero when disabled).
func (n *Node) Model() model.ModelInfo {
	return n.enrich.Model()
}

// Registry is the node's Prometheus registry, for components wired later.
func (n *Node) Registry() *prometheus.Registry { return n.reg }

// Listen binds the configured address. Run calls it if it was not called.
func (n *Node) Listen() error {
	if n.ln != nil {
		return nil
	}
	if err := n.listenEmail(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", n.cfg.Listen)
	if err != nil {
		err = fmt.Errorf("node: listen %s: %w", n.cfg.Listen, err)
		return errors.Join(err, n.closeEmailListener(context.Background()))
	}
	n.ln = n.listenTLS(lingerListener{ln})
	return nil
}

// Addr is the bound address (after Listen).
func (n *Node) Addr() net.Addr {
	if n.ln == nil {
		return nil
	}
	return n.ln.Addr()
}

// Run serves until ctx is done, then shuts down in order. It returns nil
// after a clean shutdown.
func (n *Node) Run(ctx context.Context) error {
	if err := n.Listen(); err != nil {
		return err
	}
	dbg, dbgLn, err := n.debugServer()
	if err != nil {
		return err
	}
	// The long-lived parts run under one errgroup; the first to fail ends
	// runCtx, and so the node, with its error. Close called directly ends
	// it too.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	n.stopRun.Store(&stop)
	g, gctx := errgroup.WithContext(runCtx)
	g.Go(func() error {
		if err := n.srv.Serve(n.ln); err != nil && !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("node: serve: %w", err)
		}
		return nil // Close shut the server down
	})
	g.Go(func() error {
		return n.store.RunSweeper(gctx, n.cfg.Store.Retention, n.cfg.Store.SweepInterval, n.cfg.Store.SweepBatch)
	})
	// After a key rotation (or encryption switched on), records under an
	// old key or in plaintext are re-sealed once, in the background.
	g.Go(func() error { return n.store.RunResealer(gctx, n.cfg.Store.SweepBatch) })
	if n.link != nil {
		// The link runs until Close stops it, after the router, whose last
		// posts it still publishes.
		g.Go(func() error { return n.runErasures(gctx, n.cfg.Store.SweepInterval) })
		g.Go(func() error {
			err := n.link.Run(context.Background())
			if errors.Is(err, corelink.ErrClosed) {
				return nil // Close came first
			}
			return err
		})
	}
	if n.mqtt != nil {
		g.Go(func() error { return n.mqtt.Run(gctx) })
	}
	if n.analytics != nil {
		g.Go(func() error { return n.runAnalytics(gctx) })
	}
	g.Go(func() error { return n.runTLS(gctx) })
	g.Go(func() error { return n.audit.Run(gctx) })
	g.Go(func() error { return n.runEmail(gctx) })
	g.Go(func() error { return n.deliveries.Run(gctx) })
	if dbg != nil {
		g.Go(func() error { return runDebug(gctx, dbg, dbgLn) })
	}
	n.ready.Store(true)
	n.log.Info("edgedesk node ready", "addr", n.ln.Addr().String(), "data_dir", n.cfg.DataDir, "version", Version, "sessions", n.store.Sessions())

	<-gctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), n.cfg.ShutdownTimeout)
	defer cancel()
	cerr := n.Close(sctx)
	if err := g.Wait(); err != nil {
		n.log.Error("node stopped by a failure", "err", err)
		return errors.Join(err, cerr)
	}
	return cerr
}

// Close shuts the node down in order: stop accepting, close widget
// connections with 1001, close remaining HTTP connections, commit queued
// writes and close the store. It is idempotent.
func (n *Node) Close(ctx context.Context) error {
	n.closeOnce.Do(func() {
		if stop := n.stopRun.Load(); stop != nil {
			(*stop)() // a direct Close ends Run too
		}
		n.ready.Store(false)
		start := time.Now()
		var errs []error
		if n.liveStop != nil {
			close(n.liveStop) // live streams end now: the HTTP shutdown waits for them
		}
		// fasthttp closes its listener at once (stop accepting), then waits
		// for open HTTP connections while the gateway closes widgets.
		httpDone := make(chan error, 1)
		go func() { httpDone <- n.srv.ShutdownWithContext(ctx) }()
		if err := n.gw.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := n.agents.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
		if n.mqtt != nil {
			// Before the store: the apps' ack positions are saved.
			if err := n.mqtt.Close(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		n.router.Close() // its queued work posts to the store: before the store closes
		// Before the store: the worker records each send's outcome there.
		if err := n.closeDeliveries(ctx); err != nil {
			errs = append(errs, err)
		}
		if n.link != nil {
			// Before the store: the publisher reads it.
			if err := n.link.Close(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		if err := <-httpDone; err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("node: http shutdown: %w", err))
		}
		// A Shutdown that came before Serve registered the listener does not
		// stop it: close the listener too, so Serve always returns.
		if n.ln == nil {
			// never listened
		} else if err := n.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("node: http shutdown: %w", err))
		}
		// Mail under way is stored (or answered 451) before the store closes.
		if err := n.closeEmailListener(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := n.store.Close(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := n.closeEmail(); err != nil {
			errs = append(errs, err)
		}
		if n.analytics != nil {
			// After the store: its last commits were observed.
			if err := n.analytics.Close(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		// After the agents, the router and the store: their last actions
		// are recorded.
		if err := n.audit.Close(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := n.faq.Close(); err != nil {
			errs = append(errs, err)
		}
		if err := n.enrich.Close(); err != nil {
			errs = append(errs, err)
		}
		if n.translator != nil { // after the store: its Enrich hook translates
			if err := n.translator.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		n.closeErr = errors.Join(errs...)
		n.log.Info("edgedesk node stopped", "took", time.Since(start).Round(time.Millisecond), "err", n.closeErr)
		close(n.stopped)
	})
	<-n.stopped
	return n.closeErr
}

// NewLogger returns the node's logger writing to w.
func NewLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

type fasthttpLogger struct{ log *slog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Debug(fmt.Sprintf(format, args...), "component", "http")
}
