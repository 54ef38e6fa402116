package auth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzVerify feeds any token — the widget's hello, a staff bearer, the
// sign-in cookie — to a Verifier. It never panics, every refusal wraps
// ErrUnauthorized, and whatever the fuzzer makes of the valid seed, an
// accepted token carries exactly the claims that were signed: no
// mutation forges a subject, role or expiry.
func FuzzVerify(f *testing.F) {
	v := NewVerifier(secret, 5*time.Second, nil)
	want := Claims{Subject: "cust-1", Role: "agent", Groups: []string{"uk-en"}}
	good, err := Sign(secret, want, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	signed, err := v.Verify(good)
	if err != nil {
		f.Fatal(err)
	}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, &Claims{Subject: "c", RegisteredClaims: jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	expired, _ := Sign(secret, want, -time.Hour)
	for _, s := range []string{good, none, expired, tamper(good), "", ".", "..", "a.b.c", good + ".", strings.Replace(good, ".", "..", 1)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(token)
		if err != nil {
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("%q: %v does not wrap ErrUnauthorized", token, err)
			}
			return
		}
		if c.Subject != signed.Subject || c.Role != signed.Role || strings.Join(c.Groups, ",") != strings.Join(signed.Groups, ",") ||
			c.ExpiresAt == nil || !c.ExpiresAt.Equal(signed.ExpiresAt.Time) {
			t.Fatalf("%q accepted with claims %+v, signed were %+v", token, c, signed)
		}
	})
}

// FuzzAPIKeyFile loads any key file. Shorter than MinAPIKeyBytes once
// trimmed it is refused; else its trimmed content, and only that,
// matches, with the configured role.
func FuzzAPIKeyFile(f *testing.F) {
	for _, s := range []string{"", "short", strings.Repeat("k", 32), " " + strings.Repeat("k", 64) + "\n", strings.Repeat("\x00", 40), "\ufeff" + strings.Repeat("é", 20)} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content []byte) {
		path := filepath.Join(dir, "key")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		a, err := NewAPIKeys([]APIKey{{Name: "shop", Role: "admin", File: path}})
		key := strings.TrimSpace(string(content))
		if len(key) < MinAPIKeyBytes {
			if err == nil || !errors.Is(err, ErrAPIKey) {
				t.Fatalf("%d-byte key loaded: %v", len(key), err)
			}
			return
		}
		if err != nil {
			t.Fatalf("%d-byte key refused: %v", len(key), err)
		}
		if c := a.Match(key); c == nil || c.Role != "admin" || c.Subject != "apikey:shop" || c.Issuer != APIKeyIssuer {
			t.Fatalf("the key itself: %+v", c)
		}
		if c := a.Match(key + "x"); c != nil {
			t.Fatalf("another key matched: %+v", c)
		}
		if c := a.Match(key[:len(key)-1]); c != nil {
			t.Fatalf("a prefix matched: %+v", c)
		}
	})
}
