//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

// Modes of -mode.
const (
	modeProtocol = "protocol"
	modeEcho     = "echo"
	modeWebhook  = "webhook" // signed generic-channel webhooks over HTTP (webhook.go)
)

// Bounds on a run, so that every run stops by itself.
const (
	maxSessions = 100_000
	maxRate     = 1_000_000
	maxDuration = 10 * time.Minute
	maxMessages = 20_000_000
	fdReserve   = 64 // descriptors kept free for the process itself
)

// config is a validated set of flags.
type config struct {
	url              string
	n                int
	sources          []netip.Addr
	rate             float64
	duration         time.Duration
	warmup           time.Duration
	settle           time.Duration
	drain            time.Duration
	ramp             float64
	dialConcurrency  int
	senders          int
	handshakeTimeout time.Duration
	pid              int
	metrics          string
	mode             string
	token            string
	size             int
	text             string // -text; used instead of -size when textSet
	textSet          bool
	answers          bool
	json             bool
	cpuProfile       string
	nofile           nofile
	// -mode webhook (webhook.go)
	secret string // read from -secret-file
	batch  int
	conns  int
	sink   string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// run parses args, performs one load run and writes its report to stdout;
// progress goes to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg.nofile, err = raiseNofile()
	if err != nil {
		return err
	}
	need := uint64(cfg.n) + fdReserve
	if cfg.mode == modeWebhook { // -n is customers; connections are -conns, and the sink's
		need = 2*uint64(cfg.conns) + fdReserve
	}
	if cfg.nofile.Soft < need {
		return fmt.Errorf("-n %d needs %d open files but RLIMIT_NOFILE is %d (hard %d)",
			cfg.n, need, cfg.nofile.Soft, cfg.nofile.Hard)
	}
	// A hard bound on the whole run, well past what the flags ask for.
	budget := time.Duration(float64(cfg.n)/cfg.ramp*float64(time.Second)) +
		cfg.handshakeTimeout + cfg.settle + cfg.warmup + cfg.duration + cfg.drain + time.Minute
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()

	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if cfg.mode == modeWebhook {
		rep, err := runWebhook(ctx, cfg, stderr)
		if rep != nil {
			var werr error
			if cfg.json {
				werr = writeJSONLine(stdout, rep)
			} else {
				werr = rep.writeText(stdout)
			}
			if werr != nil {
				return werr
			}
		}
		return err
	}
	r := newRunner(cfg, stderr)
	rep, err := r.run(ctx)
	if rep != nil {
		if cfg.json {
			if werr := rep.writeJSON(stdout); werr != nil {
				return werr
			}
		} else if werr := rep.writeText(stdout); werr != nil {
			return werr
		}
	}
	return err
}

// writeJSONLine writes v as one line of JSON.
func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// parseFlags parses and validates the command line.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg        config
		src        string
		secretFile string
	)
	fs.StringVar(&cfg.url, "url", "ws://127.0.0.1:8080/v1/ws", "WebSocket `URL` of the target; must be loopback")
	fs.IntVar(&cfg.n, "n", 1000, "number of sessions")
	fs.StringVar(&src, "src", "127.0.0.1-127.0.0.8", "loopback source `addresses`, round robin: a, a-b, or a comma list")
	fs.Float64Var(&cfg.rate, "rate", 0, "total messages per second; 0 holds the sessions idle")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "measurement time (idle: hold time)")
	fs.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "sending time before measurement starts")
	fs.DurationVar(&cfg.settle, "settle", 3*time.Second, "wait after all sessions are up before reading RSS and heap")
	fs.DurationVar(&cfg.drain, "drain", 5*time.Second, "longest wait for outstanding responses after sending stops")
	fs.Float64Var(&cfg.ramp, "ramp", 2000, "connections opened per second")
	fs.IntVar(&cfg.dialConcurrency, "dial-concurrency", 64, "most dials and handshakes in flight")
	fs.IntVar(&cfg.senders, "senders", 2, "pacer threads that send the messages")
	fs.DurationVar(&cfg.handshakeTimeout, "handshake-timeout", 10*time.Second, "limit on dial + upgrade + hello/welcome")
	fs.IntVar(&cfg.pid, "pid", 0, "`PID` of the server process, for RSS per session (0: not measured)")
	fs.StringVar(&cfg.metrics, "metrics", "", "Prometheus `URL` to scrape "+heapMetric+" from (optional)")
	fs.StringVar(&cfg.mode, "mode", modeProtocol, "protocol (hello/welcome, msg/receipt), echo (baseline echo server), or webhook (signed generic-channel webhooks: -url http://…/v1/channels/<name>/webhook, -rate webhooks/s, -n customers)")
	fs.StringVar(&secretFile, "secret-file", "", "webhook: `file` holding the generic channel's secret")
	fs.IntVar(&cfg.batch, "batch", 1, "webhook: messages per webhook")
	fs.IntVar(&cfg.conns, "conns", 256, "webhook: most requests in flight (HTTP connections)")
	fs.StringVar(&cfg.sink, "sink", "", "webhook: loopback `address` to serve the channel's send API on, counting the answers delivered")
	fs.StringVar(&cfg.token, "token", "", "widget token sent in hello")
	fs.IntVar(&cfg.size, "size", 64, "message text size in bytes (ignored with -text)")
	fs.StringVar(&cfg.text, "text", "", "message `text` to send, any characters (default: generated text of -size bytes)")
	fs.BoolVar(&cfg.answers, "answers", false, "also measure the latency of the bot's answer (msg from bot with reply_to) to each message")
	fs.BoolVar(&cfg.json, "json", false, "print the report as one JSON line")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write the loadgen's own CPU profile to `file`")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	fs.Visit(func(f *flag.Flag) { cfg.textSet = cfg.textSet || f.Name == "text" })
	scheme := "ws"
	if cfg.mode == modeWebhook {
		scheme = "http"
		if secretFile == "" {
			return cfg, fmt.Errorf("-mode webhook needs -secret-file")
		}
		b, err := os.ReadFile(secretFile)
		if err != nil {
			return cfg, fmt.Errorf("-secret-file: %w", err)
		}
		if cfg.secret = strings.TrimSpace(string(b)); cfg.secret == "" {
			return cfg, fmt.Errorf("-secret-file %s is empty", secretFile)
		}
		if cfg.sink != "" {
			if _, err := checkLoopbackURL("http://"+cfg.sink, "http"); err != nil {
				return cfg, fmt.Errorf("-sink: %w", err)
			}
		}
	}
	u, err := checkLoopbackURL(cfg.url, scheme)
	if err != nil {
		return cfg, fmt.Errorf("-url: %w", err)
	}
	if cfg.sources, err = parseSources(src); err != nil {
		return cfg, err
	}
	for _, a := range cfg.sources {
		if !sameFamily(a, u.Hostname()) {
			return cfg, fmt.Errorf("-src %s cannot reach -url host %s", a, u.Hostname())
		}
	}
	if cfg.metrics != "" {
		if _, err := checkLoopbackURL(cfg.metrics, "http"); err != nil {
			return cfg, fmt.Errorf("-metrics: %w", err)
		}
	}
	switch {
	case cfg.n < 1 || cfg.n > maxSessions:
		return cfg, fmt.Errorf("-n %d: want 1..%d", cfg.n, maxSessions)
	case cfg.rate < 0 || cfg.rate > maxRate:
		return cfg, fmt.Errorf("-rate %g: want 0..%d", cfg.rate, maxRate)
	case cfg.duration <= 0 || cfg.duration > maxDuration:
		return cfg, fmt.Errorf("-duration %s: want (0, %s]", cfg.duration, maxDuration)
	case cfg.warmup < 0 || cfg.warmup > maxDuration:
		return cfg, fmt.Errorf("-warmup %s: want [0, %s]", cfg.warmup, maxDuration)
	case cfg.settle < 0 || cfg.settle > maxDuration:
		return cfg, fmt.Errorf("-settle %s: want [0, %s]", cfg.settle, maxDuration)
	case cfg.drain < 0 || cfg.drain > time.Minute:
		return cfg, fmt.Errorf("-drain %s: want [0, 1m]", cfg.drain)
	case cfg.ramp <= 0 || cfg.ramp > 100_000:
		return cfg, fmt.Errorf("-ramp %g: want (0, 100000]", cfg.ramp)
	case cfg.dialConcurrency < 1 || cfg.dialConcurrency > 4096:
		return cfg, fmt.Errorf("-dial-concurrency %d: want 1..4096", cfg.dialConcurrency)
	case cfg.senders < 1 || cfg.senders > 64:
		return cfg, fmt.Errorf("-senders %d: want 1..64", cfg.senders)
	case cfg.handshakeTimeout <= 0 || cfg.handshakeTimeout > time.Minute:
		return cfg, fmt.Errorf("-handshake-timeout %s: want (0, 1m]", cfg.handshakeTimeout)
	case cfg.mode != modeProtocol && cfg.mode != modeEcho && cfg.mode != modeWebhook:
		return cfg, fmt.Errorf("-mode %q: want %s, %s or %s", cfg.mode, modeProtocol, modeEcho, modeWebhook)
	case cfg.mode == modeWebhook && cfg.rate <= 0:
		return cfg, fmt.Errorf("-mode webhook needs -rate > 0")
	case cfg.batch < 1 || cfg.batch > 100:
		return cfg, fmt.Errorf("-batch %d: want 1..100", cfg.batch)
	case cfg.conns < 1 || cfg.conns > 4096:
		return cfg, fmt.Errorf("-conns %d: want 1..4096", cfg.conns)
	case !cfg.textSet && (cfg.size < 1 || cfg.size > 16<<10):
		return cfg, fmt.Errorf("-size %d: want 1..16384", cfg.size)
	case cfg.textSet && (len(cfg.text) < 1 || len(cfg.text) > 16<<10):
		return cfg, fmt.Errorf("-text of %d bytes: want 1..16384", len(cfg.text))
	case cfg.answers && cfg.mode != modeProtocol:
		return cfg, fmt.Errorf("-answers needs -mode %s", modeProtocol)
	case cfg.pid < 0:
		return cfg, fmt.Errorf("-pid %d: want a process id", cfg.pid)
	}
	if msgs := cfg.rate * float64(cfg.batch) * (cfg.warmup + cfg.duration).Seconds(); msgs > maxMessages {
		return cfg, fmt.Errorf("-rate × (-warmup + -duration) = %.0f messages: more than %d", msgs, maxMessages)
	}
	return cfg, nil
}
