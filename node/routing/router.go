package routing

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/faq"
	"github.com/edgedesk/edgedesk/node/session"
)

// Store is what routing needs of the session store.
type Store interface {
	Get(id string) (session.Meta, error)
	Messages(id string, after uint64, limit int) ([]session.Message, error)
	Post(ctx context.Context, m session.Message) (session.Message, error)
	Update(ctx context.Context, id string, fn func(*session.Meta) error) (session.Meta, error)
	Signal(id string, ev *session.Event, origin uint64)
	// Waiting lists the sessions whose conversation waits for people
	// (session.Meta.Waiting): the router takes them back at startup.
	Waiting() ([]string, error)
}

// Options configures a Router.
type Options struct {
	Config config.Routing
	Store  Store
	FAQ    *faq.Store
	// DefaultLanguage is the merchant's language (bot.default_language).
	DefaultLanguage string
	Logger          *slog.Logger
	Metrics         *Metrics
	Now             func() time.Time
	// CanTranslate, when set, says the translator has the language pair
	// (BCP 47 tags, the customer's and a group's): a translator is there,
	// so a team in another language may take a chat as with
	// routing.translation, in a language it can translate into. Called
	// under the router's lock: it must answer from memory.
	CanTranslate func(from, to string) bool
}

// Router decides where conversations handed to people go and keeps the
// agents, their chats and the queues. All state changes happen under one
// mutex: a decision is microseconds, and one lock makes capacity and
// single assignment easy to get right.
type Router struct {
	store Store
	faq   *faq.Store
	def   string
	log   *slog.Logger
	met   *Metrics
	now   func() time.Time
	// canTranslate is Options.CanTranslate (nil: routing.translation
	// alone decides, for every pair).
	canTranslate func(from, to string) bool

	work chan func()
	// backlog holds, in order, the work that found work full; one spill
	// goroutine feeds it to the worker (guarded by mu).
	backlog []func()
	quit    chan struct{} // closed by Close: the worker drains and stops
	done    chan struct{}
	// opening fires drain when the next closed group opens.
	opening *time.Timer

	mu      sync.Mutex
	plan    *plan
	agents  map[string]*Agent
	members map[string][]*Agent // group → agents
	chats   map[string]*chat    // session → chat (queued or assigned)
	queues  map[string][]*chat  // group → waiting chats, in order
	// waiting are the chats whose customer left a message for a team that
	// is closed or has nobody online (durable: session.Meta.Waiting); they
	// are picked up when a matching group can take them (waiting.go).
	waiting   map[string]*chat
	openingAt time.Time
	clock     uint64
	closed    bool
	remote    Remote

	// dues orders the chats with a first-response deadline (or kept
	// from the agent who missed one); dueTimer fires for the earliest
	// (deadline.go).
	dues     dues
	dueTimer *time.Timer
}

// New compiles the configuration and starts the router's worker.
func New(opts Options) (*Router, error) {
	p, err := compile(opts.Config)
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Router{
		store: opts.Store, faq: opts.FAQ, def: opts.DefaultLanguage, log: opts.Logger, met: opts.Metrics, now: opts.Now, canTranslate: opts.CanTranslate,
		work: make(chan func(), 4096), quit: make(chan struct{}), done: make(chan struct{}),
		plan: p, agents: map[string]*Agent{}, members: map[string][]*Agent{}, chats: map[string]*chat{}, queues: map[string][]*chat{}, waiting: map[string]*chat{},
	}
	go r.loop()
	// The chats left waiting before a restart come back before any new
	// escalation is routed (the worker runs its work in order).
	r.async(r.restore)
	return r, nil
}

// Reload swaps in a new routing configuration. Chats already assigned or
// queued stay where they are; queued and waiting chats that a group of the
// new configuration can take are given to it.
func (r *Router) Reload(c config.Routing) error {
	p, err := compile(c)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.plan = p
	r.mu.Unlock()
	r.log.Info("routing configuration reloaded", "groups", len(p.groups), "rules", len(p.rules))
	r.async(r.drain)
	return nil
}

// loop runs the router's asynchronous work (escalations, grace expiries)
// in order.
func (r *Router) loop() {
	defer close(r.done)
	for {
		select {
		case f := <-r.work:
			f()
		case <-r.quit:
			for { // what was queued before Close still runs
				select {
				case f := <-r.work:
					f()
				default:
					return
				}
			}
		}
	}
}

// Close stops the worker after the queued work.
func (r *Router) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	for _, a := range r.agents {
		if a.lost != nil {
			a.lost.Stop()
		}
	}
	if r.opening != nil {
		r.opening.Stop()
	}
	if r.dueTimer != nil {
		r.dueTimer.Stop()
	}
	r.mu.Unlock()
	close(r.quit)
	<-r.done
}

// async queues f for the worker; it never blocks the caller (the session
// store's committer). A full queue spills into a backlog that one
// goroutine feeds to the worker, so work runs in the order it was queued:
// a fresh hand-over never overtakes the re-route of the message before.
func (r *Router) async(f func()) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	if len(r.backlog) == 0 {
		select {
		case r.work <- f:
			r.mu.Unlock()
			return
		default:
		}
	}
	r.backlog = append(r.backlog, f)
	start := len(r.backlog) == 1
	r.mu.Unlock()
	if start {
		go r.spill()
	}
}

// spill feeds the backlog to the worker, oldest first, until it is empty.
// It is the only goroutine that removes from the backlog, and it decides
// to stop under the same lock as the removal that emptied it: async starts
// a new spill only when it finds the backlog empty, so two never run.
func (r *Router) spill() {
	r.mu.Lock()
	f := r.backlog[0]
	r.mu.Unlock()
	for {
		select {
		case r.work <- f:
		case <-r.quit:
			return
		}
		r.mu.Lock()
		r.backlog[0] = nil
		r.backlog = r.backlog[1:]
		if len(r.backlog) == 0 {
			r.mu.Unlock()
			return
		}
		f = r.backlog[0]
		r.mu.Unlock()
	}
}
