package convo

import (
	"strings"

	"github.com/edgedesk/edgedesk/node/faq"
	"github.com/edgedesk/edgedesk/node/session"
)

// MachineAnswers are FAQ answers machine-translated into a language the
// FAQ has no entry in. The node prepares them before a message is
// committed (in the enrich stage, bounded by translate.timeout), so the
// committer only looks one up and never waits for a provider.
type MachineAnswers interface {
	// MachineAnswer returns the prepared translation of orig into lang
	// and the provider that made it; ok is false when none was prepared.
	MachineAnswer(orig *faq.Answer, lang string) (a *faq.Answer, provider string, ok bool)
}

// customerLang is the language the customer writes in: the message's
// detected language, else the locale.
func (tu *turn) customerLang() string {
	if tu.m.Lang != "" {
		return tu.m.Lang
	}
	if tu.m.Locale != "" {
		return tu.m.Locale
	}
	return tu.t.Meta.Locale
}

func langBase(tag string) string {
	tag = strings.ToLower(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		return tag[:i]
	}
	return tag
}

// machine returns the prepared machine translation of a, an answer in
// another language than the customer's.
func (tu *turn) machine(a *faq.Answer) (*faq.Answer, string, bool) {
	if tu.e.mt == nil {
		return nil, "", false
	}
	want := tu.customerLang()
	if want == "" || langBase(a.Lang) == langBase(want) {
		return nil, "", false
	}
	return tu.e.mt.MachineAnswer(a, want)
}

// answerTranslated answers with a machine-translated FAQ answer: the
// stored reply's Text is the merchant's answer as written, its
// Translation the customer's language (marked machine-translated: its
// Provider). When the translation cannot be rendered (it lost a
// variable) the merchant's answer goes alone.
func (tu *turn) answerTranslated(orig, mt *faq.Answer, provider string) {
	lookup := tu.vars(nil)
	tmpl, mtTmpl, kind := orig.Tmpl, mt.Tmpl, "faq"
	if _, ok := orig.Tmpl.Render(nil, lookup); !ok {
		if orig.AskTmpl == nil || mt.AskTmpl == nil {
			tu.answer(orig, "faq")
			return
		}
		tmpl, mtTmpl, kind = orig.AskTmpl, mt.AskTmpl, "ask"
	}
	out, ok := tmpl.Render(tu.buf[:0], lookup)
	if !ok {
		tu.answer(orig, "faq")
		return
	}
	text := string(withLinks(out, orig.Links))
	translated, ok := mtTmpl.Render(nil, lookup)
	if !ok {
		tu.answer(orig, "faq")
		return
	}
	if kind == "ask" {
		tu.st.Pending, tu.st.PendingLang, tu.st.PendingAt = orig.Intent, mt.Lang, tu.t.Now
	}
	tu.t.Replies = append(tu.t.Replies, session.Message{
		From:         session.FromBot,
		Text:         text,
		Lang:         mt.Lang,
		Intent:       tu.m.Intent,
		Confidence:   tu.m.Confidence,
		QuickReplies: mt.QuickReplies,
		Translation: &session.Translation{Text: string(withLinks(translated, orig.Links)), From: orig.Lang, To: mt.Lang,
			Provider: provider, Status: session.TranslationDone},
	})
	tu.e.met.answers.WithLabelValues(kind).Inc()
}
