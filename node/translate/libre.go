package translate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Libre is a LibreTranslate-compatible server: POST /translate with JSON
// {q, source, target, format: "text", api_key} answering {translatedText};
// GET /languages lists [{code, targets}].
type Libre struct {
	URL    string // base URL, e.g. https://libretranslate.example.com
	Key    string // api_key; empty for servers that need none
	Client *http.Client
}

// Name implements Provider.
func (l *Libre) Name() string { return "libretranslate" }

// Pairs implements Provider from GET /languages.
func (l *Libre) Pairs(ctx context.Context) ([]Pair, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(l.URL, "/")+"/languages", nil)
	if err != nil {
		return nil, fmt.Errorf("%w: libretranslate: %w", ErrProvider, err)
	}
	var langs []struct {
		Code    string   `json:"code"`
		Targets []string `json:"targets"`
	}
	if err := do(l.Client, req, &langs); err != nil {
		return nil, err
	}
	var pairs []Pair
	for _, lg := range langs {
		for _, t := range lg.Targets {
			if base(t) != base(lg.Code) {
				pairs = append(pairs, Pair{base(lg.Code), base(t)})
			}
		}
	}
	return pairs, nil
}

// Translate implements Provider.
func (l *Libre) Translate(ctx context.Context, text, from, to string) (string, error) {
	body, err := json.Marshal(map[string]string{"q": text, "source": base(from), "target": base(to), "format": "text", "api_key": l.Key})
	if err != nil {
		return "", fmt.Errorf("%w: libretranslate: %w", ErrProvider, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(l.URL, "/")+"/translate", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("%w: libretranslate: %w", ErrProvider, err)
	}
	req.Header.Set("Content-Type", "application/json")
	var out struct {
		TranslatedText string `json:"translatedText"`
	}
	if err := do(l.Client, req, &out); err != nil {
		return "", err
	}
	if strings.TrimSpace(out.TranslatedText) == "" {
		return "", fmt.Errorf("%w: libretranslate: %w", ErrProvider, errEmpty)
	}
	return strings.TrimSpace(out.TranslatedText), nil
}
