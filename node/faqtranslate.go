package node

// FAQ answers machine-translated into a customer's language the FAQ has
// no entry in (translate.faq): prepared in the enrich stage, before the
// message is committed, and looked up by the bot (convo.MachineAnswers) on
// the committer, which never waits for a provider.

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/edgedesk/edgedesk/node/faq"
	"github.com/edgedesk/edgedesk/node/session"
	"github.com/edgedesk/edgedesk/node/translate"
)

// maxMachineAnswers bounds the prepared answers kept in memory (the
// translations themselves are also in the translation cache on disk).
const maxMachineAnswers = 4096

// machineAnswers holds the FAQ answers translated for the FAQ version
// they were made from: a new FAQ version starts afresh.
type machineAnswers struct {
	mu      sync.Mutex
	version uint64
	byKey   map[mtKey]mtAnswer
}

type mtKey struct{ intent, from, to string }

type mtAnswer struct {
	a        *faq.Answer
	provider string
	// src is the answer a was translated from, as the FAQ snapshot holds
	// it: a later FAQ version has other answers, so a translation of the
	// old text is never given with the new one.
	src *faq.Answer
}

// MachineAnswer implements convo.MachineAnswers.
func (m *machineAnswers) MachineAnswer(orig *faq.Answer, lang string) (*faq.Answer, string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.byKey[mtKey{orig.Intent, orig.Lang, langBase(lang)}]
	if !ok || v.src != orig {
		return nil, "", false
	}
	return v.a, v.provider, true
}

func (m *machineAnswers) put(version uint64, k mtKey, v mtAnswer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.version != version || m.byKey == nil || len(m.byKey) >= maxMachineAnswers {
		m.version, m.byKey = version, map[mtKey]mtAnswer{}
	}
	m.byKey[k] = v
}

func (m *machineAnswers) has(version uint64, k mtKey) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.byKey[k]
	return ok && m.version == version
}

func langBase(tag string) string {
	tag = strings.ToLower(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		return tag[:i]
	}
	return tag
}

// prepareFAQAnswer translates the FAQ answer the bot will give m when it
// is in another language than the customer's.
func (n *Node) prepareFAQAnswer(ctx context.Context, m *session.Message) {
	if n.mt == nil || m.Intent == "" || m.Lang == "" {
		return
	}
	snap := n.faq.Snapshot()
	locale := m.Locale
	if locale == "" {
		if meta, err := n.store.Get(m.Session); err == nil {
			locale = meta.Locale
		}
	}
	chain := faq.AppendChain(make([]string, 0, 8), locale, m.Lang, n.cfg.Bot.DefaultLanguage, n.cfg.Bot.LanguageFallback)
	a, ok := snap.Lookup(m.Intent, chain)
	if !ok || langBase(a.Lang) == langBase(m.Lang) {
		return
	}
	k := mtKey{a.Intent, a.Lang, langBase(m.Lang)}
	if n.mt.has(snap.Version(), k) {
		return
	}
	tr, provider, ok := n.translateAnswer(ctx, a, m.Lang)
	if ok {
		n.mt.put(snap.Version(), k, mtAnswer{a: tr, provider: provider, src: a})
	}
}

var varRE = regexp.MustCompile(`\{\{[^{}]*\}\}`)

// translateTemplate translates an FAQ template with its {{variables}}
// kept out of the engine's reach.
func (n *Node) translateTemplate(ctx context.Context, src, from, to string) (*faq.Template, string, bool) {
	if src == "" {
		return nil, "", true
	}
	var vars []string
	masked := varRE.ReplaceAllStringFunc(src, func(v string) string {
		vars = append(vars, v)
		return "ZXV" + strconv.Itoa(len(vars)-1) + "V"
	})
	r := n.translator.Translate(ctx, masked, from, to)
	if r.Status != translate.StatusTranslated {
		return nil, "", false
	}
	seen := 0
	out := varBackRE.ReplaceAllStringFunc(r.Text, func(s string) string {
		i, err := strconv.Atoi(varBackRE.FindStringSubmatch(s)[1])
		if err != nil || i >= len(vars) {
			return s
		}
		seen++
		return vars[i]
	})
	if seen != len(vars) {
		return nil, "", false // a variable lost: the merchant's answer goes instead
	}
	t, err := faq.ParseTemplate(out)
	if err != nil {
		return nil, "", false
	}
	return t, r.Provider, true
}

var varBackRE = regexp.MustCompile(`[*#@~]?(?i:zxv)([0-9]+)(?i:v)`)

// translateAnswer translates a's answer, ask and quick replies into lang.
func (n *Node) translateAnswer(ctx context.Context, a *faq.Answer, lang string) (*faq.Answer, string, bool) {
	tmpl, provider, ok := n.translateTemplate(ctx, a.Answer, a.Lang, lang)
	if !ok {
		return nil, "", false
	}
	var ask *faq.Template
	if a.Ask != "" {
		if ask, _, ok = n.translateTemplate(ctx, a.Ask, a.Lang, lang); !ok {
			return nil, "", false
		}
	}
	out := &faq.Answer{Entry: a.Entry, Tmpl: tmpl, AskTmpl: ask}
	out.Lang = langBase(lang)
	out.Answer = tmpl.String()
	if ask != nil {
		out.Ask = ask.String()
	}
	out.QuickReplies = nil
	for _, q := range a.QuickReplies {
		r := n.translator.Translate(ctx, q, a.Lang, lang)
		if r.Status != translate.StatusTranslated {
			r.Text = q
		}
		out.QuickReplies = append(out.QuickReplies, r.Text)
	}
	return out, provider, true
}
