package staff

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters of new hashes: OWASP's recommended minimum (19 MiB,
// two passes, one lane). One lane keeps a sign-in on one core, so on a
// 2-core edge box the other core keeps serving chats while someone signs
// in; 19 MiB per hash times at most GOMAXPROCS/2 hashes at once (slots)
// bounds the memory a flood of sign-ins can take to tens of MB, where
// RFC 9106's 2 GiB or 64 MiB choices would not fit beside the node. Two
// passes cost some tens of milliseconds per sign-in: unnoticeable to a
// person, and with the sign-in throttle, hopeless for online guessing.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Bounds on the parameters of a stored hash: a hash edited in staff.db
// must not make one sign-in take gigabytes or minutes.
const (
	maxArgonMemory  = 256 * 1024
	maxArgonTime    = 16
	maxArgonThreads = 16
)

// MinPasswordLength is the fewest characters a password may have. Ten
// characters, with no rules about their kind (NIST SP 800-63B: length
// helps, composition rules do not), keep guessing hopeless: online the
// throttle allows a handful of tries per quarter hour, and offline a
// stolen staff.db costs an argon2id hash per guess over a space far too
// large for a short dictionary.
const MinPasswordLength = 10

// MaxPasswordBytes bounds a password: a passphrase fits, a megabyte of
// input does not get hashed.
const MaxPasswordBytes = 1024

// slots bounds the hashes computed at once (each takes argonMemory).
var slots = make(chan struct{}, hashSlots(runtime.GOMAXPROCS(0)))

// hashSlots is how many hashes run at once on procs cores: half of them
// (at least one), so that a flood of sign-ins — anyone may send one, and
// an unknown email costs the same hash — keeps the other half for the
// customers' chats. Sign-ins past it wait, then get ErrBusy (503).
func hashSlots(procs int) int { return max(1, procs/2) }

// CheckPassword says why password is not acceptable, or returns nil.
func CheckPassword(password string) error {
	switch {
	case !utf8.ValidString(password):
		return fmt.Errorf("%w: password: not valid UTF-8", ErrInvalid)
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return fmt.Errorf("%w: password: want at least %d characters", ErrInvalid, MinPasswordLength)
	case len(password) > MaxPasswordBytes:
		return fmt.Errorf("%w: password: want at most %d bytes", ErrInvalid, MaxPasswordBytes)
	}
	return nil
}

// HashPassword returns the argon2id PHC string of password with a fresh
// salt. It waits for a hashing slot until ctx ends (ErrBusy).
func HashPassword(ctx context.Context, password string) (string, error) {
	if err := CheckPassword(password); err != nil {
		return "", err
	}
	salt := make([]byte, argonSaltLen)
	rand.Read(salt) // never fails (crypto/rand: it panics rather than return a short read)
	p := phc{memory: argonMemory, time: argonTime, threads: argonThreads, salt: salt}
	key, err := p.derive(ctx, password, argonKeyLen)
	if err != nil {
		return "", err
	}
	p.key = key
	return p.String(), nil
}

// VerifyPassword reports whether password matches the PHC string hash,
// comparing in constant time. It waits for a hashing slot like
// HashPassword.
func VerifyPassword(ctx context.Context, hash, password string) (bool, error) {
	p, err := parsePHC(hash)
	if err != nil {
		return false, err
	}
	// A longer password is hashed cut short (the same work as any other)
	// and never matches: no stored password is longer, and a stored one
	// followed by anything is not it.
	tooLong := len(password) > MaxPasswordBytes
	if tooLong {
		password = password[:MaxPasswordBytes]
	}
	key, err := p.derive(ctx, password, uint32(len(p.key)))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(key, p.key) == 1 && !tooLong, nil
}

// Warm computes the hash Authenticate checks unknown emails against, so
// the first such sign-in after a start takes no longer than the others.
func Warm() { dummyHash() }

// dummyHash is verified when the account does not exist, so that answer
// takes as long as a wrong password's.
var dummyHash = sync.OnceValue(func() string {
	b := make([]byte, 24)
	rand.Read(b)
	h, err := HashPassword(context.Background(), base64.RawStdEncoding.EncodeToString(b))
	if err != nil {
		panic("staff: hashing a random password: " + err.Error()) // only ErrBusy/ErrInvalid, impossible without a deadline and with 32 characters
	}
	return h
})

// phc is an argon2id hash in the PHC string format:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>, base64 without padding.
type phc struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

func (p phc) String() string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(p.salt), b64.EncodeToString(p.key))
}

func (p phc) derive(ctx context.Context, password string, keyLen uint32) ([]byte, error) {
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrBusy, context.Cause(ctx))
	}
	defer func() { <-slots }()
	return argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, keyLen), nil
}

// parsePHC reads an argon2id PHC string, refusing parameters outside the
// bounds above.
func parsePHC(s string) (phc, error) {
	var p phc
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, fmt.Errorf("%w: want $argon2id$v=19$m=…,t=…,p=…$salt$hash", ErrBadHash)
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version || parts[2] != fmt.Sprintf("v=%d", version) {
		return p, fmt.Errorf("%w: version %q, want v=%d", ErrBadHash, parts[2], argon2.Version)
	}
	var m, t, th uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &th); err != nil || parts[3] != fmt.Sprintf("m=%d,t=%d,p=%d", m, t, th) {
		return p, fmt.Errorf("%w: parameters %q", ErrBadHash, parts[3])
	}
	if t < 1 || t > maxArgonTime || th < 1 || th > maxArgonThreads || m < 8*th || m > maxArgonMemory {
		return p, fmt.Errorf("%w: parameters %q out of bounds", ErrBadHash, parts[3])
	}
	salt, err := base64.RawStdEncoding.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return p, fmt.Errorf("%w: salt", ErrBadHash)
	}
	key, err := base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return p, fmt.Errorf("%w: key", ErrBadHash)
	}
	return phc{memory: m, time: t, threads: uint8(th), salt: salt, key: key}, nil
}
