package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/routing"
)

const routingUsage = `usage: edgedesk routing explain [-config FILE] -lang TAG [-tz ZONE] [-country CC] [-at TIME]
                                [-intent NAME] [-text TEXT] [-busy g1,g2] [-offline g3] [-json]

A dry run of a routing decision under the configuration's routing section:
where a customer would go at an instant, and every step of why — the
customer's region (routing.regions), the teams open then, follow the sun,
translation, the message. Every group is taken to have an agent online with
room unless -busy (online, no room) or -offline (nobody online) names it.`

// routingCommand runs edgedesk routing explain.
func routingCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "explain" {
		return usageError{errors.New(routingUsage)}
	}
	fs := flag.NewFlagSet("routing explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", os.Getenv("EDGEDESK_CONFIG"), "YAML config `file`")
	lang := fs.String("lang", "", "the customer's language (BCP 47: es-MX)")
	tz := fs.String("tz", "", "the customer's IANA time zone (Asia/Shanghai)")
	country := fs.String("country", "", "the customer's country (ISO 3166-1 alpha-2; default: the region subtag of -lang)")
	at := fs.String("at", "now", "the instant (RFC 3339: 2026-12-02T15:00:00Z)")
	intent := fs.String("intent", "", "the intent that asked for people (for routing.intent_skills)")
	text := fs.String("text", "", "the customer's last message (for routing.rules)")
	busy := fs.String("busy", "", "comma-separated groups whose agents have no room")
	offline := fs.String("offline", "", "comma-separated groups with nobody online")
	asJSON := fs.Bool("json", false, "print the decision as the session stores it (meta.route)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("routing explain: unexpected argument %q", fs.Arg(0))}
	}
	if *lang == "" {
		return usageError{fmt.Errorf("routing explain: -lang is required\n%s", routingUsage)}
	}
	if *tz != "" {
		if _, err := time.LoadLocation(*tz); err != nil || *tz == "Local" {
			return usageError{fmt.Errorf("routing explain: -tz %q: unknown IANA time zone", *tz)}
		}
	}
	if *country != "" && (len(*country) != 2 || strings.ToUpper(*country) != *country || strings.ToLower(*country) == *country) {
		return usageError{fmt.Errorf("routing explain: -country %q: want an ISO 3166-1 alpha-2 code in capitals, such as ES", *country)}
	}
	when := time.Now()
	if *at != "now" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return usageError{fmt.Errorf("routing explain: -at %q: want RFC 3339, such as 2026-12-02T15:00:00Z", *at)}
		}
		when = t
	}
	staffing := map[string]routing.Staffing{}
	for flagName, list := range map[string]string{"busy": *busy, "offline": *offline} {
		for g := range strings.SplitSeq(list, ",") {
			if g = strings.TrimSpace(g); g == "" {
				continue
			}
			if _, dup := staffing[g]; dup {
				return usageError{fmt.Errorf("routing explain: -%s %s: the group is named twice", flagName, g)}
			}
			staffing[g] = routing.Staffing(flagName)
		}
	}
	cfg, err := config.Load(*path, os.Environ())
	if err != nil {
		return usageError{err}
	}
	d, err := routing.Explain(cfg.Routing, cfg.Bot.DefaultLanguage,
		routing.Request{Lang: *lang, TZ: *tz, Country: *country, Intent: *intent, Text: *text}, when, staffing)
	if err != nil {
		return usageError{fmt.Errorf("routing explain: %w", err)}
	}
	if *asJSON {
		out, err := json.Marshal(d)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", out)
		return err
	}
	head := decisionLine(d)
	fmt.Fprintln(stdout, head)
	for _, w := range d.Why {
		fmt.Fprintf(stdout, "  - %s\n", w)
	}
	return nil
}
