package routing

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgedesk/edgedesk/config"
)

// zonePattern is a compiled routing.regions zone: an IANA name, or a
// pattern where * stands for any run of characters (slashes included).
type zonePattern struct {
	raw    string
	parts  []string // the literal runs between stars; one part: no star
	region string
	// weight orders matches: an exact name beats every pattern, then the
	// more literal characters the better.
	weight int
}

// parseZonePattern compiles p for region. config.CheckZonePattern has
// said whether p names real zones; this only needs the syntax to hold.
func parseZonePattern(p, region string) (zonePattern, error) {
	if p == "" || strings.Contains(p, "**") {
		return zonePattern{}, fmt.Errorf("zone pattern %q: empty, or **", p)
	}
	z := zonePattern{raw: p, parts: strings.Split(p, "*"), region: region}
	z.weight = len(p) - (len(z.parts) - 1)
	if len(z.parts) == 1 {
		z.weight += 1 << 16 // exact
	}
	return z, nil
}

// match reports whether the IANA name tz matches: the first part is a
// prefix, the last a suffix, the ones between appear in order (leftmost
// each, which finds a match whenever there is one: a star takes any run).
func (z zonePattern) match(tz string) bool {
	ps := z.parts
	if len(ps) == 1 {
		return tz == ps[0]
	}
	if !strings.HasPrefix(tz, ps[0]) {
		return false
	}
	rest := tz[len(ps[0]):]
	last := ps[len(ps)-1]
	if len(rest) < len(last) || !strings.HasSuffix(rest, last) {
		return false
	}
	rest = rest[:len(rest)-len(last)]
	for _, mid := range ps[1 : len(ps)-1] {
		i := strings.Index(rest, mid)
		if i < 0 {
			return false
		}
		rest = rest[i+len(mid):]
	}
	return true
}

// regionMap is a compiled routing.regions (or config.DefaultRegions).
type regionMap struct {
	zones     []zonePattern     // heaviest first: the first match wins
	countries map[string]string // ISO 3166-1 alpha-2 → region
	names     map[string]string // lower-case name → name as configured
}

func compileRegions(regs map[string]config.Region) (regionMap, error) {
	m := regionMap{countries: map[string]string{}, names: map[string]string{}}
	for name, reg := range regs {
		m.names[strings.ToLower(name)] = name
		for _, p := range reg.Zones {
			z, err := parseZonePattern(p, name)
			if err != nil {
				return regionMap{}, fmt.Errorf("routing.regions.%s: %w", name, err)
			}
			m.zones = append(m.zones, z)
		}
		for _, c := range reg.Countries {
			m.countries[strings.ToUpper(c)] = name
		}
	}
	// Heaviest first; equals by pattern then region, so the order never
	// depends on the map's.
	slices.SortFunc(m.zones, func(a, b zonePattern) int {
		return cmp.Or(cmp.Compare(b.weight, a.weight), cmp.Compare(a.raw, b.raw), cmp.Compare(a.region, b.region))
	})
	return m, nil
}

// canonical returns the configured spelling of a region name ("" when
// it names none, or is empty).
func (m regionMap) canonical(name string) string {
	if name == "" {
		return ""
	}
	return m.names[strings.ToLower(name)]
}

// zoneRegion returns the region serving time zone tz and the pattern that
// said so.
func (m regionMap) zoneRegion(tz string) (region, pattern string) {
	if tz == "" {
		return "", ""
	}
	for _, z := range m.zones {
		if z.match(tz) {
			return z.region, z.raw
		}
	}
	return "", ""
}

// customer is where the customer is, as far as routing can tell.
type customer struct {
	tz      string
	loc     *time.Location // nil when tz is unknown
	country string
	region  string // "" when no region serves them
	why     string // how the region was found, for the decision
}

// locate finds req's customer on the region map at now.
func (p *plan) locate(req Request, now time.Time) customer {
	c := customer{tz: req.TZ, country: req.Country}
	if req.TZ != "" {
		c.loc = location(req.TZ)
	}
	if c.loc == nil && req.Country == "" {
		return c
	}
	var b strings.Builder
	b.WriteString("customer")
	if c.loc != nil {
		b.WriteString(" in " + c.tz + " (" + now.In(c.loc).Format("Mon 15:04 MST") + ")")
		if reg, pat := p.regions.zoneRegion(c.tz); reg != "" {
			c.region = reg
			b.WriteString(": region " + reg + " (routing.regions." + reg + " " + pat + ")")
		}
	}
	if c.region == "" && c.country != "" {
		b.WriteString(" from " + c.country)
		if reg := p.regions.countries[c.country]; reg != "" {
			c.region = reg
			b.WriteString(": region " + reg + " (by country)")
		}
	}
	if c.region == "" {
		b.WriteString(": no region of routing.regions serves them")
	}
	c.why = b.String()
	return c
}

// order puts the open groups gs in the order they are offered the chat:
// the customer's region first, then follow the sun — the nearest team by
// the customer's local hour (the smallest difference between the
// customer's clock and the team's, now), this node's region first among
// equals, then the configured order. With nothing known of the customer,
// it is this node's region first, then the rest. gs is sorted in place.
func (p *plan) order(gs []*group, c customer, now time.Time) {
	if c.loc == nil && c.region == "" {
		slices.SortStableFunc(gs, func(a, b *group) int { return cmp.Compare(p.rank(a), p.rank(b)) })
		return
	}
	_, coff := now.In(time.UTC).Zone()
	if c.loc != nil {
		_, coff = now.In(c.loc).Zone()
	}
	slices.SortStableFunc(gs, func(a, b *group) int {
		return cmp.Or(
			cmp.Compare(c.home(b), c.home(a)),
			cmp.Compare(distance(a, now, coff, c.loc != nil), distance(b, now, coff, c.loc != nil)),
			cmp.Compare(p.rank(a), p.rank(b)))
	})
}

// home is 1 when g's region serves the customer's.
func (c customer) home(g *group) int {
	if c.region != "" && g.region == c.region {
		return 1
	}
	return 0
}

// rank is 0 for a group of this node's region.
func (p *plan) rank(g *group) int {
	if g.region == p.region {
		return 0
	}
	return 1
}

// distance is how far g's clock is from the customer's (offset coff, in
// seconds east) now, in seconds around the clock (at most 12 hours); 0
// when the customer's clock is unknown.
func distance(g *group, now time.Time, coff int, known bool) int {
	if !known {
		return 0
	}
	_, off := now.In(g.sched.Location()).Zone()
	d := (off - coff) % (24 * 3600)
	if d < 0 {
		d = -d
	}
	return min(d, 24*3600-d)
}

// openWhy says why open group g was offered the chat.
func (p *plan) openWhy(g *group, c customer, now time.Time) string {
	s := "group " + g.name + " open (" + now.In(g.sched.Location()).Format("Mon 15:04 MST") + ")"
	switch {
	case c.loc == nil && c.region == "":
		if g.region != "" && g.region != p.region {
			s += ", region " + g.region + " (follow the sun)"
		}
	case c.home(g) == 1:
		s += ", region " + g.region + " serves the customer's region"
	default:
		if g.region != "" {
			s += ", region " + g.region
		}
		switch {
		case c.region == "":
			s += " (customer in no region: "
		case !p.serves(c.region):
			s += " (no team in the customer's region " + c.region + "; "
		default:
			s += " (customer's region " + c.region + ": none open and free; "
		}
		if c.loc != nil {
			_, coff := now.In(c.loc).Zone()
			if d := distance(g, now, coff, true); d == 0 {
				s += "follow the sun: the customer's own clock)"
			} else {
				s += "follow the sun, " + hoursApart(d) + " from the customer's clock)"
			}
		} else {
			s += "follow the sun)"
		}
	}
	return s
}

// serves reports whether a group of the plan is in region.
func (p *plan) serves(region string) bool {
	return slices.ContainsFunc(p.groups, func(g *group) bool { return g.region == region })
}

func hoursApart(sec int) string {
	h, m := sec/3600, sec%3600/60
	if m == 0 {
		return strconv.Itoa(h) + "h"
	}
	return strconv.Itoa(h) + "h" + strconv.Itoa(m) + "m"
}

// locations caches the customers' time zones: loading one reads the zone
// database. Bounded like canons: past locationMax it stops caching.
var (
	locations   sync.Map // name → *time.Location, or nil for an unknown name
	locationLen atomic.Int64
)

const locationMax = 1024

func location(tz string) *time.Location {
	if v, ok := locations.Load(tz); ok {
		loc, _ := v.(*time.Location)
		return loc
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "Local" {
		loc = nil
	}
	if locationLen.Add(1) <= locationMax {
		locations.Store(tz, loc)
	}
	return loc
}

// countryOf returns the region subtag of a BCP 47 locale, upper-case
// (es-MX → MX, zh-Hant-TW → TW; "" when it has none).
func countryOf(locale string) string {
	for i, part := range strings.Split(locale, "-") {
		if i > 0 && len(part) == 2 && isLetters(part) {
			return strings.ToUpper(part)
		}
	}
	return ""
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
