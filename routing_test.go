package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgedesk/edgedesk/node/routing"
)

// sunYAML: teams in Madrid, Mexico City and Shanghai, 09:00-18:00 on
// weekdays, on the built-in region map, with a translator.
const sunYAML = `routing:
  region: EMEA
  translation: true
  groups:
    - {name: emea-es, region: EMEA, languages: [es, en], tz: Europe/Madrid, hours: &week {mon: ["09:00-18:00"], tue: ["09:00-18:00"], wed: ["09:00-18:00"], thu: ["09:00-18:00"], fri: ["09:00-18:00"]}, capacity: 2}
    - {name: amer-es, region: AMER, languages: [es, en], tz: America/Mexico_City, hours: *week, capacity: 2}
    - {name: apac-zh, region: APAC, languages: [zh, en], tz: Asia/Shanghai, hours: *week, capacity: 2}
`

// TestRoutingExplain: the dry run prints where a customer would go and
// every step of why, as text and as the stored JSON; -busy and -offline
// change the staffing; bad flags are usage errors naming the flag.
func TestRoutingExplain(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "sun.yaml")
	os.WriteFile(cfg, []byte(sunYAML), 0o600)
	ctx := context.Background()
	var out strings.Builder
	// Shanghai at 23:00 (15:00 UTC): its team is closed; Madrid's clock is
	// the nearest, translated.
	if err := run(ctx, []string{"routing", "explain", "-config", cfg, "-lang", "zh-CN", "-tz", "Asia/Shanghai", "-at", "2026-12-02T15:00:00Z"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"2026-12-02 15:00:00 UTC  assigned  group emea-es  agent (an agent of emea-es)  needs translation zh-CN → en  customer region APAC\n",
		"  - customer in Asia/Shanghai (Wed 23:00 CST): region APAC",
		"follow the sun, 7h from the customer's clock), speaks en: translated zh-CN → en",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("explain printed:\n%s\nwithout %q", out.String(), want)
		}
	}
	// The Madrid team full and Mexico City's empty: the translated queue.
	out.Reset()
	if err := run(ctx, []string{"routing", "explain", "-config", cfg, "-lang", "zh-CN", "-tz", "Asia/Shanghai", "-at", "2026-12-02T15:00:00Z",
		"-busy", "emea-es", "-offline", "amer-es", "-json"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var d routing.Decision
	if err := json.Unmarshal([]byte(out.String()), &d); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if d.Outcome != routing.Queued || d.Group != "emea-es" || d.Translate == nil || d.Translate.To != "en" {
		t.Fatalf("decision %s", out.String())
	}
	// A Mexican locale without a zone: the country decides the region.
	out.Reset()
	if err := run(ctx, []string{"routing", "explain", "-config", cfg, "-lang", "es-MX", "-at", "2026-12-02T15:00:00Z"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "group amer-es") || !strings.Contains(out.String(), "customer from MX: region AMER (by country)") {
		t.Fatalf("explain printed:\n%s", out.String())
	}
	var ue usageError
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"routing"}, "usage: edgedesk routing explain"},
		{[]string{"routing", "explain", "-config", cfg}, "-lang is required"},
		{[]string{"routing", "explain", "-config", cfg, "-lang", "es", "-tz", "Mars/Base"}, `-tz "Mars/Base"`},
		{[]string{"routing", "explain", "-config", cfg, "-lang", "es", "-at", "tomorrow"}, `-at "tomorrow"`},
		{[]string{"routing", "explain", "-config", cfg, "-lang", "es", "-country", "mx"}, `-country "mx"`},
		{[]string{"routing", "explain", "-config", cfg, "-lang", "es", "-busy", "nope"}, `no group "nope"`},
		{[]string{"routing", "explain", "-config", cfg, "-lang", "es", "-busy", "emea-es", "-offline", "emea-es"}, "named twice"},
	} {
		err := run(ctx, tc.args, io.Discard, io.Discard)
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want a usage error with %q", tc.args, err, tc.want)
		}
	}
}
