package hours

import (
	"fmt"
	"testing"
	"time"
)

// benchSpec is a realistic group: split weekday shifts, a late Friday
// running past midnight, a Saturday morning and a year of holidays.
func benchSpec(tz string) Spec {
	return Spec{
		TZ: tz,
		Weekly: map[string][]string{
			"mon": {"08:00-12:30", "13:30-18:00"}, "tue": {"08:00-12:30", "13:30-18:00"},
			"wed": {"08:00-12:30", "13:30-18:00"}, "thu": {"08:00-12:30", "13:30-18:00"},
			"fri": {"08:00-12:30", "13:30-18:00", "20:00-02:00"}, "sat": {"09:00-13:00"},
		},
		Holidays: []string{
			"2026-01-01", "2026-01-19", "2026-02-16", "2026-04-03", "2026-05-25", "2026-07-03",
			"2026-09-07", "2026-10-12", "2026-11-11", "2026-11-26", "2026-11-27", "2026-12-25",
		},
		Overrides: map[string][]string{"2026-12-24": {"08:00-12:00"}, "2026-12-31": {"10:00-14:00"}},
	}
}

var benchZones = []string{
	"America/New_York", "America/Los_Angeles", "America/Mexico_City", "America/Sao_Paulo",
	"Europe/London", "Europe/Berlin", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Tokyo",
	"Australia/Sydney", "Australia/Lord_Howe", "Pacific/Auckland", "UTC",
}

var sinkBool bool

func BenchmarkOpenAt(b *testing.B) {
	cases := []struct {
		name, tz string
		at       time.Time
	}{
		{"Kolkata", "Asia/Kolkata", utc(2026, 6, 16, 9, 0, 0)},
		{"NewYork", "America/New_York", utc(2026, 6, 16, 15, 0, 0)},
		{"NewYork/repeated-hour", "America/New_York", utc(2026, 11, 1, 6, 30, 0)},
		{"LordHowe", "Australia/Lord_Howe", utc(2026, 6, 16, 1, 0, 0)},
		{"NewYork/2150", "America/New_York", utc(2150, 6, 16, 15, 0, 0)}, // past the zone table
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s := mustCompile(b, benchSpec(c.tz))
			at := c.at.In(mustLoad(b, "Pacific/Auckland")) // the customer's zone does not matter
			b.ReportAllocs()
			for b.Loop() {
				sinkBool = s.OpenAt(at)
			}
		})
	}
}

// BenchmarkRoutingDecision asks 100 groups, in 13 zones, whether they are
// open at one instant: the hours part of one routing decision.
func BenchmarkRoutingDecision(b *testing.B) {
	groups := make([]*Schedule, 100)
	for i := range groups {
		groups[i] = mustCompile(b, benchSpec(benchZones[i%len(benchZones)]))
	}
	at := utc(2026, 6, 16, 15, 4, 5)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, g := range groups {
			if g.OpenAt(at) {
				n++
			}
		}
		sinkBool = n > 0
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/decision")
}

func BenchmarkNextOpen(b *testing.B) {
	cases := []struct {
		name string
		spec Spec
		at   time.Time
	}{
		{"open", benchSpec("America/New_York"), utc(2026, 6, 16, 15, 0, 0)},
		{"evening", benchSpec("America/New_York"), utc(2026, 6, 16, 23, 0, 0)},
		{"weekend", benchSpec("America/New_York"), utc(2026, 6, 13, 18, 0, 0)},
		{"over-DST", benchSpec("America/New_York"), utc(2026, 3, 7, 18, 0, 0)},
		{"never-open", Spec{TZ: "America/New_York"}, utc(2026, 6, 13, 18, 0, 0)},
	}
	for _, c := range cases {
		b.Run(c.name+"/7d", func(b *testing.B) {
			s := mustCompile(b, c.spec)
			b.ReportAllocs()
			for b.Loop() {
				_, sinkBool = s.NextOpen(c.at, 7*24*time.Hour)
			}
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	for _, tz := range []string{"Asia/Kolkata", "America/New_York"} {
		b.Run(tz, func(b *testing.B) {
			spec := benchSpec(tz)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Compile(spec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestNoAllocations keeps the hot paths allocation-free.
func TestNoAllocations(t *testing.T) {
	for _, tz := range []string{"America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe"} {
		s := mustCompile(t, benchSpec(tz))
		for _, at := range []time.Time{
			utc(2026, 6, 16, 15, 0, 0), utc(2026, 11, 1, 6, 30, 0), utc(2026, 4, 4, 15, 10, 0),
			utc(2026, 12, 25, 12, 0, 0), utc(2150, 1, 1, 0, 0, 0),
		} {
			for name, f := range map[string]func(){
				"OpenAt":     func() { sinkBool = s.OpenAt(at) },
				"NextOpen":   func() { _, sinkBool = s.NextOpen(at, 7*24*time.Hour) },
				"NextChange": func() { _, sinkBool = s.NextChange(at, 7*24*time.Hour) },
			} {
				if n := testing.AllocsPerRun(100, f); n != 0 {
					t.Errorf("%s: %s(%v) allocates %v times", tz, name, at, n)
				}
			}
		}
	}
}

func ExampleSchedule_NextOpen() {
	s, err := Compile(Spec{
		TZ:       "America/Mexico_City",
		Weekly:   map[string][]string{"mon": {"09:00-18:00"}, "fri": {"09:00-13:00", "22:00-02:00"}},
		Holidays: []string{"2026-05-01"},
	})
	if err != nil {
		panic(err)
	}
	// A customer writes on Friday 1 May 2026, 20:00 in Madrid: 12:00 in
	// Mexico City, a holiday.
	madrid, _ := time.LoadLocation("Europe/Madrid")
	at := time.Date(2026, 5, 1, 20, 0, 0, 0, madrid)
	fmt.Println(s.OpenAt(at))
	next, ok := s.NextOpen(at, 7*24*time.Hour)
	fmt.Println(next.In(s.Location()), ok)
	fmt.Println(next) // in the customer's zone
	// Output:
	// false
	// 2026-05-04 09:00:00 -0600 CST true
	// 2026-05-04 17:00:00 +0200 CEST
}
