package email

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/edgedesk/edgedesk/node/away"
	"github.com/edgedesk/edgedesk/node/internal/testpki"
	"github.com/edgedesk/edgedesk/node/session"
)

// TestTLS: the listener offers STARTTLS with the node's certificate, and
// the Sender reaches a relay over STARTTLS and over implicit TLS with a
// password, verifying the relay's certificate.
func TestTLS(t *testing.T) {
	ca := testpki.New(t, "email test CA")
	leaf := ca.Issue(t, time.Hour, "localhost", "127.0.0.1")
	cert := leaf.TLS(t)
	h := newHarness(t, func(o *ListenerOptions) {
		o.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	})

	// Inbound over STARTTLS.
	c, err := smtp.DialStartTLS(h.ln.Addr().String(), &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"})
	if err != nil {
		t.Fatalf("STARTTLS to the listener: %v", err)
	}
	if err := c.SendMail("ana@customer.example", []string{"support@shop.example"},
		strings.NewReader(crlf(customerMail("tls1@customer.example", "Secure", "hello over TLS")))); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	meta := h.sessionOf(t, "tls1@customer.example")
	m, err := h.store.Post(context.Background(), session.Message{Session: meta.ID, From: session.FromAgent, Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	it, _ := away.Policy{}.Item(meta, false, m)

	for _, mode := range []string{TLSStartTLS, TLSImplicit} {
		t.Run(mode, func(t *testing.T) {
			r := &relay{}
			srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &authSession{relaySession{r: r}, ""}, nil }))
			srv.Domain = "localhost"
			srv.ErrorLog = log.New(io.Discard, "", 0) // refused and reset connections are the point of some tests
			srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
			var ln net.Listener
			if mode == TLSImplicit {
				ln, err = tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
			} else {
				ln, err = net.Listen("tcp", "127.0.0.1:0")
			}
			if err != nil {
				t.Fatal(err)
			}
			go srv.Serve(ln)
			defer srv.Close()
			s, err := NewSender(SenderOptions{Host: "localhost", Port: ln.Addr().(*net.TCPAddr).Port, TLS: mode,
				TLSConfig: &tls.Config{RootCAs: ca.Pool()}, User: "node", Password: "pw",
				From: "support@shop.example", Store: h.store, Threads: h.threads})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(context.Background(), it); err != nil {
				t.Fatalf("Send over %s: %v", mode, err)
			}
			if got := r.mails(); len(got) != 1 {
				t.Fatalf("relay got %d mails", len(got))
			}
			// A relay whose certificate the node does not trust is refused
			// (retryable: the operator fixes the trust, the queue retries).
			bad, _ := NewSender(SenderOptions{Host: "localhost", Port: ln.Addr().(*net.TCPAddr).Port, TLS: mode,
				From: "support@shop.example", Store: h.store, Threads: h.threads})
			if err := bad.Send(context.Background(), it); err == nil {
				t.Fatal("an untrusted relay certificate was accepted")
			}
		})
	}
}

// authSession is a relay session that requires AUTH PLAIN node/pw.
type authSession struct {
	relaySession
	user string
}

func (s *authSession) AuthMechanisms() []string { return []string{"PLAIN"} }

func (s *authSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != "node" || password != "pw" {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *authSession) Mail(from string, o *smtp.MailOptions) error {
	if s.user == "" {
		return smtp.ErrAuthRequired
	}
	return s.relaySession.Mail(from, o)
}
