package email

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/net/netutil"

	"github.com/edgedesk/edgedesk/node/session"
)

// ListenerOptions configures a Listener. Zero values take the documented
// defaults.
type ListenerOptions struct {
	// Addr is where to listen (host:port). Required.
	Addr string
	// Domain is the node's mail domain: the greeting's name, and the
	// accepted recipients when Addresses is empty. Required.
	Domain string
	// Addresses are the recipients accepted (case-insensitive); empty
	// accepts every address at Domain.
	Addresses []string
	// MaxMessageBytes bounds one mail, checked as it is read (default
	// 10 MiB): also the most memory one connection holds.
	MaxMessageBytes int64
	// MaxRecipients bounds the recipients of one mail (default 10): a mail
	// to more is refused whole.
	MaxRecipients int
	// MaxConnections bounds concurrent SMTP connections (default 20);
	// more wait in the kernel's backlog.
	MaxConnections int
	// ReadTimeout and WriteTimeout bound each command and answer (default
	// 1 minute each, within RFC 5321's recommendations).
	ReadTimeout, WriteTimeout time.Duration
	// SenderPerMinute bounds the mails one From address may send a
	// minute (default 10); past it they get 451 and are retried later.
	SenderPerMinute int
	// SubmitTimeout bounds waiting for a mail to be durable before the
	// client gets 451 and retries (default 30s).
	SubmitTimeout time.Duration
	// TLS, if set, offers STARTTLS with this configuration (the node's
	// certificate).
	TLS *tls.Config
	// Opener opens sessions, Store takes the messages, Threads threads
	// them. Required.
	Opener  *session.Opener
	Store   *session.Store
	Threads *Threads
	// Logger (default: discard).
	Logger *slog.Logger
}

// Listener is the inbound SMTP server: one mail, one customer message.
type Listener struct {
	o       ListenerOptions
	srv     *smtp.Server
	ln      net.Listener
	accept  map[string]bool
	senders *senderLimit
	log     *slog.Logger

	// mu guards closing; inflight counts the mails being stored, which
	// Close waits for.
	mu       sync.Mutex
	closing  bool
	inflight sync.WaitGroup

	closeOnce sync.Once
	closeErr  error

	// Counters for metrics and tests.
	accepted, refused, dropped atomic.Int64
}

// NewListener checks o and binds o.Addr, so a busy port fails at start;
// Run serves.
func NewListener(o ListenerOptions) (*Listener, error) {
	if o.Addr == "" || o.Domain == "" || o.Opener == nil || o.Store == nil || o.Threads == nil {
		return nil, errors.New("email: listener needs Addr, Domain, Opener, Store and Threads")
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 10 << 20
	}
	if o.MaxRecipients <= 0 {
		o.MaxRecipients = 10
	}
	if o.MaxConnections <= 0 {
		o.MaxConnections = 20
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = time.Minute
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = time.Minute
	}
	if o.SenderPerMinute <= 0 {
		o.SenderPerMinute = 10
	}
	if o.SubmitTimeout <= 0 {
		o.SubmitTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	l := &Listener{o: o, log: o.Logger, accept: map[string]bool{}, senders: newSenderLimit(o.SenderPerMinute, 10000)}
	for _, a := range o.Addresses {
		l.accept[strings.ToLower(a)] = true
	}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &inbound{l: l, remote: c.Conn().RemoteAddr().String()}, nil
	}))
	s.Domain = o.Domain
	s.MaxMessageBytes = o.MaxMessageBytes
	// The recipient limit is ours (inbound.Rcpt): go-smtp answers 452
	// and lets the mail through to the recipients it took, and we refuse
	// such a mail whole.
	s.MaxRecipients = 0
	s.MaxLineLength = 2000 // RFC 5321's 1000 with room for sloppy clients
	s.ReadTimeout, s.WriteTimeout = o.ReadTimeout, o.WriteTimeout
	s.TLSConfig = o.TLS
	s.ErrorLog = slogger{o.Logger}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("email: listen %s: %w", o.Addr, err)
	}
	l.srv, l.ln = s, netutil.LimitListener(ln, o.MaxConnections)
	return l, nil
}

// Addr is the address the listener is bound to.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Stats returns the mails stored, refused (5xx or 4xx) and dropped
// (automatic mail: accepted and not stored).
func (l *Listener) Stats() (accepted, refused, dropped int64) {
	return l.accepted.Load(), l.refused.Load(), l.dropped.Load()
}

// Run serves until ctx is done, then shuts down (connections get
// o.WriteTimeout to finish). It returns nil after a clean shutdown.
func (l *Listener) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- l.srv.Serve(l.ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), l.o.SubmitTimeout)
		defer cancel()
		cerr := l.Close(sctx)
		if err := <-errc; err != nil && !errors.Is(err, net.ErrClosed) {
			return errors.Join(cerr, err)
		}
		return cerr
	}
}

// Close stops taking mail (a DATA from now on gets 421), waits up to ctx
// for the mails being stored, then closes the connections: an idle SMTP
// client, which may hold its connection for minutes, does not delay a
// shutdown, and no mail is cut off between Submit and its answer. A mail
// whose 250 is lost this way is sent again by its client and stored once
// (its cid). It is idempotent.
func (l *Listener) Close(ctx context.Context) error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closing = true
		l.mu.Unlock()
		done := make(chan struct{})
		go func() { l.inflight.Wait(); close(done) }()
		var err error
		select {
		case <-done:
		case <-ctx.Done():
			err = fmt.Errorf("email: listener closed with mail being stored: %w", ctx.Err())
		}
		if cerr := l.srv.Close(); cerr != nil && !errors.Is(cerr, smtp.ErrServerClosed) && !errors.Is(cerr, net.ErrClosed) && err == nil {
			err = cerr
		}
		// srv.Close closes only listeners Serve was given: a listener
		// closed before Run never served.
		if cerr := l.ln.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) && err == nil {
			err = cerr
		}
		l.closeErr = err
	})
	return l.closeErr
}

func (l *Listener) accepts(rcpt string) bool {
	rcpt = strings.ToLower(rcpt)
	if len(l.accept) > 0 {
		return l.accept[rcpt]
	}
	_, domain, ok := strings.Cut(rcpt, "@")
	return ok && domain == strings.ToLower(l.o.Domain)
}

// inbound is one SMTP connection's transaction state.
type inbound struct {
	l       *Listener
	remote  string
	rcpts   int
	tooMany bool
	// bounce is set for the null reverse path (MAIL FROM:<>): delivery
	// reports, which get no answer either.
	bounce bool
}

func (s *inbound) Reset()        { s.rcpts, s.tooMany, s.bounce = 0, false, false }
func (s *inbound) Logout() error { return nil }

func (s *inbound) Mail(from string, _ *smtp.MailOptions) error {
	s.Reset()
	s.bounce = from == ""
	return nil
}

func (s *inbound) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.rcpts >= s.l.o.MaxRecipients {
		s.tooMany = true
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 5, 3},
			Message: fmt.Sprintf("too many recipients: at most %d; the mail will be refused", s.l.o.MaxRecipients)}
	}
	if !s.l.accepts(to) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox here"}
	}
	s.rcpts++
	return nil
}

func (s *inbound) Data(r io.Reader) error {
	if s.tooMany {
		// The rest of the data is read by go-smtp after we return.
		s.l.refused.Add(1)
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 5, 3},
			Message: fmt.Sprintf("refused: more than %d recipients", s.l.o.MaxRecipients)}
	}
	raw, err := io.ReadAll(r) // bounded: go-smtp stops at MaxMessageBytes with 552
	if err != nil {
		s.l.refused.Add(1)
		return err
	}
	s.l.mu.Lock()
	if s.l.closing {
		s.l.mu.Unlock()
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "shutting down; try again later"}
	}
	s.l.inflight.Add(1)
	s.l.mu.Unlock()
	defer s.l.inflight.Done()
	err = s.l.deliver(raw, s.bounce)
	if err != nil {
		s.l.refused.Add(1)
		s.l.log.Info("mail refused", "remote", s.remote, "err", err)
	}
	return err
}

// deliver stores one mail and returns nil once it is durable, or the
// SMTP error to answer.
func (l *Listener) deliver(raw []byte, bounce bool) error {
	m, err := Parse(bytes.NewReader(raw))
	if err != nil {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: smtpText(err.Error())}
	}
	if len(l.accept) > 0 && l.accept[strings.ToLower(m.From)] {
		// Our own address writing to us: an answer forwarded back by the
		// customer's mailbox. Storing it would open a session for the
		// shop itself.
		l.dropped.Add(1)
		l.log.Info("mail from the node's own address dropped", "from", m.From)
		return nil
	}
	if m.Auto || bounce {
		// RFC 3834: an auto-reply (out of office, a bounce, a list) gets
		// no answer, or the bot and an autoresponder would write to each
		// other forever. Accepted, so the sender does not retry.
		l.dropped.Add(1)
		l.log.Debug("automatic mail dropped", "from", m.From)
		return nil
	}
	if !l.senders.allow(m.From, time.Now()) {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1},
			Message: fmt.Sprintf("more than %d mails a minute from this sender; try again later", l.o.SenderPerMinute)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.o.SubmitTimeout)
	defer cancel()
	h := session.Hello{Channel: "email", Customer: session.Customer{Name: m.Name, Email: m.From}}
	sid, err := l.o.Threads.Lookup(m)
	if err != nil {
		return tempFail(err)
	}
	if sid != "" {
		// A thread continues only for its customer's address: knowing a
		// Message-ID of the thread is not enough to write into it.
		if meta, err := l.o.Store.Get(sid); err == nil && strings.EqualFold(meta.Customer.Email, m.From) {
			h.Session = sid
		}
	}
	meta, _, err := l.o.Opener.Open(ctx, h)
	if err != nil {
		return tempFail(err)
	}
	// Recorded before the message: a client that retries after a failure
	// below finds the same session by the mail's own Message-ID, where the
	// cid makes the retry a duplicate.
	if err := l.o.Threads.Received(meta.ID, m); err != nil {
		return tempFail(err)
	}
	msg := session.Message{Session: meta.ID, From: session.FromCustomer, CID: mailCID(m, raw),
		Channel: "email", Text: m.Text}
	done := make(chan session.Result, 1)
	if err := l.o.Store.Submit(ctx, msg, 0, func(r session.Result) { done <- r }); err != nil {
		return storeFail(err)
	}
	select {
	case r := <-done:
		if r.Err != nil {
			return storeFail(r.Err)
		}
	case <-ctx.Done():
		// It may still commit: the client's retry is then a duplicate
		// (same cid) and stores nothing twice.
		return tempFail(ctx.Err())
	}
	l.accepted.Add(1)
	return nil
}

// mailCID is the customer message's cid: from the Message-ID, so a mail
// retried by a relay is stored once; from the whole mail when it has none.
func mailCID(m *Mail, raw []byte) string {
	src := raw
	if m.MessageID != "" {
		src = []byte(m.MessageID)
	}
	sum := sha256.Sum256(src)
	return "email-" + hex.EncodeToString(sum[:16])
}

func tempFail(err error) error {
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: smtpText("not stored, try again later: " + err.Error())}
}

func storeFail(err error) error {
	switch {
	case errors.Is(err, session.ErrSessionFull):
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 2, 2}, Message: "the conversation is full"}
	case errors.Is(err, session.ErrInvalid):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: smtpText(err.Error())}
	}
	return tempFail(err)
}

// slogger adapts go-smtp's error log to slog.
type slogger struct{ l *slog.Logger }

func (s slogger) Printf(format string, v ...any) { s.l.Debug("smtp: " + fmt.Sprintf(format, v...)) }
func (s slogger) Println(v ...any)               { s.l.Debug("smtp: " + fmt.Sprint(v...)) }

// smtpText makes an error fit one SMTP reply line: printable ASCII (what
// a mail's From said may be anything), at most 300 bytes.
func smtpText(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	if len(b) > 300 {
		b = append(b[:297], "..."...)
	}
	return string(b)
}
