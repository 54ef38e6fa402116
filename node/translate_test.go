package node

import (
	"encoding/json"
	"fmt"
	"github.com/edgedesk/edgedesk/node/faq"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/internal/testapy"
	"github.com/edgedesk/edgedesk/node/audit"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/session"
	"github.com/edgedesk/edgedesk/node/translate"
)

// withTranslation: one English-only team, Spanish customers routed to it
// by the fallback language, translation through a real Apertium APY.
func withTranslation(apyURL string) func(*config.Config) {
	return func(c *config.Config) {
		withAgents(c)
		c.Routing.Groups = []config.AgentGroup{
			{Name: "uk-en", Region: "emea", Languages: []string{"en"}, TZ: "Europe/London", Hours: allWeek(), Capacity: 4},
		}
		c.Routing.FallbackLanguage = "en"
		c.Translate.Enabled = true
		c.Translate.Providers = []config.TranslateProvider{{Kind: "apertium", URL: apyURL}}
		// A -race run on a shared machine: APY's first call starts its
		// pipelines. The breaker test needs only a short cooldown.
		c.Translate.Timeout = 15 * time.Second
		c.Translate.BreakerFailures = 2
		c.Translate.BreakerCooldown = 300 * time.Millisecond
	}
}

// tframe is an agent or widget frame with its translation.
type tframe struct {
	Type        string               `json:"type"`
	Session     string               `json:"session"`
	Seq         uint64               `json:"seq"`
	From        string               `json:"from"`
	Text        string               `json:"text"`
	CID         string               `json:"cid"`
	Code        string               `json:"code"`
	Translation *session.Translation `json:"translation"`
	NeedsTr     bool                 `json:"needs_translation"`
}

func nextT(t *testing.T, ws *websocket.Conn, match func(tframe) bool) tframe {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		var f tframe
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("read: %v", err)
		}
		if match(f) {
			return f
		}
	}
}

// TestTranslatedChatWithApertium: a Spanish customer and an English-only
// agent chat both ways through a real node and a real APY, with the
// merchant's glossary; the stored events hold both texts; with APY
// stopped mid-chat every message is still delivered, untranslated and
// marked, and once it is back translation resumes.
func TestTranslatedChatWithApertium(t *testing.T) {
	apy := testapy.Start(t)
	n, base, _ := startNode(t, withTranslation(apy.URL))
	if _, err := n.translator.SetGlossary([]translate.Term{
		{Term: "Edgeflux"},
		{Term: "return label", From: "en", To: "es", Translation: "etiqueta de devolución"},
		{Term: "etiqueta de devolución", From: "es", To: "en", Translation: "return label"},
	}); err != nil {
		t.Fatal(err)
	}
	cy, _ := dialAgent(t, base, "cy", "agent", "uk-en")
	es, w := dialWidget(t, base, map[string]any{"locale": "es-MX", "tz": "America/Mexico_City"})
	es.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "quiero hablar con un agente"})
	asg := nextT(t, cy.ws, func(f tframe) bool { return f.Type == "assigned" })
	if asg.Session != w.Session || !asg.NeedsTr {
		t.Fatalf("assignment %+v: want the Spanish chat, marked needs_translation", asg)
	}
	// What the customer told the bot before the chat was Cy's comes
	// translated after the assignment.
	if h := nextT(t, cy.ws, func(f tframe) bool { return f.Type == "translation" }); h.Session != w.Session || h.Seq != 1 ||
		h.Translation == nil || h.Translation.Status != session.TranslationDone || !strings.Contains(strings.ToLower(h.Translation.Text), "agent") {
		t.Fatalf("history translation %+v %+v", h, h.Translation)
	}

	// Customer → agent: the agent reads English and the original.
	es.WriteJSON(map[string]any{"type": "msg", "cid": "c1", "text": "Necesito la etiqueta de devolución para mi Edgeflux."})
	in := nextT(t, cy.ws, func(f tframe) bool { return f.Type == "msg" && f.CID == "c1" })
	if in.Text != "Necesito la etiqueta de devolución para mi Edgeflux." || in.Translation == nil ||
		in.Translation.Status != session.TranslationDone || in.Translation.From != "es" || in.Translation.To != "en" ||
		!strings.Contains(in.Translation.Text, "return label") || !strings.Contains(in.Translation.Text, "Edgeflux") {
		t.Fatalf("agent got %+v %+v", in, in.Translation)
	}

	// Agent → customer: the customer reads Spanish, and can see the original.
	cy.ws.WriteJSON(map[string]any{"type": "msg", "cid": "a1", "session": w.Session, "text": "I will send you the return label for your Edgeflux today."})
	rc := nextT(t, cy.ws, func(f tframe) bool { return (f.Type == "receipt" && f.CID == "a1") || f.Type == "error" })
	if rc.Type != "receipt" || rc.Translation == nil || rc.Translation.Status != session.TranslationDone {
		t.Fatalf("agent receipt %+v", rc)
	}
	out := nextT(t, es, func(f tframe) bool { return f.Type == "msg" && f.From == "agent" })
	if out.Text != "I will send you the return label for your Edgeflux today." || out.Translation == nil ||
		out.Translation.Status != session.TranslationDone || out.Translation.To != "es" ||
		!strings.Contains(out.Translation.Text, "etiqueta de devolución") || !strings.Contains(out.Translation.Text, "Edgeflux") {
		t.Fatalf("customer got %+v %+v", out, out.Translation)
	}

	// The stored events hold both texts (and so does what goes to the
	// core and the session export: the same records).
	msgs, err := n.Store().Messages(w.Session, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var stored int
	for _, m := range msgs {
		if (m.CID == "c1" || m.CID == "a1") && m.Translation != nil && m.Translation.Text != "" && m.Text != "" {
			stored++
		}
	}
	if stored != 2 {
		b, _ := json.Marshal(msgs)
		t.Fatalf("stored messages without both texts: %s", b)
	}

	// APY stops mid-chat: nothing is lost, everything is marked.
	apy.Stop()
	es.WriteJSON(map[string]any{"type": "msg", "cid": "c2", "text": "¿Cuándo llega mi pedido?"})
	if r := nextT(t, es, func(f tframe) bool { return f.Type == "receipt" || f.Type == "error" }); r.Type != "receipt" || r.CID != "c2" {
		t.Fatalf("customer receipt with APY down: %+v", r)
	}
	down := nextT(t, cy.ws, func(f tframe) bool { return f.Type == "msg" && f.CID == "c2" })
	if down.Text != "¿Cuándo llega mi pedido?" || down.Translation == nil || down.Translation.Status != session.TranslationUnavailable || down.Translation.Text != "" {
		t.Fatalf("agent got, APY down: %+v %+v", down, down.Translation)
	}
	for i, text := range []string{"It arrives tomorrow.", "Anything else?"} {
		cid := "d" + string(rune('1'+i))
		cy.ws.WriteJSON(map[string]any{"type": "msg", "cid": cid, "session": w.Session, "text": text})
		got := nextT(t, es, func(f tframe) bool { return f.Type == "msg" && f.From == "agent" })
		if got.Text != text || got.Translation == nil || got.Translation.Status != session.TranslationUnavailable {
			t.Fatalf("customer got, APY down: %+v %+v", got, got.Translation)
		}
	}

	// APY returns: after the breaker's cooldown a probe goes through and
	// translation resumes; every reply meanwhile is delivered.
	apy.Restart(t)
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; ; i++ {
		cid := "r" + time.Now().Format("150405.000000")
		cy.ws.WriteJSON(map[string]any{"type": "msg", "cid": cid, "session": w.Session, "text": "Your order is on its way."})
		got := nextT(t, es, func(f tframe) bool { return f.Type == "msg" && f.From == "agent" })
		if got.Text != "Your order is on its way." || got.Translation == nil {
			t.Fatalf("customer got %+v", got)
		}
		if got.Translation.Status == session.TranslationDone {
			if !strings.Contains(strings.ToLower(got.Translation.Text), "orden") { // Apertium: "Vuestro orden es en su manera."
				t.Fatalf("translation after APY came back: %q", got.Translation.Text)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("translation did not resume after APY came back (%d tries): %+v", i, n.translator.Stats())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st := n.translator.Stats().Breakers["apertium"]; st != "closed" {
		t.Fatalf("breaker %s after the probe succeeded", st)
	}
	// Nothing lost: every message of the chat is stored, in order.
	msgs, _ = n.Store().Messages(w.Session, 0, 0)
	cids := map[string]bool{}
	for i, m := range msgs {
		if m.Seq != uint64(i+1) {
			t.Fatalf("seq gap at %d: %d", i, m.Seq)
		}
		cids[m.CID] = true
	}
	for _, c := range []string{"h1", "c1", "a1", "c2", "d1", "d2"} {
		if !cids[c] {
			t.Fatalf("message %s missing from the store", c)
		}
	}
	// The session as an admin reads it (and exports it) has both texts.
	tok, _ := auth.Sign(testStaffSecret, auth.Claims{Subject: "root", Role: "admin"}, time.Hour)
	r := call(t, "GET", base+"/v1/admin/sessions/"+w.Session, "", "", "Authorization: Bearer "+tok)
	b, _ := json.Marshal(r.body)
	if r.code != 200 || !strings.Contains(string(b), `"translation":{"from":"en","provider":"apertium","status":"translated","text":"`) ||
		!strings.Contains(string(b), `"status":"unavailable"`) {
		t.Fatalf("admin session view: %d %s", r.code, b)
	}
	_, metrics := get(t, base+"/metrics")
	for _, want := range []string{`edgedesk_translations_total{result="translated"}`, `edgedesk_translations_total{result="unavailable"}`,
		`edgedesk_translation_breaker_state{provider="apertium"} 0`, "edgedesk_translation_seconds_count"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestAdminGlossary: PUT refuses a bad glossary naming each line and field
// and changes nothing; a good one replaces it (audited) and GET exports it.
func TestAdminGlossary(t *testing.T) {
	n, base, _ := startNode(t, withTranslation("http://127.0.0.1:9"))
	tok, err := auth.Sign(testStaffSecret, auth.Claims{Subject: "root", Role: "admin"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	admin := "Authorization: Bearer " + tok
	agentTok, _ := auth.Sign(testStaffSecret, auth.Claims{Subject: "cy", Role: "agent", Groups: []string{"uk-en"}}, time.Hour)
	if r := call(t, "PUT", base+"/v1/admin/glossary", "text/csv", "term,from,to,translation\nEdgeflux,,,\n", "Authorization: Bearer "+agentTok); r.code != 403 {
		t.Fatalf("agent PUT: %d", r.code)
	}
	r := call(t, "PUT", base+"/v1/admin/glossary", "text/csv", "term,from,to,translation\nEdgeflux,,,\nreturn label,en,,etiqueta\n", admin)
	if r.code != 400 || !strings.Contains(fmt.Sprint(r.body), "line:3") || !strings.Contains(fmt.Sprint(r.body), "field:to") {
		t.Fatalf("bad PUT: %d %v", r.code, r.body)
	}
	if len(n.translator.Glossary().Terms()) != 0 {
		t.Fatal("a refused glossary changed the glossary")
	}
	r = call(t, "PUT", base+"/v1/admin/glossary", "text/csv", "term,from,to,translation\nEdgeflux,,,\nreturn label,en,es,etiqueta de devolución\n", admin)
	if r.code != 200 || fmt.Sprint(r.body["terms"]) != "2" {
		t.Fatalf("PUT: %d %v", r.code, r.body)
	}
	req, _ := http.NewRequest("GET", base+"/v1/admin/glossary", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `{"term":"Edgeflux"}`+"\n"+`{"term":"return label","from":"en","to":"es","translation":"etiqueta de devolución"}`+"\n" ||
		resp.Header.Get("X-Edgedesk-Glossary-Version") != n.translator.Glossary().Version() {
		t.Fatalf("GET: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	waitAudit(t, n, audit.Query{Action: audit.ActionGlossaryImport}, func(e audit.Entry) bool {
		return e.Actor == "root" && e.Details["terms"] == "2" && e.Details["format"] == "csv"
	})
}

// TestFAQAnswerTranslated: with only English FAQ entries, a Spanish
// customer's question is answered with the English answer translated into
// Spanish (a real APY), marked machine-translated, the variables filled.
func TestFAQAnswerTranslated(t *testing.T) {
	apy := testapy.Start(t)
	seed := filepath.Join(t.TempDir(), "en.jsonl")
	en, err := os.ReadFile("faq/demo/en.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(seed, en, 0o600)
	n, base, _ := startNode(t, withTranslation(apy.URL), func(c *config.Config) { c.FAQ.Seed = seed })
	es, _ := dialWidget(t, base, map[string]any{"locale": "es-ES"})
	es.WriteJSON(map[string]any{"type": "msg", "cid": "q1", "text": "¿Dónde está mi pedido 48213?"})
	got := nextT(t, es, func(f tframe) bool { return f.Type == "msg" && f.From == "bot" })
	if !strings.HasPrefix(got.Text, "Order #48213") || got.Translation == nil || got.Translation.Status != session.TranslationDone ||
		got.Translation.From != "en" || got.Translation.To != "es" || got.Translation.Provider != "apertium" ||
		!strings.Contains(got.Translation.Text, "48213") || strings.Contains(got.Translation.Text, "{{") || strings.Contains(got.Translation.Text, "ZXV") {
		t.Fatalf("answer %+v %+v", got, got.Translation)
	}
	t.Logf("machine-translated FAQ answer: %q", got.Translation.Text)
	// The same question again: the prepared answer is reused (the FAQ did
	// not change), and the translation cache had it anyway.
	hits := n.translator.Stats().Hits
	es.WriteJSON(map[string]any{"type": "msg", "cid": "q2", "text": "¿Dónde está mi pedido 48214?"})
	again := nextT(t, es, func(f tframe) bool { return f.Type == "msg" && f.From == "bot" })
	if again.Translation == nil || !strings.Contains(again.Translation.Text, "48214") {
		t.Fatalf("second answer %+v", again)
	}
	if n.translator.Stats().Hits != hits {
		t.Fatalf("the prepared answer was translated again: hits %d → %d", hits, n.translator.Stats().Hits)
	}
}

// TestUnderstandThroughTranslation: a Serbian customer (a language the
// default model does not know) is understood through Apertium's hbs→eng
// translation: the stored message keeps the Serbian text, with the intent
// the English translation was classified with.
func TestUnderstandThroughTranslation(t *testing.T) {
	apy := testapy.Start(t)
	n, base, _ := startNode(t, withTranslation(apy.URL), func(c *config.Config) { c.Translate.UnderstandVia = "en" })
	ws, w := dialWidget(t, base, map[string]any{"locale": "sr-Latn-RS"})
	ws.WriteJSON(map[string]any{"type": "msg", "cid": "s1", "text": "Gde je moja porudžbina 48213?"})
	nextT(t, ws, func(f tframe) bool { return f.Type == "receipt" && f.CID == "s1" })
	// The FAQ has no Serbian: the answer is the English one translated
	// into Serbian (eng→hbs), the order number in it.
	ans := nextT(t, ws, func(f tframe) bool { return f.Type == "msg" && f.From == "bot" })
	if ans.Translation == nil || ans.Translation.Status != session.TranslationDone || ans.Translation.To != "sr" || !strings.Contains(ans.Translation.Text, "48213") {
		t.Fatalf("answer %+v %+v", ans, ans.Translation)
	}
	t.Logf("Serbian answer: %q", ans.Translation.Text)
	msgs, err := n.Store().Messages(w.Session, 0, 0)
	if err != nil || len(msgs) == 0 {
		t.Fatal(msgs, err)
	}
	m := msgs[0]
	if m.Text != "Gde je moja porudžbina 48213?" || m.Intent != "track_order" || m.Lang != "sr" {
		t.Fatalf("stored %+v: want the Serbian text, intent track_order, lang sr", m)
	}
	// A locale with no language in it is not translated from, and costs
	// the node nothing (it once indexed an empty split: a panic).
	for _, loc := range []string{"-", "_", "--"} {
		odd, _ := dialWidget(t, base, map[string]any{"locale": loc})
		odd.WriteJSON(map[string]any{"type": "msg", "cid": "o1", "text": "Gde je moja porudžbina?"})
		nextT(t, odd, func(f tframe) bool { return f.Type == "receipt" && f.CID == "o1" })
	}
}

// A translation too long to store is dropped, never the message.
func TestAsTranslationBounded(t *testing.T) {
	long := strings.Repeat("x", 2*session.MaxTextBytes+1)
	tr := asTranslation(translate.Result{Text: long, From: "es", To: "en", Provider: "apertium", Status: translate.StatusTranslated})
	m := session.Message{Session: "s_1", From: session.FromAgent, Text: "hola", Translation: tr}
	if tr.Status != session.TranslationUnavailable || tr.Text != "" || m.Check() != nil {
		t.Fatalf("%+v %v", tr, m.Check())
	}
	tr = asTranslation(translate.Result{Text: "hello", From: "es", To: "en", Provider: "apertium", Status: translate.StatusTranslated})
	if m.Translation = tr; tr.Status != session.TranslationDone || m.Check() != nil {
		t.Fatalf("%+v %v", tr, m.Check())
	}
}

// FuzzAdminGlossary: any body, as CSV or JSONL, to PUT /v1/admin/glossary
// of a real node gets 200 or a 400 with its problems, never a 5xx; what a
// 200 stored exports and reads back to the same glossary.
func FuzzAdminGlossary(f *testing.F) {
	n, base := fuzzNode(f, withTranslation("http://127.0.0.1:9"))
	tok, err := auth.Sign(testStaffSecret, auth.Claims{Subject: "sue", Role: "admin"}, 24*time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(true, []byte("term,from,to,translation\nEdgeflux,,,\nreturn label,en,es,etiqueta de devolución\n"))
	f.Add(false, []byte(`{"term":"Edgeflux"}`+"\n"+`{"term":"x","from":"en","to":"es","translation":"y"}`+"\n"))
	f.Add(true, []byte("term,from,to,translation\n\"unterminated,,,\n"))
	f.Fuzz(func(t *testing.T, csv bool, body []byte) {
		if len(body) > 8<<10 {
			body = body[:8<<10]
		}
		ctype := "application/x-ndjson"
		if csv {
			ctype = "text/csv"
		}
		req, _ := http.NewRequest("PUT", base+"/v1/admin/glossary", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case 200:
			g := n.translator.Glossary()
			var buf strings.Builder
			if err := translate.WriteGlossary(&buf, g.Terms(), translate.JSONL); err != nil {
				t.Fatal(err)
			}
			back, err := translate.ParseGlossary(strings.NewReader(buf.String()), translate.JSONL)
			if err != nil || translate.NewGlossary(back).Version() != g.Version() {
				t.Fatalf("stored glossary does not read back: %v", err)
			}
		case 400:
			if !strings.Contains(string(msg), "nothing changed") {
				t.Fatalf("400 without its problems: %s", msg)
			}
		default:
			t.Fatalf("%q: %d %s", body, resp.StatusCode, msg)
		}
	})
}

// Provider keys come from key_file or key_env; a missing one is an error
// naming the key.
func TestTranslateProviderKeys(t *testing.T) {
	key := filepath.Join(t.TempDir(), "deepl.key")
	os.WriteFile(key, []byte("abc:fx\n"), 0o600)
	env := map[string]string{"GKEY": "g-123"}
	provs, err := translateProviders(config.Translate{Providers: []config.TranslateProvider{
		{Kind: "apertium", URL: "http://127.0.0.1:2737"},
		{Kind: "deepl", KeyFile: key},
		{Kind: "google", KeyEnv: "GKEY"},
	}}, func(k string) string { return env[k] })
	if err != nil || len(provs) != 3 || provs[1].(*translate.DeepL).Key != "abc:fx" || provs[2].(*translate.Google).Key != "g-123" {
		t.Fatalf("%v %v", provs, err)
	}
	if _, err := translateProviders(config.Translate{Providers: []config.TranslateProvider{{Kind: "google", KeyEnv: "NOPE"}}}, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "translate.providers[0].key_env") {
		t.Fatalf("empty key_env: %v", err)
	}
	if _, err := translateProviders(config.Translate{Providers: []config.TranslateProvider{{Kind: "deepl", KeyFile: key + ".missing"}}}, os.Getenv); err == nil || !strings.Contains(err.Error(), "translate.providers[0].key_file") {
		t.Fatalf("missing key_file: %v", err)
	}
}

// TestTranslationDeadline: a provider that never answers delays a
// customer's message by translate.timeout at most, however many
// translations it needed (the agent's and the FAQ answer's here), and the
// message is delivered untranslated, marked so.
func TestTranslationDeadline(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/languages" {
			w.Write([]byte(`[{"code":"es","targets":["en"]},{"code":"en","targets":["es"]}]`))
			return
		}
		io.Copy(io.Discard, r.Body) // read: the server then notices the client leaving
		select {                    // never answers a translation
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release)
	seed := filepath.Join(t.TempDir(), "en.jsonl")
	en, err := os.ReadFile("faq/demo/en.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(seed, en, 0o600)
	const timeout = 2 * time.Second
	_, base, _ := startNode(t, withTranslation(""), func(c *config.Config) {
		c.FAQ.Seed = seed
		c.Translate.Providers = []config.TranslateProvider{{Kind: "libretranslate", URL: hang.URL}}
		c.Translate.Timeout = timeout
		c.Translate.BreakerFailures = 1000 // this test is about the deadline, not the breaker
	})
	cy, _ := dialAgent(t, base, "cy", "agent", "uk-en")
	es, w := dialWidget(t, base, map[string]any{"locale": "es-ES"})
	es.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "quiero hablar con un agente"})
	nextT(t, cy.ws, func(f tframe) bool { return f.Type == "assigned" && f.Session == w.Session })
	start := time.Now()
	es.WriteJSON(map[string]any{"type": "msg", "cid": "c1", "text": "¿Dónde está mi pedido 48213?"})
	nextT(t, es, func(f tframe) bool { return f.Type == "receipt" && f.CID == "c1" })
	took := time.Since(start)
	got := nextT(t, cy.ws, func(f tframe) bool { return f.Type == "msg" && f.CID == "c1" })
	if got.Translation == nil || got.Translation.Status != session.TranslationUnavailable {
		t.Fatalf("agent got %+v %+v", got, got.Translation)
	}
	// Two translations one after the other would take twice the timeout.
	if took > timeout+timeout*3/4 {
		t.Fatalf("the message waited %v for translation, past translate.timeout %v", took, timeout)
	}
	t.Logf("receipt after %v (translate.timeout %v)", took.Round(time.Millisecond), timeout)
}

// TestMachineAnswerFollowsTheFAQ: a translation prepared from one FAQ
// version's answer is never given with another version's (the merchant
// changed the answer; the provider was down when the new one was due).
func TestMachineAnswerFollowsTheFAQ(t *testing.T) {
	var m machineAnswers
	v1 := &faq.Answer{Entry: faq.Entry{Intent: "returns", Lang: "en"}}
	tr := &faq.Answer{Entry: faq.Entry{Intent: "returns", Lang: "es"}}
	m.put(1, mtKey{"returns", "en", "es"}, mtAnswer{a: tr, provider: "apertium", src: v1})
	if a, p, ok := m.MachineAnswer(v1, "es-MX"); !ok || a != tr || p != "apertium" {
		t.Fatalf("the prepared translation of the answer: %v %q %v", a, p, ok)
	}
	v2 := &faq.Answer{Entry: faq.Entry{Intent: "returns", Lang: "en"}}
	if a, _, ok := m.MachineAnswer(v2, "es"); ok {
		t.Fatalf("a new FAQ version's answer got the old translation %v", a)
	}
}
