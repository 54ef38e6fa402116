package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/internal/testapy"
	"github.com/edgedesk/edgedesk/node/auth"
)

// TestTranslationInBrowser: a Spanish customer on the demo shop and an
// English-only agent, translated by a real Apertium APY; the widget shows
// the agent's reply in Spanish, marked, and the original one press away
// (translate.spec.mjs).
func TestTranslationInBrowser(t *testing.T) {
	chromium := needBrowser(t)
	apy := testapy.Start(t)
	base, _, _ := startNodeWith(t, func(c *config.Config) {
		c.Routing.Groups = []config.AgentGroup{{Name: "uk-en", Languages: []string{"en"}, TZ: "Europe/London", Hours: weekly("00:00-24:00"), Capacity: 5}}
		c.Routing.FallbackLanguage = "en"
		c.Translate.Enabled = true
		c.Translate.Providers = []config.TranslateProvider{{Kind: "apertium", URL: apy.URL}}
		c.Translate.Timeout = 15 * time.Second
	})
	admin, err := auth.Sign(staffSecret, auth.Claims{Subject: "root", Role: "admin"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("PUT", base+"/v1/admin/glossary", strings.NewReader("term,from,to,translation\nEdgeflux,,,\nreturn label,en,es,etiqueta de devolución\n"))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("glossary: %v %v", resp, err)
	}
	resp.Body.Close()
	agent, err := auth.Sign(staffSecret, auth.Claims{Subject: "alice", Name: "Alice", Role: "agent", Groups: []string{"uk-en"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	runSpec(t, chromium, "translate.spec.mjs", base, 4*time.Minute, "AGENT_TOKEN="+agent)
}
