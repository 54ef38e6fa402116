package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Bot configures the bot that answers customers from the FAQ, runs flows
// and hands conversations to people.
type Bot struct {
	// Enabled answers customer messages (it needs model.enabled).
	Enabled bool `yaml:"enabled"`
	// DefaultLanguage is the merchant's language (BCP 47): the last step
	// of every customer's language fallback chain.
	DefaultLanguage string `yaml:"default_language"`
	// LanguageFallback adds languages to try after a tag and its parents,
	// for example {es-MX: [es-419], pt-BR: [es]}.
	LanguageFallback map[string][]string `yaml:"language_fallback"`
	// HandoffIntents are the intents that ask for a person.
	HandoffIntents []string `yaml:"handoff_intents"`
	// EscalateAfterNotUnderstood hands the chat to a person after this
	// many messages in a row the model did not understand (0: never).
	EscalateAfterNotUnderstood int `yaml:"escalate_after_not_understood"`
	// EscalateOnNegative hands the chat to a person on a strongly
	// negative message (the sentiment signal in docs/MODEL.md).
	EscalateOnNegative bool `yaml:"escalate_on_negative"`
	// EscalateOnAbandon hands the chat to a person when the customer
	// abandons a flow (cancels it or fails a step max_attempts times).
	EscalateOnAbandon bool `yaml:"escalate_on_abandon"`
	// Flows are the multi-turn conversations the bot runs.
	Flows []Flow `yaml:"flows"`
}

// Flow is a small state machine: when a message's intent is one of
// Intents, the bot asks each step's question in turn, checks the answer,
// and at the end says Done and emits Event.
type Flow struct {
	Name    string   `yaml:"name"`
	Intents []string `yaml:"intents"`
	// Timeout: a flow idle this long lapses; the customer's next message
	// is told so and handled afresh.
	Timeout time.Duration `yaml:"timeout"`
	// MaxAttempts is how many answers that do not fit one step the bot
	// takes before the flow counts as abandoned.
	MaxAttempts int `yaml:"max_attempts"`
	// Event names the note emitted when the flow completes (it carries the
	// flow's slots), for the core to act on.
	Event string `yaml:"event"`
	Steps []Step `yaml:"steps"`
	// Done is said when the flow completes: language → template (slots as
	// variables, e.g. {{order_number}}).
	Done map[string]string `yaml:"done"`
}

// Step asks for one slot.
type Step struct {
	// Slot names the value; later texts use it as {{slot}}.
	Slot string `yaml:"slot"`
	// Kind is what fits: order_number, tracking_number, email, phone
	// (found by the extractors), text (any answer), choice (one of
	// Options), confirm (yes or no; no cancels the flow).
	Kind string `yaml:"kind"`
	// Prompt asks for the slot: language → template.
	Prompt map[string]string `yaml:"prompt"`
	// Retry is said when an answer does not fit (default: Prompt again).
	Retry map[string]string `yaml:"retry"`
	// Options are offered as quick replies: language → list. A choice step
	// accepts only these.
	Options map[string][]string `yaml:"options"`
}

// FAQ configures the FAQ store (data_dir/faq.db).
type FAQ struct {
	// Seed is imported when the store has never had an import: "demo"
	// (the built-in demo FAQ in English, Spanish and Chinese), a .jsonl or
	// .csv file, or "" for none.
	Seed string `yaml:"seed"`
}

// StepKinds are the kinds a flow step may have.
var StepKinds = []string{"order_number", "tracking_number", "email", "phone", "text", "choice", "confirm"}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

func defaultBot() Bot {
	return Bot{
		Enabled:                    true,
		DefaultLanguage:            "en",
		HandoffIntents:             []string{"talk_to_human"},
		EscalateAfterNotUnderstood: 2,
		EscalateOnNegative:         true,
		EscalateOnAbandon:          true,
		Flows:                      []Flow{defaultReturnFlow()},
	}
}

// defaultReturnFlow is the demo return/refund flow of the default model.
func defaultReturnFlow() Flow {
	return Flow{
		Name:        "return_refund",
		Intents:     []string{"return_refund"},
		Timeout:     30 * time.Minute,
		MaxAttempts: 3,
		Event:       "return_requested",
		Steps: []Step{
			{
				Slot: "order_number", Kind: "order_number",
				Prompt: map[string]string{
					"en": "I can help you return it. What is the order number? It starts with # and is in your confirmation email.",
					"es": "Puedo ayudarte con la devolución. ¿Cuál es el número de pedido? Empieza por # y aparece en tu correo de confirmación.",
					"zh": "我可以帮您办理退货。请问订单号是多少？订单号以 # 开头，在您的确认邮件里可以找到。",
				},
				Retry: map[string]string{
					"en": "That doesn't look like an order number. It looks like #12345 — could you check your confirmation email?",
					"es": "Eso no parece un número de pedido. Tiene este aspecto: #12345. ¿Puedes revisar tu correo de confirmación?",
					"zh": "这看起来不像订单号。订单号的格式类似 #12345，请查看一下您的确认邮件。",
				},
			},
			{
				Slot: "reason", Kind: "text",
				Prompt: map[string]string{
					"en": "Thanks. Why are you returning order {{order_number}}?",
					"es": "Gracias. ¿Por qué quieres devolver el pedido {{order_number}}?",
					"zh": "谢谢。请问订单 {{order_number}} 退货的原因是什么？",
				},
				Options: map[string][]string{
					"en": {"Damaged", "Wrong item", "Doesn't fit", "Changed my mind"},
					"es": {"Llegó dañado", "Artículo equivocado", "No me queda bien", "Cambié de opinión"},
					"zh": {"商品损坏", "发错商品", "尺寸不合适", "不想要了"},
				},
			},
			{
				Slot: "confirm", Kind: "confirm",
				Prompt: map[string]string{
					"en": "Shall I request a return for order {{order_number}} (reason: {{reason}})?",
					"es": "¿Solicito la devolución del pedido {{order_number}} (motivo: {{reason}})?",
					"zh": "要为订单 {{order_number}} 申请退货吗（原因：{{reason}}）？",
				},
				Options: map[string][]string{
					"en": {"Yes", "No"},
					"es": {"Sí", "No"},
					"zh": {"是的", "不用了"},
				},
			},
		},
		Done: map[string]string{
			"en": "Done: return requested for order {{order_number}}. You'll get a prepaid label by email within 24 hours; the refund reaches your original payment method 5–10 business days after the item arrives.",
			"es": "Listo: devolución solicitada para el pedido {{order_number}}. Recibirás una etiqueta prepagada por correo en 24 horas; el reembolso llega a tu método de pago original 5–10 días hábiles después de recibir el artículo.",
			"zh": "已为订单 {{order_number}} 提交退货申请。24 小时内您会收到预付运单的邮件；我们收到商品后 5–10 个工作日内，退款将原路退回。",
		},
	}
}

func (c *Config) validateBot(bad func(key string, v any, reason string)) {
	b := &c.Bot
	if !langRE.MatchString(b.DefaultLanguage) {
		bad("bot.default_language", b.DefaultLanguage, "want a BCP 47 tag such as en or es-MX")
	}
	for tag, list := range b.LanguageFallback {
		if !langRE.MatchString(tag) {
			bad("bot.language_fallback", tag, "want a BCP 47 tag as key")
		}
		for i, l := range list {
			if !langRE.MatchString(l) {
				bad(fmt.Sprintf("bot.language_fallback.%s[%d]", tag, i), l, "want a BCP 47 tag")
			}
		}
	}
	for i, in := range b.HandoffIntents {
		if !nameRE.MatchString(in) {
			bad(fmt.Sprintf("bot.handoff_intents[%d]", i), in, "want an intent name ([a-z0-9_])")
		}
	}
	if b.EscalateAfterNotUnderstood < 0 || b.EscalateAfterNotUnderstood > 100 {
		bad("bot.escalate_after_not_understood", b.EscalateAfterNotUnderstood, "want 0 (never) to 100")
	}
	names := map[string]bool{}
	intents := map[string]string{}
	for i, f := range b.Flows {
		key := fmt.Sprintf("bot.flows[%d]", i)
		if !nameRE.MatchString(f.Name) {
			bad(key+".name", f.Name, "want [a-z][a-z0-9_]*")
		} else if names[f.Name] {
			bad(key+".name", f.Name, "duplicate flow name")
		}
		names[f.Name] = true
		if len(f.Intents) == 0 {
			bad(key+".intents", f.Intents, "must name at least one intent")
		}
		for j, in := range f.Intents {
			if other, dup := intents[in]; dup {
				bad(fmt.Sprintf("%s.intents[%d]", key, j), in, "already starts flow "+other)
			}
			intents[in] = f.Name
		}
		if f.Timeout < time.Minute || f.Timeout > 7*24*time.Hour {
			bad(key+".timeout", f.Timeout, "want 1m to 168h")
		}
		if f.MaxAttempts < 1 || f.MaxAttempts > 20 {
			bad(key+".max_attempts", f.MaxAttempts, "want 1 to 20")
		}
		if f.Event != "" && !nameRE.MatchString(f.Event) {
			bad(key+".event", f.Event, "want [a-z][a-z0-9_]*")
		}
		if len(f.Steps) == 0 || len(f.Steps) > 20 {
			bad(key+".steps", len(f.Steps), "want 1 to 20 steps")
		}
		slots := map[string]bool{}
		for j, s := range f.Steps {
			skey := fmt.Sprintf("%s.steps[%d]", key, j)
			if !nameRE.MatchString(s.Slot) {
				bad(skey+".slot", s.Slot, "want [a-z][a-z0-9_]*")
			} else if slots[s.Slot] {
				bad(skey+".slot", s.Slot, "duplicate slot in this flow")
			}
			slots[s.Slot] = true
			if !oneOf(s.Kind, StepKinds) {
				bad(skey+".kind", s.Kind, fmt.Sprintf("want one of %v", StepKinds))
			}
			if s.Prompt[b.DefaultLanguage] == "" {
				bad(skey+".prompt", s.Prompt, "needs a text in bot.default_language ("+b.DefaultLanguage+")")
			}
			if s.Kind == "choice" && len(s.Options[b.DefaultLanguage]) == 0 {
				bad(skey+".options", s.Options, "a choice step needs options in bot.default_language")
			}
		}
		if f.Done[b.DefaultLanguage] == "" {
			bad(key+".done", f.Done, "needs a text in bot.default_language ("+b.DefaultLanguage+")")
		}
	}
	switch s := c.FAQ.Seed; {
	case s == "", s == "demo":
	case strings.HasSuffix(s, ".csv"), strings.HasSuffix(s, ".jsonl"), strings.HasSuffix(s, ".json"):
	default:
		bad("faq.seed", s, `want "demo", "" or a .jsonl/.csv file`)
	}
}

var langRE = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}
