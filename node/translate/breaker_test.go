package translate

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// slowGoogle answers in the Google v2 format after delay.
func slowGoogle(t *testing.T, delay time.Duration) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		w.Write([]byte(`{"data":{"translations":[{"translatedText":"hello"}]}}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestKeyNotInErrors: a network error (here, the caller's deadline) does
// not carry the request's URL with the key in its query.
func TestKeyNotInErrors(t *testing.T) {
	srv := slowGoogle(t, time.Second)
	g := &Google{URL: srv.URL, Key: "SECRETKEY123", Client: &http.Client{}}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := g.Translate(ctx, "hola", "es", "en")
	if err == nil || strings.Contains(err.Error(), "SECRETKEY123") {
		t.Fatalf("error %v: want a failure without the key", err)
	}
}

// TestBreakerIgnoresCallersWhoLeft: callers that cancel (an agent who
// disconnected) do not open a healthy provider's breaker; a provider that
// outlasts a fair budget does.
func TestBreakerIgnoresCallersWhoLeft(t *testing.T) {
	srv := slowGoogle(t, 200*time.Millisecond)
	s, err := New(Options{Providers: []Provider{&Google{URL: srv.URL, Key: "k", Client: &http.Client{}}},
		Timeout: time.Second, CachePath: filepath.Join(t.TempDir(), "c.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 5 {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		if r := s.Translate(ctx, "hola "+string(rune('a'+i)), "es", "en"); r.Status == StatusTranslated {
			t.Fatalf("cancelled call %d translated", i)
		}
	}
	if r := s.Translate(context.Background(), "hola mundo", "es", "en"); r.Status != StatusTranslated {
		t.Fatalf("after callers cancelled: %v, breakers %v: a healthy provider was opened", r.Status, s.Stats().Breakers)
	}
	// Slower than the whole timeout, three times: open.
	slow := slowGoogle(t, time.Second)
	s2, err := New(Options{Providers: []Provider{&Google{URL: slow.URL, Key: "k", Client: &http.Client{}}},
		Timeout: 100 * time.Millisecond, CachePath: filepath.Join(t.TempDir(), "c2.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	for i := range 3 {
		s2.Translate(context.Background(), "uno "+string(rune('a'+i)), "es", "en")
	}
	if st := s2.Stats().Breakers["google"]; st != "open" {
		t.Fatalf("a provider that timed out three times: breaker %q, want open", st)
	}
}

// TestLiteralPlaceholderText: a customer who types something shaped like
// a placeholder gets their text sent as written, without the glossary:
// otherwise a term the engine lost would be "restored" from the
// customer's own word.
func TestLiteralPlaceholderText(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/translate" {
			w.Write([]byte(`[{"code":"en","name":"English","targets":["es"]}]`))
			return
		}
		var req map[string]string
		json.NewDecoder(r.Body).Decode(&req)
		got = append(got, req["q"])
		// An engine that drops the first word it does not know.
		json.NewEncoder(w).Encode(map[string]string{"translatedText": strings.Replace(req["q"], "ZXQ0Q", "", 1)})
	}))
	defer srv.Close()
	s, err := New(Options{Providers: []Provider{&Libre{URL: srv.URL, Client: srv.Client()}}, Timeout: time.Second, CachePath: filepath.Join(t.TempDir(), "c.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.SetGlossary([]Term{{Term: "Edgeflux"}}); err != nil {
		t.Fatal(err)
	}
	r := s.Translate(context.Background(), "I typed ZXQ0Q and I use Edgeflux", "en", "es")
	if len(got) != 1 || got[0] != "I typed ZXQ0Q and I use Edgeflux" {
		t.Fatalf("the engine got %q: want the text as written", got)
	}
	if r.Status != StatusTranslated || r.Text != "I typed  and I use Edgeflux" {
		t.Fatalf("result %+v: want the engine's output as it is, nothing restored into it", r)
	}
}
