package routing

import (
	"fmt"
	"time"

	"github.com/edgedesk/edgedesk/config"
)

// Staffing is what a dry run assumes of a group's agents.
type Staffing string

// The staffings Explain knows.
const (
	Free    Staffing = "free"    // one agent online with room (the default)
	Busy    Staffing = "busy"    // one agent online, every chat slot taken
	Offline Staffing = "offline" // nobody online
)

// Explain decides req at the instant at under c without a store, agents
// or other nodes: a dry run for checking a configuration (edgedesk routing
// explain). Every group has one agent online with room unless staffing
// says otherwise (group name → Busy or Offline). The decision is the one
// a live router would take in that state, with the same steps in Why; the
// agent it names is "(an agent of <group>)". defaultLang is the
// merchant's language (bot.default_language), which translation prefers.
// Without req.Country, the region subtag of req.Lang stands for it.
func Explain(c config.Routing, defaultLang string, req Request, at time.Time, staffing map[string]Staffing) (Decision, error) {
	p, err := compile(c)
	if err != nil {
		return Decision{}, err
	}
	for name, s := range staffing {
		if p.byName[name] == nil {
			return Decision{}, fmt.Errorf("%w: no group %q", ErrConfig, name)
		}
		if s != Free && s != Busy && s != Offline {
			return Decision{}, fmt.Errorf("%w: group %s: staffing %q: want free, busy or offline", ErrConfig, name, s)
		}
	}
	r := &Router{def: defaultLang, plan: p, members: map[string][]*Agent{}}
	for _, g := range p.groups {
		s := staffing[g.name]
		if s == Offline {
			continue
		}
		a := &Agent{ID: "(an agent of " + g.name + ")", Groups: []string{g.name}, online: true, chats: map[string]*chat{}}
		if s == Busy {
			for i := range g.capacity {
				a.chats[fmt.Sprint(i)] = &chat{}
			}
		}
		r.members[g.name] = []*Agent{a}
	}
	if req.Country == "" {
		req.Country = countryOf(req.Lang)
	}
	req.Local = true // no other nodes in a dry run
	d, _, _ := r.decide(p, req, at)
	return d, nil
}
