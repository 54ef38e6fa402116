package analytics

import (
	"strconv"
	"time"
)

// Counts are the figures of one hour of one group (the whole node when
// the group is ""). The JSON is what bbolt and the core keep.
type Counts struct {
	Conversations uint64 `json:"conversations"`
	// BotResolved are the conversations that started in the hour and
	// were not handed over (yet).
	BotResolved uint64 `json:"bot_resolved"`
	Handovers   uint64 `json:"handovers"`
	// Reasons are the hand-overs by the bot's reason.
	Reasons  map[string]uint64 `json:"reasons,omitempty"`
	Messages uint64            `json:"messages"`
	// Intents counts customer messages by intent (oos and none
	// excluded), at most maxIntents distinct ones; the rest add to
	// "other".
	Intents map[string]uint64 `json:"intents,omitempty"`
	// CSAT counts ratings by score: CSAT[0] is score 1.
	CSAT [5]uint64 `json:"csat"`
	// FirstResponse and Handle are histograms of seconds (hist.go);
	// HandleSum is the handle times' exact sum, for the forecast's mean.
	FirstResponse Hist    `json:"first_response"`
	Handle        Hist    `json:"handle"`
	HandleSum     float64 `json:"handle_seconds_sum"`
}

// maxIntents bounds the distinct intents one bucket keeps: the model's
// intents are a few dozen, so this only stops a runaway label set.
const maxIntents = 128

func (c *Counts) addReason(r string) {
	if c.Reasons == nil {
		c.Reasons = map[string]uint64{}
	}
	if _, ok := c.Reasons[r]; !ok && len(c.Reasons) >= maxIntents {
		r = "other"
	}
	c.Reasons[r]++
}

func (c *Counts) addIntent(in string) {
	if c.Intents == nil {
		c.Intents = map[string]uint64{}
	}
	if _, ok := c.Intents[in]; !ok && len(c.Intents) >= maxIntents {
		in = "other"
	}
	c.Intents[in]++
}

// Merge adds o to c.
func (c *Counts) Merge(o *Counts) {
	c.Conversations += o.Conversations
	c.BotResolved += o.BotResolved
	c.Handovers += o.Handovers
	c.Messages += o.Messages
	for k, v := range o.Reasons {
		if c.Reasons == nil {
			c.Reasons = map[string]uint64{}
		}
		c.Reasons[k] += v
	}
	for k, v := range o.Intents {
		if c.Intents == nil {
			c.Intents = map[string]uint64{}
		}
		c.Intents[k] += v
	}
	for i := range c.CSAT {
		c.CSAT[i] += o.CSAT[i]
	}
	c.FirstResponse.Merge(&o.FirstResponse)
	c.Handle.Merge(&o.Handle)
	c.HandleSum += o.HandleSum
}

// key names one hourly bucket: the hour (UTC, truncated) and the group.
type key struct {
	hour  int64 // Unix seconds of the hour's start
	group string
}

func hourOf(t time.Time) int64 { return t.Unix() - t.Unix()%3600 }

// hourID is the hour as yyyymmddhh (UTC): sortable, and what the core's
// keys carry.
func hourID(hour int64) string { return time.Unix(hour, 0).UTC().Format("2006010215") }

// dbKey is the bbolt key of k: "yyyymmddhh/group", so a cursor walks
// hours in order and pruning stops at the first young one.
func (k key) dbKey() []byte { return []byte(hourID(k.hour) + "/" + k.group) }

func parseDBKey(b []byte) (key, bool) {
	s := string(b)
	if len(s) < 11 || s[10] != '/' {
		return key{}, false
	}
	t, err := time.Parse("2006010215", s[:10])
	if err != nil {
		return key{}, false
	}
	return key{hour: t.Unix(), group: s[11:]}, true
}

func scoreKey(i int) string { return strconv.Itoa(i + 1) }
