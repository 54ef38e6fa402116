package config

import (
	"strings"
	"testing"
)

func TestTranslateValidation(t *testing.T) {
	for _, c := range []struct {
		yaml string
		want []string // in the error; none: valid
	}{
		{"translate:\n  enabled: true\n  providers: [{kind: apertium, url: 'http://127.0.0.1:2737'}, {kind: deepl, key_env: DEEPL_KEY}]\n  pivot: es\n", nil},
		{"translate:\n  enabled: true\n", []string{"translate.providers", "at least one provider"}},
		{"translate:\n  providers: [{kind: bing}]\n", []string{"translate.providers[0].kind", "bing"}},
		{"translate:\n  providers: [{kind: apertium}]\n", []string{"translate.providers[0].url", "needs the server's URL"}},
		{"translate:\n  providers: [{kind: google}]\n", []string{"translate.providers[0].key_file", "API key"}},
		{"translate:\n  providers: [{kind: libretranslate, url: 'ftp://x'}]\n", []string{"translate.providers[0].url", "http(s)"}},
		{"translate:\n  timeout: 0s\n", []string{"translate.timeout"}},
		{"translate:\n  breaker_failures: 0\n", []string{"translate.breaker_failures"}},
		{"translate:\n  understand_via: x\n", []string{"translate.understand_via"}},
		{"translate:\n  providers: [{kind: deepl, key: abc}]\n", []string{"key"}}, // keys never in the file: no such field
	} {
		_, err := Parse([]byte(c.yaml))
		if len(c.want) == 0 {
			if err != nil {
				t.Errorf("%q: %v", c.yaml, err)
			}
			continue
		}
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %v lacks %q", c.yaml, err, w)
			}
		}
	}
	if _, err := Load("", []string{"EDGEDESK_TRANSLATE_TIMEOUT=3s", "EDGEDESK_TRANSLATE_PIVOT=es"}); err != nil {
		t.Fatalf("translate keys from the environment: %v", err)
	}
}
