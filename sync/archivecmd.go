package edgesync

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ArchiveUsage is the usage of ArchiveCommand.
const ArchiveUsage = `usage: edgedesk core archive -url nats://core:4222 [-creds FILE] -domains edge-a,edge-b
                             [-uploads-max-age 72h] [-uploads-max-bytes N] [-replicas 3]

Creates or updates, at the core, the archive of its leaf nodes: stream
EDGEDESK_ARCHIVE (their session events) and object store
EDGEDESK_ARCHIVE_UPLOADS (their customers' files), sourced from each
edge's JetStream domain (edge-<nats.node>, or nats.domain), each kept by
-replicas servers of the core's cluster. Run it again
when an edge joins: the sources already there stay, and so do the limits an
operator set on the streams, but for those given here.`

// ArchiveCommand is "edgedesk core archive": EnsureArchive at the core
// the flags in args name, then a line per stream on stdout saying what it
// holds. Errors in args wrap ErrUsage.
func ArchiveCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("core archive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, ArchiveUsage); fs.PrintDefaults() }
	url := fs.String("url", "", "the core's NATS `URL` (nats://core:4222; comma-separated for several)")
	creds := fs.String("creds", "", "NATS credentials `file` (JWT and NKey) for the URL")
	domains := fs.String("domains", "", "comma-separated JetStream `domains` of the edges to archive")
	var o ArchiveOptions
	fs.DurationVar(&o.UploadsMaxAge, "uploads-max-age", 0, "how long the core keeps a file after it arrived (default: the archive's own; 72h for a new one)")
	fs.Int64Var(&o.UploadsMaxBytes, "uploads-max-bytes", 0, "bound on the archive of files in `bytes`, -1 for none (default: the archive's own; none for a new one)")
	fs.IntVar(&o.Replicas, "replicas", 0, "servers of the core's cluster that keep each archive, 1 to 5 (default: the archive's own; 1 for a new one)")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return usage(err)
	}
	for d := range strings.SplitSeq(*domains, ",") {
		if d = strings.TrimSpace(d); d != "" {
			o.Domains = append(o.Domains, d)
		}
	}
	switch {
	case fs.NArg() > 0:
		return usage(fmt.Errorf("core archive: unexpected argument %q", fs.Arg(0)))
	case *url == "":
		return usage(fmt.Errorf("core archive: -url is required\n%s", ArchiveUsage))
	case len(o.Domains) == 0:
		return usage(fmt.Errorf("core archive: -domains is required (edge-<nats.node> of each leaf node)\n%s", ArchiveUsage))
	case o.UploadsMaxAge < 0:
		return usage(fmt.Errorf("core archive: -uploads-max-age %v: want a positive duration", o.UploadsMaxAge))
	case o.Replicas < 0 || o.Replicas > 5:
		return usage(fmt.Errorf("core archive: -replicas %d: want 1 to 5 servers", o.Replicas))
	case o.UploadsMaxBytes < -1:
		return usage(fmt.Errorf("core archive: -uploads-max-bytes %d: want bytes, or -1 for no bound", o.UploadsMaxBytes))
	}
	for _, d := range o.Domains {
		if !validToken(d) {
			return usage(fmt.Errorf("core archive: domain %q: want letters, digits, - and _", d))
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	opts := []nats.Option{nats.Name("edgedesk core archive"), nats.Timeout(*timeout)}
	if *creds != "" {
		opts = append(opts, nats.UserCredentials(*creds))
	}
	nc, err := nats.Connect(*url, opts...)
	if err != nil {
		return fmt.Errorf("edgesync: core archive: connect %s: %w", *url, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("edgesync: core archive: %w", err)
	}
	if err := EnsureArchive(ctx, js, o); err != nil {
		return err
	}
	for _, name := range []string{Archive, ObjectStream(UploadsArchive)} {
		st, err := js.Stream(ctx, name)
		if err != nil {
			return fmt.Errorf("edgesync: core archive: %s: %w", name, err)
		}
		fmt.Fprintln(stdout, describe(st.CachedInfo().Config))
	}
	return nil
}

// describe is a line on stream c: its sources' domains and its limits.
func describe(c jetstream.StreamConfig) string {
	var from []string
	for _, s := range c.Sources {
		d := s.Domain
		if d == "" && s.External != nil {
			d = strings.TrimSuffix(strings.TrimPrefix(s.External.APIPrefix, "$JS."), ".API")
		}
		from = append(from, d)
	}
	limit := func(n int64) string {
		if n < 0 {
			return "none"
		}
		return fmt.Sprint(n)
	}
	age := "none"
	if c.MaxAge > 0 {
		age = c.MaxAge.String()
	}
	return fmt.Sprintf("%s: sources %s; max_age %s, max_bytes %s, replicas %d", c.Name, strings.Join(from, ", "), age, limit(c.MaxBytes), max(c.Replicas, 1))
}

// validToken reports whether s is a subject token of letters, digits, -
// and _ (a JetStream domain).
func validToken(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return s != ""
}

// usageErr is an error in the command line: it is ErrUsage, and says only
// what is wrong.
type usageErr struct{ error }

func usage(err error) error { return usageErr{err} }

func (usageErr) Is(target error) bool { return target == ErrUsage }

func (e usageErr) Unwrap() error { return e.error }
