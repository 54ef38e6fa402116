//go:build linux

// Command fsyncprobe measures the disk's floor for a durable write: the
// latency of fdatasync after a 4 KiB append, as bbolt's and JetStream's
// commits pay it, in a directory of the filesystem under test. The load
// script (scripts/load.sh) runs it once per report so that every latency
// figure carries the disk's own p99 beside it.
//
//	fsyncprobe -dir /tmp -n 500 -json
//
// It writes one scratch file in -dir and removes it. The kernel CPU per
// sync is the process's system time over the syncs, divided by -n.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"syscall"
	"time"
)

type result struct {
	Dir       string  `json:"dir"`
	N         int     `json:"n"`
	Bytes     int     `json:"bytes"`
	P50ms     float64 `json:"p50_ms"`
	P90ms     float64 `json:"p90_ms"`
	P99ms     float64 `json:"p99_ms"`
	P999ms    float64 `json:"p999_ms"`
	Maxms     float64 `json:"max_ms"`
	SysUsPerS float64 `json:"sys_us_per_sync"`
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fsyncprobe:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("fsyncprobe", flag.ContinueOnError)
	dir := fs.String("dir", os.TempDir(), "`directory` on the filesystem to probe")
	n := fs.Int("n", 500, "appends to time (1 to 100000)")
	size := fs.Int("size", 4096, "bytes per append (1 to 1 MiB)")
	asJSON := fs.Bool("json", false, "print one JSON line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *n > 100000 {
		return fmt.Errorf("-n %d: want 1 to 100000", *n)
	}
	if *size < 1 || *size > 1<<20 {
		return fmt.Errorf("-size %d: want 1 to 1048576", *size)
	}
	r, err := probe(*dir, *n, *size)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(r)
	}
	_, err = fmt.Fprintf(stdout, "fdatasync of a %d-byte append in %s, %d times: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms; kernel CPU %.0f µs per sync\n",
		r.Bytes, r.Dir, r.N, r.P50ms, r.P90ms, r.P99ms, r.P999ms, r.Maxms, r.SysUsPerS)
	return err
}

// probe appends size bytes to a scratch file in dir and fdatasyncs it, n
// times, and summarises the sync latencies.
func probe(dir string, n, size int) (result, error) {
	f, err := os.CreateTemp(dir, "fsyncprobe-*")
	if err != nil {
		return result{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = byte(i)
	}
	// The file exists on disk before the timing starts: the first sync
	// would otherwise pay for the directory entry too.
	if err := syscall.Fsync(int(f.Fd())); err != nil {
		return result{}, fmt.Errorf("fsync %s: %w", f.Name(), err)
	}
	var before, after syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &before); err != nil {
		return result{}, err
	}
	lat := make([]time.Duration, 0, n)
	for range n {
		if _, err := f.Write(buf); err != nil {
			return result{}, fmt.Errorf("write %s: %w", f.Name(), err)
		}
		start := time.Now()
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return result{}, fmt.Errorf("fdatasync %s: %w", f.Name(), err)
		}
		lat = append(lat, time.Since(start))
	}
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &after); err != nil {
		return result{}, err
	}
	slices.Sort(lat)
	q := func(p float64) float64 { // nearest rank
		i := int(math.Ceil(p*float64(len(lat)))) - 1
		return round3(float64(lat[max(i, 0)]) / 1e6)
	}
	sys := time.Duration(syscall.TimevalToNsec(after.Stime) - syscall.TimevalToNsec(before.Stime))
	return result{
		Dir: dir, N: n, Bytes: size,
		P50ms: q(0.5), P90ms: q(0.9), P99ms: q(0.99), P999ms: q(0.999), Maxms: round3(float64(lat[len(lat)-1]) / 1e6),
		SysUsPerS: math.Round(float64(sys.Microseconds()) / float64(n)),
	}, nil
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
