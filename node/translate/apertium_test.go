package translate

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/internal/testapy"
)

func newService(t *testing.T, o Options) *Service {
	t.Helper()
	if o.CachePath == "" {
		o.CachePath = filepath.Join(t.TempDir(), "translate.db")
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestApertiumReal translates both ways through a real APY, through the
// pivot for a pair it lacks, and keeps the glossary's terms.
func TestApertiumReal(t *testing.T) {
	apy := testapy.Start(t)
	ap := &Apertium{URL: apy.URL, Client: &http.Client{}}
	pairs, err := ap.Pairs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[Pair]bool{{"es", "en"}: false, {"en", "es"}: false, {"fr", "es"}: false, {"es", "pt"}: false}
	for _, p := range pairs {
		if _, ok := want[p]; ok {
			want[p] = true
		}
	}
	for p, found := range want {
		if !found {
			t.Errorf("/listPairs lacks %v: %v", p, pairs)
		}
	}
	s := newService(t, Options{Providers: []Provider{ap}, Pivot: "es", Timeout: 20 * time.Second})
	if _, err := s.SetGlossary([]Term{
		{Term: "Edgeflux"},
		{Term: "return label", From: "en", To: "es", Translation: "etiqueta de devolución"},
		{Term: "etiqueta de devolución", From: "es", To: "en", Translation: "return label"},
	}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct{ text, from, to, has, provider string }{
		{"¿Dónde está mi pedido?", "es", "en", "Where", "apertium"},
		{"I will send you the return label for your Edgeflux kettle today.", "en", "es", "etiqueta de devolución", "apertium"},
		{"Quiero la etiqueta de devolución para mi Edgeflux, por favor.", "es", "en", "return label", "apertium"},
		{"Je veux mon colis", "fr", "pt", "", "apertium+apertium"}, // fr→es→pt: through the pivot
		{"Track it at https://shop.example.com/orders/48213 or write to help@shop.example.com.", "en", "es", "https://shop.example.com/orders/48213", "apertium"},
	} {
		r := s.Translate(ctx, tc.text, tc.from, tc.to)
		if r.Status != StatusTranslated || r.Provider != tc.provider || !strings.Contains(r.Text, tc.has) {
			t.Errorf("%s→%s %q: %+v; want %s by %s containing %q", tc.from, tc.to, tc.text, r, StatusTranslated, tc.provider, tc.has)
		}
		if strings.Contains(tc.text, "Edgeflux") && !strings.Contains(r.Text, "Edgeflux") || strings.ContainsAny(strings.ReplaceAll(r.Text, "help@shop", ""), "*#@") ||
			strings.Contains(tc.text, "help@") && !strings.Contains(r.Text, "help@shop.example.com") {
			t.Errorf("%q → %q: the brand or an unknown-word mark is wrong", tc.text, r.Text)
		}
		if again := s.Translate(ctx, tc.text, tc.from, tc.to); !again.Cached || again.Text != r.Text {
			t.Errorf("second translation of %q not from the cache: %+v", tc.text, again)
		}
	}
	if r := s.Translate(ctx, "hello", "en", "ja"); r.Status != StatusUnsupported {
		t.Errorf("en→ja with only Apertium: %+v, want unsupported", r)
	}
}

// TestPlaceholdersSurviveApertium checks the placeholder token against
// the engine itself, in every installed pair the tests use: a token it
// mangled would lose a glossary term.
func TestPlaceholdersSurviveApertium(t *testing.T) {
	apy := testapy.Start(t)
	ap := &Apertium{URL: apy.URL, Client: &http.Client{}}
	if _, err := ap.Pairs(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range [][2]string{{"en", "es"}, {"es", "en"}, {"fr", "es"}, {"es", "pt"}, {"en", "ca"}} {
		text := "the ZXQ0Q and ZXQ1Q of ZXQ12Q"
		if p[0] != "en" {
			text = "la ZXQ0Q y la ZXQ1Q de ZXQ12Q"
			if p[0] == "fr" {
				text = "le ZXQ0Q et le ZXQ1Q de ZXQ12Q"
			}
		}
		out, err := ap.Translate(context.Background(), text, p[0], p[1])
		if err != nil {
			t.Fatalf("%v: %v", p, err)
		}
		subst := make([]string, 13)
		for i := range subst {
			subst[i] = "<" + string(rune('a'+i)) + ">"
		}
		got, _ := Restore(out, subst)
		for _, w := range []string{"<a>", "<b>", "<m>"} {
			if !strings.Contains(got, w) {
				t.Errorf("%v: %q → %q → %q lost %s", p, text, out, got, w)
			}
		}
	}
}

// TestBreakerAgainstStoppedAPY: with the server gone every message comes
// back unavailable within the timeout, the breaker opens (later calls
// fail fast), and once the server is back the half-open probe closes it.
func TestBreakerAgainstStoppedAPY(t *testing.T) {
	apy := testapy.Start(t)
	ap := &Apertium{URL: apy.URL, Client: &http.Client{}}
	s := newService(t, Options{Providers: []Provider{ap}, Timeout: 5 * time.Second, BreakerFailures: 2, BreakerCooldown: 300 * time.Millisecond})
	ctx := context.Background()
	if r := s.Translate(ctx, "Hola", "es", "en"); r.Status != StatusTranslated {
		t.Fatalf("before the stop: %+v", r)
	}
	apy.Stop()
	for i := range 3 {
		start := time.Now()
		r := s.Translate(ctx, "Buenos días número "+string(rune('a'+i)), "es", "en")
		if r.Status != StatusUnavailable || r.Text != "" {
			t.Fatalf("with APY stopped: %+v", r)
		}
		if d := time.Since(start); d > 5*time.Second+time.Second {
			t.Fatalf("a failed translation took %v, over its timeout", d)
		}
	}
	if st := s.Stats().Breakers["apertium"]; st != "open" {
		t.Fatalf("breaker after 3 failures: %s, want open", st)
	}
	apy.Restart(t)
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := s.Translate(ctx, "Buenas tardes", "es", "en")
		if r.Status == StatusTranslated {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("translation did not resume after APY returned: %+v %v", r, s.Stats())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st := s.Stats().Breakers["apertium"]; st != "closed" {
		t.Fatalf("breaker after the probe succeeded: %s", st)
	}
}

// TestApertiumCodes: the node's tags become APY's codes per direction.
func TestApertiumCodes(t *testing.T) {
	a := &Apertium{srcs: map[string]bool{"hbs": true, "spa": true, "por": true}, tgts: map[string]bool{"hbs_SR": true, "hbs": true, "por_BR": true, "por": true, "eng": true}}
	for _, c := range []struct {
		tag    string
		source bool
		want   string
	}{{"sr", true, "hbs"}, {"sr-Latn-RS", false, "hbs_SR"}, {"hr", false, "hbs"}, {"pt-BR", false, "por_BR"}, {"pt-BR", true, "por"}, {"es-MX", true, "spa"}, {"en", false, "eng"}} {
		if got := a.code(c.tag, c.source); got != c.want {
			t.Errorf("code(%s, source %v) = %s, want %s", c.tag, c.source, got, c.want)
		}
	}
}

// TestApertiumMarks: the engine's marks on words it could not generate
// (#) or translate (@) go; a # before a number stays.
func TestApertiumMarks(t *testing.T) {
	for in, want := range map[string]string{
		"#Red #48213: #free @at la caja": "Red #48213: free at la caja",
		"*Edgeflux, @hola":               "Edgeflux, hola",
	} {
		if got := markRE.ReplaceAllString(in, "$1$2"); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}
