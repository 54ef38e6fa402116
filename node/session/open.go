package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// Hello asks to open a session, whatever the channel: the widget's hello
// frame, a messaging platform's first webhook, an MQTT client's connect, an
// email's first message. Every channel opens and resumes sessions through
// an Opener, so ownership, resuming a session another node served, and the
// choice between create and update are decided in one place.
type Hello struct {
	// Channel is where the customer writes from ("web", "whatsapp",
	// "email", …); empty means "web". It is kept only when a session is
	// created: a resumed session keeps its channel.
	Channel string
	// Customer is who the customer is, as far as the channel knows.
	Customer Customer
	// Verified says Customer.ID comes from a verified credential (a signed
	// widget token, a platform's signed webhook). Then a session owned by
	// another customer is refused with ErrNotOwner. Without it any id may
	// resume any session: anonymous widgets carry their session id as the
	// only secret.
	Verified bool
	// Locale (BCP 47) and TZ (IANA) as the channel declared them; empty
	// keeps what the session has.
	Locale, TZ string
	// Session resumes this session; empty creates one.
	Session string
	// Contact, if set, is where answers to this customer go out from now
	// on (a platform's webhook channel): stored as Meta.Contact.
	Contact *Contact
	// Identities are the customer's identities on other channels that
	// the credential vouches for (a widget token's links claim): with
	// Verified, Open links each to Customer.ID (identities.go), so the
	// customer's messages from those channels join their sessions.
	// Ignored without Verified: nothing a customer declares links.
	Identities []Identity
}

// Opener opens and resumes sessions for every channel. It is safe for
// concurrent use once built.
type Opener struct {
	Store *Store
	// Fetch, if set, brings a session this node does not have (another
	// node served it) into Store, for a Hello that resumes it. Its error
	// is logged and the session is looked up again either way: a
	// concurrent Hello may have imported it.
	Fetch func(ctx context.Context, id string) error
	// Logger (default: discard).
	Logger *slog.Logger
}

// Open creates the session h asks for, or resumes h.Session, updating its
// locale and time zone when h brings new ones. It returns the session as
// stored and whether it was resumed. The errors: ErrNoSession (unknown or
// expired session), ErrNotOwner (a verified customer resuming another
// verified customer's session), or the store's error (ErrClosed, a failed
// commit), which a channel reports as "unavailable, retry".
//
// Who the customer is changes only with a verified hello on a session a
// verified hello created: an anonymous hello only proves it knows the
// session id, so it resumes the session as it is and never replaces its
// customer (otherwise anyone who learned an id could rename the customer
// agents see). A verified hello for a session created anonymously (before
// the node had a widget secret, say) does not claim it: whoever holds
// the id may have written in it, so the customer gets a new session
// (resumed false).
//
// Open does not subscribe: a channel that delivers live subscribes with
// its own Subscriber (an id from Store.NewSubscriberID) before it reads
// the history, so nothing committed in between is missed.
func (o *Opener) Open(ctx context.Context, h Hello) (Meta, bool, error) {
	h.Customer.Neutralize()
	if err := o.link(ctx, h); err != nil {
		return Meta{}, false, err
	}
	if h.Session == "" {
		return o.create(ctx, h)
	}
	meta, err := o.Store.Get(h.Session)
	if errors.Is(err, ErrNoSession) && o.Fetch != nil && ValidID(h.Session) {
		// Served by another node: its history comes from the core.
		if ferr := o.Fetch(ctx, h.Session); ferr != nil && o.Logger != nil {
			o.Logger.Debug("session not fetched from the core", "session", h.Session, "err", ferr)
		}
		meta, err = o.Store.Get(h.Session)
	}
	if err != nil {
		return Meta{}, true, err
	}
	if h.Verified && !meta.Verified {
		if o.Logger != nil {
			o.Logger.Info("verified customer not given an anonymous session: new session", "session", h.Session, "customer", h.Customer.ID)
		}
		return o.create(ctx, h)
	}
	if h.Verified && meta.Customer.ID != h.Customer.ID {
		return Meta{}, true, fmt.Errorf("%w: session %s", ErrNotOwner, h.Session)
	}
	// A customer who declares no email keeps the one stored (a contact
	// address they left earlier).
	cust := h.Customer
	if cust.Email == "" {
		cust.Email = meta.Customer.Email
	}
	newCustomer := h.Verified && cust != meta.Customer
	newContact := h.Contact != nil && (meta.Contact == nil || *h.Contact != *meta.Contact)
	if h.Locale != "" && h.Locale != meta.Locale || h.TZ != "" && h.TZ != meta.TZ || newCustomer || newContact {
		meta, err = o.Store.Update(ctx, h.Session, func(m *Meta) error {
			if h.Locale != "" {
				m.Locale = h.Locale
			}
			if h.TZ != "" {
				m.TZ = h.TZ
			}
			if newContact {
				c := *h.Contact
				m.Contact = &c
			}
			if newCustomer {
				email := m.Customer.Email
				m.Customer = h.Customer
				if m.Customer.Email == "" {
					m.Customer.Email = email
				}
			}
			return nil
		})
	}
	return meta, true, err
}

func (o *Opener) create(ctx context.Context, h Hello) (Meta, bool, error) {
	channel := h.Channel
	if channel == "" {
		channel = "web"
	}
	meta, err := o.Store.Create(ctx, Meta{Channel: channel, Customer: h.Customer, Locale: h.Locale, TZ: h.TZ, Verified: h.Verified, Contact: h.Contact})
	return meta, false, err
}

// maxHelloIdentities bounds the identities one hello links.
const maxHelloIdentities = 8

// link links a verified hello's identities to its customer, writing only
// those not linked to them yet. An identity that is not well-formed is
// skipped (logged): the credential's issuer sent it, not the customer.
func (o *Opener) link(ctx context.Context, h Hello) error {
	if !h.Verified || h.Customer.ID == "" || len(h.Identities) == 0 {
		return nil
	}
	for i, id := range h.Identities {
		if i == maxHelloIdentities {
			break
		}
		cur, err := o.Store.IdentityCustomer(id)
		if errors.Is(err, ErrInvalid) {
			if o.Logger != nil {
				o.Logger.Warn("identity in a verified hello not linked", "customer", h.Customer.ID, "err", err)
			}
			continue
		}
		if err != nil {
			return err
		}
		if cur == h.Customer.ID {
			continue
		}
		if err := o.Store.LinkIdentity(ctx, id, h.Customer.ID); err != nil {
			return err
		}
	}
	return nil
}
