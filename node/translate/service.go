package translate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"
)

// Options configures a Service.
type Options struct {
	// Providers in the order they are tried.
	Providers []Provider
	// Timeout bounds one Translate call, the whole chain included.
	Timeout time.Duration
	// Pivot, if set, is the language a pair no provider has directly is
	// translated through (fr → en as fr → es → en with Pivot "es").
	Pivot string
	// PairsRefresh is how long a provider's pair list is trusted.
	PairsRefresh time.Duration
	// BreakerFailures consecutive failures open a provider's breaker; it
	// stays open BreakerCooldown, then lets one probe through (half-open):
	// a success closes it, a failure opens it again.
	BreakerFailures uint32
	BreakerCooldown time.Duration
	// CachePath is the bbolt file of the cache and the glossary.
	CachePath string
	// Sealer, if set, seals the cached translations at rest (the store's
	// encryption key): they are customers' words too.
	Sealer          Sealer
	CacheMaxEntries int
	CacheMaxAge     time.Duration
	// OpenTimeout bounds waiting for the cache file's lock.
	OpenTimeout time.Duration
	Logger      *slog.Logger
	// Registry, if set, gets the translation metrics (NewMetrics) and each
	// provider's breaker state.
	Registry prometheus.Registerer
}

// Service is the Translator the node uses: providers chained, each behind
// a circuit breaker, with a cache and the merchant's glossary.
type Service struct {
	o        Options
	provs    []*prov
	cache    *cache
	glossary atomic.Pointer[Glossary]
	hits     atomic.Uint64
	misses   atomic.Uint64
	closed   atomic.Bool
	met      *Metrics
}

// prov is a provider with its breaker and its pair list.
type prov struct {
	p  Provider
	cb *gobreaker.CircuitBreaker[string]

	mu      sync.Mutex
	pairs   map[Pair]bool // nil: the provider does not say (try every pair)
	known   bool          // pairs were fetched at least once
	fetched time.Time
}

// Stats are a Service's counters.
type Stats struct {
	Hits, Misses uint64
	// Breakers maps each provider to its breaker's state: "closed",
	// "half-open" or "open".
	Breakers map[string]string
}

// New opens the cache and the stored glossary.
func New(o Options) (*Service, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.PairsRefresh <= 0 {
		o.PairsRefresh = 10 * time.Minute
	}
	if o.BreakerFailures == 0 {
		o.BreakerFailures = 3
	}
	if o.BreakerCooldown <= 0 {
		o.BreakerCooldown = 10 * time.Second
	}
	if o.CacheMaxEntries <= 0 {
		o.CacheMaxEntries = 100000
	}
	if o.OpenTimeout <= 0 {
		o.OpenTimeout = 5 * time.Second
	}
	s := &Service{o: o, met: NewMetrics(o.Registry)}
	for _, p := range o.Providers {
		s.provs = append(s.provs, &prov{p: p, cb: gobreaker.NewCircuitBreaker[string](gobreaker.Settings{
			Name:        p.Name(),
			MaxRequests: 1, // half-open: one probe
			Timeout:     o.BreakerCooldown,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= o.BreakerFailures },
			// A pair the provider lacks says nothing of its health.
			IsExcluded: func(err error) bool { return errors.Is(err, ErrUnsupported) || errors.Is(err, errCallerGone) },
			OnStateChange: func(name string, from, to gobreaker.State) {
				o.Logger.Warn("translation provider breaker", "provider", name, "from", from.String(), "to", to.String())
			},
		})})
	}
	c, err := openCache(o.CachePath, o.CacheMaxEntries, o.CacheMaxAge, o.OpenTimeout, o.Sealer)
	if err != nil {
		return nil, err
	}
	s.cache = c
	terms, err := c.glossary()
	if err != nil {
		c.close()
		return nil, err
	}
	s.glossary.Store(NewGlossary(terms))
	s.registerBreakers(o.Registry)
	return s, nil
}

// Close closes the cache file. It is safe to call more than once.
func (s *Service) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	return s.cache.close()
}

// Glossary returns the glossary in force.
func (s *Service) Glossary() *Glossary { return s.glossary.Load() }

// SetGlossary validates and stores terms, replacing the glossary, and
// empties the translation cache (every cached translation was made with
// the old terms).
func (s *Service) SetGlossary(terms []Term) (*Glossary, error) {
	for i, t := range terms {
		if field, reason := CheckTerm(t); field != "" {
			return nil, &GlossaryError{Line: i + 1, Field: field, Reason: reason}
		}
	}
	if len(terms) > MaxTerms {
		return nil, fmt.Errorf("%w: more than %d terms", ErrGlossary, MaxTerms)
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if err := s.cache.setGlossary(terms); err != nil {
		return nil, err
	}
	g := NewGlossary(terms)
	s.glossary.Store(g)
	return g, nil
}

// Stats returns the cache counters and the breakers' states.
func (s *Service) Stats() Stats {
	st := Stats{Hits: s.hits.Load(), Misses: s.misses.Load(), Breakers: map[string]string{}}
	for _, p := range s.provs {
		st.Breakers[p.p.Name()] = p.cb.State().String()
	}
	return st
}

// has reports whether p translates pair, refreshing its list when stale.
// A list that cannot be fetched counts as "maybe": the breaker and the
// provider's own answer decide, and the fetch is retried soon.
func (p *prov) has(ctx context.Context, pair Pair, refresh time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cb.State() != gobreaker.StateOpen && time.Since(p.fetched) > refresh {
		pairs, err := p.p.Pairs(ctx)
		p.fetched = time.Now()
		switch {
		case err != nil:
			p.fetched = p.fetched.Add(-refresh + min(refresh, 5*time.Second))
		case pairs == nil:
			p.pairs, p.known = nil, true
		default:
			p.pairs, p.known = map[Pair]bool{}, true
			for _, pp := range pairs {
				p.pairs[pp] = true
			}
		}
	}
	return !p.known || p.pairs == nil || p.pairs[pair]
}

// route is a way through the providers: one hop, or two through the pivot.
type route []hop

type hop struct {
	p        *prov
	from, to string
}

func (r route) name() string {
	names := make([]string, len(r))
	for i, h := range r {
		names[i] = h.p.p.Name()
	}
	return strings.Join(names, "+")
}

// routes lists the ways to translate from → to, best first: each provider
// that has the pair, then through the pivot.
func (s *Service) routes(ctx context.Context, from, to string) []route {
	pair := Pair{base(from), base(to)}
	var out []route
	for _, p := range s.provs {
		if p.has(ctx, pair, s.o.PairsRefresh) {
			out = append(out, route{{p, from, to}})
		}
	}
	pv := s.o.Pivot
	if pv == "" || base(pv) == pair.From || base(pv) == pair.To {
		return out
	}
	for _, a := range s.provs {
		if !a.has(ctx, Pair{pair.From, base(pv)}, s.o.PairsRefresh) {
			continue
		}
		for _, b := range s.provs {
			if b.has(ctx, Pair{base(pv), pair.To}, s.o.PairsRefresh) {
				out = append(out, route{{a, from, pv}, {b, pv, to}})
			}
		}
	}
	return out
}

// Translate implements Translator.
func (s *Service) Translate(ctx context.Context, text, from, to string) Result {
	start := time.Now()
	r := s.translate(ctx, text, from, to)
	result := string(r.Status)
	if r.Cached {
		result = "cached"
	}
	s.met.results.WithLabelValues(result).Inc()
	s.met.seconds.Observe(time.Since(start).Seconds())
	return r
}

func (s *Service) translate(ctx context.Context, text, from, to string) Result {
	res := Result{From: from, To: to, Status: StatusUnsupported}
	if s.closed.Load() {
		res.Status = StatusUnavailable
		return res
	}
	if strings.TrimSpace(text) == "" || from == "" || to == "" || base(from) == base(to) {
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	g := s.glossary.Load()
	protected, subst := g.Protect(text, from, to)
	// Text that already holds something shaped like a placeholder (a
	// customer who typed "ZXQ0Q") would make restoring ambiguous: a lost
	// term would pass for kept, and the customer's words be rewritten.
	// It goes to the engine as written, without the glossary.
	literal := placeholderRE.MatchString(text)
	if literal {
		protected, subst = text, nil
	}
	routes := s.routes(ctx, from, to)
	now := time.Now()
	for _, r := range routes {
		if t, ok := s.cache.get(cacheKey(r.name(), from, to, g.Version(), text), now); ok {
			s.hits.Add(1)
			res.Text, res.Provider, res.Status, res.Cached = t, r.name(), StatusTranslated, true
			return res
		}
	}
	s.misses.Add(1)
	for _, r := range routes {
		out, err := s.run(ctx, r, protected)
		if err != nil {
			if !errors.Is(err, ErrUnsupported) {
				res.Status = StatusUnavailable
				s.o.Logger.Debug("translation failed", "provider", r.name(), "from", from, "to", to, "err", err)
			}
			continue
		}
		restored, whole := out, true
		if !literal {
			restored, whole = Restore(out, subst)
		}
		if !whole {
			res.Status = StatusUnavailable
			s.o.Logger.Debug("translation lost a glossary term", "provider", r.name(), "from", from, "to", to)
			continue
		}
		res.Text, res.Provider, res.Status = restored, r.name(), StatusTranslated
		if err := s.cache.put(cacheKey(r.name(), from, to, g.Version(), text), restored, time.Now()); err != nil {
			s.o.Logger.Warn("translation not cached", "err", err)
		}
		return res
	}
	return res
}

// run translates text along r, each hop through its provider's breaker.
func (s *Service) run(ctx context.Context, r route, text string) (string, error) {
	for _, h := range r {
		if err := ctx.Err(); err != nil {
			// The caller's deadline or cancellation: not the provider's
			// failure, so its breaker is not asked.
			return "", fmt.Errorf("%s %s→%s: %w", h.p.p.Name(), h.from, h.to, err)
		}
		out, err := h.p.cb.Execute(func() (string, error) {
			budget := s.o.Timeout
			if dl, ok := ctx.Deadline(); ok {
				budget = time.Until(dl)
			}
			out, err := h.p.p.Translate(ctx, text, h.from, h.to)
			if err != nil && (errors.Is(ctx.Err(), context.Canceled) ||
				errors.Is(ctx.Err(), context.DeadlineExceeded) && budget < s.o.Timeout/2) {
				// The caller left (an agent who disconnected), or the
				// call had too little of a shared deadline to be fair to
				// the provider: not counted against its breaker. A
				// provider that outlasts a fair budget is.
				return "", fmt.Errorf("%w: %w", errCallerGone, ctx.Err())
			}
			return out, err
		})
		if err != nil {
			return "", fmt.Errorf("%s %s→%s: %w", h.p.p.Name(), h.from, h.to, err)
		}
		text = out
	}
	return text, nil
}
