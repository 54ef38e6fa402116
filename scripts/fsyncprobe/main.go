//go:build linux

// Command fsyncprobe measures the disk's floor for a durable write, in a
// directory of the filesystem under test. The load script (scripts/load.sh)
// runs it once per report so that every latency figure carries the disk's
// own p99 beside it.
//
//	fsyncprobe -dir /tmp -n 500 -json                  # fdatasync after a 4 KiB append
//	fsyncprobe -dir /tmp -n 500 -pages 11 -files 2 -json   # a bbolt commit's shape
//
// The first form times the fdatasync of one append, the cheapest durable
// write there is (JetStream's file store appends like this). The second
// times what a bbolt group commit asks of the disk: -pages random 4 KiB
// pages overwritten in a preallocated file, fdatasync, the meta page
// written, fdatasync again; -files committers run at once, each on its own
// file, as the node's store shards do. A commit's two syncs depend on each
// other, so its floor is not twice the first form's.
//
// It writes one scratch file per committer in -dir and removes them. The
// kernel CPU per sync is the process's system time over the syncs.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"
)

type result struct {
	Dir   string `json:"dir"`
	N     int    `json:"n"`
	Bytes int    `json:"bytes"`
	// Pages and Files are set for the commit shape: random pages written
	// per commit, and committers at once. Latencies are then per commit.
	Pages     int     `json:"pages,omitempty"`
	Files     int     `json:"files,omitempty"`
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
	n := fs.Int("n", 500, "appends (or commits per committer) to time (1 to 100000)")
	size := fs.Int("size", 4096, "bytes per append (1 to 1 MiB)")
	pages := fs.Int("pages", 0, "time a bbolt commit's shape: random 4 KiB `pages` per commit, then two dependent fdatasyncs (0 = one append, 1 to 1000)")
	files := fs.Int("files", 1, "with -pages: committers at once, each on its own file (1 to 64)")
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
	if *pages < 0 || *pages > 1000 {
		return fmt.Errorf("-pages %d: want 0 to 1000", *pages)
	}
	if *files < 1 || *files > 64 {
		return fmt.Errorf("-files %d: want 1 to 64", *files)
	}
	var (
		r   result
		err error
	)
	if *pages > 0 {
		r, err = probeCommits(*dir, *n, *pages, *files)
	} else {
		r, err = probe(*dir, *n, *size)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(r)
	}
	what := fmt.Sprintf("fdatasync of a %d-byte append in %s, %d times", r.Bytes, r.Dir, r.N)
	if r.Pages > 0 {
		what = fmt.Sprintf("commit of %d random pages and a meta page (two fdatasyncs) in %s, %d times by each of %d files", r.Pages, r.Dir, r.N, r.Files)
	}
	_, err = fmt.Fprintf(stdout, "%s: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms; kernel CPU %.0f µs per sync\n",
		what, r.P50ms, r.P90ms, r.P99ms, r.P999ms, r.Maxms, r.SysUsPerS)
	return err
}

// probe appends size bytes to a scratch file in dir and fdatasyncs it, n
// times, and summarises the sync latencies.
func probe(dir string, n, size int) (result, error) {
	f, err := scratch(dir, 0)
	if err != nil {
		return result{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := pattern(size)
	before, err := sysTime()
	if err != nil {
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
	after, err := sysTime()
	if err != nil {
		return result{}, err
	}
	r := summarize(lat, after-before, n)
	r.Dir, r.N, r.Bytes = dir, n, size
	return r, nil
}

// commitFile is the scratch file of one committer: large enough that
// random pages rarely repeat within a run, as a store's pages do not.
const (
	pageSize   = 4096
	commitFile = 64 << 20
)

// probeCommits runs files committers at once, each making n commits of
// the given shape on its own preallocated file, and summarises the
// commits' latencies (write, sync, meta write, sync).
func probeCommits(dir string, n, pages, files int) (result, error) {
	fs := make([]*os.File, files)
	for i := range fs {
		f, err := scratch(dir, commitFile)
		if err != nil {
			return result{}, err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		fs[i] = f
	}
	before, err := sysTime()
	if err != nil {
		return result{}, err
	}
	lats := make([][]time.Duration, files)
	errs := make([]error, files)
	var wg sync.WaitGroup
	for i, f := range fs {
		wg.Go(func() { lats[i], errs[i] = commits(f, n, pages, uint64(i)) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return result{}, err
	}
	after, err := sysTime()
	if err != nil {
		return result{}, err
	}
	lat := slices.Concat(lats...)
	r := summarize(lat, after-before, 2*len(lat))
	r.Dir, r.N, r.Bytes, r.Pages, r.Files = dir, n, pageSize, pages, files
	return r, nil
}

// commits makes n commits on f and returns their latencies. The pages of a
// commit are distinct and sorted, as bbolt writes them; page 0 is the meta.
func commits(f *os.File, n, pages int, seed uint64) ([]time.Duration, error) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	buf := pattern(pageSize)
	offs := make([]int64, 0, pages)
	lat := make([]time.Duration, 0, n)
	for range n {
		offs = offs[:0]
		for len(offs) < pages {
			o := (1 + rng.Int64N(commitFile/pageSize-1)) * pageSize
			if !slices.Contains(offs, o) {
				offs = append(offs, o)
			}
		}
		slices.Sort(offs)
		start := time.Now()
		for _, o := range offs {
			if _, err := f.WriteAt(buf, o); err != nil {
				return nil, fmt.Errorf("write %s: %w", f.Name(), err)
			}
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return nil, fmt.Errorf("fdatasync %s: %w", f.Name(), err)
		}
		if _, err := f.WriteAt(buf, 0); err != nil {
			return nil, fmt.Errorf("write %s: %w", f.Name(), err)
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return nil, fmt.Errorf("fdatasync %s: %w", f.Name(), err)
		}
		lat = append(lat, time.Since(start))
	}
	return lat, nil
}

// scratch creates a file in dir, sized to size bytes and written through
// to disk before any timing starts: the first sync would otherwise pay for
// the directory entry and the allocation too.
func scratch(dir string, size int64) (*os.File, error) {
	f, err := os.CreateTemp(dir, "fsyncprobe-*")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*os.File, error) {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	if size > 0 {
		// Written, not truncated: a hole would make every first write
		// an allocation, which a store's reused pages are not.
		buf := pattern(1 << 20)
		for off := int64(0); off < size; off += int64(len(buf)) {
			if _, err := f.WriteAt(buf, off); err != nil {
				return fail(fmt.Errorf("write %s: %w", f.Name(), err))
			}
		}
	}
	if err := syscall.Fsync(int(f.Fd())); err != nil {
		return fail(fmt.Errorf("fsync %s: %w", f.Name(), err))
	}
	return f, nil
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// sysTime is the process's kernel CPU time so far.
func sysTime() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(syscall.TimevalToNsec(ru.Stime)), nil
}

// summarize gives the nearest-rank quantiles of lat, in milliseconds, and
// the kernel CPU per sync.
func summarize(lat []time.Duration, sys time.Duration, syncs int) result {
	slices.Sort(lat)
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(lat)))) - 1
		return round3(float64(lat[max(i, 0)]) / 1e6)
	}
	return result{
		P50ms: q(0.5), P90ms: q(0.9), P99ms: q(0.99), P999ms: q(0.999), Maxms: round3(float64(lat[len(lat)-1]) / 1e6),
		SysUsPerS: math.Round(float64(sys.Microseconds()) / float64(syncs)),
	}
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
