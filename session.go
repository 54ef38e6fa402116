package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node"
	"github.com/edgedesk/edgedesk/node/audit"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/routing"
	"github.com/edgedesk/edgedesk/node/session"
)

const sessionUsage = `usage: edgedesk session show ID [-json] [-config FILE]

Prints a session: the customer, its messages as a transcript (time, from,
text, intent) and every routing decision with its reasons. It reads the
store of the configured data_dir when the node is stopped; when the node
runs (it holds the store), it asks the node's GET /v1/admin/sessions/ID
at the configured listen address with a supervisor token it signs with
auth.staff_secret (or <data_dir>/staff.key when that is empty).`

// storeWait is how long session show waits for the store's file lock
// before it concludes the node is running and asks it instead.
const storeWait = 300 * time.Millisecond

// staffKeyFile is the generated staff signing key in the data directory,
// used by the node when auth.staff_secret is empty.
const staffKeyFile = "staff.key"

// parseWithID parses a command's flags around its one argument, an id
// that may come before the flags (session show ID -json) or after them;
// the id is "" when none was given.
func parseWithID(fs *flag.FlagSet, args []string, usage string) (string, error) {
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", usageError{err}
	}
	switch {
	case id == "" && fs.NArg() == 1:
		id = fs.Arg(0)
	case fs.NArg() > 0:
		return "", usageError{fmt.Errorf("%s: unexpected argument %q\n%s", fs.Name(), fs.Arg(0), usage)}
	}
	return id, nil
}

// sessionCommand is "edgedesk session show".
func sessionCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "show" {
		return usageError{errors.New(sessionUsage)}
	}
	fs := flag.NewFlagSet("session show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", os.Getenv("EDGEDESK_CONFIG"), "YAML config `file`")
	asJSON := fs.Bool("json", false, "print the admin API's JSON (docs/ADMIN_API.md)")
	id, err := parseWithID(fs, args[1:], sessionUsage)
	if err != nil {
		return err
	}
	if id == "" {
		return usageError{fmt.Errorf("session show: the session ID is required\n%s", sessionUsage)}
	}
	if !session.ValidID(id) {
		return usageError{fmt.Errorf("session show: session ID %q: want 1 to 64 of [A-Za-z0-9_.:-]", id)}
	}
	cfg, err := config.Load(*path, os.Environ())
	if err != nil {
		return usageError{err}
	}
	v, raw, err := readSession(ctx, cfg, id)
	if err != nil {
		return err
	}
	if *asJSON {
		if raw == nil {
			if raw, err = json.Marshal(v); err != nil {
				return err
			}
		}
		_, err = fmt.Fprintf(stdout, "%s\n", strings.TrimSpace(string(raw)))
		return err
	}
	return printSession(stdout, v)
}

// readSession reads the session from the stopped node's store, else from
// the running node (raw is then its answer, as sent).
func readSession(ctx context.Context, cfg *config.Config, id string) (node.SessionView, []byte, error) {
	v, err := node.InspectSession(cfg, id, storeWait)
	switch {
	case err == nil:
		// The running node records what it serves; a stopped node's
		// store is read here.
		return v, nil, recordCLI(cfg, audit.Entry{Action: audit.ActionSessionView, Target: id})
	case errors.Is(err, session.ErrNoSession):
		return v, nil, fmt.Errorf("session show: no session %s in %s (data_dir)", id, cfg.DataDir)
	case !errors.Is(err, node.ErrStoreInUse):
		return v, nil, fmt.Errorf("session show: %w", err)
	}
	return askNode(ctx, cfg, id)
}

// askNode asks the running node's admin API for the session.
func askNode(ctx context.Context, cfg *config.Config, id string) (node.SessionView, []byte, error) {
	var v node.SessionView
	body, err := adminRequest(ctx, cfg, http.MethodGet, node.AdminSessionsPath+url.PathEscape(id), "supervisor", "session show")
	if err != nil {
		return v, nil, err
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return v, nil, fmt.Errorf("session show: the node's answer: %w", err)
	}
	return v, body, nil
}

// adminRequest sends method path to the running node's admin API with a
// token of role it signs with the staff key (the node holds the store, so
// a command asks it), and returns the answer's body when it is 200. cmd
// names the command in errors.
func adminRequest(ctx context.Context, cfg *config.Config, method, path, role, cmd string) ([]byte, error) {
	secret, err := staffSecret(cfg, cmd)
	if err != nil {
		return nil, err
	}
	tok, err := auth.Sign(secret, auth.Claims{Subject: cliActor(), Name: "edgedesk " + cmd, Role: role}, time.Minute)
	if err != nil {
		return nil, err
	}
	u := "http://" + dialAddr(cfg.Listen) + path
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: the store is in use (a node runs) but its API did not answer at %s: %w", cmd, u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: reading %s: %w", cmd, u, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		msg := strings.TrimSpace(string(body))
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return nil, fmt.Errorf("%s: the node at %s answered %d: %s", cmd, cfg.Listen, resp.StatusCode, msg)
	}
	return body, nil
}

// staffSecret is the key the node verifies staff tokens with.
func staffSecret(cfg *config.Config, cmd string) (string, error) {
	if cfg.Auth.StaffSecret != "" {
		return cfg.Auth.StaffSecret, nil
	}
	path := filepath.Join(cfg.DataDir, staffKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", usageError{fmt.Errorf("%s: the node runs and holds the store; asking it needs auth.staff_secret (EDGEDESK_AUTH_STAFF_SECRET) or %s", cmd, path)}
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", cmd, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// dialAddr turns a listen address into one to dial: an unspecified host
// (":8080", "0.0.0.0:8080", "[::]:8080") is this machine.
func dialAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

const timeLayout = "2006-01-02 15:04:05"

// printSession writes the session for people: who, the transcript, the
// decisions with their reasons, where the chat is now.
func printSession(w io.Writer, v node.SessionView) error {
	s := v.Session
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "session\t%s (%s; read from the %s)\n", s.ID, s.State, v.Source)
	var parts []string
	for _, p := range []string{s.Customer.ID, s.Customer.Name, angle(s.Customer.Email)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	cust := strings.Join(parts, " ")
	if s.Customer.Tier != "" {
		cust += ", tier " + s.Customer.Tier
	}
	fmt.Fprintf(tw, "customer\t%s\n", orDash(cust))
	fmt.Fprintf(tw, "language\tlocale %s, detected %s, time zone %s\n", orDash(s.Locale), orDash(s.Lang), orDash(s.TZ))
	if s.Channel != "" {
		fmt.Fprintf(tw, "channel\t%s\n", s.Channel)
	}
	fmt.Fprintf(tw, "created\t%s UTC, last active %s UTC\n", s.Created.UTC().Format(timeLayout), s.Updated.UTC().Format(timeLayout))
	if !s.ClosedAt.IsZero() {
		fmt.Fprintf(tw, "closed\t%s UTC\n", s.ClosedAt.UTC().Format(timeLayout))
	}
	if s.Origin != "" {
		fmt.Fprintf(tw, "served by\tnode %s (this is a copy)\n", s.Origin)
	}
	if c := v.Chat; c != nil {
		where := c.State + " in " + orDash(c.Group)
		if c.Agent != nil {
			where = "assigned to " + c.Agent.ID + " in " + c.Group
		}
		if c.Position > 0 {
			where += fmt.Sprintf(", position %d", c.Position)
		}
		if c.Node != "" {
			where += " on node " + c.Node
		}
		where += " since " + c.Since.UTC().Format(timeLayout) + " UTC"
		if !c.FirstResponseDue.IsZero() {
			where += ", first response due " + c.FirstResponseDue.UTC().Format(timeLayout) + " UTC"
		}
		fmt.Fprintf(tw, "chat now\t%s\n", where)
	}
	if wt := v.Waiting; wt != nil {
		fmt.Fprintf(tw, "waiting\tsince %s UTC (message %d, %s)\n", wt.Since.UTC().Format(timeLayout), wt.Seq, orDash(wt.Reason))
	}
	if lc := v.LastChat; lc != nil {
		r := "not rated"
		if lc.Rating != nil {
			r = fmt.Sprintf("rated %d/5", lc.Rating.Score)
		}
		fmt.Fprintf(tw, "last chat\t%s in %s, closed %s UTC, %s\n", lc.Agent.ID, orDash(lc.Group), lc.Closed.UTC().Format(timeLayout), r)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(w, "\nmessages (%d)\n", len(v.Messages))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, m := range v.Messages {
		from := string(m.From)
		if m.Agent != nil {
			from += " " + m.Agent.ID
		}
		text := strings.ReplaceAll(m.Text, "\n", " ")
		for _, a := range m.Attachments {
			text += " [" + orDash(a.Name) + " " + a.MIME + "]"
		}
		var notes []string
		if m.Intent != "" {
			in := m.Intent
			if m.Confidence != 0 {
				in += fmt.Sprintf(" %.2f", m.Confidence)
			}
			notes = append(notes, in)
		}
		if m.Lang != "" {
			notes = append(notes, m.Lang)
		}
		if m.Notice != nil {
			notes = append(notes, "notice "+m.Notice.Kind)
		}
		for _, e := range m.Entities {
			notes = append(notes, e.Kind+"="+e.Value)
		}
		if tr := m.Translation; tr != nil {
			note := "translation " + tr.From + "→" + tr.To + " " + tr.Status
			if tr.Provider != "" {
				note += " (" + tr.Provider + ")"
			}
			notes = append(notes, note)
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", m.Seq, m.TS.UTC().Format(timeLayout), from, text, strings.Join(notes, ", "))
		if tr := m.Translation; tr != nil && tr.Text != "" {
			fmt.Fprintf(tw, "  \t\t\t↳ %s\t\n", strings.ReplaceAll(tr.Text, "\n", " "))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(w, "\nrouting decisions (%d)\n", len(v.Decisions))
	if v.DecisionsDropped > 0 {
		fmt.Fprintf(w, "  (%d between the first and the latest are not kept)\n", v.DecisionsDropped)
	}
	for i, raw := range v.Decisions {
		var d routing.Decision
		if err := json.Unmarshal(raw, &d); err != nil {
			fmt.Fprintf(w, "  %d. (unreadable: %s)\n", i+1, raw)
			continue
		}
		head := fmt.Sprintf("  %d. %s", i+1, decisionLine(d))
		fmt.Fprintln(w, head)
		for _, why := range d.Why {
			fmt.Fprintf(w, "       - %s\n", why)
		}
	}
	return nil
}

func angle(email string) string {
	if email == "" {
		return ""
	}
	return "<" + email + ">"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// decisionLine is a routing decision in one line: when, the outcome and
// where it leads (session show, routing explain).
func decisionLine(d routing.Decision) string {
	head := fmt.Sprintf("%s UTC  %s", d.At.UTC().Format(timeLayout), d.Outcome)
	if d.Group != "" {
		head += "  group " + d.Group
	}
	if d.Agent != "" {
		head += "  agent " + d.Agent
	}
	if d.Node != "" {
		head += "  node " + d.Node
	}
	if d.Position > 0 {
		head += fmt.Sprintf("  position %d (about %d min)", d.Position, (d.ETASeconds+59)/60)
	}
	if !d.OpensAt.IsZero() {
		head += "  opens " + d.OpensAt.UTC().Format(timeLayout) + " UTC"
	}
	if d.NeedsTranslation {
		head += "  needs translation"
		if d.Translate != nil {
			head += " " + orDash(d.Translate.From) + " → " + d.Translate.To
		}
	}
	if d.CustomerRegion != "" {
		head += "  customer region " + d.CustomerRegion
	}
	return head
}
