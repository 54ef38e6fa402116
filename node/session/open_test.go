package session

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

func TestOpener(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{})
	o := &Opener{Store: s}

	t.Run("create", func(t *testing.T) {
		m, resumed, err := o.Open(ctx, Hello{Customer: Customer{ID: "u1"}, Locale: "es-MX", TZ: "America/Mexico_City"})
		if err != nil || resumed {
			t.Fatalf("Open = %v, resumed %v", err, resumed)
		}
		if m.Channel != "web" || m.Locale != "es-MX" || m.TZ != "America/Mexico_City" || m.Customer.ID != "u1" || !ValidID(m.ID) {
			t.Fatalf("created %+v", m)
		}
		m, _, err = o.Open(ctx, Hello{Channel: "whatsapp"})
		if err != nil || m.Channel != "whatsapp" {
			t.Fatalf("channel: %+v, %v", m, err)
		}
	})

	t.Run("resume updates what the channel brings", func(t *testing.T) {
		first, _, _ := o.Open(ctx, Hello{Customer: Customer{ID: "u2"}, Locale: "en", TZ: "UTC"})
		m, resumed, err := o.Open(ctx, Hello{Session: first.ID, Channel: "email", Locale: "fr-FR"})
		if err != nil || !resumed {
			t.Fatalf("Open = %v, resumed %v", err, resumed)
		}
		if m.ID != first.ID || m.Channel != "web" || m.Locale != "fr-FR" || m.TZ != "UTC" || m.Customer.ID != "u2" {
			t.Fatalf("resumed %+v", m)
		}
		if got, _ := s.Get(first.ID); got.Locale != "fr-FR" {
			t.Fatalf("stored locale %q", got.Locale)
		}
	})

	t.Run("ownership", func(t *testing.T) {
		first, _, _ := o.Open(ctx, Hello{Customer: Customer{ID: "owner"}, Verified: true})
		_, _, err := o.Open(ctx, Hello{Session: first.ID, Customer: Customer{ID: "thief"}, Verified: true})
		if !errors.Is(err, ErrNotOwner) {
			t.Fatalf("another verified customer: %v, want ErrNotOwner", err)
		}
		if got, _ := s.Get(first.ID); got.Customer.ID != "owner" {
			t.Fatalf("owner changed to %q", got.Customer.ID)
		}
		if _, _, err := o.Open(ctx, Hello{Session: first.ID, Customer: Customer{ID: "owner", Name: "Ana"}, Verified: true}); err != nil {
			t.Fatalf("the owner: %v", err)
		}
		// Anonymous channels: the session id is the secret.
		if _, _, err := o.Open(ctx, Hello{Session: first.ID}); err != nil {
			t.Fatalf("unverified: %v", err)
		}
	})

	t.Run("unknown", func(t *testing.T) {
		if _, _, err := o.Open(ctx, Hello{Session: NewID()}); !errors.Is(err, ErrNoSession) {
			t.Fatalf("unknown session: %v, want ErrNoSession", err)
		}
	})
}

// A session another node served comes from the core through Fetch; a Fetch
// that fails leaves ErrNoSession.
func TestOpenerFetch(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{})
	var calls atomic.Int32
	o := &Opener{Store: s, Fetch: func(ctx context.Context, id string) error {
		calls.Add(1)
		if id == "s_gone" {
			return errors.New("the core has no such session")
		}
		return s.Import(ctx, Meta{ID: id, Channel: "web", Locale: "de"}, []Message{{Session: id, Seq: 1, From: FromCustomer, CID: "c1", Text: "hallo"}})
	}}
	id := NewID()
	m, resumed, err := o.Open(ctx, Hello{Session: id})
	if err != nil || !resumed || m.ID != id || m.Locale != "de" || m.LastSeq != 1 {
		t.Fatalf("fetched: %+v, resumed %v, %v", m, resumed, err)
	}
	if _, _, err := o.Open(ctx, Hello{Session: id}); err != nil || calls.Load() != 1 {
		t.Fatalf("second open: %v, fetches %d (want 1: it is local now)", err, calls.Load())
	}
	if _, _, err := o.Open(ctx, Hello{Session: "s_gone"}); !errors.Is(err, ErrNoSession) {
		t.Fatalf("failed fetch: %v, want ErrNoSession", err)
	}
	before := calls.Load()
	if _, _, err := o.Open(ctx, Hello{Session: "not a valid id!"}); err == nil || calls.Load() != before {
		t.Fatalf("invalid id: %v, fetches %d → %d (an invalid id is never fetched)", err, before, calls.Load())
	}
}

func TestNewSubscriberID(t *testing.T) {
	s := openTest(t, Options{})
	seen := map[uint64]bool{0: true}
	for range 1000 {
		id := s.NewSubscriberID()
		if seen[id] {
			t.Fatalf("id %d twice (or 0)", id)
		}
		seen[id] = true
	}
}
