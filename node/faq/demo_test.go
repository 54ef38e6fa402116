package faq

import (
	"bytes"
	"strings"
	"testing"
)

// demoIntents are the default intent model's intents (all but "oos") and
// the reserved bot texts the conversation engine uses.
var demoIntents = []string{
	"track_order", "cancel_order", "change_order", "return_refund", "shipping", "payment",
	"invoice", "account", "complaint", "talk_to_human", "greeting", "thanks",
	IntentFallback, IntentHandoff, IntentFlowCancelled, IntentFlowExpired,
}

func TestDemo(t *testing.T) {
	if !bytes.HasPrefix(Demo, []byte("# ")) || !bytes.Contains(bytes.SplitN(Demo, []byte("\n"), 2)[0], []byte("demo")) {
		t.Error("the demo does not say it is a demo in its first line")
	}
	answers, err := parseAll(bytes.NewReader(Demo), JSONL)
	if err != nil {
		t.Fatal(err)
	}
	snap := newSnapshot(1, answers)
	for _, lang := range DemoLanguages {
		for _, intent := range demoIntents {
			if _, ok := snap.get(intent, lang); !ok {
				t.Errorf("no %s entry in %s", intent, lang)
			}
		}
	}
	values := vals(map[string]string{VarOrderNumber: "10042", VarName: "Ana"})
	for _, a := range answers {
		name := a.Intent + "/" + a.Lang
		if out, asked, ok := a.Render(nil, values); !ok || asked || strings.Contains(string(out), "{{") {
			t.Errorf("%s: renders %q asked=%v ok=%v", name, out, asked, ok)
		}
		if out, _, ok := a.Render(nil, nil); !ok || strings.Contains(string(out), "{{") {
			t.Errorf("%s: without values renders %q ok=%v", name, out, ok)
		}
		for _, l := range a.Links {
			if !strings.HasPrefix(l.URL, "https://shop.example.com/") {
				t.Errorf("%s: link %s", name, l.URL)
			}
		}
		if strings.Contains(a.Answer, "https://") && !strings.Contains(a.Answer, "https://shop.example.com/") {
			t.Errorf("%s: links outside shop.example.com", name)
		}
		checkScript(t, name, a)
	}
	// Routing's texts to the customer, in every demo language.
	for _, lang := range DemoLanguages {
		for _, intent := range []string{"_agent_joined", "_queued", "_team_closed", "_no_agents", "_picked_up", "_chat_closed"} {
			if _, ok := snap.get(intent, lang); !ok {
				t.Errorf("no %s entry in %s", intent, lang)
			}
		}
	}
	for _, lang := range DemoLanguages {
		a, ok := snap.get("track_order", lang)
		if !ok {
			t.Errorf("no track_order in %s", lang)
			continue
		}
		if req := a.Tmpl.Required(); len(req) != 1 || req[0] != VarOrderNumber || a.AskTmpl == nil {
			t.Errorf("track_order/%s: requires %q, ask %v", lang, req, a.AskTmpl)
		}
		out, asked, _ := a.Render(nil, nil)
		if !asked || !strings.Contains(string(out), "#") {
			t.Errorf("track_order/%s without an order number: %q", lang, out)
		}
		if lang == "es" && !strings.HasPrefix(string(out), "¿") {
			t.Errorf("track_order/es ask %q does not open with ¿", out)
		}
	}
	en, _ := snap.get("track_order", "en")
	if en.Answer != demoTrackOrderEN {
		t.Errorf("demoTrackOrderEN is out of date")
	}
	if fb, _ := snap.get(IntentFallback, "en"); len(fb.QuickReplies) == 0 {
		t.Error("_fallback/en offers no quick replies")
	}
}

// checkScript catches Simplified and Traditional Chinese mixed up, and
// Spanish written without its accents.
func checkScript(t *testing.T, name string, a *Answer) {
	t.Helper()
	text := a.Answer + a.Ask + strings.Join(a.QuickReplies, "") + titles(a.Links)
	const traditionalOnly = "們這訂單與為說請麼會幫謝開時間貨運費將撥態處隊員發聯繫歡迎們語實號碼"
	const simplifiedOnly = "们这订单与为说请么会帮谢开时间货运费将拨态处队员发联系欢迎们语实号码"
	switch a.Lang {
	case "zh":
		if i := strings.IndexAny(text, traditionalOnly); i >= 0 {
			t.Errorf("%s: Traditional character in %q", name, text[i:])
		}
	case "zh-Hant":
		if i := strings.IndexAny(text, simplifiedOnly); i >= 0 {
			t.Errorf("%s: Simplified character in %q", name, text[i:])
		}
	case "es":
		if strings.Contains(text, "?") && !strings.Contains(text, "¿") || strings.Contains(text, "!") && !strings.Contains(text, "¡") {
			t.Errorf("%s: question or exclamation without ¿ or ¡: %q", name, text)
		}
	}
}

func titles(links []Link) string {
	var b strings.Builder
	for _, l := range links {
		b.WriteString(l.Title)
	}
	return b.String()
}

// TestDemoChains looks demo answers up the way the engine does.
func TestDemoChains(t *testing.T) {
	s, _ := openStore(t)
	if ok, err := s.SeedIfEmpty(Demo); !ok || err != nil {
		t.Fatal(ok, err)
	}
	tests := []struct {
		locale, detected, intent, wantLang string
	}{
		{"es-MX", "", "greeting", "es"},
		{"en-US", "es", "greeting", "es"},      // writes Spanish in an English browser
		{"zh-HK", "zh", "greeting", "zh-Hant"}, // Traditional where there is one
		{"zh-TW", "", "cancel_order", "zh-Hant"},
		{"zh-SG", "zh-Hant", "greeting", "zh-Hant"}, // writes Traditional in a Simplified browser
		{"zh-CN", "", "greeting", "zh"},
		{"fr-FR", "", "shipping", "fr"},
		{"pt-BR", "", "shipping", "pt"},
		{"sv-SE", "", "shipping", "en"}, // no Swedish: the merchant's default
		{"", "zh", "_fallback", "zh"},
	}
	for _, tt := range tests {
		a, ok := s.Lookup(tt.intent, Chain(tt.locale, tt.detected, "en", nil))
		if !ok || a.Lang != tt.wantLang {
			t.Errorf("%s for locale %q, detected %q: got %v, want %s", tt.intent, tt.locale, tt.detected, a, tt.wantLang)
		}
	}
}
