package config

import (
	"encoding/hex"
	"fmt"
	"regexp"
)

// APIKey is one static admin API key. The key itself is never in the
// configuration: KeySHA256 is the hex SHA-256 of it (`printf %s "$KEY" |
// sha256sum`), or KeyFile a file holding it (read at start, at least 32
// bytes; surrounding white space is ignored).
type APIKey struct {
	// Name identifies the key's holder in logs and the audit (staff
	// subject "apikey:<name>").
	Name      string `yaml:"name"`
	KeySHA256 string `yaml:"key_sha256"`
	KeyFile   string `yaml:"key_file"`
	// Role is agent, supervisor or admin: what the key may do, as a staff
	// token with that role.
	Role string `yaml:"role"`
}

var apiKeyNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func (c *Config) validateAPIKeys(bad func(key string, v any, reason string)) {
	names := map[string]bool{}
	for i, k := range c.Auth.APIKeys {
		at := func(f string) string { return fmt.Sprintf("auth.api_keys[%d].%s", i, f) }
		switch {
		case !apiKeyNameRE.MatchString(k.Name):
			bad(at("name"), k.Name, "want 1 to 64 of [A-Za-z0-9._-]")
		case names[k.Name]:
			bad(at("name"), k.Name, "listed twice")
		}
		names[k.Name] = true
		switch k.Role {
		case "agent", "supervisor", "admin":
		default:
			bad(at("role"), k.Role, "want agent, supervisor or admin")
		}
		switch {
		case (k.KeySHA256 == "") == (k.KeyFile == ""):
			bad(at("key_sha256"), k.KeySHA256, "set exactly one of key_sha256 and key_file (never the key itself)")
		case k.KeySHA256 != "":
			if b, err := hex.DecodeString(k.KeySHA256); err != nil || len(b) != 32 {
				bad(at("key_sha256"), k.KeySHA256, "want the 64 hex digits of the key's SHA-256")
			}
		}
	}
}
