package analytics

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// Stats is the answer of GET /v1/admin/stats (docs/ANALYTICS.md).
type Stats struct {
	Node        string        `json:"node"`
	From        time.Time     `json:"from"`
	To          time.Time     `json:"to"`
	GeneratedAt time.Time     `json:"generated_at"`
	Now         Now           `json:"now"`
	Totals      Totals        `json:"totals"`
	Groups      []GroupStats  `json:"groups"`
	Series      []HourStats   `json:"series"`
	Forecast    []GroupFuture `json:"forecast"`
}

// Now are the figures of the moment, read from the gateway and router.
type Now struct {
	CustomersConnected int         `json:"customers_connected"`
	Agents             AgentCounts `json:"agents"`
	Groups             []LiveGroup `json:"groups"`
}

// AgentCounts are agents connected now.
type AgentCounts struct {
	Online int `json:"online"`
	Away   int `json:"away"`
}

// LiveGroup is one group now.
type LiveGroup struct {
	Name               string  `json:"name"`
	Open               bool    `json:"open"`
	AgentsOnline       int     `json:"agents_online"`
	AgentsAway         int     `json:"agents_away"`
	Waiting            int     `json:"waiting"`
	LongestWaitSeconds float64 `json:"longest_wait_seconds"`
}

// Totals are the range's figures.
type Totals struct {
	Conversations              uint64            `json:"conversations"`
	BotResolved                uint64            `json:"bot_resolved"`
	BotResolutionRate          float64           `json:"bot_resolution_rate"`
	Handovers                  uint64            `json:"handovers"`
	HandoversByReason          map[string]uint64 `json:"handovers_by_reason"`
	Messages                   uint64            `json:"messages"`
	TopIntentsHour             []IntentCount     `json:"top_intents_hour"`
	TopIntentsDay              []IntentCount     `json:"top_intents_day"`
	CSAT                       CSAT              `json:"csat"`
	FirstResponseMedianSeconds float64           `json:"first_response_median_seconds,omitzero"`
	HandleMedianSeconds        float64           `json:"handle_median_seconds,omitzero"`
}

// IntentCount is one of the top intents.
type IntentCount struct {
	Intent string `json:"intent"`
	Count  uint64 `json:"count"`
}

// CSAT are customers' ratings.
type CSAT struct {
	Count   uint64            `json:"count"`
	Average float64           `json:"average,omitzero"`
	ByScore map[string]uint64 `json:"by_score"`
}

// GroupStats are one group's figures over the range.
type GroupStats struct {
	Name                       string  `json:"name"`
	Handovers                  uint64  `json:"handovers"`
	FirstResponseMedianSeconds float64 `json:"first_response_median_seconds,omitzero"`
	HandleMedianSeconds        float64 `json:"handle_median_seconds,omitzero"`
	CSAT                       CSAT    `json:"csat"`
}

// HourStats is one hour of the series.
type HourStats struct {
	Hour                       time.Time `json:"hour"`
	Conversations              uint64    `json:"conversations"`
	BotResolved                uint64    `json:"bot_resolved"`
	Handovers                  uint64    `json:"handovers"`
	Messages                   uint64    `json:"messages"`
	CSATCount                  uint64    `json:"csat_count"`
	CSATSum                    uint64    `json:"csat_sum"`
	FirstResponseMedianSeconds float64   `json:"first_response_median_seconds,omitzero"`
	HandleMedianSeconds        float64   `json:"handle_median_seconds,omitzero"`
}

// Query selects figures: the hours overlapping [From, To), of Group (""
// for the whole node).
type Query struct {
	From, To time.Time
	Group    string
}

// maxTop is how many top intents are listed.
const maxTop = 10

// Check validates q against the retention at now: From before To, not
// in the future, not before the retention's start, and the range no
// longer than the retention (the series has an entry per hour).
func (a *Analytics) Check(q Query) error {
	now := a.now()
	switch {
	case !q.From.Before(q.To):
		return fmt.Errorf("%w: from %s is not before to %s", ErrInvalid, q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	case q.To.Sub(q.From) > a.opts.Retention:
		return fmt.Errorf("%w: a range of %s is longer than the retention of %s (analytics.retention)", ErrInvalid, q.To.Sub(q.From), a.opts.Retention)
	case q.From.Before(now.Add(-a.opts.Retention)):
		return fmt.Errorf("%w: from %s is before the retention of %s (analytics.retention)", ErrInvalid, q.From.Format(time.RFC3339), a.opts.Retention)
	case q.From.After(now):
		return fmt.Errorf("%w: from %s is in the future", ErrInvalid, q.From.Format(time.RFC3339))
	}
	if q.Group != "" && !slices.Contains(a.groups(), q.Group) {
		return fmt.Errorf("%w: %q", ErrUnknownGroup, q.Group)
	}
	return nil
}

// groups lists the configured groups, then any other with figures, in
// order.
func (a *Analytics) groups() []string {
	var names []string
	if a.opts.Groups != nil {
		names = append(names, a.opts.Groups()...)
	}
	a.mu.Lock()
	for g := range a.groupsSeen {
		if !slices.Contains(names, g) {
			names = append(names, g)
		}
	}
	a.mu.Unlock()
	sort.Strings(names)
	return slices.Compact(names)
}

// Query returns the figures of q (see Check for its errors).
func (a *Analytics) Query(q Query) (*Stats, error) {
	if err := a.Check(q); err != nil {
		return nil, err
	}
	now := a.now()
	st := &Stats{Node: a.opts.Node, From: q.From.UTC(), To: q.To.UTC(), GeneratedAt: now.UTC(),
		Groups: []GroupStats{}, Series: []HourStats{}, Forecast: []GroupFuture{}}
	if a.opts.Live != nil {
		st.Now = a.opts.Live()
	}
	if st.Now.Groups == nil {
		st.Now.Groups = []LiveGroup{}
	} else if q.Group != "" {
		st.Now.Groups = slices.DeleteFunc(st.Now.Groups, func(g LiveGroup) bool { return g.Name != q.Group })
	}
	groups := a.groups()
	if q.Group != "" {
		groups = []string{q.Group}
	}
	first, last := hourOf(q.From), hourOf(q.To.Add(-time.Nanosecond))

	a.mu.Lock()
	var total Counts
	for h := first; h <= last; h += 3600 {
		var c Counts
		if b := a.buckets[key{h, q.Group}]; b != nil {
			c = *b
			total.Merge(b)
		}
		st.Series = append(st.Series, hourStats(h, &c))
	}
	for _, g := range groups {
		var c Counts
		for h := first; h <= last; h += 3600 {
			if b := a.buckets[key{h, g}]; b != nil {
				c.Merge(b)
			}
		}
		st.Groups = append(st.Groups, GroupStats{Name: g, Handovers: c.Handovers,
			FirstResponseMedianSeconds: c.FirstResponse.Median(), HandleMedianSeconds: c.Handle.Median(), CSAT: csatOf(&c)})
	}
	// Top intents: the day before To from the buckets; the hour before
	// it from the rolling minutes when To is now (a group's from its
	// buckets).
	var day, hour Counts
	for h := hourOf(q.To.Add(-24 * time.Hour)); h <= last; h += 3600 {
		if b := a.buckets[key{h, q.Group}]; b != nil {
			day.Merge(b)
		}
	}
	var hourTop []IntentCount
	if q.Group == "" && now.Sub(q.To) < time.Minute && q.To.Sub(now) < time.Minute {
		hourTop = a.lastHourLocked(now)
	} else {
		for h := hourOf(q.To.Add(-time.Hour)); h <= last; h += 3600 {
			if b := a.buckets[key{h, q.Group}]; b != nil {
				hour.Merge(b)
			}
		}
		hourTop = top(hour.Intents)
	}
	st.Forecast = a.forecastLocked(groups, now)
	a.mu.Unlock()
	a.schedule(st.Forecast)

	t := &st.Totals
	t.Conversations, t.BotResolved, t.Handovers, t.Messages = total.Conversations, total.BotResolved, total.Handovers, total.Messages
	if total.Conversations > 0 {
		t.BotResolutionRate = float64(total.BotResolved) / float64(total.Conversations)
	}
	t.HandoversByReason = map[string]uint64{}
	for r, n := range total.Reasons {
		t.HandoversByReason[r] = n
	}
	t.TopIntentsHour, t.TopIntentsDay = hourTop, top(day.Intents)
	t.CSAT = csatOf(&total)
	t.FirstResponseMedianSeconds, t.HandleMedianSeconds = total.FirstResponse.Median(), total.Handle.Median()
	return st, nil
}

func hourStats(h int64, c *Counts) HourStats {
	s := HourStats{Hour: time.Unix(h, 0).UTC(), Conversations: c.Conversations, BotResolved: c.BotResolved, Handovers: c.Handovers,
		Messages: c.Messages, FirstResponseMedianSeconds: c.FirstResponse.Median(), HandleMedianSeconds: c.Handle.Median()}
	for i, n := range c.CSAT {
		s.CSATCount += n
		s.CSATSum += n * uint64(i+1)
	}
	return s
}

func csatOf(c *Counts) CSAT {
	out := CSAT{ByScore: map[string]uint64{}}
	var sum uint64
	for i, n := range c.CSAT {
		out.ByScore[scoreKey(i)] = n
		out.Count += n
		sum += n * uint64(i+1)
	}
	if out.Count > 0 {
		out.Average = float64(sum) / float64(out.Count)
	}
	return out
}

// lastHourLocked sums the rolling minutes of the 60 before now.
func (a *Analytics) lastHourLocked(now time.Time) []IntentCount {
	cur := now.Unix() / 60
	sum := map[string]uint64{}
	for i := range a.minutes {
		s := &a.minutes[i]
		if s.minute > cur-60 && s.minute <= cur {
			for in, n := range s.counts {
				sum[in] += uint64(n)
			}
		}
	}
	return top(sum)
}

// top lists the most frequent intents, at most maxTop, most first (ties
// by name).
func top(m map[string]uint64) []IntentCount {
	out := make([]IntentCount, 0, len(m))
	for in, n := range m {
		if in == "oos" || in == "" || n == 0 {
			continue
		}
		out = append(out, IntentCount{in, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Intent < out[j].Intent
	})
	if len(out) > maxTop {
		out = out[:maxTop]
	}
	return out
}
