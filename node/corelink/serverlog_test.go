package corelink

import (
	"log/slog"
	"strings"
	"testing"
)

func TestServerLogDropsRepeats(t *testing.T) {
	var b strings.Builder
	l := &serverLog{log: slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for i := range 5 { // a leaf retrying: a new connection id each time
		l.Errorf("%s - lid:%d - Leafnode Error 'Authorization Violation'", "127.0.0.1:7422", i)
	}
	if n := strings.Count(b.String(), "Authorization Violation"); n != 1 {
		t.Fatalf("logged %d times:\n%s", n, b.String())
	}
	l.Warnf("JetStream is low on disk")
	l.Errorf("%s - lid:%d - Leafnode Error 'Authorization Violation'", "127.0.0.1:7422", 9)
	if n := strings.Count(b.String(), "Authorization Violation"); n != 2 {
		t.Fatalf("after another message the refusal is news again: logged %d times:\n%s", n, b.String())
	}
	l.Noticef("Server is ready")
	l.Tracef("<<- [PING]")
	out := b.String()
	if !strings.Contains(out, "level=DEBUG msg=\"nats-server: Server is ready\"") || strings.Contains(out, "PING") {
		t.Fatalf("notices go to debug, traces nowhere:\n%s", out)
	}
}
