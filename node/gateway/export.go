package gateway

import (
	"time"

	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/session"
)

// The widget protocol's frames, for its other transports (node/mqtt
// carries the same frames as MQTT payloads): one decoder and one set of
// encoders, so a frame means the same on every transport. They are thin
// names for the gateway's own; the gateway imports no other transport.

// Frame is a decoded client frame.
type Frame = frame

// ProtoError is a refused frame: the error frame's code and message.
type ProtoError = protoError

// DecodeFrame parses and validates one client frame into f. A refusal is
// a *ProtoError; cid, when valid, names the frame refused.
func DecodeFrame(data []byte, f *Frame) (cid string, err error) { return decodeFrame(data, f) }

// AppendWelcome appends a welcome frame.
func AppendWelcome(dst []byte, sid string, seq uint64, resumed bool, now time.Time, upload string) []byte {
	return appendWelcome(dst, sid, seq, resumed, now, upload)
}

// AppendReceipt appends the receipt of the stored customer message m.
func AppendReceipt(dst []byte, m *session.Message, sign func(string) string) []byte {
	return appendReceipt(dst, m, sign)
}

// AppendError appends an error frame (cid may be empty).
func AppendError(dst []byte, code, msg, cid string) []byte { return appendError(dst, code, msg, cid) }

// AppendMsg appends a msg frame, the node's files signed by sign (nil:
// as stored).
func AppendMsg(dst []byte, m *session.Message, sign func(string) string) []byte {
	return appendMsgSigned(dst, m, sign)
}

// AppendTyping appends a typing frame.
func AppendTyping(dst []byte, from session.From, on bool) []byte { return appendTyping(dst, from, on) }

// AppendQueue appends a queue frame.
func AppendQueue(dst []byte, position, etaSec int, group string) []byte {
	return appendQueue(dst, position, etaSec, group)
}

// AppendOK appends the ok answering a contact or csat frame.
func AppendOK(dst []byte, cid, forType string) []byte { return appendOK(dst, cid, forType) }

// TrustedCustomer is the customer a hello declared, overridden by a
// verified widget token's claims.
func TrustedCustomer(cl *auth.Claims, declared session.Customer) session.Customer {
	return trustedCustomer(cl, declared)
}
