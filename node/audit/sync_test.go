package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/edgedesk/edgedesk/node/audit"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Entries recorded while the core is down reach EDGEDESK_AUDIT once it is
// back, each once, in order; none is lost meanwhile.
func TestSyncThroughOutage(t *testing.T) {
	addr, store := freePort(t), filepath.Join(t.TempDir(), "js")
	start := func() func() {
		srv, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: store, Listen: addr})
		if err != nil {
			t.Fatal(err)
		}
		return srv.Shutdown
	}
	stop := start()
	nc, err := nats.Connect("nats://"+addr, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.Open(audit.Options{DataDir: t.TempDir(), Node: "edge-1", Publisher: &edgesync.Audit{JS: js, Node: "edge-1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	defer func() { cancel(); <-done }()

	rec := func(i int) {
		if err := l.Record(context.Background(), audit.Entry{Actor: "ana", Action: audit.ActionClose, Target: fmt.Sprintf("s%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		rec(i)
	}
	waitUnsent(t, l, 0)
	stop() // the core goes away
	for i := 5; i < 20; i++ {
		rec(i)
	}
	if n, _ := l.Unsent(); n == 0 {
		t.Fatal("entries recorded during the outage counted as sent")
	}
	stop = start()
	defer stop()
	waitUnsent(t, l, 0)

	st, err := js.Stream(context.Background(), edgesync.AuditStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 20 {
		t.Fatalf("stream holds %d entries, want 20", info.State.Msgs)
	}
	for seq := uint64(1); seq <= 20; seq++ {
		m, err := st.GetMsg(context.Background(), seq)
		if err != nil {
			t.Fatal(err)
		}
		var e audit.Entry
		if err := json.Unmarshal(m.Data, &e); err != nil {
			t.Fatal(err)
		}
		if m.Subject != edgesync.AuditSubjectPrefix+"edge-1" || e.Node != "edge-1" || e.Target != fmt.Sprintf("s%02d", seq-1) {
			t.Fatalf("message %d: %s %+v", seq, m.Subject, e)
		}
	}
	// The core's copy is append-only too.
	if err := st.Purge(context.Background()); err == nil {
		t.Fatal("the audit stream allowed a purge")
	}
}

func waitUnsent(t *testing.T, l *audit.Log, want int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := l.Unsent()
		if err != nil {
			t.Fatal(err)
		}
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("unsent entries: %d, want %d", n, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
