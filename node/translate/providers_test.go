package translate

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The cloud providers are tested against real HTTP servers that speak
// each API's documented format and check what the provider sends: the
// method, path, auth and body fields, and the language codes.

func TestLibreTranslateFormat(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/languages":
			w.Write([]byte(`[{"code":"en","name":"English","targets":["en","es","zh"]},{"code":"es","name":"Spanish","targets":["en","es"]}]`))
		case "/translate":
			var req map[string]string
			if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&req) != nil {
				http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
				return
			}
			if req["api_key"] != "k1" {
				http.Error(w, `{"error":"Invalid API key"}`, http.StatusForbidden)
				return
			}
			if req["source"] != "es" || req["target"] != "en" || req["format"] != "text" {
				http.Error(w, `{"error":"es is not supported"}`, http.StatusBadRequest)
				return
			}
			json.NewEncoder(w).Encode(map[string]string{"translatedText": "[en] " + req["q"]})
		}
	}))
	defer srv.Close()
	l := &Libre{URL: srv.URL, Key: "k1", Client: srv.Client()}
	pairs, err := l.Pairs(context.Background())
	if err != nil || len(pairs) != 3 {
		t.Fatalf("pairs %v %v", pairs, err)
	}
	got, err := l.Translate(context.Background(), "hola", "es-MX", "en")
	if err != nil || got != "[en] hola" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := l.Translate(context.Background(), "hola", "es", "fr"); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("unsupported pair: %v", err)
	}
	l.Key = "wrong"
	if _, err := l.Translate(context.Background(), "hola", "es", "en"); !errors.Is(err, ErrProvider) || !strings.Contains(err.Error(), "403") {
		t.Fatalf("bad key: %v", err)
	}
}

func TestDeepLFormat(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2/translate" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "DeepL-Auth-Key abc:fx" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		var req struct {
			Text       []string `json:"text"`
			SourceLang string   `json:"source_lang"`
			TargetLang string   `json:"target_lang"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Text) != 1 {
			http.Error(w, `{"message":"Bad request"}`, http.StatusBadRequest)
			return
		}
		if req.SourceLang != "ES" || req.TargetLang != "EN-US" {
			http.Error(w, `{"message":"Value for 'target_lang' not supported."}`, http.StatusBadRequest)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"translations": []map[string]string{{"detected_source_language": "ES", "text": "[EN-US] " + req.Text[0]}}})
	}))
	defer srv.Close()
	d := &DeepL{URL: srv.URL, Key: "abc:fx", Client: srv.Client()}
	got, err := d.Translate(context.Background(), "hola", "es", "en")
	if err != nil || got != "[EN-US] hola" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := d.Translate(context.Background(), "hola", "es", "xx"); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("unsupported: %v", err)
	}
	if (&DeepL{Key: "abc:fx"}).baseURL() != DeepLFreeURL || (&DeepL{Key: "abc"}).baseURL() != DeepLProURL {
		t.Fatal("free keys (…:fx) go to api-free.deepl.com, others to api.deepl.com")
	}
	for tag, want := range map[string]string{"en-GB": "EN-GB", "pt-BR": "PT-BR", "pt": "PT-PT", "zh-Hant": "ZH-HANT", "de": "DE"} {
		if got := deeplTarget(tag); got != want {
			t.Errorf("deeplTarget(%s) = %s, want %s", tag, got, want)
		}
	}
}

func TestGoogleFormat(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/language/translate/v2" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("key") != "gk" {
			http.Error(w, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key."}}`, http.StatusBadRequest)
			return
		}
		var req struct {
			Q      []string `json:"q"`
			Source string   `json:"source"`
			Target string   `json:"target"`
			Format string   `json:"format"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Q) != 1 || req.Format != "text" {
			http.Error(w, `{"error":{"code":400,"message":"Invalid Value"}}`, http.StatusBadRequest)
			return
		}
		if req.Target != "zh-CN" {
			http.Error(w, `{"error":{"code":400,"message":"Bad language pair: es|xx"}}`, http.StatusBadRequest)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"translations": []map[string]string{{"translatedText": "[zh-CN] " + req.Q[0]}}}})
	}))
	defer srv.Close()
	g := &Google{URL: srv.URL + "/language/translate/v2", Key: "gk", Client: srv.Client()}
	got, err := g.Translate(context.Background(), "hola", "es", "zh")
	if err != nil || got != "[zh-CN] hola" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := g.Translate(context.Background(), "hola", "es", "xx"); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("unsupported: %v", err)
	}
	g.Key = "bad"
	_, err = g.Translate(context.Background(), "hola", "es", "zh")
	if !errors.Is(err, ErrProvider) || strings.Contains(err.Error(), "key=") {
		t.Fatalf("a bad key fails as the provider, without the key in the error: %v", err)
	}
}

// TestChainFallsThrough: a pair the first provider lacks, and a provider
// that fails, go to the next one.
func TestChainFallsThrough(t *testing.T) {
	libre := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/languages" {
			w.Write([]byte(`[{"code":"en","targets":["es"]},{"code":"es","targets":["en"]}]`))
			return
		}
		var req map[string]string
		json.NewDecoder(r.Body).Decode(&req)
		json.NewEncoder(w).Encode(map[string]string{"translatedText": "libre:" + req["q"]})
	}))
	defer libre.Close()
	down := 0
	google := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Q []string `json:"q"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		if down > 0 {
			down--
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"translations": []map[string]string{{"translatedText": "google:" + req.Q[0]}}}})
	}))
	defer google.Close()
	s := newService(t, Options{Providers: []Provider{
		&Libre{URL: libre.URL, Client: libre.Client()},
		&Google{URL: google.URL, Key: "k", Client: google.Client()},
	}})
	ctx := context.Background()
	if r := s.Translate(ctx, "hola", "es", "en"); r.Provider != "libretranslate" || r.Text != "libre:hola" {
		t.Errorf("es→en: %+v", r)
	}
	if r := s.Translate(ctx, "你好", "zh", "en"); r.Provider != "google" || r.Text != "google:你好" {
		t.Errorf("zh→en (libre lacks it): %+v", r)
	}
	down = 1
	if r := s.Translate(ctx, "谢谢", "zh", "en"); r.Status != StatusUnavailable {
		t.Errorf("zh→en with google failing: %+v", r)
	}
}
