//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

func TestProbe(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run([]string{"-dir", dir, "-n", "20", "-json"}, &out); err != nil {
		t.Fatal(err)
	}
	var r result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, out.Bytes())
	}
	if r.N != 20 || r.Bytes != 4096 || r.P50ms <= 0 || r.P50ms > r.P99ms || r.P99ms > r.Maxms {
		t.Errorf("implausible result %+v", r)
	}
	left, err := os.ReadDir(dir)
	if err != nil || len(left) != 0 {
		t.Errorf("scratch file left behind: %v %v", left, err)
	}
}

func TestProbeCommits(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run([]string{"-dir", dir, "-n", "10", "-pages", "3", "-files", "2", "-json"}, &out); err != nil {
		t.Fatal(err)
	}
	var r result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, out.Bytes())
	}
	if r.N != 10 || r.Pages != 3 || r.Files != 2 || r.P50ms <= 0 || r.P50ms > r.P99ms || r.P99ms > r.Maxms {
		t.Errorf("implausible result %+v", r)
	}
	left, err := os.ReadDir(dir)
	if err != nil || len(left) != 0 {
		t.Errorf("scratch files left behind: %v %v", left, err)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-n", "0"}, {"-size", "0"}, {"-dir", "/nonexistent/dir"},
		{"-pages", "-1"}, {"-pages", "1001"}, {"-pages", "2", "-files", "0"}, {"-pages", "2", "-files", "65"},
		{"-pages", "2", "-dir", "/nonexistent/dir"}} {
		if err := run(args, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
