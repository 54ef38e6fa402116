//go:build linux

package main

import (
	"context"
	"testing"
	"time"
)

func TestScheduleWindow(t *testing.T) {
	s := &schedule{first: 1000, interval: 100, count: 10, measureFrom: 1200, measureTo: 1500}
	var measured []int
	for k := range s.count {
		if s.measured(s.at(k)) {
			measured = append(measured, k)
		}
	}
	if len(measured) != 3 || measured[0] != 2 || measured[2] != 4 {
		t.Errorf("measured messages = %v, want [2 3 4]", measured)
	}
}

func TestSleepUntil(t *testing.T) {
	due := mono() + int64(3*time.Millisecond)
	if !sleepUntil(context.Background(), due) {
		t.Fatal("sleepUntil returned false")
	}
	if late := mono() - due; late < 0 || late > int64(50*time.Millisecond) {
		t.Errorf("woke %v after due", time.Duration(late))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if sleepUntil(ctx, mono()+int64(time.Hour)) {
		t.Error("sleepUntil with a cancelled context returned true")
	}
}

func TestParseFlagsRefusesRemote(t *testing.T) {
	for _, args := range [][]string{
		{"-url", "ws://192.0.2.1:8080/v1/ws"},
		{"-metrics", "http://192.0.2.1:8080/metrics"},
		{"-src", "192.0.2.1"},
		{"-src", "::1"}, // cannot reach the IPv4 default URL
		{"-n", "0"},
		{"-rate", "1000000", "-duration", "10m"},
		{"-mode", "other"},
		{"-answers", "-mode", "echo"},
		{"-text", ""},
		{"-size", "0"},
	} {
		if _, err := parseFlags(args, discard{}); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
	cfg, err := parseFlags([]string{"-n", "5", "-src", "127.0.0.1-127.0.0.4"}, discard{})
	if err != nil || cfg.n != 5 || len(cfg.sources) != 4 {
		t.Errorf("parseFlags = %+v, %v", cfg, err)
	}
	// -text replaces -size, which is then not checked.
	cfg, err = parseFlags([]string{"-answers", "-text", `a "b"`, "-size", "0"}, discard{})
	if err != nil || !cfg.answers || !cfg.textSet || cfg.text != `a "b"` {
		t.Errorf("parseFlags -text = %+v, %v", cfg, err)
	}
}

// discard is an io.Writer that drops everything.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
