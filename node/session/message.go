package session

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
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
	// Notice is the machine-readable meaning of a system message (routing's
	// notices to the customer); Text says it in the customer's language.
	Notice *Notice `json:"notice,omitempty"`
	// Entities are the values found in a customer's text (order and
	// tracking numbers, emails, phones), filled in by the Enrich hook.
	Entities []Entity `json:"entities,omitempty"`
	// Sentiment of a customer's text in [-1, 1]; 0 is neutral or unknown.
	Sentiment float32 `json:"sentiment,omitempty"`
	// Translation, when set, is a machine translation of Text for the
	// other side of the chat (a customer's message for an agent who does
	// not speak it, an agent's reply in the customer's language, a FAQ
	// answer from the default language). Text stays what its author wrote
	// (or the FAQ held), so readers that know nothing of translation see
	// what they always saw; a Translation whose Status is not "translated"
	// marks a message delivered untranslated because translation failed.
	Translation *Translation `json:"translation,omitempty"`
	// TS is when the node stored the message.
	TS time.Time `json:"ts"`
}

// Translation is a machine translation of a message's Text (docs/TRANSLATION.md).
type Translation struct {
	// Text is the translation; empty unless Status is TranslationDone.
	Text string `json:"text,omitempty"`
	// From and To are the languages (BCP 47) of the original and the translation.
	From string `json:"from"`
	To   string `json:"to"`
	// Provider names the engine (the route through the pivot: "apertium+deepl").
	Provider string `json:"provider,omitempty"`
	// Status is TranslationDone, TranslationUnavailable or TranslationUnsupported.
	Status string `json:"status"`
}

// Translation statuses.
const (
	TranslationDone        = "translated"
	TranslationUnavailable = "unavailable" // providers failed or timed out: delivered untranslated
	TranslationUnsupported = "unsupported" // no provider has the pair: delivered untranslated
)

// Notice kinds: what a system message tells the customer.
const (
	NoticeAgentJoined = "agent_joined" // an agent has the chat (Agent)
	NoticeQueued      = "queued"       // waiting for an agent of Group
	NoticeTeamClosed  = "team_closed"  // the team is closed; it opens at OpensAt; the message is kept
	NoticeNoAgents    = "no_agents"    // nobody can take the chat and no opening is known; the message is kept
	NoticePickedUp    = "picked_up"    // a waiting chat was taken: someone is looking at it now
	NoticeChatClosed  = "chat_closed"  // an agent closed the chat; the bot answers again
)

// Notice is the machine-readable meaning of a system message. Only Kind is
// always set. Replace a Notice rather than modify it: messages are shared.
type Notice struct {
	Kind string `json:"kind"`
	// OpensAt is when a matching team next opens (UTC), for team_closed.
	OpensAt time.Time `json:"opens_at,omitzero"`
	Group   string    `json:"group,omitempty"`
	Agent   *AgentRef `json:"agent,omitempty"`
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
	// Routes are the session's routing decisions in order, Route last:
	// the first assignment, queue pulls, transfers, requeues, first
	// response timeouts. Bounded (MaxRoutes; RoutesDropped counts those
	// left out between the first and the latest). Add with AddRoute.
	Routes        []json.RawMessage `json:"routes,omitempty"`
	RoutesDropped int               `json:"routes_dropped,omitempty"`
	// Origin, on a mirror (Store.Mirror), names the node that serves the
	// customer; an agent here answers through it.
	Origin string `json:"origin,omitempty"`
	// Waiting is set while the conversation waits for people with nobody
	// to take it: the customer left a message for a team that is closed or
	// has nobody online. The store indexes such sessions (Store.Waiting),
	// so they are found again after a restart. Set and clear it with
	// Update, replacing the value (Meta copies share it).
	Waiting *Waiting `json:"waiting,omitempty"`
	// LastChat is the last conversation with people that an agent closed,
	// and the customer's rating of it (Store.Rate).
	LastChat *Chat `json:"last_chat,omitempty"`
	// Uploads are the files the customer uploaded into the session on
	// this node (node/files), recorded with Update before each is stored:
	// the session's file quota counts them, and when the sweeper expires
	// the session its OnExpire hooks get them, so the node deletes them
	// by name. Replace the slice, never modify it (Meta copies share it).
	Uploads []Upload `json:"uploads,omitempty"`
	// Bytes is about how many bytes the session's stored messages take,
	// for Options.MaxSessionBytes (0 for sessions stored before it was
	// counted).
	Bytes int64 `json:"bytes,omitempty"`
	// Verified is set when a verified hello (a signed widget token)
	// created the session: only such a session can be resumed by a
	// verified customer (Opener.Open).
	Verified bool `json:"verified,omitempty"`
	// Contact is where answers go out while the customer writes from a
	// channel the node holds no socket for (a messaging platform): set
	// by the Opener from the channel's Hello, cleared when the customer
	// next writes from another channel (the widget). Options.Deliver
	// reads it. Replace it, never modify it (Meta copies share it).
	Contact *Contact `json:"contact,omitempty"`
}

// Contact is a customer's address on an outbound channel.
type Contact struct {
	// Channel is the configured channel's name; To the recipient there
	// (a phone number, a chat or user id, an email address).
	Channel string `json:"channel"`
	To      string `json:"to"`
}

// Upload is a file of a session in the node's object store: ID is the
// file id (the object's name is "<session>/<ID>"), Size its stored bytes.
type Upload struct {
	ID   string `json:"id"`
	Size int64  `json:"size"`
}

// Waiting is what a waiting conversation was handed to people with.
type Waiting struct {
	Since time.Time `json:"since"`
	// Seq is the customer message that asked for people.
	Seq    uint64 `json:"seq,omitempty"`
	Lang   string `json:"lang,omitempty"`
	Intent string `json:"intent,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Chat is a conversation with people an agent closed: the group and the
// agent who had it last (after transfers), which its rating belongs to.
type Chat struct {
	Group  string    `json:"group,omitempty"`
	Agent  AgentRef  `json:"agent"`
	Closed time.Time `json:"closed"`
	Rating *Rating   `json:"rating,omitempty"`
}

// Rating is a customer's satisfaction rating (CSAT) of a chat.
type Rating struct {
	Score   int    `json:"score"`
	Comment string `json:"comment,omitempty"`
	// CID is the client's id of the rating, if it sent one: a repeat with
	// the same CID is the same rating.
	CID string    `json:"cid,omitempty"`
	TS  time.Time `json:"ts"`
}

// Rating limits.
const (
	MinScore        = 1
	MaxScore        = 5
	MaxCommentBytes = 1 << 10
)

// Check validates a rating before it is stored.
func (r *Rating) Check() error {
	if r.Score < MinScore || r.Score > MaxScore {
		return fmt.Errorf("%w: score %d (want %d to %d)", ErrInvalid, r.Score, MinScore, MaxScore)
	}
	if len(r.Comment) > MaxCommentBytes || !utf8.ValidString(r.Comment) {
		return fmt.Errorf("%w: comment must be valid UTF-8 of at most %d bytes", ErrInvalid, MaxCommentBytes)
	}
	if r.CID != "" && !ValidCID(r.CID) {
		return fmt.Errorf("%w: cid %q", ErrInvalid, r.CID)
	}
	return nil
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
	if tr := m.Translation; tr != nil {
		switch {
		case tr.Status != TranslationDone && tr.Status != TranslationUnavailable && tr.Status != TranslationUnsupported:
			return fmt.Errorf("%w: translation status %q", ErrInvalid, tr.Status)
		case len(tr.Text) > 2*MaxTextBytes || !utf8.ValidString(tr.Text):
			return fmt.Errorf("%w: translation text must be valid UTF-8 of at most %d bytes", ErrInvalid, 2*MaxTextBytes)
		case len(tr.From) > 35 || len(tr.To) > 35 || len(tr.Provider) > 64:
			return fmt.Errorf("%w: translation languages or provider", ErrInvalid)
		}
	}
	if n := m.Notice; n != nil && (n.Kind == "" || len(n.Kind) > 32 || len(n.Group) > 128 || n.Agent != nil && len(n.Agent.ID)+len(n.Agent.Name) > 256) {
		return fmt.Errorf("%w: notice", ErrInvalid)
	}
	return nil
}

// MaxEmailBytes bounds an email address (RFC 5321 path limit).
const MaxEmailBytes = 254

// ValidEmail reports whether s is a reasonable email address for a
// customer to leave: at most 254 bytes; a local part of 1 to 64 bytes of
// letters (any script: RFC 6531), digits and !#$%&'*+/=?^_`{|}~- in
// dot-separated runs; '@'; and
// a domain of two or more dot-separated labels of letters, digits and
// hyphens (non-ASCII letters allowed: internationalised domains), none
// starting or ending with a hyphen, the last not all digits. No quoted
// local parts, comments or address literals: those are valid but no
// customer types them into a chat.
func ValidEmail(s string) bool {
	if len(s) > MaxEmailBytes || !utf8.ValidString(s) {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at > 64 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	prev := '.'
	for _, c := range local {
		switch {
		case c == '.':
			if prev == '.' {
				return false
			}
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.ContainsRune("!#$%&'*+/=?^_`{|}~-", c),
			c > 0x7f && (unicode.IsLetter(c) || unicode.IsDigit(c) || unicode.Is(unicode.Mn, c)):
		default:
			return false
		}
		prev = c
	}
	if prev == '.' {
		return false
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 || len(domain) > 253 {
		return false
	}
	for i, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		digits := true
		for _, r := range l {
			switch {
			case r >= '0' && r <= '9':
			case r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f && unicode.IsLetter(r) || r > 0x7f && unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
				digits = false
			default:
				return false
			}
		}
		if i == len(labels)-1 && digits {
			return false
		}
	}
	return true
}
