package analytics

import (
	"math"
	"time"
)

// GroupFuture is a group's staffing forecast for the next 24 hours.
type GroupFuture struct {
	Group               string  `json:"group"`
	ServiceLevel        float64 `json:"service_level"`
	AnswerWithinSeconds float64 `json:"answer_within_seconds"`
	// Weeks is the most weeks of history any hour of the forecast rests on
	// (0 to 4).
	Weeks int          `json:"weeks"`
	Hours []FutureHour `json:"hours"`
}

// FutureHour is one hour of a forecast.
type FutureHour struct {
	Hour time.Time `json:"hour"`
	// Arrivals is the mean of the chats that reached the group in the same
	// hour of the week over the weeks of history; HandleSeconds their mean
	// handle time.
	Arrivals        float64 `json:"arrivals"`
	HandleSeconds   float64 `json:"handle_seconds"`
	AgentsNeeded    int     `json:"agents_needed"`
	AgentsScheduled int     `json:"agents_scheduled"`
	Open            bool    `json:"open"`
	// Weeks is how many of the last four weeks this hour rests on.
	Weeks int `json:"weeks"`
	// Short is set when fewer agents are scheduled than needed.
	Short bool `json:"short"`
}

// forecastWeeks is how many past weeks the forecast averages.
const forecastWeeks = 4

// DefaultHandle is the handle time assumed for an hour with arrivals
// but no finished chat to measure in any of its weeks nor in the group's
// four weeks: five minutes, a common chat handle time.
const DefaultHandle = 5 * time.Minute

// forecastLocked forecasts each group for the 24 hours from the next full
// hour. The caller holds a.mu.
//
// For each hour H: arrivals are the mean of the group's arrivals at H−1w,
// H−2w, H−3w, H−4w over the weeks that lie after the first hour this node
// recorded (a week with no arrivals counts as 0, a week before the
// figures began is left out: with two weeks of history the mean is over
// two); the handle time is the mean of those weeks' finished chats, else
// the group's over the four weeks, else DefaultHandle.
func (a *Analytics) forecastLocked(groups []string, now time.Time) []GroupFuture {
	out := make([]GroupFuture, 0, len(groups))
	start := hourOf(now) + 3600
	const week = 7 * 24 * 3600
	for _, g := range groups {
		level, within := a.opts.Target(g)
		f := GroupFuture{Group: g, ServiceLevel: level, AnswerWithinSeconds: within.Seconds(), Hours: make([]FutureHour, 0, 24)}
		// The group's mean handle time over the four weeks, the fallback.
		var sum float64
		var n uint64
		for h := start - forecastWeeks*week; h < start; h += 3600 {
			if b := a.buckets[key{h, g}]; b != nil {
				sum += b.HandleSum
				n += b.Handle.Count()
			}
		}
		fallback := DefaultHandle.Seconds()
		if n > 0 {
			fallback = sum / float64(n)
		}
		for i := range 24 {
			h := start + int64(i)*3600
			var arrivals, hsum float64
			var hn uint64
			weeks := 0
			for w := int64(1); w <= forecastWeeks; w++ {
				past := h - w*week
				if past < a.since {
					continue
				}
				weeks++
				if b := a.buckets[key{past, g}]; b != nil {
					arrivals += float64(b.Handovers)
					hsum += b.HandleSum
					hn += b.Handle.Count()
				}
			}
			fh := FutureHour{Hour: time.Unix(h, 0).UTC(), Weeks: weeks}
			if weeks > 0 {
				fh.Arrivals = round2(arrivals / float64(weeks))
			}
			fh.HandleSeconds = fallback
			if hn > 0 {
				fh.HandleSeconds = hsum / float64(hn)
			}
			fh.HandleSeconds = math.Round(fh.HandleSeconds)
			fh.AgentsNeeded = AgentsNeeded(fh.Arrivals, fh.HandleSeconds, within.Seconds(), level)
			f.Weeks = max(f.Weeks, weeks)
			f.Hours = append(f.Hours, fh)
		}
		out = append(out, f)
	}
	return out
}

// schedule fills in the hours' opening and agents from the router (not
// under a.mu: the router's lock is taken there).
func (a *Analytics) schedule(fs []GroupFuture) {
	for i := range fs {
		for j := range fs[i].Hours {
			fh := &fs[i].Hours[j]
			fh.Open = true
			if a.opts.Open != nil {
				fh.Open = a.opts.Open(fs[i].Group, fh.Hour)
			}
			if a.opts.Scheduled != nil {
				fh.AgentsScheduled = a.opts.Scheduled(fs[i].Group, fh.Hour)
			}
			fh.Short = fh.AgentsScheduled < fh.AgentsNeeded
		}
	}
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
