//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// fsyncMetric is the node's fsync counter, one sample per layer and file
// (layer="bbolt" for the store's commits, layer="jetstream" for the
// embedded server's synced stores).
const fsyncMetric = "edgedesk_fsyncs_total"

// fsyncReport is the fsyncs of the measurement window, per response
// received in it (per answered message in protocol mode).
type fsyncReport struct {
	// BBolt and JetStream are the node's own counts (/metrics), per
	// message.
	BBolt     float64 `json:"bbolt"`
	JetStream float64 `json:"jetstream"`
	// Total is BBolt + JetStream.
	Total float64 `json:"total"`
	// OS is every fsync and fdatasync system call of the server process
	// in the window, counted by the kernel (perf stat on the syscall
	// tracepoints; -1 when perf could not count), per message: the
	// ground truth the node's counts are checked against.
	OS float64 `json:"os"`
	// Counts are the raw counts of the window.
	Counts map[string]float64 `json:"counts"`
}

// scrapeFsyncs sums the samples of fsyncMetric by layer.
func scrapeFsyncs(ctx context.Context, url string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return sumByLayer(io.LimitReader(resp.Body, 8<<20))
}

// sumByLayer sums the samples of fsyncMetric in a Prometheus text
// exposition by their layer label.
func sumByLayer(r io.Reader) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte(fsyncMetric+"{"))
		if !ok {
			continue
		}
		end := bytes.IndexByte(rest, '}')
		if end < 0 {
			continue
		}
		labels, value := string(rest[:end]), strings.Fields(string(rest[end+1:]))
		if len(value) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(value[0], 64)
		if err != nil {
			return nil, fmt.Errorf("%s{%s}: %w", fsyncMetric, labels, err)
		}
		layer := "other"
		for l := range strings.SplitSeq(labels, ",") {
			if s, ok := strings.CutPrefix(l, `layer="`); ok {
				layer = strings.TrimSuffix(s, `"`)
			}
		}
		out[layer] += v
	}
	return out, sc.Err()
}

// perfCount counts a process's fsync and fdatasync system calls with
// perf stat until stop is called, which returns the count.
type perfCount struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

// startPerf starts counting pid's fsyncs; nil when perf is missing or not
// allowed (it needs root or perf_event_paranoid <= -1 for tracepoints).
func startPerf(pid int) (*perfCount, error) {
	path, err := exec.LookPath("perf")
	if err != nil {
		return nil, err
	}
	p := &perfCount{}
	p.cmd = exec.Command(path, "stat", "-x", ",", "-e", "syscalls:sys_enter_fsync", "-e", "syscalls:sys_enter_fdatasync",
		"-p", strconv.Itoa(pid))
	p.cmd.Stderr = &p.out
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	return p, nil
}

// stop ends the count and returns the calls counted.
func (p *perfCount) stop() (float64, error) {
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		return 0, err
	}
	err := p.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok && ee.Sys().(syscall.WaitStatus).Signaled() {
		err = nil
	}
	total, found := 0.0, 0
	for line := range strings.SplitSeq(p.out.String(), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 3 || !strings.HasPrefix(f[2], "syscalls:sys_enter_f") {
			continue
		}
		v, perr := strconv.ParseFloat(f[0], 64)
		if perr != nil {
			return 0, fmt.Errorf("perf stat: %q: %w", line, perr)
		}
		total += v
		found++
	}
	if found != 2 {
		return 0, fmt.Errorf("perf stat counted %d of 2 events (err %v): %s", found, err, strings.TrimSpace(p.out.String()))
	}
	return total, nil
}

// fsyncWindow is the fsyncs counted over the measurement window: the
// node's counters (-metrics) scraped at both ends, and the kernel's count
// of the server's (-pid) system calls.
type fsyncWindow struct {
	r          *runner
	before     map[string]float64
	delta      map[string]float64
	perf       *perfCount
	os         float64 // -1: not counted
	haveCounts bool
}

// startFsyncs begins the window's count.
func (r *runner) startFsyncs(ctx context.Context) fsyncWindow {
	w := fsyncWindow{r: r, os: -1}
	if r.cfg.metrics == "" || r.cfg.mode != modeProtocol {
		return w
	}
	var err error
	if w.before, err = scrapeFsyncs(ctx, r.cfg.metrics); err != nil {
		r.logf("fsyncs: %v (not reported)", err)
		return w
	}
	if r.cfg.pid > 0 {
		if w.perf, err = startPerf(r.cfg.pid); err != nil {
			r.logf("fsyncs: perf: %v (the kernel's count is not reported)", err)
		}
	}
	return w
}

// end closes the window.
func (w fsyncWindow) end(ctx context.Context) fsyncWindow {
	if w.before == nil {
		return w
	}
	if w.perf != nil {
		n, err := w.perf.stop()
		if err != nil {
			w.r.logf("fsyncs: %v", err)
		} else {
			w.os = n
		}
	}
	after, err := scrapeFsyncs(ctx, w.r.cfg.metrics)
	if err != nil {
		w.r.logf("fsyncs: %v (not reported)", err)
		return w
	}
	w.delta = map[string]float64{}
	for k, v := range after {
		w.delta[k] = v - w.before[k]
	}
	w.haveCounts = true
	return w
}

// perMsg divides the window's counts by the n responses received in it.
func (w fsyncWindow) perMsg(n int64) *fsyncReport {
	if !w.haveCounts || n <= 0 {
		return nil
	}
	per := func(v float64) float64 { return math.Round(v/float64(n)*1000) / 1000 }
	f := &fsyncReport{BBolt: per(w.delta["bbolt"]), JetStream: per(w.delta["jetstream"]), OS: -1, Counts: w.delta}
	f.Total = per(w.delta["bbolt"] + w.delta["jetstream"])
	if w.os >= 0 {
		f.OS = per(w.os)
		f.Counts["os"] = w.os
	}
	return f
}
