package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/edgedesk/edgedesk/node/delivery"
	"github.com/edgedesk/edgedesk/node/session"
)

// Relay TLS modes.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS (port 587), required
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // plaintext: a relay on loopback or in the test
)

// Sessions is what the Sender reads of the session store
// (*session.Store has it).
type Sessions interface {
	Get(id string) (session.Meta, error)
	Connected(id string) bool
	Messages(id string, after uint64, limit int) ([]session.Message, error)
}

// SenderOptions configures a Sender. Zero values take the documented
// defaults.
type SenderOptions struct {
	// Host and Port of the SMTP relay (default port 587). Required.
	Host string
	Port int
	// TLS is TLSStartTLS (default), TLSImplicit or TLSNone.
	TLS string
	// TLSConfig, if set, verifies the relay (default: the system roots
	// and Host as the server name).
	TLSConfig *tls.Config
	// User and Password authenticate with AUTH PLAIN, only over TLS
	// (go-sasl refuses PLAIN in the clear but to localhost).
	User, Password string
	// From is the answers' sender ("Shop Support <support@shop.example>").
	// Required.
	From string
	// Domain makes Message-IDs (default: From's domain).
	Domain string
	// Subject is the subject of an answer in a session that has no mail
	// thread (a widget customer who left) (default "Your conversation
	// with us").
	Subject string
	// Timeout bounds one delivery, connection to QUIT (default 1 minute).
	Timeout time.Duration
	// Store reads the sessions, Threads threads the answers. Required.
	Store   Sessions
	Threads *Threads
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Sender is the delivery.Sender of channel "email".
type Sender struct {
	o    SenderOptions
	from *mail.Address
}

var _ delivery.Sender = (*Sender)(nil)

// NewSender checks o.
func NewSender(o SenderOptions) (*Sender, error) {
	if o.Host == "" || o.Store == nil || o.Threads == nil {
		return nil, errors.New("email: sender needs Host, Store and Threads")
	}
	from, err := mail.ParseAddress(o.From)
	if err != nil {
		return nil, fmt.Errorf("email: sender From %q: %w", o.From, err)
	}
	if o.Port == 0 {
		o.Port = 587
	}
	switch o.TLS {
	case "":
		o.TLS = TLSStartTLS
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return nil, fmt.Errorf("email: sender TLS %q: want starttls, tls or none", o.TLS)
	}
	if o.Domain == "" {
		_, o.Domain, _ = cutLast(from.Address, "@")
	}
	if o.Subject == "" {
		o.Subject = "Your conversation with us"
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Sender{o: o, from: from}, nil
}

// Send delivers it as a mail through the relay. It returns ErrSkip when
// the session is gone (expired, erased) or, for an answer emailed to a
// widget customer who had left, when the customer is back or received it;
// an error wrapping ErrPermanent for a bad recipient or a 5xx from the
// relay; any other error is worth a retry.
func (s *Sender) Send(ctx context.Context, it delivery.Item) error {
	meta, err := s.o.Store.Get(it.SessionID)
	if errors.Is(err, session.ErrNoSession) {
		return fmt.Errorf("%w: session %s is gone", delivery.ErrSkip, it.SessionID)
	}
	if err != nil {
		return fmt.Errorf("email: session %s: %w", it.SessionID, err)
	}
	if meta.Channel != "email" && (s.o.Store.Connected(it.SessionID) || meta.AckSeq >= it.Seq) {
		return fmt.Errorf("%w: the customer is back in the widget", delivery.ErrSkip)
	}
	to, err := mail.ParseAddress(it.To)
	if err != nil {
		return fmt.Errorf("%w: recipient %q: %v", delivery.ErrPermanent, it.To, err)
	}
	o := &Outgoing{From: s.from, To: to, Text: it.Text, Date: s.o.Now(), Footer: true, Lang: it.Lang}
	if it.Seq > 0 {
		msgs, err := s.o.Store.Messages(it.SessionID, it.Seq-1, 1)
		if err != nil {
			return fmt.Errorf("email: message %s: %w", it.Key, err)
		}
		if len(msgs) == 1 {
			m := msgs[0]
			if m.From == session.FromBot {
				o.AutoSubmitted = "auto-replied"
			}
			if m.Agent != nil && m.Agent.Name != "" {
				name := m.Agent.Name
				if s.from.Name != "" {
					name += " (" + s.from.Name + ")"
				}
				o.From = &mail.Address{Name: name, Address: s.from.Address}
			}
		}
	}
	id, th, err := s.o.Threads.Outgoing(it.SessionID, it.Key, s.o.Domain)
	if err != nil {
		return fmt.Errorf("email: thread of %s: %w", it.SessionID, err)
	}
	o.MessageID, o.InReplyTo, o.References = id, th.Last, th.Refs
	o.Subject = replySubject(th.Subject, s.o.Subject)
	raw, err := Compose(o)
	if err != nil {
		return fmt.Errorf("%w: %v", delivery.ErrPermanent, err)
	}
	return s.submit(ctx, to.Address, raw)
}

// submit hands one mail to the relay.
func (s *Sender) submit(ctx context.Context, to string, raw []byte) (err error) {
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	addr := net.JoinHostPort(s.o.Host, strconv.Itoa(s.o.Port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("email: relay %s: %w", addr, err)
	}
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return fmt.Errorf("email: relay %s: %w", addr, err)
	}
	tc := s.o.TLSConfig
	if tc == nil {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if tc.ServerName == "" {
		tc = tc.Clone()
		tc.ServerName = s.o.Host
	}
	var c *smtp.Client
	switch s.o.TLS {
	case TLSImplicit:
		c = smtp.NewClient(tls.Client(conn, tc))
	case TLSStartTLS:
		if c, err = smtp.NewClientStartTLS(conn, tc); err != nil {
			return s.classify(addr, "STARTTLS", err)
		}
	default:
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	c.CommandTimeout, c.SubmissionTimeout = s.o.Timeout, s.o.Timeout
	if err := c.Hello(s.o.Domain); err != nil {
		return s.classify(addr, "EHLO", err)
	}
	if s.o.User != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.o.User, s.o.Password)); err != nil {
			return s.classify(addr, "AUTH", err)
		}
	}
	if err := c.Mail(s.from.Address, nil); err != nil {
		return s.classify(addr, "MAIL FROM", err)
	}
	if err := c.Rcpt(to, nil); err != nil {
		return s.classify(addr, "RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return s.classify(addr, "DATA", err)
	}
	if _, err := w.Write(raw); err != nil {
		w.Close()
		return s.classify(addr, "DATA", err)
	}
	if err := w.Close(); err != nil {
		return s.classify(addr, "end of DATA", err)
	}
	// The relay took the mail at the end of DATA; a failed QUIT loses
	// nothing.
	_ = c.Quit()
	return nil
}

// classify wraps a 5xx from the relay in delivery.ErrPermanent; anything
// else (4xx, a broken connection, a timeout) stays retryable.
func (s *Sender) classify(addr, step string, err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code >= 500 && se.Code < 600 {
		return fmt.Errorf("%w: relay %s at %s: %v", delivery.ErrPermanent, addr, step, err)
	}
	return fmt.Errorf("email: relay %s at %s: %w", addr, step, err)
}

func cutLast(s, sep string) (string, string, bool) {
	for i := len(s) - len(sep); i >= 0; i-- {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}

// SendCode mails a verification code to address at once (not through the
// queue: a customer waiting for a code asks again rather than wait for a
// retry). It is not threaded and not recorded.
func (s *Sender) SendCode(ctx context.Context, address, code string, ttl time.Duration) error {
	to, err := mail.ParseAddress(address)
	if err != nil {
		return fmt.Errorf("%w: recipient %q: %v", delivery.ErrPermanent, address, err)
	}
	raw, err := Compose(&Outgoing{From: s.from, To: to, Date: s.o.Now(), AutoSubmitted: "auto-generated",
		MessageID: newMessageID(s.o.Domain),
		Subject:   "Your verification code: " + code,
		Text: "Your verification code is " + code + ". It works for " + ttl.Round(time.Minute).String() +
			".\n\nIf you did not ask for it, ignore this mail: nothing happens without the code."})
	if err != nil {
		return err
	}
	return s.submit(ctx, to.Address, raw)
}
