package session

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// From says who wrote a message.
type From string

// The authors of messages, as in widget protocol v1.
const (
	FromCustomer From = "customer"
	FromBot      From = "bot"
	FromAgent    From = "agent"
	FromSystem   From = "system"
)

// Valid reports whether f is one of the known authors.
func (f From) Valid() bool {
	switch f {
	case FromCustomer, FromBot, FromAgent, FromSystem:
		return true
	}
	return false
}

// Attachment is a file the customer sent by reference.
type Attachment struct {
	URL  string `json:"url"`
	MIME string `json:"mime,omitempty"`
	Name string `json:"name,omitempty"`
	Size int64  `json:"size,omitempty"`
}

// Customer identifies the person behind a session. ID comes from a verified
// widget token when the node has a widget secret; otherwise it is what the
// widget declared.
type Customer struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Tier  string `json:"tier,omitempty"`
}

// AgentRef names the human agent who wrote a message.
type AgentRef struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Message is the one internal message model. Every channel (widget, and later
// webhooks, MQTT, agent consoles) normalises into it.
type Message struct {
	Session     string       `json:"session"`
	Seq         uint64       `json:"seq"`
	From        From         `json:"from"`
	CID         string       `json:"cid,omitempty"` // client message id (customer messages)
	Channel     string       `json:"channel,omitempty"`
	CustomerID  string       `json:"customer_id,omitempty"`
	Text        string       `json:"text,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	Locale      string       `json:"locale,omitempty"` // declared BCP 47 locale
	TZ          string       `json:"tz,omitempty"`     // IANA time zone
	Lang        string       `json:"lang,omitempty"`   // detected or answered language
	Intent      string       `json:"intent,omitempty"`
	Confidence  float32      `json:"confidence,omitempty"`
	// QuickReplies are suggested answers shown as buttons.
	QuickReplies []string  `json:"quick_replies,omitempty"`
	Agent        *AgentRef `json:"agent,omitempty"`
	// ReplyTo is the seq of the customer message a bot answer replies to.
	ReplyTo uint64 `json:"reply_to,omitempty"`
	// Entities are the values found in a customer's text (order and
	// tracking numbers, emails, phones), filled in by the Enrich hook.
	Entities []Entity `json:"entities,omitempty"`
	// Sentiment of a customer's text in [-1, 1]; 0 is neutral or unknown.
	Sentiment float32 `json:"sentiment,omitempty"`
	// TS is when the node stored the message.
	TS time.Time `json:"ts"`
}

// Entity is a value found in a message: Kind is "order_number",
// "tracking_number", "email", "phone", ….
type Entity struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// Meta is a session's metadata.
type Meta struct {
	ID         string    `json:"id"`
	Channel    string    `json:"channel,omitempty"`
	Customer   Customer  `json:"customer"`
	Locale     string    `json:"locale,omitempty"`
	TZ         string    `json:"tz,omitempty"`
	Created    time.Time `json:"created"`
	LastActive time.Time `json:"last_active"`
	LastSeq    uint64    `json:"last_seq"`
	// AckSeq is the highest seq the customer's widget said it has stored.
	AckSeq uint64 `json:"ack_seq,omitempty"`
	// ClosedAt is set when the customer said bye; a later message reopens it.
	ClosedAt time.Time `json:"closed_at,omitzero"`
	// Conv is the conversation engine's state for the session (flow,
	// slots, escalation), opaque to the store: it changes in the same
	// transaction as the message that moved it (see Responder).
	Conv json.RawMessage `json:"conv,omitempty"`
	// Route is the routing layer's last decision for the session and
	// why (which rule, language, hours, capacity), so a merchant can answer
	// "why did this chat go there?".
	Route json.RawMessage `json:"route,omitempty"`
	// Origin, on a mirror (Store.Mirror), names the node that serves the
	// customer; an agent here answers through it.
	Origin string `json:"origin,omitempty"`
}

// Limits on what a message may carry. The gateway enforces a frame size
// first; these guard every other entry point too.
const (
	MaxIDLen          = 64
	MaxCIDLen         = 128
	MaxTextBytes      = 8 << 10
	MaxAttachments    = 10
	MaxQuickReplies   = 10
	MaxEntities       = 32
	maxAttachmentURL  = 2048
	maxAttachmentName = 256
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a new random session id ("s_" and 26 base32 characters,
// 128 bits of entropy): unguessable, so it can serve as a resume capability
// for anonymous widgets.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("session: crypto/rand failed: " + err.Error())
	}
	return "s_" + idEncoding.EncodeToString(b[:])
}

// ValidID reports whether id is a well-formed session id: 1 to 64 bytes of
// [A-Za-z0-9_-].
func ValidID(id string) bool {
	return validToken(id, MaxIDLen)
}

func validToken(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// ValidCID reports whether cid is an acceptable client message id: 1 to 128
// bytes of [A-Za-z0-9_.:-].
func ValidCID(cid string) bool { return validToken(cid, MaxCIDLen) }

// Check validates a message before it is stored.
func (m *Message) Check() error {
	if !ValidID(m.Session) {
		return fmt.Errorf("%w: session id %q", ErrInvalid, m.Session)
	}
	if !m.From.Valid() {
		return fmt.Errorf("%w: from %q", ErrInvalid, m.From)
	}
	if m.From == FromCustomer && !ValidCID(m.CID) {
		return fmt.Errorf("%w: cid %q", ErrInvalid, m.CID)
	}
	if m.Text == "" && len(m.Attachments) == 0 {
		return fmt.Errorf("%w: empty message", ErrInvalid)
	}
	if len(m.Text) > MaxTextBytes || !utf8.ValidString(m.Text) {
		return fmt.Errorf("%w: text must be valid UTF-8 of at most %d bytes", ErrInvalid, MaxTextBytes)
	}
	if len(m.Attachments) > MaxAttachments {
		return fmt.Errorf("%w: at most %d attachments", ErrInvalid, MaxAttachments)
	}
	for i, a := range m.Attachments {
		if a.URL == "" || len(a.URL) > maxAttachmentURL || len(a.Name) > maxAttachmentName || a.Size < 0 {
			return fmt.Errorf("%w: attachment %d", ErrInvalid, i)
		}
	}
	if len(m.QuickReplies) > MaxQuickReplies {
		return fmt.Errorf("%w: at most %d quick replies", ErrInvalid, MaxQuickReplies)
	}
	if len(m.Entities) > MaxEntities {
		return fmt.Errorf("%w: at most %d entities", ErrInvalid, MaxEntities)
	}
	return nil
}
