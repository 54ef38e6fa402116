package convo

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/faq"
	"github.com/edgedesk/edgedesk/node/session"
)

// newEngine returns an engine over the demo FAQ with the default bot
// configuration (edited by mod).
func newEngine(t testing.TB, mod func(*config.Bot)) *Engine {
	t.Helper()
	st, err := faq.Open(filepath.Join(t.TempDir(), "faq.db"), faq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Import(bytes.NewReader(faq.Demo), faq.JSONL); err != nil {
		t.Fatal(err)
	}
	bot := config.Default().Bot
	if mod != nil {
		mod(&bot)
	}
	e, err := New(Options{Bot: bot, FAQ: st, NegativeAt: -0.5})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// chat drives an engine the way the session store does: one Turn per
// customer message, with the conversation state carried over.
type chat struct {
	t     testing.TB
	e     *Engine
	meta  session.Meta
	now   time.Time
	seq   uint64
	notes []session.Note
}

func newChat(t testing.TB, e *Engine, locale string) *chat {
	return &chat{t: t, e: e, meta: session.Meta{ID: "s_test", Locale: locale, TZ: "America/Mexico_City"},
		now: time.Date(2026, 11, 21, 15, 4, 0, 0, time.UTC)}
}

// msg is what Enrich would have made of a customer's message.
type msg struct {
	text, intent, lang string
	conf               float32
	entities           []session.Entity
	sentiment          float32
	reopened           bool
}

func (c *chat) send(m msg) []session.Message {
	c.t.Helper()
	c.seq++
	cm := session.Message{Session: c.meta.ID, Seq: c.seq, From: session.FromCustomer, Text: m.text, Intent: m.intent,
		Confidence: m.conf, Lang: m.lang, Locale: c.meta.Locale, Entities: m.entities, Sentiment: m.sentiment, TS: c.now}
	meta := c.meta
	turn := session.Turn{Meta: &meta, Msg: &cm, Now: c.now, Conv: c.meta.Conv, Reopened: m.reopened}
	c.e.Respond(&turn)
	c.meta.Conv = turn.Conv
	if turn.Conv != nil && !json.Valid(turn.Conv) {
		c.t.Fatalf("state %q is not JSON", turn.Conv)
	}
	c.seq += uint64(len(turn.Replies))
	c.notes = append(c.notes, turn.Notes...)
	return turn.Replies
}

func (c *chat) one(m msg) session.Message {
	c.t.Helper()
	r := c.send(m)
	if len(r) != 1 {
		c.t.Fatalf("%q: %d replies %+v, want 1", m.text, len(r), r)
	}
	return r[0]
}

func (c *chat) state() state {
	var st state
	if len(c.meta.Conv) > 0 {
		json.Unmarshal(c.meta.Conv, &st)
	}
	return st
}

func demoText(t testing.TB, e *Engine, intent, lang string, vars map[string]string) string {
	t.Helper()
	a, ok := e.faq.Lookup(intent, []string{lang})
	if !ok {
		t.Fatalf("no %s/%s in the demo", intent, lang)
	}
	out, ok := a.Tmpl.Render(nil, func(n string) (string, bool) { v, ok := vars[n]; return v, ok })
	if !ok {
		t.Fatalf("%s/%s needs more than %v", intent, lang, vars)
	}
	return string(withLinks(out, a.Links))
}

func order(v string) []session.Entity { return []session.Entity{{Kind: "order_number", Value: v}} }

func TestAnswerInCustomersLanguage(t *testing.T) {
	e := newEngine(t, nil)
	for _, tc := range []struct{ locale, lang, want string }{
		{"es-MX", "es", "es"},
		{"en-US", "es", "es"}, // writes Spanish under an English locale: Spanish wins
		{"zh-CN", "zh", "zh"},
		{"fr-FR", "fr", "fr"},
		{"zh-TW", "zh-Hant", "zh-Hant"},
		{"sv-SE", "sv", "en"}, // no Swedish entries: the merchant's default
		{"", "", "en"},
	} {
		c := newChat(t, e, tc.locale)
		r := c.one(msg{text: "?", intent: "track_order", conf: 0.9, lang: tc.lang, entities: order("A123")})
		if r.Lang != tc.want || r.Text != demoText(t, e, "track_order", tc.want, map[string]string{"order_number": "A123"}) {
			t.Errorf("%s writing %s: answered %q in %s, want %s", tc.locale, tc.lang, r.Text, r.Lang, tc.want)
		}
		if r.From != session.FromBot || r.Intent != "track_order" || r.Confidence != 0.9 {
			t.Errorf("reply fields %+v", r)
		}
	}
}

func TestAskThenAnswer(t *testing.T) {
	e := newEngine(t, nil)
	c := newChat(t, e, "en-US")
	r := c.one(msg{text: "where is my order", intent: "track_order", conf: 0.9, lang: "en"})
	a, _ := e.faq.Lookup("track_order", []string{"en"})
	if !strings.HasPrefix(r.Text, a.Ask) {
		t.Fatalf("ask = %q, want %q", r.Text, a.Ask)
	}
	if c.state().Pending != "track_order" {
		t.Fatalf("state %+v", c.state())
	}
	// The bare number does not classify, but answers the question.
	r = c.one(msg{text: "55123", intent: "oos", conf: 0.2, lang: "en"})
	if r.Text != demoText(t, e, "track_order", "en", map[string]string{"order_number": "55123"}) {
		t.Fatalf("answer = %q", r.Text)
	}
	if st := c.state(); st.Pending != "" || st.Slots["order_number"] != "55123" || st.Misses != 0 {
		t.Fatalf("state after answer %+v", st)
	}
	// Remembered: the next question about the order needs no number.
	r = c.one(msg{text: "where's my order now?", intent: "track_order", conf: 0.9, lang: "en"})
	if !strings.Contains(r.Text, "55123") {
		t.Fatalf("remembered number not used: %q", r.Text)
	}
}

func TestPendingLapses(t *testing.T) {
	e := newEngine(t, nil)
	c := newChat(t, e, "en-US")
	c.one(msg{text: "where is my order", intent: "track_order", conf: 0.9, lang: "en"})
	c.now = c.now.Add(pendingLapse + time.Minute)
	r := c.one(msg{text: "55123", intent: "oos", conf: 0.2, lang: "en"})
	if r.Text != demoText(t, e, TextFallback, "en", nil) {
		t.Fatalf("after the lapse a bare number is not understood: %q", r.Text)
	}
}

func TestNotUnderstoodTwiceEscalates(t *testing.T) {
	e := newEngine(t, nil)
	c := newChat(t, e, "es-MX")
	if r := c.one(msg{text: "blorp", intent: "oos", lang: "es"}); r.Text != demoText(t, e, TextFallback, "es", nil) {
		t.Fatalf("first miss %q", r.Text)
	}
	// An understood message in between resets the count.
	c.one(msg{text: "gracias", intent: "thanks", conf: 0.9, lang: "es"})
	c.one(msg{text: "blorp", intent: "oos", lang: "es"})
	if len(c.notes) != 0 {
		t.Fatalf("escalated early: %+v", c.notes)
	}
	// A message the model could not classify (timeout) is no miss.
	if r := c.one(msg{text: "blorp blorp"}); r.Text != demoText(t, e, TextFallback, "es", nil) || len(c.notes) != 0 {
		t.Fatalf("unclassified: %q, notes %+v", r.Text, c.notes)
	}
	r := c.one(msg{text: "blorp blorp", intent: "", conf: 0.3, lang: "es"})
	if r.Text != demoText(t, e, TextHandoff, "es", nil) || r.Lang != "es" {
		t.Fatalf("handoff %q", r.Text)
	}
	if len(c.notes) != 1 || c.notes[0].Kind != NoteEscalate || c.notes[0].Attrs["reason"] != "not_understood" || c.notes[0].Attrs["lang"] != "es" {
		t.Fatalf("notes %+v", c.notes)
	}
	// With people now: quiet, whatever comes.
	if r := c.send(msg{text: "hola", intent: "greeting", conf: 0.9, lang: "es"}); len(r) != 0 {
		t.Fatalf("bot answered a handed-over chat: %+v", r)
	}
	// Reopening after bye, Release, or the lapse gives it back to the bot.
	if r := c.send(msg{text: "hola", intent: "greeting", conf: 0.9, lang: "es", reopened: true}); len(r) != 1 {
		t.Fatal("reopened chat still held")
	}
}

func TestReleaseAndLapse(t *testing.T) {
	e := newEngine(t, nil)
	c := newChat(t, e, "en")
	c.one(msg{text: "agent please", intent: "talk_to_human", conf: 0.9, lang: "en"})
	if !Handed(&c.meta) {
		t.Fatal("not handed over")
	}
	if err := Release(&c.meta); err != nil || Handed(&c.meta) {
		t.Fatalf("Release: %v", err)
	}
	c.one(msg{text: "hi", intent: "greeting", conf: 0.9, lang: "en"})
	c.one(msg{text: "agent please", intent: "talk_to_human", conf: 0.9, lang: "en"})
	c.now = c.now.Add(HumanLapse + time.Second)
	c.one(msg{text: "hi", intent: "greeting", conf: 0.9, lang: "en"})
}

func TestNegativeEscalates(t *testing.T) {
	e := newEngine(t, nil)
	c := newChat(t, e, "zh-CN")
	c.one(msg{text: "太差了，骗子", intent: "complaint", conf: 0.9, lang: "zh", sentiment: -0.8})
	if len(c.notes) != 1 || c.notes[0].Attrs["reason"] != "negative" {
		t.Fatalf("notes %+v", c.notes)
	}
	e = newEngine(t, func(b *config.Bot) { b.EscalateOnNegative = false })
	c = newChat(t, e, "zh-CN")
	c.one(msg{text: "太差了，骗子", intent: "complaint", conf: 0.9, lang: "zh", sentiment: -0.8})
	if len(c.notes) != 0 {
		t.Fatalf("escalated with escalate_on_negative off: %+v", c.notes)
	}
}

func TestReturnFlow(t *testing.T) {
	e := newEngine(t, nil)
	c := newChat(t, e, "en-GB")
	r := c.one(msg{text: "I want to return something", intent: "return_refund", conf: 0.9, lang: "en"})
	if !strings.Contains(r.Text, "order number") {
		t.Fatalf("start %q", r.Text)
	}
	r = c.one(msg{text: "hmm", intent: "oos", lang: "en"})
	if !strings.Contains(r.Text, "doesn't look like an order number") {
		t.Fatalf("retry %q", r.Text)
	}
	r = c.one(msg{text: "it's 80211", intent: "oos", lang: "en"})
	if !strings.Contains(r.Text, "80211") || len(r.QuickReplies) != 4 {
		t.Fatalf("reason question %+v", r)
	}
	r = c.one(msg{text: "the zip broke after one day", intent: "complaint", conf: 0.6, lang: "en"})
	if !strings.Contains(r.Text, "the zip broke after one day") || r.QuickReplies[0] != "Yes" {
		t.Fatalf("confirm %+v", r)
	}
	r = c.one(msg{text: "yes!", intent: "oos", lang: "en"})
	if !strings.Contains(r.Text, "return requested for order 80211") {
		t.Fatalf("done %q", r.Text)
	}
	if len(c.notes) != 1 || c.notes[0].Kind != "return_requested" || c.notes[0].Attrs["order_number"] != "80211" ||
		c.notes[0].Attrs["reason"] != "the zip broke after one day" || c.notes[0].Attrs["confirm"] != "yes" {
		t.Fatalf("event %+v", c.notes)
	}
	if st := c.state(); st.Flow != nil || st.Slots["order_number"] != "80211" {
		t.Fatalf("state after the flow %+v", st)
	}
}

func TestFlowPrefilledFromOpeningMessage(t *testing.T) {
	e := newEngine(t, nil)
	c := newChat(t, e, "zh-CN")
	r := c.one(msg{text: "我要退货，订单号 99812", intent: "return_refund", conf: 0.9, lang: "zh", entities: order("99812")})
	if !strings.Contains(r.Text, "99812") || r.Lang != "zh" || r.QuickReplies[0] != "商品损坏" {
		t.Fatalf("should skip to the reason: %+v", r)
	}
}

func TestFlowCancelAbandonExpire(t *testing.T) {
	start := func(t *testing.T, e *Engine) *chat {
		c := newChat(t, e, "en-US")
		c.one(msg{text: "refund please", intent: "return_refund", conf: 0.9, lang: "en"})
		return c
	}
	t.Run("cancel", func(t *testing.T) {
		e := newEngine(t, nil)
		c := start(t, e)
		if r := c.one(msg{text: "Never mind.", intent: "oos", lang: "en"}); r.Text != demoText(t, e, TextFlowCancelled, "en", nil) {
			t.Fatalf("cancel %q", r.Text)
		}
		if c.state().Flow != nil || len(c.notes) != 0 {
			t.Fatal("flow still running or escalated after cancel")
		}
	})
	t.Run("no at confirmation", func(t *testing.T) {
		e := newEngine(t, nil)
		c := start(t, e)
		c.one(msg{text: "#55555", entities: order("55555")})
		c.one(msg{text: "Wrong item"})
		if r := c.one(msg{text: "No"}); r.Text != demoText(t, e, TextFlowCancelled, "en", nil) || len(c.notes) != 0 {
			t.Fatalf("no → %q, notes %+v", r.Text, c.notes)
		}
	})
	t.Run("abandon escalates", func(t *testing.T) {
		e := newEngine(t, nil)
		c := start(t, e)
		c.one(msg{text: "what?"})
		c.one(msg{text: "I don't know"})
		r := c.one(msg{text: "?"}) // third misfit: max_attempts 3
		if r.Text != demoText(t, e, TextHandoff, "en", nil) || len(c.notes) != 1 || c.notes[0].Attrs["reason"] != "flow_abandoned" {
			t.Fatalf("abandon → %q, notes %+v", r.Text, c.notes)
		}
	})
	t.Run("abandon without escalation", func(t *testing.T) {
		e := newEngine(t, func(b *config.Bot) { b.EscalateOnAbandon = false })
		c := start(t, e)
		c.one(msg{text: "what?"})
		c.one(msg{text: "I don't know"})
		if r := c.one(msg{text: "?"}); r.Text != demoText(t, e, TextFlowCancelled, "en", nil) || len(c.notes) != 0 {
			t.Fatalf("abandon → %q, notes %+v", r.Text, c.notes)
		}
	})
	t.Run("expire", func(t *testing.T) {
		e := newEngine(t, nil)
		c := start(t, e)
		c.now = c.now.Add(31 * time.Minute)
		r := c.send(msg{text: "thanks", intent: "thanks", conf: 0.9, lang: "en"})
		if len(r) != 2 || r[0].Text != demoText(t, e, TextFlowExpired, "en", nil) || r[1].Text != demoText(t, e, "thanks", "en", nil) {
			t.Fatalf("expire → %+v", r)
		}
		if c.state().Flow != nil {
			t.Fatal("flow survived its timeout")
		}
	})
	t.Run("handoff request inside a flow", func(t *testing.T) {
		e := newEngine(t, nil)
		c := start(t, e)
		c.one(msg{text: "let me talk to a human", intent: "talk_to_human", conf: 0.9, lang: "en"})
		if len(c.notes) != 1 || c.notes[0].Attrs["reason"] != "requested" || c.state().Flow != nil {
			t.Fatalf("notes %+v state %+v", c.notes, c.state())
		}
	})
}

func TestTemplateSessionVariables(t *testing.T) {
	e := newEngine(t, nil)
	c := newChat(t, e, "en-US")
	c.meta.Customer.Name = "Ana"
	tu := &turn{e: e, m: &session.Message{}, t: &session.Turn{Meta: &c.meta, Msg: &session.Message{}, Now: c.now}}
	look := tu.vars(map[string]string{"reason": "late"})
	for name, want := range map[string]string{"name": "Ana", "local_time": "09:04", "local_date": "2026-11-21", "local_weekday": "Saturday", "reason": "late"} {
		if got, ok := look(name); !ok || got != want {
			t.Errorf("%s = %q %v, want %q", name, got, ok, want)
		}
	}
	c.meta.TZ = "Not/AZone"
	if _, ok := tu.vars(nil)("local_time"); ok {
		t.Error("local_time with an unknown zone")
	}
}

func TestBadConfigNamesKey(t *testing.T) {
	st, _ := faq.Open(filepath.Join(t.TempDir(), "faq.db"), faq.Options{})
	defer st.Close()
	bot := config.Default().Bot
	bot.Flows[0].Steps[1].Prompt = map[string]string{"en": "Why {{reason"}
	_, err := New(Options{Bot: bot, FAQ: st})
	if err == nil || !strings.Contains(err.Error(), "bot.flows[0].steps[1].prompt.en") {
		t.Fatalf("err = %v", err)
	}
}

func TestCorruptStateStartsAfresh(t *testing.T) {
	e := newEngine(t, nil)
	c := newChat(t, e, "en")
	c.meta.Conv = json.RawMessage(`{"flow":`)
	if r := c.one(msg{text: "hi", intent: "greeting", conf: 0.9, lang: "en"}); r.Text == "" {
		t.Fatal("no answer")
	}
}

// BenchmarkRespond is the bot's cost on the committer per customer
// message: state decode, FAQ lookup, render, state encode.
func BenchmarkRespond(b *testing.B) {
	e := newEngine(b, nil)
	c := newChat(b, e, "es-MX")
	m := session.Message{Session: "s_test", From: session.FromCustomer, Text: "¿Dónde está mi pedido 48213?", Intent: "track_order", Confidence: 0.9, Lang: "es", Locale: "es-MX", Entities: order("48213")}
	b.ReportAllocs()
	for b.Loop() {
		meta := c.meta
		turn := session.Turn{Meta: &meta, Msg: &m, Now: c.now, Conv: c.meta.Conv}
		e.Respond(&turn)
		if len(turn.Replies) != 1 {
			b.Fatal("no answer")
		}
	}
}

// BenchmarkFAQLookup is the FAQ lookup alone, for a customer whose chain
// reaches the entry at its second language (es-MX → es).
func BenchmarkFAQLookup(b *testing.B) {
	e := newEngine(b, nil)
	langs := faq.Chain("es-MX", "es", "en", nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := e.faq.Lookup("track_order", langs); !ok {
			b.Fatal("miss")
		}
	}
}

func TestHandedChatRoutedAgainWhenRouterForgot(t *testing.T) {
	e := newEngine(t, nil)
	holds := false
	e.SetEscalator(nil, func(string) bool { return holds })
	c := newChat(t, e, "en")
	c.one(msg{text: "agent please", intent: "talk_to_human", conf: 0.9, lang: "en"})
	if len(c.notes) != 1 || c.notes[0].Attrs["rerouted"] != "" {
		t.Fatalf("a fresh hand-over is marked re-routed: %+v", c.notes)
	}
	c.notes = nil
	// The router lost the chat (a restart): routed again, quietly.
	if r := c.send(msg{text: "hello?", intent: "greeting", conf: 0.9, lang: "en"}); len(r) != 0 {
		t.Fatalf("bot spoke in a handed-over chat: %+v", r)
	}
	if len(c.notes) != 1 || c.notes[0].Kind != NoteEscalate || c.notes[0].Attrs["reason"] != "requested" || c.notes[0].Attrs["rerouted"] == "" {
		t.Fatalf("notes %+v", c.notes)
	}
	holds, c.notes = true, nil
	c.send(msg{text: "hello?", intent: "greeting", conf: 0.9, lang: "en"})
	if len(c.notes) != 0 {
		t.Fatalf("routed again though the router has it: %+v", c.notes)
	}
}

// TestOrderNumberBeforeItsKeyword: in languages that put the number first
// ("48213 numaralı siparişim nerede"), the number still fills the answer.
func TestOrderNumberBeforeItsKeyword(t *testing.T) {
	e := newEngine(t, nil)
	c := newChat(t, e, "en-US")
	r := c.one(msg{text: "48213 numaralı siparişim nerede", intent: "track_order", conf: 0.9, lang: "en"})
	if want := demoText(t, e, "track_order", "en", map[string]string{"order_number": "48213"}); r.Text != want {
		t.Fatalf("answered %q, want %q", r.Text, want)
	}
	// A year is not an order number.
	c = newChat(t, e, "en-US")
	if r := c.one(msg{text: "my order from 2024 never came", intent: "track_order", conf: 0.9, lang: "en"}); !strings.Contains(r.Text, "order number") {
		t.Fatalf("answered %q, want the ask for the order number", r.Text)
	}
	// A message with no number still asks for it.
	c = newChat(t, e, "en-US")
	if r := c.one(msg{text: "where is my parcel, I ordered on 2026-11-03", intent: "track_order", conf: 0.9, lang: "en"}); !strings.Contains(r.Text, "order number") {
		t.Fatalf("answered %q, want the ask for the order number", r.Text)
	}
}

// TestConfirmWords: the confirmation reads yes and no in the default
// model's languages, symbols included, and a word that means yes in one
// language and no in another in neither.
func TestConfirmWords(t *testing.T) {
	s := &step{kind: "confirm"}
	for text, want := range map[string]string{
		"👍": "yes", "+": "yes", "Oui": "yes", "ja": "yes", "да": "yes", "evet": "yes", "はい": "yes", "네": "yes",
		"是的": "yes", "ใช่ค่ะ": "yes", "có": "yes", "ya": "yes", "👎": "no", "non": "no", "nein": "no", "нет": "no",
		"hayır": "no", "いいえ": "no", "아니요": "no", "不用了": "no", "không": "no", "k": "",
	} {
		tu := &turn{m: &session.Message{Text: text}}
		got, ok := tu.fit(s, "en")
		if want == "" {
			if ok {
				t.Errorf("%q read as %q", text, got)
			}
			continue
		}
		if !ok || got != want {
			t.Errorf("%q read as %q (%v), want %s", text, got, ok, want)
		}
	}
}

// TestBareNumberAnswersTheAsk: a bare number after the bot asked for the
// order number answers the ask, whatever intent the model gives it.
func TestBareNumberAnswersTheAsk(t *testing.T) {
	e := newEngine(t, nil)
	c := newChat(t, e, "en-US")
	if r := c.one(msg{text: "where is my order?", intent: "track_order", conf: 0.99, lang: "en"}); !strings.Contains(r.Text, "order number") {
		t.Fatalf("answered %q, want the ask", r.Text)
	}
	r := c.one(msg{text: "55512", intent: "talk_to_human", conf: 0.83, lang: "en"})
	if want := demoText(t, e, "track_order", "en", map[string]string{"order_number": "55512"}); r.Text != want {
		t.Fatalf("answered %q, want %q", r.Text, want)
	}
}
