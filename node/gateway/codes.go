package gateway

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
	CodeUnavailable  = "unavailable"   // the node could not store the message; retry with the same cid
	CodeNoChat       = "no_chat"       // csat: no chat with an agent was closed in this session
	CodeAlreadyRated = "already_rated" // csat: the chat has another rating
	CodeSessionFull  = "session_full"  // the session holds store.max_session_messages or max_session_bytes: start a new one
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

// protoError is a refusal with a wire code.
type protoError struct {
	Code    string
	Message string
}

func (e *protoError) Error() string { return e.Code + ": " + e.Message }

func badFrame(msg string) *protoError { return &protoError{Code: CodeBadFrame, Message: msg} }

var (
	errInvalidUTF8 = &protoError{Code: CodeBadFrame, Message: "invalid UTF-8"}
	errNotJSON     = &protoError{Code: CodeBadFrame, Message: "not a JSON object"}
)
