package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/staff"
)

const tokenUsage = `usage: edgedesk token widget -customer ID [-name N] [-email E] [-tier T] [-ttl 1h] [-config FILE]
       edgedesk token staff -agent ID -role agent|supervisor|admin [-name N] [-groups a,b] [-ttl 8h] [-config FILE]

Prints a token signed with auth.widget_secret (widget) or auth.staff_secret
(staff) from the configuration, for trying the node; in production the
merchant's backend signs widget tokens. Without auth.staff_secret, staff
tokens are signed with the key the node generates into data_dir
(staff.key), as its sign-in does; staff normally sign in with an account
(edgedesk staff add) instead.`

// tokenCommand is "edgedesk token widget|staff".
func tokenCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "widget" && args[0] != "staff") {
		return usageError{fmt.Errorf("token: want widget or staff\n%s", tokenUsage)}
	}
	kind, args := args[0], args[1:]
	fs := flag.NewFlagSet("token "+kind, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		c      auth.Claims
		groups string
		ttl    time.Duration
		path   = fs.String("config", "", "YAML config `file` (default $EDGEDESK_CONFIG)")
	)
	fs.StringVar(&c.Name, "name", "", "display `name`")
	if kind == "widget" {
		fs.StringVar(&c.Subject, "customer", "", "the customer's `id` in the shop (required)")
		fs.StringVar(&c.Email, "email", "", "the customer's `email`")
		fs.StringVar(&c.Tier, "tier", "", "the customer's `tier` (e.g. vip: routing.tier_priority)")
		fs.DurationVar(&ttl, "ttl", time.Hour, "validity")
	} else {
		fs.StringVar(&c.Subject, "agent", "", "the agent's `id` (required)")
		fs.StringVar(&c.Role, "role", "agent", "agent, supervisor or admin")
		fs.StringVar(&groups, "groups", "", "comma-separated agent `groups` (routing.groups[].name)")
		fs.DurationVar(&ttl, "ttl", 8*time.Hour, "validity")
	}
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	switch {
	case fs.NArg() > 0:
		return usageError{fmt.Errorf("token %s: unexpected argument %q", kind, fs.Arg(0))}
	case c.Subject == "" && kind == "widget":
		return usageError{fmt.Errorf("token widget: -customer is required")}
	case c.Subject == "":
		return usageError{fmt.Errorf("token staff: -agent is required")}
	case ttl <= 0:
		return usageError{fmt.Errorf("token %s: -ttl %s: want a positive duration", kind, ttl)}
	case kind == "staff" && c.Role != "agent" && c.Role != "supervisor" && c.Role != "admin":
		return usageError{fmt.Errorf("token staff: -role %q: want agent, supervisor or admin", c.Role)}
	}
	for g := range strings.SplitSeq(groups, ",") {
		if g = strings.TrimSpace(g); g != "" {
			c.Groups = append(c.Groups, g)
		}
	}
	var cfgArgs []string
	if *path != "" {
		cfgArgs = []string{"-config", *path}
	}
	cfg, err := loadConfig("token", cfgArgs, stderr)
	if err != nil {
		return err
	}
	secret, key := cfg.Auth.WidgetSecret, "auth.widget_secret"
	if kind == "staff" && cfg.Auth.StaffSecret != "" {
		secret = cfg.Auth.StaffSecret
	} else if kind == "staff" {
		if secret, err = staff.LoadKey(cfg.DataDir); err != nil {
			return err
		}
	}
	if secret == "" {
		return usageError{fmt.Errorf("token %s: %s is empty: set it in the config file or $EDGEDESK_%s", kind, key, strings.ToUpper(strings.ReplaceAll(key, ".", "_")))}
	}
	tok, err := auth.Sign(secret, c, ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}
