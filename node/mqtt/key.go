package mqtt

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"

	"github.com/edgedesk/edgedesk/node/auth"
)

// CustomerKey is the topic key of a verified customer: the first 32 hex
// digits of the SHA-256 of the widget token's sub. The app computes it
// from the customer id it signed in with (docs/MQTT.md).
func CustomerKey(customerID string) string {
	h := sha256.Sum256([]byte(customerID))
	return hex.EncodeToString(h[:16])
}

// anonKeyRE is an anonymous app's key: long enough to be an unguessable
// install id (a random UUID without dashes, a nanoid), and a subject token.
var anonKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]{22,64}$`)

// connRE is a connection token: a subject token of an MQTT topic level.
var connRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Authenticator returns the embedded server's check of an MQTT CONNECT
// (edgesync.MQTTOptions.Auth). With a verifier the password is a widget
// token and the key is its customer's (CustomerKey); the user name is not
// checked. Without one (anonymous widgets) the user name is the key and
// the password is ignored.
func Authenticator(v *auth.Verifier) func(user, password string) (string, error) {
	return func(user, password string) (string, error) {
		if v == nil {
			if !anonKeyRE.MatchString(user) {
				return "", fmt.Errorf("%w: the user name must be the app's install id, 22 to 64 of [A-Za-z0-9_-]", ErrUnauthorized)
			}
			return user, nil
		}
		c, err := v.Verify(password)
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrUnauthorized, err)
		}
		return CustomerKey(c.Subject), nil
	}
}
