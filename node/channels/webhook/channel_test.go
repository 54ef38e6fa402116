package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/session"
)

const testSecret = "0123456789abcdef-test-secret"

func testChannel(name, preset string) config.Channel {
	return config.Channel{Name: name, Preset: preset, Secret: testSecret, Token: "tok-" + name, VerifyToken: "verify-me",
		PhoneNumberID: "106540352242922", SendURL: map[string]string{config.PresetGeneric: "http://127.0.0.1:1/out"}[preset]}
}

// harness is a real store behind a real HTTP server serving the channels.
type harness struct {
	store *session.Store
	url   string
	chans Channels
}

func newHarness(t *testing.T, cfgs ...config.Channel) *harness {
	t.Helper()
	st, err := session.Open(session.Options{Path: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	h := &harness{store: st, chans: Channels{}}
	opener := &session.Opener{Store: st}
	for _, c := range cfgs {
		ch, err := New(Options{Config: c, Store: st, Opener: opener})
		if err != nil {
			t.Fatal(err)
		}
		h.chans[c.Name] = ch
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: h.chans.Serve, MaxRequestBodySize: config.MaxChannelBody}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown() })
	h.url = "http://" + ln.Addr().String() + PathPrefix
	return h
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signed returns the headers the platform would send with body.
func signed(preset string, body []byte, at time.Time) http.Header {
	h := http.Header{}
	m := hmac.New(sha256.New, []byte(testSecret))
	m.Write(body)
	switch preset {
	case config.PresetWhatsApp:
		h.Set(headerWhatsApp, "sha256="+hex.EncodeToString(m.Sum(nil)))
	case config.PresetTelegram:
		h.Set(headerTelegram, testSecret)
	case config.PresetLINE:
		h.Set(headerLINE, base64.StdEncoding.EncodeToString(m.Sum(nil)))
	case config.PresetGeneric:
		ts, sig := Sign([]byte(testSecret), body, at)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
	}
	return h
}

func (h *harness) post(t *testing.T, channel string, body []byte, hdr http.Header) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url+channel+"/webhook", bytes.NewReader(body))
	req.Header = hdr
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// messages returns every message of customer cust's sessions.
func (h *harness) messages(t *testing.T, cust string) []session.Message {
	t.Helper()
	ids, err := h.store.CustomerSessions(cust)
	if err != nil {
		t.Fatal(err)
	}
	var out []session.Message
	for _, id := range ids {
		ms, err := h.store.Messages(id, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ms...)
	}
	return out
}

// TestPresets posts each platform's payloads, as its documentation shows
// them, signed as the platform signs: text messages are stored in the
// customer's session, everything else is recognised and not stored.
func TestPresets(t *testing.T) {
	h := newHarness(t, testChannel("wa", config.PresetWhatsApp), testChannel("tg", config.PresetTelegram),
		testChannel("line", config.PresetLINE), testChannel("app", config.PresetGeneric))
	type want struct {
		cust, text, name, locale string
	}
	cases := []struct {
		channel, preset, file string
		res                   Result
		msgs                  []want
	}{
		{"wa", config.PresetWhatsApp, "whatsapp_text.json", Result{Stored: 1},
			[]want{{"phone:+16505551234", "Where is my order #A1234?", "Sheena Nelson", ""}}},
		{"wa", config.PresetWhatsApp, "whatsapp_batch.json", Result{Stored: 3, Ignored: 2},
			[]want{{"phone:+16505551234", "hello", "Sheena Nelson", ""}, {"phone:+16505551234", "Track my parcel", "Sheena Nelson", ""}, {"phone:+60173526233", "Hihu", "Lee Jen Ling", ""}}},
		{"wa", config.PresetWhatsApp, "whatsapp_status.json", Result{}, nil},
		{"tg", config.PresetTelegram, "telegram_message.json", Result{Stored: 1},
			[]want{{"telegram:1111111", "注文はいつ届きますか？", "Kenji", "ja"}}},
		{"tg", config.PresetTelegram, "telegram_sticker.json", Result{Ignored: 1}, nil},
		{"tg", config.PresetTelegram, "telegram_edited.json", Result{}, nil},
		{"line", config.PresetLINE, "line_events.json", Result{Stored: 1, Ignored: 2},
			[]want{{"line:U4af4980629a2b3c4d5e6f708192a3b4c", "Is the blue one in stock?", "", ""}}},
		{"app", config.PresetGeneric, "generic.json", Result{Stored: 1, Ignored: 1},
			[]want{{"app:app-user-42", "¿Dónde está mi pedido?", "Ana", "es-MX"}}},
	}
	seen := map[string]int{} // messages per customer so far
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			body := readFile(t, c.file)
			code, resp := h.post(t, c.channel, body, signed(c.preset, body, time.Now()))
			if code != 200 {
				t.Fatalf("status %d: %s", code, resp)
			}
			var got Result
			if err := json.Unmarshal([]byte(resp), &got); err != nil || got != c.res {
				t.Fatalf("answer %s, want %+v", resp, c.res)
			}
			for _, w := range c.msgs {
				ms := h.messages(t, w.cust)
				i := seen[w.cust]
				if len(ms) <= i {
					t.Fatalf("customer %s: %d messages, want more than %d", w.cust, len(ms), i)
				}
				m := ms[i]
				seen[w.cust] = i + 1
				if m.Text != w.text || m.Channel != c.channel || m.From != session.FromCustomer || m.Locale != w.locale || m.CustomerID != w.cust {
					t.Errorf("stored %+v, want %+v on %s", m, w, c.channel)
				}
				meta, err := h.store.Get(m.Session)
				if err != nil {
					t.Fatal(err)
				}
				if meta.Customer.Name != w.name || !meta.Verified || meta.Contact == nil || meta.Contact.Channel != c.channel {
					t.Errorf("session %+v", meta)
				}
			}
		})
	}
	// Telegram answers go to the chat; LINE's to the user.
	ms := h.messages(t, "telegram:1111111")
	if meta, _ := h.store.Get(ms[0].Session); meta.Contact.To != "1111111" {
		t.Errorf("telegram contact %+v", meta.Contact)
	}
	gm := h.messages(t, "app:app-user-42")
	if len(gm[0].Attachments) != 1 || gm[0].Attachments[0].URL != "https://cdn.example.com/receipt.pdf" || gm[0].Attachments[0].Size != 48213 {
		t.Errorf("generic attachments %+v", gm[0].Attachments)
	}
}

// TestRetriedWebhookStoredOnce: a platform's retry of a webhook stores
// nothing new and is answered 200 again.
func TestRetriedWebhookStoredOnce(t *testing.T) {
	h := newHarness(t, testChannel("wa", config.PresetWhatsApp))
	body := readFile(t, "whatsapp_batch.json")
	for i, want := range []Result{{Stored: 3, Ignored: 2}, {Duplicates: 3, Ignored: 2}} {
		code, resp := h.post(t, "wa", body, signed(config.PresetWhatsApp, body, time.Now()))
		var got Result
		json.Unmarshal([]byte(resp), &got)
		if code != 200 || got != want {
			t.Fatalf("attempt %d: %d %s, want %+v", i, code, resp, want)
		}
	}
	if n := len(h.messages(t, "phone:+16505551234")); n != 2 {
		t.Fatalf("%d messages, want 2", n)
	}
	if n := h.store.Sessions(); n != 2 {
		t.Fatalf("%d sessions, want 2", n)
	}
}

// TestRefused: a bad signature, a replayed timestamp, an oversized body
// and a malformed one each get a clear 4xx, and nothing is stored.
func TestRefused(t *testing.T) {
	small := testChannel("app", config.PresetGeneric)
	small.MaxBodyBytes = 2048
	h := newHarness(t, testChannel("wa", config.PresetWhatsApp), testChannel("tg", config.PresetTelegram),
		testChannel("line", config.PresetLINE), small)
	wa := readFile(t, "whatsapp_text.json")
	gen := readFile(t, "generic.json")
	tamper := func(b []byte) []byte { return bytes.Replace(b, []byte("o"), []byte("0"), 1) }
	big := []byte(`{"messages":[{"id":"x","customer":{"id":"c"},"text":"` + strings.Repeat("a", 4000) + `"}]}`)
	cases := []struct {
		name, channel string
		body          []byte
		hdr           http.Header
		code          int
		says          string
	}{
		{"whatsapp unsigned", "wa", wa, http.Header{}, 401, "X-Hub-Signature-256"},
		{"whatsapp tampered", "wa", tamper(wa), signed(config.PresetWhatsApp, wa, time.Now()), 401, "does not match"},
		{"whatsapp other secret", "wa", wa, http.Header{headerWhatsApp: {"sha256=" + strings.Repeat("ab", 32)}}, 401, "does not match"},
		{"telegram wrong token", "tg", readFile(t, "telegram_message.json"), http.Header{headerTelegram: {"nope"}}, 401, "does not match"},
		{"line tampered", "line", tamper(readFile(t, "line_events.json")), signed(config.PresetLINE, readFile(t, "line_events.json"), time.Now()), 401, "does not match"},
		{"generic replayed", "app", gen, signed(config.PresetGeneric, gen, time.Now().Add(-10*time.Minute)), 401, "window"},
		{"generic from the future", "app", gen, signed(config.PresetGeneric, gen, time.Now().Add(10*time.Minute)), 401, "window"},
		{"generic oversized", "app", big, signed(config.PresetGeneric, big, time.Now()), 413, "at most 2048"},
		{"malformed", "wa", []byte(`{"entry":[`), signed(config.PresetWhatsApp, []byte(`{"entry":[`), time.Now()), 400, "not JSON"},
		{"not an object", "app", []byte(`[1,2]`), signed(config.PresetGeneric, []byte(`[1,2]`), time.Now()), 400, "JSON object"},
		{"no customer", "app", []byte(`{"messages":[{"id":"m","text":"hi"}]}`), signed(config.PresetGeneric, []byte(`{"messages":[{"id":"m","text":"hi"}]}`), time.Now()), 400, "no customer id"},
		{"no message id", "app", []byte(`{"messages":[{"customer":{"id":"c"},"text":"hi"}]}`), signed(config.PresetGeneric, []byte(`{"messages":[{"customer":{"id":"c"},"text":"hi"}]}`), time.Now()), 400, "no message id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, resp := h.post(t, c.channel, c.body, c.hdr)
			if code != c.code || !strings.Contains(resp, c.says) {
				t.Fatalf("%d %q, want %d saying %q", code, resp, c.code, c.says)
			}
		})
	}
	if n := h.store.Sessions(); n != 0 {
		t.Fatalf("%d sessions stored by refused webhooks", n)
	}
	// Unknown channels and methods.
	if code, _ := h.post(t, "nope", wa, http.Header{}); code != 404 {
		t.Errorf("unknown channel: %d", code)
	}
	resp, err := http.Get(h.url + "tg/webhook")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("GET on telegram: %d", resp.StatusCode)
	}
}

// TestWhatsAppVerification: the subscription GET echoes hub.challenge
// only with the verify token.
func TestWhatsAppVerification(t *testing.T) {
	h := newHarness(t, testChannel("wa", config.PresetWhatsApp))
	get := func(q string) (int, string) {
		resp, err := http.Get(h.url + "wa/webhook?" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me"); code != 200 || body != "1158201444" {
		t.Fatalf("%d %q", code, body)
	}
	if code, _ := get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess"); code != 403 {
		t.Fatalf("wrong token: %d", code)
	}
	if code, _ := get("hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=verify-me"); code != 400 {
		t.Fatalf("wrong mode: %d", code)
	}
}

// TestLinkedIdentity: a WhatsApp number linked to a widget customer
// writes into that customer's latest session (one history), keeping the
// customer's record; an unlinked number has its own customer.
func TestLinkedIdentity(t *testing.T) {
	h := newHarness(t, testChannel("wa", config.PresetWhatsApp))
	ctx := context.Background()
	web, err := h.store.Create(ctx, session.Meta{Channel: "web", Verified: true, Customer: session.Customer{ID: "cust-42", Name: "Sheena N.", Tier: "vip"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.Post(ctx, session.Message{Session: web.ID, From: session.FromCustomer, CID: "w1", Channel: "web", Text: "hi from the shop"}); err != nil {
		t.Fatal(err)
	}
	if err := h.store.LinkIdentity(ctx, session.Identity{Kind: "phone", Value: "+16505551234"}, "cust-42"); err != nil {
		t.Fatal(err)
	}
	body := readFile(t, "whatsapp_text.json")
	if code, resp := h.post(t, "wa", body, signed(config.PresetWhatsApp, body, time.Now())); code != 200 {
		t.Fatalf("%d %s", code, resp)
	}
	ms, err := h.store.Messages(web.ID, 0, 0)
	if err != nil || len(ms) != 2 || ms[1].Channel != "wa" || ms[1].CustomerID != "cust-42" {
		t.Fatalf("widget session holds %+v %v", ms, err)
	}
	meta, _ := h.store.Get(web.ID)
	if meta.Customer.Tier != "vip" || meta.Customer.Name != "Sheena N." || meta.Contact == nil || meta.Contact.To != "16505551234" {
		t.Fatalf("session after the WhatsApp message %+v", meta)
	}
	if n := h.store.Sessions(); n != 1 {
		t.Fatalf("%d sessions, want the one", n)
	}
}
