package edgesync

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// edgedesk core archive sets up the archive at a core it reaches over
// the network, adds an edge without dropping the others, and keeps the
// age it was given until told otherwise.
func TestArchiveCommand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	core, err := StartServer(ServerOptions{Name: "core", StoreDir: filepath.Join(t.TempDir(), "core"), Listen: addr, Domain: "core"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(core.Shutdown)
	run := func(args ...string) string {
		t.Helper()
		var out, errOut strings.Builder
		if err := ArchiveCommand(context.Background(), append([]string{"-url", "nats://" + addr}, args...), &out, &errOut); err != nil {
			t.Fatalf("core archive %v: %v\n%s", args, err, errOut.String())
		}
		return out.String()
	}
	run("-domains", "edge-a", "-uploads-max-age", "48h")
	out := run("-domains", "edge-b, edge-a")
	for _, want := range []string{
		"EDGEDESK_ARCHIVE: sources edge-a, edge-b; max_age none, max_bytes none, replicas 1",
		"OBJ_EDGEDESK_ARCHIVE_UPLOADS: sources edge-a, edge-b; max_age 48h0m0s, max_bytes none, replicas 1",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	js, err := jetstream.New(connect(t, core))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.ObjectStore(context.Background(), UploadsArchive); err != nil {
		t.Fatalf("the archive does not read as an object store: %v", err)
	}
	for _, args := range [][]string{
		{"-domains", "edge-a"},
		{"-url", "nats://" + addr},
		{"-url", "nats://" + addr, "-domains", "edge a"},
		{"-url", "nats://" + addr, "-domains", "edge-a", "-uploads-max-bytes", "-2"},
		{"-url", "nats://" + addr, "-domains", "edge-a", "-replicas", "6"},
		{"-url", "nats://" + addr, "-domains", "edge-a", "extra"},
	} {
		err := ArchiveCommand(context.Background(), args, &strings.Builder{}, &strings.Builder{})
		if !errors.Is(err, ErrUsage) {
			t.Errorf("core archive %v: %v, want a usage error", args, err)
		}
	}
	err = ArchiveCommand(context.Background(), []string{"-url", "nats://127.0.0.1:1", "-domains", "edge-a", "-timeout", "2s"}, &strings.Builder{}, &strings.Builder{})
	if err == nil || errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "connect") {
		t.Errorf("no core there: %v", err)
	}
}
