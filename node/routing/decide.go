package routing

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/faq"
	"github.com/edgedesk/edgedesk/node/routing/hours"
)

// Outcome is what a routing decision came to.
type Outcome string

// The outcomes of a decision.
const (
	Assigned Outcome = "assigned" // an agent has the chat
	Queued   Outcome = "queued"   // waiting for an agent of Group
	Message  Outcome = "message"  // nobody opens soon: the customer leaves a message
	Relayed  Outcome = "relayed"  // handed to another node's group (Node)
)

// Request is what routing knows of a chat that needs a person.
type Request struct {
	Session string
	Lang    string // the customer's language (BCP 47)
	Intent  string
	Text    string // the customer's last message, for the merchant's rules
	Tier    string // customer tier (vip, …) from the widget token
	// TZ is the customer's IANA time zone (hello's tz, or a trusted edge
	// header) and Country their country (ISO 3166-1 alpha-2, from their
	// locale's region subtag): where they are on routing.regions.
	TZ, Country string
	Reason      string // why the bot handed over
	// Local keeps the chat on this node: it was handed here by another
	// node, or a handoff failed.
	Local bool
}

// Decision is a routing decision and why it was taken. It is stored with
// the session: appended to its decisions (session.Meta.Routes), the
// latest also session.Meta.Route.
type Decision struct {
	Outcome Outcome `json:"outcome"`
	Group   string  `json:"group,omitempty"`
	Agent   string  `json:"agent,omitempty"`
	// Node is the node whose group has the chat (Relayed).
	Node string `json:"node,omitempty"`
	// Position in the queue (1 is next) and the estimated wait.
	Position   int `json:"position,omitempty"`
	ETASeconds int `json:"eta_seconds,omitempty"`
	// OpensAt is when the chosen (or soonest) group opens, when it is closed.
	OpensAt time.Time `json:"opens_at,omitzero"`
	// NeedsTranslation marks a chat whose group does not speak the
	// customer's language (routing.fallback_language, or an open team in
	// another language with routing.translation); Translate is the pair
	// for the translator, set whenever NeedsTranslation is.
	NeedsTranslation bool         `json:"needs_translation,omitempty"`
	Translate        *Translation `json:"translate,omitempty"`
	// CustomerRegion is the region of routing.regions the customer is in
	// ("" when unknown).
	CustomerRegion string `json:"customer_region,omitempty"`
	// Why lists the steps that decided it, in order.
	Why []string  `json:"why"`
	At  time.Time `json:"at"`
	// Note and From, on a transfer: the note the transferring agent (or
	// supervisor) From left for the next agent. Internal: never shown to
	// the customer.
	Note string `json:"note,omitempty"`
	From string `json:"from,omitempty"`
}

// Translation is the language pair a chat needs translated: From the
// customer's language ("" when unknown), To the language of the group
// that has it.
type Translation struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// plan is a compiled config.Routing; immutable, swapped whole on reload.
type plan struct {
	groups    []*group
	byName    map[string]*group
	bySkill   map[string][]*group
	byLang    map[string][]*group // canonical tag → groups speaking it
	byBase    map[string][]*group // base language → groups
	rules     []rule
	skills    map[string]string
	fallback  string
	region    string
	opensSoon time.Duration
	handle    time.Duration
	grace     time.Duration
	tiers     map[string]int

	// firstResponse is routing.first_response_timeout (0: off).
	firstResponse time.Duration

	regions     regionMap
	translation bool // routing.translation
}

type group struct {
	name     string
	region   string
	langs    []string // canonical tags, as configured
	bases    []string // their base languages
	skills   map[string]bool
	sched    *hours.Schedule
	capacity int
	overflow string
}

type rule struct {
	name     string
	re       *regexp.Regexp
	keywords []string // lower-case
	group    string
}

func compile(c config.Routing) (*plan, error) {
	p := &plan{
		byName: map[string]*group{}, bySkill: map[string][]*group{}, byLang: map[string][]*group{}, byBase: map[string][]*group{}, skills: c.IntentSkills, region: c.Region,
		opensSoon: c.OpensSoon, handle: c.HandleTime, grace: c.AgentGrace, tiers: c.TierPriority, firstResponse: c.FirstResponseTimeout,
		translation: c.Translation,
	}
	var errs []error
	regions, err := compileRegions(c.EffectiveRegions())
	if err != nil {
		errs = append(errs, err)
	}
	p.regions = regions
	// Regions are named case-insensitively: one spelling compares.
	if r := regions.canonical(c.Region); r != "" {
		p.region = r
	}
	if c.FallbackLanguage != "" {
		p.fallback = canon(c.FallbackLanguage)
	}
	for i, gc := range c.Groups {
		sched, err := hours.Compile(hours.Spec{TZ: gc.TZ, Weekly: gc.Hours, Holidays: gc.Holidays, Overrides: gc.Overrides})
		if err != nil {
			errs = append(errs, fmt.Errorf("routing.groups[%d] (%s): %w", i, gc.Name, err))
			continue
		}
		region := gc.Region
		if r := regions.canonical(region); r != "" {
			region = r
		}
		g := &group{name: gc.Name, region: region, sched: sched, capacity: gc.Capacity, overflow: gc.Overflow, skills: map[string]bool{}}
		for _, l := range gc.Languages {
			t := canon(l)
			g.langs = append(g.langs, t)
			g.bases = append(g.bases, base(t))
			if !slices.Contains(p.byLang[t], g) {
				p.byLang[t] = append(p.byLang[t], g)
			}
			if b := base(t); !slices.Contains(p.byBase[b], g) {
				p.byBase[b] = append(p.byBase[b], g)
			}
		}
		for _, s := range gc.Skills {
			if !g.skills[s] {
				g.skills[s] = true
				p.bySkill[s] = append(p.bySkill[s], g)
			}
		}
		p.groups = append(p.groups, g)
		p.byName[g.name] = g
	}
	for i, rc := range c.Rules {
		r := rule{name: rc.Name, group: rc.Group}
		if rc.Name == "" {
			r.name = fmt.Sprintf("rules[%d]", i)
		}
		if rc.Regexp != "" {
			re, err := regexp.Compile(rc.Regexp)
			if err != nil {
				errs = append(errs, fmt.Errorf("routing.rules[%d].regexp: %w", i, err))
				continue
			}
			r.re = re
		}
		for _, k := range rc.Keywords {
			r.keywords = append(r.keywords, strings.ToLower(k))
		}
		p.rules = append(p.rules, r)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return p, nil
}

// canons caches canonical tags: parsing one costs microseconds, and a node
// sees few distinct tags. Bounded: past canonMax it stops caching.
var (
	canons   sync.Map
	canonLen atomic.Int64
)

const canonMax = 4096

// canon returns the canonical form of a BCP 47 tag ("" when invalid).
func canon(tag string) string {
	if v, ok := canons.Load(tag); ok {
		return v.(string)
	}
	c, err := faq.CanonicalLang(tag)
	if err != nil {
		c = ""
	}
	if canonLen.Add(1) <= canonMax {
		canons.Store(tag, c)
	}
	return c
}

func base(tag string) string {
	if i := strings.IndexByte(tag, '-'); i > 0 {
		return tag[:i]
	}
	return tag
}

// lookahead bounds the search for a closed group's next opening.
const lookahead = 8 * 24 * time.Hour

// decide routes req at now. It reads the agents' load, so the Router
// calls it under its lock; it changes nothing.
//
// Among the groups the rules, the skill and the language leave, the order
// is: (1) open now, of the customer's region (routing.regions); (2) open
// now elsewhere, the nearest by the customer's local hour (follow the
// sun); another node's group speaking the language; (3) with
// routing.translation, an open group in another language with a free
// agent, translated; a group of the language opening within
// routing.opens_soon; an open group in another language with someone
// online (queued, translated); (4) a message for the soonest opening.
func (r *Router) decide(p *plan, req Request, now time.Time) (Decision, *group, *Agent) {
	d := Decision{At: now}
	why := make([]string, 0, 8)
	cust := p.locate(req, now)
	d.CustomerRegion = cust.region
	if cust.why != "" {
		why = append(why, cust.why)
	}
	cands := p.groups
	if rl, ok := p.matchRule(req.Text); ok {
		if g := p.byName[rl.group]; g != nil {
			cands = []*group{g}
			why = append(why, "rule "+rl.name+" → group "+g.name)
		}
	} else if len(p.rules) > 0 {
		why = append(why, "no rule matched")
	}
	skill := p.skills[req.Intent]
	if skill != "" {
		var f []*group
		if len(cands) == len(p.groups) {
			f = p.bySkill[skill] // no rule narrowed the groups: the index has them
		} else {
			for _, g := range cands {
				if g.skills[skill] {
					f = append(f, g)
				}
			}
		}
		if len(f) == 0 {
			why = append(why, "intent "+req.Intent+" needs skill "+skill+": no group has it, ignored")
		} else {
			cands = f
			why = append(why, "intent "+req.Intent+" needs skill "+skill)
		}
	}
	lang := canon(req.Lang)
	all := len(cands) == len(p.groups)
	speaks, how := p.filterLang(cands, all, lang)
	if len(speaks) == 0 && p.fallback != "" && base(p.fallback) != base(lang) {
		if speaks, _ = p.filterLang(cands, all, p.fallback); len(speaks) > 0 {
			how = "no group speaks " + orNone(lang) + ": fallback " + p.fallback + ", needs translation"
			d.NeedsTranslation, d.Translate = true, &Translation{From: lang, To: p.fallback}
		}
	}
	why = append(why, how)
	// relay hands the chat to another node's group, when one is open
	// with a free agent who speaks the customer's language.
	relay := func(why []string, reason string) bool {
		if req.Local {
			return false
		}
		rg, ok := r.remoteGroup(lang, skill)
		if !ok {
			return false
		}
		d.Outcome, d.Node, d.Group, d.NeedsTranslation, d.Translate = Relayed, rg.Node, rg.Name, false, nil
		d.Why = append(why, reason, relayWhy(rg))
		return true
	}
	if len(speaks) == 0 || d.NeedsTranslation {
		if relay(why, "no group here speaks "+orNone(lang)) {
			return d, nil, nil
		}
	}
	if len(speaks) == 0 {
		if g, a, ok := r.translated(p, &d, why, cands, speaks, lang, cust, now, true); ok {
			return d, g, a
		}
		d.Outcome, d.Why = Message, append(why, "no group to route to")
		if len(p.groups) == 0 {
			d.Why = append(why, "no agent groups configured (routing.groups): take a message")
		}
		return d, nil, nil
	}
	// (1) and (2): open now, the customer's region first, then follow the
	// sun.
	open := make([]*group, 0, len(speaks))
	for _, g := range speaks {
		if g.sched.OpenAt(now) {
			open = append(open, g)
		}
	}
	p.order(open, cust, now)
	if len(open) > 0 {
		for _, g := range open {
			if a := r.freeAgent(g); a != nil {
				d.Outcome, d.Group, d.Agent = Assigned, g.name, a.ID
				d.Why = append(why, p.openWhy(g, cust, now), loadWhy(a, g.capacity))
				return d, g, a
			}
		}
		g := open[0]
		if ov := p.byName[g.overflow]; ov != nil && ov.sched.OpenAt(now) {
			if a := r.freeAgent(ov); a != nil {
				d.Outcome, d.Group, d.Agent = Assigned, ov.name, a.ID
				d.Why = append(why, p.openWhy(g, cust, now), "no free agent in "+g.name+": overflow to "+ov.name,
					loadWhy(a, ov.capacity))
				return d, ov, a
			}
		}
		if relay(why, "no free agent here") {
			return d, nil, nil
		}
		// Wait in the queue of the first open group with anyone online.
		for _, g := range open {
			if r.online(g) {
				d.Outcome, d.Group = Queued, g.name
				d.Why = append(why, p.openWhy(g, cust, now), "no free agent: queued")
				return d, g, nil
			}
		}
		why = append(why, "open groups have nobody online")
	} else {
		why = append(why, "no group speaking it is open")
	}
	if relay(why, "no group here open with anyone online") {
		return d, nil, nil
	}
	// (3) A team in another language, translated, with a free agent now.
	if g, a, ok := r.translated(p, &d, why, cands, speaks, lang, cust, now, false); ok {
		return d, g, a
	}
	// Nobody open (or nobody there): the soonest opening decides between
	// waiting and a message.
	var soonest *group
	var at time.Time
	for _, g := range speaks {
		if g.sched.OpenAt(now) {
			continue // open but nobody online: not worth waiting for
		}
		if t, ok := g.sched.NextOpen(now, lookahead); ok && (soonest == nil || t.Before(at)) {
			soonest, at = g, t
		}
	}
	var local string
	if soonest != nil {
		local = at.In(soonest.sched.Location()).Format("Mon 15:04 MST")
		if at.Sub(now) <= p.opensSoon {
			d.OpensAt, d.Group, d.Outcome = at, soonest.name, Queued
			d.Why = append(why, "all closed; "+soonest.name+" opens "+local+", within routing.opens_soon: queued")
			return d, soonest, nil
		}
	}
	// (3) again: an open team in another language with someone online, in
	// its queue, translated, rather than a message.
	if g, a, ok := r.translated(p, &d, why, cands, speaks, lang, cust, now, true); ok {
		return d, g, a
	}
	// (4) Leave a message.
	if !r.translates(p) {
		why = r.translationOff(p, why, cands, speaks, lang, now)
	}
	if soonest == nil {
		d.Outcome, d.Why = Message, append(why, "no matching group opens within 8 days")
		return d, nil, nil
	}
	d.OpensAt, d.Group, d.Outcome = at, soonest.name, Message
	d.Why = append(why, "all closed; soonest "+soonest.name+" opens "+local+": take a message")
	return d, soonest, nil
}

func loadWhy(a *Agent, capacity int) string {
	return "agent " + a.ID + " has " + strconv.Itoa(len(a.chats)) + " of " + strconv.Itoa(capacity) + " chats"
}

func orNone(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// filterLang keeps the groups speaking lang exactly, else its base
// language, appending them to buf.
func (p *plan) filterLang(cands []*group, all bool, lang string) ([]*group, string) {
	if lang == "" {
		return nil, "customer language unknown"
	}
	if all { // every group is a candidate: the indexes answer
		if gs := p.byLang[lang]; len(gs) > 0 {
			return gs, "language " + lang + ": exact"
		}
		if gs := p.byBase[base(lang)]; len(gs) > 0 {
			return gs, "language " + lang + ": base " + base(lang)
		}
		return nil, "no group speaks " + lang
	}
	if gs := speaking(cands, lang, func(g *group) []string { return g.langs }); len(gs) > 0 {
		return gs, "language " + lang + ": exact"
	}
	b := base(lang)
	if gs := speaking(cands, b, func(g *group) []string { return g.bases }); len(gs) > 0 {
		return gs, "language " + lang + ": base " + b
	}
	return nil, "no group speaks " + lang
}

// speaking keeps the groups whose tags (langs or bases) include tag.
func speaking(cands []*group, tag string, tags func(*group) []string) []*group {
	var out []*group
	for _, g := range cands {
		if slices.Contains(tags(g), tag) {
			out = append(out, g)
		}
	}
	return out
}

func (p *plan) matchRule(text string) (rule, bool) {
	if len(p.rules) == 0 || text == "" {
		return rule{}, false
	}
	lower := strings.ToLower(text)
	for _, rl := range p.rules {
		if rl.re != nil && rl.re.MatchString(text) {
			return rl, true
		}
		for _, k := range rl.keywords {
			if strings.Contains(lower, k) {
				return rl, true
			}
		}
	}
	return rule{}, false
}

// online reports whether any agent of g is online and not away (one who
// takes new chats). Caller holds r.mu.
func (r *Router) online(g *group) bool {
	for _, a := range r.members[g.name] {
		if a.available() {
			return true
		}
	}
	return false
}

// freeAgent returns g's online agent with room and the fewest chats; among
// equals the one assigned least recently (round robin). Caller holds r.mu.
func (r *Router) freeAgent(g *group) *Agent {
	var best *Agent
	for _, a := range r.members[g.name] {
		if !a.available() || len(a.chats) >= g.capacity {
			continue
		}
		if best == nil || len(a.chats) < len(best.chats) || (len(a.chats) == len(best.chats) && a.stamp < best.stamp) {
			best = a
		}
	}
	return best
}
