package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Region is the part of the world a region of routing.regions serves: the
// customers whose IANA time zone matches one of Zones, or — when their
// time zone is unknown or matches no region — whose country (the region
// subtag of their locale, es-MX → MX) is in Countries.
type Region struct {
	// Zones are IANA time zone names or patterns where * stands for any
	// run of characters, slashes included: "Europe/*" takes Europe/Madrid,
	// "America/*" also America/Argentina/Buenos_Aires. When several
	// regions match a zone, an exact name wins over a pattern, and a
	// pattern with more literal characters over a shorter one
	// ("Asia/Dubai" in EMEA beats "Asia/*" in APAC).
	Zones []string `yaml:"zones"`
	// Countries are ISO 3166-1 alpha-2 codes (ES, MX, CN).
	Countries []string `yaml:"countries"`
}

// DefaultRegions is the map routing uses when routing.regions is empty:
// EMEA (Europe, the Middle East, Africa), AMER (the Americas) and APAC
// (Asia and the Pacific), by time zone and by country.
func DefaultRegions() map[string]Region {
	return map[string]Region{
		"EMEA": {
			Zones: []string{"Europe/*", "Africa/*",
				"Atlantic/Azores", "Atlantic/Canary", "Atlantic/Cape_Verde", "Atlantic/Faroe", "Atlantic/Madeira", "Atlantic/Reykjavik", "Atlantic/St_Helena",
				"Asia/Aden", "Asia/Amman", "Asia/Baghdad", "Asia/Bahrain", "Asia/Baku", "Asia/Beirut", "Asia/Damascus", "Asia/Dubai", "Asia/Famagusta",
				"Asia/Gaza", "Asia/Hebron", "Asia/Jerusalem", "Asia/Kuwait", "Asia/Muscat", "Asia/Nicosia", "Asia/Qatar", "Asia/Riyadh", "Asia/Tbilisi",
				"Asia/Tehran", "Asia/Yerevan",
				"Indian/Antananarivo", "Indian/Comoro", "Indian/Mahe", "Indian/Mauritius", "Indian/Mayotte", "Indian/Reunion"},
			Countries: strings.Fields(`AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE LI LT LU LV
				MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA
				AE AM AZ BH GE IL IQ IR JO KW LB OM PS QA SA SY TR YE
				AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR LS LY MA MG ML MR MU MW MZ
				NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TG TN TZ UG YT ZA ZM ZW`),
		},
		"AMER": {
			Zones: []string{"America/*", "US/*", "Canada/*", "Brazil/*", "Mexico/*", "Chile/*",
				"Atlantic/Bermuda", "Atlantic/South_Georgia", "Atlantic/Stanley", "Pacific/Easter", "Pacific/Galapagos", "Pacific/Honolulu"},
			Countries: strings.Fields(`AG AI AR AW BB BL BM BO BQ BR BS BZ CA CL CO CR CU CW DM DO EC FK GD GF GL GP GT GY HN HT JM KN KY LC
				MF MQ MS MX NI PA PE PM PR PY SR SV SX TC TT US UY VC VE VG VI`),
		},
		"APAC": {
			Zones: []string{"Asia/*", "Australia/*", "Pacific/*", "Indian/*"},
			Countries: strings.Fields(`AF AS AU BD BN BT CC CK CN CX FJ FM GU HK ID IN IO JP KG KH KI KP KR KZ LA LK MH MM MN MO MP MV MY
				NC NF NP NR NU NZ PF PG PH PK PN PW SB SG TH TJ TK TL TM TO TV TW UZ VN VU WF WS`),
		},
	}
}

// EffectiveRegions is routing.regions, or DefaultRegions when it is empty.
func (r *Routing) EffectiveRegions() map[string]Region {
	if len(r.Regions) == 0 {
		return DefaultRegions()
	}
	return r.Regions
}

// RegionName returns the name in regions that name stands for: regions
// are named case-insensitively (emea is EMEA). ok is false when none.
func RegionName(regions map[string]Region, name string) (string, bool) {
	if _, ok := regions[name]; ok {
		return name, true
	}
	for k := range regions {
		if strings.EqualFold(k, name) {
			return k, true
		}
	}
	return "", false
}

// tzAreas are the first components of IANA names a pattern may start
// with: a typo there ("Eruope/*") would match nobody, silently.
var tzAreas = []string{"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific", "Etc",
	"Brazil", "Canada", "Chile", "Mexico", "US"}

var (
	regionNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,31}$`)
	countryRE    = regexp.MustCompile(`^[A-Z]{2}$`)
)

// CheckZonePattern says what is wrong with a routing.regions zone: an IANA
// name (which must exist) or a pattern with * (whose area must exist).
func CheckZonePattern(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("empty")
	case len(p) > 64:
		return fmt.Errorf("longer than 64 characters")
	case strings.Contains(p, "**"):
		return fmt.Errorf("** is *: write one")
	case p[0] == '/' || p[len(p)-1] == '/' || strings.Contains(p, "//"):
		return fmt.Errorf("an empty component between slashes")
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_+-/*", c) >= 0) {
			return fmt.Errorf("character %q: want an IANA name such as Europe/Madrid, with * for any run of characters", c)
		}
	}
	if !strings.Contains(p, "*") {
		if _, err := time.LoadLocation(p); err != nil || p == "Local" {
			return fmt.Errorf("unknown IANA time zone")
		}
		return nil
	}
	area, _, _ := strings.Cut(p, "/")
	if p != "*" && !strings.Contains(area, "*") && !slices.Contains(tzAreas, area) {
		return fmt.Errorf("no IANA time zone starts with %s/: want one of %v", area, tzAreas)
	}
	return nil
}

func (c *Config) validateRegions(bad func(key string, v any, reason string)) {
	r := &c.Routing
	names := make([]string, 0, len(r.Regions))
	for name := range r.Regions {
		names = append(names, name)
	}
	slices.Sort(names) // errors in a stable order
	zoneOwner, countryOwner, folded := map[string]string{}, map[string]string{}, map[string]string{}
	for _, name := range names {
		reg := r.Regions[name]
		key := "routing.regions." + name
		if !regionNameRE.MatchString(name) {
			bad(key, name, "want a region name such as EMEA: a letter, then letters, digits, _ or -, at most 32")
		}
		if other, dup := folded[strings.ToLower(name)]; dup {
			bad(key, name, "the same region as "+other+": names are case-insensitive")
		}
		folded[strings.ToLower(name)] = name
		if len(reg.Zones) == 0 && len(reg.Countries) == 0 {
			bad(key, name, "a region needs zones or countries")
		}
		for j, z := range reg.Zones {
			zk := fmt.Sprintf("%s.zones[%d]", key, j)
			if err := CheckZonePattern(z); err != nil {
				bad(zk, z, err.Error())
			} else if other, dup := zoneOwner[z]; dup {
				bad(zk, z, "also in region "+other+": a zone belongs to one region")
			}
			zoneOwner[z] = name
		}
		for j, cc := range reg.Countries {
			ck := fmt.Sprintf("%s.countries[%d]", key, j)
			if !countryRE.MatchString(cc) {
				bad(ck, cc, "want an ISO 3166-1 alpha-2 code in capitals, such as ES")
			} else if other, dup := countryOwner[cc]; dup {
				bad(ck, cc, "also in region "+other+": a country belongs to one region")
			}
			countryOwner[cc] = name
		}
	}
	regions := r.EffectiveRegions()
	known := func() string {
		if len(r.Regions) == 0 {
			return "want a region of the built-in map (EMEA, AMER, APAC) or define routing.regions"
		}
		return fmt.Sprintf("want a region of routing.regions %v", names)
	}
	if r.Region != "" {
		if _, ok := RegionName(regions, r.Region); !ok {
			bad("routing.region", r.Region, known())
		}
	}
	for i, g := range r.Groups {
		if g.Region == "" {
			continue
		}
		if _, ok := RegionName(regions, g.Region); !ok {
			bad(fmt.Sprintf("routing.groups[%d].region", i), g.Region, known())
		}
	}
}
