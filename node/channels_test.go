package node

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/session"
)

const waSecret = "whatsapp-app-secret-for-tests"

// fakeGraph is WhatsApp's send API: it records each message it accepts.
type fakeGraph struct {
	mu   sync.Mutex
	sent []map[string]any
	auth []string
}

func (g *fakeGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m map[string]any
	if r.URL.Path != "/v21.0/106540352242922/messages" || json.NewDecoder(r.Body).Decode(&m) != nil {
		http.Error(w, `{"error":{"message":"bad request"}}`, 400)
		return
	}
	g.mu.Lock()
	g.sent, g.auth = append(g.sent, m), append(g.auth, r.Header.Get("Authorization"))
	g.mu.Unlock()
	io.WriteString(w, `{"messaging_product":"whatsapp","messages":[{"id":"wamid.out"}]}`)
}

func (g *fakeGraph) bodies() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, m := range g.sent {
		text, _ := m["text"].(map[string]any)
		out = append(out, fmt.Sprint(m["to"], ": ", text["body"]))
	}
	return out
}

func withWhatsApp(sendBase string) func(*config.Config) {
	return func(c *config.Config) {
		c.Channels = []config.Channel{{Name: "whatsapp", Preset: config.PresetWhatsApp, Secret: waSecret, Token: "graph-token",
			VerifyToken: "v", PhoneNumberID: "106540352242922", SendURL: sendBase + "/v21.0/{phone_number_id}/messages"}}
		c.Delivery.MinBackoff, c.Delivery.MaxBackoff = 20*time.Millisecond, 200*time.Millisecond
	}
}

// waText is a WhatsApp Cloud API webhook with one text message.
func waText(from, id, text string) []byte {
	return []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"messaging_product":"whatsapp",`+
		`"metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena"},"wa_id":%q}],`+
		`"messages":[{"from":%q,"id":%q,"timestamp":"1739321024","text":{"body":%q},"type":"text"}]},"field":"messages"}]}]}`, from, from, id, text))
}

func postWhatsApp(t *testing.T, base string, body []byte) (int, string) {
	t.Helper()
	m := hmac.New(sha256.New, []byte(waSecret))
	m.Write(body)
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/channels/whatsapp/webhook", bytes.NewReader(body))
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOneCustomerWhatsAppAndWidget: a shop's signed-in customer whose
// widget token links their phone number writes on WhatsApp: the message
// joins their widget session (one profile, one history), the widget sees
// it live and on resume, an agent's answer goes out to WhatsApp through
// the queue, and once the customer writes in the widget again answers
// stay there. The export shows one profile with the linked identity.
func TestOneCustomerWhatsAppAndWidget(t *testing.T) {
	const secret = "widget-secret-for-tests-0123456789abcdef"
	graph := &fakeGraph{}
	api := httptest.NewServer(graph)
	defer api.Close()
	n, base, _ := startNode(t, noBot, withWhatsApp(api.URL), func(c *config.Config) {
		c.Auth.WidgetSecret, c.Auth.StaffSecret = secret, testStaffSecret
	})
	tok, err := auth.Sign(secret, auth.Claims{Subject: "cust-42", Name: "Sheena Nelson", Tier: "vip",
		Links: map[string]string{"phone": "+16505551234"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ws, w := dialWidget(t, base, map[string]any{"token": tok, "locale": "en-US"})
	ws.WriteJSON(map[string]any{"type": "msg", "cid": "w1", "text": "Hi, I ordered a lamp"})
	widgetNext(t, ws, func(f map[string]any) bool { return f["type"] == "receipt" })

	// The same person on WhatsApp: their number is linked by the token.
	if code, resp := postWhatsApp(t, base, waText("16505551234", "wamid.IN1", "It is still not here")); code != 200 || !strings.Contains(resp, `"stored":1`) {
		t.Fatalf("webhook %d %s", code, resp)
	}
	live := widgetNext(t, ws, func(f map[string]any) bool { return f["type"] == "msg" && f["from"] == "customer" })
	if live["text"] != "It is still not here" || live["channel"] != "whatsapp" {
		t.Fatalf("widget got %v", live)
	}
	if n.Store().Sessions() != 1 {
		t.Fatalf("%d sessions: want the customer's one", n.Store().Sessions())
	}

	// An agent answers: it goes to WhatsApp (the customer wrote there
	// last), and to the widget still open.
	if _, err := n.Store().Post(t.Context(), session.Message{Session: w.Session, From: session.FromAgent, Agent: &session.AgentRef{ID: "ana", Name: "Ana"}, Text: "Checking with the courier now"}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "the answer on WhatsApp", func() bool { return len(graph.bodies()) == 1 })
	if got := graph.bodies(); got[0] != "16505551234: Checking with the courier now" || graph.auth[0] != "Bearer graph-token" {
		t.Fatalf("WhatsApp got %v %v", got, graph.auth)
	}
	waitUntil(t, 10*time.Second, "the answer out of the queue", func() bool { p, d := n.Store().DeliveryCounts(); return p == 0 && d == 0 })

	// Back in the widget: answers stay in the widget.
	ws.WriteJSON(map[string]any{"type": "msg", "cid": "w2", "text": "thanks, I'm on the site now"})
	widgetNext(t, ws, func(f map[string]any) bool { return f["type"] == "receipt" && f["cid"] == "w2" })
	if _, err := n.Store().Post(t.Context(), session.Message{Session: w.Session, From: session.FromAgent, Agent: &session.AgentRef{ID: "ana"}, Text: "Great"}); err != nil {
		t.Fatal(err)
	}
	if p, d := n.Store().DeliveryCounts(); p != 0 || d != 0 {
		t.Fatalf("queue after the widget answer: %d pending, %d dead", p, d)
	}

	// One history: a resume from scratch replays both channels' messages.
	ws2, _ := dialWidget(t, base, map[string]any{"token": tok, "session": w.Session, "last_seq": 0})
	var texts []string
	for len(texts) < 5 {
		f := widgetNext(t, ws2, func(f map[string]any) bool { return f["type"] == "msg" })
		texts = append(texts, fmt.Sprint(f["channel"], "|", f["text"]))
	}
	want := "<nil>|Hi, I ordered a lamp,whatsapp|It is still not here,<nil>|Checking with the courier now,<nil>|thanks, I'm on the site now,<nil>|Great"
	if strings.Join(texts, ",") != want {
		t.Fatalf("resumed history %v", texts)
	}

	// One profile: the export has the one session and the linked number.
	code, body := adminGet(t, base+AdminCustomersPath+"cust-42/export", "admin")
	var e CustomerExport
	if code != 200 || json.Unmarshal(body, &e) != nil {
		t.Fatalf("export %d %s", code, body)
	}
	if len(e.Sessions) != 1 || e.Profile == nil || e.Profile.Tier != "vip" || len(e.Identities) != 1 || e.Identities[0].String() != "phone:+16505551234" {
		t.Fatalf("export %s", body)
	}
	// The admin session view: each message's channel, and the identities.
	code, body = adminGet(t, base+AdminSessionsPath+w.Session, "supervisor")
	if code != 200 || !strings.Contains(string(body), `"channel":"whatsapp"`) || !strings.Contains(string(body), `"identities":[{"kind":"phone","value":"+16505551234"}]`) {
		t.Fatalf("session view %d %s", code, body)
	}
}

// TestDeliveriesAdminAPI: a send API that refuses for good dead-letters
// the answer; the admin API lists it and retries it, and then it is
// delivered.
func TestDeliveriesAdminAPI(t *testing.T) {
	graph := &fakeGraph{}
	var refuse sync.Mutex
	refusing := true
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refuse.Lock()
		no := refusing
		refuse.Unlock()
		if no {
			http.Error(w, `{"error":{"message":"(#131030) Recipient phone number not in allowed list","code":131030}}`, 400)
			return
		}
		graph.ServeHTTP(w, r)
	}))
	defer api.Close()
	n, base, _ := startNode(t, noBot, withWhatsApp(api.URL), func(c *config.Config) { c.Auth.StaffSecret = testStaffSecret })
	if code, resp := postWhatsApp(t, base, waText("4915100000001", "wamid.A", "hallo")); code != 200 {
		t.Fatalf("%d %s", code, resp)
	}
	ids, _ := n.Store().CustomerSessions("phone:+4915100000001")
	if len(ids) != 1 {
		t.Fatalf("sessions %v", ids)
	}
	if _, err := n.Store().Post(t.Context(), session.Message{Session: ids[0], From: session.FromAgent, Text: "Hallo! Wie kann ich helfen?"}); err != nil {
		t.Fatal(err)
	}
	var page DeliveryPage
	waitUntil(t, 10*time.Second, "the dead letter", func() bool {
		code, body := adminGet(t, base+AdminDeliveriesPath+"?state=dead", "supervisor")
		return code == 200 && json.Unmarshal(body, &page) == nil && len(page.Items) == 1
	})
	it := page.Items[0]
	if it.Key != ids[0]+"/2" || it.To != "4915100000001" || !strings.Contains(it.LastError, "131030") || page.Dead != 1 || page.Pending != 0 {
		t.Fatalf("dead letter %+v", page)
	}
	if code, _ := adminGet(t, base+AdminDeliveriesPath+"?state=dead", "agent"); code != 403 {
		t.Fatalf("an agent read the queue: %d", code)
	}
	refuse.Lock()
	refusing = false
	refuse.Unlock()
	tok, _ := auth.Sign(testStaffSecret, auth.Claims{Subject: "sue", Role: "admin"}, time.Hour)
	req, _ := http.NewRequest(http.MethodPost, base+AdminDeliveriesPath+"/"+it.Key+"/retry", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("retry: %d", resp.StatusCode)
	}
	waitUntil(t, 10*time.Second, "the retried answer", func() bool { return len(graph.bodies()) == 1 })
	// The worker records the outcome just after the send API answered.
	waitUntil(t, 10*time.Second, "the retried answer out of the queue", func() bool {
		p, d := n.Store().DeliveryCounts()
		return p == 0 && d == 0
	})
	if got := graph.bodies(); len(got) != 1 {
		t.Fatalf("sent %v: want the one answer once", got)
	}
	// Retrying what is not a dead letter is a 404.
	req, _ = http.NewRequest(http.MethodPost, base+AdminDeliveriesPath+"/"+it.Key+"/retry", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("second retry: %d", resp.StatusCode)
	}
	// The queue's metrics.
	_, metrics := get(t, base+"/metrics")
	for _, m := range []string{`edgedesk_delivery_delivered_total{channel="whatsapp"} 1`, `edgedesk_delivery_dead_lettered_total{channel="whatsapp"} 1`, "edgedesk_delivery_pending 0", `edgedesk_webhook_messages_total{channel="whatsapp",result="stored"} 1`} {
		if !strings.Contains(metrics, m) {
			t.Errorf("metrics lack %s", m)
		}
	}
}

// TestOneCustomerLinkedLater: a customer first writes on WhatsApp (a
// session of "phone:+…"), then signs in on the shop, whose widget token
// links the number. Their next WhatsApp message joins the widget
// session; the export holds both sessions, the linked number and one
// profile, the shop's; the erasure removes both and the link, so the
// number writes into a fresh session afterwards.
func TestOneCustomerLinkedLater(t *testing.T) {
	const secret = "widget-secret-for-tests-0123456789abcdef"
	graph := &fakeGraph{}
	api := httptest.NewServer(graph)
	defer api.Close()
	n, base, _ := startNode(t, noBot, withWhatsApp(api.URL), func(c *config.Config) {
		c.Auth.WidgetSecret, c.Auth.StaffSecret = secret, testStaffSecret
	})
	const phone = "phone:+4915100000002"
	if code, resp := postWhatsApp(t, base, waText("4915100000002", "wamid.L1", "Hallo, wo ist mein Paket?")); code != 200 {
		t.Fatalf("%d %s", code, resp)
	}
	early, _ := n.Store().CustomerSessions(phone)
	if len(early) != 1 {
		t.Fatalf("sessions of %s: %v", phone, early)
	}

	tok, _ := auth.Sign(secret, auth.Claims{Subject: "cust-7", Name: "Jonas Weber", Links: map[string]string{"phone": "+4915100000002"}}, time.Hour)
	ws, w := dialWidget(t, base, map[string]any{"token": tok, "locale": "de-DE"})
	defer ws.Close()
	ws.WriteJSON(map[string]any{"type": "msg", "cid": "w1", "text": "Ich bin jetzt im Shop"})
	widgetNext(t, ws, func(f map[string]any) bool { return f["type"] == "receipt" })
	if code, resp := postWhatsApp(t, base, waText("4915100000002", "wamid.L2", "Noch da?")); code != 200 || !strings.Contains(resp, `"stored":1`) {
		t.Fatalf("%d %s", code, resp)
	}
	if f := widgetNext(t, ws, func(f map[string]any) bool { return f["type"] == "msg" && f["from"] == "customer" }); f["text"] != "Noch da?" || f["channel"] != "whatsapp" {
		t.Fatalf("widget got %v", f)
	}
	if later, _ := n.Store().CustomerSessions(phone); len(later) != 1 {
		t.Fatalf("a linked number opened a session of its own: %v", later)
	}

	code, body := adminGet(t, base+AdminCustomersPath+"cust-7/export", "admin")
	var e CustomerExport
	if code != 200 || json.Unmarshal(body, &e) != nil {
		t.Fatalf("export %d %s", code, body)
	}
	got := map[string]int{}
	for _, s := range e.Sessions {
		got[s.Session.ID] = len(s.Messages)
	}
	if len(e.Sessions) != 2 || got[early[0]] != 1 || got[w.Session] != 2 || e.Profile == nil || e.Profile.ID != "cust-7" ||
		len(e.Identities) != 1 || e.Identities[0].String() != phone {
		t.Fatalf("export %s", body)
	}

	code, body = adminDo(t, "DELETE", base+AdminCustomersPath+"cust-7", "admin")
	var rep ErasureReport
	if code != 200 || json.Unmarshal(body, &rep) != nil || len(rep.Sessions) != 2 || rep.Messages != 3 {
		t.Fatalf("erase %d %s", code, body)
	}
	if c, _ := n.Store().IdentityCustomer(session.Identity{Kind: "phone", Value: "+4915100000002"}); c != "" {
		t.Fatalf("the number is still linked to %q", c)
	}
	if ids, _ := n.Store().CustomerSessions(phone); len(ids) != 0 {
		t.Fatalf("the number's early session survived the erasure: %v", ids)
	}
	// Unlinked now: the number's next message is a new customer's.
	if code, resp := postWhatsApp(t, base, waText("4915100000002", "wamid.L3", "Hallo?")); code != 200 || !strings.Contains(resp, `"stored":1`) {
		t.Fatalf("%d %s", code, resp)
	}
	if ids, _ := n.Store().CustomerSessions(phone); len(ids) != 1 || ids[0] == early[0] || ids[0] == w.Session {
		t.Fatalf("after the erasure: %v", ids)
	}
}
