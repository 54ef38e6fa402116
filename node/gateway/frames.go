package gateway

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/edgedesk/edgedesk/node/session"
)

// Error codes sent in error frames. The first six are protocol v1's; the
// rest are additive extensions documented in docs/PROTOCOL.md.
const (
	CodeBadFrame     = "bad_frame"
	CodeUnknownType  = "unknown_type"
	CodeTooLarge     = "too_large"
	CodeUnauthorized = "unauthorized"
	CodeRateLimited  = "rate_limited"
	CodeNoSession    = "no_session"
	// Extensions.
	CodeHelloTimeout = "hello_timeout" // no hello within gateway.hello_timeout; close 1008 follows
	CodeUnsupported  = "unsupported_version"
	CodeUnavailable  = "unavailable" // the node could not store the message; retry with the same cid
)

// Close codes (RFC 6455 §7.4.1).
const (
	CloseNormal       = 1000
	CloseGoingAway    = 1001
	CloseInvalidUTF8  = 1007
	ClosePolicy       = 1008
	CloseTooLarge     = 1009
	CloseInternalErr  = 1011
	closeReasonMaxLen = 120
)

// frame is a client frame. Pointers mark fields whose absence matters.
type frame struct {
	Type        string               `json:"type"`
	V           *int                 `json:"v"`
	Token       string               `json:"token"`
	Session     string               `json:"session"`
	LastSeq     *uint64              `json:"last_seq"`
	Locale      string               `json:"locale"`
	TZ          string               `json:"tz"`
	Channel     string               `json:"channel"`
	Customer    *session.Customer    `json:"customer"`
	CID         *string              `json:"cid"`
	Text        *string              `json:"text"`
	Attachments []session.Attachment `json:"attachments"`
	Seq         *uint64              `json:"seq"`
	On          *bool                `json:"on"`
}

// protoError is a refusal with a wire code.
type protoError struct {
	Code    string
	Message string
}

func (e *protoError) Error() string { return e.Code + ": " + e.Message }

func badFrame(msg string) *protoError { return &protoError{Code: CodeBadFrame, Message: msg} }

// decodeFrame parses and validates one client frame. It never panics; every
// refusal is a *protoError with the code to send. The returned cid (possibly
// empty) lets the error frame name the message it refuses.
func decodeFrame(data []byte, f *frame) (cid string, err error) {
	*f = frame{}
	if !utf8.Valid(data) {
		return "", &protoError{Code: CodeBadFrame, Message: "invalid UTF-8"}
	}
	if err := json.Unmarshal(data, f); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return "", badFrame("field " + te.Field + " has the wrong type")
		}
		return "", badFrame("not a JSON object")
	}
	if f.CID != nil {
		cid = *f.CID
		if !session.ValidCID(cid) {
			cid = "" // never echo an unchecked cid
		}
	}
	switch f.Type {
	case "":
		return cid, badFrame("missing type")
	case "hello":
		if f.V == nil {
			return "", badFrame("hello needs v")
		}
		if *f.V != 1 {
			return "", &protoError{Code: CodeUnsupported, Message: "this node speaks protocol v1"}
		}
		if f.Session != "" && !session.ValidID(f.Session) {
			return "", &protoError{Code: CodeNoSession, Message: "malformed session id"}
		}
		if len(f.Locale) > 35 || len(f.TZ) > 64 || len(f.Channel) > 32 || len(f.Token) > 4096 {
			return "", badFrame("hello field too long")
		}
		if f.TZ != "" {
			if !validTZ(f.TZ) {
				return "", badFrame("tz is not an IANA time zone")
			}
		}
		if c := f.Customer; c != nil && (len(c.ID) > 128 || len(c.Name) > 128 || len(c.Email) > 254 || len(c.Tier) > 32) {
			return "", badFrame("customer field too long")
		}
	case "msg":
		if f.CID == nil || *f.CID == "" {
			return "", badFrame("msg needs cid")
		}
		if cid == "" {
			return "", badFrame("cid must be 1-128 characters of [A-Za-z0-9_.:-]")
		}
		if (f.Text == nil || *f.Text == "") && len(f.Attachments) == 0 {
			return cid, badFrame("msg needs text or attachments")
		}
		if f.Text != nil && len(*f.Text) > session.MaxTextBytes {
			return cid, &protoError{Code: CodeTooLarge, Message: "text over " + strconv.Itoa(session.MaxTextBytes) + " bytes"}
		}
		if len(f.Attachments) > session.MaxAttachments {
			return cid, badFrame("too many attachments")
		}
		for _, a := range f.Attachments {
			u, err := url.Parse(a.URL)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(a.URL) > 2048 || a.Size < 0 || len(a.Name) > 256 || len(a.MIME) > 128 {
				return cid, badFrame("attachment needs an http(s) url, size >= 0")
			}
		}
	case "ack":
		if f.Seq == nil {
			return "", badFrame("ack needs seq")
		}
	case "typing":
		if f.On == nil {
			return "", badFrame("typing needs on")
		}
	case "bye":
	default:
		return cid, &protoError{Code: CodeUnknownType, Message: "unknown type"}
	}
	return cid, nil
}

// The encoders below append one server frame to dst. They write JSON by
// hand: these frames are on every message's path, and encoding/json would
// cost reflection and an allocation per frame.

func appendWelcome(dst []byte, sid string, seq uint64, resumed bool, now time.Time) []byte {
	dst = append(dst, `{"type":"welcome","session":`...)
	dst = appendString(dst, sid)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, `,"resumed":`...)
	dst = strconv.AppendBool(dst, resumed)
	dst = append(dst, `,"server_time":"`...)
	dst = now.UTC().AppendFormat(dst, time.RFC3339Nano)
	return append(dst, `"}`...)
}

func appendReceipt(dst []byte, cid string, seq uint64) []byte {
	dst = append(dst, `{"type":"receipt","cid":`...)
	dst = appendString(dst, cid)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, seq, 10)
	return append(dst, '}')
}

func appendError(dst []byte, code, msg, cid string) []byte {
	dst = append(dst, `{"type":"error","code":`...)
	dst = appendString(dst, code)
	dst = append(dst, `,"message":`...)
	dst = appendString(dst, msg)
	if cid != "" {
		dst = append(dst, `,"cid":`...)
		dst = appendString(dst, cid)
	}
	return append(dst, '}')
}

func appendTyping(dst []byte, from session.From, on bool) []byte {
	dst = append(dst, `{"type":"typing","from":`...)
	dst = appendString(dst, string(from))
	dst = append(dst, `,"on":`...)
	dst = strconv.AppendBool(dst, on)
	return append(dst, '}')
}

func appendQueue(dst []byte, position, etaSec int, group string) []byte {
	dst = append(dst, `{"type":"queue","position":`...)
	dst = strconv.AppendInt(dst, int64(position), 10)
	dst = append(dst, `,"eta_s":`...)
	dst = strconv.AppendInt(dst, int64(etaSec), 10)
	dst = append(dst, `,"group":`...)
	dst = appendString(dst, group)
	return append(dst, '}')
}

func appendMsg(dst []byte, m *session.Message) []byte {
	dst = append(dst, `{"type":"msg","seq":`...)
	dst = strconv.AppendUint(dst, m.Seq, 10)
	dst = append(dst, `,"from":`...)
	dst = appendString(dst, string(m.From))
	dst = append(dst, `,"text":`...)
	dst = appendString(dst, m.Text)
	dst = append(dst, `,"ts":"`...)
	dst = m.TS.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, '"')
	if m.CID != "" {
		dst = append(dst, `,"cid":`...)
		dst = appendString(dst, m.CID)
	}
	if len(m.Attachments) > 0 {
		dst = append(dst, `,"attachments":[`...)
		for i, a := range m.Attachments {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"url":`...)
			dst = appendString(dst, a.URL)
			dst = append(dst, `,"mime":`...)
			dst = appendString(dst, a.MIME)
			dst = append(dst, `,"name":`...)
			dst = appendString(dst, a.Name)
			dst = append(dst, `,"size":`...)
			dst = strconv.AppendInt(dst, a.Size, 10)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if m.From == session.FromBot || m.Intent != "" {
		dst = append(dst, `,"intent":`...)
		dst = appendString(dst, m.Intent)
		dst = append(dst, `,"confidence":`...)
		dst = strconv.AppendFloat(dst, float64(m.Confidence), 'f', -1, 32)
	}
	if m.Lang != "" {
		dst = append(dst, `,"lang":`...)
		dst = appendString(dst, m.Lang)
	}
	if len(m.QuickReplies) > 0 {
		dst = append(dst, `,"quick_replies":[`...)
		for i, q := range m.QuickReplies {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, q)
		}
		dst = append(dst, ']')
	}
	if m.Agent != nil {
		dst = append(dst, `,"agent":{"id":`...)
		dst = appendString(dst, m.Agent.ID)
		dst = append(dst, `,"name":`...)
		dst = appendString(dst, m.Agent.Name)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD;
// U+2028 and U+2029 are escaped so the output is also valid JavaScript.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// tzCache remembers time zone names that loaded: time.LoadLocation reads the
// zone database from disk on every call. Only valid names are cached, so its
// size is bounded by the database (about 600 zones).
var tzCache sync.Map

func validTZ(name string) bool {
	if _, ok := tzCache.Load(name); ok {
		return true
	}
	if _, err := time.LoadLocation(name); err != nil || name == "Local" {
		return false
	}
	tzCache.Store(name, struct{}{})
	return true
}
