package node

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/auth"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// adminGet asks the admin API with a staff token of role (none: "").
func adminGet(t *testing.T, url, role string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if role != "" {
		tok, err := auth.Sign(testStaffSecret, auth.Claims{Subject: "sue", Role: role}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestFirstResponseTimeoutOverWebSockets: a customer asks for a person;
// ana gets the chat and stays silent; after routing.first_response_timeout
// bo gets it with the conversation and a decision saying why, ana is told
// (unassigned, first_response_timeout), the customer hears only that bo
// joined, and the admin API shows both decisions.
func TestFirstResponseTimeoutOverWebSockets(t *testing.T) {
	_, base, _ := startNode(t, withAgents, func(c *config.Config) {
		c.Routing.FirstResponseTimeout = 400 * time.Millisecond // below Validate's 10s floor: tests build the config directly
	})
	ana, _ := dialAgent(t, base, "ana", "agent", "uk-en")
	bo, _ := dialAgent(t, base, "bo", "agent", "uk-en")
	en, w := dialWidget(t, base, map[string]any{"locale": "en-GB", "tz": "Europe/London"})
	en.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "I want to talk to a real person"})

	first := ana.next(func(f agentFrame) bool { return f.Type == "assigned" })
	if first.Session != w.Session {
		t.Fatalf("ana's assignment %+v", first)
	}
	un := ana.next(func(f agentFrame) bool { return f.Type == "unassigned" })
	if un.Session != w.Session || un.Reason != "first_response_timeout" {
		t.Fatalf("ana unassigned %+v", un)
	}
	second := bo.next(func(f agentFrame) bool { return f.Type == "assigned" })
	if second.Session != w.Session || len(second.History) < 2 || len(second.Why) < 2 ||
		!strings.Contains(second.Why[0], "agent ana did not answer within 0.4s: back to the front of uk-en's queue") {
		t.Fatalf("bo's assignment %+v", second)
	}
	// The customer heard that Ana joined, then Bo: no other notice.
	var joined []string
	for len(joined) < 2 {
		f := widgetNext(t, en, func(f map[string]any) bool { return f["type"] == "msg" && f["from"] == "system" })
		n, _ := f["notice"].(map[string]any)
		a, _ := n["agent"].(map[string]any)
		joined = append(joined, n["kind"].(string)+":"+a["id"].(string))
	}
	if strings.Join(joined, ",") != "agent_joined:ana,agent_joined:bo" {
		t.Fatalf("customer notices %v", joined)
	}

	// The supervisor reads the session: both decisions, bo has the chat.
	url := base + AdminSessionsPath + w.Session
	code, body := adminGet(t, url, "supervisor")
	if code != 200 {
		t.Fatalf("GET %s: %d %s", url, code, body)
	}
	var v struct {
		Session struct {
			ID, State, Lang string
			Customer        struct{ ID string }
		}
		Messages []struct {
			Seq    uint64
			From   string
			Text   string
			Intent string
			Notice *struct{ Kind string }
		}
		Decisions []struct {
			Outcome, Group, Agent string
			Why                   []string
			At                    time.Time
		}
		Chat *struct {
			State string
			Group string
			Agent struct{ ID string }
			Since time.Time
		}
		Source string
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if v.Session.ID != w.Session || v.Session.State != "assigned" || v.Source != "node" || v.Chat == nil || v.Chat.Agent.ID != "bo" || v.Chat.Group != "uk-en" || v.Chat.Since.IsZero() {
		t.Fatalf("session %+v chat %+v", v.Session, v.Chat)
	}
	if len(v.Decisions) != 2 || v.Decisions[0].Agent != "ana" || v.Decisions[1].Agent != "bo" || !strings.Contains(strings.Join(v.Decisions[1].Why, "; "), "ana did not answer") {
		t.Fatalf("decisions %+v", v.Decisions)
	}
	if len(v.Messages) < 4 || v.Messages[0].From != "customer" || v.Messages[0].Text != "I want to talk to a real person" || v.Messages[0].Intent == "" {
		t.Fatalf("messages %+v", v.Messages)
	}

	// Who may ask, and what else they hear.
	for _, c := range []struct {
		url, role string
		code      int
		says      string
	}{
		{url, "", 401, "bearer"},
		{url, "agent", 403, "supervisor or admin"},
		{url, "admin", 200, w.Session},
		{base + AdminSessionsPath + "s_nosuchsession", "supervisor", 404, "no session s_nosuchsession on this node"},
		{base + AdminSessionsPath + "bad%20id", "supervisor", 400, "bad session id"},
	} {
		if code, body := adminGet(t, c.url, c.role); code != c.code || !strings.Contains(string(body), c.says) {
			t.Errorf("GET %s as %q: %d %s", c.url, c.role, code, body)
		}
	}
}

// TestAdminSessionFromCore: a session another node served is read from
// the core's history, decisions included, and not kept here.
func TestAdminSessionFromCore(t *testing.T) {
	addr := freeTCP(t)
	core, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: filepath.Join(t.TempDir(), "core"), Listen: addr, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Shutdown()
	a, baseA, _ := startNode(t, withAgents, func(c *config.Config) { c.NATS.URL = "nats://" + addr; c.NATS.Node = "edge-a" })
	b, baseB, _ := startNode(t, withAgents, func(c *config.Config) { c.NATS.URL = "nats://" + addr; c.NATS.Node = "edge-b" })
	ws, w := dialWidget(t, baseA, map[string]any{"locale": "en-GB", "tz": "Europe/London"})
	ws.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "I want to talk to a real person"})
	// Nobody online: the customer may leave a message; that decision is
	// the session's, and reaches the core with its meta.
	waitFor(t, "the decision at A", func() bool { m, err := a.Store().Get(w.Session); return err == nil && len(m.Routes) == 1 })
	waitFor(t, "A's outbox to drain", func() bool { return a.Store().OutboxDepth() == 0 })

	code, body := adminGet(t, baseB+AdminSessionsPath+w.Session, "supervisor")
	if code != 200 {
		t.Fatalf("at B: %d %s", code, body)
	}
	var v SessionView
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	if v.Source != "core" || v.Session.ID != w.Session || len(v.Decisions) != 1 || !strings.Contains(string(v.Decisions[0]), `"outcome":"message"`) ||
		len(v.Messages) < 2 || v.Messages[0].Text != "I want to talk to a real person" || v.Chat != nil {
		t.Fatalf("at B: %s", body)
	}
	if _, err := b.Store().Get(w.Session); err == nil {
		t.Fatal("B kept a session it only showed")
	}
	if code, body := adminGet(t, baseB+AdminSessionsPath+"s_nosuchsession", "supervisor"); code != 404 || !strings.Contains(string(body), "nor at the core") {
		t.Fatalf("unknown at B: %d %s", code, body)
	}
}
