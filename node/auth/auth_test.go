package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const secret = "0123456789abcdef0123456789abcdef"

func TestVerify(t *testing.T) {
	v := NewVerifier(secret, 5*time.Second, nil)
	good, _ := Sign(secret, Claims{Subject: "cust-1", Tier: "vip", Name: "Ana"}, time.Minute)
	c, err := v.Verify(good)
	if err != nil || c.Subject != "cust-1" || c.Tier != "vip" || c.Name != "Ana" {
		t.Fatalf("Verify(good) = %+v, %v", c, err)
	}
	expired, _ := Sign(secret, Claims{Subject: "cust-1"}, -time.Minute)
	otherKey, _ := Sign(strings.Repeat("x", 32), Claims{Subject: "cust-1"}, time.Minute)
	noSub, _ := Sign(secret, Claims{}, time.Minute)
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, &Claims{Subject: "c"}).SignedString([]byte(secret))
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, &Claims{Subject: "c", RegisteredClaims: jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Minute))}}).SignedString([]byte(secret))
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, &Claims{Subject: "c", RegisteredClaims: jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Minute))}}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	for name, tok := range map[string]string{
		"empty": "", "garbage": "not.a.jwt", "expired": expired, "wrong key": otherKey,
		"no sub": noSub, "no exp": noExp, "HS512": hs512, "alg none": none,
		"tampered": tamper(good),
	} {
		if _, err := v.Verify(tok); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: err = %v, want ErrUnauthorized", name, err)
		}
	}
	// Within the leeway an just-expired token still passes.
	justExpired, _ := Sign(secret, Claims{Subject: "c"}, -2*time.Second)
	if _, err := v.Verify(justExpired); err != nil {
		t.Errorf("within leeway: %v", err)
	}
}

// tamper changes one character in the middle of the signature (the last
// characters of base64url may carry only padding bits).
func tamper(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 10
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}
