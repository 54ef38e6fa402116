package hours

import (
	"slices"
	"time"
)

// Schedule is a compiled Spec. It is immutable and safe for concurrent use.
type Schedule struct {
	zone   *zoneTable
	weekly [7][]span // by time.Weekday
	days   []int64   // local dates (days since 1970-01-01) with a holiday or override, ascending
	rules  [][]span  // rules[i] replaces the weekly ranges on days[i]; empty: closed
}

// Location returns the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.zone.loc }

// OpenAt reports whether the schedule is open at instant t (t may be in
// any time zone; only the instant matters). It does not allocate.
func (s *Schedule) OpenAt(t time.Time) bool {
	return s.openAtReading(s.zone.reading(t.Unix()))
}

// NextChange returns the first instant after t at which OpenAt changes
// value, if it comes no later than t+within; ok is false otherwise. The
// instant is returned in t's location, and is a whole second.
func (s *Schedule) NextChange(t time.Time, within time.Duration) (next time.Time, ok bool) {
	if within < 0 {
		return time.Time{}, false
	}
	x, ok := s.nextChange(t.Unix(), t.Add(within).Unix())
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(x, 0).In(t.Location()), true
}

// NextOpen returns t itself if the schedule is open at t, and otherwise
// the instant it next opens, if that comes no later than t+within (e.g.
// not when the group is closed for the holidays); the instant is returned
// in t's location.
func (s *Schedule) NextOpen(t time.Time, within time.Duration) (time.Time, bool) {
	if s.OpenAt(t) {
		return t, true
	}
	return s.NextChange(t, within)
}

// rule returns the ranges that start on local date day.
func (s *Schedule) rule(day int64) []span {
	if n := len(s.days); n > 0 && day >= s.days[0] && day <= s.days[n-1] {
		if i, ok := slices.BinarySearch(s.days, day); ok {
			return s.rules[i]
		}
	}
	return s.weekly[weekday(day)]
}

// rulesAround returns the ranges that start on local date day and on the day
// before, with one search of the holiday and override dates.
func (s *Schedule) rulesAround(day int64) (today, before []span) {
	wd := weekday(day)
	today, before = s.weekly[wd], s.weekly[(wd+6)%7]
	if n := len(s.days); n > 0 && day >= s.days[0] && day-1 <= s.days[n-1] {
		i, _ := slices.BinarySearch(s.days, day-1)
		if i < n && s.days[i] == day-1 {
			before = s.rules[i]
			i++
		}
		if i < n && s.days[i] == day {
			today = s.rules[i]
		}
	}
	return today, before
}

// weekday returns the time.Weekday of local date day.
func weekday(day int64) int {
	return int((day%7 + 11) % 7) // 1970-01-01 was a Thursday
}

// openAtReading reports whether a range holds the wall-clock reading m
// (local seconds). Only ranges of m's date and the day before can: ranges
// are shorter than a day.
func (s *Schedule) openAtReading(m int64) bool {
	day := floorDiv(m, secondsPerDay)
	sod := int32(m - day*secondsPerDay)
	today, before := s.rulesAround(day)
	for _, sp := range today {
		if sod < sp.start {
			break
		}
		if sod < sp.end {
			return true
		}
	}
	// Of the day before, only the last range can run past midnight (the
	// ranges of a day do not overlap).
	return len(before) > 0 && sod+secondsPerDay < before[len(before)-1].end
}

// nextChange returns the first instant after u (Unix seconds) at which the
// schedule opens or closes, if it is no later than limit.
//
// OpenAt at instant x is openAtReading(reading(x)), and reading never
// decreases; so the state changes at the first instant the reading reaches
// a wall-clock time where the ranges' state changes — resolve of that time
// — unless the clock jumps (set forward) past a stretch that would have
// switched the state back, in which case the search goes on from the
// reading after the jump.
func (s *Schedule) nextChange(u, limit int64) (int64, bool) {
	m := s.zone.reading(u)
	open := s.openAtReading(m)
	// resolve(w) >= w-maxOffset, so wall times past wallLimit resolve to
	// instants past limit.
	wallLimit := limit + maxOffset
	for {
		w, ok := s.wallChange(m, open, wallLimit)
		if !ok {
			return 0, false
		}
		x := s.zone.resolve(w) // > u: the reading at u is m < w
		if x > limit {
			return 0, false
		}
		m = max(s.zone.reading(x), w) // the reading at x is w or more; max only guards progress
		if s.openAtReading(m) != open {
			return x, true
		}
	}
}

// wallChange returns the first wall-clock time after m (local seconds) at
// which the ranges' state differs from open, their state at m; it looks at
// wall times up to limit.
func (s *Schedule) wallChange(m int64, open bool, limit int64) (int64, bool) {
	day := floorDiv(m, secondsPerDay)
	if !open {
		// The first range start after m; ranges of day-1 start before m.
		for d := day; d*secondsPerDay <= limit; d++ {
			base := d * secondsPerDay
			for _, sp := range s.rule(d) {
				if a := base + int64(sp.start); a > m {
					return a, true
				}
			}
		}
		return 0, false
	}
	// The end of the run of touching or overlapping ranges holding m.
	end := m
	if r := s.rule(day - 1); len(r) > 0 {
		end = max(end, (day-1)*secondsPerDay+int64(r[len(r)-1].end))
	}
	for d := day; d*secondsPerDay <= end; d++ {
		if d*secondsPerDay > limit {
			return 0, false
		}
		base := d * secondsPerDay
		for _, sp := range s.rule(d) {
			if base+int64(sp.start) > end {
				return end, true
			}
			end = max(end, base+int64(sp.end))
		}
	}
	return end, true
}
