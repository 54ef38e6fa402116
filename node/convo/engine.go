package convo

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/extract"
	"github.com/edgedesk/edgedesk/node/faq"
	"github.com/edgedesk/edgedesk/node/session"
)

// Reserved FAQ intents: bot texts a merchant translates like any answer.
const (
	TextFallback      = "_fallback"       // not understood
	TextHandoff       = "_handoff"        // passing to people
	TextFlowCancelled = "_flow_cancelled" // the customer cancelled a flow
	TextFlowExpired   = "_flow_expired"   // a flow lapsed
)

// NoteEscalate is the Note kind of an escalation; its attributes are
// "reason" (a Reason), "intent" and "lang".
const NoteEscalate = "escalate"

// Reason says why a conversation went to people.
type Reason string

// The reasons for an escalation.
const (
	ReasonRequested     Reason = "requested"      // the customer asked for a person
	ReasonNotUnderstood Reason = "not_understood" // the model missed N times in a row
	ReasonNegative      Reason = "negative"       // a strongly negative message
	ReasonAbandoned     Reason = "flow_abandoned" // a flow failed max_attempts times
)

// HumanLapse is how long a session handed to people stays out of the
// bot's hands when nobody releases it.
const HumanLapse = 24 * time.Hour

// pendingLapse is how long an asked-for variable is awaited.
const pendingLapse = 30 * time.Minute

// Escalation is a conversation the bot hands to people.
type Escalation struct {
	Session string
	Seq     uint64 // the customer message that led to it
	Reason  Reason
	Intent  string
	Lang    string // the language the bot was answering in
	TS      time.Time
	// Rerouted marks a chat already with people that routing lost (a
	// restart) and is asked to take again; otherwise the bot had the
	// conversation and handed it over just now, so any chat routing
	// still keeps for the session is stale (the hand-over lapsed, or the
	// customer reopened the session).
	Rerouted bool
}

// Escalator takes escalations: the routing layer. Escalate runs on the
// session store's committing goroutine, after the commit: it must not block.
type Escalator interface {
	Escalate(e Escalation)
}

// Options configures an Engine.
type Options struct {
	Bot config.Bot
	FAQ *faq.Store
	// NegativeAt is the sentiment at or below which a message escalates
	// (sentiment.StrongNegative).
	NegativeAt float32
	// Escalator takes escalations (default: they are logged and counted).
	Escalator Escalator
	// Holds, if set, reports whether the routing layer has a session's
	// chat. A session handed to people that it does not have (it forgot
	// its chats in a restart) is routed again rather than left silent.
	Holds   func(sessionID string) bool
	Logger  *slog.Logger
	Metrics *Metrics
	// Translated, if set, has FAQ answers machine-translated into the
	// customer's language when the FAQ has none in it (translated.go).
	Translated MachineAnswers
}

// Engine is the bot. Respond is its session.Options.Respond hook; it is also
// a session.NoteObserver that passes escalations on.
type Engine struct {
	bot       config.Bot
	faq       *faq.Store
	negative  float32
	esc       Escalator
	holds     func(string) bool
	log       *slog.Logger
	met       *Metrics
	flows     []*flow
	byIntent  map[string]*flow
	handoff   map[string]bool
	fallbacks map[string][]string
	mt        MachineAnswers
}

// ErrConfig wraps a bot configuration the engine cannot run.
var ErrConfig = errors.New("convo: bad bot configuration")

// New compiles the flows' templates and returns the engine. Errors name the
// configuration key.
func New(opts Options) (*Engine, error) {
	if opts.FAQ == nil {
		return nil, fmt.Errorf("%w: no FAQ store", ErrConfig)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	e := &Engine{
		bot: opts.Bot, faq: opts.FAQ, negative: opts.NegativeAt, esc: opts.Escalator, holds: opts.Holds,
		log: opts.Logger, met: opts.Metrics,
		byIntent: map[string]*flow{}, handoff: map[string]bool{},
		fallbacks: opts.Bot.LanguageFallback, mt: opts.Translated,
	}
	for _, in := range opts.Bot.HandoffIntents {
		e.handoff[in] = true
	}
	var errs []error
	for i, fc := range opts.Bot.Flows {
		f, err := compileFlow(fmt.Sprintf("bot.flows[%d]", i), fc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		e.flows = append(e.flows, f)
		for _, in := range fc.Intents {
			e.byIntent[in] = f
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return e, nil
}

// state is a session's conversation state, stored as session.Meta.Conv.
type state struct {
	Flow *flowState `json:"flow,omitempty"`
	// Pending is the FAQ intent whose answer waits for a variable the bot
	// asked for, in PendingLang, since PendingAt.
	Pending     string    `json:"pending,omitempty"`
	PendingLang string    `json:"pending_lang,omitempty"`
	PendingAt   time.Time `json:"pending_at,omitzero"`
	// Slots are values the customer gave (order number, email, …),
	// remembered for later answers.
	Slots map[string]string `json:"slots,omitempty"`
	// Misses counts messages in a row the model did not understand.
	Misses int `json:"misses,omitempty"`
	// Human is set while people have the conversation.
	Human *human `json:"human,omitempty"`
}

type human struct {
	Reason Reason    `json:"reason"`
	Since  time.Time `json:"since"`
}

type flowState struct {
	Name     string            `json:"name"`
	Step     int               `json:"step"`
	Lang     string            `json:"lang"`
	Slots    map[string]string `json:"slots,omitempty"`
	Attempts int               `json:"attempts,omitempty"`
	Deadline time.Time         `json:"deadline"`
}

// turn is one Respond call's working set.
type turn struct {
	e     *Engine
	t     *session.Turn
	m     *session.Message
	st    state
	langs []string
	buf   []byte
}

// Respond is the session store's Respond hook (see the package doc).
func (e *Engine) Respond(t *session.Turn) {
	m := t.Msg
	var buf [512]byte
	tu := &turn{e: e, t: t, m: m, buf: buf[:0]}
	if len(t.Conv) > 0 {
		if err := json.Unmarshal(t.Conv, &tu.st); err != nil {
			e.log.Error("conversation state unreadable; starting afresh", "session", m.Session, "err", err)
			tu.st = state{}
		}
	}
	locale := m.Locale
	if locale == "" {
		locale = t.Meta.Locale
	}
	tu.langs = faq.AppendChain(make([]string, 0, 8), locale, m.Lang, e.bot.DefaultLanguage, e.fallbacks)
	tu.remember()
	tu.decide()
	if len(tu.st.Slots) == 0 {
		tu.st.Slots = nil
	}
	conv, err := json.Marshal(&tu.st)
	if err != nil { // cannot happen: plain types
		e.log.Error("conversation state not stored", "session", m.Session, "err", err)
		return
	}
	if string(conv) == "{}" {
		conv = nil
	}
	t.Conv = conv
}

// Release gives a session handed to people back to the bot: the routing
// layer calls it through the store when a person closes the chat. It is a
// session.Store Update function.
func Release(m *session.Meta) error {
	if len(m.Conv) == 0 {
		return nil
	}
	var st state
	if err := json.Unmarshal(m.Conv, &st); err != nil {
		return err
	}
	st.Human, st.Misses = nil, 0
	conv, err := json.Marshal(&st)
	if err != nil {
		return err
	}
	m.Conv = conv
	return nil
}

// Handed reports whether the session's conversation is with people.
func Handed(m *session.Meta) bool {
	var st state
	return len(m.Conv) > 0 && json.Unmarshal(m.Conv, &st) == nil && st.Human != nil
}

// remember keeps the values the message carries for later answers.
func (tu *turn) remember() {
	for _, en := range tu.m.Entities {
		switch extract.Kind(en.Kind) {
		case extract.OrderNumber, extract.TrackingNumber, extract.Email, extract.Phone:
			if tu.st.Slots == nil {
				tu.st.Slots = map[string]string{}
			}
			tu.st.Slots[en.Kind] = en.Value
		}
	}
}

func (tu *turn) decide() {
	e, m, st, now := tu.e, tu.m, &tu.st, tu.t.Now
	if st.Human != nil {
		if now.Sub(st.Human.Since) < HumanLapse && !tu.t.Reopened {
			if e.holds != nil && !e.holds(m.Session) {
				// Routing lost the chat (a restart): route it again,
				// quietly; the customer was already told.
				tu.t.Notes = append(tu.t.Notes, session.Note{Kind: NoteEscalate, Attrs: map[string]string{
					"reason": string(st.Human.Reason), "intent": m.Intent, "lang": firstOr(tu.langs, ""), "rerouted": "1",
				}})
				e.met.escalations.WithLabelValues("rerouted").Inc()
			}
			e.met.answers.WithLabelValues("held_for_human").Inc()
			return
		}
		st.Human = nil
	}
	// After an ask, a reply without a word ("55512") answers it, whatever
	// intent the model made of the digits.
	understood := m.Intent != "" && m.Intent != "oos" && (st.Pending == "" || hasLetter(m.Text))
	if understood && e.handoff[m.Intent] {
		tu.escalate(ReasonRequested, tu.langs)
		return
	}
	if e.bot.EscalateOnNegative && m.Sentiment != 0 && m.Sentiment <= e.negative {
		tu.escalate(ReasonNegative, tu.langs)
		return
	}
	if st.Flow != nil {
		f := e.findFlow(st.Flow.Name)
		switch {
		case f == nil || st.Flow.Step >= len(f.steps): // flow removed from the configuration
			st.Flow = nil
		case now.After(st.Flow.Deadline):
			lang := st.Flow.Lang
			st.Flow = nil
			e.met.flows.WithLabelValues(f.name, "expired").Inc()
			tu.say(TextFlowExpired, []string{lang}, "flow_expired")
		default:
			if st.Flow.Slots == nil {
				st.Flow.Slots = map[string]string{}
			}
			tu.continueFlow(f)
			return
		}
	}
	if st.Pending != "" {
		intent, lang, at := st.Pending, st.PendingLang, st.PendingAt
		st.Pending, st.PendingLang, st.PendingAt = "", "", time.Time{}
		if now.Sub(at) < pendingLapse && (!understood || intent == m.Intent) {
			if a, ok := e.faq.Lookup(intent, []string{lang}); ok {
				if v, ok := tu.fillFromMessage(a); ok {
					tu.st.Slots[v.kind] = v.value
					tu.answer(a, "faq")
					st.Misses = 0
					return
				}
			}
		}
	}
	if !understood {
		if m.Intent == "" && m.Confidence == 0 {
			// The model did not run (it failed or ran out of time under
			// load): the node was busy, the customer was not misunderstood,
			// so this is no step towards an escalation.
			tu.say(TextFallback, tu.langs, "unclassified")
			return
		}
		st.Misses++
		if n := e.bot.EscalateAfterNotUnderstood; n > 0 && st.Misses >= n {
			tu.escalate(ReasonNotUnderstood, tu.langs)
			return
		}
		tu.say(TextFallback, tu.langs, "fallback")
		return
	}
	st.Misses = 0
	if f := e.byIntent[m.Intent]; f != nil {
		tu.startFlow(f)
		return
	}
	a, ok := e.faq.Lookup(m.Intent, tu.langs)
	if !ok {
		e.met.missing.Inc()
		tu.say(TextFallback, tu.langs, "fallback")
		return
	}
	// The intent says what the message is about, so a value it carries
	// without its keyword fills the answer: "48213 numaralı siparişim
	// nerede", "48213番の注文" put the number before the word for order.
	if v, ok := tu.fillFromMessage(a); ok && !yearLike(v.value) {
		tu.st.Slots[v.kind] = v.value
	}
	if mt, provider, ok := tu.machine(a); ok {
		tu.answerTranslated(a, mt, provider)
		return
	}
	tu.answer(a, "faq")
}

// hasLetter reports whether text has a letter.
func hasLetter(text string) bool {
	for _, r := range text {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// yearLike reports whether a value read without its keyword is more
// likely a year than an order ("ordered in 2024").
func yearLike(v string) bool {
	if len(v) != 4 {
		return false
	}
	n, err := strconv.Atoi(v)
	return err == nil && n >= 1900 && n <= 2099
}

type slotValue struct{ kind, value string }

// fillFromMessage finds, in a message that answers an Ask, the extracted
// variable the answer lacks.
func (tu *turn) fillFromMessage(a *faq.Answer) (slotValue, bool) {
	for _, v := range a.Tmpl.Vars() {
		k := extract.Kind(v)
		switch k {
		case extract.OrderNumber, extract.TrackingNumber, extract.Email, extract.Phone:
			if _, have := tu.st.Slots[v]; have {
				continue
			}
			if en, ok := extract.Loose(tu.m.Text, k); ok {
				if tu.st.Slots == nil {
					tu.st.Slots = map[string]string{}
				}
				return slotValue{v, en.Value}, true
			}
		}
	}
	return slotValue{}, false
}

// answer renders an FAQ answer, or its Ask when a variable is missing.
func (tu *turn) answer(a *faq.Answer, kind string) {
	lookup := tu.vars(nil)
	out, ok := a.Tmpl.Render(tu.buf[:0], lookup)
	if !ok {
		if a.AskTmpl == nil {
			tu.say(TextFallback, tu.langs, "fallback")
			return
		}
		out, ok = a.AskTmpl.Render(tu.buf[:0], lookup)
		if !ok {
			tu.say(TextFallback, tu.langs, "fallback")
			return
		}
		tu.st.Pending, tu.st.PendingLang, tu.st.PendingAt = a.Intent, a.Lang, tu.t.Now
		kind = "ask"
	}
	tu.reply(withLinks(out, a.Links), a.Lang, a.QuickReplies, kind)
}

// say answers with one of the reserved bot texts.
func (tu *turn) say(intent string, langs []string, kind string) {
	a, ok := tu.e.faq.Lookup(intent, langs)
	if !ok {
		a, ok = tu.e.faq.Lookup(intent, []string{tu.e.bot.DefaultLanguage})
	}
	if !ok {
		// The FAQ lacks the reserved text: say nothing rather than
		// something the merchant did not write.
		tu.e.met.missing.Inc()
		return
	}
	out, _ := a.Tmpl.Render(tu.buf[:0], tu.vars(nil))
	tu.reply(withLinks(out, a.Links), a.Lang, a.QuickReplies, kind)
}

func (tu *turn) reply(text []byte, lang string, quick []string, kind string) {
	if len(text) == 0 {
		return
	}
	tu.t.Replies = append(tu.t.Replies, session.Message{
		From:         session.FromBot,
		Text:         string(text),
		Lang:         lang,
		Intent:       tu.m.Intent,
		Confidence:   tu.m.Confidence,
		QuickReplies: quick,
	})
	tu.e.met.answers.WithLabelValues(kind).Inc()
}

func (tu *turn) escalate(r Reason, langs []string) {
	st := &tu.st
	lang := ""
	if st.Flow != nil {
		lang = st.Flow.Lang
		langs = []string{lang}
		tu.e.met.flows.WithLabelValues(st.Flow.Name, "escalated").Inc()
		st.Flow = nil
	}
	st.Human = &human{Reason: r, Since: tu.t.Now}
	st.Pending, st.PendingLang, st.PendingAt, st.Misses = "", "", time.Time{}, 0
	n := len(tu.t.Replies)
	tu.say(TextHandoff, langs, "handoff")
	if len(tu.t.Replies) > n {
		lang = tu.t.Replies[n].Lang
	} else if lang == "" && len(langs) > 0 {
		lang = langs[0]
	}
	tu.t.Notes = append(tu.t.Notes, session.Note{Kind: NoteEscalate, Attrs: map[string]string{
		"reason": string(r), "intent": tu.m.Intent, "lang": lang,
	}})
	tu.e.met.escalations.WithLabelValues(string(r)).Inc()
}

// OnMessage makes the Engine a session.Observer; it has nothing to do.
func (e *Engine) OnMessage(*session.Message) {}

// OnNote passes escalations to the Escalator.
func (e *Engine) OnNote(n *session.Note) {
	if n.Kind != NoteEscalate {
		return
	}
	esc := Escalation{Session: n.Session, Seq: n.Seq, Reason: Reason(n.Attrs["reason"]), Intent: n.Attrs["intent"], Lang: n.Attrs["lang"], TS: n.TS,
		Rerouted: n.Attrs["rerouted"] != ""}
	if e.esc == nil {
		e.log.Info("conversation handed to people (no router: it waits for an agent)", "session", esc.Session, "reason", esc.Reason, "lang", esc.Lang)
		return
	}
	e.esc.Escalate(esc)
}

// vars returns the template variable lookup: slots (extra first), the
// customer's name, and local time in the session's time zone.
func (tu *turn) vars(extra map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		if v, ok := extra[name]; ok && v != "" {
			return v, true
		}
		if v, ok := tu.st.Slots[name]; ok && v != "" {
			return v, true
		}
		switch name {
		case "name":
			n := tu.t.Meta.Customer.Name
			return n, n != ""
		case "local_time", "local_date", "local_weekday":
			loc := location(tu.t.Meta.TZ)
			if tu.m.TZ != "" {
				loc = location(tu.m.TZ)
			}
			if loc == nil {
				return "", false
			}
			now := tu.t.Now.In(loc)
			switch name {
			case "local_time":
				return now.Format("15:04"), true
			case "local_date":
				return now.Format("2006-01-02"), true
			default:
				return now.Weekday().String(), true
			}
		}
		return "", false
	}
}

var locations sync.Map // IANA name → *time.Location (nil when unknown)

// location loads a time zone once; LoadLocation reads the tz database.
func location(name string) *time.Location {
	if name == "" {
		return nil
	}
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		l = nil
	}
	locations.Store(name, l)
	return l
}

func withLinks(text []byte, links []faq.Link) []byte {
	for _, l := range links {
		text = append(text, '\n')
		text = append(text, l.Title...)
		text = append(text, ": "...)
		text = append(text, l.URL...)
	}
	return text
}

func (e *Engine) findFlow(name string) *flow {
	for _, f := range e.flows {
		if f.name == name {
			return f
		}
	}
	return nil
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

// SetEscalator sets where escalations go and how to ask whether the
// routing layer still has a chat (see Options.Holds). Call it before
// customer messages flow (the node wires the router in after the store it
// needs is open).
func (e *Engine) SetEscalator(esc Escalator, holds func(string) bool) { e.esc, e.holds = esc, holds }
