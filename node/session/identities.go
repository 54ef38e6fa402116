package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// The identity index links a customer's verified identities on other
// channels to one customer id, so that a WhatsApp number, a Telegram or
// LINE user, or an email address writes into the same customer's
// sessions as the widget's signed customer id. Only verified identities
// are linked (a signed widget token's claims, the sender of a webhook
// whose signature checked, an address that received a code, a staff
// member's explicit link): nothing a customer types links anything.
//
//	identities:          kind 0x00 value                       → customer id
//	customer_identities: uvarint(len(customer id)) customer id kind 0x00 value → nil
//
// Both keys live in the shard of the identity (picked by kind and value),
// so a link is one transaction; a customer's identities are read from
// every shard, like their sessions.
var (
	bucketIdentities         = []byte("identities")
	bucketCustomerIdentities = []byte("customer_identities")
)

// Identity is a customer's verified identity on a channel: Kind says
// which namespace Value is in ("phone" for E.164 numbers from WhatsApp or
// a token's claim, "telegram", "line", "email", or a channel's name).
type Identity struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// MaxIdentityBytes bounds an identity's kind and value together.
const MaxIdentityBytes = 320

// String is "kind:value": also the customer id of an identity linked to
// no customer.
func (id Identity) String() string { return id.Kind + ":" + id.Value }

func (id Identity) check() error {
	if id.Kind == "" || id.Value == "" || len(id.Kind)+len(id.Value) > MaxIdentityBytes ||
		!utf8.ValidString(id.Kind) || !utf8.ValidString(id.Value) || bytes.IndexByte([]byte(id.Kind), 0) >= 0 || bytes.IndexByte([]byte(id.Value), 0) >= 0 {
		return fmt.Errorf("%w: identity %q:%q", ErrInvalid, id.Kind, id.Value)
	}
	return nil
}

func (id Identity) key() []byte { return append(append([]byte(id.Kind), 0), id.Value...) }

// LinkIdentity links a verified identity to customer cust, replacing the
// customer it was linked to before. The caller vouches that the identity
// is verified.
func (s *Store) LinkIdentity(ctx context.Context, id Identity, cust string) error {
	if err := id.check(); err != nil {
		return err
	}
	if cust == "" || len(cust) > 256 || !utf8.ValidString(cust) {
		return fmt.Errorf("%w: customer id %q", ErrInvalid, cust)
	}
	r := s.pick(id.String()).wait(ctx, &op{kind: opLink, meta: Meta{Customer: Customer{ID: cust}}, identity: id})
	return r.Err
}

// UnlinkIdentity removes an identity's link (no error if it had none).
func (s *Store) UnlinkIdentity(ctx context.Context, id Identity) error {
	if err := id.check(); err != nil {
		return err
	}
	r := s.pick(id.String()).wait(ctx, &op{kind: opLink, identity: id})
	return r.Err
}

// IdentityCustomer returns the customer an identity is linked to, or ""
// when it is linked to none.
func (s *Store) IdentityCustomer(id Identity) (string, error) {
	if err := id.check(); err != nil {
		return "", err
	}
	var cust string
	err := s.pick(id.String()).db.View(func(tx *bolt.Tx) error {
		cust = string(tx.Bucket(bucketIdentities).Get(id.key()))
		return nil
	})
	return cust, err
}

// CustomerIdentities returns the identities linked to cust, sorted.
func (s *Store) CustomerIdentities(cust string) ([]Identity, error) {
	if cust == "" {
		return nil, fmt.Errorf("%w: empty customer id", ErrInvalid)
	}
	var out []Identity
	for _, sh := range s.shards {
		if err := sh.db.View(func(tx *bolt.Tx) error { return customerIdentitiesTx(tx, cust, &out) }); err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out, nil
}

// customerIdentitiesTx appends to out the identities linked to cust in
// tx's shard (a store from before the index has none).
func customerIdentitiesTx(tx *bolt.Tx, cust string, out *[]Identity) error {
	b := tx.Bucket(bucketCustomerIdentities)
	if b == nil {
		return nil
	}
	prefix := customerPrefix(cust)
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		rest := k[len(prefix):]
		i := bytes.IndexByte(rest, 0)
		if i < 0 {
			continue
		}
		*out = append(*out, Identity{Kind: string(rest[:i]), Value: string(rest[i+1:])})
		if len(*out) > MaxCustomerSessions {
			return fmt.Errorf("%w: more than %d identities for customer %q", ErrTooMany, MaxCustomerSessions, cust)
		}
	}
	return nil
}

// InspectIdentities reads, like InspectCustomer, the identities linked to
// customer cust from the store at path (the node stopped), sorted.
func InspectIdentities(path string, shards int, cust string, timeout time.Duration) ([]Identity, error) {
	if cust == "" {
		return nil, fmt.Errorf("%w: empty customer id", ErrInvalid)
	}
	var out []Identity
	for i := range max(shards, 1) {
		file := shardPath(path, i, max(shards, 1))
		if !fileExists(file) {
			continue
		}
		db, err := bolt.Open(file, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, file)
		}
		if err != nil {
			return nil, fmt.Errorf("session: open %s: %w", file, err)
		}
		err = db.View(func(tx *bolt.Tx) error { return customerIdentitiesTx(tx, cust, &out) })
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out, nil
}

// link (an opLink) links o.identity to o.meta.Customer.ID, or unlinks it
// when that is empty.
func (w *writer) link(o *op) Result {
	ib, cb := w.tx.Bucket(bucketIdentities), w.tx.Bucket(bucketCustomerIdentities)
	k := o.identity.key()
	if old := ib.Get(k); old != nil {
		if err := cb.Delete(append(customerPrefix(string(old)), k...)); err != nil {
			return Result{Err: err}
		}
	}
	cust := o.meta.Customer.ID
	if cust == "" {
		return Result{Err: ib.Delete(k)}
	}
	if err := ib.Put(k, []byte(cust)); err != nil {
		return Result{Err: err}
	}
	return Result{Err: cb.Put(append(customerPrefix(cust), k...), nil)}
}

// unlinkCustomer deletes every identity linked to cust in this shard (an
// erasure).
func (w *writer) unlinkCustomer(cust string) error {
	ib, cb := w.tx.Bucket(bucketIdentities), w.tx.Bucket(bucketCustomerIdentities)
	prefix := customerPrefix(cust)
	c := cb.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := ib.Delete(bytes.Clone(k[len(prefix):])); err != nil {
			return err
		}
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}
