package config

import (
	"fmt"
	"net/url"
	"time"
)

// Translate configures machine translation between customers and agents,
// of FAQ answers, and of messages in languages the model does not know
// (docs/TRANSLATION.md).
type Translate struct {
	// Enabled turns translation on; it needs at least one provider.
	Enabled bool `yaml:"enabled"`
	// Providers are tried in order: a pair the first lacks (or a provider
	// that fails) goes to the next.
	Providers []TranslateProvider `yaml:"providers"`
	// Pivot, if set, is the language a pair no provider has directly goes
	// through (fr → en via es with pivot "es").
	Pivot string `yaml:"pivot"`
	// Timeout bounds translating one message, the whole chain included;
	// past it the message is delivered untranslated, marked so.
	Timeout time.Duration `yaml:"timeout"`
	// BreakerFailures consecutive failures open a provider's circuit
	// breaker for BreakerCooldown; then one probe decides.
	BreakerFailures int           `yaml:"breaker_failures"`
	BreakerCooldown time.Duration `yaml:"breaker_cooldown"`
	// PairsRefresh is how long a provider's list of pairs is trusted.
	PairsRefresh time.Duration `yaml:"pairs_refresh"`
	// CacheMaxEntries and CacheMaxAge bound the cache of translations
	// (<data_dir>/translate.db).
	CacheMaxEntries int           `yaml:"cache_max_entries"`
	CacheMaxAge     time.Duration `yaml:"cache_max_age"`
	// UnderstandVia, if set, is the language a customer message in a
	// language the model does not know is translated into before
	// classification (one the model knows, e.g. en). Empty: not done.
	UnderstandVia string `yaml:"understand_via"`
	// FAQ translates the default-language FAQ answer when no entry exists
	// in the customer's language.
	FAQ bool `yaml:"faq"`
}

// TranslateProvider is one machine-translation engine. Keys never come
// from the file: KeyFile names a file holding it, or KeyEnv an
// environment variable.
type TranslateProvider struct {
	// Kind is apertium, libretranslate, deepl or google.
	Kind string `yaml:"kind"`
	// URL is the server's base URL: required for apertium and
	// libretranslate; deepl defaults to api-free.deepl.com for a free key
	// (…:fx) and api.deepl.com otherwise; google to
	// https://translation.googleapis.com/language/translate/v2.
	URL     string `yaml:"url"`
	KeyFile string `yaml:"key_file"`
	KeyEnv  string `yaml:"key_env"`
}

func defaultTranslate() Translate {
	return Translate{
		Timeout:         1500 * time.Millisecond,
		BreakerFailures: 3,
		BreakerCooldown: 10 * time.Second,
		PairsRefresh:    10 * time.Minute,
		CacheMaxEntries: 100000,
		CacheMaxAge:     30 * 24 * time.Hour,
		FAQ:             true,
	}
}

func (c *Config) validateTranslate(bad func(key string, v any, reason string)) {
	t := &c.Translate
	if t.Enabled && len(t.Providers) == 0 {
		bad("translate.providers", "", "translate.enabled needs at least one provider")
	}
	for i, p := range t.Providers {
		key := fmt.Sprintf("translate.providers[%d]", i)
		switch p.Kind {
		case "apertium", "libretranslate":
			if p.URL == "" {
				bad(key+".url", p.URL, p.Kind+" needs the server's URL")
			}
		case "deepl", "google":
			if p.KeyFile == "" && p.KeyEnv == "" {
				bad(key+".key_file", "", p.Kind+" needs an API key: key_file or key_env")
			}
		default:
			bad(key+".kind", p.Kind, "want apertium, libretranslate, deepl or google")
		}
		if p.URL != "" {
			if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad(key+".url", p.URL, "want an http(s) URL")
			}
		}
	}
	for key, l := range map[string]string{"translate.pivot": t.Pivot, "translate.understand_via": t.UnderstandVia} {
		if l != "" && (len(l) < 2 || len(l) > 35) {
			bad(key, l, "want a BCP 47 tag such as en or es")
		}
	}
	if t.Timeout <= 0 || t.Timeout > time.Minute {
		bad("translate.timeout", t.Timeout, "want more than 0 and at most 1m")
	}
	if t.BreakerFailures < 1 || t.BreakerFailures > 1000 {
		bad("translate.breaker_failures", t.BreakerFailures, "want 1 to 1000")
	}
	if t.BreakerCooldown <= 0 {
		bad("translate.breaker_cooldown", t.BreakerCooldown, "want more than 0")
	}
	if t.PairsRefresh <= 0 {
		bad("translate.pairs_refresh", t.PairsRefresh, "want more than 0")
	}
	if t.CacheMaxEntries < 1 {
		bad("translate.cache_max_entries", t.CacheMaxEntries, "want at least 1")
	}
	if t.CacheMaxAge < 0 {
		bad("translate.cache_max_age", t.CacheMaxAge, "want 0 (no age limit) or more")
	}
}
