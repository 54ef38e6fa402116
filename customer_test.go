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
	"github.com/edgedesk/edgedesk/node/delivery"
	"github.com/edgedesk/edgedesk/node/session"
)

// TestCustomerStopped: with the node stopped, customer export reads the
// store (both sessions of the customer, none of another's) and customer
// erase deletes them, then erases nothing; the export then fails naming
// the customer.
func TestCustomerStopped(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfgPath, []byte("data_dir: "+dir+"/data\nnats:\n  enabled: false\n"), 0o600)
	cfg, err := config.Load(cfgPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := session.Open(session.Options{Path: filepath.Join(cfg.DataDir, node.StoreFile), Shards: cfg.Store.Shards})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ids []string
	for _, c := range []string{"c-9", "c-9", "other"} {
		m, err := st.Create(ctx, session.Meta{Customer: session.Customer{ID: c, Email: c + "@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Post(ctx, session.Message{Session: m.ID, From: session.FromCustomer, CID: "h1", Text: "order 4417 for " + c}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := run(ctx, []string{"customer", "export", "c-9", "-config", cfgPath}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var e node.CustomerExport
	if err := json.Unmarshal([]byte(out.String()), &e); err != nil || len(e.Sessions) != 2 || e.Source != "store" || strings.Contains(out.String(), ids[2]) {
		t.Fatalf("export %v: %s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"customer", "erase", "c-9", "-config", cfgPath}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "erased 2 sessions, 2 messages") || !strings.Contains(out.String(), "core: none") {
		t.Fatalf("erase: %s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"customer", "erase", "c-9", "-config", cfgPath}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "erased 0 sessions") {
		t.Fatalf("second erase: %v %s", err, out.String())
	}
	err = run(ctx, []string{"customer", "export", "c-9", "-config", cfgPath}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `no session of customer "c-9"`) {
		t.Fatalf("export after erase: %v", err)
	}
	if err := run(ctx, []string{"customer", "export", "other", "-config", cfgPath}, io.Discard, io.Discard); err != nil {
		t.Fatalf("the other customer: %v", err)
	}
	var ue usageError
	for _, args := range [][]string{{"customer"}, {"customer", "show", "x"}, {"customer", "erase"}, {"customer", "export", "a/b"}, {"customer", "erase", "x", "extra"}} {
		if err := run(ctx, append(args, "-config", cfgPath), io.Discard, io.Discard); !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}

// TestCustomerRunning: while the node runs, customer export and erase go
// through its admin API with an admin token signed from the staff key.
func TestCustomerRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node process")
	}
	cfgPath, addr := startAdminNode(t)

	ws, w := dialHello(t, addr, map[string]any{"customer": map[string]any{"id": "run-1", "email": "run1@example.com"}})
	defer ws.Close()
	ws.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "where is parcel 5521"})
	ctx := context.Background()
	var out strings.Builder
	deadline := time.Now().Add(15 * time.Second)
	for {
		out.Reset()
		err := run(ctx, []string{"customer", "export", "run-1", "-config", cfgPath}, &out, io.Discard)
		if err == nil && strings.Contains(out.String(), "where is parcel 5521") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("customer export: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(out.String(), `"source": "node"`) || !strings.Contains(out.String(), w.Session) {
		t.Fatalf("export from the node: %s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"customer", "erase", "run-1", "-config", cfgPath}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "erased 1 sessions") {
		t.Fatalf("erase: %v %s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"customer", "erase", "run-1", "-config", cfgPath}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "erased 0 sessions") {
		t.Fatalf("second erase: %v %s", err, out.String())
	}
	err := run(ctx, []string{"customer", "export", "run-1", "-config", cfgPath}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("export after the erasure: %v", err)
	}
}

// TestCustomerStoppedIdentities: on a stopped node, the export of a
// customer includes their linked number, the session it had before it was
// linked and that session's answer still waiting for WhatsApp; the
// erasure removes all of it, the link and the waiting answer included.
func TestCustomerStoppedIdentities(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfgPath, []byte("data_dir: "+dir+"/data\nnats:\n  enabled: false\n"), 0o600)
	cfg, err := config.Load(cfgPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := session.Options{Path: filepath.Join(cfg.DataDir, node.StoreFile), Shards: cfg.Store.Shards,
		Deliver: func(meta *session.Meta, m *session.Message) (delivery.Item, bool) {
			return delivery.Item{Channel: "whatsapp", To: "16505550101"}, meta.Contact != nil
		}}
	st, err := session.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	phone := session.Identity{Kind: "phone", Value: "+16505550101"}
	early, err := st.Create(ctx, session.Meta{Channel: "whatsapp", Customer: session.Customer{ID: phone.String()}, Contact: &session.Contact{Channel: "whatsapp", To: "16505550101"}})
	if err != nil {
		t.Fatal(err)
	}
	st.Post(ctx, session.Message{Session: early.ID, From: session.FromCustomer, CID: "wa1", Channel: "whatsapp", Text: "where is order 4417?"})
	st.Post(ctx, session.Message{Session: early.ID, From: session.FromAgent, Text: "It ships tomorrow"})
	own, err := st.Create(ctx, session.Meta{Customer: session.Customer{ID: "c-5", Name: "Dana"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.LinkIdentity(ctx, phone, "c-5"); err != nil {
		t.Fatal(err)
	}
	if p, _ := st.DeliveryCounts(); p != 1 {
		t.Fatalf("%d pending deliveries, want the agent's answer", p)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}

	var out strings.Builder
	if err := run(ctx, []string{"customer", "export", "c-5", "-config", cfgPath}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var e node.CustomerExport
	if err := json.Unmarshal([]byte(out.String()), &e); err != nil || len(e.Sessions) != 2 || len(e.Identities) != 1 || e.Identities[0] != phone ||
		e.Profile == nil || e.Profile.ID != "c-5" {
		t.Fatalf("export %v: %s", err, out.String())
	}
	for _, s := range e.Sessions {
		if want := map[string]int{early.ID: 1, own.ID: 0}[s.Session.ID]; len(s.Deliveries) != want {
			t.Fatalf("session %s: deliveries %+v, want %d", s.Session.ID, s.Deliveries, want)
		}
	}
	out.Reset()
	if err := run(ctx, []string{"customer", "erase", "c-5", "-config", cfgPath}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "erased 2 sessions, 2 messages") {
		t.Fatalf("erase: %v %s", err, out.String())
	}
	st, err = session.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	if c, _ := st.IdentityCustomer(phone); c != "" {
		t.Fatalf("the number is still linked to %q", c)
	}
	if p, d := st.DeliveryCounts(); p != 0 || d != 0 {
		t.Fatalf("after the erasure: %d pending, %d dead deliveries", p, d)
	}
}
