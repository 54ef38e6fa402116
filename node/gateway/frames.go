package gateway

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/edgedesk/edgedesk/node/internal/jsonw"
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
	LastSeq     uint64               `json:"last_seq"`
	Locale      string               `json:"locale"`
	TZ          string               `json:"tz"`
	Channel     string               `json:"channel"`
	Customer    *session.Customer    `json:"customer"`
	CID         string               `json:"cid"`
	Text        string               `json:"text"`
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
	if session.ValidCID(f.CID) {
		cid = f.CID // never echo an unchecked cid
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
		if f.CID == "" {
			return "", badFrame("msg needs cid")
		}
		if cid == "" {
			return "", badFrame("cid must be 1-128 characters of [A-Za-z0-9_.:-]")
		}
		if f.Text == "" && len(f.Attachments) == 0 {
			return cid, badFrame("msg needs text or attachments")
		}
		if len(f.Text) > session.MaxTextBytes {
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
	dst = jsonw.String(dst, sid)
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
	dst = jsonw.String(dst, cid)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, seq, 10)
	return append(dst, '}')
}

func appendError(dst []byte, code, msg, cid string) []byte {
	dst = append(dst, `{"type":"error","code":`...)
	dst = jsonw.String(dst, code)
	dst = append(dst, `,"message":`...)
	dst = jsonw.String(dst, msg)
	if cid != "" {
		dst = append(dst, `,"cid":`...)
		dst = jsonw.String(dst, cid)
	}
	return append(dst, '}')
}

func appendTyping(dst []byte, from session.From, on bool) []byte {
	dst = append(dst, `{"type":"typing","from":`...)
	dst = jsonw.String(dst, string(from))
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
	dst = jsonw.String(dst, group)
	return append(dst, '}')
}

func appendMsg(dst []byte, m *session.Message) []byte {
	dst = append(dst, `{"type":"msg","seq":`...)
	dst = strconv.AppendUint(dst, m.Seq, 10)
	dst = append(dst, `,"from":`...)
	dst = jsonw.String(dst, string(m.From))
	dst = append(dst, `,"text":`...)
	dst = jsonw.String(dst, m.Text)
	dst = append(dst, `,"ts":"`...)
	dst = m.TS.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, '"')
	if m.CID != "" {
		dst = append(dst, `,"cid":`...)
		dst = jsonw.String(dst, m.CID)
	}
	if len(m.Attachments) > 0 {
		dst = append(dst, `,"attachments":[`...)
		for i, a := range m.Attachments {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"url":`...)
			dst = jsonw.String(dst, a.URL)
			dst = append(dst, `,"mime":`...)
			dst = jsonw.String(dst, a.MIME)
			dst = append(dst, `,"name":`...)
			dst = jsonw.String(dst, a.Name)
			dst = append(dst, `,"size":`...)
			dst = strconv.AppendInt(dst, a.Size, 10)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if m.From == session.FromBot || m.Intent != "" {
		dst = append(dst, `,"intent":`...)
		dst = jsonw.String(dst, m.Intent)
		dst = append(dst, `,"confidence":`...)
		dst = strconv.AppendFloat(dst, float64(m.Confidence), 'f', -1, 32)
	}
	if m.Lang != "" {
		dst = append(dst, `,"lang":`...)
		dst = jsonw.String(dst, m.Lang)
	}
	if len(m.QuickReplies) > 0 {
		dst = append(dst, `,"quick_replies":[`...)
		for i, q := range m.QuickReplies {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonw.String(dst, q)
		}
		dst = append(dst, ']')
	}
	if m.Agent != nil {
		dst = append(dst, `,"agent":{"id":`...)
		dst = jsonw.String(dst, m.Agent.ID)
		dst = append(dst, `,"name":`...)
		dst = jsonw.String(dst, m.Agent.Name)
		dst = append(dst, '}')
	}
	return append(dst, '}')
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
