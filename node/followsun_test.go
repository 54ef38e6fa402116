package node

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/routing"
)

// TestFollowTheSunFromHello: the time zone a widget's hello declares
// reaches the router through the session. A node in EMEA with two English
// teams open around the clock, in London and in Sydney: the customer in
// Sydney gets the Sydney team (their region), not the node's; a Spanish
// customer in Madrid, whom no team speaks to, gets the London team,
// translated (routing.translation), and the decision says so.
func TestFollowTheSunFromHello(t *testing.T) {
	n, base, _ := startNode(t, func(c *config.Config) {
		c.Auth.StaffSecret = testStaffSecret
		c.Routing.Region = "EMEA"
		c.Routing.Translation = true
		c.Routing.Groups = []config.AgentGroup{
			{Name: "emea-en", Region: "EMEA", Languages: []string{"en"}, TZ: "Europe/London", Hours: allWeek(), Capacity: 2},
			{Name: "apac-en", Region: "APAC", Languages: []string{"en"}, TZ: "Australia/Sydney", Hours: allWeek(), Capacity: 2},
		}
	})
	lon, _ := dialAgent(t, base, "lou", "agent", "emea-en")
	syd, _ := dialAgent(t, base, "sam", "agent", "apac-en")

	au, wau := dialWidget(t, base, map[string]any{"locale": "en-AU", "tz": "Australia/Sydney"})
	au.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "I want to talk to a real person"})
	if a := syd.next(func(f agentFrame) bool { return f.Type == "assigned" }); a.Session != wau.Session || a.Group != "apac-en" ||
		!strings.Contains(strings.Join(a.Why, "; "), "region APAC serves the customer's region") {
		t.Fatalf("Sydney's assignment %+v", a)
	}

	es, wes := dialWidget(t, base, map[string]any{"locale": "es-ES", "tz": "Europe/Madrid"})
	es.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "quiero hablar con un agente"})
	a := lon.next(func(f agentFrame) bool { return f.Type == "assigned" })
	if a.Session != wes.Session || a.Group != "emea-en" {
		t.Fatalf("Madrid's assignment %+v", a)
	}
	meta, err := n.Store().Get(wes.Session)
	if err != nil {
		t.Fatal(err)
	}
	var d routing.Decision
	if err := json.Unmarshal(meta.Route, &d); err != nil {
		t.Fatal(err)
	}
	if !d.NeedsTranslation || d.Translate == nil || d.Translate.From != "es" || d.Translate.To != "en" || d.CustomerRegion != "EMEA" ||
		!strings.Contains(strings.Join(d.Why, "; "), "customer in Europe/Madrid") {
		t.Fatalf("stored decision %s", meta.Route)
	}
}
