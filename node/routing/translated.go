package routing

import (
	"slices"
	"time"
)

// translates reports whether a team in another language may take a chat,
// translated: routing.translation, or a translator given to the router
// (Options.CanTranslate).
func (r *Router) translates(p *plan) bool { return p.translation || r.canTranslate != nil }

// pair returns the language of g the customer's lang translates into:
// routing.fallback_language or the merchant's language (bot.default_language)
// when g speaks it — the pairs a merchant's translator is sure to have —
// else g's first language; each only if the translator has the pair ("" when
// none). The router only decides; the translator (node/translate)
// translates.
func (r *Router) pair(p *plan, lang string, g *group) string {
	ok := func(to string) bool {
		return to != "" && slices.Contains(g.langs, to) && (r.canTranslate == nil || r.canTranslate(lang, to))
	}
	if ok(p.fallback) {
		return p.fallback
	}
	if def := canon(r.def); ok(def) {
		return def
	}
	for _, to := range g.langs {
		if ok(to) {
			return to
		}
	}
	return ""
}

// translated is step (3) of a decision: the open groups of cands that do
// not speak lang (speaks are those that do), in the order of p.order,
// offered the chat translated: the first with a free agent has it; with
// queue, else the first with anyone online queues it. It fills d and
// returns true when one was found; d is untouched otherwise.
func (r *Router) translated(p *plan, d *Decision, why []string, cands, speaks []*group, lang string, cust customer, now time.Time, queue bool) (*group, *Agent, bool) {
	if lang == "" || !r.translates(p) {
		return nil, nil, false // nothing to translate from, or nobody to translate
	}
	var open []*group
	for _, g := range cands {
		if slices.Contains(speaks, g) || slices.Contains(g.bases, base(lang)) || !g.sched.OpenAt(now) || r.pair(p, lang, g) == "" {
			continue
		}
		open = append(open, g)
	}
	if len(open) == 0 {
		return nil, nil, false
	}
	p.order(open, cust, now)
	take := func(g *group, a *Agent) (*group, *Agent, bool) {
		to := r.pair(p, lang, g)
		d.NeedsTranslation, d.Translate = true, &Translation{From: lang, To: to}
		d.Group = g.name
		d.OpensAt = time.Time{}
		w := append(why, "no team speaking "+lang+" can take it now: "+p.openWhy(g, cust, now)+", speaks "+to+": translated "+lang+" → "+to)
		if a != nil {
			d.Outcome, d.Agent = Assigned, a.ID
			d.Why = append(w, loadWhy(a, g.capacity))
		} else {
			d.Outcome = Queued
			d.Why = append(w, "no free agent: queued")
		}
		return g, a, true
	}
	for _, g := range open {
		if a := r.freeAgent(g); a != nil {
			return take(g, a)
		}
	}
	if queue {
		for _, g := range open {
			if r.online(g) {
				return take(g, nil)
			}
		}
	}
	return nil, nil, false
}

// translationOff adds to why, before a chat waits or leaves a message,
// the open team in another language that could have taken it translated
// had routing.translation been on: so "why a message, with agents online?"
// has its answer.
func (r *Router) translationOff(p *plan, why []string, cands, speaks []*group, lang string, now time.Time) []string {
	for _, g := range cands {
		if !slices.Contains(speaks, g) && (lang == "" || !slices.Contains(g.bases, base(lang))) && g.sched.OpenAt(now) && r.online(g) {
			return append(why, "group "+g.name+" is open in another language, but routing.translation is off")
		}
	}
	return why
}
