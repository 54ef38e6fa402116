package translate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// DeepL hosts: keys of the free API end in ":fx" and only work on the free host.
const (
	DeepLFreeURL = "https://api-free.deepl.com"
	DeepLProURL  = "https://api.deepl.com"
)

// DeepL is the DeepL API: POST /v2/translate with header
// "Authorization: DeepL-Auth-Key <key>" and JSON {text: [..], source_lang,
// target_lang} answering {translations: [{detected_source_language, text}]}.
// Codes are upper case; English and Portuguese targets need a variant
// (EN-US, EN-GB, PT-PT, PT-BR).
type DeepL struct {
	URL    string // empty: DeepLFreeURL for a ":fx" key, else DeepLProURL
	Key    string
	Client *http.Client
}

// Name implements Provider.
func (d *DeepL) Name() string { return "deepl" }

// Pairs implements Provider: DeepL translates between all its languages,
// and answers 400 for one it lacks, so every pair is tried.
func (d *DeepL) Pairs(context.Context) ([]Pair, error) { return nil, nil }

func (d *DeepL) baseURL() string {
	switch {
	case d.URL != "":
		return strings.TrimRight(d.URL, "/")
	case strings.HasSuffix(d.Key, ":fx"):
		return DeepLFreeURL
	}
	return DeepLProURL
}

// deeplTarget is DeepL's target code of tag.
func deeplTarget(tag string) string {
	b, r := strings.ToUpper(base(tag)), region(tag)
	switch b {
	case "EN":
		if r == "GB" {
			return "EN-GB"
		}
		return "EN-US"
	case "PT":
		if r == "BR" {
			return "PT-BR"
		}
		return "PT-PT"
	case "ZH":
		if r == "TW" || r == "HK" || strings.Contains(strings.ToLower(tag), "hant") {
			return "ZH-HANT"
		}
		return "ZH-HANS"
	}
	return b
}

// Translate implements Provider.
func (d *DeepL) Translate(ctx context.Context, text, from, to string) (string, error) {
	body, err := json.Marshal(map[string]any{"text": []string{text}, "source_lang": strings.ToUpper(base(from)), "target_lang": deeplTarget(to)})
	if err != nil {
		return "", fmt.Errorf("%w: deepl: %w", ErrProvider, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.baseURL()+"/v2/translate", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("%w: deepl: %w", ErrProvider, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "DeepL-Auth-Key "+d.Key)
	var out struct {
		Translations []struct {
			Text string `json:"text"`
		} `json:"translations"`
	}
	if err := do(d.Client, req, &out); err != nil {
		return "", err
	}
	if len(out.Translations) != 1 || strings.TrimSpace(out.Translations[0].Text) == "" {
		return "", fmt.Errorf("%w: deepl: want 1 translation, got %d", ErrProvider, len(out.Translations))
	}
	return strings.TrimSpace(out.Translations[0].Text), nil
}
