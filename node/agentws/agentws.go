package agentws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"

	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/internal/ratelimit"
	"github.com/edgedesk/edgedesk/node/routing"
	"github.com/edgedesk/edgedesk/node/session"
)

// Options configures the endpoint.
type Options struct {
	Verifier *auth.Verifier // staff tokens
	// Active, if set, reports whether a verified token's account may still
	// act (node/staff: not disabled or removed). It is asked at hello and
	// again every PingInterval while the agent is connected: disabling an
	// account ends its open consoles, not only its next sign-in.
	Active func(*auth.Claims) (bool, error)
	Router *routing.Router
	Store  interface {
		Subscribe(id string, sub session.Subscriber)
		Unsubscribe(id string, sub session.Subscriber)
		NewSubscriberID() uint64
	}
	// SignFile, if set, turns attachments that are files on this node into
	// links that work for a while (files.Handler.Sign).
	SignFile     func(stored string) string
	Logger       *slog.Logger
	HelloTimeout time.Duration
	IdleTimeout  time.Duration
	PingInterval time.Duration
	WriteTimeout time.Duration
	// SendQueue bounds the frames queued to one agent; past it the agent is
	// disconnected (it reconnects and gets its chats again).
	SendQueue int
	// Audit, if set, is told of what agents do (connect, transfer,
	// reassign, close) once it is done, on the connection's goroutine.
	Audit func(Action)
	// ClientIP, if set, is the client's address for Audit (the node's
	// rule for proxies); else the connection's remote address.
	ClientIP func(*fasthttp.RequestCtx) string
	// Admit, if set, counts each upgrade against the node's connection
	// limits (gateway.Gateway.AdmitAgent: gateway.max_connections,
	// gateway.max_agent_connections, the per-address caps) before a token
	// is seen: an upgrade costs the node a connection whether or not a
	// hello follows. When ok is false Admit has answered ctx; otherwise
	// release is called once the connection ends.
	Admit func(ctx *fasthttp.RequestCtx) (release func(), ok bool)
	// RateLimit is the sustained frames per second (all but heartbeats)
	// one connection may send, RateBurst its bucket (gateway.agent_rate_*;
	// default 10 and 30).
	RateLimit float64
	RateBurst int
	// Languages, if set, returns the languages an agent's staff profile
	// lists (the one they write in first), asked at hello; without any
	// the agent's group's languages count (routing.Router.ChatLanguages).
	Languages func(agentID string) []string
	// Translate, if set, translates an agent's reply to a chat they hold
	// into the customer's language before it is stored: the translation
	// to store beside the text, or nil when none is needed. It runs on
	// the connection's goroutine and returns within its own timeout; a
	// failed translation comes back marked, never as an error.
	Translate func(ctx context.Context, sessionID, text string) *session.Translation
	// TranslateForAgent, if set, translates a customer's message stored
	// before the chat was the agent's (an assignment's history: what the
	// customer told the bot) for the agent, or returns nil when none is
	// needed. The translations go out as `translation` frames after the
	// `assigned` one, from a goroutine per assignment: the router never
	// waits for them.
	TranslateForAgent func(ctx context.Context, m *session.Message) *session.Translation
}

// maxHistoryTranslations bounds the messages of one assignment's history
// translated for the agent: the most recent ones.
const maxHistoryTranslations = 50

// Action is an agent's action, for the audit log.
type Action struct {
	Agent, Role string
	Kind        string // "connect", "transfer", "reassign" (someone else's chat), "close"
	Session     string
	From        string // the client's address
	// ToAgent, ToGroup: a transfer's destination.
	ToAgent, ToGroup string
}

// Server serves agent connections.
type Server struct {
	o    Options
	up   websocket.FastHTTPUpgrader
	mu   sync.Mutex
	live map[*conn]struct{}
	per  map[string]int // open connections per agent id
	wg   sync.WaitGroup // live connections' handlers
	shut bool
}

// New returns the agent endpoint.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.SendQueue <= 0 {
		o.SendQueue = 1024
	}
	if o.RateLimit <= 0 || o.RateBurst < 1 {
		o.RateLimit, o.RateBurst = 10, 30
	}
	s := &Server{o: o, live: map[*conn]struct{}{}, per: map[string]int{}}
	s.up = websocket.FastHTTPUpgrader{
		ReadBufferSize: 4096,
		// Agent consoles are served by the merchant: origin checks are the
		// token's job here.
		CheckOrigin: func(*fasthttp.RequestCtx) bool { return true },
		Error: func(ctx *fasthttp.RequestCtx, status int, reason error) {
			ctx.Error(reason.Error(), status)
		},
	}
	return s
}

// Frame codes of agent errors.
const (
	CodeBadFrame     = "bad_frame"
	CodeUnauthorized = "unauthorized"
	CodeForbidden    = "forbidden"
	CodeNotYours     = "not_your_chat"
	CodeNoAgent      = "no_agent"
	CodeNoRoom       = "no_room"
	CodeNoGroup      = "no_group"
	CodeUnavailable  = "unavailable"
	CodeUnknownType  = "unknown_type"
	CodeTooMany      = "too_many_connections"
	CodeRateLimited  = "rate_limited"
	CodeSessionFull  = "session_full"
)

// MaxRefusedRun is how many frames in a row past the rate limit an
// agent may send before the connection is closed (1008): a console
// that retries on rate_limited slows down long before.
const MaxRefusedRun = 100

// MaxConnsPerAgent bounds one agent's open connections: a console in a
// few tabs and devices fits, a token replayed in a loop does not make
// the node hold a send queue and goroutines per copy.
const MaxConnsPerAgent = 8

// ServeWS upgrades GET /v1/agent/ws.
func (s *Server) ServeWS(ctx *fasthttp.RequestCtx) {
	if s.o.Verifier == nil || s.o.Router == nil {
		ctx.Error("agent endpoint disabled: set auth.staff_secret (EDGEDESK_AUTH_STAFF_SECRET)\n", fasthttp.StatusForbidden)
		return
	}
	// The token may come in the hello frame, the upgrade's bearer header, or
	// the sign-in cookie of a page of this node (a cross-site page's
	// upgrade carrying the cookie is refused: WebSocket hijacking).
	bearer, fromCookie := auth.StaffToken(string(ctx.Request.Header.Peek("Authorization")), string(ctx.Request.Header.Cookie(auth.CookieName)))
	if fromCookie && !auth.SameOrigin(string(ctx.Request.Header.Peek("Origin")), string(ctx.Host())) {
		bearer = "" // not this node's page: its cookie does not count
	}
	from := ctx.RemoteIP().String()
	if s.o.ClientIP != nil {
		from = s.o.ClientIP(ctx)
	}
	release := func() {}
	if s.o.Admit != nil {
		var ok bool
		if release, ok = s.o.Admit(ctx); !ok {
			return
		}
	}
	err := s.up.Upgrade(ctx, func(ws *websocket.Conn) {
		defer release()
		c := &conn{s: s, ws: ws, from: from, id: s.o.Store.NewSubscriberID(), out: make(chan []byte, s.o.SendQueue), subs: map[string]bool{}, quit: make(chan struct{})}
		c.run(bearer)
	})
	if err != nil {
		release()
		s.o.Logger.Debug("agent upgrade failed", "err", err)
	}
}

// Shutdown closes every agent connection with 1001 and waits for their
// handlers to return (each gives its chats back to the router), until ctx
// is done: then it returns ErrShuttingDown. New connections are refused.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shut = true
	conns := make([]*conn, 0, len(s.live))
	for c := range s.live {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.close(websocket.CloseGoingAway, "node shutting down")
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w (%d)", ErrShuttingDown, len(conns))
	}
}

type conn struct {
	s      *Server
	ws     *websocket.Conn
	id     uint64
	out    chan []byte
	quit   chan struct{}
	once   sync.Once
	agent  *routing.Agent
	role   string
	claims *auth.Claims // the hello's token, checked again by pingLoop
	from   string       // the client's address

	bucket  ratelimit.Bucket // owned by the reader
	refused int              // frames refused in a row by the bucket

	mu     sync.Mutex
	subs   map[string]bool // sessions subscribed to
	closed bool            // no new subscriptions once closed
}

// inFrame is any frame an agent sends.
type inFrame struct {
	Type    string `json:"type"`
	V       int    `json:"v"`
	Token   string `json:"token"`
	CID     string `json:"cid"`
	Session string `json:"session"`
	Text    string `json:"text"`
	On      bool   `json:"on"`
	Agent   string `json:"agent"`
	Group   string `json:"group"`
	Status  string `json:"status"` // hello, status: online or away
	Note    string `json:"note"`   // transfer
	Q       string `json:"q"`      // canned
}

// parseStatus reads an availability: "" (online), "online" or "away".
func parseStatus(s string) (away, ok bool) {
	switch s {
	case "", routing.StatusOnline:
		return false, true
	case routing.StatusAway:
		return true, true
	}
	return false, false
}

func statusName(away bool) string {
	if away {
		return routing.StatusAway
	}
	return routing.StatusOnline
}

func (c *conn) run(bearer string) {
	s := c.s
	defer c.close(websocket.CloseNormalClosure, "")
	c.ws.SetReadLimit(64 << 10)
	c.ws.SetReadDeadline(time.Now().Add(s.o.HelloTimeout))
	var hello inFrame
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		return
	}
	if err := decode(data, &hello); err != nil || hello.Type != "hello" {
		c.writeDirect(errFrame(validCID(hello.CID), CodeBadFrame, "the first frame must be hello"))
		return
	}
	away, ok := parseStatus(hello.Status)
	if !ok {
		c.writeDirect(errFrame("", CodeBadFrame, `hello status must be "online" or "away", not `+strconvQuote(hello.Status)))
		return
	}
	token := hello.Token
	if token == "" {
		token = bearer
	}
	claims, err := s.o.Verifier.Verify(token)
	if err != nil {
		c.writeDirect(errFrame("", CodeUnauthorized, "invalid staff token"))
		c.closeWith(websocket.ClosePolicyViolation, "unauthorized")
		return
	}
	switch claims.Role {
	case "agent", "supervisor", "admin":
	default:
		c.writeDirect(errFrame("", CodeForbidden, "role "+claims.Role+" may not take chats"))
		c.closeWith(websocket.ClosePolicyViolation, "forbidden")
		return
	}
	if active, err := c.active(claims); !active {
		if err != nil {
			c.writeDirect(errFrame("", CodeUnavailable, "the account store could not be read; try again"))
			return
		}
		c.writeDirect(errFrame("", CodeUnauthorized, msgInactive))
		c.closeWith(websocket.ClosePolicyViolation, "unauthorized")
		return
	}
	c.claims = claims
	s.mu.Lock()
	if s.shut {
		s.mu.Unlock()
		c.writeDirect(errFrame("", CodeUnavailable, "node shutting down"))
		return
	}
	if s.per[claims.Subject] >= MaxConnsPerAgent {
		s.mu.Unlock()
		c.writeDirect(errFrame("", CodeTooMany, fmt.Sprintf("agent %s has %d connections open, the most allowed: close a console tab", claims.Subject, MaxConnsPerAgent)))
		c.closeWith(websocket.ClosePolicyViolation, "too many connections")
		return
	}
	s.per[claims.Subject]++
	s.live[c] = struct{}{}
	s.wg.Add(1) // under mu with shut false: never after Shutdown's Wait began
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.live, c)
		if s.per[claims.Subject]--; s.per[claims.Subject] == 0 {
			delete(s.per, claims.Subject)
		}
		s.mu.Unlock()
		s.wg.Done()
	}()
	go c.writeLoop()
	c.bucket = ratelimit.New(s.o.RateLimit, s.o.RateBurst)
	c.role = claims.Role
	name := claims.Name
	if name == "" {
		name = claims.Subject
	}
	agent, gen, held := s.o.Router.Connect(claims.Subject, name, claims.Role, claims.Groups, away, c)
	c.agent = agent
	if s.o.Languages != nil {
		s.o.Router.SetLanguages(agent, s.o.Languages(claims.Subject))
	}
	defer s.o.Router.Disconnect(agent, gen)
	chats := make([]map[string]any, 0, len(held))
	for _, h := range held {
		c.subscribe(h.Session)
		chats = append(chats, c.s.assignedFrame(h))
	}
	c.send(map[string]any{"type": "welcome", "agent": claims.Subject, "name": name, "role": claims.Role, "groups": claims.Groups,
		"status": statusName(away), "chats": chats, "server_time": time.Now().UTC().Format(time.RFC3339Nano)})
	s.o.Router.Ready(agent) // queued chats follow the welcome
	c.audit(Action{Kind: "connect"})
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(s.o.IdleTimeout)) })
	go c.pingLoop()
	for {
		c.ws.SetReadDeadline(time.Now().Add(s.o.IdleTimeout))
		var f inFrame
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if !utf8.Valid(data) {
			// As on the widget endpoint (1007): json.Unmarshal would
			// otherwise turn the bytes into U+FFFD and store them.
			c.close(websocket.CloseInvalidFramePayloadData, "invalid UTF-8")
			return
		}
		if err := decode(data, &f); err != nil {
			// A field of the wrong type leaves the others decoded: the
			// error still names the frame's cid, and nothing is done.
			c.send(errFrame(validCID(f.CID), CodeBadFrame, err.Error()))
			continue
		}
		if f.CID != "" && !session.ValidCID(f.CID) {
			// Never stored, forwarded or echoed: a cid goes into the
			// customer's session and back to every console.
			c.send(errFrame("", CodeBadFrame, "cid must be 1 to 128 characters of A-Z, a-z, 0-9, _ . : -"))
			continue
		}
		if !c.allow(f.Type, f.CID) {
			if c.refused >= MaxRefusedRun {
				c.close(websocket.ClosePolicyViolation, "rate limit exceeded")
				return
			}
			continue
		}
		c.handle(f)
	}
}

// allow applies the connection's rate limit to a frame: heartbeats are
// free, typing past the limit is dropped unanswered (as the widget's),
// anything else is refused with rate_limited and its cid.
func (c *conn) allow(typ, cid string) bool {
	if typ == "heartbeat" {
		return true
	}
	if c.bucket.Allow(time.Now()) {
		c.refused = 0
		return true
	}
	c.refused++
	if typ != "typing" {
		c.send(errFrame(cid, CodeRateLimited, "slow down: more than the agent rate limit"))
	}
	return false
}

func (c *conn) handle(f inFrame) {
	r := c.s.o.Router
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch f.Type {
	case "heartbeat":
		c.send(map[string]any{"type": "ack", "cid": f.CID})
	case "msg":
		if f.Text == "" || f.Session == "" {
			c.send(errFrame(f.CID, CodeBadFrame, "msg needs session and text"))
			return
		}
		var (
			m   session.Message
			err error
		)
		if c.s.o.Translate != nil && r.Owns(c.agent, f.Session) {
			// Translated here, before the store: the committer never waits
			// for a provider, and the reply is stored with both texts.
			tr := c.s.o.Translate(ctx, f.Session, f.Text)
			m, err = r.ReplyMessage(ctx, c.agent, session.Message{Session: f.Session, CID: f.CID, Text: f.Text, Translation: tr})
		} else {
			m, err = r.Reply(ctx, c.agent, f.Session, f.CID, f.Text)
		}
		if err != nil {
			c.send(opError(f.CID, err))
			return
		}
		receipt := map[string]any{"type": "receipt", "cid": f.CID, "session": f.Session, "seq": m.Seq}
		if m.Translation != nil {
			receipt["translation"] = m.Translation
		}
		c.send(receipt)
	case "typing":
		if err := r.Typing(c.agent, f.Session, f.On); err != nil {
			c.send(opError(f.CID, err))
		}
	case "status":
		away, ok := parseStatus(f.Status)
		if !ok || f.Status == "" {
			c.send(errFrame(f.CID, CodeBadFrame, `status must be "online" or "away"`))
			return
		}
		r.SetAway(c.agent, away)
		c.send(map[string]any{"type": "ack", "cid": f.CID})
	case "canned":
		if f.Session == "" {
			c.send(errFrame(f.CID, CodeBadFrame, "canned needs session"))
			return
		}
		lang, answers, err := r.Canned(c.agent, f.Session, f.Q)
		if err != nil {
			c.send(opError(f.CID, err))
			return
		}
		c.send(map[string]any{"type": "canned", "cid": f.CID, "session": f.Session, "lang": lang, "answers": answers})
	case "transfer":
		if f.Session == "" {
			c.send(errFrame(f.CID, CodeBadFrame, "transfer needs session, and agent or group"))
			return
		}
		// Whose the chat was decides the kind: the router tells the
		// holder, not the mover.
		kind := "transfer"
		c.mu.Lock()
		if !c.subs[f.Session] { // not assigned to this agent
			kind = "reassign"
		}
		c.mu.Unlock()
		if err := r.TransferChat(ctx, c.agent, f.Session, routing.Move{Agent: f.Agent, Group: f.Group, Note: f.Note}); err != nil {
			c.send(opError(f.CID, err))
			return
		}
		c.audit(Action{Kind: kind, Session: f.Session, ToAgent: f.Agent, ToGroup: f.Group})
		c.send(map[string]any{"type": "ack", "cid": f.CID})
	case "close":
		if err := r.CloseChat(ctx, c.agent, f.Session); err != nil {
			c.send(opError(f.CID, err))
			return
		}
		c.unsubscribe(f.Session)
		c.audit(Action{Kind: "close", Session: f.Session})
		c.send(map[string]any{"type": "ack", "cid": f.CID})
	case "agents":
		agents, groups := r.Roster()
		c.send(map[string]any{"type": "agents", "cid": f.CID, "agents": agents, "groups": groups})
	case "queues":
		if c.role != "supervisor" && c.role != "admin" {
			c.send(errFrame(f.CID, CodeForbidden, "queues is for supervisors"))
			return
		}
		c.send(map[string]any{"type": "queues", "cid": f.CID, "groups": r.Overview()})
	default:
		c.send(errFrame(f.CID, CodeUnknownType, "unknown frame type "+f.Type))
	}
}

// audit hands a to Options.Audit with the connection's agent and address.
func (c *conn) audit(a Action) {
	if c.s.o.Audit == nil {
		return
	}
	a.Agent, a.Role, a.From = c.agent.ID, c.role, c.from
	c.s.o.Audit(a)
}

func opError(cid string, err error) map[string]any {
	code := CodeUnavailable
	switch {
	case errors.Is(err, routing.ErrNotYours):
		code = CodeNotYours
	case errors.Is(err, routing.ErrNoAgent):
		code = CodeNoAgent
	case errors.Is(err, routing.ErrNoRoom):
		code = CodeNoRoom
	case errors.Is(err, routing.ErrNoGroup):
		code = CodeNoGroup
	case errors.Is(err, session.ErrSessionFull):
		code = CodeSessionFull
	case errors.Is(err, session.ErrInvalid), errors.Is(err, routing.ErrNoteTooLong):
		code = CodeBadFrame
	}
	return errFrame(cid, code, err.Error())
}

func strconvQuote(s string) string {
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	return strconv.Quote(s)
}

func errFrame(cid, code, msg string) map[string]any {
	f := map[string]any{"type": "error", "code": code, "message": msg}
	if cid != "" {
		f["cid"] = cid
	}
	return f
}

func (s *Server) assignedFrame(a routing.Assignment) map[string]any {
	hist := make([]map[string]any, 0, len(a.History))
	for i := range a.History {
		hist = append(hist, s.msgFrame(&a.History[i]))
	}
	channel := a.Channel
	if channel == "" {
		channel = "widget" // the only channel that opens sessions without naming itself
	}
	f := map[string]any{"type": "assigned", "session": a.Session, "customer": a.Customer, "lang": a.Lang,
		"tz": a.TZ, "channel": channel, "entities": entities(a.History),
		"needs_translation": a.Decision.NeedsTranslation, "group": a.Decision.Group, "why": a.Decision.Why, "history": hist}
	if a.Note != "" {
		f["note"] = a.Note
	}
	if a.FromAgent != nil {
		f["from_agent"] = a.FromAgent
	}
	return f
}

// entities lists what the customer's messages gave (order and tracking
// numbers, emails, phones), each value once, in order of first mention.
func entities(hist []session.Message) []session.Entity {
	out := []session.Entity{}
	for i := range hist {
		if hist[i].From != session.FromCustomer {
			continue
		}
		for _, e := range hist[i].Entities {
			if !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	}
	return out
}

func (s *Server) msgFrame(m *session.Message) map[string]any {
	f := map[string]any{"type": "msg", "session": m.Session, "seq": m.Seq, "from": m.From, "text": m.Text, "ts": m.TS}
	if m.CID != "" {
		f["cid"] = m.CID
	}
	if m.Channel != "" { // where the customer wrote it: one session may span channels
		f["channel"] = m.Channel
	}
	if m.Lang != "" {
		f["lang"] = m.Lang
	}
	if m.Intent != "" {
		f["intent"] = m.Intent
	}
	if len(m.Entities) > 0 {
		f["entities"] = m.Entities
	}
	if len(m.Attachments) > 0 {
		atts := m.Attachments
		if s.o.SignFile != nil {
			atts = slices.Clone(atts)
			for i := range atts {
				if strings.HasPrefix(atts[i].URL, "/") {
					atts[i].URL = s.o.SignFile(atts[i].URL)
				}
			}
		}
		f["attachments"] = atts
	}
	if m.Agent != nil {
		f["agent"] = m.Agent
	}
	if m.Notice != nil {
		f["notice"] = m.Notice
	}
	if m.Translation != nil {
		f["translation"] = m.Translation
	}
	return f
}

// Assigned implements routing.Sink.
func (c *conn) Assigned(a routing.Assignment) {
	c.subscribe(a.Session)
	c.send(c.s.assignedFrame(a))
	c.translateHistory(a.Session, a.History)
}

// translateHistory sends translation frames for the customer's messages
// of hist that were stored untranslated (before the chat was this
// agent's), most recent first, at most maxHistoryTranslations.
func (c *conn) translateHistory(sessionID string, hist []session.Message) {
	tr := c.s.o.TranslateForAgent
	if tr == nil {
		return
	}
	var todo []session.Message
	for i := len(hist) - 1; i >= 0 && len(todo) < maxHistoryTranslations; i-- {
		if m := hist[i]; m.From == session.FromCustomer && m.Translation == nil && m.Text != "" {
			todo = append(todo, m)
		}
	}
	if len(todo) == 0 {
		return
	}
	go func() {
		// Not in the server's wait group: a connection that ends stops it
		// (quit cancels the translation under way), and nothing is lost.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		go func() {
			select {
			case <-c.quit:
				cancel()
			case <-ctx.Done():
			}
		}()
		for i := range todo {
			if ctx.Err() != nil {
				return
			}
			if t := tr(ctx, &todo[i]); t != nil {
				c.send(map[string]any{"type": "translation", "session": sessionID, "seq": todo[i].Seq, "translation": t})
			}
		}
	}()
}

// Unassigned implements routing.Sink.
func (c *conn) Unassigned(sessionID, reason string) {
	c.unsubscribe(sessionID)
	c.send(map[string]any{"type": "unassigned", "session": sessionID, "reason": reason})
}

// ID implements session.Subscriber.
func (c *conn) ID() uint64 { return c.id }

// Deliver implements session.Subscriber: the chats' messages and typing.
func (c *conn) Deliver(ev *session.Event) {
	switch ev.Kind {
	case session.EventMessage:
		c.send(c.s.msgFrame(ev.Msg))
	case session.EventTyping:
		if ev.From == session.FromCustomer {
			c.send(map[string]any{"type": "typing", "session": ev.Session, "from": ev.From, "on": ev.On})
		}
	}
}

func (c *conn) subscribe(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed && !c.subs[id] {
		c.subs[id] = true
		c.s.o.Store.Subscribe(id, c)
	}
}

func (c *conn) unsubscribe(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.subs[id] {
		delete(c.subs, id)
		c.s.o.Store.Unsubscribe(id, c)
	}
}

// send queues a frame; a full queue drops the connection (the agent
// reconnects within the grace period and gets its chats again).
func (c *conn) send(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	select {
	case <-c.quit:
	case c.out <- b:
	default:
		go c.close(websocket.ClosePolicyViolation, "too slow")
	}
}

// sendClose closes the connection (1008) once the frames queued before
// it are written.
func (c *conn) sendClose() {
	select {
	case <-c.quit:
	case c.out <- nil:
	default:
		go c.close(websocket.ClosePolicyViolation, "unauthorized")
	}
}

func (c *conn) writeLoop() {
	for {
		select {
		case <-c.quit:
			return
		case b := <-c.out:
			if b == nil { // sendClose: the frames before it are written
				c.close(websocket.ClosePolicyViolation, "unauthorized")
				return
			}
			c.ws.SetWriteDeadline(time.Now().Add(c.s.o.WriteTimeout))
			if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
				c.close(websocket.CloseAbnormalClosure, "")
				return
			}
		}
	}
}

func (c *conn) pingLoop() {
	t := time.NewTicker(c.s.o.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-t.C:
			// An unreadable account store is not the agent's fault: the
			// connection stays, and the next tick asks again.
			if active, err := c.active(c.claims); !active && err == nil {
				c.s.o.Logger.Info("agent signed out: account disabled or removed", "agent", c.claims.Subject)
				c.send(errFrame("", CodeUnauthorized, msgInactive))
				c.sendClose()
				return
			}
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.s.o.WriteTimeout)); err != nil {
				c.close(websocket.CloseAbnormalClosure, "")
				return
			}
		}
	}
}

// msgInactive tells an agent whose account was disabled or removed why
// it is signed out.
const msgInactive = "signed out: the account is disabled or removed, or its password changed"

// active asks Options.Active about claims (true without it).
func (c *conn) active(claims *auth.Claims) (bool, error) {
	if c.s.o.Active == nil {
		return true, nil
	}
	return c.s.o.Active(claims)
}

// writeDirect writes before the writer runs (hello errors).
func (c *conn) writeDirect(v any) {
	b, _ := json.Marshal(v)
	c.ws.SetWriteDeadline(time.Now().Add(c.s.o.WriteTimeout))
	c.ws.WriteMessage(websocket.TextMessage, b)
}

func (c *conn) closeWith(code int, reason string) {
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
}

func (c *conn) close(code int, reason string) {
	c.once.Do(func() {
		close(c.quit)
		if code != websocket.CloseAbnormalClosure {
			c.closeWith(code, reason)
		}
		c.ws.Close()
		c.mu.Lock()
		c.closed = true
		for id := range c.subs {
			c.s.o.Store.Unsubscribe(id, c)
		}
		c.subs = map[string]bool{}
		c.mu.Unlock()
	})
}
