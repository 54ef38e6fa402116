package node

// Translation between customers and agents (node/translate): the providers
// from config, the glossary, and the three places messages are translated
// — a customer's message for an agent who does not speak it (the enrich
// stage, before Submit), an agent's reply for the customer (the agent's
// connection, before Post), and a message in a language the model does not
// know (before classification). Each is bounded by translate.timeout; a
// failure stores and delivers the original, marked untranslated.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/convo"
	"github.com/edgedesk/edgedesk/node/routing"
	"github.com/edgedesk/edgedesk/node/session"
	"github.com/edgedesk/edgedesk/node/staff"
	"github.com/edgedesk/edgedesk/node/translate"
)

// TranslateFile is the translation cache's and the glossary's file inside
// the data directory.
const TranslateFile = "translate.db"

// openTranslate builds the translation service when translate.enabled.
func (n *Node) openTranslate() error {
	tc := n.cfg.Translate
	if !tc.Enabled {
		return nil
	}
	provs, err := translateProviders(tc, os.Getenv)
	if err != nil {
		return err
	}
	var sealer translate.Sealer
	if n.keys != nil { // not a nil *Keyring in the interface
		sealer = n.keys
	}
	n.translator, err = translate.New(translate.Options{
		Sealer:          sealer,
		Providers:       provs,
		Timeout:         tc.Timeout,
		Pivot:           tc.Pivot,
		PairsRefresh:    tc.PairsRefresh,
		BreakerFailures: uint32(tc.BreakerFailures),
		BreakerCooldown: tc.BreakerCooldown,
		CachePath:       filepath.Join(n.cfg.DataDir, TranslateFile),
		CacheMaxEntries: tc.CacheMaxEntries,
		CacheMaxAge:     tc.CacheMaxAge,
		Logger:          n.log.With("component", "translate"),
		Registry:        n.reg,
	})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	return nil
}

// translateProviders builds the configured providers, reading their keys
// from key_file or key_env (never from the config file).
func translateProviders(tc config.Translate, getenv func(string) string) ([]translate.Provider, error) {
	// One client: the service's timeout bounds each call through its
	// context; the transport's own limits only guard a stuck connection.
	client := &http.Client{Timeout: max(tc.Timeout, 5*time.Second)}
	var out []translate.Provider
	for i, p := range tc.Providers {
		key := ""
		switch {
		case p.KeyFile != "":
			b, err := os.ReadFile(p.KeyFile)
			if err != nil {
				return nil, fmt.Errorf("node: translate.providers[%d].key_file: %w", i, err)
			}
			key = strings.TrimSpace(string(b))
		case p.KeyEnv != "":
			if key = strings.TrimSpace(getenv(p.KeyEnv)); key == "" {
				return nil, fmt.Errorf("node: translate.providers[%d].key_env: $%s is empty", i, p.KeyEnv)
			}
		}
		switch p.Kind {
		case "apertium":
			out = append(out, &translate.Apertium{URL: p.URL, Client: client})
		case "libretranslate":
			out = append(out, &translate.Libre{URL: p.URL, Key: key, Client: client})
		case "deepl":
			out = append(out, &translate.DeepL{URL: p.URL, Key: key, Client: client})
		case "google":
			out = append(out, &translate.Google{URL: p.URL, Key: key, Client: client})
		}
	}
	return out, nil
}

// asTranslation is the stored form of a result. A translation past what a
// message may carry (session.Message.Check) is dropped, the message marked
// untranslated: it must never make the message itself refused.
func asTranslation(r translate.Result) *session.Translation {
	if len(r.Text) > 2*session.MaxTextBytes || len(r.Provider) > 64 || len(r.From) > 35 || len(r.To) > 35 {
		return &session.Translation{From: trunc(r.From, 35), To: trunc(r.To, 35), Status: session.TranslationUnavailable}
	}
	return &session.Translation{Text: r.Text, From: r.From, To: r.To, Provider: r.Provider, Status: string(r.Status)}
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// enrichMessage is the store's Enrich hook: the enrich stage, with a
// message in a language the model does not know classified through a
// translation, then the translation for the chat's agent.
//
// All the translating one message waits for shares one deadline,
// translate.timeout: a provider that hangs delays the message that long
// at most, however many translations it needed.
func (n *Node) enrichMessage(ctx context.Context, m *session.Message) {
	if n.translator == nil {
		n.enrich.Enrich(ctx, m)
		return
	}
	tctx, cancel := context.WithTimeout(ctx, n.cfg.Translate.Timeout)
	defer cancel()
	if !n.understandTranslated(tctx, m) {
		n.enrich.Enrich(ctx, m)
	}
	n.translateForAgent(tctx, m)
	n.prepareFAQAnswer(tctx, m)
}

// machineAnswers is the bot's convo.MachineAnswers: nil (no interface
// value at all) unless translate.faq is on with translation.
func (n *Node) machineAnswers() convo.MachineAnswers {
	if n.translator == nil || !n.cfg.Translate.FAQ {
		return nil
	}
	n.mt = &machineAnswers{}
	return n.mt
}

// customerLang is the language a session's customer writes in: the
// message's detected language, else the chat's (as routed), else the
// widget's declared locale.
func (n *Node) customerLang(m *session.Message, routed string) string {
	switch {
	case m != nil && m.Lang != "":
		return m.Lang
	case routed != "":
		return routed
	case m != nil && m.Locale != "":
		return m.Locale
	}
	if m != nil {
		if meta, err := n.store.Get(m.Session); err == nil {
			return meta.Locale
		}
	}
	return ""
}

// translateForAgent translates a customer's message for the agent who has
// the chat when they speak none of its language.
func (n *Node) translateForAgent(ctx context.Context, m *session.Message) {
	if n.translator == nil || m.Text == "" || m.Translation != nil {
		return
	}
	routed, agentLangs, ok := n.router.ChatLanguages(m.Session)
	if !ok || len(agentLangs) == 0 {
		return
	}
	lang := n.customerLang(m, routed)
	if lang == "" || routing.Speaks(agentLangs, lang) {
		return
	}
	m.Translation = asTranslation(n.translator.Translate(ctx, m.Text, lang, agentLangs[0]))
}

// translateHistoryMsg is agentws's TranslateForAgent: a customer's
// message stored before the chat was assigned, for the agent who has it
// now (nil when they speak its language).
func (n *Node) translateHistoryMsg(ctx context.Context, m *session.Message) *session.Translation {
	c := *m
	c.Translation = nil
	n.translateForAgent(ctx, &c)
	return c.Translation
}

// translateReply is agentws's Translate: an agent's reply in the
// customer's language when the agent does not speak it.
func (n *Node) translateReply(ctx context.Context, sessionID, text string) *session.Translation {
	routed, agentLangs, ok := n.router.ChatLanguages(sessionID)
	if !ok {
		return nil
	}
	cust := routed
	if cust == "" {
		if meta, err := n.store.Get(sessionID); err == nil {
			cust = meta.Locale
		}
	}
	if cust == "" || len(agentLangs) == 0 || routing.Speaks(agentLangs, cust) {
		return nil
	}
	return asTranslation(n.translator.Translate(ctx, text, agentLangs[0], cust))
}

// agentLanguages is agentws's Languages: the staff profile's.
func (n *Node) agentLanguages(id string) []string {
	a, err := staff.NewStore(n.cfg.DataDir).ByID(id)
	if err != nil {
		return nil
	}
	return a.Languages
}

// understandTranslated classifies a message whose declared language the
// model does not know through its translation into translate.understand_via,
// and reports whether it did (the enrich stage ran on the translation).
// The stored message keeps the customer's text and language; intent,
// confidence, entities and sentiment come from the translation.
func (n *Node) understandTranslated(ctx context.Context, m *session.Message) bool {
	via := n.cfg.Translate.UnderstandVia
	if n.translator == nil || via == "" || m.Text == "" || m.Locale == "" || !n.enrich.HasModel() {
		return false
	}
	lang := langBase(m.Locale) // "" for a locale such as "-": nothing to translate from
	if lang == "" || slices.Contains(n.enrich.Model().Langs, lang) {
		return false
	}
	r := n.translator.Translate(ctx, m.Text, lang, via)
	if r.Status != translate.StatusTranslated {
		return false
	}
	tm := *m
	tm.Text = r.Text
	n.enrich.Enrich(ctx, &tm)
	m.Intent, m.Confidence, m.Entities, m.Sentiment = tm.Intent, tm.Confidence, tm.Entities, tm.Sentiment
	m.Lang = lang
	return true
}

// agentTranslateHistory is agentws's TranslateForAgent hook: nil when
// translation is off.
func (n *Node) agentTranslateHistory() func(context.Context, *session.Message) *session.Translation {
	if n.translator == nil {
		return nil
	}
	return n.translateHistoryMsg
}

// agentTranslate is agentws's Translate hook: nil when translation is off.
func (n *Node) agentTranslate() func(context.Context, string, string) *session.Translation {
	if n.translator == nil {
		return nil
	}
	return n.translateReply
}
