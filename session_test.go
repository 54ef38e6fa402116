package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node"
	"github.com/edgedesk/edgedesk/node/session"
)

const cliStaffSecret = "cli-staff-secret-for-tests-0123456789abcdef"

// TestSessionShowStopped: with the node stopped, session show reads its
// store: the transcript and every decision with its reasons, as text and
// as JSON; an unknown session is an error (exit 1) naming it.
func TestSessionShowStopped(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfgPath, []byte("data_dir: "+dir+"/data\n"), 0o600)
	cfg, err := config.Load(cfgPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := session.Open(session.Options{Path: filepath.Join(cfg.DataDir, node.StoreFile), Shards: cfg.Store.Shards})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	meta, err := st.Create(ctx, session.Meta{Locale: "en-GB", TZ: "Europe/London", Customer: session.Customer{ID: "c-42", Email: "jo@example.com", Tier: "vip"}})
	if err != nil {
		t.Fatal(err)
	}
	id := meta.ID
	if _, err := st.Post(ctx, session.Message{Session: id, From: session.FromCustomer, CID: "h1", Text: "I want to talk to a real person", Intent: "talk_to_human", Lang: "en"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Post(ctx, session.Message{Session: id, From: session.FromAgent, Text: "Hi, Bo here", Agent: &session.AgentRef{ID: "bo", Name: "Bo"}}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{
		`{"outcome":"assigned","group":"uk-en","agent":"ana","why":["language en: exact","agent ana has 0 of 2 chats"],"at":"2026-11-23T16:00:01Z"}`,
		`{"outcome":"assigned","group":"uk-en","agent":"bo","why":["agent ana did not answer within 60s: back to the front of uk-en's queue","to another agent of uk-en: agent bo has 0 of 2 chats"],"at":"2026-11-23T16:01:01Z"}`,
	} {
		if _, err := st.Update(ctx, id, func(m *session.Meta) error { m.AddRoute(json.RawMessage(d)); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}

	var out strings.Builder
	if err := run(ctx, []string{"session", "show", id, "-config", cfgPath}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{id, "read from the store", "c-42 <jo@example.com>, tier vip", "I want to talk to a real person", "talk_to_human",
		"agent bo", "Hi, Bo here", "routing decisions (2)", "1. 2026-11-23 16:00:01 UTC  assigned  group uk-en  agent ana",
		"- agent ana did not answer within 60s: back to the front of uk-en's queue"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run(ctx, []string{"session", "show", "-json", "-config", cfgPath, id}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var v node.SessionView
	if err := json.Unmarshal([]byte(out.String()), &v); err != nil || len(v.Decisions) != 2 || len(v.Messages) != 2 || v.Session.Customer.ID != "c-42" {
		t.Fatalf("json %v: %s", err, out.String())
	}

	var ue usageError
	err = run(ctx, []string{"session", "show", "s_nosuchsession", "-config", cfgPath}, io.Discard, io.Discard)
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "no session s_nosuchsession") {
		t.Fatalf("unknown session: %v (want exit 1 naming it)", err)
	}
	for _, args := range [][]string{{"session"}, {"session", "show"}, {"session", "show", "bad id"}, {"session", "show", id, "extra"}} {
		if err := run(ctx, append(args, "-config", cfgPath), io.Discard, io.Discard); !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}

// TestSessionShowRunning: while the node runs it holds the store, and
// session show asks its admin API, with a token signed from the staff key
// file when the configuration has no staff secret.
func TestSessionShowRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node process")
	}
	cfgPath, addr := startAdminNode(t)

	ws, w := dialHello(t, addr, map[string]any{"locale": "en-GB"})
	defer ws.Close()
	ws.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "I want to talk to a real person"})
	ctx := context.Background()
	var out strings.Builder
	deadline := time.Now().Add(15 * time.Second)
	for {
		out.Reset()
		err := run(ctx, []string{"session", "show", w.Session, "-config", cfgPath}, &out, io.Discard)
		if err == nil && strings.Contains(out.String(), "routing decisions (1)") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session show: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// No agent groups: the decision says so.
	for _, want := range []string{"read from the node", "I want to talk to a real person", "message", "no agent groups configured"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	err := run(ctx, []string{"session", "show", "s_nosuchsession", "-config", cfgPath}, io.Discard, io.Discard)
	var ue usageError
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "no session s_nosuchsession") {
		t.Fatalf("unknown session with the node running: %v", err)
	}
}
