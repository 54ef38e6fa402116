package config

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseRouting feeds any routing document — a routing file, or the
// routing object the core sends every node — to ParseRouting. It never
// panics; a refusal names what is wrong; what it accepts makes a
// configuration that validates.
func FuzzParseRouting(f *testing.F) {
	f.Add([]byte("groups:\n  - {name: a, languages: [en], tz: Europe/London, hours: {mon: [\"09:00-17:00\"]}, capacity: 2}\nopens_soon: 10m\n"))
	f.Add([]byte("groups:\n  - {name: a, languages: [en], tz: Nowhere/City, capacity: 2}\n"))
	f.Add([]byte("gropus: []\n"))
	f.Add([]byte("groups: &a [*a]\n"))
	f.Add([]byte("a: &a [x,x,x,x]\nb: &b [*a,*a,*a,*a]\nc: [*b,*b,*b,*b]\n"))
	f.Add([]byte(`{"groups":[{"name":"b","languages":["es"],"tz":"America/Mexico_City","hours":{"sun":["00:00-24:00"]},"capacity":-1}]}`))
	f.Add([]byte("groups:\n  - name: \"\\u202e\"\n    languages: [\"\"]\n"))
	f.Add([]byte("region: emea\nregions:\n  EMEA: {zones: [\"Europe/*\", Asia/Dubai], countries: [ES]}\n  X: {zones: [\"Eruope/*\", \"**\"]}\ntranslation: true\n"))
	f.Add([]byte(strings.Repeat("[", 5000)))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRouting(data)
		if err != nil {
			var fe *FieldError
			if !errors.Is(err, ErrInvalid) && !errors.As(err, &fe) {
				t.Fatalf("refusal %v is neither ErrInvalid nor a FieldError", err)
			}
			if err.Error() == "" {
				t.Fatal("refusal without a message")
			}
			return
		}
		c := Default()
		c.Routing = r
		if verr := c.Validate(); verr != nil {
			t.Fatalf("ParseRouting accepted routing that does not validate: %v", verr)
		}
	})
}
