package node

// The dashboard's figures: node/analytics wired to the store, the router
// and the core, and its two admin routes, GET /v1/admin/stats and the
// live stream /v1/admin/stats/live (server-sent events).

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/edgedesk/edgedesk/node/analytics"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/routing"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// AnalyticsFile is the analytics' bbolt file inside the data directory.
const AnalyticsFile = "analytics.db"

// openAnalytics builds the analytics (when analytics.enabled) and
// registers them with the store. The router must exist.
func (n *Node) openAnalytics() error {
	c := n.cfg.Analytics
	if !c.Enabled {
		return nil
	}
	// The figures go where every node's meet: the core's JetStream (a
	// client of a core, or a leaf with nats.core_domain, as presence);
	// a node alone keeps them in its embedded server's.
	var pub analytics.Publisher
	if n.link != nil {
		js := n.link.CoreJetStream()
		if js == nil {
			js = n.link.JetStream()
		}
		if js != nil {
			pub = &edgesync.Stats{JS: js, Node: n.cfg.NATS.NodeName(), Replicas: n.coreReplicas()}
		}
	}
	a, err := analytics.New(analytics.Options{
		Path:          filepath.Join(n.cfg.DataDir, AnalyticsFile),
		Node:          n.cfg.NATS.NodeName(),
		Retention:     c.Retention,
		FlushInterval: c.FlushInterval,
		Target:        c.Target,
		Groups:        n.groupNames,
		Live:          n.liveFigures,
		Scheduled:     n.scheduledAgents,
		Open: func(group string, at time.Time) bool {
			open, _, _ := n.router.Staffing(group, at)
			return open
		},
		Publisher: pub,
		Logger:    n.log.With("component", "analytics"),
	})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	n.analytics = a
	n.liveStop = make(chan struct{})
	n.store.AddObserver(a)
	return nil
}

// groupNames are the configured agent groups.
func (n *Node) groupNames() []string {
	views := n.router.Overview()
	names := make([]string, len(views))
	for i, v := range views {
		names[i] = v.Name
	}
	return names
}

// scheduledAgents is the forecast's agents at hand: none while the group
// is closed, otherwise the group's enabled staff accounts (node/staff). A
// merchant whose agents sign in with SSO tokens has no accounts here: then
// the agents of the group the router knows.
func (n *Node) scheduledAgents(group string, at time.Time) int {
	open, agents, ok := n.router.Staffing(group, at)
	if !ok || !open {
		return 0
	}
	return max(n.signin.staffCount(group), agents)
}

// liveFigures are the figures of the moment: widget connections, agents
// (online or away) and queues.
func (n *Node) liveFigures() analytics.Now {
	now := time.Now()
	out := analytics.Now{Groups: []analytics.LiveGroup{}}
	if n.gw != nil {
		out.CustomersConnected = int(n.gw.Connections())
	}
	online, away := map[string]bool{}, map[string]bool{}
	for _, v := range n.router.Overview() {
		g := analytics.LiveGroup{Name: v.Name, Open: v.Open, Waiting: len(v.Waiting)}
		for _, a := range v.Agents {
			switch a.Status {
			case routing.StatusOnline:
				g.AgentsOnline++
				online[a.ID] = true
			case routing.StatusAway:
				g.AgentsAway++
				away[a.ID] = true
			}
		}
		if !v.OldestWait.IsZero() {
			g.LongestWaitSeconds = math.Round(now.Sub(v.OldestWait).Seconds()*10) / 10
		}
		out.Groups = append(out.Groups, g)
	}
	out.Agents.Online, out.Agents.Away = len(online), len(away)
	return out
}

// statsQuery reads from, to (RFC 3339; default the 24 hours to now) and
// group.
func statsQuery(ctx *fasthttp.RequestCtx, now time.Time) (analytics.Query, error) {
	args := ctx.QueryArgs()
	q := analytics.Query{To: now, Group: string(args.Peek("group"))}
	if v := args.Peek("to"); len(v) > 0 {
		t, err := time.Parse(time.RFC3339, string(v))
		if err != nil {
			return q, fmt.Errorf("to: want an RFC 3339 time such as 2026-12-03T15:00:00Z, got %q", v)
		}
		q.To = t
	}
	q.From = q.To.Add(-24 * time.Hour)
	if v := args.Peek("from"); len(v) > 0 {
		t, err := time.Parse(time.RFC3339, string(v))
		if err != nil {
			return q, fmt.Errorf("from: want an RFC 3339 time such as 2026-12-02T15:00:00Z, got %q", v)
		}
		q.From = t
	}
	if len(q.Group) > 128 {
		return q, errors.New("group: at most 128 bytes")
	}
	return q, nil
}

// statsError answers a query the analytics refused.
func statsError(ctx *fasthttp.RequestCtx, err error) {
	switch {
	case errors.Is(err, analytics.ErrUnknownGroup):
		ctx.Error(err.Error()+"\n", fasthttp.StatusNotFound)
	case errors.Is(err, analytics.ErrInvalid):
		ctx.Error(err.Error()+"\n", fasthttp.StatusBadRequest)
	default:
		ctx.Error("stats failed: "+err.Error()+"\n", fasthttp.StatusInternalServerError)
	}
}

// statsAllowed authenticates a stats request and checks its method; it
// answers and returns nil when the request goes no further.
func (n *Node) statsAllowed(ctx *fasthttp.RequestCtx) *auth.Claims {
	c := n.staffClaims(ctx, "supervisor", "admin")
	if c == nil {
		return nil
	}
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Error("method not allowed: GET\n", fasthttp.StatusMethodNotAllowed)
		ctx.Response.Header.Set("Allow", "GET, HEAD")
		return nil
	}
	if n.analytics == nil {
		ctx.Error("analytics are off on this node (analytics.enabled)\n", fasthttp.StatusNotFound)
		return nil
	}
	return c
}

// serveStats is GET /v1/admin/stats?from=&to=&group= (docs/ANALYTICS.md).
func (n *Node) serveStats(ctx *fasthttp.RequestCtx) {
	if n.statsAllowed(ctx) == nil {
		return
	}
	q, err := statsQuery(ctx, time.Now())
	if err != nil {
		ctx.Error(err.Error()+"\n", fasthttp.StatusBadRequest)
		return
	}
	st, err := n.analytics.Query(q)
	if err != nil {
		statsError(ctx, err)
		return
	}
	ctx.Response.Header.Set("Cache-Control", "no-store")
	writeJSON(ctx, fasthttp.StatusOK, st)
}

// serveStatsLive is GET /v1/admin/stats/live?group=: server-sent events,
// an "event: stats" with the last 24 hours' figures at once and every
// analytics.live_interval, until the client goes away or the node closes.
func (n *Node) serveStatsLive(ctx *fasthttp.RequestCtx) {
	claims := n.statsAllowed(ctx)
	if claims == nil {
		return
	}
	if ctx.IsHead() { // the headers of a stream, without one
		ctx.SetContentType("text/event-stream; charset=utf-8")
		return
	}
	group := string(ctx.QueryArgs().Peek("group"))
	now := time.Now()
	if err := n.analytics.Check(analytics.Query{From: now.Add(-24 * time.Hour), To: now, Group: group}); err != nil {
		statsError(ctx, err)
		return
	}
	if int(n.liveStreams.Add(1)) > n.cfg.Analytics.MaxLiveStreams {
		n.liveStreams.Add(-1)
		ctx.Response.Header.Set("Retry-After", "10")
		ctx.Error(fmt.Sprintf("too many live streams (analytics.max_live_streams %d); try again later\n", n.cfg.Analytics.MaxLiveStreams), fasthttp.StatusServiceUnavailable)
		return
	}
	ctx.SetContentType("text/event-stream; charset=utf-8")
	ctx.Response.Header.Set("Cache-Control", "no-store")
	ctx.Response.Header.Set("X-Accel-Buffering", "no") // proxies pass each event at once
	conn, interval, stop := ctx.Conn(), n.cfg.Analytics.LiveInterval, n.liveStop
	checked := time.Now()
	ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		defer n.liveStreams.Add(-1)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			now := time.Now()
			if now.Sub(checked) >= liveRecheck {
				// A disabled account's dashboard stops with its sign-in.
				// An unreadable staff.db is not the viewer's fault: the
				// stream goes on, and the next check asks again.
				if active, err := n.accountActive(claims); !active && err == nil {
					fmt.Fprintf(w, "event: error\ndata: %s\n\n", jsonString("signed out: the account is disabled or removed, or its password changed"))
					w.Flush()
					return
				}
				checked = now
			}
			st, err := n.analytics.Query(analytics.Query{From: now.Add(-24 * time.Hour), To: now, Group: group})
			var b []byte
			if err == nil {
				b, err = json.Marshal(st)
			}
			// Each event may take the server's write timeout: a client
			// that stops reading is dropped, one that reads stays.
			conn.SetWriteDeadline(time.Now().Add(httpWriteTimeout))
			if err != nil {
				fmt.Fprintf(w, "event: error\ndata: %s\n\n", jsonString(err.Error()))
				w.Flush()
				return
			}
			w.WriteString("event: stats\ndata: ")
			w.Write(b)
			w.WriteString("\n\n")
			if w.Flush() != nil {
				return // the client went away
			}
			select {
			case <-tick.C:
			case <-stop:
				return
			}
		}
	})
}

// liveRecheck is how often a live stream checks that its viewer's account
// is still enabled (each check opens staff.db).
const liveRecheck = 5 * time.Second

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// runAnalytics runs the analytics' writer until ctx is done.
func (n *Node) runAnalytics(ctx context.Context) error {
	return n.analytics.Run(ctx)
}
