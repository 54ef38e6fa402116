package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/delivery"
)

type captured struct {
	method, path string
	header       http.Header
	body         map[string]any
	raw          []byte
}

// apiServer is a platform's send API answering each request with the
// next of answers (status, headers, body), recording what it got.
func apiServer(t *testing.T, answers ...func(w http.ResponseWriter)) (*httptest.Server, *[]captured) {
	t.Helper()
	var mu sync.Mutex
	var got []captured
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		json.Unmarshal(raw, &body)
		mu.Lock()
		i := len(got)
		got = append(got, captured{r.Method, r.URL.Path, r.Header.Clone(), body, raw})
		mu.Unlock()
		if i < len(answers) {
			answers[i](w)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func answer(code int, body string, hdr ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

func senderFor(t *testing.T, preset, sendURL string) delivery.Sender {
	t.Helper()
	c := testChannel("ch", preset)
	c.SendURL = sendURL
	ch, err := New(Options{Config: c})
	if err != nil {
		t.Fatal(err)
	}
	return ch.Sender()
}

var item = delivery.Item{Key: "s_abc/7", Channel: "ch", SessionID: "s_abc", Seq: 7, To: "16505551234", Text: "Your parcel left the warehouse.", Created: time.Unix(1739321024, 0)}

// TestSenders: each preset posts what the platform's documentation asks
// for, where it asks, with its credentials.
func TestSenders(t *testing.T) {
	t.Run("whatsapp", func(t *testing.T) {
		srv, got := apiServer(t, answer(200, `{"messaging_product":"whatsapp","contacts":[{"input":"16505551234","wa_id":"16505551234"}],"messages":[{"id":"wamid.X"}]}`))
		if err := senderFor(t, config.PresetWhatsApp, srv.URL+"/v21.0/{phone_number_id}/messages").Send(context.Background(), item); err != nil {
			t.Fatal(err)
		}
		c := (*got)[0]
		text, _ := c.body["text"].(map[string]any)
		if c.method != "POST" || c.path != "/v21.0/106540352242922/messages" || c.header.Get("Authorization") != "Bearer tok-ch" ||
			c.body["messaging_product"] != "whatsapp" || c.body["to"] != "16505551234" || c.body["type"] != "text" || text["body"] != item.Text {
			t.Fatalf("%s %s %v %s", c.method, c.path, c.header, c.raw)
		}
	})
	t.Run("telegram", func(t *testing.T) {
		srv, got := apiServer(t, answer(200, `{"ok":true,"result":{"message_id":5}}`))
		if err := senderFor(t, config.PresetTelegram, srv.URL+"/bot{token}/sendMessage").Send(context.Background(), item); err != nil {
			t.Fatal(err)
		}
		c := (*got)[0]
		if c.path != "/bottok-ch/sendMessage" || c.body["chat_id"] != "16505551234" || c.body["text"] != item.Text {
			t.Fatalf("%s %s", c.path, c.raw)
		}
	})
	t.Run("line", func(t *testing.T) {
		srv, got := apiServer(t, answer(500, "oops"), answer(409, `{"message":"The retry key is already accepted"}`))
		s := senderFor(t, config.PresetLINE, srv.URL+"/v2/bot/message/push")
		if err := s.Send(context.Background(), item); err == nil || errors.Is(err, delivery.ErrPermanent) {
			t.Fatalf("500: %v, want a temporary error", err)
		}
		// The retry was accepted before: 409 is delivered, not failed.
		if err := s.Send(context.Background(), item); err != nil {
			t.Fatalf("409 on a retry: %v", err)
		}
		a, b := (*got)[0], (*got)[1]
		msgs, _ := a.body["messages"].([]any)
		if a.path != "/v2/bot/message/push" || a.header.Get("Authorization") != "Bearer tok-ch" || a.body["to"] != "16505551234" || len(msgs) != 1 {
			t.Fatalf("%s %v %s", a.path, a.header, a.raw)
		}
		key := a.header.Get("X-Line-Retry-Key")
		if len(key) != 36 || key != b.header.Get("X-Line-Retry-Key") || key[14] != '4' {
			t.Fatalf("retry keys %q, %q: want the same UUID", key, b.header.Get("X-Line-Retry-Key"))
		}
	})
	t.Run("generic", func(t *testing.T) {
		srv, got := apiServer(t, answer(202, ""))
		if err := senderFor(t, config.PresetGeneric, srv.URL+"/replies").Send(context.Background(), item); err != nil {
			t.Fatal(err)
		}
		c := (*got)[0]
		// The receiver verifies the node's signature as the node verifies
		// the generic channel's webhooks.
		h := func(n string) string { return c.header.Get(n) }
		if err := verify(config.PresetGeneric, []byte(testSecret), time.Minute, h, c.raw, time.Now()); err != nil {
			t.Fatalf("signature: %v", err)
		}
		if c.header.Get("Idempotency-Key") != "s_abc/7" || c.body["key"] != "s_abc/7" || c.body["text"] != item.Text {
			t.Fatalf("%v %s", c.header, c.raw)
		}
	})
}

// TestSenderOutcomes: what each answer means to the queue.
func TestSenderOutcomes(t *testing.T) {
	cases := []struct {
		preset    string
		answer    func(http.ResponseWriter)
		permanent bool
		wait      time.Duration
	}{
		{config.PresetWhatsApp, answer(400, `{"error":{"message":"Re-engagement message","code":131047}}`), true, 0},
		{config.PresetWhatsApp, answer(401, `{"error":{"message":"token expired","code":190}}`), false, 0},
		{config.PresetWhatsApp, answer(429, `{}`, "Retry-After", "30"), false, 30 * time.Second},
		{config.PresetWhatsApp, answer(503, ``), false, 0},
		{config.PresetTelegram, answer(429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}`), false, 7 * time.Second},
		{config.PresetTelegram, answer(403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`), true, 0},
		{config.PresetTelegram, answer(200, `{"ok":false,"description":"odd"}`), true, 0},
		{config.PresetLINE, answer(400, `{"message":"The request body has 1 error(s)"}`), true, 0},
		{config.PresetGeneric, answer(404, `no such user`), true, 0},
		{config.PresetGeneric, answer(408, ``), false, 0},
	}
	for _, c := range cases {
		srv, _ := apiServer(t, c.answer)
		err := senderFor(t, c.preset, srv.URL+"/x").Send(context.Background(), item)
		if err == nil || errors.Is(err, delivery.ErrPermanent) != c.permanent {
			t.Errorf("%s: %v, permanent %v", c.preset, err, c.permanent)
			continue
		}
		if c.wait > 0 && !strings.Contains(err.Error(), "status 429") {
			t.Errorf("%s: %v", c.preset, err)
		}
	}
	// A token in the URL (Telegram's) never reaches an error message.
	s := senderFor(t, config.PresetTelegram, "http://127.0.0.1:1/bot{token}/sendMessage")
	if err := s.Send(context.Background(), item); err == nil || strings.Contains(err.Error(), "tok-ch") {
		t.Fatalf("unreachable API: %v", err)
	}
}
