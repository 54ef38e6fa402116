package node

import (
	"bytes"
	"context"
	"io"
	"net"
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
	sent := 0
	for _, m := range msgs[1:] {
		it, ok := n.EmailItem(meta, n.store.Connected(sid), m)
		if !ok {
			continue
		}
		if err := n.EmailSender().Send(context.Background(), it); err != nil {
			t.Fatalf("Send %s: %v", it.Key, err)
		}
		sent++
	}
	got := relay.mails()
	if sent == 0 || len(got) != sent {
		t.Fatalf("sent %d, relay got %d", sent, len(got))
	}
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
