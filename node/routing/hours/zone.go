package hours

import (
	"math"
	"time"
)

const (
	secondsPerDay = 24 * 60 * 60

	// maxOffset bounds the magnitude of every UTC offset in the tz database
	// (the extremes, local mean times of the 19th century, stay under 16
	// hours). It only has to be an upper bound: it sets how far back
	// resolve starts looking and how far ahead NextChange reads the rules.
	maxOffset = 26 * 60 * 60

	// The zone table covers [tableFrom, tableTo); other instants ask the
	// time package directly (correct, but slower).
	tableFrom = 946684800  // 2000-01-01T00:00:00Z
	tableTo   = 4102444800 // 2100-01-01T00:00:00Z
)

// period is a stretch of time during which a zone keeps one UTC offset.
// Instants are Unix seconds; wall-clock readings are "local seconds": the
// Unix seconds of the same calendar date and clock time in UTC.
type period struct {
	start int64 // first instant; math.MinInt64 if unbounded
	end   int64 // first instant after the period; math.MaxInt64 if unbounded
	off   int64 // UTC offset, seconds east
	// high is the highest wall-clock reading shown at any instant before
	// start (math.MinInt64 if none). It exceeds the readings at the start of
	// the period only after the clocks were set back.
	high int64
}

// zoneTable answers offset questions for one Location without calling into
// the time package: the periods from 2000 to 2099, consecutive periods with
// the same offset merged (a change of abbreviation alone changes nothing
// here).
type zoneTable struct {
	loc     *time.Location
	periods []period // ascending, contiguous; from at most tableFrom to at least tableTo
	// first[k] is the index of the period holding instant
	// tableFrom + k<<bucketShift: a lookup starts there and steps forward
	// past at most a few transitions.
	first []uint16
}

// bucketShift sets the span of one entry of zoneTable.first: 2^22 s, about
// 48 days (about 750 entries for the century).
const bucketShift = 22

func newZoneTable(loc *time.Location) *zoneTable {
	z := &zoneTable{loc: loc}
	x := int64(tableFrom)
	for range 100000 { // bound only; a century holds a few hundred periods
		p := zoneAt(loc, x)
		if n := len(z.periods); n > 0 && z.periods[n-1].off == p.off {
			z.periods[n-1].end = p.end
		} else {
			if n == 0 {
				p.high = highBefore(loc, p.start)
			} else {
				prev := z.periods[n-1]
				p.start = x // = prev.end: keep the table contiguous whatever the bounds said
				p.high = max(prev.high, p.start-1+prev.off)
			}
			z.periods = append(z.periods, p)
		}
		if p.end >= tableTo {
			break
		}
		x = p.end
	}
	if ps := z.periods; ps[0].start > tableFrom || ps[len(ps)-1].end < tableTo || len(ps) > math.MaxUint16 {
		return z // not expected; period then searches, or asks the time package
	}
	for x := int64(tableFrom); x < tableTo; x += 1 << bucketShift {
		z.first = append(z.first, uint16(z.search(x)))
	}
	return z
}

// zoneAt asks the time package for the period holding instant x (its high
// is left unset). The bounds it gives may be finer than the zone's real
// periods (the rule that extends a zone past its last listed transition
// reports a boundary at each UTC new year); the offset is always right.
func zoneAt(loc *time.Location, x int64) period {
	p := rawZoneAt(loc, x)
	if p.end <= x {
		// For the last UTC day of a leap year served by that rule, Go
		// reports an end a day early, before x (golang/go#81583). Find the
		// real next change by probing.
		p.end = probeEnd(loc, x, p.off)
	}
	p.start = min(p.start, x)
	return p
}

func rawZoneAt(loc *time.Location, x int64) period {
	t := time.Unix(x, 0).In(loc)
	_, off := t.Zone()
	a, b := t.ZoneBounds()
	p := period{start: math.MinInt64, end: math.MaxInt64, off: int64(off), high: math.MinInt64}
	if !a.IsZero() {
		p.start = a.Unix()
	}
	if !b.IsZero() {
		p.end = b.Unix()
	}
	return p
}

// probeEnd returns an instant after x up to which the offset stays off:
// the next change, or the first probe (every 6 hours) at which the time
// package's bounds make sense again, the period from there on having the
// same offset. The bad bounds come from a zone's rule, which changes the
// offset twice a year, so no change is missed between probes.
func probeEnd(loc *time.Location, x, off int64) int64 {
	lo := x
	for range 48 {
		hi := lo + 6*3600
		q := rawZoneAt(loc, hi)
		if q.off != off {
			for hi-lo > 1 { // the change is in (lo, hi]
				mid := lo + (hi-lo)/2
				if rawZoneAt(loc, mid).off == off {
					lo = mid
				} else {
					hi = mid
				}
			}
			return hi
		}
		if q.end > hi {
			return hi
		}
		lo = hi
	}
	return lo + 1
}

// highBefore returns the highest wall-clock reading shown before instant
// start, walking back through earlier periods for as long as one of them
// could have shown a higher reading.
func highBefore(loc *time.Location, start int64) int64 {
	high := int64(math.MinInt64)
	for range 16 {
		if start == math.MinInt64 {
			break
		}
		q := zoneAt(loc, start-1)
		high = max(high, start-1+q.off)
		// Instants before q.start read at most q.start-1+maxOffset.
		if q.start == math.MinInt64 || q.start-1+maxOffset <= high {
			break
		}
		start = q.start
	}
	return high
}

// period returns the period holding instant x.
func (z *zoneTable) period(x int64) period {
	if x >= tableFrom && x < tableTo && z.first != nil {
		i := int(z.first[(x-tableFrom)>>bucketShift])
		for z.periods[i].end <= x {
			i++
		}
		return z.periods[i]
	}
	if ps := z.periods; x >= ps[0].start && x < ps[len(ps)-1].end {
		return ps[z.search(x)]
	}
	p := zoneAt(z.loc, x)
	p.high = highBefore(z.loc, p.start)
	return p
}

// search returns the index of the table's period holding x, which the
// table must cover.
func (z *zoneTable) search(x int64) int {
	ps := z.periods
	lo, hi := 0, len(ps)-1
	for lo < hi {
		mid := int(uint(lo+hi+1) >> 1)
		if ps[mid].start <= x {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// reading returns the effective wall-clock reading at instant x: the
// highest reading the zone's clock has shown up to and including x. It is
// the clock reading itself except during a repeated stretch after the
// clocks were set back, when it stays at the last reading before the set
// back.
func (z *zoneTable) reading(x int64) int64 {
	p := z.period(x)
	return max(x+p.off, p.high)
}

// resolve returns the first instant at which the clock reads w or later:
// the instant w happens, the first of two if w happens twice (set back),
// and the instant the clock jumps past w if w never happens (set forward).
func (z *zoneTable) resolve(w int64) int64 {
	// Before lo the clock read less than w (offsets stay under maxOffset).
	lo := w - maxOffset
	p := z.period(lo)
	for range 64 {
		if c := max(lo, p.start, w-p.off); c < p.end {
			return c
		}
		p = z.period(p.end)
	}
	return w - p.off // not reached: periods are at least seconds long
}

// floorDiv returns a/b rounded down (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}
