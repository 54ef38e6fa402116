package translate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// GoogleURL is Cloud Translation v2 (Basic).
const GoogleURL = "https://translation.googleapis.com/language/translate/v2"

// Google is Google Cloud Translation v2: POST <url>?key=<API key> with JSON
// {q: [..], source, target, format: "text"} answering
// {data: {translations: [{translatedText}]}}. format "text" keeps the
// answer free of HTML escapes.
type Google struct {
	URL    string // empty: GoogleURL
	Key    string
	Client *http.Client
}

// Name implements Provider.
func (g *Google) Name() string { return "google" }

// Pairs implements Provider: every pair is tried (400 for one it lacks).
func (g *Google) Pairs(context.Context) ([]Pair, error) { return nil, nil }

// googleCode is Google's code of tag: base languages, but Chinese by script.
func googleCode(tag string) string {
	b := base(tag)
	if b == "zh" {
		r := region(tag)
		if r == "TW" || r == "HK" || strings.Contains(strings.ToLower(tag), "hant") {
			return "zh-TW"
		}
		return "zh-CN"
	}
	return b
}

// Translate implements Provider.
func (g *Google) Translate(ctx context.Context, text, from, to string) (string, error) {
	body, err := json.Marshal(map[string]any{"q": []string{text}, "source": googleCode(from), "target": googleCode(to), "format": "text"})
	if err != nil {
		return "", fmt.Errorf("%w: google: %w", ErrProvider, err)
	}
	u := g.URL
	if u == "" {
		u = GoogleURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u+"?key="+url.QueryEscape(g.Key), bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("%w: google: %w", ErrProvider, err)
	}
	req.Header.Set("Content-Type", "application/json")
	var out struct {
		Data struct {
			Translations []struct {
				TranslatedText string `json:"translatedText"`
			} `json:"translations"`
		} `json:"data"`
	}
	if err := do(g.Client, req, &out); err != nil {
		return "", err
	}
	tr := out.Data.Translations
	if len(tr) != 1 || strings.TrimSpace(tr[0].TranslatedText) == "" {
		return "", fmt.Errorf("%w: google: want 1 translation, got %d", ErrProvider, len(tr))
	}
	return strings.TrimSpace(tr[0].TranslatedText), nil
}
