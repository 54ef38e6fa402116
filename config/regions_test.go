package config

import (
	"errors"
	"strings"
	"testing"
)

// TestRegionErrors: every mistake in routing.regions, and a region a group
// or the node names that the map does not have, is refused with the key
// and the value.
func TestRegionErrors(t *testing.T) {
	group := "groups:\n  - {name: a, region: %s, languages: [en], tz: UTC, capacity: 2}\n"
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"unknown zone", "regions:\n  EMEA: {zones: [Europe/Madird]}\n", []string{"routing.regions.EMEA.zones[0]", "Europe/Madird", "unknown IANA time zone"}},
		{"misspelt area", "regions:\n  EMEA: {zones: [\"Eruope/*\"]}\n", []string{"routing.regions.EMEA.zones[0]", "Eruope/*", "no IANA time zone starts with Eruope/"}},
		{"bad character", "regions:\n  EMEA: {zones: [\"Europe/[A-M]*\"]}\n", []string{"routing.regions.EMEA.zones[0]", "character '['"}},
		{"double star", "regions:\n  EMEA: {zones: [\"Europe/**\"]}\n", []string{"routing.regions.EMEA.zones[0]", "** is *"}},
		{"empty component", "regions:\n  EMEA: {zones: [\"Europe//*\"]}\n", []string{"routing.regions.EMEA.zones[0]", "empty component"}},
		{"empty zone", "regions:\n  EMEA: {zones: [\"\"]}\n", []string{"routing.regions.EMEA.zones[0]", "empty"}},
		{"zone in two regions", "regions:\n  AMER: {zones: [\"America/*\"]}\n  LATAM: {zones: [\"America/*\"]}\n", []string{"routing.regions.LATAM.zones[0]", "also in region AMER"}},
		{"bad country", "regions:\n  EMEA: {countries: [es, ESP]}\n", []string{"routing.regions.EMEA.countries[0]", "es", "routing.regions.EMEA.countries[1]", "ESP", "ISO 3166-1 alpha-2"}},
		{"country in two regions", "regions:\n  AMER: {countries: [MX]}\n  LATAM: {countries: [MX]}\n", []string{"routing.regions.LATAM.countries[0]", "also in region AMER"}},
		{"empty region", "regions:\n  EMEA: {}\n", []string{"routing.regions.EMEA", "needs zones or countries"}},
		{"bad region name", "regions:\n  \"e m e a\": {countries: [ES]}\n", []string{"routing.regions.e m e a", "want a region name"}},
		{"names differ only in case", "regions:\n  EMEA: {countries: [ES]}\n  emea: {countries: [FR]}\n", []string{"routing.regions.emea", "the same region as EMEA"}},
		{"group region not in the built-in map", strings.ReplaceAll(group, "%s", "americas"), []string{"routing.groups[0].region", "americas", "built-in map (EMEA, AMER, APAC)"}},
		{"group region not in the map", "regions:\n  EU: {zones: [\"Europe/*\"]}\n" + strings.ReplaceAll(group, "%s", "EMEA"), []string{"routing.groups[0].region", "EMEA", "routing.regions [EU]"}},
		{"node region not in the map", "region: Mars\n", []string{"routing.region", "Mars"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRouting([]byte(tc.yaml))
			var fe *FieldError
			if !errors.Is(err, ErrInvalid) || !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FieldError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestRegionsAccepted: a merchant's own map, a region named in another
// case, and the built-in map when none is given.
func TestRegionsAccepted(t *testing.T) {
	r, err := ParseRouting([]byte("region: eu\nregions:\n  EU: {zones: [\"Europe/*\", Atlantic/Canary], countries: [ES, FR]}\n  LATAM: {zones: [\"America/*\", \"*/Buenos_Aires\"]}\n" +
		"groups:\n  - {name: a, region: latam, languages: [es], tz: America/Bogota, capacity: 2}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.EffectiveRegions()) != 2 || r.EffectiveRegions()["EU"].Countries[1] != "FR" {
		t.Fatalf("regions %+v", r.EffectiveRegions())
	}
	if name, ok := RegionName(r.Regions, "latam"); !ok || name != "LATAM" {
		t.Fatalf("RegionName(latam) = %q, %v", name, ok)
	}
	d := Default().Routing
	if regs := d.EffectiveRegions(); len(regs) != 3 || regs["EMEA"].Zones[0] != "Europe/*" {
		t.Fatalf("built-in regions %v", regs)
	}
	if _, err := ParseRouting([]byte("region: apac\ngroups:\n  - {name: a, region: Emea, languages: [en], tz: UTC, capacity: 2}\n")); err != nil {
		t.Fatalf("built-in region names in another case: %v", err)
	}
}

// FuzzCheckZonePattern: any string is accepted or refused with a reason,
// never a panic; an accepted one is an IANA name or has a star.
func FuzzCheckZonePattern(f *testing.F) {
	for _, s := range []string{"Europe/*", "Europe/Madrid", "Eruope/*", "*", "**", "/", "Local", "Europe//x", "America/*/Buenos_Aires", "../../etc/passwd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		err := CheckZonePattern(p)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("refusal without a reason")
			}
			return
		}
		if strings.Contains(p, "..") || strings.Contains(p, "**") || strings.Contains(p, "//") || p == "Local" {
			t.Fatalf("accepted %q", p)
		}
	})
}
