package node

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/email"
	"github.com/edgedesk/edgedesk/node/session"
)

// testRelay is an SMTP server standing in for the merchant's relay.
type testRelay struct {
	port int
	mu   sync.Mutex
	raw  [][]byte
}

func startTestRelay(t *testing.T) *testRelay {
	t.Helper()
	r := &testRelay{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &testRelaySession{r}, nil }))
	srv.Domain = "relay.test"
	srv.ErrorLog = log.New(io.Discard, "", 0) // refused and reset connections are the point of some tests
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.port = ln.Addr().(*net.TCPAddr).Port
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return r
}

func (r *testRelay) mails() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.raw...)
}

type testRelaySession struct{ r *testRelay }

func (s *testRelaySession) Reset()                               {}
func (s *testRelaySession) Logout() error                        { return nil }
func (s *testRelaySession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *testRelaySession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *testRelaySession) Data(rd io.Reader) error {
	b, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	s.r.raw = append(s.r.raw, b)
	s.r.mu.Unlock()
	return nil
}

// TestEmailChannel: a node with email on takes a mail on its SMTP port
// into a session the bot answers, and the answer goes out through the
// relay threaded under the customer's mail; an expired session's thread
// is forgotten.
func TestEmailChannel(t *testing.T) {
	relay := startTestRelay(t)
	n, _, stop := startNode(t, func(c *config.Config) {
		c.Email.Listen = "127.0.0.1:0"
		c.Email.Addresses = []string{"support@shop.example"}
		c.Email.From = "Shop Support <support@shop.example>"
		c.Email.Relay = config.EmailRelay{Host: "127.0.0.1", Port: relay.port, TLS: "none", Timeout: 10 * time.Second}
	})
	defer stop()
	c, err := smtp.Dial(n.EmailAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	raw := "From: Ana <ana@customer.example>\r\nTo: support@shop.example\r\nSubject: Where is my order?\r\nMessage-ID: <q1@customer.example>\r\n\r\nWhere is my order? It is 12345.\r\n"
	if err := c.SendMail("ana@customer.example", []string{"support@shop.example"}, strings.NewReader(raw)); err != nil {
		t.Fatalf("the node refused the mail: %v", err)
	}
	c.Quit()

	sid, err := n.email.threads.Lookup(&email.Mail{InReplyTo: []string{"q1@customer.example"}})
	if err != nil || sid == "" {
		t.Fatalf("no session for the mail (%v)", err)
	}
	meta, err := n.store.Get(sid)
	if err != nil || meta.Channel != "email" || meta.Customer.Email != "ana@customer.example" {
		t.Fatalf("session %+v (%v)", meta, err)
	}
	msgs, err := n.store.Messages(sid, 0, 0)
	if err != nil || len(msgs) < 2 || msgs[0].From != session.FromCustomer || msgs[0].Intent == "" {
		t.Fatalf("messages %+v (%v): want the classified mail and the bot's answer", msgs, err)
	}
	// Every answer the email rule sends goes out once through the
	// delivery queue, in the commit that stored it.
	want := 0
	for _, m := range msgs[1:] {
		if _, ok := n.EmailItem(meta, false, m); ok {
			want++
		}
	}
	got := waitMails(t, n, relay, want)
	mr, err := mail.CreateReader(bytes.NewReader(got[0]))
	if err != nil {
		t.Fatal(err)
	}
	if mr.Header.Get("In-Reply-To") != "<q1@customer.example>" || mr.Header.Get("Subject") != "Re: Where is my order?" ||
		mr.Header.Get("Auto-Submitted") != "auto-replied" {
		t.Fatalf("answer headers %v", mr.Header.Map())
	}

	n.forgetEmail([]session.Meta{meta})
	if sid, _ := n.email.threads.Lookup(&email.Mail{InReplyTo: []string{"q1@customer.example"}}); sid != "" {
		t.Fatal("an expired session still threads")
	}
}

// awayGrace is email.away_grace in the tests: long enough to see the
// queue hold an answer, short enough to wait for.
const awayGrace = 300 * time.Millisecond

// emailNode starts a node whose answers go out through relay.
func emailNode(t *testing.T, relay *testRelay) (*Node, string) {
	t.Helper()
	n, base, _ := startNode(t, noBot, func(c *config.Config) {
		c.Email.AwayGrace = awayGrace
		c.Email.From = "Shop Support <support@shop.example>"
		c.Email.Relay = config.EmailRelay{Host: "127.0.0.1", Port: relay.port, TLS: "none", Timeout: 10 * time.Second}
	})
	return n, base
}

func postJSON(t *testing.T, url string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestEmailAwayFromWidget: a widget customer leaves an address with the
// contact frame and goes; the agent's answer becomes an email item due
// after email.away_grace, which the delivery queue mails once.
func TestEmailAwayFromWidget(t *testing.T) {
	relay := startTestRelay(t)
	n, base := emailNode(t, relay)
	ws, welcome := dialWidget(t, base, nil)
	ws.WriteJSON(map[string]any{"type": "contact", "cid": "c1", "email": "bo@customer.example"})
	var ok struct{ Type, For string }
	if err := ws.ReadJSON(&ok); err != nil || ok.Type != "ok" {
		t.Fatalf("contact: %+v %v", ok, err)
	}
	ws.Close()
	deadline := time.Now().Add(5 * time.Second)
	for n.store.Connected(welcome.Session) {
		if time.Now().After(deadline) {
			t.Fatal("the widget is still connected after closing")
		}
		time.Sleep(10 * time.Millisecond)
	}
	ans, err := n.store.Post(context.Background(), session.Message{Session: welcome.Session, From: session.FromAgent,
		Agent: &session.AgentRef{ID: "a1", Name: "Li"}, Text: "Your refund is done."})
	if err != nil {
		t.Fatal(err)
	}
	meta, _ := n.store.Get(welcome.Session)
	it, sendIt := n.EmailItem(meta, n.store.Connected(welcome.Session), ans)
	if !sendIt || it.To != "bo@customer.example" || !it.NotBefore.Equal(ans.TS.Add(awayGrace)) {
		t.Fatalf("item %+v %v", it, sendIt)
	}
	// The queue holds it until the grace is over, then mails it once.
	if got := waitMails(t, n, relay, 1); !bytes.Contains(got[0], []byte("Your refund is done.")) {
		t.Fatalf("relay got %q", got)
	}
}

// waitMails waits until the delivery queue is empty and relay holds want
// mails, and returns them: each answer mailed exactly once.
func waitMails(t *testing.T, n *Node, relay *testRelay, want int) [][]byte {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		pending, dead := n.store.DeliveryCounts()
		got := relay.mails()
		if dead > 0 || len(got) > want {
			t.Fatalf("relay got %d mails, want %d; %d dead letters", len(got), want, dead)
		}
		if pending == 0 && len(got) == want && want > 0 {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s: relay got %d mails, want %d; %d pending", len(got), want, pending)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEmailVerifyEndpoints: the widget's customer proves the address it
// left: a code mailed through the relay, a wrong guess refused, the right
// code accepted once; another address or session is refused.
func TestEmailVerifyEndpoints(t *testing.T) {
	relay := startTestRelay(t)
	_, base := emailNode(t, relay)
	ws, welcome := dialWidget(t, base, nil)
	ws.WriteJSON(map[string]any{"type": "contact", "email": "bo@customer.example"})
	var ok struct{ Type string }
	if err := ws.ReadJSON(&ok); err != nil || ok.Type != "ok" {
		t.Fatalf("contact: %+v %v", ok, err)
	}
	sid := welcome.Session
	if code, out := postJSON(t, base+EmailVerifyPath, map[string]string{"session": sid, "email": "eve@evil.example"}); code != 409 {
		t.Fatalf("another address: %d %v", code, out)
	}
	if code, out := postJSON(t, base+EmailVerifyPath, map[string]string{"session": "s_nope", "email": "bo@customer.example"}); code != 404 {
		t.Fatalf("unknown session: %d %v", code, out)
	}
	if code, out := postJSON(t, base+EmailVerifyPath, map[string]string{"session": sid, "email": "bo@customer.example", "extra": "x"}); code != 400 {
		t.Fatalf("unknown field: %d %v", code, out)
	}
	if code, out := postJSON(t, base+EmailVerifyPath, map[string]string{"session": sid, "email": "Bo@customer.example"}); code != 202 {
		t.Fatalf("verify: %d %v", code, out)
	}
	if code, _ := postJSON(t, base+EmailVerifyPath, map[string]string{"session": sid, "email": "bo@customer.example"}); code != 429 {
		t.Fatalf("a second code at once: %d", code)
	}
	got := relay.mails()
	if len(got) != 1 {
		t.Fatalf("relay got %d mails", len(got))
	}
	mr, err := mail.CreateReader(bytes.NewReader(got[0]))
	if err != nil {
		t.Fatal(err)
	}
	subj := mr.Header.Get("Subject")
	code := subj[len(subj)-6:]
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if st, out := postJSON(t, base+EmailConfirmPath, map[string]string{"session": sid, "email": "bo@customer.example", "code": wrong}); st != 400 || !strings.Contains(out["error"].(string), "attempts left") {
		t.Fatalf("wrong code: %d %v", st, out)
	}
	if st, out := postJSON(t, base+EmailConfirmPath, map[string]string{"session": sid, "email": "bo@customer.example", "code": code}); st != 200 || out["verified"] != true {
		t.Fatalf("right code: %d %v", st, out)
	}
	if st, _ := postJSON(t, base+EmailConfirmPath, map[string]string{"session": sid, "email": "bo@customer.example", "code": code}); st != 404 {
		t.Fatalf("the code used twice: %d", st)
	}
}

// TestEmailStartTLS: with email.starttls the SMTP listener offers
// STARTTLS with the node's certificate (tls.cert_file).
func TestEmailStartTLS(t *testing.T) {
	tn := startTLSNode(t, noBot, func(c *config.Config) {
		c.Email.Listen = "127.0.0.1:0"
		c.Email.Domain = "shop.example"
		c.Email.StartTLS = true
	})
	c, err := smtp.DialStartTLS(tn.n.EmailAddr().String(), &tls.Config{RootCAs: tn.ca.Pool(), ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("STARTTLS with the node's certificate: %v", err)
	}
	defer c.Close()
	raw := "From: ana@customer.example\r\nSubject: hi\r\nMessage-ID: <tls@customer.example>\r\n\r\nhello\r\n"
	if err := c.SendMail("ana@customer.example", []string{"support@shop.example"}, strings.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	// The handshake ran at the first command after STARTTLS.
	if state, ok := c.TLSConnectionState(); !ok || !state.HandshakeComplete || state.Version < tls.VersionTLS12 {
		t.Fatalf("TLS state %x %v", state.Version, ok)
	}
	if sid, _ := tn.n.email.threads.Lookup(&email.Mail{InReplyTo: []string{"tls@customer.example"}}); sid == "" {
		t.Fatal("the mail sent over STARTTLS was not stored")
	}
}
