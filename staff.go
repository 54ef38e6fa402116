package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/audit"
	"github.com/edgedesk/edgedesk/node/staff"
)

const staffUsage = `usage: edgedesk staff add --email E --name N --role agent|supervisor|admin [--groups a,b] [--languages en,es] [--id ID] [-config FILE]
       edgedesk staff languages --email E --set en,es [-config FILE]  (--set "" clears)
       edgedesk staff list [-json] [-config FILE]
       edgedesk staff disable --email E [-config FILE]
       edgedesk staff enable --email E [-config FILE]
       edgedesk staff passwd --email E [-config FILE]

Manages the staff accounts of the configured data_dir (staff.db), whether
or not the node is running. add and passwd read the password from
standard input (one line) when it is not a terminal, else prompt for it
twice without echo; never from a flag, where ps and shell history would
show it. Passwords have at least 10 characters.`

// staffCommand is "edgedesk staff add|list|disable|enable|passwd".
func staffCommand(ctx context.Context, args []string, stdin *os.File, stdout, stderr io.Writer) error {
	subs := []string{"add", "list", "disable", "enable", "passwd", "languages"}
	if len(args) == 0 || !slices.Contains(subs, args[0]) {
		return usageError{fmt.Errorf("staff: want one of %s\n%s", strings.Join(subs, ", "), staffUsage)}
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("staff "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", os.Getenv("EDGEDESK_CONFIG"), "YAML config `file` (its data_dir holds staff.db)")
	var (
		a      staff.Account
		groups string
		langs  string
		asJSON bool
	)
	fs.StringVar(&a.Email, "email", "", "the account's `email` (how its owner signs in)")
	if sub == "add" {
		fs.StringVar(&a.Name, "name", "", "display `name` (shown to customers in chats)")
		fs.StringVar(&a.Role, "role", "", "agent, supervisor or admin")
		fs.StringVar(&groups, "groups", "", "comma-separated agent `groups` (routing.groups[].name); required for agents")
		fs.StringVar(&a.ID, "id", "", "the account's `id` (agent id, token sub); default from the email")
		fs.StringVar(&langs, "languages", "", "comma-separated `languages` the member writes and reads, the one they write in first (default: their groups')")
	}
	if sub == "languages" {
		fs.StringVar(&langs, "set", "", "comma-separated `languages`, the one they write in first; empty: their groups'")
	}
	if sub == "list" {
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	}
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	switch {
	case fs.NArg() > 0:
		return usageError{fmt.Errorf("staff %s: unexpected argument %q", sub, fs.Arg(0))}
	case sub != "list" && strings.TrimSpace(a.Email) == "":
		return usageError{fmt.Errorf("staff %s: --email is required", sub)}
	case sub == "add" && a.Name == "":
		return usageError{fmt.Errorf("staff add: --name is required")}
	case sub == "add" && a.Role == "":
		return usageError{fmt.Errorf("staff add: --role is required (agent, supervisor or admin)")}
	}
	a.Languages = staff.ParseLanguages(langs)
	for g := range strings.SplitSeq(groups, ",") {
		if g = strings.TrimSpace(g); g != "" {
			a.Groups = append(a.Groups, g)
		}
	}
	cfg, err := config.Load(*path, os.Environ())
	if err != nil {
		return usageError{err}
	}
	store := staff.NewStore(cfg.DataDir)

	switch sub {
	case "add":
		// Check the account before asking for a password, so a typo in a
		// flag does not cost a prompt.
		prepared, err := staff.Prepare(a)
		if err != nil {
			return staffErr(sub, err)
		}
		// A group routing does not know yet is allowed (the config may be
		// updated after), but most likely a typo: say so.
		for _, g := range prepared.Groups {
			if !slices.ContainsFunc(cfg.Routing.Groups, func(rg config.AgentGroup) bool { return rg.Name == g }) {
				fmt.Fprintf(stderr, "warning: group %q is not in routing.groups of this configuration\n", g)
			}
		}
		pw, err := readPassword(stdin, stderr)
		if err != nil {
			return err
		}
		added, err := store.Add(ctx, a, pw)
		if err != nil {
			return staffErr(sub, err)
		}
		fmt.Fprintf(stdout, "added %s: %s <%s>, %s%s\n", added.ID, added.Name, added.Email, added.Role, groupsNote(added.Groups))
		details := map[string]string{"id": added.ID, "role": added.Role}
		if len(added.Groups) > 0 {
			details["groups"] = strings.Join(added.Groups, ",")
		}
		if len(added.Languages) > 0 {
			details["languages"] = strings.Join(added.Languages, ",")
		}
		return recordCLI(cfg, audit.Entry{Action: audit.ActionStaffAdd, Target: added.Email, Details: details})
	case "list":
		all, err := store.List()
		if err != nil {
			return err
		}
		if asJSON {
			if all == nil {
				all = []staff.Account{}
			}
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(all)
		}
		if len(all) == 0 {
			fmt.Fprintln(stderr, "no staff accounts yet: add one with edgedesk staff add")
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE\tGROUPS\tSTATUS\tCREATED")
		for _, x := range all {
			status := "enabled"
			if x.Disabled {
				status = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.ID, x.Email, x.Name, x.Role, strings.Join(x.Groups, ","), status, x.Created.Format("2006-01-02"))
		}
		return tw.Flush()
	case "languages":
		changed, err := store.SetLanguages(a.Email, a.Languages)
		if err != nil {
			return staffErr(sub, err)
		}
		fmt.Fprintf(stdout, "languages of %s <%s>: %s (an open console takes them when it reconnects)\n", changed.ID, changed.Email, languagesNote(changed.Languages))
		return recordCLI(cfg, audit.Entry{Action: audit.ActionStaffLanguages, Target: changed.Email, Details: map[string]string{"id": changed.ID, "languages": strings.Join(changed.Languages, ",")}})
	case "disable", "enable":
		changed, err := store.SetDisabled(a.Email, sub == "disable")
		if err != nil {
			return staffErr(sub, err)
		}
		fmt.Fprintf(stdout, "%sd %s <%s>\n", sub, changed.ID, changed.Email)
		action := audit.ActionStaffEnable
		if sub == "disable" {
			action = audit.ActionStaffDisable
		}
		if err := recordCLI(cfg, audit.Entry{Action: action, Target: changed.Email, Details: map[string]string{"id": changed.ID}}); err != nil {
			return err
		}
		if sub == "disable" {
			fmt.Fprintln(stderr, "its sign-in ends now: the admin API and new consoles refuse it, open consoles are signed out within gateway.ping_interval, dashboards' live figures within 5 s")
		}
		return nil
	default: // passwd
		if _, err := store.ByEmail(a.Email); err != nil {
			return staffErr(sub, err)
		}
		pw, err := readPassword(stdin, stderr)
		if err != nil {
			return err
		}
		changed, err := store.SetPassword(ctx, a.Email, pw)
		if err != nil {
			return staffErr(sub, err)
		}
		fmt.Fprintf(stdout, "password of %s <%s> changed; its sessions are signed out\n", changed.ID, changed.Email)
		return recordCLI(cfg, audit.Entry{Action: audit.ActionStaffPassword, Target: changed.Email, Details: map[string]string{"id": changed.ID}})
	}
}

// staffErr marks the store's refusals (bad field, taken email, no such
// account) as usage errors (exit 2).
func staffErr(sub string, err error) error {
	err = fmt.Errorf("staff %s: %w", sub, err)
	if errors.Is(err, staff.ErrInvalid) || errors.Is(err, staff.ErrExists) || errors.Is(err, staff.ErrNotFound) {
		return usageError{err}
	}
	return err
}

// readPassword reads a new password: one line from stdin when it is not a
// terminal (scripts, pipes), else twice from the terminal without echo.
func readPassword(stdin *os.File, stderr io.Writer) (string, error) {
	fd := int(stdin.Fd())
	if !term.IsTerminal(fd) {
		line, err := bufio.NewReader(io.LimitReader(stdin, staff.MaxPasswordBytes+2)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("reading the password from standard input: %w", err)
		}
		if errors.Is(err, io.EOF) && len(line) > staff.MaxPasswordBytes {
			return "", usageError{fmt.Errorf("password: want at most %d bytes", staff.MaxPasswordBytes)}
		}
		pw := strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if pw == "" {
			return "", usageError{errors.New("password: none on standard input (want one line)")}
		}
		if err := staff.CheckPassword(pw); err != nil {
			return "", usageError{err}
		}
		return pw, nil
	}
	prompt := func(p string) (string, error) {
		fmt.Fprint(stderr, p)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		return string(b), err
	}
	pw, err := prompt("Password (at least 10 characters): ")
	if err != nil {
		return "", err
	}
	if err := staff.CheckPassword(pw); err != nil {
		return "", usageError{err}
	}
	again, err := prompt("Password again: ")
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", usageError{errors.New("password: the two entries differ")}
	}
	return pw, nil
}

func languagesNote(langs []string) string {
	if len(langs) == 0 {
		return "none (their groups' languages)"
	}
	return strings.Join(langs, ", ")
}

func groupsNote(groups []string) string {
	if len(groups) == 0 {
		return ""
	}
	return " in " + strings.Join(groups, ", ")
}
