package faq

import (
	"strings"
	"testing"
)

func validEntry() Entry {
	return Entry{
		Intent:       "track_order",
		Lang:         "en",
		Answer:       demoTrackOrderEN,
		Ask:          "What is your order number, {{name|}}?",
		QuickReplies: []string{"Talk to a person"},
		Links:        []Link{{Title: "My orders", URL: "https://shop.example.com/orders"}},
	}
}

func TestCompileValid(t *testing.T) {
	for _, e := range []Entry{
		validEntry(),
		{Intent: "_fallback", Lang: "zh-hant", Answer: "抱歉"},
		{Intent: "_closed", Lang: "es-mx", Answer: "Adiós, {{name|}}. Son las {{local_time}}."},
		{Intent: "greeting", Lang: "en", Answer: "Hi {{name}}", QuickReplies: []string{}, Links: []Link{}},
		{Intent: "a", Lang: "en", Answer: "{{email|your address}}"},
		{Intent: "x", Lang: "en", Answer: "{{phone}}", Ask: "Your number? (now {{local_time}} {{local_date}} {{local_weekday}})"},
		{Intent: strings.Repeat("a", 64), Lang: "en", Answer: strings.Repeat("é", 2048)},
		{Intent: "x", Lang: "en", Answer: "http://a.b/c?d=e#f", Links: []Link{{"A", "http://a.b/c?d=e#f"}, {"B", "HTTPS://x.y"}}},
	} {
		a, ps := compile(e)
		if len(ps) > 0 {
			t.Errorf("%+v: %v", e, ps)
			continue
		}
		if a.Tmpl == nil || a.Tmpl.String() != a.Answer || (a.Ask == "") != (a.AskTmpl == nil) {
			t.Errorf("%+v: templates not compiled", e)
		}
		if a.QuickReplies != nil && len(a.QuickReplies) == 0 || a.Links != nil && len(a.Links) == 0 {
			t.Errorf("%+v: empty slices not normalised to nil", e)
		}
	}
	a, _ := compile(Entry{Intent: "x", Lang: "zh-hant", Answer: "a\r\nb\rc", Ask: "d\r\n", Version: 7})
	if a.Lang != "zh-Hant" || a.Answer != "a\nb\nc" || a.Ask != "d\n" || a.Version != 0 {
		t.Errorf("not normalised: %+v", a.Entry)
	}
}

func TestCompileInvalid(t *testing.T) {
	long := strings.Repeat("x", MaxTemplateLen+1)
	tests := []struct {
		name  string
		edit  func(*Entry)
		field string
		msg   string
	}{
		{"no intent", func(e *Entry) { e.Intent = "" }, "intent", "required"},
		{"bad intent", func(e *Entry) { e.Intent = "Track-Order" }, "intent", "invalid intent"},
		{"long intent", func(e *Entry) { e.Intent = strings.Repeat("a", 65) }, "intent", "invalid intent"},
		{"bare underscore", func(e *Entry) { e.Intent = "_" }, "intent", "reserved"},
		{"no lang", func(e *Entry) { e.Lang = "" }, "lang", "required"},
		{"bad lang", func(e *Entry) { e.Lang = "english" }, "lang", "language tag"},
		{"lang extension", func(e *Entry) { e.Lang = "en-u-ca-buddhist" }, "lang", "extensions"},
		{"no answer", func(e *Entry) { e.Answer = "" }, "answer", "required"},
		{"blank answer", func(e *Entry) { e.Answer = " \n" }, "answer", "required"},
		{"long answer", func(e *Entry) { e.Answer = long }, "answer", "at most 4096"},
		{"unknown variable", func(e *Entry) { e.Answer = "Order {{ordr}}" }, "answer", "unknown variable {{ordr}} at byte 6"},
		{"syntax", func(e *Entry) { e.Answer = "Order {{order_number" }, "answer", "without a closing \"}}\" at byte 6"},
		{"control char", func(e *Entry) { e.Answer = "a\x00b" }, "answer", "control character"},
		{"bad utf8", func(e *Entry) { e.Answer = "a\xffb" }, "answer", "invalid UTF-8 at byte 1"},
		{"ask missing", func(e *Entry) { e.Ask = "" }, "ask", `required: "answer" uses {{order_number}}`},
		{"ask uses extracted", func(e *Entry) { e.Ask = "Is it {{order_number}}?" }, "ask", "needs a default"},
		{"ask unknown var", func(e *Entry) { e.Ask = "{{foo|x}}" }, "ask", "unknown variable"},
		{"blank ask", func(e *Entry) { e.Ask = "  " }, "ask", "blank"},
		{"too many replies", func(e *Entry) { e.QuickReplies = make([]string, 11); fill(e.QuickReplies) }, "quick_replies", "at most 10"},
		{"empty reply", func(e *Entry) { e.QuickReplies = []string{"ok", ""} }, "quick_replies[1]", "empty"},
		{"long reply", func(e *Entry) { e.QuickReplies = []string{strings.Repeat("a", 65)} }, "quick_replies[0]", "at most 64"},
		{"multiline reply", func(e *Entry) { e.QuickReplies = []string{"a\nb"} }, "quick_replies[0]", "control character"},
		{"spaced reply", func(e *Entry) { e.QuickReplies = []string{" a"} }, "quick_replies[0]", "leading or trailing space"},
		{"too many links", func(e *Entry) { e.Links = make([]Link, 6); fillLinks(e.Links) }, "links", "at most 5"},
		{"no title", func(e *Entry) { e.Links[0].Title = "" }, "links[0].title", "empty"},
		{"no url", func(e *Entry) { e.Links[0].URL = "" }, "links[0].url", "required"},
		{"relative url", func(e *Entry) { e.Links[0].URL = "/orders" }, "links[0].url", "absolute http(s)"},
		{"ftp url", func(e *Entry) { e.Links[0].URL = "ftp://x.y/" }, "links[0].url", "absolute http(s)"},
		{"javascript url", func(e *Entry) { e.Links[0].URL = "javascript:alert(1)" }, "links[0].url", "absolute http(s)"},
		{"url with space", func(e *Entry) { e.Links[0].URL = "https://x.y/a b" }, "links[0].url", "no spaces"},
		{"url with bracket", func(e *Entry) { e.Links[0].URL = "https://x.y/<a>" }, "links[0].url", "angle brackets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := validEntry()
			tt.edit(&e)
			a, ps := compile(e)
			if a != nil {
				t.Fatalf("accepted %+v", e)
			}
			for _, p := range ps {
				if p.field == tt.field && strings.Contains(p.msg, tt.msg) {
					return
				}
			}
			t.Errorf("problems %+v; want field %q with %q", ps, tt.field, tt.msg)
		})
	}
}

func fill(s []string) {
	for i := range s {
		s[i] = "r" + strings.Repeat("x", i)
	}
}

func fillLinks(l []Link) {
	for i := range l {
		l[i] = Link{Title: "t", URL: "https://x.y/"}
	}
}

func TestAnswerRender(t *testing.T) {
	a, ps := compile(validEntry())
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	out, asked, ok := a.Render(nil, vals(map[string]string{"name": "Ana"}))
	if !ok || !asked || string(out) != "What is your order number, Ana?" {
		t.Errorf("without an order number: %q asked=%v ok=%v", out, asked, ok)
	}
	out, asked, ok = a.Render(nil, vals(map[string]string{"order_number": "10042"}))
	if !ok || asked || !strings.HasPrefix(string(out), "Order #10042: you can follow it at https://shop.example.com/orders/10042 —") {
		t.Errorf("with an order number: %q asked=%v ok=%v", out, asked, ok)
	}
	b, _ := compile(Entry{Intent: "greeting", Lang: "en", Answer: "Hi {{name}}"})
	out, asked, ok = b.Render([]byte("x"), nil)
	if ok || asked || string(out) != "x" {
		t.Errorf("neither renders: %q asked=%v ok=%v", out, asked, ok)
	}
}
