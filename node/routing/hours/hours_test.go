package hours

import (
	"testing"
	"time"
)

func mustCompile(t testing.TB, spec Spec) *Schedule {
	t.Helper()
	s, err := Compile(spec)
	if err != nil {
		t.Fatalf("Compile(%+v): %v", spec, err)
	}
	return s
}

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

// utc returns an explicit instant; tests spell instants in UTC so that no
// test depends on how time.Date resolves a local time on a transition day.
func utc(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

var (
	weekdays9to5 = map[string][]string{
		"mon": {"09:00-17:00"}, "tue": {"09:00-17:00"}, "wed": {"09:00-17:00"},
		"thu": {"09:00-17:00"}, "fri": {"09:00-17:00"},
	}
	allDay = map[string][]string{
		"mon": {"00:00-24:00"}, "tue": {"00:00-24:00"}, "wed": {"00:00-24:00"},
		"thu": {"00:00-24:00"}, "fri": {"00:00-24:00"}, "sat": {"00:00-24:00"}, "sun": {"00:00-24:00"},
	}
)

func TestOpenAt(t *testing.T) {
	type probe struct {
		at   time.Time
		open bool
	}
	tests := []struct {
		name   string
		spec   Spec
		probes []probe
	}{
		{
			name: "Mexico City keeps UTC-6 all year (no DST since 2022)",
			spec: Spec{TZ: "America/Mexico_City", Weekly: map[string][]string{
				"mon": {"09:00-18:00"}, "sat": {"10:00-14:00"},
			}},
			probes: []probe{
				{utc(2026, 4, 13, 14, 59, 59), false}, // Mon 08:59:59 CST; with the old DST it would be 09:59:59
				{utc(2026, 4, 13, 15, 0, 0), true},    // Mon 09:00
				{utc(2026, 7, 13, 23, 59, 59), true},  // Mon 17:59:59
				{utc(2026, 7, 14, 0, 0, 0), false},    // Mon 18:00
				{utc(2026, 1, 12, 15, 0, 0), true},    // Mon 09:00 in winter: same offset
				{utc(2026, 4, 18, 16, 0, 0), true},    // Sat 10:00
				{utc(2026, 4, 19, 16, 0, 0), false},   // Sun
			},
		},
		{
			name: "Kolkata +05:30",
			spec: Spec{TZ: "Asia/Kolkata", Weekly: map[string][]string{"mon": {"09:30-18:00"}}},
			probes: []probe{
				{utc(2026, 2, 2, 3, 59, 59), false},
				{utc(2026, 2, 2, 4, 0, 0), true}, // 09:30 IST
				{utc(2026, 2, 2, 12, 29, 59), true},
				{utc(2026, 2, 2, 12, 30, 0), false}, // 18:00 IST
			},
		},
		{
			name: "Kathmandu +05:45",
			spec: Spec{TZ: "Asia/Kathmandu", Weekly: map[string][]string{
				"sun": {"10:00-17:00"}, "mon": {"10:00-17:00"},
			}},
			probes: []probe{
				{utc(2026, 2, 1, 4, 14, 59), false},
				{utc(2026, 2, 1, 4, 15, 0), true}, // Sun 10:00 NPT
				{utc(2026, 2, 1, 11, 14, 59), true},
				{utc(2026, 2, 1, 11, 15, 0), false}, // 17:00
				{utc(2026, 1, 31, 5, 0, 0), false},  // Saturday
			},
		},
		{
			name: "split shift",
			spec: Spec{TZ: "UTC", Weekly: map[string][]string{"mon": {"14:00-18:00", "09:00-13:00"}}},
			probes: []probe{
				{utc(2026, 3, 2, 8, 59, 59), false},
				{utc(2026, 3, 2, 9, 0, 0), true},
				{utc(2026, 3, 2, 12, 59, 59), true},
				{utc(2026, 3, 2, 13, 0, 0), false},
				{utc(2026, 3, 2, 13, 30, 0), false},
				{utc(2026, 3, 2, 14, 0, 0), true},
				{utc(2026, 3, 2, 18, 0, 0), false},
			},
		},
		{
			name: "Friday 22:00-02:00 runs into Saturday",
			spec: Spec{TZ: "America/Mexico_City", Weekly: map[string][]string{"fri": {"22:00-02:00"}}},
			probes: []probe{
				{utc(2026, 5, 9, 3, 59, 59), false}, // Fri 21:59:59
				{utc(2026, 5, 9, 4, 0, 0), true},    // Fri 22:00
				{utc(2026, 5, 9, 7, 0, 0), true},    // Sat 01:00
				{utc(2026, 5, 9, 7, 59, 59), true},  // Sat 01:59:59
				{utc(2026, 5, 9, 8, 0, 0), false},   // Sat 02:00
				{utc(2026, 5, 9, 8, 30, 0), false},  // Sat 02:30
				{utc(2026, 5, 10, 7, 0, 0), false},  // Sun 01:00
			},
		},
		{
			name: "whole day, and 24:00 as an end",
			spec: Spec{TZ: "UTC", Weekly: map[string][]string{"tue": {"00:00-24:00"}, "wed": {"20:00-24:00"}}},
			probes: []probe{
				{utc(2026, 3, 2, 23, 59, 59), false},
				{utc(2026, 3, 3, 0, 0, 0), true},
				{utc(2026, 3, 3, 23, 59, 59), true},
				{utc(2026, 3, 4, 0, 0, 0), false},
				{utc(2026, 3, 4, 20, 0, 0), true},
				{utc(2026, 3, 4, 23, 59, 59), true},
				{utc(2026, 3, 5, 0, 0, 0), false},
			},
		},
		{
			name: "holidays close, overrides shorten and beat holidays",
			spec: Spec{
				TZ:       "Europe/London",
				Weekly:   weekdays9to5,
				Holidays: []string{"2026-12-25", "2026-12-31", "2027-01-01"},
				Overrides: map[string][]string{
					"2026-12-24": {"09:00-13:00"},
					"2026-12-31": {"10:00-12:00"}, // also a holiday: the override wins
					"2026-12-26": {"10:00-14:00"}, // a Saturday opened
				},
			},
			probes: []probe{
				{utc(2026, 12, 23, 16, 0, 0), true},   // ordinary Wednesday
				{utc(2026, 12, 24, 12, 0, 0), true},   // short day
				{utc(2026, 12, 24, 14, 0, 0), false},  // … closed after 13:00
				{utc(2026, 12, 25, 10, 0, 0), false},  // holiday
				{utc(2026, 12, 26, 11, 0, 0), true},   // Saturday override
				{utc(2026, 12, 31, 9, 30, 0), false},  // override hours, not weekly
				{utc(2026, 12, 31, 11, 0, 0), true},   // override beats holiday
				{utc(2026, 12, 31, 12, 0, 0), false},  //
				{utc(2027, 1, 1, 10, 0, 0), false},    // holiday
				{utc(2027, 1, 4, 9, 0, 0), true},      // back to weekly
				{utc(2027, 12, 24, 15, 0, 0), true},   // dates are not yearly
				{utc(2025, 12, 25, 10, 0, 0), true},   // …in either direction
				{utc(2026, 12, 24, 12, 59, 59), true}, //
			},
		},
		{
			name: "a shift running into a holiday runs to its end; none starts on it",
			spec: Spec{
				TZ:       "UTC",
				Weekly:   map[string][]string{"thu": {"20:00-02:00"}, "fri": {"20:00-02:00"}},
				Holidays: []string{"2026-12-25"}, // Friday
			},
			probes: []probe{
				{utc(2026, 12, 24, 21, 0, 0), true},  // Thu evening
				{utc(2026, 12, 25, 1, 0, 0), true},   // Thu's shift, now on the holiday
				{utc(2026, 12, 25, 2, 0, 0), false},  //
				{utc(2026, 12, 25, 21, 0, 0), false}, // Fri's shift does not start
				{utc(2026, 12, 26, 1, 0, 0), false},  // … so it does not run into Saturday either
			},
		},
		{
			name: "an override's shift runs past midnight into a holiday",
			spec: Spec{
				TZ:        "UTC",
				Holidays:  []string{"2026-12-25"},
				Overrides: map[string][]string{"2026-12-24": {"18:00-03:00"}},
			},
			probes: []probe{
				{utc(2026, 12, 24, 18, 0, 0), true},
				{utc(2026, 12, 25, 2, 59, 59), true},
				{utc(2026, 12, 25, 3, 0, 0), false},
			},
		},
		{
			name: "closed override next to a weekly shift running into it",
			spec: Spec{
				TZ:        "UTC",
				Weekly:    map[string][]string{"thu": {"22:00-04:00"}, "fri": {"09:00-17:00"}},
				Overrides: map[string][]string{"2026-12-25": {}},
			},
			probes: []probe{
				{utc(2026, 12, 25, 3, 0, 0), true}, // Thursday's shift
				{utc(2026, 12, 25, 10, 0, 0), false},
			},
		},
		{
			name: "group in Los Angeles, customer in Auckland a day ahead",
			spec: Spec{TZ: "America/Los_Angeles", Weekly: weekdays9to5},
			probes: []probe{
				// Tue 09:00 NZST = Mon 14:00 PDT.
				{time.Date(2026, 6, 16, 9, 0, 0, 0, mustLoad(t, "Pacific/Auckland")), true},
				// Tue 13:00 NZST = Mon 18:00 PDT.
				{time.Date(2026, 6, 16, 13, 0, 0, 0, mustLoad(t, "Pacific/Auckland")), false},
				// Mon 08:00 NZST = Sun 13:00 PDT.
				{time.Date(2026, 6, 15, 8, 0, 0, 0, mustLoad(t, "Pacific/Auckland")), false},
				// Sat 04:00 NZST = Fri 09:00 PDT.
				{time.Date(2026, 6, 20, 4, 0, 0, 0, mustLoad(t, "Pacific/Auckland")), true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustCompile(t, tt.spec)
			for _, p := range tt.probes {
				if got := s.OpenAt(p.at); got != p.open {
					t.Errorf("OpenAt(%v = %v local) = %v, want %v", p.at.UTC(), p.at.In(s.Location()), got, p.open)
				}
			}
		})
	}
}

// TestDaylightSaving pins the behaviour doc.go describes on transition
// days: each case gives the instants (UTC) at which the range opens and
// closes, and instants inside the repeated or skipped hour.
func TestDaylightSaving(t *testing.T) {
	type probe struct {
		at   time.Time
		open bool
	}
	tests := []struct {
		name        string
		tz          string
		weekly      map[string][]string
		opens       time.Time // first open instant (zero: never opens in the window)
		closes      time.Time // first closed instant after opens
		probes      []probe
		realLength  time.Duration // closes-opens, when opens is set
		windowStart time.Time     // for the "never opens" case
	}{
		{
			name:   "NY spring forward: shift starting 02:30 opens at the jump, 03:00 EDT",
			tz:     "America/New_York",
			weekly: map[string][]string{"sun": {"02:30-10:00"}},
			opens:  utc(2026, 3, 8, 7, 0, 0), // 03:00 EDT
			closes: utc(2026, 3, 8, 14, 0, 0),
			probes: []probe{
				{utc(2026, 3, 8, 6, 30, 0), false},  // 01:30 EST: what time.Date(…02:30…) returns
				{utc(2026, 3, 8, 6, 59, 59), false}, // 01:59:59 EST
			},
			realLength: 7 * time.Hour,
		},
		{
			name:       "NY spring forward: shift ending 02:30 closes at the jump",
			tz:         "America/New_York",
			weekly:     map[string][]string{"sat": {"22:00-02:30"}},
			opens:      utc(2026, 3, 8, 3, 0, 0), // Sat 22:00 EST
			closes:     utc(2026, 3, 8, 7, 0, 0), // 03:00 EDT
			realLength: 4 * time.Hour,
		},
		{
			name:        "NY spring forward: a range inside the gap never opens",
			tz:          "America/New_York",
			weekly:      map[string][]string{"sun": {"02:10-02:40"}},
			windowStart: utc(2026, 3, 8, 5, 0, 0),
			probes: []probe{
				{utc(2026, 3, 8, 6, 59, 59), false},
				{utc(2026, 3, 8, 7, 0, 0), false},
				{utc(2026, 3, 8, 7, 10, 0), false},
			},
		},
		{
			name:       "NY spring forward: the whole day lasts 23 hours",
			tz:         "America/New_York",
			weekly:     map[string][]string{"sun": {"00:00-24:00"}},
			opens:      utc(2026, 3, 8, 5, 0, 0),
			closes:     utc(2026, 3, 9, 4, 0, 0),
			realLength: 23 * time.Hour,
		},
		{
			name:       "NY spring forward: 09:00-17:00 keeps its 8 hours",
			tz:         "America/New_York",
			weekly:     map[string][]string{"sun": {"09:00-17:00"}},
			opens:      utc(2026, 3, 8, 13, 0, 0),
			closes:     utc(2026, 3, 8, 21, 0, 0),
			realLength: 8 * time.Hour,
		},
		{
			name:   "NY fall back: shift ending 01:30 closes at the first 01:30 and stays closed",
			tz:     "America/New_York",
			weekly: map[string][]string{"sat": {"22:00-01:30"}},
			opens:  utc(2026, 11, 1, 2, 0, 0),  // Sat 22:00 EDT
			closes: utc(2026, 11, 1, 5, 30, 0), // 01:30 EDT
			probes: []probe{
				{utc(2026, 11, 1, 6, 0, 0), false},  // 01:00 EST, second time round
				{utc(2026, 11, 1, 6, 15, 0), false}, // 01:15 EST
				{utc(2026, 11, 1, 6, 30, 0), false}, // 01:30 EST: what a second-occurrence reading would close at
			},
			realLength: 3*time.Hour + 30*time.Minute,
		},
		{
			name:   "NY fall back: shift starting 01:30 opens at the first 01:30 and runs through the repeat",
			tz:     "America/New_York",
			weekly: map[string][]string{"sun": {"01:30-05:00"}},
			opens:  utc(2026, 11, 1, 5, 30, 0), // 01:30 EDT
			closes: utc(2026, 11, 1, 10, 0, 0), // 05:00 EST
			probes: []probe{
				{utc(2026, 11, 1, 6, 0, 0), true},  // 01:00 EST
				{utc(2026, 11, 1, 6, 15, 0), true}, // 01:15 EST: before 01:30 on the clock, but the shift began
			},
			realLength: 4*time.Hour + 30*time.Minute,
		},
		{
			name:   "NY fall back: a range inside the repeated hour runs once",
			tz:     "America/New_York",
			weekly: map[string][]string{"sun": {"01:00-01:45"}},
			opens:  utc(2026, 11, 1, 5, 0, 0),
			closes: utc(2026, 11, 1, 5, 45, 0),
			probes: []probe{
				{utc(2026, 11, 1, 6, 15, 0), false}, // 01:15 EST
			},
			realLength: 45 * time.Minute,
		},
		{
			name:   "NY fall back: a range holding 01:00-02:00 is open in both occurrences",
			tz:     "America/New_York",
			weekly: map[string][]string{"sun": {"00:00-03:00"}},
			opens:  utc(2026, 11, 1, 4, 0, 0),
			closes: utc(2026, 11, 1, 8, 0, 0), // 03:00 EST
			probes: []probe{
				{utc(2026, 11, 1, 5, 30, 0), true}, // 01:30 EDT
				{utc(2026, 11, 1, 6, 30, 0), true}, // 01:30 EST
			},
			realLength: 4 * time.Hour,
		},
		{
			name:       "NY fall back: 22:00-02:00 into the set-back night lasts 5 hours",
			tz:         "America/New_York",
			weekly:     map[string][]string{"sat": {"22:00-02:00"}},
			opens:      utc(2026, 11, 1, 2, 0, 0),
			closes:     utc(2026, 11, 1, 7, 0, 0), // 02:00 EST
			realLength: 5 * time.Hour,
		},
		{
			name:       "NY fall back: the whole day lasts 25 hours",
			tz:         "America/New_York",
			weekly:     map[string][]string{"sun": {"00:00-24:00"}},
			opens:      utc(2026, 11, 1, 4, 0, 0),
			closes:     utc(2026, 11, 2, 5, 0, 0),
			realLength: 25 * time.Hour,
		},
		{
			name:   "London spring forward: shift starting 01:30 opens at 02:00 BST",
			tz:     "Europe/London",
			weekly: map[string][]string{"sun": {"01:30-09:00"}},
			opens:  utc(2026, 3, 29, 1, 0, 0), // 02:00 BST (time.Date would say 02:30 BST)
			closes: utc(2026, 3, 29, 8, 0, 0),
			probes: []probe{
				{utc(2026, 3, 29, 0, 59, 59), false},
			},
			realLength: 7 * time.Hour,
		},
		{
			name:   "London fall back: shift ending 01:30 closes at the first 01:30 (BST)",
			tz:     "Europe/London",
			weekly: map[string][]string{"sun": {"00:00-01:30"}},
			opens:  utc(2026, 10, 24, 23, 0, 0), // 00:00 BST
			closes: utc(2026, 10, 25, 0, 30, 0), // 01:30 BST (time.Date would say 01:30 GMT)
			probes: []probe{
				{utc(2026, 10, 25, 1, 15, 0), false}, // 01:15 GMT
			},
			realLength: 90 * time.Minute,
		},
		{
			name:   "Lord Howe set back 30 minutes: shift starting 01:45 runs through the repeat",
			tz:     "Australia/Lord_Howe",
			weekly: map[string][]string{"sun": {"01:45-06:00"}},
			opens:  utc(2026, 4, 4, 14, 45, 0), // 01:45 +11
			closes: utc(2026, 4, 4, 19, 30, 0), // 06:00 +10:30
			probes: []probe{
				{utc(2026, 4, 4, 15, 0, 0), true},  // 01:30 +10:30
				{utc(2026, 4, 4, 15, 20, 0), true}, // 01:50 +10:30
			},
			realLength: 4*time.Hour + 45*time.Minute,
		},
		{
			name:   "Lord Howe set back: shift ending 01:45 does not reopen",
			tz:     "Australia/Lord_Howe",
			weekly: map[string][]string{"sat": {"20:00-01:45"}},
			opens:  utc(2026, 4, 4, 9, 0, 0),   // Sat 20:00 +11
			closes: utc(2026, 4, 4, 14, 45, 0), // 01:45 +11
			probes: []probe{
				{utc(2026, 4, 4, 15, 5, 0), false}, // 01:35 +10:30
			},
			realLength: 5*time.Hour + 45*time.Minute,
		},
		{
			name:       "Lord Howe set forward 30 minutes: shift starting 02:15 opens at 02:30",
			tz:         "Australia/Lord_Howe",
			weekly:     map[string][]string{"sun": {"02:15-08:00"}},
			opens:      utc(2026, 10, 3, 15, 30, 0), // 02:30 +11
			closes:     utc(2026, 10, 3, 21, 0, 0),  // 08:00 +11
			probes:     []probe{{utc(2026, 10, 3, 15, 29, 59), false}},
			realLength: 5*time.Hour + 30*time.Minute,
		},
		{
			name:       "Santiago sets forward at midnight: Sunday starts at 01:00",
			tz:         "America/Santiago",
			weekly:     map[string][]string{"sun": {"00:00-06:00"}},
			opens:      utc(2026, 9, 6, 4, 0, 0), // 01:00 -03, straight after Sat 23:59:59 -04
			closes:     utc(2026, 9, 6, 9, 0, 0), // 06:00 -03
			realLength: 5 * time.Hour,
		},
		{
			name:   "Santiago sets back at midnight: 23:00-24:00 on Saturday happens twice",
			tz:     "America/Santiago",
			weekly: map[string][]string{"sat": {"22:00-24:00"}},
			opens:  utc(2026, 4, 5, 1, 0, 0), // Sat 22:00 -03
			closes: utc(2026, 4, 5, 4, 0, 0), // Sun 00:00 -04
			probes: []probe{
				{utc(2026, 4, 5, 3, 30, 0), true}, // Sat 23:30 -04, the second time
			},
			realLength: 3 * time.Hour,
		},
		{
			name:        "Lord Howe set forward: a range inside the skipped half hour never opens",
			tz:          "Australia/Lord_Howe",
			weekly:      map[string][]string{"sun": {"02:00-02:30"}},
			windowStart: utc(2026, 10, 3, 12, 0, 0),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustCompile(t, Spec{TZ: tt.tz, Weekly: tt.weekly})
			for _, p := range tt.probes {
				if got := s.OpenAt(p.at); got != p.open {
					t.Errorf("OpenAt(%v = %v) = %v, want %v", p.at, p.at.In(s.Location()), got, p.open)
				}
			}
			if tt.opens.IsZero() {
				// Never opens in the 24 hours from windowStart.
				if got, ok := s.NextOpen(tt.windowStart, 24*time.Hour); ok {
					t.Errorf("NextOpen(%v, 24h) = %v, want none", tt.windowStart, got.In(s.Location()))
				}
				return
			}
			before := tt.opens.Add(-time.Second)
			if s.OpenAt(before) {
				t.Errorf("OpenAt(%v) = true, want false (a second before opening)", before.In(s.Location()))
			}
			if !s.OpenAt(tt.opens) {
				t.Errorf("OpenAt(%v) = false, want true", tt.opens.In(s.Location()))
			}
			if !s.OpenAt(tt.closes.Add(-time.Second)) {
				t.Errorf("OpenAt(%v) = false, want true (a second before closing)", tt.closes.Add(-time.Second).In(s.Location()))
			}
			if s.OpenAt(tt.closes) {
				t.Errorf("OpenAt(%v) = true, want false", tt.closes.In(s.Location()))
			}
			if got, ok := s.NextOpen(tt.opens.Add(-6*time.Hour), 24*time.Hour); !ok || !got.Equal(tt.opens) {
				t.Errorf("NextOpen(6h before) = %v, %v; want %v", got.In(s.Location()), ok, tt.opens.In(s.Location()))
			}
			if got, ok := s.NextChange(tt.opens, 48*time.Hour); !ok || !got.Equal(tt.closes) {
				t.Errorf("NextChange(opening) = %v, %v; want close at %v", got.In(s.Location()), ok, tt.closes.In(s.Location()))
			}
			if got := tt.closes.Sub(tt.opens); got != tt.realLength {
				t.Errorf("real length %v, want %v", got, tt.realLength)
			}
		})
	}
}

func TestNextOpenAndNextChange(t *testing.T) {
	auckland := mustLoad(t, "Pacific/Auckland")
	holidays := Spec{
		TZ:        "Europe/London",
		Weekly:    weekdays9to5,
		Holidays:  []string{"2026-12-25", "2026-12-28", "2027-01-01"},
		Overrides: map[string][]string{"2026-12-24": {"09:00-13:00"}},
	}
	tests := []struct {
		name   string
		spec   Spec
		change bool // NextChange instead of NextOpen
		from   time.Time
		within time.Duration
		want   time.Time // zero: none
	}{
		{
			name: "open now: NextOpen is t itself",
			spec: Spec{TZ: "UTC", Weekly: weekdays9to5},
			from: utc(2026, 3, 2, 10, 0, 0), within: time.Hour,
			want: utc(2026, 3, 2, 10, 0, 0),
		},
		{
			name: "across the weekend",
			spec: Spec{TZ: "America/Mexico_City", Weekly: weekdays9to5},
			from: utc(2026, 5, 8, 23, 0, 0), within: 7 * 24 * time.Hour, // Fri 17:00
			want: utc(2026, 5, 11, 15, 0, 0), // Mon 09:00 CST
		},
		{
			name: "across the weekend and the US spring forward",
			spec: Spec{TZ: "America/New_York", Weekly: weekdays9to5},
			from: utc(2026, 3, 6, 22, 0, 0), within: 7 * 24 * time.Hour, // Fri 17:00 EST
			want: utc(2026, 3, 9, 13, 0, 0), // Mon 09:00 EDT
		},
		{
			name: "across the weekend and the US fall back",
			spec: Spec{TZ: "America/New_York", Weekly: weekdays9to5},
			from: utc(2026, 10, 30, 21, 0, 0), within: 7 * 24 * time.Hour, // Fri 17:00 EDT
			want: utc(2026, 11, 2, 14, 0, 0), // Mon 09:00 EST
		},
		{
			name: "across the weekend and the EU spring forward",
			spec: Spec{TZ: "Europe/London", Weekly: weekdays9to5},
			from: utc(2026, 3, 27, 17, 0, 0), within: 7 * 24 * time.Hour,
			want: utc(2026, 3, 30, 8, 0, 0), // Mon 09:00 BST
		},
		{
			name: "across the weekend and the EU fall back",
			spec: Spec{TZ: "Europe/London", Weekly: weekdays9to5},
			from: utc(2026, 10, 23, 16, 0, 0), within: 7 * 24 * time.Hour,
			want: utc(2026, 10, 26, 9, 0, 0), // Mon 09:00 GMT
		},
		{
			name: "across the Lord Howe spring forward",
			spec: Spec{TZ: "Australia/Lord_Howe", Weekly: weekdays9to5},
			from: utc(2026, 10, 2, 6, 30, 0), within: 7 * 24 * time.Hour, // Fri 17:00 +10:30
			want: utc(2026, 10, 4, 22, 0, 0), // Mon 09:00 +11
		},
		{
			name: "across the holidays: Thursday's short day to Tuesday",
			spec: holidays,
			from: utc(2026, 12, 24, 13, 0, 0), within: 7 * 24 * time.Hour,
			want: utc(2026, 12, 29, 9, 0, 0),
		},
		{
			name: "closed for the holidays within 2 days",
			spec: holidays,
			from: utc(2026, 12, 24, 13, 0, 0), within: 48 * time.Hour,
		},
		{
			name: "always closed: none within 7 days",
			spec: Spec{TZ: "Asia/Kathmandu"},
			from: utc(2026, 6, 1, 0, 0, 0), within: 7 * 24 * time.Hour,
		},
		{
			name: "customer in Auckland on Tuesday, group in Los Angeles on Monday evening",
			spec: Spec{TZ: "America/Los_Angeles", Weekly: weekdays9to5},
			from: time.Date(2026, 6, 16, 13, 0, 0, 0, auckland), within: 7 * 24 * time.Hour, // Mon 18:00 PDT
			want: time.Date(2026, 6, 17, 4, 0, 0, 0, auckland), // Tue 09:00 PDT
		},
		{
			name: "customer in Auckland on Monday, group in Los Angeles on Sunday",
			spec: Spec{TZ: "America/Los_Angeles", Weekly: weekdays9to5},
			from: time.Date(2026, 6, 15, 8, 0, 0, 0, auckland), within: 7 * 24 * time.Hour, // Sun 13:00 PDT
			want: time.Date(2026, 6, 16, 4, 0, 0, 0, auckland), // Mon 09:00 PDT
		},
		{
			name: "NextChange: open, to the close", change: true,
			spec: Spec{TZ: "UTC", Weekly: weekdays9to5},
			from: utc(2026, 3, 2, 9, 0, 0), within: 24 * time.Hour,
			want: utc(2026, 3, 2, 17, 0, 0),
		},
		{
			name: "NextChange: strictly after t, even a fraction of a second before", change: true,
			spec: Spec{TZ: "UTC", Weekly: weekdays9to5},
			from: utc(2026, 3, 2, 8, 59, 59).Add(500 * time.Millisecond), within: time.Second,
			want: utc(2026, 3, 2, 9, 0, 0),
		},
		{
			name: "NextChange: the bound is inclusive", change: true,
			spec: Spec{TZ: "UTC", Weekly: weekdays9to5},
			from: utc(2026, 3, 2, 8, 0, 0), within: time.Hour,
			want: utc(2026, 3, 2, 9, 0, 0),
		},
		{
			name: "NextChange: a second short", change: true,
			spec: Spec{TZ: "UTC", Weekly: weekdays9to5},
			from: utc(2026, 3, 2, 8, 0, 0), within: time.Hour - time.Second,
		},
		{
			name: "NextChange: negative within", change: true,
			spec: Spec{TZ: "UTC", Weekly: weekdays9to5},
			from: utc(2026, 3, 2, 8, 0, 0), within: -time.Hour,
		},
		{
			name: "NextChange: touching shifts across midnight are one stretch", change: true,
			spec: Spec{TZ: "UTC", Weekly: map[string][]string{"fri": {"18:00-24:00"}, "sat": {"00:00-04:00", "04:00-06:00"}}},
			from: utc(2026, 3, 6, 19, 0, 0), within: 24 * time.Hour,
			want: utc(2026, 3, 7, 6, 0, 0),
		},
		{
			name: "NextChange: always open, none", change: true,
			spec: Spec{TZ: "America/New_York", Weekly: allDay},
			from: utc(2026, 3, 5, 0, 0, 0), within: 7 * 24 * time.Hour,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustCompile(t, tt.spec)
			next := s.NextOpen
			if tt.change {
				next = s.NextChange
			}
			got, ok := next(tt.from, tt.within)
			switch {
			case tt.want.IsZero() && ok:
				t.Fatalf("= %v, want none", got.In(s.Location()))
			case tt.want.IsZero():
			case !ok:
				t.Fatalf("= none, want %v (%v)", tt.want, tt.want.In(s.Location()))
			case !got.Equal(tt.want):
				t.Fatalf("= %v (%v), want %v (%v)", got, got.In(s.Location()), tt.want, tt.want.In(s.Location()))
			case got.Location() != tt.from.Location():
				t.Fatalf("returned in %v, want the caller's %v", got.Location(), tt.from.Location())
			}
		})
	}
}

func TestLocation(t *testing.T) {
	s := mustCompile(t, Spec{TZ: "Australia/Lord_Howe"})
	if got := s.Location().String(); got != "Australia/Lord_Howe" {
		t.Fatalf("Location() = %q", got)
	}
}

// TestOutsideTable checks instants the zone table does not cover (it spans
// 2000–2099) against explicit expectations.
func TestOutsideTable(t *testing.T) {
	s := mustCompile(t, Spec{TZ: "America/New_York", Weekly: map[string][]string{"sun": {"01:30-05:00"}}})
	for _, tc := range []struct {
		at   time.Time
		open bool
	}{
		// 2150-11-01 is the first Sunday of November: 02:00 EDT → 01:00 EST.
		{utc(2150, 11, 1, 5, 30, 0), true},  // 01:30 EDT
		{utc(2150, 11, 1, 6, 15, 0), true},  // 01:15 EST, during the repeat
		{utc(2150, 11, 1, 10, 0, 0), false}, // 05:00 EST
		// 1999-10-31: the same rule.
		{utc(1999, 10, 31, 5, 29, 59), false},
		{utc(1999, 10, 31, 6, 15, 0), true},
	} {
		if got := s.OpenAt(tc.at); got != tc.open {
			t.Errorf("OpenAt(%v) = %v, want %v", tc.at.In(s.Location()), got, tc.open)
		}
	}
	got, ok := s.NextChange(utc(2150, 11, 1, 5, 30, 0), 24*time.Hour)
	if want := utc(2150, 11, 1, 10, 0, 0); !ok || !got.Equal(want) {
		t.Errorf("NextChange in 2150 = %v, %v; want %v", got, ok, want)
	}
}
