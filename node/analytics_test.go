package node

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/analytics"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/staff"
)

func withAnalytics(c *config.Config) {
	withAgents(c)
	c.Analytics.FlushInterval = 200 * time.Millisecond
	c.Analytics.LiveInterval = 200 * time.Millisecond
}

// staffGet GETs url as a staff member of role ("" sends no token).
func staffGet(t *testing.T, url, role string) (int, []byte) {
	t.Helper()
	resp, err := staffDo(t, url, role)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func staffDo(t *testing.T, url, role string) (*http.Response, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if role != "" {
		tok, err := auth.Sign(testStaffSecret, auth.Claims{Subject: "sue", Name: "Sue", Role: role}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return http.DefaultClient.Do(req)
}

// liveStream reads a stats stream's events into a channel until it ends
// (the channel closes).
func liveStream(t *testing.T, url string) (<-chan analytics.Stats, *http.Response) {
	t.Helper()
	resp, err := staffDo(t, url, "supervisor")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("live: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	ch := make(chan analytics.Stats, 1024)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = line[len("event: "):]
			case strings.HasPrefix(line, "data: ") && event == "stats":
				var st analytics.Stats
				if err := json.Unmarshal([]byte(line[len("data: "):]), &st); err != nil {
					t.Errorf("live data: %v", err)
					return
				}
				ch <- st
			}
		}
	}()
	return ch, resp
}

// waitStats polls GET /v1/admin/stats until ok accepts the figures.
func waitStats(t *testing.T, url string, ok func(*analytics.Stats) bool) *analytics.Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var st analytics.Stats
	for {
		code, body := staffGet(t, url, "supervisor")
		if code != 200 {
			t.Fatalf("stats: %d %s", code, body)
		}
		st = analytics.Stats{}
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatal(err)
		}
		if ok(&st) {
			return &st
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats never matched: %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func group(st *analytics.Stats, name string) *analytics.GroupStats {
	for i := range st.Groups {
		if st.Groups[i].Name == name {
			return &st.Groups[i]
		}
	}
	return nil
}

func TestStatsFromWidgetAndAgent(t *testing.T) {
	awayFromHourEnd(t)
	_, base, _ := startNode(t, withAnalytics)
	live, _ := liveStream(t, base+"/v1/admin/stats/live")
	first := <-live // at once, before anything happened
	if first.Totals.Conversations != 0 || len(first.Series) < 24 || len(first.Forecast) != 2 {
		t.Fatalf("first live event %+v", first.Totals)
	}

	cy, _ := dialAgent(t, base, "cy", "agent", "uk-en")
	en, wen := dialWidget(t, base, map[string]any{"locale": "en-GB", "tz": "Europe/London"})
	en.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "I want to talk to a real person"})
	asg := cy.next(func(f agentFrame) bool { return f.Type == "assigned" })
	if asg.Session != wen.Session || asg.Group != "uk-en" {
		t.Fatalf("assignment %+v", asg)
	}
	// While the chat is with cy, the figures of the moment show him.
	now := waitStats(t, base+"/v1/admin/stats", func(st *analytics.Stats) bool { return st.Now.Agents.Online == 1 })
	if now.Now.CustomersConnected != 1 || len(now.Now.Groups) != 2 {
		t.Fatalf("now %+v", now.Now)
	}
	cy.ws.WriteJSON(map[string]any{"type": "msg", "cid": "a1", "session": wen.Session, "text": "Hi, I'm Cy. How can I help?"})
	if rc := cy.next(func(f agentFrame) bool { return f.Type == "receipt" || f.Type == "error" }); rc.Type != "receipt" {
		t.Fatalf("agent receipt %+v", rc)
	}
	cy.ws.WriteJSON(map[string]any{"type": "close", "cid": "c1", "session": wen.Session})
	if a := cy.next(func(f agentFrame) bool { return f.Type == "ack" || f.Type == "error" }); a.Type != "ack" {
		t.Fatalf("close: %+v", a)
	}
	widgetNext(t, en, func(f map[string]any) bool {
		n, _ := f["notice"].(map[string]any)
		return n != nil && n["kind"] == "chat_closed"
	})
	en.WriteJSON(map[string]any{"type": "csat", "cid": "r1", "score": 4})
	if ok := widgetNext(t, en, func(f map[string]any) bool { return f["type"] == "ok" || f["type"] == "error" }); ok["type"] != "ok" {
		t.Fatalf("csat: %v", ok)
	}

	done := func(st *analytics.Stats) bool { return st.Totals.CSAT.Count == 1 }
	st := waitStats(t, base+"/v1/admin/stats", done)
	tot := st.Totals
	if tot.Conversations != 1 || tot.Handovers != 1 || tot.HandoversByReason["requested"] != 1 || tot.BotResolved != 0 || tot.Messages < 3 {
		t.Errorf("totals %+v", tot)
	}
	if tot.CSAT.Average != 4 || tot.CSAT.ByScore["4"] != 1 {
		t.Errorf("csat %+v", tot.CSAT)
	}
	uk := group(st, "uk-en")
	if uk == nil || uk.Handovers != 1 || uk.FirstResponseMedianSeconds <= 0 || uk.HandleMedianSeconds <= 0 || uk.CSAT.Count != 1 {
		t.Errorf("uk-en %+v", uk)
	}
	if mx := group(st, "mx-es"); mx == nil || mx.Handovers != 0 {
		t.Errorf("mx-es %+v", mx)
	}
	last := st.Series[len(st.Series)-1]
	if last.Conversations != 1 || last.Handovers != 1 || last.CSATCount != 1 || last.CSATSum != 4 {
		t.Errorf("this hour %+v", last)
	}
	// The group's own view.
	code, body := staffGet(t, base+"/v1/admin/stats?group=uk-en", "admin")
	var gs analytics.Stats
	if json.Unmarshal(body, &gs); code != 200 || gs.Totals.Handovers != 1 || len(gs.Groups) != 1 || len(gs.Forecast) != 1 || len(gs.Now.Groups) != 1 {
		t.Errorf("?group=uk-en: %d %s", code, body)
	}
	// The live stream saw it too, within its interval.
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-live:
			if !ok {
				t.Fatal("live stream ended")
			}
			if done(&ev) {
				if ev.Totals.Handovers != 1 || group(&ev, "uk-en").Handovers != 1 {
					t.Fatalf("live %+v", ev.Totals)
				}
				return
			}
		case <-deadline:
			t.Fatal("the live stream never showed the rating")
		}
	}
}

func TestStatsAPIErrors(t *testing.T) {
	_, base, _ := startNode(t, withAnalytics)
	now := time.Now().UTC()
	for _, c := range []struct {
		path, role string
		code       int
		body       string
	}{
		{"/v1/admin/stats", "", 401, "bearer"},
		{"/v1/admin/stats", "agent", 403, "supervisor or admin"},
		{"/v1/admin/stats/live", "agent", 403, "supervisor or admin"},
		{"/v1/admin/stats?from=yesterday", "supervisor", 400, "from"},
		{"/v1/admin/stats?to=2026-13-01T00:00:00Z", "supervisor", 400, "to"},
		{"/v1/admin/stats?from=" + now.Format(time.RFC3339) + "&to=" + now.Add(-time.Hour).Format(time.RFC3339), "supervisor", 400, "not before"},
		{"/v1/admin/stats?from=" + now.Add(-40*24*time.Hour).Format(time.RFC3339), "supervisor", 400, "retention"},
		{"/v1/admin/stats?group=nope", "supervisor", 404, "nope"},
		{"/v1/admin/stats/live?group=nope", "supervisor", 404, "nope"},
		{"/v1/admin/stats?from=" + now.Add(-2*time.Hour).Format(time.RFC3339) + "&group=mx-es", "admin", 200, `"mx-es"`},
	} {
		code, body := staffGet(t, base+c.path, c.role)
		if code != c.code || !strings.Contains(string(body), c.body) {
			t.Errorf("%s as %q: %d %s; want %d with %q", c.path, c.role, code, body, c.code, c.body)
		}
	}
	resp, err := http.Post(base+"/v1/admin/stats", "application/json", nil)
	if err == nil {
		resp.Body.Close()
	}
	if err != nil || resp.StatusCode != 401 {
		t.Errorf("POST without a token: %v %v", resp.StatusCode, err)
	}
	// Off: 404 naming the key.
	_, off, _ := startNode(t, func(c *config.Config) { withAgents(c); c.Analytics.Enabled = false })
	if code, body := staffGet(t, off+"/v1/admin/stats", "admin"); code != 404 || !strings.Contains(string(body), "analytics.enabled") {
		t.Errorf("disabled: %d %s", code, body)
	}
}

// Live streams are capped, and Close ends the open ones rather than wait
// for their clients.
func TestStatsLiveCapAndClose(t *testing.T) {
	n, base, _ := startNode(t, func(c *config.Config) { withAnalytics(c); c.Analytics.MaxLiveStreams = 1 })
	live, _ := liveStream(t, base+"/v1/admin/stats/live")
	<-live
	if code, body := staffGet(t, base+"/v1/admin/stats/live", "supervisor"); code != 503 || !strings.Contains(string(body), "max_live_streams") {
		t.Fatalf("second stream: %d %s", code, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := n.Close(ctx); err != nil {
		t.Fatalf("close with a live stream open: %v", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("Close took %v with a live stream open", took)
	}
	for range live { // the stream ends
	}
}

// The figures survive a restart of the node.
func TestStatsAfterRestart(t *testing.T) {
	dir := t.TempDir()
	opts := func(c *config.Config) { withAnalytics(c); c.DataDir = dir }
	n, base, stop := startNode(t, opts)
	en, _ := dialWidget(t, base, map[string]any{"locale": "en-GB"})
	ask(t, en, "h1", "where is my order 48213?", false)
	waitStats(t, base+"/v1/admin/stats", func(st *analytics.Stats) bool { return st.Totals.Conversations == 1 })
	en.Close()
	stop()
	_ = n
	_, base2, _ := startNode(t, opts)
	st := waitStats(t, base2+"/v1/admin/stats", func(st *analytics.Stats) bool { return true })
	if st.Totals.Conversations != 1 || st.Totals.Messages < 2 || st.Totals.BotResolved != 1 || len(st.Totals.TopIntentsDay) == 0 || st.Totals.TopIntentsDay[0].Intent != "track_order" {
		t.Fatalf("after restart: %+v", st.Totals)
	}
}

// A chat queued behind a busy agent shows in the figures of the moment,
// with how long it has waited.
func TestStatsQueueNow(t *testing.T) {
	_, base, _ := startNode(t, func(c *config.Config) { withAnalytics(c); c.Routing.Groups[1].Capacity = 1 })
	cy, _ := dialAgent(t, base, "cy", "agent", "uk-en")
	first, _ := dialWidget(t, base, map[string]any{"locale": "en-GB"})
	first.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "I want to talk to a real person"})
	cy.next(func(f agentFrame) bool { return f.Type == "assigned" })
	second, _ := dialWidget(t, base, map[string]any{"locale": "en-GB"})
	second.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "I want to talk to a real person"})
	st := waitStats(t, base+"/v1/admin/stats?group=uk-en", func(st *analytics.Stats) bool {
		return len(st.Now.Groups) == 1 && st.Now.Groups[0].Waiting == 1 && st.Now.Groups[0].LongestWaitSeconds >= 0.3
	})
	g := st.Now.Groups[0]
	if g.Name != "uk-en" || !g.Open || g.AgentsOnline != 1 || st.Now.CustomersConnected != 2 || st.Now.Agents.Online != 1 {
		t.Fatalf("now %+v", st.Now)
	}
	// The forecast's agents at hand: the group is open all week, cy is its one agent.
	if f := st.Forecast[0]; f.Group != "uk-en" || f.Hours[0].AgentsScheduled != 1 || !f.Hours[0].Open {
		t.Fatalf("forecast %+v", f)
	}
}

// The forecast's agents at hand are the group's enabled staff accounts
// while it is open, however few of them are connected.
func TestForecastCountsStaffAccounts(t *testing.T) {
	n, base, _ := startNode(t, withAnalytics)
	accounts := staff.NewStore(n.cfg.DataDir)
	for i, email := range []string{"ana@shop.example", "bo@shop.example", "cy@shop.example"} {
		a, err := accounts.Add(context.Background(), staff.Account{Email: email, Name: "Agent", Role: "agent", Groups: []string{"uk-en"}}, "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			if _, err := accounts.SetDisabled(a.Email, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	st := waitStats(t, base+"/v1/admin/stats?group=uk-en", func(st *analytics.Stats) bool { return len(st.Forecast) == 1 })
	if h := st.Forecast[0].Hours[0]; h.AgentsScheduled != 2 || !h.Open {
		t.Fatalf("forecast hour %+v, want 2 agents scheduled (two enabled accounts)", h)
	}
}

// The dashboard's agents are online or away as their console says.
func TestStatsAgentsAway(t *testing.T) {
	_, base, _ := startNode(t, withAnalytics)
	dialConsole(t, base, "ana", "agent", map[string]any{"status": "away"}, "uk-en")
	dialAgent(t, base, "cy", "agent", "uk-en")
	st := waitStats(t, base+"/v1/admin/stats?group=uk-en", func(st *analytics.Stats) bool {
		return st.Now.Agents.Away == 1 && st.Now.Agents.Online == 1
	})
	if g := st.Now.Groups[0]; g.AgentsAway != 1 || g.AgentsOnline != 1 {
		t.Fatalf("group now %+v, want one online and one away", g)
	}
}
