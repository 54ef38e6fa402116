package webhook

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/delivery"
	"github.com/edgedesk/edgedesk/node/session"
)

// PathPrefix starts every channel's path: /v1/channels/<name>/webhook.
const PathPrefix = "/v1/channels/"

// Options configures a Channel.
type Options struct {
	Config config.Channel
	Store  *session.Store
	Opener *session.Opener
	Logger *slog.Logger
	// Metrics, if set, counts requests and events (NewMetrics, shared by
	// the channels).
	Metrics *Metrics
	// Client sends answers (default: a client with a 30s timeout).
	Client *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
	// StoreTimeout bounds waiting for a webhook's messages to be durable
	// (default 10s); past it the platform is told to retry (503).
	StoreTimeout time.Duration
}

// Channel is one configured webhook channel.
type Channel struct {
	cfg      config.Channel
	store    *session.Store
	opener   *session.Opener
	log      *slog.Logger
	m        *Metrics
	mapping  *mapping
	now      func() time.Time
	window   time.Duration
	maxBody  int
	identity string
	timeout  time.Duration
	send     *sender
	// locks serialise the webhooks of one identity, so two requests of a
	// new customer at once open one session, not two.
	locks [64]sync.Mutex
}

// New builds the channel o.Config describes.
func New(o Options) (*Channel, error) {
	cfg := o.Config
	mp, err := compileMapping(cfg.Preset, cfg.Mapping)
	if err != nil {
		return nil, fmt.Errorf("webhook: channel %s: %w", cfg.Name, err)
	}
	c := &Channel{cfg: cfg, store: o.Store, opener: o.Opener, log: o.Logger, m: o.Metrics, mapping: mp, now: o.Now,
		window: cfg.TimestampWindow, maxBody: cfg.MaxBodyBytes, identity: cfg.Identity, timeout: o.StoreTimeout}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.window <= 0 {
		c.window = 5 * time.Minute
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBody
	}
	if c.timeout <= 0 {
		c.timeout = 10 * time.Second
	}
	if c.identity == "" {
		switch cfg.Preset {
		case config.PresetWhatsApp:
			c.identity = "phone"
		case config.PresetGeneric:
			c.identity = cfg.Name
		default:
			c.identity = cfg.Preset
		}
	}
	url := cfg.SendURL
	if url == "" {
		url = defaultSendURL[cfg.Preset]
	}
	url = strings.NewReplacer("{token}", cfg.Token, "{phone_number_id}", cfg.PhoneNumberID).Replace(url)
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	c.send = &sender{preset: cfg.Preset, url: url, token: cfg.Token, secret: []byte(cfg.Secret), client: client, now: c.now}
	return c, nil
}

// DefaultMaxBody is a webhook's body limit when max_body_bytes is 0.
const DefaultMaxBody = 256 << 10

// Name is the channel's name.
func (c *Channel) Name() string { return c.cfg.Name }

// MaxBody is the largest body the channel takes.
func (c *Channel) MaxBody() int { return c.maxBody }

// Sender delivers answers to the channel's customers (register it with
// the delivery worker under Name).
func (c *Channel) Sender() delivery.Sender { return c.send }

// Identity is the identity a customer id of this channel stands for.
func (c *Channel) Identity(customerID string) session.Identity {
	v := customerID
	if c.identity == "phone" && v != "" && v[0] != '+' {
		v = "+" + v // WhatsApp's wa_id is the number without its +
	}
	return session.Identity{Kind: c.identity, Value: v}
}

// ServeHTTP answers GET (WhatsApp's verification) and POST (events) on
// the channel's path.
func (c *Channel) ServeHTTP(ctx *fasthttp.RequestCtx) {
	switch {
	case ctx.IsPost():
		c.serveEvents(ctx)
	case ctx.IsGet() && c.cfg.Preset == config.PresetWhatsApp:
		c.serveVerify(ctx)
	default:
		ctx.Response.Header.Set("Allow", "POST")
		c.fail(ctx, fasthttp.StatusMethodNotAllowed, "method not allowed: POST the platform's events here")
	}
}

// serveVerify is WhatsApp's subscription check: hub.mode=subscribe and
// the configured verify token get hub.challenge back.
func (c *Channel) serveVerify(ctx *fasthttp.RequestCtx) {
	args := ctx.QueryArgs()
	if string(args.Peek("hub.mode")) != "subscribe" {
		c.fail(ctx, fasthttp.StatusBadRequest, "hub.mode must be subscribe")
		return
	}
	tok := args.Peek("hub.verify_token")
	if c.cfg.VerifyToken == "" || subtle.ConstantTimeCompare(tok, []byte(c.cfg.VerifyToken)) != 1 {
		c.fail(ctx, fasthttp.StatusForbidden, "hub.verify_token does not match")
		return
	}
	challenge := args.Peek("hub.challenge")
	if len(challenge) == 0 || len(challenge) > 256 {
		c.fail(ctx, fasthttp.StatusBadRequest, "hub.challenge missing or too long")
		return
	}
	c.count("verified")
	ctx.SetContentType("text/plain; charset=utf-8")
	ctx.Write(challenge)
}

// Result is the answer to a webhook that was taken.
type Result struct {
	Stored     int `json:"stored"`
	Duplicates int `json:"duplicates"`
	// Ignored counts the events that are not customer messages
	// (statuses, reads, stickers, edits).
	Ignored int `json:"ignored"`
}

func (c *Channel) serveEvents(ctx *fasthttp.RequestCtx) {
	body := ctx.Request.Body()
	if len(body) > c.maxBody {
		c.fail(ctx, fasthttp.StatusRequestEntityTooLarge, fmt.Sprintf("body of %d bytes: at most %d here", len(body), c.maxBody))
		return
	}
	h := func(name string) string { return string(ctx.Request.Header.Peek(name)) }
	if err := verify(c.cfg.Preset, []byte(c.cfg.Secret), c.window, h, body, c.now()); err != nil {
		c.fail(ctx, fasthttp.StatusUnauthorized, err.Error())
		return
	}
	msgs, ignored, err := c.mapping.extract(body)
	if err != nil {
		c.fail(ctx, fasthttp.StatusBadRequest, err.Error())
		return
	}
	for i := range msgs {
		msgs[i].CID = cidOf(c.cfg.Name, msgs[i].MessageID)
	}
	// Not ctx itself as a context: a RequestCtx is recycled after the
	// handler returns, and take's timer outlives it.
	res, status, err := c.take(context.Background(), msgs)
	if err != nil {
		c.fail(ctx, status, err.Error())
		return
	}
	res.Ignored = ignored
	if c.m != nil && ignored > 0 {
		c.m.Ignored.WithLabelValues(c.cfg.Name).Add(float64(ignored))
	}
	c.count("ok")
	ctx.SetContentType("application/json")
	b, _ := json.Marshal(res)
	ctx.Write(b)
}

// take stores msgs and waits until each is durable (or a duplicate). A
// failure after some were stored is the platform's to retry: the stored
// ones are duplicates then.
func (c *Channel) take(ctx context.Context, msgs []Inbound) (Result, int, error) {
	var res Result
	if len(msgs) == 0 {
		return res, 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	results := make(chan session.Result, len(msgs))
	queued := 0
	var firstErr error
	status := fasthttp.StatusServiceUnavailable
	for _, in := range msgs {
		if err := c.submit(ctx, in, results); err != nil {
			if errors.Is(err, session.ErrInvalid) {
				status = fasthttp.StatusBadRequest
			}
			firstErr = err
			break
		}
		queued++
	}
	for range queued {
		select {
		case r := <-results:
			switch {
			case r.Err != nil:
				if firstErr == nil {
					firstErr = r.Err
				}
			case r.Duplicate:
				res.Duplicates++
			default:
				res.Stored++
			}
		case <-ctx.Done():
			return res, fasthttp.StatusServiceUnavailable, fmt.Errorf("not stored in time (%v): retry", ctx.Err())
		}
	}
	if c.m != nil {
		c.m.Messages.WithLabelValues(c.cfg.Name, "stored").Add(float64(res.Stored))
		c.m.Messages.WithLabelValues(c.cfg.Name, "duplicate").Add(float64(res.Duplicates))
	}
	if firstErr != nil {
		if errors.Is(firstErr, session.ErrSessionFull) {
			status = fasthttp.StatusRequestEntityTooLarge
		}
		return res, status, fmt.Errorf("not stored: %w", firstErr)
	}
	return res, 0, nil
}

// submit opens the session of in's customer and queues in in it.
func (c *Channel) submit(ctx context.Context, in Inbound, results chan<- session.Result) error {
	id := c.Identity(in.CustomerID)
	l := c.lock(id)
	l.Lock()
	defer l.Unlock()
	meta, err := c.open(ctx, id, in)
	if err != nil {
		return err
	}
	m := session.Message{Session: meta.ID, From: session.FromCustomer, CID: in.CID, Channel: c.cfg.Name,
		CustomerID: meta.Customer.ID, Text: in.Text, Attachments: in.Attachments, Locale: in.Locale}
	return c.store.Submit(ctx, m, 0, func(r session.Result) { results <- r })
}

func (c *Channel) lock(id session.Identity) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(id.String()))
	return &c.locks[h.Sum32()%uint32(len(c.locks))]
}

// open finds the session a message of identity id goes to: the latest
// session of the customer the identity is linked to (a widget customer's
// session: one history across channels), else of the identity itself,
// else a new one.
func (c *Channel) open(ctx context.Context, id session.Identity, in Inbound) (session.Meta, error) {
	cust, err := c.store.IdentityCustomer(id)
	if err != nil {
		return session.Meta{}, err
	}
	if cust == "" {
		cust = id.String()
	}
	h := session.Hello{Channel: c.cfg.Name, Customer: session.Customer{ID: cust, Name: in.Name}, Verified: true,
		Locale: in.Locale, Contact: &session.Contact{Channel: c.cfg.Name, To: in.ReplyTo}}
	if latest, ok := Latest(c.store, cust); ok {
		h.Session = latest.ID
		// The customer stays as the session knows them (a widget's
		// verified name, email and tier); the platform's name only fills
		// a gap.
		h.Customer = latest.Customer
		if h.Customer.Name == "" {
			h.Customer.Name = in.Name
		}
	}
	meta, _, err := c.opener.Open(ctx, h)
	return meta, err
}

// Latest returns the most recently active verified session of customer
// cust on this node.
func Latest(store *session.Store, cust string) (session.Meta, bool) {
	ids, err := store.CustomerSessions(cust)
	if err != nil {
		return session.Meta{}, false
	}
	var best session.Meta
	found := false
	for _, sid := range ids {
		m, err := store.Get(sid)
		if err != nil || m.Origin != "" || !m.Verified {
			// A mirror is another node's; an anonymous session only
			// claims the customer id (without a widget secret anyone may
			// declare one), so neither its history nor what it says about
			// the customer joins a verified channel's.
			continue
		}
		if !found || m.LastActive.After(best.LastActive) {
			best, found = m, true
		}
	}
	return best, found
}

func (c *Channel) fail(ctx *fasthttp.RequestCtx, status int, msg string) {
	c.count(strings.ToLower(strings.ReplaceAll(fasthttp.StatusMessage(status), " ", "_")))
	if status >= 500 {
		c.log.Warn("webhook not taken", "channel", c.cfg.Name, "status", status, "err", msg)
	} else {
		c.log.Debug("webhook refused", "channel", c.cfg.Name, "status", status, "err", msg)
	}
	ctx.Error(msg+"\n", status)
}

func (c *Channel) count(outcome string) {
	if c.m != nil {
		c.m.Requests.WithLabelValues(c.cfg.Name, outcome).Inc()
	}
}

// Metrics are the webhook channels' Prometheus metrics.
type Metrics struct {
	Requests *prometheus.CounterVec
	Messages *prometheus.CounterVec
	Ignored  *prometheus.CounterVec
}

// NewMetrics creates the channels' metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgedesk_webhook_requests_total",
			Help: "Webhook requests by channel and outcome (ok, unauthorized, bad_request, …).",
		}, []string{"channel", "outcome"}),
		Messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgedesk_webhook_messages_total",
			Help: "Customer messages taken from webhooks: stored, or duplicate (a platform's retry).",
		}, []string{"channel", "result"}),
		Ignored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgedesk_webhook_events_ignored_total",
			Help: "Webhook events that are not customer messages (statuses, reads, stickers, edits).",
		}, []string{"channel"}),
	}
	reg.MustRegister(m.Requests, m.Messages, m.Ignored)
	return m
}

// Channels routes /v1/channels/<name>/webhook to the channel of that
// name.
type Channels map[string]*Channel

// Lookup returns the channel a path is for.
func (cs Channels) Lookup(path []byte) (*Channel, bool) {
	rest, ok := strings.CutPrefix(string(path), PathPrefix)
	if !ok {
		return nil, false
	}
	name, tail, _ := strings.Cut(rest, "/")
	if tail != "webhook" {
		return nil, false
	}
	c, ok := cs[name]
	return c, ok
}

// Serve answers a request under PathPrefix.
func (cs Channels) Serve(ctx *fasthttp.RequestCtx) {
	c, ok := cs.Lookup(ctx.Path())
	if !ok {
		ctx.Error("no such channel: channels are configured under channels: and served at "+PathPrefix+"<name>/webhook\n", fasthttp.StatusNotFound)
		return
	}
	c.ServeHTTP(ctx)
}
