package mqtt

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/node/auth"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

const secret = "key-test-widget-secret-0123456789abcdef"

func TestAuthenticator(t *testing.T) {
	v := auth.NewVerifier(secret, time.Minute, nil)
	good, err := auth.Sign(secret, auth.Claims{Subject: "alice@example.com"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	key, err := Authenticator(v)("anything", good)
	if err != nil || key != CustomerKey("alice@example.com") || len(key) != 32 {
		t.Fatalf("verified: %q %v", key, err)
	}
	// The key is a subject token whatever the customer id holds.
	if strings.ContainsAny(key, ".*> ") {
		t.Fatalf("key %q is not a subject token", key)
	}
	forged, _ := auth.Sign("another-secret-another-secret-another!", auth.Claims{Subject: "alice@example.com"}, time.Hour)
	for name, pass := range map[string]string{"none": "", "forged": forged, "garbage": "x.y.z"} {
		if _, err := Authenticator(v)("u", pass); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: %v, want ErrUnauthorized", name, err)
		}
	}
	anon := Authenticator(nil)
	if key, err := anon("V1StGXR8_Z5jdHi6B-myTaaa", ""); err != nil || key != "V1StGXR8_Z5jdHi6B-myTaaa" {
		t.Fatalf("anonymous: %q %v", key, err)
	}
	for _, user := range []string{"", "short", "has.a.dot.in.it.and.is.long.enough", "wild*card-wildcard-wildcard", strings.Repeat("a", 65)} {
		if _, err := anon(user, ""); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("anonymous user %q: %v, want ErrUnauthorized", user, err)
		}
	}
}

func TestParseInbound(t *testing.T) {
	for subject, want := range map[string][2]string{
		edgesync.MQTTInSubject("k", "c"):            {"k", "c"},
		edgesync.MQTTInSubject("abc123", "phone-1"): {"abc123", "phone-1"},
	} {
		key, conn, ok := parseInbound(subject)
		if !ok || key != want[0] || conn != want[1] {
			t.Errorf("%s: %q %q %v", subject, key, conn, ok)
		}
	}
	for _, subject := range []string{"edgedesk.mqtt.k.c.out", "edgedesk.mqtt.k.in", "edgedesk.mqtt.k.c.d.in", "other.k.c.in", "edgedesk.mqtt..c.in", "edgedesk.mqtt.k..in", "edgedesk.mqtt.k.c//d.in"} {
		if _, _, ok := parseInbound(subject); ok {
			t.Errorf("%s parsed", subject)
		}
	}
}

// FuzzParseInbound: whatever subject arrives, a parse that succeeds names a
// key and connection that make the same subject back.
func FuzzParseInbound(f *testing.F) {
	f.Add("edgedesk.mqtt.k.c.in")
	f.Add("edgedesk.mqtt.k.c.d.in")
	f.Add("edgedesk.mqtt...in")
	f.Fuzz(func(t *testing.T, subject string) {
		key, conn, ok := parseInbound(subject)
		if ok && edgesync.MQTTInSubject(key, conn) != subject {
			t.Fatalf("%q parsed as %q %q", subject, key, conn)
		}
	})
}
