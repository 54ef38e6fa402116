package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// APIKeyIssuer is the Issuer of the claims an API key stands for, so that
// what it did is told apart from a person's token (sign-in cookies check
// the account, keys do not have one).
const APIKeyIssuer = "edgedesk-apikey"

// MinAPIKeyBytes is the shortest key a key file may hold: 32 bytes (256
// bits as hex from `openssl rand -hex 32` is 64) leave nothing to guess.
const MinAPIKeyBytes = 32

// ErrAPIKey is wrapped by a key that cannot be loaded.
var ErrAPIKey = errors.New("auth: api key")

// APIKey is one static key as configured: its SHA-256, or a file holding
// the key.
type APIKey struct {
	Name, Role string
	SHA256Hex  string
	File       string
}

// APIKeys matches bearer keys against the SHA-256 of each configured key,
// in constant time: the node never holds a key itself, and the time a
// comparison takes says nothing of how close a guess came. It is
// immutable and safe for concurrent use.
type APIKeys struct {
	keys []apiKey
}

type apiKey struct {
	sum        [sha256.Size]byte
	name, role string
}

// NewAPIKeys loads the keys (reading key files); an error names the key.
func NewAPIKeys(keys []APIKey) (*APIKeys, error) {
	a := &APIKeys{}
	for _, k := range keys {
		e := apiKey{name: k.Name, role: k.Role}
		if k.File != "" {
			b, err := os.ReadFile(k.File)
			if err != nil {
				return nil, fmt.Errorf("%w %q: %w", ErrAPIKey, k.Name, err)
			}
			key := strings.TrimSpace(string(b))
			if len(key) < MinAPIKeyBytes {
				return nil, fmt.Errorf("%w %q: %s holds %d bytes, want at least %d", ErrAPIKey, k.Name, k.File, len(key), MinAPIKeyBytes)
			}
			e.sum = sha256.Sum256([]byte(key))
		} else {
			b, err := hex.DecodeString(k.SHA256Hex)
			if err != nil || len(b) != sha256.Size {
				return nil, fmt.Errorf("%w %q: key_sha256 is not 64 hex digits", ErrAPIKey, k.Name)
			}
			copy(e.sum[:], b)
		}
		a.keys = append(a.keys, e)
	}
	return a, nil
}

// Len is the number of keys.
func (a *APIKeys) Len() int {
	if a == nil {
		return 0
	}
	return len(a.keys)
}

// Match returns the claims of the key whose SHA-256 is that of key, or nil.
// Every configured key is compared, whichever matches.
func (a *APIKeys) Match(key string) *Claims {
	if a.Len() == 0 || key == "" {
		return nil
	}
	sum := sha256.Sum256([]byte(key))
	found := -1
	for i := range a.keys {
		if subtle.ConstantTimeCompare(sum[:], a.keys[i].sum[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return nil
	}
	k := a.keys[found]
	c := &Claims{Subject: "apikey:" + k.name, Name: k.name, Role: k.role}
	c.Issuer = APIKeyIssuer
	return c
}
