package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edgedesk/edgedesk/node/audit"
	"github.com/edgedesk/edgedesk/node/away"
	"github.com/edgedesk/edgedesk/node/delivery"
	"github.com/edgedesk/edgedesk/node/email"
	"github.com/edgedesk/edgedesk/node/email/verify"
	"github.com/edgedesk/edgedesk/node/session"
)

// EmailFile is the email channel's thread index inside the data directory.
const EmailFile = "email.db"

// nodeEmail is the email channel (docs/EMAIL.md); nil when both
// email.listen and email.relay.host are empty.
type nodeEmail struct {
	threads  *email.Threads
	listener *email.Listener // bound by Listen; nil without email.listen
	sender   *email.Sender   // nil without email.relay.host
	verifier *email.Verifier // nil without email.relay.host
	policy   away.Policy
}

// openEmail opens the thread index and builds the sender. The listener is
// bound by Listen, as the HTTP one.
func (n *Node) openEmail() error {
	ec := n.cfg.Email
	if !ec.Enabled() && !ec.Sends() {
		return nil
	}
	th, err := email.OpenThreads(filepath.Join(n.cfg.DataDir, EmailFile), n.cfg.ShutdownTimeout)
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	ne := &nodeEmail{threads: th, policy: away.Policy{Grace: ec.AwayGrace}}
	if ec.Sends() {
		pw, err := ec.RelayPassword()
		if err != nil {
			th.Close()
			return fmt.Errorf("node: %w", err)
		}
		ne.sender, err = email.NewSender(email.SenderOptions{Host: ec.Relay.Host, Port: ec.Relay.Port, TLS: ec.Relay.TLS,
			User: ec.Relay.User, Password: pw, From: ec.From, Domain: ec.MailDomain(), Subject: ec.Subject,
			Timeout: ec.Relay.Timeout, Store: n.store, Threads: th})
		if err != nil {
			th.Close()
			return fmt.Errorf("node: %w", err)
		}
		ne.verifier = &email.Verifier{Codes: verify.New(verify.Options{TTL: ec.Verify.CodeTTL, MaxAttempts: ec.Verify.MaxAttempts}),
			Sender: ne.sender, Link: n.linkProvenEmail}
	}
	n.email = ne
	n.store.OnExpire(n.forgetEmail)
	return nil
}

// linkProvenEmail links an address proven by a mailed code to the
// session's customer, when the session belongs to a signed-in customer (a
// verified widget token's id): then their mail and their widget are one
// customer. An anonymous session has no customer to link to: the proven
// address stays its contact, and nothing links (false).
func (n *Node) linkProvenEmail(ctx context.Context, sid, address string) (bool, error) {
	meta, err := n.store.Get(sid)
	if err != nil {
		return false, err
	}
	if !meta.Verified || meta.Customer.ID == "" {
		return false, nil
	}
	id := session.Identity{Kind: "email", Value: strings.ToLower(address)}
	if err := n.store.LinkIdentity(ctx, id, meta.Customer.ID); err != nil {
		return false, err
	}
	n.recordAudit(audit.Entry{Actor: "customer", Action: "customer.link", Target: meta.Customer.ID, From: "email code",
		Details: map[string]string{"identity": id.String(), "session": sid}})
	return true, nil
}

// emailRule is the delivery rule of the email channel: an answer to a
// mail, or an agent's answer to a widget customer who left an address and
// is gone (away.Policy). On the committing goroutine: Connected only
// reads the hub.
func (n *Node) emailRule(meta *session.Meta, m *session.Message) (delivery.Item, bool) {
	return n.EmailItem(*meta, n.store.Connected(meta.ID), *m)
}

// listenEmail binds the SMTP listener (email.listen).
func (n *Node) listenEmail() error {
	if n.email == nil || !n.cfg.Email.Enabled() || n.email.listener != nil {
		return nil
	}
	ec := n.cfg.Email
	o := email.ListenerOptions{Addr: ec.Listen, Domain: ec.MailDomain(), Addresses: ec.Addresses,
		MaxMessageBytes: ec.MaxMessageBytes, MaxRecipients: ec.MaxRecipients, MaxConnections: ec.MaxConnections,
		SenderPerMinute: ec.SenderPerMinute,
		ReadTimeout:     ec.ReadTimeout, WriteTimeout: ec.WriteTimeout,
		Opener:  n.opener,
		Store:   n.store,
		Threads: n.email.threads,
		Logger:  n.log.With("component", "email")}
	if ec.StartTLS && n.tls != nil {
		o.TLS = n.tls.conf.Clone()
		o.TLS.NextProtos = nil // ALPN names HTTP protocols; SMTP has none
	}
	l, err := email.NewListener(o)
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	n.email.listener = l
	for _, c := range []struct {
		outcome string
		v       func() int64
	}{
		{"stored", func() int64 { a, _, _ := l.Stats(); return a }},
		{"refused", func() int64 { _, r, _ := l.Stats(); return r }},
		{"dropped", func() int64 { _, _, d := l.Stats(); return d }},
	} {
		err := n.reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "edgedesk_email_inbound_total",
			Help:        "Inbound mails by outcome: stored, refused (4xx/5xx), dropped (automatic mail, accepted and not stored).",
			ConstLabels: prometheus.Labels{"outcome": c.outcome}}, func() float64 { return float64(c.v()) }))
		if err != nil {
			return fmt.Errorf("node: email metrics: %w", err)
		}
	}
	return nil
}

// runEmail serves the SMTP listener until ctx is done.
func (n *Node) runEmail(ctx context.Context) error {
	if n.email == nil || n.email.listener == nil {
		return nil
	}
	return n.email.listener.Run(ctx)
}

// closeEmailListener stops taking mail; before the store closes, so the
// transactions under way finish.
func (n *Node) closeEmailListener(ctx context.Context) error {
	if n.email == nil || n.email.listener == nil {
		return nil
	}
	return n.email.listener.Close(ctx)
}

// closeEmail closes the thread index, after the store.
func (n *Node) closeEmail() error {
	if n.email == nil {
		return nil
	}
	return n.email.threads.Close()
}

// EmailAddr is the SMTP listener's address (nil without email.listen or
// before Listen).
func (n *Node) EmailAddr() net.Addr {
	if n.email == nil || n.email.listener == nil {
		return nil
	}
	return n.email.listener.Addr()
}

// EmailSender is the delivery.Sender of channel "email" (nil without
// email.relay.host), for the delivery queue.
func (n *Node) EmailSender() delivery.Sender {
	if n.email == nil || n.email.sender == nil {
		return nil
	}
	return n.email.sender
}

// EmailItem is the email delivery of m, a message just stored in the
// session meta describes (away.Policy.Item): where the delivery record is
// written, in the commit. false when nothing goes out by email (no
// relay, or not an answer to email).
func (n *Node) EmailItem(meta session.Meta, connected bool, m session.Message) (delivery.Item, bool) {
	if n.email == nil || n.email.sender == nil {
		return delivery.Item{}, false
	}
	return n.email.policy.Item(meta, connected, m)
}

// EmailVerifier mails and checks the codes that prove an address (nil
// without email.relay.host).
func (n *Node) EmailVerifier() *email.Verifier {
	if n.email == nil {
		return nil
	}
	return n.email.verifier
}

// forgetEmail drops the threads of expired or erased sessions.
func (n *Node) forgetEmail(gone []session.Meta) {
	if n.email == nil || len(gone) == 0 {
		return
	}
	ids := make([]string, len(gone))
	for i, m := range gone {
		ids[i] = m.ID
	}
	if err := n.email.threads.Forget(ids...); err != nil && !errors.Is(err, email.ErrClosed) {
		n.log.Warn("email threads of gone sessions not forgotten", "sessions", len(ids), "err", err)
	}
}
