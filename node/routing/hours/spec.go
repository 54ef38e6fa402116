package hours

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Spec is the configuration form of a schedule, as it comes from YAML.
// The zero Spec is invalid (it names no zone); a Spec with a zone and no
// ranges is valid and always closed.
type Spec struct {
	// TZ is the IANA zone the ranges are read in, e.g. "America/Mexico_City",
	// "Asia/Kathmandu" or "UTC". Empty and "Local" are rejected.
	TZ string `yaml:"tz" json:"tz"`
	// Weekly maps a day ("mon" … "sun", lower case) to its ranges,
	// "HH:MM-HH:MM". Several ranges make a split shift; a range whose end
	// is not after its start runs past midnight into the next day
	// ("22:00-02:00"); "00:00-24:00" is the whole day; "24:00" is allowed
	// only as an end. A missing day is closed.
	Weekly map[string][]string `yaml:"weekly" json:"weekly"`
	// Holidays are local dates, "YYYY-MM-DD", on which no range starts.
	Holidays []string `yaml:"holidays" json:"holidays"`
	// Overrides maps a local date, "YYYY-MM-DD", to the ranges that start
	// on it instead of the weekly ones; an empty list closes the date. An
	// override beats a holiday on the same date.
	Overrides map[string][]string `yaml:"overrides" json:"overrides"`
}

// span is a compiled range: seconds after the midnight that begins the
// date it belongs to. 0 <= start < 86400 and start < end <= start+86400;
// end > 86400 for a range that runs past midnight.
type span struct{ start, end int32 }

var dayIndex = map[string]int{ // → time.Weekday
	"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
}

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Compile validates spec and builds its Schedule. Every problem found is
// reported, each as an *Error that names the field and the bad value and
// wraps ErrInvalid (several are joined with errors.Join).
//
// Besides malformed values, Compile rejects a duplicate holiday, ranges of
// one day (weekly or override) that overlap, and a weekly range running
// past midnight into the next weekday's first range. Overlaps it cannot
// see statically (an override next to a day whose range runs past
// midnight into it) are allowed: the schedule is open when any range is.
func Compile(spec Spec) (*Schedule, error) {
	var errs []error
	bad := func(field, value, reason string) {
		errs = append(errs, &Error{Field: field, Value: value, Reason: reason})
	}

	var loc *time.Location
	switch spec.TZ {
	case "":
		bad("tz", spec.TZ, `empty; name an IANA zone such as "Europe/London", or "UTC"`)
	case "Local":
		bad("tz", spec.TZ, "the machine's own zone is not allowed; name an IANA zone")
	default:
		l, err := time.LoadLocation(spec.TZ)
		if err != nil {
			bad("tz", spec.TZ, err.Error())
		} else {
			loc = l
		}
	}

	s := &Schedule{}

	// Weekly, in the order mon … sun, then unknown keys alphabetically.
	keys := make([]string, 0, len(spec.Weekly))
	for k := range spec.Weekly {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		ai, aok := dayIndex[a]
		bi, bok := dayIndex[b]
		switch {
		case aok && bok:
			return cmp.Compare((ai+6)%7, (bi+6)%7)
		case aok != bok:
			if aok {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	var weeklyIdx [7][]int // original index of each compiled span, for messages
	for _, k := range keys {
		field := "weekly." + k
		d, ok := dayIndex[k]
		if !ok {
			bad(field, k, "unknown day; want mon, tue, wed, thu, fri, sat or sun")
			continue
		}
		s.weekly[d], weeklyIdx[d] = compileRanges(field, spec.Weekly[k], bad)
	}
	// A range running past midnight must end before the next day's first.
	for d := range 7 {
		r, next := s.weekly[d], s.weekly[(d+1)%7]
		if len(r) == 0 || len(next) == 0 {
			continue
		}
		last := r[len(r)-1]
		if tail := last.end - secondsPerDay; tail > next[0].start {
			nd := dayNames[(d+1)%7]
			i := weeklyIdx[(d+1)%7][0]
			bad(fmt.Sprintf("weekly.%s[%d]", nd, i), spec.Weekly[nd][i],
				fmt.Sprintf("overlaps weekly.%s[%d] %q, which runs past midnight",
					dayNames[d], weeklyIdx[d][len(r)-1], spec.Weekly[dayNames[d]][weeklyIdx[d][len(r)-1]]))
		}
	}

	// Holidays and overrides, both keyed by local date.
	rules := map[int64][]span{}
	firstHoliday := map[int64]int{}
	for i, h := range spec.Holidays {
		field := fmt.Sprintf("holidays[%d]", i)
		day, err := parseDate(h)
		if err != nil {
			bad(field, h, err.Error())
			continue
		}
		if j, dup := firstHoliday[day]; dup {
			bad(field, h, fmt.Sprintf("duplicate of holidays[%d]", j))
			continue
		}
		firstHoliday[day] = i
		rules[day] = []span{}
	}
	dates := make([]string, 0, len(spec.Overrides))
	for k := range spec.Overrides {
		dates = append(dates, k)
	}
	slices.Sort(dates)
	for _, k := range dates {
		field := "overrides." + k
		day, err := parseDate(k)
		if err != nil {
			bad(field, k, err.Error())
			continue
		}
		r, _ := compileRanges(field, spec.Overrides[k], bad)
		rules[day] = r // beats a holiday on the same date
	}

	if len(errs) > 0 {
		if len(errs) == 1 {
			return nil, errs[0]
		}
		return nil, errors.Join(errs...)
	}

	for day := range rules {
		s.days = append(s.days, day)
	}
	slices.Sort(s.days)
	s.rules = make([][]span, len(s.days))
	for i, day := range s.days {
		s.rules[i] = rules[day]
	}
	s.zone = newZoneTable(loc)
	return s, nil
}

// compileRanges parses one day's ranges, reporting bad ones through bad
// under field[i], and returns the valid ranges sorted by start with their
// indexes in list. Overlapping ranges are reported and dropped.
func compileRanges(field string, list []string, bad func(field, value, reason string)) ([]span, []int) {
	type item struct {
		sp span
		i  int
	}
	items := make([]item, 0, len(list))
	for i, v := range list {
		start, end, err := parseRange(v)
		if err != nil {
			bad(fmt.Sprintf("%s[%d]", field, i), v, err.Error())
			continue
		}
		items = append(items, item{span{int32(start * 60), int32(end * 60)}, i})
	}
	slices.SortFunc(items, func(a, b item) int { return cmp.Compare(a.sp.start, b.sp.start) })
	spans := make([]span, 0, len(items))
	idx := make([]int, 0, len(items))
	for _, it := range items {
		if n := len(spans); n > 0 && it.sp.start < spans[n-1].end {
			j := idx[n-1]
			bad(fmt.Sprintf("%s[%d]", field, it.i), list[it.i],
				fmt.Sprintf("overlaps %s[%d] %q", field, j, list[j]))
			continue
		}
		spans = append(spans, it.sp)
		idx = append(idx, it.i)
	}
	return spans, idx
}

// parseRange parses "HH:MM-HH:MM" into minutes after midnight. The end is
// after the start: a range written with end <= start runs past midnight,
// and its end is returned plus 1440. An empty range ("09:00-09:00") is an
// error; "00:00-24:00" is the whole day.
func parseRange(s string) (start, end int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, errors.New(`want "HH:MM-HH:MM"`)
	}
	if start, err = parseClock(a); err != nil {
		return 0, 0, fmt.Errorf("start: %w", err)
	}
	if start == 24*60 {
		return 0, 0, errors.New("24:00 is allowed only as an end")
	}
	if end, err = parseClock(b); err != nil {
		return 0, 0, fmt.Errorf("end: %w", err)
	}
	switch {
	case end == start:
		return 0, 0, errors.New(`empty range; "00:00-24:00" is the whole day`)
	case end < start:
		end += 24 * 60 // runs past midnight
	}
	return start, end, nil
}

// parseClock parses "HH:MM" (two digits each, 00:00 to 24:00) into minutes
// after midnight.
func parseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' || !digits(s[:2]) || !digits(s[3:]) {
		return 0, fmt.Errorf("%q: want HH:MM", s)
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 {
		return 0, fmt.Errorf("%q: minute out of range", s)
	}
	if h > 24 || h == 24 && m != 0 {
		return 0, fmt.Errorf("%q: hour out of range", s)
	}
	return h*60 + m, nil
}

func digits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatRange is the inverse of parseRange (a range running past midnight
// to exactly midnight comes back as "…-24:00").
func formatRange(start, end int) string {
	if end > 24*60 {
		end -= 24 * 60
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d", start/60, start%60, end/60, end%60)
}

// parseDate parses "YYYY-MM-DD" into days since 1970-01-01.
func parseDate(s string) (int64, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s[:4]) || !digits(s[5:7]) || !digits(s[8:]) {
		return 0, errors.New("want a date YYYY-MM-DD")
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, errors.New("no such date")
	}
	return floorDiv(t.Unix(), secondsPerDay), nil
}
