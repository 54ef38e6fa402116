package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node"
	"github.com/edgedesk/edgedesk/node/audit"
)

const auditUsage = "usage: edgedesk audit [-config FILE] [-from TIME] [-to TIME] [-actor ID] [-action NAME|PREFIX.] [-target T] [-limit N] [-json]"

// auditCommand prints the audit log, newest first: from audit.db when the
// node is stopped, else through the running node's GET /v1/admin/audit
// (with an admin token signed by the staff key, as cli:<user>).
func auditCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", os.Getenv("EDGEDESK_CONFIG"), "YAML config `file` (its data_dir holds audit.db)")
	from := fs.String("from", "", "oldest `time` (RFC 3339, or a duration back from now such as 24h)")
	to := fs.String("to", "", "newest `time`, exclusive (RFC 3339, or a duration back from now)")
	actor := fs.String("actor", "", "only this actor (staff id, cli:<user>, routing, core, signal)")
	action := fs.String("action", "", "only this action, or a prefix ending in '.' (chat.)")
	target := fs.String("target", "", "only this target (session id, email, customer id)")
	limit := fs.Int("limit", audit.DefaultLimit, fmt.Sprintf("at most this many entries (1 to %d)", audit.MaxLimit))
	asJSON := fs.Bool("json", false, "print JSON ({\"entries\": [...], \"next\": key})")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("audit: unexpected argument %q\n%s", fs.Arg(0), auditUsage)}
	}
	q := audit.Query{Actor: *actor, Action: *action, Target: *target, Limit: *limit}
	var err error
	if q.From, err = cliTime("-from", *from); err != nil {
		return err
	}
	if q.To, err = cliTime("-to", *to); err != nil {
		return err
	}
	cfg, err := config.Load(*path, os.Environ())
	if err != nil {
		return usageError{err}
	}
	page, err := audit.Read(cfg.DataDir, q)
	if errors.Is(err, audit.ErrNodeRunning) {
		page, err = askAudit(cfg, q)
	}
	if errors.Is(err, audit.ErrInvalid) {
		return usageError{fmt.Errorf("audit: %w", err)}
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(page)
	}
	if len(page.Entries) == 0 {
		fmt.Fprintln(stderr, "no audit entries match")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTOR\tROLE\tACTION\tTARGET\tFROM\tDETAILS")
	for _, e := range page.Entries {
		var d []string
		for k, v := range e.Details {
			d = append(d, shown(k)+"="+strconv.Quote(v))
		}
		slices.Sort(d)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.At.Format(time.RFC3339), shown(e.Actor), shown(e.Role), shown(e.Action), shown(e.Target), shown(e.From), strings.Join(d, " "))
	}
	if page.Next != nil {
		fmt.Fprintf(tw, "… more: older entries with -to %s\n", page.Entries[len(page.Entries)-1].At.Format(time.RFC3339Nano))
	}
	return tw.Flush()
}

// shown is s for a terminal: quoted (escaped) when it holds anything but
// printable characters, so a field cannot forge lines or colours.
func shown(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) || r == '\t' {
			return strconv.QuoteToGraphic(s)
		}
	}
	return s
}

// cliTime reads an RFC 3339 time or a duration back from now.
func cliTime(flagName, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return time.Now().Add(-d), nil
	}
	return time.Time{}, usageError{fmt.Errorf("audit %s: want an RFC 3339 time (2026-12-03T15:00:00Z) or a duration back from now (24h), got %q", flagName, v)}
}

// cliActor is the audit actor of this CLI: cli:<OS user>.
func cliActor() string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	} else if s := os.Getenv("USER"); s != "" {
		name = s
	}
	return audit.Truncate("cli:"+name, audit.MaxField)
}

// recordCLI records an action of this CLI in the data directory's audit
// log (the running node's, through audit-pending/, when it holds it).
func recordCLI(cfg *config.Config, e audit.Entry) error {
	e.Actor, e.From = cliActor(), "cli"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := audit.RecordOffline(ctx, cfg.DataDir, cfg.NATS.NodeName(), e); err != nil {
		return fmt.Errorf("the action is done but not in the audit log: %w", err)
	}
	return nil
}

// askAudit runs q through the running node's admin API.
func askAudit(cfg *config.Config, q audit.Query) (audit.Page, error) {
	var page audit.Page
	v := url.Values{}
	for k, s := range map[string]string{"actor": q.Actor, "action": q.Action, "target": q.Target} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if !q.From.IsZero() {
		v.Set("from", q.From.UTC().Format(time.RFC3339))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.UTC().Format(time.RFC3339))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	body, err := adminRequest(context.Background(), cfg, http.MethodGet, node.AuditPath+"?"+v.Encode(), "admin", "audit")
	if err != nil {
		return page, err
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return page, fmt.Errorf("audit: the node's answer: %w", err)
	}
	return page, nil
}
