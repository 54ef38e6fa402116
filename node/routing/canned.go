package routing

import (
	"slices"
	"strings"

	"github.com/edgedesk/edgedesk/node/faq"
	"github.com/edgedesk/edgedesk/node/localtime"
	"github.com/edgedesk/edgedesk/node/session"
)

// Canned is an FAQ answer an agent may insert into a reply, in the
// customer's language, its variables filled from the session.
type Canned struct {
	Intent string `json:"intent"`
	Lang   string `json:"lang"`
	Text   string `json:"text"`
	// Missing are the variables the session has no value for: Text keeps
	// them as {{name}} for the agent to fill in before sending.
	Missing      []string `json:"missing,omitempty"`
	QuickReplies []string `json:"quick_replies,omitempty"`
}

// MaxCanned bounds the answers one Canned call returns.
const MaxCanned = 50

// Canned returns the FAQ's answers for a chat agent a holds (a supervisor:
// any chat of this node), in the customer's language chain (locale,
// the chat's language, the merchant's default: as the bot picks it), with
// the variables the customer's messages and session give filled in:
// the latest order and tracking number, email and phone the customer
// wrote, their name and local time. q, when set, keeps the answers whose
// intent or text contains it (case-insensitive). Routing's own texts
// (reserved intents, "_…") are left out. lang is the chat's language.
func (r *Router) Canned(a *Agent, sessionID, q string) (lang string, out []Canned, err error) {
	r.mu.Lock()
	c, ok := a.chats[sessionID]
	if !ok && a.supervises() {
		c, ok = r.chats[sessionID]
	}
	if ok {
		lang = c.lang
	}
	r.mu.Unlock()
	if !ok {
		return "", nil, ErrNotYours
	}
	out = []Canned{}
	if r.faq == nil {
		return lang, out, nil
	}
	meta, err := r.store.Get(sessionID)
	if err != nil {
		return "", nil, err
	}
	msgs, err := r.store.Messages(sessionID, 0, 0)
	if err != nil {
		return "", nil, err
	}
	vars := map[string]string{}
	for i := range msgs { // later values win: the customer's latest order
		if msgs[i].From == session.FromCustomer {
			for _, e := range msgs[i].Entities {
				if faq.IsExtractedVar(e.Kind) {
					vars[e.Kind] = e.Value
				}
			}
		}
	}
	vars[faq.VarName] = meta.Customer.Name
	if loc := zone(meta.TZ); loc != nil {
		now := r.now().In(loc)
		vars[faq.VarLocalTime], vars[faq.VarLocalDate] = now.Format("15:04"), now.Format("2006-01-02")
	}
	langs := faq.Chain(meta.Locale, lang, r.def, nil)
	snap := r.faq.Snapshot()
	q = strings.ToLower(strings.TrimSpace(q))
	seen := map[string]bool{}
	for _, e := range snap.Entries() { // sorted by intent
		if strings.HasPrefix(e.Intent, "_") || seen[e.Intent] {
			continue
		}
		seen[e.Intent] = true
		ans, ok := snap.Lookup(e.Intent, langs)
		if !ok {
			continue
		}
		cn := Canned{Intent: ans.Intent, Lang: ans.Lang, QuickReplies: ans.QuickReplies}
		required := ans.Tmpl.Required()
		text, _ := ans.Tmpl.Render(nil, func(name string) (string, bool) {
			if name == faq.VarLocalWeekday {
				if loc := zone(meta.TZ); loc != nil {
					return localtime.Weekday(ans.Lang, r.now().In(loc).Weekday()), true
				}
			}
			if v := vars[name]; v != "" {
				return v, true
			}
			if slices.Contains(required, name) {
				if !slices.Contains(cn.Missing, name) {
					cn.Missing = append(cn.Missing, name)
				}
				return "{{" + name + "}}", true // the agent's to fill in
			}
			return "", false
		})
		cn.Text = string(text)
		if q != "" && !strings.Contains(strings.ToLower(cn.Intent), q) && !strings.Contains(strings.ToLower(cn.Text), q) {
			continue
		}
		out = append(out, cn)
		if len(out) == MaxCanned {
			break
		}
	}
	return lang, out, nil
}
