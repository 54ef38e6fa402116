package files

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Signer issues and checks the node's upload tokens and file links: an
// HMAC-SHA256 over what they grant and until when. The key is the node's
// own (files.key in the data directory, made on first start) or
// configured; tokens and links do not outlive it.
type Signer struct {
	key []byte
	now func() time.Time
}

// NewSigner returns a Signer with key (at least 32 bytes); now may be nil.
func NewSigner(key []byte, now func() time.Time) *Signer {
	if now == nil {
		now = time.Now
	}
	return &Signer{key: key, now: now}
}

var b64 = base64.RawURLEncoding

func (s *Signer) mac(parts ...string) string {
	h := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return b64.EncodeToString(h.Sum(nil))
}

// UploadToken grants uploads into session sid for ttl.
func (s *Signer) UploadToken(sid string, ttl time.Duration) string {
	exp := strconv.FormatInt(s.now().Add(ttl).Unix(), 10)
	return "u1." + sid + "." + exp + "." + s.mac("upload", sid, exp)
}

// CheckUpload returns the session an upload token grants, or ErrDenied.
func (s *Signer) CheckUpload(token string) (string, error) {
	rest, ok := strings.CutPrefix(token, "u1.")
	if !ok {
		return "", ErrDenied
	}
	sid, rest, ok1 := strings.Cut(rest, ".")
	exp, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || !s.live(exp) || !hmac.Equal([]byte(sig), []byte(s.mac("upload", sid, exp))) {
		return "", ErrDenied
	}
	return sid, nil
}

// Link is the path of file id (as stored: "<session>/<name>") signed for
// ttl: /v1/files/<id>?exp=…&sig=….
func (s *Signer) Link(id string, ttl time.Duration) string {
	exp := strconv.FormatInt(s.now().Add(ttl).Unix(), 10)
	return PathPrefix + id + "?exp=" + exp + "&sig=" + s.mac("file", id, exp)
}

// CheckLink reports whether sig grants file id until exp (unix seconds).
func (s *Signer) CheckLink(id, exp, sig string) error {
	if !s.live(exp) || !hmac.Equal([]byte(sig), []byte(s.mac("file", id, exp))) {
		return ErrDenied
	}
	return nil
}

func (s *Signer) live(exp string) bool {
	t, err := strconv.ParseInt(exp, 10, 64)
	return err == nil && s.now().Unix() <= t
}
