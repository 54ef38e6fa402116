package hours

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// reference evaluates a Spec the slow, obvious way: it walks the group's
// clock minute by minute (time.Time.In, Date, Clock), keeps the highest
// reading seen so far, and looks that reading up in ranges parsed afresh
// from the Spec's strings. It shares no code with the package beyond the
// Spec type. Transitions in the zones tested fall on whole minutes, so the
// state at every second of a minute is the state at its start.
type reference struct {
	loc    *time.Location
	spec   Spec
	shifts map[string][][2]int64 // date → [start, end) in local minutes since 1970-01-01
}

func newReference(t testing.TB, spec Spec) *reference {
	return &reference{loc: mustLoad(t, spec.TZ), spec: spec, shifts: map[string][][2]int64{}}
}

// shiftsOn returns the ranges starting on the local date of midnight (a
// UTC time at 00:00), in local minutes.
func (r *reference) shiftsOn(midnight time.Time) [][2]int64 {
	key := midnight.Format("2006-01-02")
	if sh, ok := r.shifts[key]; ok {
		return sh
	}
	ranges, ok := r.spec.Overrides[key]
	if !ok && !slices.Contains(r.spec.Holidays, key) {
		ranges = r.spec.Weekly[strings.ToLower(midnight.Weekday().String()[:3])]
	}
	var sh [][2]int64
	for _, rg := range ranges {
		var h1, m1, h2, m2 int64
		if _, err := fmt.Sscanf(rg, "%d:%d-%d:%d", &h1, &m1, &h2, &m2); err != nil {
			panic(err)
		}
		a, b := h1*60+m1, h2*60+m2
		if b <= a {
			b += 24 * 60
		}
		base := midnight.Unix() / 60
		sh = append(sh, [2]int64{base + a, base + b})
	}
	r.shifts[key] = sh
	return sh
}

// states returns whether the schedule is open at each minute from `from`
// (a whole minute) for n minutes.
func (r *reference) states(from time.Time, n int) []bool {
	out := make([]bool, 0, n)
	high := int64(-1 << 62)
	curDay := int64(-1)
	var cur [][2]int64 // ranges of curDay and the day before
	for x := from.Add(-3 * 24 * time.Hour); len(out) < n; x = x.Add(time.Minute) {
		lt := x.In(r.loc)
		y, mo, d := lt.Date()
		hh, mm, _ := lt.Clock()
		high = max(high, time.Date(y, mo, d, hh, mm, 0, 0, time.UTC).Unix()/60)
		if x.Before(from) {
			continue
		}
		if day := high / (24 * 60); day != curDay { // the years tested are after 1970
			curDay = day
			midnight := time.Unix(day*24*60*60, 0).UTC()
			cur = append(slices.Clone(r.shiftsOn(midnight)), r.shiftsOn(midnight.AddDate(0, 0, -1))...)
		}
		open := false
		for _, sh := range cur {
			if sh[0] <= high && high < sh[1] {
				open = true
			}
		}
		out = append(out, open)
	}
	return out
}

// checkAgainst compares OpenAt, NextChange and NextOpen with the reference
// states of n minutes from `from`, probing each minute at second offsets
// drawn from rng.
func checkAgainst(t *testing.T, s *Schedule, from time.Time, want []bool, rng *rand.Rand, stride int) {
	t.Helper()
	n := len(want)
	next := make([]int, n) // index of the next minute whose state differs; n if none
	next[n-1] = n
	for i := n - 2; i >= 0; i-- {
		if want[i+1] != want[i] {
			next[i] = i + 1
		} else {
			next[i] = next[i+1]
		}
	}
	errs := 0
	fail := func(format string, args ...any) {
		t.Helper()
		if errs++; errs <= 10 {
			t.Errorf(format, args...)
		}
	}
	for i := 0; i < n; i++ {
		minute := from.Add(time.Duration(i) * time.Minute)
		at := minute.Add(time.Duration(rng.IntN(60_000)) * time.Millisecond)
		if got := s.OpenAt(minute); got != want[i] {
			fail("OpenAt(%v = %v) = %v, reference %v", minute, minute.In(s.Location()), got, want[i])
		}
		if got := s.OpenAt(at); got != want[i] {
			fail("OpenAt(%v = %v) = %v, reference %v", at, at.In(s.Location()), got, want[i])
		}
		if i%stride != 0 {
			continue
		}
		within := time.Duration(n-1-i) * time.Minute
		got, ok := s.NextChange(at, within)
		wantOK := next[i] < n
		wantAt := from.Add(time.Duration(next[i]) * time.Minute)
		if ok != wantOK || ok && !got.Equal(wantAt) {
			fail("NextChange(%v = %v, %v) = %v, %v; reference %v, %v",
				at, at.In(s.Location()), within, got.In(s.Location()), ok, wantAt.In(s.Location()), wantOK)
		}
		got, ok = s.NextOpen(at, within)
		switch {
		case want[i]:
			if !ok || !got.Equal(at) {
				fail("NextOpen(%v) while open = %v, %v", at, got, ok)
			}
		case ok != wantOK || ok && !got.Equal(wantAt):
			fail("NextOpen(%v = %v, %v) = %v, %v; reference %v, %v",
				at, at.In(s.Location()), within, got.In(s.Location()), ok, wantAt.In(s.Location()), wantOK)
		}
	}
	if errs > 10 {
		t.Errorf("… %d mismatches in all", errs)
	}
}

// transitions returns the instants in [from, to) at which loc's offset
// changes.
func transitions(loc *time.Location, from, to time.Time) []time.Time {
	var out []time.Time
	for x := from; x.Before(to); {
		_, end := x.In(loc).ZoneBounds()
		if end.IsZero() {
			break
		}
		if !end.After(x) { // golang/go#81583: step past the bad bound
			x = x.Add(time.Hour)
			continue
		}
		_, before := end.Add(-time.Second).In(loc).Zone()
		if _, after := end.In(loc).Zone(); after != before && end.Before(to) {
			out = append(out, end)
		}
		x = end
	}
	return out
}

// referenceZones have transitions of every kind: an hour at 02:00 (US),
// at 01:00 UTC (EU), 30 minutes (Lord Howe), at midnight (Santiago,
// Havana), two hours (Troll), a skipped date (Apia in 2011), none (Kolkata,
// Kathmandu, Mexico City since 2022), and the southern hemisphere; and
// years the package handles specially.
var referenceZones = []struct {
	tz   string
	year int
}{
	{"America/New_York", 2026},
	{"Europe/London", 2026},
	{"Australia/Lord_Howe", 2026},
	{"Pacific/Auckland", 2026},
	{"America/Santiago", 2026},
	{"America/Havana", 2026},
	{"Antarctica/Troll", 2026},
	{"Pacific/Apia", 2011},
	{"Asia/Kolkata", 2026},
	{"Asia/Kathmandu", 2026},
	{"America/Mexico_City", 2026},
	{"America/Los_Angeles", 2026},
	{"Europe/Warsaw", 2040},    // a leap year past the zone's listed transitions (golang/go#81583)
	{"America/New_York", 2104}, // past the zone table: the time package answers
}

// nightOwl has ranges ending and starting around the hours when clocks
// change, runs past midnight, split shifts, and overrides and holidays on
// the transition Sundays of 2026 and 2011.
var nightOwl = Spec{
	Weekly: map[string][]string{
		"mon": {"09:00-13:00", "14:00-18:00"},
		"tue": {"00:00-24:00"},
		"wed": {"22:00-01:30"},
		"thu": {"01:30-05:00", "08:00-12:00", "23:30-00:30"},
		"fri": {"00:45-01:15", "22:00-01:30"},
		"sat": {"02:15-02:45", "23:00-03:15"},
		"sun": {"04:00-12:00", "20:00-24:00"},
	},
	Holidays: []string{"2026-03-29", "2026-09-06", "2026-04-04", "2011-12-29"},
	Overrides: map[string][]string{
		"2026-03-08": {"00:30-01:45", "01:50-02:10", "02:15-02:45", "02:50-03:30", "23:00-00:30"},
		"2026-11-01": {"00:15-01:30", "01:40-01:50", "01:55-02:05", "23:00-01:10"},
		"2026-10-25": {"00:00-01:30", "01:59-02:01", "22:00-01:00"},
		"2026-04-05": {"01:40-02:10"},
		"2026-10-04": {"02:00-02:30", "02:45-03:00"},
		"2026-04-04": {"23:15-00:15"},
		"2026-09-05": {"23:30-00:30"},
		"2026-09-06": {"00:15-03:00"},
		"2026-09-27": {"01:00-03:30"},
		"2011-12-30": {"09:00-17:00", "22:00-02:00"},
		"2011-12-31": {"00:00-01:00"},
	},
}

// TestOpenAtMatchesReference checks every minute of ±4 days around each
// transition and of a few ordinary weeks, in every reference zone, against
// the reference; in -short mode only New York and Lord Howe.
func TestOpenAtMatchesReference(t *testing.T) {
	for _, z := range referenceZones {
		if testing.Short() && z.tz != "America/New_York" && z.tz != "Australia/Lord_Howe" {
			continue
		}
		t.Run(fmt.Sprintf("%s_%d", z.tz, z.year), func(t *testing.T) {
			spec := nightOwl
			spec.TZ = z.tz
			s := mustCompile(t, spec)
			ref := newReference(t, spec)
			rng := rand.New(rand.NewPCG(uint64(z.year), uint64(len(z.tz))))
			start := time.Date(z.year, 1, 1, 0, 0, 0, 0, time.UTC)
			windows := []time.Time{start.AddDate(0, 1, 3), start.AddDate(0, 6, 11), start.AddDate(0, 11, 27)} // the last spans the new year
			for _, tr := range transitions(ref.loc, start, start.AddDate(1, 0, 0)) {
				windows = append(windows, tr.Truncate(time.Minute).Add(-4*24*time.Hour))
			}
			for _, from := range windows {
				const n = 8 * 24 * 60
				checkAgainst(t, s, from, ref.states(from, n), rng, 3)
			}
		})
	}
}

// TestRandomSpecsMatchReference compiles random specs with fixed seeds —
// ranges clustered in the small hours, runs past midnight, holidays and
// overrides near the transitions — and checks the days around a transition
// against the reference.
func TestRandomSpecsMatchReference(t *testing.T) {
	rounds := 150
	if testing.Short() {
		rounds = 20
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	for round := 0; round < rounds; round++ {
		z := referenceZones[rng.IntN(len(referenceZones))]
		loc := mustLoad(t, z.tz)
		year := time.Date(z.year, 1, 1, 0, 0, 0, 0, time.UTC)
		trs := transitions(loc, year, year.AddDate(1, 0, 0))
		from := year.AddDate(0, rng.IntN(12), rng.IntN(28))
		if len(trs) > 0 {
			from = trs[rng.IntN(len(trs))].Truncate(time.Minute).Add(-2 * 24 * time.Hour)
		}
		var spec Spec
		var s *Schedule
		for {
			spec = randomSpec(rng, z.tz, from)
			var err error
			if s, err = Compile(spec); err == nil {
				break
			}
		}
		ref := newReference(t, spec)
		t.Run(fmt.Sprintf("%d/%s", round, z.tz), func(t *testing.T) {
			checkAgainst(t, s, from, ref.states(from, 4*24*60), rng, 5)
			if t.Failed() {
				t.Logf("spec: %#v", spec)
			}
		})
	}
}

// randomClock returns a time of day in minutes, a multiple of 5, most
// often in the small hours or around midnight.
func randomClock(rng *rand.Rand) int {
	switch rng.IntN(3) {
	case 0:
		return rng.IntN(4*12) * 5 // 00:00–03:55
	case 1:
		return (22*60 + rng.IntN(3*12)*5) % (24 * 60) // 22:00–00:55
	}
	return rng.IntN(24*12) * 5
}

// randomRanges returns up to three ranges of one day, in random order,
// the last one sometimes running past midnight.
func randomRanges(rng *rand.Rand) []string {
	k := rng.IntN(4)
	pts := map[int]bool{}
	for len(pts) < 2*k {
		pts[randomClock(rng)] = true
	}
	sorted := make([]int, 0, len(pts))
	for p := range pts {
		sorted = append(sorted, p)
	}
	slices.Sort(sorted)
	var out []string
	for i := 0; i+1 < len(sorted); i += 2 {
		a, b := sorted[i], sorted[i+1]
		if i+2 == len(sorted) {
			switch rng.IntN(4) {
			case 0: // past midnight
				b = rng.IntN(a/5+1) * 5
				if b == a {
					b = 0
				}
			case 1:
				b = 24 * 60
			}
		}
		out = append(out, fmt.Sprintf("%02d:%02d-%02d:%02d", a/60, a%60, b/60, b%60))
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func randomSpec(rng *rand.Rand, tz string, from time.Time) Spec {
	spec := Spec{TZ: tz, Weekly: map[string][]string{}, Overrides: map[string][]string{}}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		if rng.IntN(5) > 0 {
			spec.Weekly[d] = randomRanges(rng)
		}
	}
	for day := -1; day < 5; day++ {
		date := from.AddDate(0, 0, day).Format("2006-01-02")
		switch rng.IntN(4) {
		case 0:
			spec.Holidays = append(spec.Holidays, date)
		case 1:
			spec.Overrides[date] = randomRanges(rng)
		}
	}
	return spec
}

// The fuzz target checks random instants of a whole year in four zones
// against the reference, computed once.
var fuzzRef struct {
	once   sync.Once
	scheds []*Schedule
	starts []time.Time
	states [][]bool
}

func FuzzOpenAtMatchesReference(f *testing.F) {
	zones := []string{"America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Kathmandu"}
	fuzzRef.once.Do(func() {
		for _, tz := range zones {
			spec := nightOwl
			spec.TZ = tz
			s, err := Compile(spec)
			if err != nil {
				panic(err)
			}
			from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			fuzzRef.scheds = append(fuzzRef.scheds, s)
			fuzzRef.starts = append(fuzzRef.starts, from)
			fuzzRef.states = append(fuzzRef.states, newReference(f, spec).states(from, 365*24*60))
		}
	})
	f.Add(uint8(0), uint32(97*24*60+6*60+30), uint16(0), uint32(3*24*60)) // around 2026-03-08 in New York
	f.Add(uint8(1), uint32(93*24*60+15*60), uint16(59_999), uint32(60))   // 2026-04-04 at Lord Howe
	f.Add(uint8(2), uint32(96*24*60+3*60), uint16(1), uint32(7*24*60))
	f.Add(uint8(3), uint32(200*24*60), uint16(30_000), uint32(0))
	f.Fuzz(func(t *testing.T, zone uint8, minute uint32, millis uint16, withinMinutes uint32) {
		z := int(zone) % len(zones)
		s, want := fuzzRef.scheds[z], fuzzRef.states[z]
		n := len(want)
		i := int(minute % uint32(n))
		at := fuzzRef.starts[z].Add(time.Duration(i)*time.Minute + time.Duration(millis%60_000)*time.Millisecond)
		if got := s.OpenAt(at); got != want[i] {
			t.Fatalf("%s: OpenAt(%v = %v) = %v, reference %v", zones[z], at, at.In(s.Location()), got, want[i])
		}
		w := int(withinMinutes % uint32(8*24*60))
		w = min(w, n-1-i)
		j := i + 1
		for j <= i+w && want[j] == want[i] {
			j++
		}
		got, ok := s.NextChange(at, time.Duration(w)*time.Minute)
		wantAt := fuzzRef.starts[z].Add(time.Duration(j) * time.Minute)
		if wantOK := j <= i+w; ok != wantOK || ok && !got.Equal(wantAt) {
			t.Fatalf("%s: NextChange(%v = %v, %dm) = %v, %v; reference %v, %v",
				zones[z], at, at.In(s.Location()), w, got.In(s.Location()), ok, wantAt.In(s.Location()), wantOK)
		}
	})
}
