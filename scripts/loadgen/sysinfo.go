//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// nofile is the process's open-file limit as found at start.
type nofile struct {
	Soft   uint64 `json:"soft"`
	Hard   uint64 `json:"hard"`
	Raised bool   `json:"raised_by_loadgen"`
}

// raiseNofile reports RLIMIT_NOFILE and raises the soft limit to the hard
// one if it is lower. Go has done this itself at start since 1.19, so the
// raise is normally a no-op; the report shows which happened.
func raiseNofile() (nofile, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return nofile{}, fmt.Errorf("getrlimit: %w", err)
	}
	n := nofile{Soft: lim.Cur, Hard: lim.Max}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return n, fmt.Errorf("setrlimit: %w", err)
		}
		n.Soft, n.Raised = lim.Max, true
	}
	return n, nil
}

// readRSS returns the resident set size of process pid in bytes, read from
// the VmRSS line of /proc/PID/status.
func readRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmRSS %q: %w", rest, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS line", pid)
}

// errMetricMissing is returned when a scrape does not contain the metric.
var errMetricMissing = errors.New("metric not found")

// scrapeMetric fetches a Prometheus text exposition from url and returns the
// value of the first sample of metric name.
func scrapeMetric(ctx context.Context, url, name string) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return findMetric(io.LimitReader(resp.Body, 8<<20), name)
}

// findMetric returns the value of the first sample of metric name in a
// Prometheus text exposition.
func findMetric(r io.Reader, name string) (float64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		rest, ok := bytes.CutPrefix(line, []byte(name))
		if !ok || len(rest) == 0 || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		if rest[0] == '{' {
			end := bytes.IndexByte(rest, '}')
			if end < 0 {
				continue
			}
			rest = rest[end+1:]
		}
		fields := strings.Fields(string(rest))
		if len(fields) == 0 {
			continue
		}
		return strconv.ParseFloat(fields[0], 64)
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s: %w", name, errMetricMissing)
}
