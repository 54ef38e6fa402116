package audit

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Entry is one recorded action.
type Entry struct {
	// Key is the entry's place in the log (set by Record).
	Key Key `json:"key"`
	// Node is the node that recorded it (set by Record).
	Node string `json:"node"`
	// At is when the action happened (Record sets it when zero).
	At time.Time `json:"at"`
	// Actor is who acted: a staff id (token sub), "cli:<os user>" for the
	// CLI, "routing" for the router's own assignments, "core" for updates
	// from the core, "signal" for a SIGHUP reload; for a failed sign-in,
	// the email that was tried.
	Actor string `json:"actor"`
	// Role is the actor's role (agent, supervisor, admin), when known.
	Role string `json:"role,omitempty"`
	// Action is what was done: one of the Action constants (others are
	// allowed: a-z, 0-9, '.', '_').
	Action string `json:"action"`
	// Target is what it was done to: a session id, an account's email, a
	// customer id, an FAQ version.
	Target string `json:"target,omitempty"`
	// From is where: the client's address for HTTP and WebSocket actions,
	// "cli" for the CLI, "core" or "signal" for reloads.
	From string `json:"from,omitempty"`
	// Details are what else matters (the transfer's destination, the
	// reason of a failure).
	Details map[string]string `json:"details,omitempty"`
}

// Actions recorded by the node and the CLI.
const (
	ActionSignIn         = "signin"          // a staff sign-in (POST /v1/auth/login)
	ActionSignInFailed   = "signin.failed"   // a wrong email or password
	ActionSignInLocked   = "signin.refused"  // too many failures: no password checked
	ActionSignOut        = "signout"         // POST /v1/auth/logout
	ActionAgentConnect   = "agent.connect"   // an agent connection's hello accepted
	ActionAssign         = "chat.assign"     // an agent got a chat (Details: agent, group)
	ActionTransfer       = "chat.transfer"   // an agent handed its chat over (Details: to_agent, to_group)
	ActionReassign       = "chat.reassign"   // a supervisor or admin moved another's chat
	ActionClose          = "chat.close"      // an agent closed a chat
	ActionFAQImport      = "faq.import"      // the FAQ replaced (admin API or the core)
	ActionGlossaryImport = "glossary.import" // the translation glossary replaced (admin API or the CLI)
	ActionRoutingReload  = "routing.reload"  // routing replaced (SIGHUP or the core)
	ActionModelReload    = "model.reload"    // the model swapped (SIGHUP or the core)
	ActionStaffAdd       = "staff.add"       // edgedesk staff add
	ActionStaffDisable   = "staff.disable"   // edgedesk staff disable
	ActionStaffEnable    = "staff.enable"    // edgedesk staff enable
	ActionStaffPassword  = "staff.passwd"    // edgedesk staff passwd
	ActionStaffLanguages = "staff.languages" // edgedesk staff languages
	ActionSessionView    = "session.view"    // a session's transcript read (admin API, CLI)
	ActionAuditRead      = "audit.read"      // the audit log queried
	ActionExport         = "customer.export"
	ActionErase          = "customer.erase"
)

// Limits on an entry's fields: the log is bounded by what is recorded, not
// by what a client sends.
const (
	MaxField   = 512 // bytes of Actor, Role, Action, Target, From, Node
	MaxDetails = 16  // keys of Details
	MaxDetail  = 1024
)

// Key orders the log: the entry's time (Unix nanoseconds) then a
// sequence number, both big-endian, so bbolt's byte order is time order.
type Key [16]byte

func makeKey(at time.Time, seq uint64) Key {
	var k Key
	binary.BigEndian.PutUint64(k[:8], uint64(at.UnixNano()))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

// timeKey is the first key at or after t.
func timeKey(t time.Time) []byte {
	k := makeKey(t, 0)
	return k[:]
}

// Time is the time in the key.
func (k Key) Time() time.Time { return time.Unix(0, int64(binary.BigEndian.Uint64(k[:8]))).UTC() }

// String is the key as 32 hex digits (the entry's id at the core).
func (k Key) String() string { return fmt.Sprintf("%x", k[:]) }

// MarshalText implements encoding.TextMarshaler.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Key) UnmarshalText(b []byte) error {
	if len(b) != 32 {
		return fmt.Errorf("%w: key: want 32 hex digits", ErrInvalid)
	}
	var out Key
	for i := range out {
		hi, ok1 := unhex(b[2*i])
		lo, ok2 := unhex(b[2*i+1])
		if !ok1 || !ok2 {
			return fmt.Errorf("%w: key: want 32 hex digits", ErrInvalid)
		}
		out[i] = hi<<4 | lo
	}
	*k = out
	return nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// validate checks e's fields against the limits.
func (e *Entry) validate() error {
	switch {
	case e.Actor == "":
		return fmt.Errorf("%w: entry without an actor", ErrInvalid)
	case e.Action == "":
		return fmt.Errorf("%w: entry without an action", ErrInvalid)
	case !validAction(e.Action):
		return fmt.Errorf("%w: action %q: want a-z, 0-9, '.', '_'", ErrInvalid, e.Action)
	case len(e.Details) > MaxDetails:
		return fmt.Errorf("%w: %d details, at most %d", ErrInvalid, len(e.Details), MaxDetails)
	}
	for name, v := range map[string]string{"actor": e.Actor, "role": e.Role, "target": e.Target, "from": e.From, "node": e.Node} {
		if len(v) > MaxField || !utf8.ValidString(v) {
			return fmt.Errorf("%w: %s: want valid UTF-8 of at most %d bytes", ErrInvalid, name, MaxField)
		}
	}
	for k, v := range e.Details {
		if len(k) > MaxField || len(v) > MaxDetail || !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("%w: details[%.40q]: want valid UTF-8, keys of at most %d bytes, values of at most %d", ErrInvalid, k, MaxField, MaxDetail)
		}
	}
	return nil
}

func validAction(a string) bool {
	if len(a) > 64 {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// decodeEntry reads an entry as stored (JSON) under key k. A record that
// is not an entry is an error naming the key: the file was changed by
// something else than this package.
func decodeEntry(k, v []byte) (Entry, error) {
	var e Entry
	if len(k) != len(Key{}) {
		return e, fmt.Errorf("audit: key %x: want %d bytes", k, len(Key{}))
	}
	if err := json.Unmarshal(v, &e); err != nil {
		return e, fmt.Errorf("audit: entry %x: %w", k, err)
	}
	copy(e.Key[:], k)
	return e, nil
}

// Clean makes a field taken from what a client sent (a tried email) fit
// an entry: invalid UTF-8 becomes U+FFFD, control characters and
// bidirectional overrides (which would rearrange or forge what a reader
// of the log sees) become U+FFFD, and it is cut to at most n bytes.
func Clean(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || isBidiControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
	return Truncate(s, n)
}

// isBidiControl: U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069.
func isBidiControl(r rune) bool {
	return r == 0x061C || r == 0x200E || r == 0x200F || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// Truncate cuts s to at most n bytes on a rune boundary.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
