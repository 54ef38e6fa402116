package staff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// File is the account store's file name inside the data directory.
const File = "staff.db"

// LockTimeout is how long an operation waits for another process (the
// node, or an edgedesk staff command) to let go of staff.db.
const LockTimeout = 2 * time.Second

var (
	bucketAccounts = []byte("accounts") // id → record (JSON)
	bucketEmails   = []byte("emails")   // normalised email → id
)

// Store is the account store in one data directory. It holds no open
// file between calls.
type Store struct {
	path string
	now  func() time.Time
}

// NewStore returns the store of dataDir (the file is created by the first
// write).
func NewStore(dataDir string) *Store {
	return &Store{path: filepath.Join(dataDir, File), now: time.Now}
}

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// view runs fn in a read-only transaction. A store that does not exist yet
// has no accounts: fn is not called and view returns errEmpty.
func (s *Store) view(fn func(tx *bolt.Tx) error) error {
	db, err := bolt.Open(s.path, 0o600, &bolt.Options{Timeout: LockTimeout, ReadOnly: true})
	if errors.Is(err, fs.ErrNotExist) {
		return errEmpty
	}
	if err != nil {
		return fmt.Errorf("staff: open %s: %w", s.path, err)
	}
	return errors.Join(db.View(fn), db.Close())
}

// errEmpty: the store file does not exist yet.
var errEmpty = errors.New("staff: no accounts yet")

// update runs fn in a read-write transaction, creating the file and its
// buckets if needed.
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("staff: %w", err)
	}
	db, err := bolt.Open(s.path, 0o600, &bolt.Options{Timeout: LockTimeout})
	if err != nil {
		return fmt.Errorf("staff: open %s: %w", s.path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketAccounts, bucketEmails} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return fn(tx)
	})
	return errors.Join(err, db.Close())
}

// Add validates a, hashes password and stores the account. An empty ID is
// derived from the email's local part, made unique with a -2, -3 …
// suffix. It returns the account as stored.
func (s *Store) Add(ctx context.Context, a Account, password string) (Account, error) {
	derive := strings.TrimSpace(a.ID) == ""
	a, err := Prepare(a)
	if err != nil {
		return Account{}, err
	}
	hash, err := HashPassword(ctx, password)
	if err != nil {
		return Account{}, err
	}
	a.Disabled = false
	a.Created = s.now().UTC().Truncate(time.Second)
	a.Updated = a.Created
	err = s.update(func(tx *bolt.Tx) error {
		accounts, emails := tx.Bucket(bucketAccounts), tx.Bucket(bucketEmails)
		if id := emails.Get([]byte(a.Email)); id != nil {
			return fmt.Errorf("%w: email %q is account %s", ErrExists, a.Email, id)
		}
		if derive {
			base := a.ID
			for i := 2; accounts.Get([]byte(a.ID)) != nil; i++ {
				a.ID = base + "-" + strconv.Itoa(i)
			}
		} else if accounts.Get([]byte(a.ID)) != nil {
			return fmt.Errorf("%w: id %q is taken", ErrExists, a.ID)
		}
		if err := put(accounts, record{Account: a, Hash: hash}); err != nil {
			return err
		}
		return emails.Put([]byte(a.Email), []byte(a.ID))
	})
	if err != nil {
		return Account{}, err
	}
	return a, nil
}

// List returns every account, ordered by id.
func (s *Store) List() ([]Account, error) {
	var out []Account
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAccounts)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			r, err := decode(k, v)
			if err != nil {
				return err
			}
			out = append(out, r.Account)
			return nil
		})
	})
	if errors.Is(err, errEmpty) {
		err = nil
	}
	return out, err
}

// Count returns the number of enabled accounts working in group (0 for
// an unknown group).
func (s *Store) Count(group string) (int, error) {
	all, err := s.List()
	n := 0
	for _, a := range all {
		if !a.Disabled && slices.Contains(a.Groups, group) {
			n++
		}
	}
	return n, err
}

// ByID returns the account with id, or ErrNotFound.
func (s *Store) ByID(id string) (Account, error) {
	r, err := s.get(func(tx *bolt.Tx) []byte { return []byte(id) })
	return r.Account, err
}

// ByEmail returns the account with email (in any case), or ErrNotFound.
func (s *Store) ByEmail(email string) (Account, error) {
	r, err := s.byEmail(email)
	return r.Account, err
}

func (s *Store) byEmail(email string) (record, error) {
	return s.get(func(tx *bolt.Tx) []byte {
		return tx.Bucket(bucketEmails).Get([]byte(normalizeEmail(email)))
	})
}

// get reads the record whose id key picks in a read-only transaction.
func (s *Store) get(key func(*bolt.Tx) []byte) (record, error) {
	var r record
	err := s.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketAccounts) == nil {
			return ErrNotFound
		}
		id := key(tx)
		v := tx.Bucket(bucketAccounts).Get(id)
		if v == nil {
			return ErrNotFound
		}
		var err error
		r, err = decode(id, v)
		return err
	})
	if errors.Is(err, errEmpty) {
		err = ErrNotFound
	}
	return r, err
}

// Authenticate returns the enabled account with email and password. An
// unknown email, a wrong password and a disabled account all return
// ErrWrongPassword after the same work (one argon2id hash), so neither
// the answer nor its time tells them apart.
func (s *Store) Authenticate(ctx context.Context, email, password string) (Account, error) {
	r, err := s.byEmail(email)
	hash := r.Hash
	switch {
	case errors.Is(err, ErrNotFound):
		hash = dummyHash()
	case err != nil:
		return Account{}, err
	}
	ok, verr := VerifyPassword(ctx, hash, password)
	switch {
	case verr != nil:
		return Account{}, fmt.Errorf("staff: account %s: %w", r.ID, verr)
	case err != nil, !ok, r.Disabled:
		return Account{}, ErrWrongPassword
	}
	return r.Account, nil
}

// SetDisabled disables (or enables again) the account with email. A
// disabled account cannot sign in, and the sign-in tokens it holds stay
// refused when it is enabled again (SignedOut).
func (s *Store) SetDisabled(email string, disabled bool) (Account, error) {
	return s.modify(email, func(r *record) error {
		if disabled && !r.Disabled {
			r.SignedOut = s.now().UTC().Truncate(time.Second)
		}
		r.Disabled = disabled
		return nil
	})
}

// SetLanguages replaces the languages of the account with email (nil:
// none, its groups' languages count).
func (s *Store) SetLanguages(email string, langs []string) (Account, error) {
	check := Account{Languages: langs}
	if len(langs) > 0 {
		// Only the languages are checked: the rest is the stored account's.
		for _, l := range langs {
			if !langRE.MatchString(l) {
				return Account{}, fmt.Errorf("%w: languages %q: want a BCP 47 language such as en, es or pt-BR", ErrInvalid, l)
			}
		}
		if len(langs) > maxLanguages {
			return Account{}, fmt.Errorf("%w: languages: at most %d", ErrInvalid, maxLanguages)
		}
	}
	return s.modify(email, func(r *record) error {
		r.Languages = check.Languages
		return nil
	})
}

// SetPassword replaces the password of the account with email.
func (s *Store) SetPassword(ctx context.Context, email, password string) (Account, error) {
	hash, err := HashPassword(ctx, password)
	if err != nil {
		return Account{}, err
	}
	return s.modify(email, func(r *record) error {
		r.Hash = hash
		r.SignedOut = s.now().UTC().Truncate(time.Second) // every session of the old password ends
		return nil
	})
}

// modify applies fn to the account with email and stores it.
func (s *Store) modify(email string, fn func(*record) error) (Account, error) {
	var r record
	err := s.update(func(tx *bolt.Tx) error {
		accounts := tx.Bucket(bucketAccounts)
		id := tx.Bucket(bucketEmails).Get([]byte(normalizeEmail(email)))
		if id == nil {
			return fmt.Errorf("%w: email %q", ErrNotFound, email)
		}
		v := accounts.Get(id)
		if v == nil {
			return fmt.Errorf("%w: email %q names id %s, which is missing", ErrNotFound, email, id)
		}
		var err error
		if r, err = decode(id, v); err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		r.Updated = s.now().UTC().Truncate(time.Second)
		return put(accounts, r)
	})
	return r.Account, err
}

func put(b *bolt.Bucket, r record) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return b.Put([]byte(r.ID), v)
}

func decode(id, v []byte) (record, error) {
	var r record
	if err := json.Unmarshal(v, &r); err != nil {
		return r, fmt.Errorf("staff: account %s: %w", id, err)
	}
	return r, nil
}
