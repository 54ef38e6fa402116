package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Routing configures how conversations the bot hands over reach people:
// agent groups, their hours, and the rules that pick one. SIGHUP reloads it
// (with the rest of the file) without dropping chats.
type Routing struct {
	// Region is this node's region: groups in it are preferred when
	// several are open (follow-the-sun goes to other regions after).
	Region string `yaml:"region"`
	// Regions map region names (the groups' region, Region above) to the
	// customers' time zones and countries they serve: a chat goes first to
	// an open group of the customer's region, then follows the sun. Empty:
	// DefaultRegions (EMEA, AMER, APAC). Region names are case-insensitive.
	Regions map[string]Region `yaml:"regions"`
	// Groups of human agents. Empty: escalations get "no team" messages.
	Groups []AgentGroup `yaml:"groups"`
	// Rules are the merchant's rules, tried first, in order.
	Rules []RoutingRule `yaml:"rules"`
	// IntentSkills maps an intent to the skill its chats need.
	IntentSkills map[string]string `yaml:"intent_skills"`
	// FallbackLanguage is tried when no group speaks the customer's
	// language; such chats are marked "needs translation". Empty: none.
	FallbackLanguage string `yaml:"fallback_language"`
	// Translation says a translator serves chats (issue 17's translation
	// engine): when no group speaking the customer's language is open
	// with anyone online, an open group in another language takes the
	// chat, marked "needs translation" with the pair — one with a free
	// agent before the queue of a group of the language opening within
	// OpensSoon, one with anyone online before a message is taken.
	Translation bool `yaml:"translation"`
	// OpensSoon: when no matching group is open, a chat waits in the queue
	// of one that opens within this; otherwise the customer is told when
	// the team opens and may leave a message.
	OpensSoon time.Duration `yaml:"opens_soon"`
	// HandleTime is the average chat length, for queue ETAs.
	HandleTime time.Duration `yaml:"handle_time"`
	// AgentGrace: the chats of an agent whose connection is lost go back to
	// the queue if it is not back within this.
	AgentGrace time.Duration `yaml:"agent_grace"`
	// FirstResponseTimeout: a chat whose agent has not written in it
	// within this after it was assigned goes back to the front of its
	// group's queue and to another agent (0: off, the default).
	FirstResponseTimeout time.Duration `yaml:"first_response_timeout"`
	// TierPriority orders the queue: a higher number goes first (the
	// customer's tier comes from the widget token).
	TierPriority map[string]int `yaml:"tier_priority"`
	// TrustHeaders lists the request headers the node may take a customer's
	// locale, time zone or country from when hello lacks them:
	// accept-language, cloudfront (CloudFront-Viewer-Time-Zone and
	// -Country), cloudflare (CF-IPCountry). Trust CDN headers only behind
	// that CDN. x-forwarded-proto (also implied by cloudfront and
	// cloudflare) lets a TLS-terminating proxy in front say the browser
	// used HTTPS, so the staff sign-in cookie is marked Secure.
	TrustHeaders []string `yaml:"trust_headers"`
}

// AgentGroup is a team of agents.
type AgentGroup struct {
	Name   string `yaml:"name"`
	Region string `yaml:"region"`
	// Languages the group answers in (BCP 47: es, es-MX, zh-Hant).
	Languages []string `yaml:"languages"`
	// Skills the group has (refunds, electronics, …).
	Skills []string `yaml:"skills"`
	// TZ is the IANA time zone its hours are in.
	TZ string `yaml:"tz"`
	// Hours: weekday (mon…sun) → ranges "09:00-13:00"; several ranges
	// are split shifts; "22:00-02:00" crosses midnight.
	Hours map[string][]string `yaml:"hours"`
	// Holidays ("YYYY-MM-DD", local) are closed; Overrides replace a
	// date's hours (an empty list closes it).
	Holidays  []string            `yaml:"holidays"`
	Overrides map[string][]string `yaml:"overrides"`
	// Capacity is the most concurrent chats per agent.
	Capacity int `yaml:"capacity"`
	// Overflow names the group that takes chats this one has no room for.
	Overflow string `yaml:"overflow"`
}

// RoutingRule sends chats whose text matches to a group.
type RoutingRule struct {
	Name string `yaml:"name"`
	// Regexp (RE2 syntax) or Keywords (any, case-insensitive) must match
	// the customer's last message.
	Regexp   string   `yaml:"regexp"`
	Keywords []string `yaml:"keywords"`
	Group    string   `yaml:"group"`
}

func defaultRouting() Routing {
	return Routing{
		OpensSoon:    30 * time.Minute,
		HandleTime:   5 * time.Minute,
		AgentGrace:   30 * time.Second,
		TierPriority: map[string]int{"vip": 100},
	}
}

var trustable = []string{"accept-language", "cloudfront", "cloudflare", "x-forwarded-proto"}

func (c *Config) validateRouting(bad func(key string, v any, reason string)) {
	r := &c.Routing
	names := map[string]bool{}
	for i, g := range r.Groups {
		key := fmt.Sprintf("routing.groups[%d]", i)
		if !nameRE.MatchString(strings.ReplaceAll(g.Name, "-", "_")) {
			bad(key+".name", g.Name, "want [a-z][a-z0-9_-]*")
		} else if names[g.Name] {
			bad(key+".name", g.Name, "duplicate group name")
		}
		names[g.Name] = true
		if len(g.Languages) == 0 {
			bad(key+".languages", g.Languages, "a group needs at least one language")
		}
		for j, l := range g.Languages {
			if !langRE.MatchString(l) {
				bad(fmt.Sprintf("%s.languages[%d]", key, j), l, "want a BCP 47 tag")
			}
		}
		if g.TZ == "" {
			bad(key+".tz", g.TZ, "want an IANA time zone such as Europe/London")
		} else if _, err := time.LoadLocation(g.TZ); err != nil {
			bad(key+".tz", g.TZ, "unknown IANA time zone")
		}
		if g.Capacity < 1 || g.Capacity > 100 {
			bad(key+".capacity", g.Capacity, "want 1 to 100 chats per agent")
		}
	}
	for i, g := range r.Groups {
		if g.Overflow != "" && (!names[g.Overflow] || g.Overflow == g.Name) {
			bad(fmt.Sprintf("routing.groups[%d].overflow", i), g.Overflow, "must name another group")
		}
	}
	for i, rule := range r.Rules {
		key := fmt.Sprintf("routing.rules[%d]", i)
		if (rule.Regexp == "") == (len(rule.Keywords) == 0) {
			bad(key, rule.Name, "needs regexp or keywords (one of them)")
		}
		if rule.Regexp != "" {
			if _, err := regexp.Compile(rule.Regexp); err != nil {
				bad(key+".regexp", rule.Regexp, err.Error())
			}
		}
		if !names[rule.Group] {
			bad(key+".group", rule.Group, "no such group")
		}
	}
	c.validateRegions(bad)
	if r.FallbackLanguage != "" && !langRE.MatchString(r.FallbackLanguage) {
		bad("routing.fallback_language", r.FallbackLanguage, "want a BCP 47 tag or empty")
	}
	if r.OpensSoon < 0 || r.OpensSoon > 7*24*time.Hour {
		bad("routing.opens_soon", r.OpensSoon, "want 0 to 168h")
	}
	if r.HandleTime < time.Second {
		bad("routing.handle_time", r.HandleTime, "must be at least 1s")
	}
	if r.AgentGrace < 0 || r.AgentGrace > time.Hour {
		bad("routing.agent_grace", r.AgentGrace, "want 0 to 1h")
	}
	// An agent needs time to read the history and type a first line; a
	// shorter deadline would take chats from agents who are answering.
	if r.FirstResponseTimeout != 0 && (r.FirstResponseTimeout < 10*time.Second || r.FirstResponseTimeout > 24*time.Hour) {
		bad("routing.first_response_timeout", r.FirstResponseTimeout, "want 0 (off) or 10s to 24h: an agent needs time to read the chat and type a first line")
	}
	for i, h := range r.TrustHeaders {
		if !oneOf(h, trustable) {
			bad(fmt.Sprintf("routing.trust_headers[%d]", i), h, fmt.Sprintf("want one of %v", trustable))
		}
	}
}

// ParseRouting decodes a routing section (what follows routing: in the
// configuration file, as its own YAML document) over the defaults and
// validates it; the core sends nodes their routing this way.
func ParseRouting(data []byte) (Routing, error) {
	c := Default()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c.Routing); err != nil && !errors.Is(err, io.EOF) {
		return Routing{}, fmt.Errorf("%w: routing: %v", ErrInvalid, err)
	}
	var errs []error
	c.validateRouting(func(key string, v any, reason string) {
		errs = append(errs, &FieldError{Key: key, Value: v, Reason: reason})
	})
	if err := errors.Join(errs...); err != nil {
		return Routing{}, err
	}
	return c.Routing, nil
}
