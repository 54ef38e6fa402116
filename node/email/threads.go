package email

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Threads maps Message-IDs to sessions and keeps, per session, what the
// next answer threads under: the subject and the customer's last mail.
// It lives in its own bbolt file (data_dir/email.db) so the session store's
// format is untouched. Safe for concurrent use.
type Threads struct {
	db     *bolt.DB
	closed atomic.Bool
}

// Thread is what an answer in a session threads under.
type Thread struct {
	// Subject is the subject of the customer's first mail ("Re: " is
	// added to it, once, when answering).
	Subject string `json:"subject,omitempty"`
	// Last is the Message-ID of the customer's last mail (In-Reply-To of
	// the next answer), Refs the References the next answer carries.
	Last string   `json:"last,omitempty"`
	Refs []string `json:"refs,omitempty"`
	// IDs are every Message-ID mapped to the session, inbound and
	// outbound, so Forget can drop them with it.
	IDs []string `json:"ids,omitempty"`
}

var (
	bucketIDs     = []byte("ids")     // Message-ID → session id
	bucketThreads = []byte("threads") // session id → Thread (JSON)
	bucketSent    = []byte("sent")    // delivery item key → Message-ID
)

// maxIDsPerThread bounds a session's recorded ids; past it the oldest
// stop threading (a reply to a mail that old opens a new session).
const maxIDsPerThread = 4096

// OpenThreads opens (creating if needed) the index at path, waiting at most
// timeout for another process's lock.
func OpenThreads(path string, timeout time.Duration) (*Threads, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		return nil, fmt.Errorf("email: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketIDs, bucketThreads, bucketSent} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("email: init %s: %w", path, err)
	}
	return &Threads{db: db}, nil
}

// Close closes the file. It is idempotent.
func (t *Threads) Close() error {
	if !t.closed.CompareAndSwap(false, true) {
		return nil
	}
	return t.db.Close()
}

// Lookup returns the session of the mail: the session that already has
// it (a client retrying), else the one of its In-Reply-To, else of its
// References from the newest back. "" when none is known.
func (t *Threads) Lookup(m *Mail) (string, error) {
	if t.closed.Load() {
		return "", ErrClosed
	}
	ids := make([]string, 0, 1+len(m.InReplyTo)+len(m.References))
	if m.MessageID != "" {
		ids = append(ids, m.MessageID)
	}
	ids = append(ids, m.InReplyTo...)
	for i := len(m.References) - 1; i >= 0; i-- {
		ids = append(ids, m.References[i])
	}
	var sid string
	err := t.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIDs)
		for _, id := range ids {
			if v := b.Get([]byte(id)); v != nil {
				sid = string(v)
				return nil
			}
		}
		return nil
	})
	return sid, err
}

// Get returns session sid's thread (zero when none is recorded).
func (t *Threads) Get(sid string) (Thread, error) {
	if t.closed.Load() {
		return Thread{}, ErrClosed
	}
	var th Thread
	err := t.db.View(func(tx *bolt.Tx) error {
		var err error
		th, err = getThread(tx, sid)
		return err
	})
	return th, err
}

// Received records an inbound mail of session sid: its Message-ID threads
// to the session, and the next answer replies to it.
func (t *Threads) Received(sid string, m *Mail) error {
	if t.closed.Load() {
		return ErrClosed
	}
	return t.db.Update(func(tx *bolt.Tx) error {
		th, err := getThread(tx, sid)
		if err != nil {
			return err
		}
		if th.Subject == "" {
			th.Subject = m.Subject
		}
		if m.MessageID != "" {
			th.Last = m.MessageID
			th.Refs = append(slices.Clone(m.References), m.MessageID)
			if len(th.Refs) > maxRefs {
				th.Refs = th.Refs[len(th.Refs)-maxRefs:]
			}
			if err := addID(tx, &th, sid, m.MessageID); err != nil {
				return err
			}
		}
		return putThread(tx, sid, th)
	})
}

// Outgoing returns the Message-ID of the answer with delivery key key in
// session sid, recording a fresh one (@domain) the first time: a retried
// delivery carries the same id, so the customer's mail client shows one
// mail however often the relay saw it. The id threads to sid before the
// mail leaves, so a quick reply finds its session.
func (t *Threads) Outgoing(sid, key, domain string) (string, Thread, error) {
	if t.closed.Load() {
		return "", Thread{}, ErrClosed
	}
	var id string
	var th Thread
	err := t.db.Update(func(tx *bolt.Tx) error {
		var err error
		if th, err = getThread(tx, sid); err != nil {
			return err
		}
		if v := tx.Bucket(bucketSent).Get([]byte(key)); v != nil {
			id = string(v)
			return nil
		}
		id = newMessageID(domain)
		if err := tx.Bucket(bucketSent).Put([]byte(key), []byte(id)); err != nil {
			return err
		}
		if err := addID(tx, &th, sid, id); err != nil {
			return err
		}
		return putThread(tx, sid, th)
	})
	return id, th, err
}

// Forget drops everything recorded for the sessions (expired or erased).
func (t *Threads) Forget(sids ...string) error {
	if t.closed.Load() {
		return ErrClosed
	}
	return t.db.Update(func(tx *bolt.Tx) error {
		for _, sid := range sids {
			th, err := getThread(tx, sid)
			if err != nil {
				return err
			}
			for _, id := range th.IDs {
				if err := tx.Bucket(bucketIDs).Delete([]byte(id)); err != nil {
					return err
				}
			}
			if err := tx.Bucket(bucketThreads).Delete([]byte(sid)); err != nil {
				return err
			}
			// Sent keys start with the session id ("<session>/<seq>").
			c := tx.Bucket(bucketSent).Cursor()
			prefix := []byte(sid + "/")
			for k, _ := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, _ = c.Seek(prefix) {
				if err := c.Delete(); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func getThread(tx *bolt.Tx, sid string) (Thread, error) {
	var th Thread
	v := tx.Bucket(bucketThreads).Get([]byte(sid))
	if v == nil {
		return th, nil
	}
	if err := json.Unmarshal(v, &th); err != nil {
		return th, fmt.Errorf("email: thread of %s: %w", sid, err)
	}
	return th, nil
}

func putThread(tx *bolt.Tx, sid string, th Thread) error {
	v, err := json.Marshal(th)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketThreads).Put([]byte(sid), v)
}

// addID maps id to sid and lists it in th, dropping the oldest id past
// maxIDsPerThread. An id already mapped to another session keeps its
// session: a forged Message-ID cannot move a thread.
func addID(tx *bolt.Tx, th *Thread, sid, id string) error {
	if id == "" || len(id) > 998 {
		return nil
	}
	b := tx.Bucket(bucketIDs)
	if v := b.Get([]byte(id)); v != nil {
		return nil
	}
	if err := b.Put([]byte(id), []byte(sid)); err != nil {
		return err
	}
	th.IDs = append(th.IDs, id)
	if len(th.IDs) > maxIDsPerThread {
		if err := b.Delete([]byte(th.IDs[0])); err != nil {
			return err
		}
		th.IDs = th.IDs[1:]
	}
	return nil
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newMessageID returns a random Message-ID (without angle brackets):
// unguessable, so knowing the session id does not give one, and knowing
// one gives nothing but the right to reply into the thread as its
// customer's address.
func newMessageID(domain string) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("email: crypto/rand failed: " + err.Error())
	}
	return idEncoding.EncodeToString(b[:]) + "@" + domain
}
