package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// Encryption at rest. What a record says about a customer — message text,
// attachments, entities, the session's metadata with the customer's name,
// email and phone, the outbox events — is sealed with AES-256-GCM before
// bbolt sees it. A sealed value is
//
//	sealMark(1) key id(4) nonce(12) ciphertext+tag(16)
//
// The nonce is random per record: at the store's rate (well under 2^32
// records per key) random 96-bit nonces do not collide. The associated
// data is the record's logical name (its bucket and key, or for a message
// its session and seq wherever it sits: the log entry and its compacted
// copy are the same bytes), so a record moved to another key, another
// session's or another message's, fails to open. Keys, ids, seqs, times
// and the indexes stay plaintext: they are what the store looks records
// up by.
//
// Plaintext records start with '{' (JSON), so a store switched on keeps
// reading what it wrote before, and the sweeper re-seals it (RunResealer).

const (
	sealMark     = 0xe5
	keyIDLen     = 4
	nonceLen     = 12
	sealOverhead = 1 + keyIDLen + nonceLen + 16
)

// ErrSealed is returned for a sealed record the store has no key for: the
// key was not configured, or an old key was dropped before its records
// were re-sealed.
var ErrSealed = errors.New("session: record sealed with a key the store does not have")

// KeyID names a key in the records it seals: the first 4 bytes of its
// SHA-256, which says which key opens a record without revealing it.
func KeyID(key []byte) uint32 {
	h := sha256.Sum256(key)
	return binary.BigEndian.Uint32(h[:keyIDLen])
}

// Keyring holds the key that seals new records and the old keys that
// still open records sealed before a rotation. A nil *Keyring seals
// nothing and opens only plaintext records.
type Keyring struct {
	cur  *sealKey
	byID map[uint32]*sealKey
}

type sealKey struct {
	id   uint32
	aead cipher.AEAD
}

// NewKeyring makes a keyring from the current 32-byte key and the old
// ones (any order).
func NewKeyring(current []byte, old ...[]byte) (*Keyring, error) {
	kr := &Keyring{byID: map[uint32]*sealKey{}}
	for i, k := range append([][]byte{current}, old...) {
		if len(k) != 32 {
			return nil, fmt.Errorf("%w: encryption key %d is %d bytes, want 32", ErrInvalid, i, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("%w: encryption key %d: %w", ErrInvalid, i, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%w: encryption key %d: %w", ErrInvalid, i, err)
		}
		sk := &sealKey{id: KeyID(k), aead: aead}
		if _, dup := kr.byID[sk.id]; dup && i > 0 {
			continue // the current key listed again among the old ones
		}
		kr.byID[sk.id] = sk
		if i == 0 {
			kr.cur = sk
		}
	}
	return kr, nil
}

// CurrentID is the id of the key new records are sealed with.
func (kr *Keyring) CurrentID() uint32 { return kr.cur.id }

// The associated data of each kind of record: a purpose byte, then its
// logical key.
const (
	aadMeta   = 'm'
	aadMsg    = 'g'
	aadOutbox = 'o'
)

func appendAAD(dst []byte, kind byte, key []byte) []byte {
	return append(append(dst, kind), key...)
}

// seal appends plain sealed under aad to dst (plain itself with a nil
// keyring). dst and plain must not overlap.
func (kr *Keyring) seal(dst []byte, aad, plain []byte) []byte {
	if kr == nil {
		return append(dst, plain...)
	}
	k := kr.cur
	dst = append(dst, sealMark)
	dst = binary.BigEndian.AppendUint32(dst, k.id)
	n := len(dst)
	dst = append(dst, make([]byte, nonceLen)...)
	// crypto/rand.Read never fails (it crashes the program if the
	// system's generator does).
	rand.Read(dst[n : n+nonceLen])
	return k.aead.Seal(dst, dst[n:n+nonceLen], plain, aad)
}

// Seal appends plain sealed under aad to dst (plain itself with a nil
// keyring), for the node's other files that hold customers' words (the
// translation cache). The associated data binds the value to its key.
func (kr *Keyring) Seal(dst, aad, plain []byte) []byte { return kr.seal(dst, aad, plain) }

// Open returns the plaintext of a value Seal made under aad.
func (kr *Keyring) Open(aad, v []byte) ([]byte, error) { return kr.open(aad, v) }

// open returns the plaintext of a stored value: v itself when it was
// stored in plaintext, else a new slice (so it outlives the transaction).
func (kr *Keyring) open(aad, v []byte) ([]byte, error) {
	if !isSealed(v) {
		return v, nil
	}
	if len(v) < sealOverhead {
		return nil, fmt.Errorf("session: sealed record of %d bytes: truncated", len(v))
	}
	id := binary.BigEndian.Uint32(v[1:])
	var k *sealKey
	if kr != nil {
		k = kr.byID[id]
	}
	if k == nil {
		return nil, fmt.Errorf("%w (key id %08x)", ErrSealed, id)
	}
	nonce := v[1+keyIDLen : 1+keyIDLen+nonceLen]
	plain, err := k.aead.Open(nil, nonce, v[1+keyIDLen+nonceLen:], aad)
	if err != nil {
		return nil, fmt.Errorf("session: sealed record does not open under key %08x (altered, or moved from another key): %w", id, err)
	}
	return plain, nil
}

// stale reports whether v is to be re-sealed: stored in plaintext, or
// sealed with another key than the current one.
func (kr *Keyring) stale(v []byte) bool {
	if kr == nil {
		return false
	}
	return !isSealed(v) || len(v) < 1+keyIDLen || binary.BigEndian.Uint32(v[1:]) != kr.cur.id
}

func isSealed(v []byte) bool { return len(v) > 0 && v[0] == sealMark }
