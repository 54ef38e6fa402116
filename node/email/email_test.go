package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"

	"github.com/edgedesk/edgedesk/node/away"
	"github.com/edgedesk/edgedesk/node/delivery"
	"github.com/edgedesk/edgedesk/node/email/verify"
	"github.com/edgedesk/edgedesk/node/session"
)

// harness is a node's email side: a real session store, the listener on a
// loopback port, the thread index, and a Sender pointed at relay.
type harness struct {
	store   *session.Store
	threads *Threads
	ln      *Listener
	relay   *relay
	sender  *Sender
}

func newHarness(t *testing.T, mod func(*ListenerOptions)) *harness {
	t.Helper()
	dir := t.TempDir()
	st, err := session.Open(session.Options{Path: dir + "/sessions.db"})
	if err != nil {
		t.Fatal(err)
	}
	th, err := OpenThreads(dir+"/email.db", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	o := ListenerOptions{Addr: "127.0.0.1:0", Domain: "shop.example", Addresses: []string{"support@shop.example"},
		MaxMessageBytes: 64 << 10, MaxRecipients: 3, Opener: &session.Opener{Store: st}, Store: st, Threads: th}
	if mod != nil {
		mod(&o)
	}
	ln, err := NewListener(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- ln.Run(ctx) }()
	h := &harness{store: st, threads: th, ln: ln, relay: startRelay(t)}
	h.sender, err = NewSender(SenderOptions{Host: "127.0.0.1", Port: h.relay.port, TLS: TLSNone,
		From: "Shop Support <support@shop.example>", Store: st, Threads: th, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-runErr; err != nil {
			t.Errorf("listener Run: %v", err)
		}
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer ccancel()
		if err := st.Close(cctx); err != nil {
			t.Errorf("store close: %v", err)
		}
		if err := th.Close(); err != nil {
			t.Errorf("threads close: %v", err)
		}
	})
	return h
}

// send submits raw to the node's listener as a real SMTP client would.
func (h *harness) send(from string, to []string, raw string) error {
	c, err := smtp.Dial(h.ln.Addr().String())
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendMail(from, to, strings.NewReader(strings.ReplaceAll(raw, "\n", "\r\n"))); err != nil {
		return err
	}
	return c.Quit()
}

// messages returns every message of every session the store holds, by
// session, found through the thread index and the customer index.
func (h *harness) sessionOf(t *testing.T, msgID string) session.Meta {
	t.Helper()
	sid, err := h.threads.Lookup(&Mail{InReplyTo: []string{msgID}})
	if err != nil || sid == "" {
		t.Fatalf("no session threads %s (err %v)", msgID, err)
	}
	meta, err := h.store.Get(sid)
	if err != nil {
		t.Fatal(err)
	}
	return meta
}

// relay is an in-process SMTP server standing in for the merchant's
// relay: it keeps what it receives, or refuses with fail.
type relay struct {
	port int
	srv  *smtp.Server
	mu   sync.Mutex
	got  []received
	fail *smtp.SMTPError
	// failNext refuses this many more transactions with 451 first.
	failNext int
}

type received struct {
	from string
	to   []string
	raw  []byte
}

func startRelay(t *testing.T) *relay {
	t.Helper()
	r := &relay{}
	r.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &relaySession{r: r}, nil }))
	r.srv.Domain = "relay.test"
	r.srv.ErrorLog = log.New(io.Discard, "", 0) // refused and reset connections are the point of some tests
	r.srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.port = ln.Addr().(*net.TCPAddr).Port
	go r.srv.Serve(ln)
	t.Cleanup(func() { r.srv.Close() })
	return r
}

func (r *relay) mails() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

type relaySession struct {
	r    *relay
	from string
	to   []string
}

func (s *relaySession) Reset()        { s.from, s.to = "", nil }
func (s *relaySession) Logout() error { return nil }
func (s *relaySession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.r.mu.Lock()
	fail := s.r.fail
	if fail == nil && s.r.failNext > 0 {
		s.r.failNext--
		fail = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "busy"}
	}
	s.r.mu.Unlock()
	if fail != nil {
		return fail
	}
	s.to = append(s.to, to)
	return nil
}
func (s *relaySession) Data(rd io.Reader) error {
	b, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	s.r.got = append(s.r.got, received{s.from, s.to, b})
	s.r.mu.Unlock()
	return nil
}

func customerMail(msgID, subject, body string, extra ...string) string {
	h := "From: Ana García <ana@customer.example>\nTo: support@shop.example\nSubject: " + subject +
		"\nMessage-ID: <" + msgID + ">\nDate: Thu, 03 Dec 2026 10:00:00 +0000\n"
	for _, e := range extra {
		h += e + "\n"
	}
	return h + "Content-Type: text/plain; charset=utf-8\n\n" + body + "\n"
}

// TestRoundTrip is the issue's "email round trip through a real SMTP
// server": a mail in → a session with the message → an agent's and the
// bot's answers out through the Sender to a second SMTP server with the
// threading headers → the customer's reply lands in the same session.
func TestRoundTrip(t *testing.T) {
	h := newHarness(t, nil)
	err := h.send("ana@customer.example", []string{"support@shop.example"},
		customerMail("first@customer.example", "Where is my order 12345?", "Hi,\nmy order 12345 has not arrived.\n\nAna"))
	if err != nil {
		t.Fatalf("first mail: %v", err)
	}
	// 250 came back: the message is durable now.
	meta := h.sessionOf(t, "first@customer.example")
	if meta.Channel != "email" || meta.Customer.Email != "ana@customer.example" || meta.Customer.Name != "Ana García" {
		t.Fatalf("session %+v", meta)
	}
	msgs, err := h.store.Messages(meta.ID, 0, 0)
	if err != nil || len(msgs) != 1 || msgs[0].Text != "Hi,\nmy order 12345 has not arrived.\n\nAna" || msgs[0].Channel != "email" {
		t.Fatalf("stored %+v (err %v)", msgs, err)
	}
	// The client sends the first mail again (it lost our 250): one
	// session, one message.
	if err := h.send("ana@customer.example", []string{"support@shop.example"},
		customerMail("first@customer.example", "Where is my order 12345?", "Hi,\nmy order 12345 has not arrived.\n\nAna")); err != nil {
		t.Fatal(err)
	}
	if n := h.store.Sessions(); n != 1 {
		t.Fatalf("a retried first mail made %d sessions", n)
	}
	if again, _ := h.store.Messages(meta.ID, 0, 0); len(again) != 1 {
		t.Fatalf("a retried first mail was stored %d times", len(again))
	}

	// The agent answers; the policy makes it an item; the Sender mails it.
	ans, err := h.store.Post(context.Background(), session.Message{Session: meta.ID, From: session.FromAgent,
		Agent: &session.AgentRef{ID: "a1", Name: "Li"}, Text: "It left our warehouse today: tracking 1Z999."})
	if err != nil {
		t.Fatal(err)
	}
	meta, _ = h.store.Get(meta.ID)
	it, ok := away.Policy{}.Item(meta, h.store.Connected(meta.ID), ans)
	if !ok || !it.NotBefore.IsZero() || it.To != "ana@customer.example" {
		t.Fatalf("item %+v %v", it, ok)
	}
	if err := h.sender.Send(context.Background(), it); err != nil {
		t.Fatalf("Send: %v", err)
	}
	// A retry of the same item (the queue lost the ack) carries the same
	// Message-ID.
	if err := h.sender.Send(context.Background(), it); err != nil {
		t.Fatalf("Send again: %v", err)
	}
	got := h.relay.mails()
	if len(got) != 2 {
		t.Fatalf("relay got %d mails", len(got))
	}
	out := parseOut(t, got[0].raw)
	if got[0].from != "support@shop.example" || len(got[0].to) != 1 || got[0].to[0] != "ana@customer.example" {
		t.Fatalf("envelope %s → %v", got[0].from, got[0].to)
	}
	for k, want := range map[string]string{
		"Subject":     "Re: Where is my order 12345?",
		"In-Reply-To": "<first@customer.example>",
		"References":  "<first@customer.example>",
		"To":          "<ana@customer.example>",
	} {
		if v := out.h.Get(k); v != want {
			t.Errorf("%s: %q, want %q", k, v, want)
		}
	}
	if from := out.h.Get("From"); !strings.Contains(from, "Li (Shop Support)") || !strings.Contains(from, "<support@shop.example>") {
		t.Errorf("From %q", from)
	}
	if out.h.Get("Auto-Submitted") != "" {
		t.Errorf("an agent's answer marked Auto-Submitted")
	}
	if !strings.HasPrefix(out.text, "It left our warehouse today: tracking 1Z999.") {
		t.Errorf("body %q", out.text)
	}
	answerID, _ := out.h.MessageID()
	if again := parseOut(t, got[1].raw); mustID(t, again.h) != answerID {
		t.Errorf("a retry got a new Message-ID")
	}
	if !strings.HasSuffix(answerID, "@shop.example") {
		t.Errorf("Message-ID %q", answerID)
	}

	// The bot's answer is Auto-Submitted.
	bot, err := h.store.Post(context.Background(), session.Message{Session: meta.ID, From: session.FromBot, Text: "Anything else?"})
	if err != nil {
		t.Fatal(err)
	}
	it, ok = away.Policy{}.Item(meta, false, bot)
	if !ok {
		t.Fatal("no item for the bot's answer in an email session")
	}
	if err := h.sender.Send(context.Background(), it); err != nil {
		t.Fatal(err)
	}
	if b := parseOut(t, h.relay.mails()[2].raw); b.h.Get("Auto-Submitted") != "auto-replied" {
		t.Errorf("bot answer Auto-Submitted %q", b.h.Get("Auto-Submitted"))
	}

	// The customer replies to the agent's mail, quoting it.
	reply := customerMail("second@customer.example", "Re: Where is my order 12345?",
		"Thanks! When will it arrive?\n\nOn Thu, 3 Dec 2026 at 10:05, Li (Shop Support) <support@shop.example>\nwrote:\n> It left our warehouse today: tracking 1Z999.",
		"In-Reply-To: <"+answerID+">", "References: <first@customer.example> <"+answerID+">")
	if err := h.send("ana@customer.example", []string{"support@shop.example"}, reply); err != nil {
		t.Fatalf("reply: %v", err)
	}
	if m2 := h.sessionOf(t, "second@customer.example"); m2.ID != meta.ID {
		t.Fatalf("the reply opened session %s, want %s", m2.ID, meta.ID)
	}
	msgs, _ = h.store.Messages(meta.ID, 0, 0)
	last := msgs[len(msgs)-1]
	if last.From != session.FromCustomer || last.Text != "Thanks! When will it arrive?" {
		t.Fatalf("last message %+v", last)
	}
	// The next answer replies to the reply.
	th, _ := h.threads.Get(meta.ID)
	if th.Last != "second@customer.example" || th.Refs[len(th.Refs)-1] != "second@customer.example" {
		t.Errorf("thread %+v", th)
	}

	// The relay retries the reply (it lost our 250): stored once.
	if err := h.send("ana@customer.example", []string{"support@shop.example"}, reply); err != nil {
		t.Fatal(err)
	}
	if again, _ := h.store.Messages(meta.ID, 0, 0); len(again) != len(msgs) {
		t.Errorf("a retried mail was stored again: %d messages, want %d", len(again), len(msgs))
	}
}

type outMail struct {
	h    mail.Header
	text string
}

func parseOut(t *testing.T, raw []byte) outMail {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("outbound mail does not parse: %v\n%s", err, raw)
	}
	p, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(p.Body)
	return outMail{mr.Header, string(b)}
}

func mustID(t *testing.T, h mail.Header) string {
	t.Helper()
	id, err := h.MessageID()
	if err != nil || id == "" {
		t.Fatalf("Message-ID: %q %v", id, err)
	}
	return id
}

// TestThreadNeedsTheCustomersAddress: a mail that names a thread's
// Message-ID from another address opens its own session.
func TestThreadNeedsTheCustomersAddress(t *testing.T) {
	h := newHarness(t, nil)
	if err := h.send("ana@customer.example", []string{"support@shop.example"}, customerMail("a1@customer.example", "Order", "Where is it?")); err != nil {
		t.Fatal(err)
	}
	ana := h.sessionOf(t, "a1@customer.example")
	forged := strings.Replace(customerMail("m1@mallory.example", "Re: Order", "Change the address", "In-Reply-To: <a1@customer.example>"),
		"Ana García <ana@customer.example>", "mallory@mallory.example", 1)
	if err := h.send("mallory@mallory.example", []string{"support@shop.example"}, forged); err != nil {
		t.Fatal(err)
	}
	if msgs, _ := h.store.Messages(ana.ID, 0, 0); len(msgs) != 1 {
		t.Fatalf("Ana's session got %d messages", len(msgs))
	}
	if m := h.sessionOf(t, "m1@mallory.example"); m.ID == ana.ID || m.Customer.Email != "mallory@mallory.example" {
		t.Fatalf("mallory's mail went to %+v", m)
	}
}

// TestRefused: what the listener refuses is answered 5xx with a reason and
// stores nothing.
func TestRefused(t *testing.T) {
	h := newHarness(t, nil)
	big := customerMail("big@customer.example", "Big", strings.Repeat(strings.Repeat("x", 70)+"\n", 1100))
	cases := []struct {
		name string
		to   []string
		raw  string
		code int
		want string
	}{
		{"no From", []string{"support@shop.example"}, "To: support@shop.example\nSubject: hi\nMessage-ID: <x1@c>\n\nhello\n", 550, "From"},
		{"two From", []string{"support@shop.example"}, "From: a@b.example, c@d.example\nSubject: hi\n\nhello\n", 550, "exactly one"},
		{"broken multipart", []string{"support@shop.example"}, "From: a@b.example\nContent-Type: multipart/mixed\n\n--x\n", 550, "malformed"},
		{"empty", []string{"support@shop.example"}, "From: a@b.example\n\n\n", 550, "no text"},
		{"oversized", []string{"support@shop.example"}, big, 552, "size"},
		{"unknown mailbox", []string{"sales@shop.example"}, customerMail("u@c", "hi", "hello"), 550, "no such mailbox"},
		{"too many recipients", []string{"support@shop.example", "support@shop.example", "support@shop.example", "support@shop.example"},
			customerMail("many@c", "hi", "hello"), 552, "too many recipients"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := h.send("a@b.example", c.to, c.raw)
			var se *smtp.SMTPError
			if !errors.As(err, &se) || se.Code != c.code || !strings.Contains(strings.ToLower(se.Message), strings.ToLower(c.want)) {
				t.Fatalf("got %v, want %d …%s…", err, c.code, c.want)
			}
		})
	}
	if n := h.store.Sessions(); n != 0 {
		t.Fatalf("%d sessions stored from refused mail", n)
	}
	// The too-many-recipients client that goes on to DATA anyway gets 554.
	c, err := smtp.Dial(h.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("a@b.example", nil); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		err := c.Rcpt("support@shop.example", nil)
		if (i < 3) != (err == nil) {
			t.Fatalf("rcpt %d: %v", i, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, strings.ReplaceAll(customerMail("many2@c", "hi", "hello"), "\n", "\r\n"))
	var se *smtp.SMTPError
	if err := w.Close(); !errors.As(err, &se) || se.Code != 554 {
		t.Fatalf("DATA after too many recipients: %v", err)
	}
	if n := h.store.Sessions(); n != 0 {
		t.Fatalf("%d sessions stored", n)
	}
}

// TestAutomaticMailDropped: out-of-office answers, bounces and mail from
// the node's own address are accepted (no retry) and never stored, so no
// bot answers them.
func TestAutomaticMailDropped(t *testing.T) {
	h := newHarness(t, nil)
	if err := h.send("ana@customer.example", []string{"support@shop.example"},
		customerMail("ooo@customer.example", "Out of office", "I am away.", "Auto-Submitted: auto-replied")); err != nil {
		t.Fatal(err)
	}
	if err := h.send("", []string{"support@shop.example"}, customerMail("dsn@customer.example", "Undeliverable", "Delivery failed.")); err != nil {
		t.Fatal(err)
	}
	// Our own answer forwarded back to us by the customer's mailbox.
	own := strings.Replace(customerMail("fwd@customer.example", "Fwd: Re: Order", "It left our warehouse today."),
		"Ana García <ana@customer.example>", "Shop Support <support@shop.example>", 1)
	if err := h.send("ana@customer.example", []string{"support@shop.example"}, own); err != nil {
		t.Fatal(err)
	}
	if n := h.store.Sessions(); n != 0 {
		t.Fatalf("%d sessions from automatic mail", n)
	}
	if _, _, dropped := h.ln.Stats(); dropped != 3 {
		t.Fatalf("dropped %d, want 3", dropped)
	}
}

// TestRelayFailures: a relay that is down is retryable; a relay's 5xx is
// permanent, its 4xx retryable.
func TestRelayFailures(t *testing.T) {
	h := newHarness(t, nil)
	meta, err := h.store.Create(context.Background(), session.Meta{Channel: "email", Customer: session.Customer{Email: "ana@customer.example"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := h.store.Post(context.Background(), session.Message{Session: meta.ID, From: session.FromAgent, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	it, _ := away.Policy{}.Item(meta, false, m)

	h.relay.mu.Lock()
	h.relay.fail = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	h.relay.mu.Unlock()
	if err := h.sender.Send(context.Background(), it); !errors.Is(err, delivery.ErrPermanent) {
		t.Fatalf("relay 550: %v, want ErrPermanent", err)
	}
	h.relay.mu.Lock()
	h.relay.fail = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	h.relay.mu.Unlock()
	if err := h.sender.Send(context.Background(), it); err == nil || errors.Is(err, delivery.ErrPermanent) || errors.Is(err, delivery.ErrSkip) {
		t.Fatalf("relay 451: %v, want a retryable error", err)
	}

	// Down: nothing listens on the port any more.
	down, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := down.Addr().(*net.TCPAddr).Port
	down.Close()
	s, err := NewSender(SenderOptions{Host: "127.0.0.1", Port: port, TLS: TLSNone, From: "support@shop.example", Store: h.store, Threads: h.threads})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), it); err == nil || errors.Is(err, delivery.ErrPermanent) || errors.Is(err, delivery.ErrSkip) {
		t.Fatalf("relay down: %v, want a retryable error", err)
	}
	if len(h.relay.mails()) != 0 {
		t.Fatal("the relay kept a refused mail")
	}
}

// subscriber stands in for a connected widget.
type subscriber struct{ id uint64 }

func (s subscriber) ID() uint64                { return s.id }
func (s subscriber) Deliver(ev *session.Event) {}

// TestAwayFromWidget: an agent's answer to a widget customer who left an
// address and is gone goes out by email after the grace period, unless
// the customer came back or received it.
func TestAwayFromWidget(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	meta, err := h.store.Create(ctx, session.Meta{Channel: "web", Customer: session.Customer{ID: "c1", Email: "bo@customer.example"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.Post(ctx, session.Message{Session: meta.ID, From: session.FromBot, Text: "The team is closed; leave a message."}); err != nil {
		t.Fatal(err)
	}
	p := away.Policy{Grace: 2 * time.Minute}
	bot, _ := h.store.Messages(meta.ID, 0, 1)
	if _, ok := p.Item(meta, false, bot[0]); ok {
		t.Fatal("a bot answer in a widget session became an email")
	}
	ans, err := h.store.Post(ctx, session.Message{Session: meta.ID, From: session.FromAgent, Agent: &session.AgentRef{ID: "a1", Name: "Li"}, Text: "We are back: your refund is done."})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Item(meta, true, ans); ok {
		t.Fatal("an answer to a connected customer became an email")
	}
	it, ok := p.Item(meta, false, ans)
	if !ok || !it.NotBefore.Equal(ans.TS.Add(2*time.Minute)) {
		t.Fatalf("item %+v %v", it, ok)
	}

	// Customer back in the widget: skipped.
	sub := subscriber{h.store.NewSubscriberID()}
	h.store.Subscribe(meta.ID, sub)
	if err := h.sender.Send(ctx, it); !errors.Is(err, delivery.ErrSkip) {
		t.Fatalf("connected: %v, want ErrSkip", err)
	}
	h.store.Unsubscribe(meta.ID, sub)

	// Still gone: mailed, with the fallback subject and no thread.
	if err := h.sender.Send(ctx, it); err != nil {
		t.Fatal(err)
	}
	out := parseOut(t, h.relay.mails()[0].raw)
	if out.h.Get("Subject") != "Your conversation with us" || out.h.Get("In-Reply-To") != "" || out.h.Get("To") != "<bo@customer.example>" {
		t.Errorf("headers %v", out.h.Header.Map())
	}

	// Received in the widget (acked): skipped.
	if _, err := h.store.Update(ctx, meta.ID, func(m *session.Meta) error { m.AckSeq = ans.Seq; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := h.sender.Send(ctx, it); !errors.Is(err, delivery.ErrSkip) {
		t.Fatalf("acked: %v, want ErrSkip", err)
	}

	// Bo replies to the mail: it lands in the widget session.
	id := mustID(t, out.h)
	reply := strings.Replace(customerMail("bo2@customer.example", "Re: Your conversation with us", "Great, thanks!", "In-Reply-To: <"+id+">"),
		"Ana García <ana@customer.example>", "bo@customer.example", 1)
	if err := h.send("bo@customer.example", []string{"support@shop.example"}, reply); err != nil {
		t.Fatal(err)
	}
	msgs, _ := h.store.Messages(meta.ID, 0, 0)
	if last := msgs[len(msgs)-1]; last.Text != "Great, thanks!" || last.Channel != "email" {
		t.Fatalf("last %+v", last)
	}
}

// TestForget: an expired or erased session's ids stop threading.
func TestForget(t *testing.T) {
	h := newHarness(t, nil)
	if err := h.send("ana@customer.example", []string{"support@shop.example"}, customerMail("f1@customer.example", "Hi", "Hello")); err != nil {
		t.Fatal(err)
	}
	meta := h.sessionOf(t, "f1@customer.example")
	if _, _, err := h.threads.Outgoing(meta.ID, meta.ID+"/2", "shop.example"); err != nil {
		t.Fatal(err)
	}
	if err := h.threads.Forget(meta.ID); err != nil {
		t.Fatal(err)
	}
	if sid, _ := h.threads.Lookup(&Mail{InReplyTo: []string{"f1@customer.example"}}); sid != "" {
		t.Fatalf("forgotten id still threads to %s", sid)
	}
	if th, _ := h.threads.Get(meta.ID); th.Subject != "" || len(th.IDs) != 0 {
		t.Fatalf("thread kept %+v", th)
	}
}

// TestVerifier: a code mailed through the relay, taken back, links the
// address once; a guess does not.
func TestVerifier(t *testing.T) {
	h := newHarness(t, nil)
	var linked []string
	v := &Verifier{Codes: verify.New(verify.Options{}), Sender: h.sender,
		Link: func(_ context.Context, sid, addr string) (bool, error) {
			linked = append(linked, sid+" "+addr)
			return true, nil
		}}
	if err := v.Start(context.Background(), "s_1", "ana@customer.example"); err != nil {
		t.Fatal(err)
	}
	got := h.relay.mails()
	if len(got) != 1 || got[0].to[0] != "ana@customer.example" {
		t.Fatalf("relay got %+v", got)
	}
	out := parseOut(t, got[0].raw)
	subj := out.h.Get("Subject")
	code := subj[len(subj)-6:]
	if !strings.Contains(out.text, code) || out.h.Get("Auto-Submitted") != "auto-generated" {
		t.Fatalf("code mail: %q / %q", subj, out.text)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "999999"
	}
	if _, err := v.Confirm(context.Background(), "s_1", "ana@customer.example", wrong); !errors.Is(err, verify.ErrWrongCode) || len(linked) != 0 {
		t.Fatalf("a wrong code: %v, linked %v", err, linked)
	}
	if ok, err := v.Confirm(context.Background(), "s_1", "ana@customer.example", code); err != nil || !ok || len(linked) != 1 || linked[0] != "s_1 ana@customer.example" {
		t.Fatalf("the code: %v, linked %v", err, linked)
	}
}

// TestCloseWithIdleClient: an idle SMTP client (which may hold its
// connection for the whole read timeout) does not hold up Close; its
// connection is closed.
func TestCloseWithIdleClient(t *testing.T) {
	h := newHarness(t, nil)
	idle, err := smtp.Dial(h.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if err := idle.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second) // well under the 1m read timeout
	defer cancel()
	if err := h.ln.Close(ctx); err != nil {
		t.Fatalf("Close with an idle client: %v", err)
	}
	if err := idle.Mail("ana@customer.example", nil); err == nil {
		t.Fatal("the idle connection survived Close")
	}
	if n := h.store.Sessions(); n != 0 {
		t.Fatalf("%d sessions", n)
	}
}

// deliverLikeTheQueue is the delivery queue's contract as a loop (the queue
// itself is node/delivery's): retry what is neither permanent nor skipped.
func deliverLikeTheQueue(t *testing.T, s delivery.Sender, it delivery.Item, attempts int) (tries int, err error) {
	t.Helper()
	for tries = 1; tries <= attempts; tries++ {
		err = s.Send(context.Background(), it)
		if err == nil || errors.Is(err, delivery.ErrPermanent) || errors.Is(err, delivery.ErrSkip) {
			return tries, err
		}
	}
	return tries - 1, err
}

// TestRelayBusyThenAccepts: the relay refuses twice with 451, the queue's
// retries deliver the answer once, and every attempt carried the same
// Message-ID (a relay that took a mail and lost our connection before
// answering would show the customer one mail, not two).
func TestRelayBusyThenAccepts(t *testing.T) {
	h := newHarness(t, nil)
	meta, err := h.store.Create(context.Background(), session.Meta{Channel: "email", Customer: session.Customer{Email: "ana@customer.example"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := h.store.Post(context.Background(), session.Message{Session: meta.ID, From: session.FromAgent, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	it, _ := away.Policy{}.Item(meta, false, m)
	h.relay.mu.Lock()
	h.relay.failNext = 2
	h.relay.mu.Unlock()
	tries, err := deliverLikeTheQueue(t, h.sender, it, 5)
	if err != nil || tries != 3 {
		t.Fatalf("delivered after %d tries: %v", tries, err)
	}
	got := h.relay.mails()
	if len(got) != 1 {
		t.Fatalf("relay kept %d mails", len(got))
	}
	id := mustID(t, parseOut(t, got[0].raw).h)
	if again, _, _ := h.threads.Outgoing(meta.ID, it.Key, "shop.example"); again != id {
		t.Fatalf("the item's Message-ID changed across retries: %s, then %s", id, again)
	}
}

// TestSenderLimit: past the per-sender limit a mail gets 451 (retried
// later by its server), stores nothing; other senders go on.
func TestSenderLimit(t *testing.T) {
	h := newHarness(t, func(o *ListenerOptions) { o.SenderPerMinute = 2 })
	for i := range 3 {
		err := h.send("ana@customer.example", []string{"support@shop.example"}, customerMail(fmt.Sprintf("r%d@customer.example", i), "hi", "hello"))
		var se *smtp.SMTPError
		if i < 2 && err != nil || i == 2 && !(errors.As(err, &se) && se.Code == 451) {
			t.Fatalf("mail %d: %v", i, err)
		}
	}
	other := strings.Replace(customerMail("b1@customer.example", "hi", "hello"), "Ana García <ana@customer.example>", "bo@customer.example", 1)
	if err := h.send("bo@customer.example", []string{"support@shop.example"}, other); err != nil {
		t.Fatalf("another sender: %v", err)
	}
	if sid, _ := h.threads.Lookup(&Mail{MessageID: "r2@customer.example"}); sid != "" {
		t.Fatal("the refused mail was recorded")
	}
}
