package routing

import (
	"context"
	"slices"
	"strings"

	"github.com/edgedesk/edgedesk/node/session"
)

// Translation asks: the languages on both sides of a chat an agent has,
// so the node can translate between them (node/translate) before a
// message is stored. The router only answers; it never translates.

// SetLanguages records the languages agent a reads and writes (BCP 47,
// first the one they write in), from their staff profile. Without any,
// the agent's chats go by their group's languages.
func (r *Router) SetLanguages(a *Agent, langs []string) {
	r.mu.Lock()
	a.langs = slices.Clone(langs)
	r.mu.Unlock()
}

// ChatLanguages returns, for a chat assigned to an agent on this node, the
// customer's language (as routed; "" when unknown) and the agent's
// languages, the one they write in first: their own (SetLanguages), else
// their chat's group's, the decision's translation target first. ok is
// false for a chat not assigned here.
func (r *Router) ChatLanguages(sessionID string) (customer string, agent []string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.chats[sessionID]
	if c == nil || c.agent == nil {
		return "", nil, false
	}
	if len(c.agent.langs) > 0 {
		return c.lang, slices.Clone(c.agent.langs), true
	}
	for _, g := range r.plan.groups {
		if g.name == c.group {
			langs := slices.Clone(g.langs)
			// The routing decision chose the language to translate into
			// (the fallback, or the merchant's, when the group speaks it):
			// the agent writes in it first.
			if t := c.translate; t != nil && t.To != "" {
				if i := slices.IndexFunc(langs, func(l string) bool { return langBase(l) == langBase(t.To) }); i > 0 {
					langs[0], langs[i] = langs[i], langs[0]
				}
			}
			return c.lang, langs, true
		}
	}
	return c.lang, nil, true
}

// Speaks reports whether one of langs is lang, or its base language
// (an agent who writes "es" reads "es-MX").
func Speaks(langs []string, lang string) bool {
	b := langBase(lang)
	if b == "" {
		return false
	}
	for _, l := range langs {
		if langBase(l) == b {
			return true
		}
	}
	return false
}

func langBase(tag string) string {
	if c := canon(tag); c != "" {
		tag = c
	}
	return strings.ToLower(base(strings.ReplaceAll(tag, "_", "-")))
}

// ReplyMessage posts m, an agent's message to a chat they hold, the way
// Reply does: for a reply the node has already translated (m.Translation).
func (r *Router) ReplyMessage(ctx context.Context, a *Agent, m session.Message) (session.Message, error) {
	r.mu.Lock()
	_, ok := a.chats[m.Session]
	name := a.Name
	r.mu.Unlock()
	if !ok {
		return session.Message{}, ErrNotYours
	}
	m.From, m.Agent = session.FromAgent, &session.AgentRef{ID: a.ID, Name: name}
	m, err := r.store.Post(ctx, m)
	if err == nil {
		r.answered(a, m.Session) // the first response: no deadline any more
	}
	return m, err
}
