package convo

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/extract"
	"github.com/edgedesk/edgedesk/node/faq"
)

// flow is a compiled config.Flow.
type flow struct {
	name        string
	event       string
	timeout     time.Duration
	maxAttempts int
	steps       []*step
	done        texts
}

type step struct {
	slot    string
	kind    string
	prompt  texts
	retry   texts
	options map[string][]string
}

// texts are templates by language.
type texts map[string]*faq.Template

func compileTexts(key string, src map[string]string) (texts, error) {
	out := make(texts, len(src))
	var errs []error
	for lang, s := range src {
		t, err := faq.ParseTemplate(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.%s: %w", key, lang, err))
			continue
		}
		out[lang] = t
	}
	return out, errors.Join(errs...)
}

func compileFlow(key string, fc config.Flow) (*flow, error) {
	f := &flow{name: fc.Name, event: fc.Event, timeout: fc.Timeout, maxAttempts: fc.MaxAttempts}
	var errs []error
	var err error
	if f.done, err = compileTexts(key+".done", fc.Done); err != nil {
		errs = append(errs, err)
	}
	for i, sc := range fc.Steps {
		skey := fmt.Sprintf("%s.steps[%d]", key, i)
		s := &step{slot: sc.Slot, kind: sc.Kind, options: sc.Options}
		if s.prompt, err = compileTexts(skey+".prompt", sc.Prompt); err != nil {
			errs = append(errs, err)
		}
		if s.retry, err = compileTexts(skey+".retry", sc.Retry); err != nil {
			errs = append(errs, err)
		}
		f.steps = append(f.steps, s)
	}
	if f.maxAttempts < 1 {
		f.maxAttempts = 1
	}
	return f, errors.Join(errs...)
}

// pick returns the language of ts to speak: the first of langs it has,
// else def, else the first in order.
func (ts texts) pick(langs []string, def string) string {
	for _, l := range langs {
		if _, ok := ts[l]; ok {
			return l
		}
	}
	if _, ok := ts[def]; ok {
		return def
	}
	keys := make([]string, 0, len(ts))
	for k := range ts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

func (tu *turn) startFlow(f *flow) {
	fs := &flowState{
		Name:     f.name,
		Lang:     f.steps[0].prompt.pick(tu.langs, tu.e.bot.DefaultLanguage),
		Slots:    map[string]string{},
		Deadline: tu.t.Now.Add(f.timeout),
	}
	tu.st.Flow = fs
	tu.e.met.flows.WithLabelValues(f.name, "started").Inc()
	// Slots the opening message already holds ("I want to return order
	// #123") are filled at once.
	for fs.Step < len(f.steps) {
		s := f.steps[fs.Step]
		v, ok := tu.fromEntities(s.kind)
		if !ok {
			break
		}
		fs.Slots[s.slot] = v
		fs.Step++
	}
	tu.advance(f)
}

func (tu *turn) continueFlow(f *flow) {
	fs := tu.st.Flow
	s := f.steps[fs.Step]
	if isCancel(tu.m.Text) {
		tu.cancelFlow(f)
		return
	}
	v, ok := tu.fit(s, fs.Lang)
	if !ok {
		fs.Attempts++
		if fs.Attempts >= f.maxAttempts {
			tu.e.met.flows.WithLabelValues(f.name, "abandoned").Inc()
			if tu.e.bot.EscalateOnAbandon {
				tu.escalate(ReasonAbandoned, []string{fs.Lang})
				return
			}
			tu.st.Flow = nil
			tu.say(TextFlowCancelled, []string{fs.Lang}, "flow")
			return
		}
		fs.Deadline = tu.t.Now.Add(f.timeout)
		t := s.retry
		if _, ok := t[fs.Lang]; !ok {
			t = s.prompt
		}
		tu.ask(s, t)
		return
	}
	if s.kind == "confirm" && v == "no" {
		tu.cancelFlow(f)
		return
	}
	fs.Slots[s.slot] = v
	fs.Step++
	fs.Attempts = 0
	fs.Deadline = tu.t.Now.Add(f.timeout)
	tu.advance(f)
}

func (tu *turn) cancelFlow(f *flow) {
	lang := tu.st.Flow.Lang
	tu.st.Flow = nil
	tu.e.met.flows.WithLabelValues(f.name, "cancelled").Inc()
	tu.say(TextFlowCancelled, []string{lang}, "flow")
}

// advance asks the current step, or completes the flow.
func (tu *turn) advance(f *flow) {
	fs := tu.st.Flow
	if fs.Step < len(f.steps) {
		s := f.steps[fs.Step]
		tu.ask(s, s.prompt)
		return
	}
	tu.st.Flow = nil
	for k, v := range fs.Slots { // remembered for later answers
		switch extract.Kind(k) {
		case extract.OrderNumber, extract.TrackingNumber, extract.Email, extract.Phone:
			if tu.st.Slots == nil {
				tu.st.Slots = map[string]string{}
			}
			tu.st.Slots[k] = v
		}
	}
	lang := f.done.pick([]string{fs.Lang}, tu.e.bot.DefaultLanguage)
	if t := f.done[lang]; t != nil {
		out, _ := t.Render(tu.buf[:0], tu.vars(fs.Slots))
		tu.reply(out, lang, nil, "flow")
	}
	if f.event != "" {
		attrs := make(map[string]string, len(fs.Slots)+1)
		for k, v := range fs.Slots {
			attrs[k] = v
		}
		attrs["flow"] = f.name
		attrs["lang"] = lang
		tu.t.Notes = append(tu.t.Notes, noteOf(f.event, attrs))
	}
	tu.e.met.flows.WithLabelValues(f.name, "completed").Inc()
}

func (tu *turn) ask(s *step, t texts) {
	fs := tu.st.Flow
	lang := t.pick([]string{fs.Lang}, tu.e.bot.DefaultLanguage)
	tmpl := t[lang]
	if tmpl == nil {
		return
	}
	out, _ := tmpl.Render(tu.buf[:0], tu.vars(fs.Slots))
	opts := s.options[lang]
	if len(opts) == 0 {
		opts = s.options[tu.e.bot.DefaultLanguage]
	}
	tu.reply(out, lang, opts, "flow")
}

// fromEntities returns the message's extracted value of an extractor kind.
func (tu *turn) fromEntities(kind string) (string, bool) {
	for _, en := range tu.m.Entities {
		if en.Kind == kind {
			return en.Value, true
		}
	}
	return "", false
}

// maxTextSlot bounds a free-text answer.
const maxTextSlot = 500

// fit returns the value the message gives the step, if it fits.
func (tu *turn) fit(s *step, lang string) (string, bool) {
	text := strings.TrimSpace(tu.m.Text)
	switch s.kind {
	case "order_number", "tracking_number", "email", "phone":
		if v, ok := tu.fromEntities(s.kind); ok {
			return v, true
		}
		if en, ok := extract.Loose(text, extract.Kind(s.kind)); ok {
			return en.Value, true
		}
		return "", false
	case "choice", "text":
		if o, ok := matchOption(text, s.options); ok {
			return o, true
		}
		if s.kind == "choice" || text == "" || utf8.RuneCountInString(text) > maxTextSlot {
			return "", false
		}
		return text, true
	case "confirm":
		if opts := s.options[lang]; len(opts) == 2 {
			switch {
			case strings.EqualFold(text, opts[0]):
				return "yes", true
			case strings.EqualFold(text, opts[1]):
				return "no", true
			}
		}
		w := normWord(text)
		if w == "" { // all symbols: "👍", "+"
			w = strings.TrimSpace(text)
		}
		if yesWords[w] {
			return "yes", true
		}
		if noWords[w] {
			return "no", true
		}
	}
	return "", false
}

func matchOption(text string, options map[string][]string) (string, bool) {
	for _, list := range options {
		for _, o := range list {
			if strings.EqualFold(text, o) {
				return o, true
			}
		}
	}
	return "", false
}

// normWord lower-cases text and trims spaces and punctuation around it.
func normWord(s string) string {
	return strings.TrimFunc(strings.ToLower(s), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
	})
}

func isCancel(text string) bool { return cancelWords[normWord(text)] }

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
