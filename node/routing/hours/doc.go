// Package hours says when an agent group is open, in the group's own time
// zone: weekly ranges of wall-clock time, holidays and per-date overrides,
// compiled once (Compile) and then asked, for an instant, whether the group
// is open (OpenAt), when that next changes (NextChange) or when it next
// opens (NextOpen). The routing decision asks OpenAt for every candidate
// group, so it is cheap and allocation-free; see Performance.
//
// A Schedule is immutable and safe for concurrent use. Spec is its plain
// configuration form (it comes from YAML).
//
// # Ranges
//
// A range "HH:MM-HH:MM" is wall-clock time in the schedule's zone, on the
// date it is listed for (a weekday, or an override's date). Ranges are
// half-open: "09:00-17:00" is open at 09:00:00 and closed at 17:00:00.
// Several ranges on a day are a split shift ("09:00-13:00", "14:00-18:00").
// A range whose end is not after its start runs past midnight: "22:00-02:00"
// on fri is open from Friday 22:00 to Saturday 02:00. "00:00-24:00" is the
// whole day; "24:00" may only end a range; an empty range ("09:00-09:00")
// is an error, as are overlapping ranges on one day and a weekly range
// running past midnight into the next weekday's first range. A range that
// runs past midnight belongs to the date it starts on.
//
// Instants are compared with the group's clock, whatever the zone of the
// customer: at 2026-06-16 13:00 in Pacific/Auckland (Tuesday) a group in
// America/Los_Angeles reads Monday 18:00, and its Monday ranges apply.
//
// # Holidays and overrides
//
// A holiday closes its local date: no range starts on it. A range that
// started the day before and runs past midnight into the holiday still runs
// to its end (the shift was under way; it belongs to its start date). An
// override replaces the ranges starting on its date (an empty list closes
// the date); it beats a holiday on the same date. The same rule applies at
// both ends: the day before's range runs on into an override date, and an
// override's range that runs past midnight runs on into the next date, even
// a holiday. Overlaps between an override and its neighbours' ranges are
// allowed: the schedule is open when any range is.
//
// # Daylight saving time
//
// A range opens the first time the group's clock reaches its start and
// closes the first time the clock reaches its end; each range is one
// stretch of real time and never reopens. Equivalently, OpenAt reads the
// group's clock but never lets it run backwards: when the clocks are set
// back, the repeated stretch reads as the last second before the set back
// until the clock catches up. On transition days:
//
//   - Set forward (America/New_York, 2026-03-08: 02:00 EST becomes 03:00
//     EDT): times from 02:00 to 02:59 never happen. A range starting at 02:30
//     opens at 03:00 EDT (07:00 UTC), when the clock jumps past 02:30; a
//     range ending at 02:30 closes then; a range inside the gap
//     ("02:10-02:40") never opens. "00:00-24:00" that day lasts 23 hours.
//   - Set back (America/New_York, 2026-11-01: 02:00 EDT becomes 01:00 EST):
//     01:00 to 01:59 happen twice. A range ending at 01:30 closes at the
//     first 01:30 (EDT, 05:30 UTC) and stays closed through the repeated
//     hour — the shift is over. A range starting at 01:30 opens at the first
//     01:30 and stays open through the repeat. A range holding the whole
//     repeated hour ("00:00-03:00", or one ending at 02:00) is open in both
//     occurrences. A range "22:00-02:00" running into that day lasts 5 real
//     hours; "00:00-24:00" lasts 25.
//   - A range that does not span the transition ("09:00-17:00" on a day the
//     clocks change at 02:00) keeps its length.
//
// Australia/Lord_Howe moves its clocks by 30 minutes (02:00 +10:30 becomes
// 02:30 +11 on the first Sunday of October; 02:00 +11 becomes 01:30 +10:30
// on the first Sunday of April), zones such as America/Santiago change at
// midnight (so a date may start at 01:00, or 23:00 may happen twice), and
// Pacific/Apia skipped 2011-12-30 entirely; the same rule covers all of
// them.
//
// time.Date is not used to place range ends on transition days: its
// choice for a time that does not exist, or exists twice, depends on the
// sign of the zone's offset (02:30 on 2026-03-08 in America/New_York gives
// 01:30 EST, an hour early, while 01:30 on 2026-03-29 in Europe/London
// gives 02:30 BST; 01:30 on the set-back day gives the first occurrence in
// New York but the second in London).
//
// # Performance
//
// Compile reads the zone's offsets from 2000 to 2099 into a table: about
// 200 entries and an index (some 8 kB) for a zone with daylight saving
// time, one entry for a fixed zone; that takes about 0.2 ms for a zone
// with daylight saving time, mostly in the time package. OpenAt is
// then an index lookup, a step or two through the table, arithmetic, and a
// look at two days' ranges (plus one binary search of the holiday and
// override dates when there are any): about 50 ns, no allocation, no call
// into the time package; 100 groups take about 6 µs. Instants outside
// 2000–2099 ask the time package instead: correct and allocation-free,
// but about a microsecond. NextChange and NextOpen read the rules day by
// day, so their cost grows with the distance to the next change (within
// bounds it): a few hundred nanoseconds for a week.
//
// # Time zone data
//
// Compile loads the zone with time.LoadLocation, which reads the system's
// tz database (/usr/share/zoneinfo) or $ZONEINFO. Slim container images
// (scratch, distroless/static, alpine without tzdata) have none, and then
// every zone but "UTC" fails to compile with a "tz" error. The binary can
// carry its own copy by importing time/tzdata (about 450 kB) in package
// main; this package does not, so that the choice stays with the binary.
//
// Past a zone's last listed transition (2037 in "fat" zone files, as early
// as 2007 in "slim" ones) the time package computes offsets from the zone's
// rule, and Time.ZoneBounds then reports, on the last day of a leap year,
// an end before the instant asked about (golang/go#81583). The package
// works around it (see zoneAt); the offsets themselves are right.
package hours
