package routing

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/convo"
	"github.com/edgedesk/edgedesk/node/session"
)

// sunRouting is a merchant with three teams on the built-in region map,
// each 09:00-18:00 on weekdays in its own time zone: Spanish and English
// in Madrid (EMEA) and in Mexico City (AMER), Chinese and English in
// Shanghai (APAC). The node runs in EMEA; English is the merchant's
// language; a translator is there (routing.translation).
func sunRouting() config.Routing {
	c := config.Default().Routing
	c.Region = "EMEA"
	c.Translation = true
	c.Groups = []config.AgentGroup{
		{Name: "emea-es", Region: "EMEA", Languages: []string{"es", "en"}, TZ: "Europe/Madrid", Hours: weekdays, Capacity: 2},
		{Name: "amer-es", Region: "AMER", Languages: []string{"es", "en"}, TZ: "America/Mexico_City", Hours: weekdays, Capacity: 2},
		{Name: "apac-zh", Region: "APAC", Languages: []string{"zh", "en"}, TZ: "Asia/Shanghai", Hours: weekdays, Capacity: 2},
	}
	return c
}

// TestFollowTheSun is the routing table of issue 17: customers in Madrid,
// Mexico City, Shanghai and Sydney at the same instant reach the team the
// region map and the hours choose, with translation where no open team
// speaks their language. The clock is fake: each instant is set, and
// every team has a free agent unless the case says otherwise.
func TestFollowTheSun(t *testing.T) {
	// Wednesday 2 December 2026 (no daylight saving north of the equator;
	// Sydney is on AEDT, +11).
	//   09:30 UTC: Madrid 10:30 open, Mexico City 03:30 closed, Shanghai 17:30 open, Sydney 20:30.
	//   15:00 UTC: Madrid 16:00 open, Mexico City 09:00 open, Shanghai 23:00 closed, Sydney Thu 02:00.
	//   19:00 UTC: Madrid 20:00 closed, Mexico City 13:00 open, Shanghai Thu 03:00 closed, Sydney Thu 06:00.
	morning := time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)
	afternoon := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)
	evening := time.Date(2026, 12, 2, 19, 0, 0, 0, time.UTC)
	saturday := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	madrid := Request{Lang: "es-ES", TZ: "Europe/Madrid"}
	mexico := Request{Lang: "es-MX", TZ: "America/Mexico_City"}
	shanghai := Request{Lang: "zh-CN", TZ: "Asia/Shanghai"}
	sydney := Request{Lang: "en-AU", TZ: "Australia/Sydney"}
	sydneyJa := Request{Lang: "ja", TZ: "Australia/Sydney"}
	noTranslation := func(c *config.Routing) { c.Translation = false }
	amerAllDay := func(c *config.Routing) { c.Groups[1].Hours = allDay() }
	for _, tc := range []struct {
		name    string
		at      time.Time
		req     Request
		config  func(*config.Routing)
		agents  map[string]int // free agents per group; nil: one in each
		busy    []string       // groups whose only agent is full
		outcome Outcome
		group   string
		region  string       // the customer's region
		tr      *Translation // the pair, nil when none
		why     []string     // in order, each a substring of a step
	}{
		// 09:30 UTC
		{name: "morning/Madrid: home region", at: morning, req: madrid, outcome: Assigned, group: "emea-es", region: "EMEA",
			why: []string{"customer in Europe/Madrid (Wed 10:30 CET): region EMEA (routing.regions.EMEA Europe/*)", "language es-ES: base es", "group emea-es open (Wed 10:30 CET), region EMEA serves the customer's region"}},
		{name: "morning/Mexico City: own team asleep, follow the sun to Madrid", at: morning, req: mexico, outcome: Assigned, group: "emea-es", region: "AMER",
			why: []string{"customer in America/Mexico_City (Wed 03:30 CST): region AMER", "group emea-es open (Wed 10:30 CET), region EMEA (customer's region AMER: none open and free; follow the sun, 7h from the customer's clock)"}},
		{name: "morning/Shanghai: home region", at: morning, req: shanghai, outcome: Assigned, group: "apac-zh", region: "APAC",
			why: []string{"region APAC (routing.regions.APAC Asia/*)", "language zh-CN: base zh", "group apac-zh open (Wed 17:30 CST), region APAC serves the customer's region"}},
		{name: "morning/Sydney: English, home region before the node's", at: morning, req: sydney, outcome: Assigned, group: "apac-zh", region: "APAC",
			why: []string{"customer in Australia/Sydney (Wed 20:30 AEDT): region APAC (routing.regions.APAC Australia/*)", "group apac-zh open (Wed 17:30 CST), region APAC serves"}},
		{name: "morning/Sydney in Japanese: nobody speaks it, translated at home", at: morning, req: sydneyJa, outcome: Assigned, group: "apac-zh", region: "APAC", tr: &Translation{From: "ja", To: "en"},
			why: []string{"no group speaks ja", "no team speaking ja can take it now: group apac-zh open (Wed 17:30 CST), region APAC serves the customer's region, speaks en: translated ja → en"}},
		// Kiritimati (+14) is 4 hours from Mexico City's clock and 6 from
		// Shanghai's, but in APAC: with Mexico City open around the clock,
		// the home region still comes first; when it is full, the nearest
		// clock.
		{name: "morning/Kiritimati: home region before a nearer clock", at: morning, req: Request{Lang: "en", TZ: "Pacific/Kiritimati"}, config: amerAllDay, outcome: Assigned, group: "apac-zh", region: "APAC",
			why: []string{"customer in Pacific/Kiritimati (Wed 23:30 +14): region APAC (routing.regions.APAC Pacific/*)", "group apac-zh open (Wed 17:30 CST), region APAC serves the customer's region"}},
		{name: "morning/Kiritimati, home full: the nearest clock", at: morning, req: Request{Lang: "en", TZ: "Pacific/Kiritimati"}, config: amerAllDay,
			agents: map[string]int{"emea-es": 1, "amer-es": 1}, busy: []string{"apac-zh"}, outcome: Assigned, group: "amer-es", region: "APAC",
			why: []string{"group amer-es open (Wed 03:30 CST), region AMER (customer's region APAC: none open and free; follow the sun, 4h from the customer's clock)"}},
		// 15:00 UTC
		{name: "afternoon/Madrid: home region", at: afternoon, req: madrid, outcome: Assigned, group: "emea-es", region: "EMEA"},
		{name: "afternoon/Mexico City: home region, not the node's", at: afternoon, req: mexico, outcome: Assigned, group: "amer-es", region: "AMER",
			why: []string{"group amer-es open (Wed 09:00 CST), region AMER serves the customer's region"}},
		{name: "afternoon/Shanghai at 23:00: no Chinese team open, the nearest clock translated", at: afternoon, req: shanghai, outcome: Assigned, group: "emea-es", region: "APAC", tr: &Translation{From: "zh-CN", To: "en"},
			why: []string{"language zh-CN: base zh", "no group speaking it is open", "no team speaking zh-CN can take it now: group emea-es open (Wed 16:00 CET), region EMEA (customer's region APAC: none open and free; follow the sun, 7h from the customer's clock), speaks en: translated zh-CN → en"}},
		{name: "afternoon/Sydney at 02:00: follow the sun to the nearest clock, Mexico City", at: afternoon, req: sydney, outcome: Assigned, group: "amer-es", region: "APAC",
			why: []string{"customer in Australia/Sydney (Thu 02:00 AEDT)", "group amer-es open (Wed 09:00 CST), region AMER (customer's region APAC: none open and free; follow the sun, 7h from the customer's clock)"}},
		{name: "afternoon/Shanghai, translation off: a message", at: afternoon, req: shanghai, config: noTranslation, outcome: Message, group: "apac-zh", region: "APAC",
			why: []string{"no group speaking it is open", "group emea-es is open in another language, but routing.translation is off", "all closed; soonest apac-zh opens Thu 09:00 CST: take a message"}},
		{name: "afternoon/Shanghai, the translated teams busy: queued translated", at: afternoon, req: shanghai, agents: map[string]int{}, busy: []string{"emea-es", "amer-es"}, outcome: Queued, group: "emea-es", region: "APAC", tr: &Translation{From: "zh-CN", To: "en"},
			why: []string{"translated zh-CN → en", "no free agent: queued"}},
		// 19:00 UTC: only Mexico City is open.
		{name: "evening/Madrid: follow the sun west", at: evening, req: madrid, outcome: Assigned, group: "amer-es", region: "EMEA",
			why: []string{"customer's region EMEA: none open and free; follow the sun, 7h from the customer's clock"}},
		{name: "evening/Shanghai: translated to Mexico City", at: evening, req: shanghai, outcome: Assigned, group: "amer-es", region: "APAC", tr: &Translation{From: "zh-CN", To: "en"}},
		{name: "evening/Sydney in Japanese", at: evening, req: sydneyJa, outcome: Assigned, group: "amer-es", region: "APAC", tr: &Translation{From: "ja", To: "en"}},
		// Saturday: nobody open, translation or not: leave a message.
		{name: "saturday/Madrid: a message", at: saturday, req: madrid, outcome: Message, group: "emea-es", region: "EMEA",
			why: []string{"no group speaking it is open", "all closed; soonest emea-es opens Mon 09:00 CET: take a message"}},
		{name: "saturday/Sydney in Japanese: a message", at: saturday, req: sydneyJa, outcome: Message, region: "APAC",
			why: []string{"no group speaks ja", "no group to route to"}},
		// What routing knows of the customer: the country when there is no
		// time zone; the node's region first when nothing is known.
		{name: "morning/Mexican locale, no time zone: the country", at: morning, req: Request{Lang: "es-MX", Country: "MX"}, outcome: Assigned, group: "emea-es", region: "AMER",
			why: []string{"customer from MX: region AMER (by country)", "region EMEA (customer's region AMER: none open and free; follow the sun)"}},
		{name: "afternoon/nothing known: the node's region first", at: afternoon, req: Request{Lang: "es"}, outcome: Assigned, group: "emea-es",
			why: []string{"language es: exact", "group emea-es open (Wed 16:00 CET)"}},
		{name: "afternoon/UTC: no region, the nearest clock", at: afternoon, req: Request{Lang: "es", TZ: "UTC"}, outcome: Assigned, group: "emea-es",
			why: []string{"customer in UTC (Wed 15:00 UTC): no region of routing.regions serves them", "(customer in no region: follow the sun, 1h from the customer's clock)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sunRouting()
			if tc.config != nil {
				tc.config(&c)
			}
			r, _ := newRouter(t, c, newClock(tc.at))
			agents := tc.agents
			if agents == nil {
				agents = map[string]int{"emea-es": 1, "amer-es": 1, "apac-zh": 1}
			}
			for g, n := range agents {
				for i := range n {
					connectAgent(r, fmt.Sprintf("%s-%d", g, i), "A", "agent", []string{g}, &sink{})
				}
			}
			for _, g := range tc.busy {
				busy(r, g)
			}
			r.mu.Lock()
			d, g, a := r.decide(r.plan, tc.req, tc.at)
			r.mu.Unlock()
			why := strings.Join(d.Why, "\n")
			if d.Outcome != tc.outcome || d.Group != tc.group || d.CustomerRegion != tc.region {
				t.Fatalf("decision %s %q (customer region %q), want %s %q (%q); why:\n%s", d.Outcome, d.Group, d.CustomerRegion, tc.outcome, tc.group, tc.region, why)
			}
			if (tc.tr == nil) != (d.Translate == nil) || tc.tr != nil && *tc.tr != *d.Translate || d.NeedsTranslation != (tc.tr != nil) {
				t.Fatalf("translate %+v (needs %v), want %+v; why:\n%s", d.Translate, d.NeedsTranslation, tc.tr, why)
			}
			if (a != nil) != (tc.outcome == Assigned) || (a != nil && g.name != tc.group) {
				t.Fatalf("agent %v in %v for outcome %s", a, g, d.Outcome)
			}
			// The steps, in order.
			rest := why
			for _, w := range tc.why {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("step %q missing (or out of order) in:\n%s", w, why)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

// TestTranslatedChatThroughTheQueue: a chat queued for a team in another
// language reaches the agent who pulls it with the translation mark and
// the pair, and the stored decisions say why (session.Meta.Routes).
func TestTranslatedChatThroughTheQueue(t *testing.T) {
	at := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC) // Shanghai 23:00: closed
	r, st := newRouter(t, sunRouting(), newClock(at))
	busy(r, "emea-es")
	m, err := st.Create(t.Context(), session.Meta{Locale: "zh-CN", TZ: "Asia/Shanghai", Customer: session.Customer{ID: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := st.Post(t.Context(), session.Message{Session: m.ID, From: session.FromCustomer, CID: "c1", Text: "我要找人工客服"})
	if err != nil {
		t.Fatal(err)
	}
	r.route(convo.Escalation{Session: m.ID, Seq: msg.Seq, Reason: convo.ReasonRequested, Lang: "zh-CN"})
	id := m.ID
	meta, _ := st.Get(id)
	var d Decision
	if err := json.Unmarshal(meta.Route, &d); err != nil {
		t.Fatal(err)
	}
	if d.Outcome != Queued || d.Group != "emea-es" || d.Translate == nil || d.Translate.To != "en" || d.CustomerRegion != "APAC" {
		t.Fatalf("stored decision %s", meta.Route)
	}
	s := &sink{}
	connectAgent(r, "eva", "Eva", "agent", []string{"emea-es"}, s)
	if s.count() != 1 {
		t.Fatalf("assigned %d chats", s.count())
	}
	asg := s.assigned[0]
	if !asg.Decision.NeedsTranslation || asg.Decision.Translate == nil || *asg.Decision.Translate != (Translation{From: "zh-CN", To: "en"}) ||
		!strings.Contains(strings.Join(asg.Decision.Why, "; "), "needs translation zh-CN → en") {
		t.Fatalf("pulled without the translation: %+v", asg.Decision)
	}
	meta, _ = st.Get(id)
	if len(meta.Routes) != 2 {
		t.Fatalf("%d decisions stored, want the queueing and the pull", len(meta.Routes))
	}
	// The agent has no languages of their own: the group's (es, en), the
	// decision's target first, so the chat is translated into English.
	if cust, langs, ok := r.ChatLanguages(id); !ok || cust != "zh-CN" || len(langs) == 0 || langs[0] != "en" {
		t.Fatalf("chat languages %q %v %v: want the customer's zh-CN and en first", cust, langs, ok)
	}
}

// TestCanTranslateChoosesTheTeam: with a translator that lacks a pair, the
// team whose language it has gets the chat, though another is nearer.
func TestCanTranslateChoosesTheTeam(t *testing.T) {
	at := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC) // Madrid and Mexico City open
	c := sunRouting()
	c.Translation = false // the translator's presence is enough
	c.Groups[0].Languages = []string{"es"}
	c.Groups[1].Languages = []string{"pt", "es"}
	st, fs := openStores(t)
	r, err := New(Options{Config: c, Store: st, FAQ: fs, DefaultLanguage: "en", Now: newClock(at).now,
		CanTranslate: func(from, to string) bool { return from == "zh-CN" && to == "pt" }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	for _, g := range []string{"emea-es", "amer-es"} {
		connectAgent(r, g, "A", "agent", []string{g}, &sink{})
	}
	r.mu.Lock()
	d, _, _ := r.decide(r.plan, Request{Lang: "zh-CN", TZ: "Asia/Shanghai"}, at)
	r.mu.Unlock()
	if d.Outcome != Assigned || d.Group != "amer-es" || d.Translate == nil || d.Translate.To != "pt" {
		t.Fatalf("decision %+v", d)
	}
}

// TestZonePatternMatch pins the pattern semantics on IANA names.
func TestZonePatternMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, tz string
		want        bool
	}{
		{"Europe/*", "Europe/Madrid", true},
		{"Europe/*", "Europe/", true},
		{"Europe/*", "Europe", false},
		{"America/*", "America/Argentina/Buenos_Aires", true},
		{"America/*/Buenos_Aires", "America/Argentina/Buenos_Aires", true},
		{"America/*/Buenos_Aires", "America/Buenos_Aires", false},
		{"*/London", "Europe/London", true},
		{"Asia/Dubai", "Asia/Dubai", true},
		{"Asia/Dubai", "Asia/Dubai2", false},
		{"*", "UTC", true},
		{"a*a", "a", false},
		{"a*a", "aa", true},
		{"*ab*ab*", "abab", true},
		{"*ab*ab*", "aba", false},
	} {
		z, err := parseZonePattern(tc.pattern, "R")
		if err != nil {
			t.Fatal(err)
		}
		if got := z.match(tc.tz); got != tc.want {
			t.Errorf("%q matches %q: %v, want %v", tc.pattern, tc.tz, got, tc.want)
		}
	}
}

// TestDefaultRegions: the built-in map puts each zone where a merchant
// would look for it; an exact name beats a pattern of another region.
func TestDefaultRegions(t *testing.T) {
	m, err := compileRegions(config.DefaultRegions())
	if err != nil {
		t.Fatal(err)
	}
	for tz, want := range map[string]string{
		"Europe/Madrid": "EMEA", "Africa/Lagos": "EMEA", "Asia/Dubai": "EMEA", "Atlantic/Canary": "EMEA", "Indian/Mauritius": "EMEA",
		"America/Mexico_City": "AMER", "America/Argentina/Buenos_Aires": "AMER", "Pacific/Honolulu": "AMER", "US/Eastern": "AMER",
		"Asia/Shanghai": "APAC", "Australia/Sydney": "APAC", "Pacific/Auckland": "APAC", "Indian/Maldives": "APAC",
		"UTC": "", "Etc/GMT+3": "",
	} {
		if got, _ := m.zoneRegion(tz); got != want {
			t.Errorf("%s: region %q, want %q", tz, got, want)
		}
	}
	for cc, want := range map[string]string{"ES": "EMEA", "MX": "AMER", "CN": "APAC", "AU": "APAC", "ZA": "EMEA", "US": "AMER", "XX": ""} {
		if got := m.countries[cc]; got != want {
			t.Errorf("country %s: region %q, want %q", cc, got, want)
		}
	}
	// Every name in the built-in map validates, on the machine's zone
	// database too.
	c := config.Default()
	c.Routing.Regions = config.DefaultRegions()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ locale, want string }{{"es-MX", "MX"}, {"zh-Hant-TW", "TW"}, {"es-419", ""}, {"en", ""}, {"", ""}} {
		if got := countryOf(tc.locale); got != tc.want {
			t.Errorf("countryOf(%q) = %q, want %q", tc.locale, got, tc.want)
		}
	}
}

// FuzzZonePattern checks the pattern matcher against a regular expression
// built from the same pattern: they agree on every name.
func FuzzZonePattern(f *testing.F) {
	f.Add("Europe/*", "Europe/Madrid")
	f.Add("America/*/Buenos_Aires", "America/Argentina/Buenos_Aires")
	f.Add("*ab*ab*", "aba")
	f.Add("a*a", "a")
	f.Add("*", "")
	f.Add("Asia/Dubai", "Asia/Dubai")
	f.Fuzz(func(t *testing.T, pattern, tz string) {
		if !utf8.ValidString(pattern) || !utf8.ValidString(tz) {
			return // IANA names are ASCII; the regexp reads invalid bytes as U+FFFD
		}
		z, err := parseZonePattern(pattern, "R")
		if err != nil {
			if pattern != "" && !strings.Contains(pattern, "**") {
				t.Fatalf("refused %q: %v", pattern, err)
			}
			return
		}
		parts := strings.Split(pattern, "*")
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		re := regexp.MustCompile(`^(?s:` + strings.Join(parts, ".*") + `)$`)
		if got, want := z.match(tz), re.MatchString(tz); got != want {
			t.Fatalf("%q matches %q: %v, the regexp says %v", pattern, tz, got, want)
		}
	})
}

// TestWaitingChatPickedUpTranslated: a customer who left a message because
// nobody was online is picked up by the first agent of a team in another
// language who comes online while theirs is closed, translated.
func TestWaitingChatPickedUpTranslated(t *testing.T) {
	at := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC) // Shanghai 23:00: closed
	r, st := newRouter(t, sunRouting(), newClock(at))
	m, err := st.Create(t.Context(), session.Meta{Locale: "zh-CN", TZ: "Asia/Shanghai", Customer: session.Customer{ID: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := st.Post(t.Context(), session.Message{Session: m.ID, From: session.FromCustomer, CID: "c1", Text: "我要找人工客服"})
	if err != nil {
		t.Fatal(err)
	}
	handed(t, st, m.ID)
	r.route(convo.Escalation{Session: m.ID, Seq: msg.Seq, Reason: convo.ReasonRequested, Lang: "zh-CN"})
	meta, _ := st.Get(m.ID)
	if meta.Waiting == nil {
		t.Fatalf("not waiting: %s", meta.Route)
	}
	s := &sink{}
	connectAgent(r, "mia", "Mia", "agent", []string{"amer-es"}, s)
	if s.count() != 1 {
		t.Fatalf("assigned %d", s.count())
	}
	d := s.assigned[0].Decision
	why := strings.Join(d.Why, "; ")
	if d.Group != "amer-es" || d.Translate == nil || d.Translate.To != "en" || !strings.HasPrefix(why, "waiting since ") || !strings.Contains(why, "translated zh-CN → en") {
		t.Fatalf("picked up: %+v", d)
	}
}

// TestWhyWithoutATeamInTheRegion: when no team is in the customer's region
// at all the reason says so (not "none open"), and a team on the
// customer's own clock is not "0h" away.
func TestWhyWithoutATeamInTheRegion(t *testing.T) {
	c := config.Default().Routing
	c.Groups = []config.AgentGroup{{Name: "uk-en", Languages: []string{"en"}, TZ: "Europe/London", Hours: weekdays, Capacity: 2}}
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	d, err := Explain(c, "en", Request{Lang: "en-GB", TZ: "Europe/London"}, at, nil)
	if err != nil {
		t.Fatal(err)
	}
	why := strings.Join(d.Why, "; ")
	if d.Group != "uk-en" || !strings.Contains(why, "(no team in the customer's region EMEA; follow the sun: the customer's own clock)") {
		t.Fatalf("decision %s: %s", d.Group, why)
	}
}
