package hours

import (
	"errors"
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name   string
		spec   Spec
		field  string // of the first *Error
		value  string
		reason string // substring
		count  int    // errors reported; 0 means 1
	}{
		{name: "unknown zone", spec: Spec{TZ: "Mars/Olympus_Mons"}, field: "tz", value: "Mars/Olympus_Mons", reason: "unknown time zone"},
		{name: "empty zone", spec: Spec{}, field: "tz", value: "", reason: "empty"},
		{name: "Local", spec: Spec{TZ: "Local"}, field: "tz", value: "Local", reason: "not allowed"},
		{name: "day name case", spec: Spec{TZ: "UTC", Weekly: map[string][]string{"Mon": {"09:00-17:00"}}}, field: "weekly.Mon", value: "Mon", reason: "unknown day"},
		{name: "bad day name", spec: Spec{TZ: "UTC", Weekly: map[string][]string{"funday": {"09:00-17:00"}}}, field: "weekly.funday", value: "funday", reason: "unknown day"},
		{name: "hour out of range", spec: Spec{TZ: "UTC", Weekly: map[string][]string{"mon": {"09:00-12:00", "25:00-26:00"}}}, field: "weekly.mon[1]", value: "25:00-26:00", reason: "hour out of range"},
		{name: "minute out of range", spec: Spec{TZ: "UTC", Weekly: map[string][]string{"tue": {"09:60-12:00"}}}, field: "weekly.tue[0]", value: "09:60-12:00", reason: "minute out of range"},
		{name: "24:00 as a start", spec: Spec{TZ: "UTC", Weekly: map[string][]string{"wed": {"24:00-02:00"}}}, field: "weekly.wed[0]", value: "24:00-02:00", reason: "only as an end"},
		{name: "24:30", spec: Spec{TZ: "UTC", Weekly: map[string][]string{"wed": {"22:00-24:30"}}}, field: "weekly.wed[0]", value: "22:00-24:30", reason: "hour out of range"},
		{name: "empty range", spec: Spec{TZ: "UTC", Weekly: map[string][]string{"thu": {"09:00-09:00"}}}, field: "weekly.thu[0]", value: "09:00-09:00", reason: "empty range"},
		{name: "midnight to midnight", spec: Spec{TZ: "UTC", Weekly: map[string][]string{"thu": {"00:00-00:00"}}}, field: "weekly.thu[0]", value: "00:00-00:00", reason: "empty range"},
		{name: "one digit hour", spec: Spec{TZ: "UTC", Weekly: map[string][]string{"fri": {"9:00-17:00"}}}, field: "weekly.fri[0]", value: "9:00-17:00", reason: "want HH:MM"},
		{name: "no dash", spec: Spec{TZ: "UTC", Weekly: map[string][]string{"fri": {"09:00"}}}, field: "weekly.fri[0]", value: "09:00", reason: "HH:MM-HH:MM"},
		{name: "spaces", spec: Spec{TZ: "UTC", Weekly: map[string][]string{"fri": {"09:00 - 17:00"}}}, field: "weekly.fri[0]", value: "09:00 - 17:00", reason: "want HH:MM"},
		{name: "overlap", spec: Spec{TZ: "UTC", Weekly: map[string][]string{"sat": {"09:00-13:00", "12:00-18:00"}}}, field: "weekly.sat[1]", value: "12:00-18:00", reason: `overlaps weekly.sat[0] "09:00-13:00"`},
		{name: "overlap listed out of order", spec: Spec{TZ: "UTC", Weekly: map[string][]string{"sat": {"12:00-18:00", "09:00-13:00"}}}, field: "weekly.sat[0]", value: "12:00-18:00", reason: "overlaps weekly.sat[1]"},
		{name: "overlap with a range running past midnight", spec: Spec{TZ: "UTC", Weekly: map[string][]string{"sun": {"08:00-12:00", "11:00-09:00"}}}, field: "weekly.sun[1]", reason: "overlaps weekly.sun[0]"},
		{name: "runs past midnight into the next day's range", spec: Spec{TZ: "UTC", Weekly: map[string][]string{"fri": {"22:00-02:00"}, "sat": {"01:00-05:00"}}}, field: "weekly.sat[0]", value: "01:00-05:00", reason: `overlaps weekly.fri[0] "22:00-02:00", which runs past midnight`},
		{name: "sunday into monday", spec: Spec{TZ: "UTC", Weekly: map[string][]string{"sun": {"22:00-06:00"}, "mon": {"05:00-09:00"}}}, field: "weekly.mon[0]", reason: "overlaps weekly.sun[0]"},
		{name: "malformed holiday", spec: Spec{TZ: "UTC", Holidays: []string{"2026-12-25", "26-12-25"}}, field: "holidays[1]", value: "26-12-25", reason: "YYYY-MM-DD"},
		{name: "no such date", spec: Spec{TZ: "UTC", Holidays: []string{"2026-02-30"}}, field: "holidays[0]", value: "2026-02-30", reason: "no such date"},
		{name: "month 13", spec: Spec{TZ: "UTC", Holidays: []string{"2026-13-01"}}, field: "holidays[0]", value: "2026-13-01", reason: "no such date"},
		{name: "duplicate holiday", spec: Spec{TZ: "UTC", Holidays: []string{"2026-12-25", "2027-01-01", "2026-12-25"}}, field: "holidays[2]", value: "2026-12-25", reason: "duplicate of holidays[0]"},
		{name: "malformed override date", spec: Spec{TZ: "UTC", Overrides: map[string][]string{"2026-1-5": {"09:00-12:00"}}}, field: "overrides.2026-1-5", value: "2026-1-5", reason: "YYYY-MM-DD"},
		{name: "bad override range", spec: Spec{TZ: "UTC", Overrides: map[string][]string{"2026-12-24": {"09:00-12:00x"}}}, field: "overrides.2026-12-24[0]", value: "09:00-12:00x", reason: "want HH:MM"},
		{name: "overlapping override ranges", spec: Spec{TZ: "UTC", Overrides: map[string][]string{"2026-12-24": {"09:00-12:00", "11:59-13:00"}}}, field: "overrides.2026-12-24[1]", reason: "overlaps overrides.2026-12-24[0]"},
		{
			name: "every error is reported, in a stable order",
			spec: Spec{
				TZ:        "Nowhere/Special",
				Weekly:    map[string][]string{"sun": {"25:00-26:00"}, "mon": {"xx"}, "humpday": nil},
				Holidays:  []string{"2026-02-29"},
				Overrides: map[string][]string{"2026-12-24": {"12:00-12:00"}},
			},
			field: "tz", value: "Nowhere/Special", reason: "unknown time zone", count: 6,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Compile(tt.spec)
			if err == nil {
				t.Fatalf("Compile = %v, nil; want an error", s)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("errors.As(%v, *Error) = false", err)
			}
			if fe.Field != tt.field {
				t.Errorf("Field = %q, want %q (%v)", fe.Field, tt.field, err)
			}
			if tt.value != "" && fe.Value != tt.value {
				t.Errorf("Value = %q, want %q", fe.Value, tt.value)
			}
			if !strings.Contains(fe.Reason, tt.reason) {
				t.Errorf("Reason = %q, want it to contain %q", fe.Reason, tt.reason)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.field) || !strings.HasPrefix(msg, "hours: invalid ") {
				t.Errorf("message %q does not name the field %q", msg, tt.field)
			}
			want := max(tt.count, 1)
			if got := strings.Count(msg, "hours: invalid "); got != want {
				t.Errorf("%d errors reported, want %d:\n%s", got, want, msg)
			}
		})
	}
}

func TestCompileErrorOrderIsStable(t *testing.T) {
	spec := Spec{
		TZ:        "UTC",
		Weekly:    map[string][]string{"sun": {"bad"}, "mon": {"bad"}, "tue": {"bad"}, "zzz": nil, "aaa": nil},
		Overrides: map[string][]string{"2026-12-25": {"bad"}, "2026-01-01": {"bad"}},
	}
	const want = "weekly.mon[0] weekly.tue[0] weekly.sun[0] weekly.aaa weekly.zzz overrides.2026-01-01[0] overrides.2026-12-25[0]"
	for range 20 {
		_, err := Compile(spec)
		var fields []string
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			fields = append(fields, e.(*Error).Field)
		}
		if got := strings.Join(fields, " "); got != want {
			t.Fatalf("fields %q, want %q", got, want)
		}
	}
}

func TestCompileAccepts(t *testing.T) {
	for _, spec := range []Spec{
		{TZ: "UTC"}, // always closed
		{TZ: "Asia/Kathmandu", Weekly: map[string][]string{"mon": {"00:00-24:00"}, "tue": {"22:00-24:00"}, "wed": {"22:00-00:00"}}},
		{TZ: "UTC", Weekly: map[string][]string{"mon": {"09:00-13:00", "13:00-17:00"}}},          // touching ranges
		{TZ: "UTC", Weekly: map[string][]string{"fri": {"22:00-02:00"}, "sat": {"02:00-06:00"}}}, // touching across midnight
		{TZ: "UTC", Weekly: map[string][]string{"mon": {"10:00-09:00", "09:00-10:00"}}},          // 23 hours running past midnight, then the rest
		{TZ: "UTC", Holidays: []string{"2026-12-25"}, Overrides: map[string][]string{"2026-12-25": {"10:00-12:00"}}},
		{TZ: "UTC", Overrides: map[string][]string{"2026-12-24": nil, "2026-12-31": {}}},
		{TZ: "UTC", Weekly: map[string][]string{"thu": {"22:00-04:00"}}, Overrides: map[string][]string{"2026-12-25": {"01:00-05:00"}}}, // overlap allowed: union
	} {
		if _, err := Compile(spec); err != nil {
			t.Errorf("Compile(%+v) = %v", spec, err)
		}
	}
}

func TestParseRange(t *testing.T) {
	tests := []struct {
		in         string
		start, end int
	}{
		{"09:00-17:00", 9 * 60, 17 * 60},
		{"00:00-24:00", 0, 1440},
		{"22:00-24:00", 1320, 1440},
		{"22:00-00:00", 1320, 1440},
		{"22:00-02:00", 1320, 1440 + 120},
		{"23:59-23:58", 1439, 1440 + 1438},
		{"00:00-00:01", 0, 1},
	}
	for _, tt := range tests {
		start, end, err := parseRange(tt.in)
		if err != nil || start != tt.start || end != tt.end {
			t.Errorf("parseRange(%q) = %d, %d, %v; want %d, %d", tt.in, start, end, err, tt.start, tt.end)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{
		"09:00-17:00", "00:00-24:00", "22:00-02:00", "24:00-01:00", "25:00-26:00",
		"09:00-09:00", "9:00-17:00", "", "-", "09:00-", "١٢:٠٠-١٣:٠٠", "09:00-17:00-18:00", "+9:00-17:00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start, end, err := parseRange(s)
		if err != nil {
			return
		}
		if len(s) != 11 {
			t.Fatalf("parseRange(%q) accepted a string of length %d", s, len(s))
		}
		if start < 0 || start >= 1440 || end <= start || end > start+1440 {
			t.Fatalf("parseRange(%q) = %d, %d: out of bounds", s, start, end)
		}
		canon := formatRange(start, end)
		s2, e2, err := parseRange(canon)
		if err != nil || s2 != start || e2 != end {
			t.Fatalf("parseRange(formatRange(%d, %d) = %q) = %d, %d, %v", start, end, canon, s2, e2, err)
		}
		if canon != s && !strings.HasSuffix(s, "-00:00") {
			t.Fatalf("formatRange(parseRange(%q)) = %q", s, canon)
		}
	})
}
