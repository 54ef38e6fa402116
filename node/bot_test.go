package node

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/convo"
	"github.com/edgedesk/edgedesk/node/faq"
	"github.com/edgedesk/edgedesk/node/session"
)

// frame is any server frame the bot tests look at.
type frame struct {
	Type         string   `json:"type"`
	Seq          uint64   `json:"seq"`
	From         string   `json:"from"`
	Text         string   `json:"text"`
	CID          string   `json:"cid"`
	Intent       string   `json:"intent"`
	Confidence   float64  `json:"confidence"`
	Lang         string   `json:"lang"`
	QuickReplies []string `json:"quick_replies"`
	ReplyTo      uint64   `json:"reply_to"`
	Code         string   `json:"code"`
}

// ask sends text and returns the receipt and the bot's answers to it (none
// when quiet is set: then it waits a little to be sure none comes).
func ask(t *testing.T, ws *websocket.Conn, cid, text string, quiet bool) (frame, []frame) {
	t.Helper()
	if err := ws.WriteJSON(map[string]any{"type": "msg", "cid": cid, "text": text}); err != nil {
		t.Fatal(err)
	}
	var receipt frame
	var answers []frame
	wait := 5 * time.Second
	for {
		ws.SetReadDeadline(time.Now().Add(wait))
		var f frame
		if err := ws.ReadJSON(&f); err != nil {
			if quiet && receipt.Seq != 0 {
				ws.Close() // a read deadline breaks the connection for good
				return receipt, answers
			}
			t.Fatalf("%q: reading: %v (receipt %+v, answers %+v)", text, err, receipt, answers)
		}
		switch {
		case f.Type == "receipt" && f.CID == cid:
			receipt = f
			if quiet {
				wait = 300 * time.Millisecond
			}
		case f.Type == "msg" && f.From == "bot" && f.ReplyTo == receipt.Seq && receipt.Seq != 0:
			answers = append(answers, f)
			if !quiet {
				return receipt, answers
			}
		case f.Type == "error":
			t.Fatalf("%q: error frame %+v", text, f)
		}
	}
}

// demoAnswer renders the demo FAQ's entry for intent in lang with vars.
func demoAnswer(t *testing.T, intent, lang string, vars map[string]string) string {
	t.Helper()
	st, err := faq.Open(t.TempDir()+"/faq.db", faq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Import(bytes.NewReader(faq.Demo), faq.JSONL); err != nil {
		t.Fatal(err)
	}
	a, ok := st.Lookup(intent, []string{lang})
	if !ok {
		t.Fatalf("demo FAQ has no %s/%s", intent, lang)
	}
	out, ok := a.Tmpl.Render(nil, func(n string) (string, bool) { v, ok := vars[n]; return v, ok })
	if !ok {
		t.Fatalf("demo %s/%s needs more than %v", intent, lang, vars)
	}
	return string(withDemoLinks(out, a.Links))
}

func withDemoLinks(text []byte, links []faq.Link) []byte {
	for _, l := range links {
		text = append(text, "\n"+l.Title+": "+l.URL...)
	}
	return text
}

func TestBotAnswersOrderStatusInCustomerLanguage(t *testing.T) {
	_, base, _ := startNode(t)
	for _, tc := range []struct {
		locale, text, order, lang string
	}{
		{"en-GB", "Where is my order #A12345? It hasn't arrived.", "A12345", "en"},
		{"es-MX", "¿Dónde está mi pedido 48213?", "48213", "es"},
		{"zh-CN", "我的订单号是77881，到哪里了？", "77881", "zh"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			ws, _ := dialWidget(t, base, map[string]any{"locale": tc.locale, "tz": "Europe/London"})
			_, answers := ask(t, ws, "q1", tc.text, false)
			a := answers[0]
			if a.Intent != "track_order" || a.Lang != tc.lang {
				t.Fatalf("answer %+v: want intent track_order in %s", a, tc.lang)
			}
			if want := demoAnswer(t, "track_order", tc.lang, map[string]string{"order_number": tc.order}); a.Text != want {
				t.Fatalf("answer text\n got %q\nwant %q", a.Text, want)
			}
		})
	}
}

func TestBotAsksForMissingOrderNumber(t *testing.T) {
	_, base, _ := startNode(t)
	ws, _ := dialWidget(t, base, map[string]any{"locale": "en-US"})
	_, answers := ask(t, ws, "q1", "where is my order?", false)
	if answers[0].Intent != "track_order" || strings.Contains(answers[0].Text, "{{") {
		t.Fatalf("ask = %+v", answers[0])
	}
	// A bare number answers the question.
	_, answers = ask(t, ws, "q2", "55512", false)
	if want := demoAnswer(t, "track_order", "en", map[string]string{"order_number": "55512"}); answers[0].Text != want {
		t.Fatalf("after giving the number\n got %q\nwant %q", answers[0].Text, want)
	}
}

// noteRecorder records the store's notes.
type noteRecorder struct {
	mu    sync.Mutex
	notes []session.Note
}

func (r *noteRecorder) OnMessage(*session.Message) {}
func (r *noteRecorder) OnNote(n *session.Note) {
	r.mu.Lock()
	r.notes = append(r.notes, *n)
	r.mu.Unlock()
}

func (r *noteRecorder) wait(t *testing.T, kind string) session.Note {
	t.Helper()
	for i := 0; i < 500; i++ {
		r.mu.Lock()
		for _, n := range r.notes {
			if n.Kind == kind {
				r.mu.Unlock()
				return n
			}
		}
		r.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %q note", kind)
	return session.Note{}
}

func TestRefundFlowAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	open := func() (*Node, string, func()) {
		return startNode(t, func(c *config.Config) { c.DataDir = dir })
	}
	_, base, stop := open()
	ws, welcome := dialWidget(t, base, map[string]any{"locale": "es-ES"})
	_, a := ask(t, ws, "r1", "Quiero devolver un producto y que me reembolsen", false)
	if a[0].Intent != "return_refund" || a[0].Lang != "es" || !strings.Contains(a[0].Text, "número de pedido") {
		t.Fatalf("flow start = %+v", a[0])
	}
	_, a = ask(t, ws, "r2", "no sé", false)
	if !strings.Contains(a[0].Text, "#12345") {
		t.Fatalf("a non-number should get the retry text: %+v", a[0])
	}
	_, a = ask(t, ws, "r3", "es el #90817", false)
	if !strings.Contains(a[0].Text, "90817") || len(a[0].QuickReplies) != 4 {
		t.Fatalf("reason question = %+v", a[0])
	}
	last := a[0].Seq
	ws.Close()
	stop()

	// The node restarts mid-flow; the customer resumes and carries on.
	n, base, stop := open()
	defer stop()
	notes := &noteRecorder{}
	n.Store().AddObserver(notes)
	ws, _ = dialWidget(t, base, map[string]any{"locale": "es-ES", "session": welcome.Session, "last_seq": last})
	_, a = ask(t, ws, "r4", "Llegó dañado", false)
	if !strings.Contains(a[0].Text, "90817") || !strings.Contains(a[0].Text, "Llegó dañado") || a[0].QuickReplies[0] != "Sí" {
		t.Fatalf("confirmation = %+v", a[0])
	}
	_, a = ask(t, ws, "r5", "Sí", false)
	if !strings.Contains(a[0].Text, "Listo") || !strings.Contains(a[0].Text, "90817") {
		t.Fatalf("done = %+v", a[0])
	}
	ev := notes.wait(t, "return_requested")
	if ev.Session != welcome.Session || ev.Attrs["order_number"] != "90817" || ev.Attrs["reason"] != "Llegó dañado" || ev.Attrs["flow"] != "return_refund" {
		t.Fatalf("event = %+v", ev)
	}
	// Every message, the bot's included, replays on resume.
	msgs, err := n.Store().Messages(welcome.Session, 0, 0)
	if err != nil || len(msgs) != 10 {
		t.Fatalf("%d messages stored, %v", len(msgs), err)
	}
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	for i := 0; ; i++ {
		if code, _ := get(t, base+"/readyz"); code == 200 {
			return
		}
		if i > 200 {
			t.Fatal("never ready")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestUnknownTwiceEscalates(t *testing.T) {
	n, base, _ := startNode(t)
	notes := &noteRecorder{}
	n.Store().AddObserver(notes)
	ws, welcome := dialWidget(t, base, map[string]any{"locale": "en-US"})
	_, a := ask(t, ws, "u1", "what's the weather like in Paris tomorrow", false)
	if want := demoAnswer(t, convo.TextFallback, "en", nil); a[0].Text != want {
		t.Fatalf("first miss: %q, want the fallback %q", a[0].Text, want)
	}
	_, a = ask(t, ws, "u2", "tell me a joke about penguins", false)
	if want := demoAnswer(t, convo.TextHandoff, "en", nil); a[0].Text != want {
		t.Fatalf("second miss: %q, want the handoff %q", a[0].Text, want)
	}
	ev := notes.wait(t, convo.NoteEscalate)
	if ev.Session != welcome.Session || ev.Attrs["reason"] != string(convo.ReasonNotUnderstood) || ev.Attrs["lang"] != "en" {
		t.Fatalf("escalation = %+v", ev)
	}
	// Handed to people: the bot stays quiet, even for questions it knows.
	if _, a = ask(t, ws, "u3", "where is my order #12345", true); len(a) != 0 {
		t.Fatalf("bot answered a handed-over chat: %+v", a)
	}
}

func TestEscalationTriggers(t *testing.T) {
	n, base, _ := startNode(t)
	notes := &noteRecorder{}
	n.Store().AddObserver(notes)
	for _, tc := range []struct {
		name, locale, text string
		reason             convo.Reason
		lang               string
	}{
		{"asks for a person in Chinese", "zh-CN", "转人工客服", convo.ReasonRequested, "zh"},
		{"asks for a person in Spanish", "es-MX", "quiero hablar con un agente", convo.ReasonRequested, "es"},
		{"strongly negative", "en-US", "This is the worst service ever, you are scammers!!! I want my money back NOW", convo.ReasonNegative, "en"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws, welcome := dialWidget(t, base, map[string]any{"locale": tc.locale})
			_, a := ask(t, ws, "e1", tc.text, false)
			if want := demoAnswer(t, convo.TextHandoff, tc.lang, nil); a[0].Text != want {
				t.Fatalf("answer %q, want the handoff %q", a[0].Text, want)
			}
			var got session.Note
			for i := 0; i < 500 && got.Session != welcome.Session; i++ {
				notes.mu.Lock()
				for _, n := range notes.notes {
					if n.Session == welcome.Session {
						got = n
					}
				}
				notes.mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
			if got.Kind != convo.NoteEscalate || got.Attrs["reason"] != string(tc.reason) {
				t.Fatalf("note %+v, want escalation for %s", got, tc.reason)
			}
		})
	}
}

const testStaffSecret = "staff-secret-for-tests-0123456789abcdef"

func TestAdminFAQAPI(t *testing.T) {
	_, base, _ := startNode(t, func(c *config.Config) { c.Auth.StaffSecret = testStaffSecret })
	token := func(role string) string {
		tok, err := auth.Sign(testStaffSecret, auth.Claims{Subject: "ops@" + role, Role: role}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	do := func(method, url, tok, ctype, body string) (int, string, http.Header) {
		req, _ := http.NewRequest(method, base+url, strings.NewReader(body))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	if code, body, h := do("GET", "/v1/admin/faq", "", "", ""); code != 401 || h.Get("WWW-Authenticate") == "" {
		t.Fatalf("no token: %d %q", code, body)
	}
	if code, body, _ := do("GET", "/v1/admin/faq", "garbage", "", ""); code != 401 || !strings.Contains(body, "invalid token") {
		t.Fatalf("bad token: %d %q", code, body)
	}
	if code, body, _ := do("GET", "/v1/admin/faq", token("agent"), "", ""); code != 403 || !strings.Contains(body, "admin") {
		t.Fatalf("agent role: %d %q", code, body)
	}
	admin := token("admin")
	code, demo, h := do("GET", "/v1/admin/faq", admin, "", "")
	if code != 200 || h.Get("X-Edgedesk-Faq-Version") != "1" || !strings.Contains(demo, `"intent":"track_order"`) {
		t.Fatalf("export: %d %s %q", code, h, demo[:min(len(demo), 200)])
	}

	// A bad file is refused whole, naming each line and field.
	bad := `{"intent":"greeting","lang":"en","answer":"Hi {{name|there}}"}` + "\n" +
		`{"intent":"track_order","lang":"en","answer":"Order {{ordr}}"}` + "\n" +
		`{"intent":"Bad Intent","lang":"en","answer":"x"}` + "\n"
	code, body, _ := do("PUT", "/v1/admin/faq", admin, "application/x-ndjson", bad)
	var refusal struct {
		Error  string
		Errors []struct {
			Line  int
			Field string
		}
	}
	json.Unmarshal([]byte(body), &refusal)
	if code != 400 || len(refusal.Errors) != 2 || refusal.Errors[0].Line != 2 || refusal.Errors[0].Field != "answer" || refusal.Errors[1].Line != 3 || refusal.Errors[1].Field != "intent" {
		t.Fatalf("bad import: %d %s", code, body)
	}
	if _, after, h := do("GET", "/v1/admin/faq", admin, "", ""); after != demo || h.Get("X-Edgedesk-Faq-Version") != "1" {
		t.Fatal("a refused import changed the FAQ")
	}

	// CSV export, import it back: the same FAQ as a new version.
	code, csvBody, _ := do("GET", "/v1/admin/faq?format=csv", admin, "", "")
	if code != 200 || !strings.HasPrefix(csvBody, "intent,lang,answer") {
		t.Fatalf("csv export: %d %q", code, csvBody[:min(len(csvBody), 100)])
	}
	code, body, _ = do("PUT", "/v1/admin/faq", admin, "text/csv", csvBody)
	if code != 200 || !strings.Contains(body, `"version":2`) {
		t.Fatalf("csv import: %d %s", code, body)
	}
	if _, again, _ := do("GET", "/v1/admin/faq", admin, "", ""); again != demo {
		t.Fatal("CSV round trip changed the FAQ")
	}

	// A new answer is live at once.
	sc := bufio.NewScanner(strings.NewReader(demo))
	var lines []string
	for sc.Scan() {
		l := sc.Text()
		if strings.Contains(l, `"intent":"greeting","lang":"en"`) {
			l = `{"intent":"greeting","lang":"en","answer":"Welcome to the new shop, {{name|friend}}!"}`
		}
		lines = append(lines, l)
	}
	if code, body, _ = do("PUT", "/v1/admin/faq", admin, "", strings.Join(lines, "\n")); code != 200 {
		t.Fatalf("import: %d %s", code, body)
	}
	ws, _ := dialWidget(t, base, map[string]any{"locale": "en-US", "customer": map[string]any{"name": "Ana"}})
	if _, a := ask(t, ws, "g1", "hello there!", false); a[0].Text != "Welcome to the new shop, Ana!" {
		t.Fatalf("greeting after import = %+v", a[0])
	}
	if code, _, h := do("DELETE", "/v1/admin/faq", admin, "", ""); code != 405 || h.Get("Allow") == "" {
		t.Fatalf("DELETE = %d", code)
	}
}

// Without auth.staff_secret the admin API is on, with the key the node
// generated into its data directory.
func TestAdminAPIWithGeneratedKey(t *testing.T) {
	n, base, _ := startNode(t)
	if code, _ := get(t, base+"/v1/admin/faq"); code != 401 {
		t.Fatalf("no token = %d", code)
	}
	tok, err := auth.Sign(nodeKey(t, n), auth.Claims{Subject: "ops", Role: "admin"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if r := call(t, "GET", base+"/v1/admin/faq", "", "", "Authorization: Bearer "+tok); r.code != 200 {
		t.Fatalf("token signed with the generated key = %d", r.code)
	}
}
