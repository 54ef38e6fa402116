package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ErrUnauthorized wraps every verification failure.
var ErrUnauthorized = errors.New("auth: unauthorized")

// Claims are what edgedesk reads from a token.
type Claims struct {
	// Subject is the customer id (widget tokens) or the agent id.
	Subject string `json:"sub"`
	Name    string `json:"name,omitempty"`
	Email   string `json:"email,omitempty"`
	// Tier is the customer's tier (for example "vip"), used by routing.
	Tier string `json:"tier,omitempty"`
	// Links are the customer's identities on other channels that the
	// token's issuer verified, by kind: {"phone": "+16505551234",
	// "telegram": "1111111", "line": "U4af…"}. A widget token's hello
	// links each to the token's subject (docs/CHANNELS.md).
	Links map[string]string `json:"links,omitempty"`
	// Role is set on agent tokens: agent, supervisor or admin.
	Role string `json:"role,omitempty"`
	// Groups are the agent groups an agent token's holder works in.
	Groups []string `json:"groups,omitempty"`
	jwt.RegisteredClaims
}

// Verifier checks HS256 tokens against one secret.
type Verifier struct {
	secret []byte
	parser *jwt.Parser
	now    func() time.Time
}

// NewVerifier returns a Verifier for secret, allowing skew on time claims.
// now may be nil (time.Now).
func NewVerifier(secret string, skew time.Duration, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{
		secret: []byte(secret),
		now:    now,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(skew),
			jwt.WithTimeFunc(now),
		),
	}
}

// Verify checks token's signature, algorithm and expiry and returns its
// claims. A token without a subject is refused.
func (v *Verifier) Verify(token string) (*Claims, error) {
	if token == "" {
		return nil, fmt.Errorf("%w: no token", ErrUnauthorized)
	}
	var c Claims
	_, err := v.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return v.secret, nil })
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnauthorized, err)
	}
	if c.Subject == "" {
		return nil, fmt.Errorf("%w: token has no sub", ErrUnauthorized)
	}
	return &c, nil
}

// Sign issues an HS256 token for c, valid for ttl. The node itself never
// issues widget tokens (the merchant's backend does); Sign exists for tests,
// the load client and operators' tooling.
func Sign(secret string, c Claims, ttl time.Duration) (string, error) {
	now := time.Now()
	c.IssuedAt = jwt.NewNumericDate(now)
	c.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	return jwt.NewWithClaims(jwt.SigningMethodHS256, &c).SignedString([]byte(secret))
}
