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
	"strconv"
	"strings"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node"
	"github.com/edgedesk/edgedesk/node/audit"
)

const customerUsage = `usage: edgedesk customer export ID [-config FILE] [-o FILE]
       edgedesk customer erase ID [-config FILE] [-by NAME]

export prints everything the node stores about customer ID (its sessions,
messages, routing decisions, ratings, profile, uploads' metadata) as one
JSON document (docs/PRIVACY.md). erase deletes it on this node, at the
core and on the other nodes, and prints what it erased; erasing again
prints zeros. Both read the store of the configured data_dir when the
node is stopped; when it runs, they ask its admin API
(GET /v1/admin/customers/ID/export, DELETE /v1/admin/customers/ID) with an
admin token signed with auth.staff_secret (or <data_dir>/staff.key). An
erasure made while the node is stopped is finished at the core when it
next starts.`

// customerCommand is "edgedesk customer export|erase".
func customerCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "export" && args[0] != "erase" {
		return usageError{errors.New(customerUsage)}
	}
	verb := args[0]
	cmd := "customer " + verb
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", os.Getenv("EDGEDESK_CONFIG"), "YAML config `file`")
	out := fs.String("o", "", "write the export to `file` (default: standard output)")
	by := fs.String("by", "", "who asks, for the audit record (default: $USER)")
	id, err := parseWithID(fs, args[1:], customerUsage)
	if err != nil {
		return err
	}
	if id == "" || len(id) > 256 || strings.Contains(id, "/") {
		return usageError{fmt.Errorf("%s: the customer ID is required: 1 to 256 bytes without '/'\n%s", cmd, customerUsage)}
	}
	cfg, err := config.Load(*path, os.Environ())
	if err != nil {
		return usageError{err}
	}
	if verb == "export" {
		raw, err := exportCustomer(ctx, cfg, id)
		if err != nil {
			return err
		}
		if *out == "" {
			_, err = fmt.Fprintf(stdout, "%s\n", raw)
			return err
		}
		return os.WriteFile(*out, append(raw, '\n'), 0o600)
	}
	who := *by
	if who == "" {
		who = "cli:" + os.Getenv("USER")
	}
	rep, err := node.EraseStopped(ctx, cfg, id, who, storeWait)
	if err == nil { // the stopped node's store: the command records it (a running node records its own)
		err = recordCLI(cfg, audit.Entry{Action: audit.ActionErase, Target: id, Details: map[string]string{"by": who,
			"sessions": strconv.Itoa(len(rep.Sessions)), "messages": strconv.Itoa(rep.Messages), "core": rep.Core}})
	} else if errors.Is(err, node.ErrStoreInUse) {
		var body []byte
		if body, err = adminRequest(ctx, cfg, http.MethodDelete, node.AdminCustomersPath+url.PathEscape(id), "admin", cmd); err == nil {
			err = json.Unmarshal(body, &rep)
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	fmt.Fprintf(stdout, "customer %s: erased %d sessions, %d messages, %d unsent events, %d files; store scrubbed: %v; core: %s\n",
		id, len(rep.Sessions), rep.Messages, rep.Outbox, rep.Uploads, rep.Scrubbed, rep.Core)
	return nil
}

// exportCustomer returns the export as indented JSON: from the stopped
// node's store, else from the running node.
func exportCustomer(ctx context.Context, cfg *config.Config, id string) ([]byte, error) {
	e, err := node.InspectCustomer(cfg, id, storeWait)
	switch {
	case err == nil:
		if len(e.Sessions) == 0 {
			return nil, fmt.Errorf("customer export: no session of customer %q in %s (data_dir)", id, cfg.DataDir)
		}
		// The node records what it exports through its API; a stopped
		// node's store read here is recorded by the command.
		if err := recordCLI(cfg, audit.Entry{Action: audit.ActionExport, Target: id, Details: map[string]string{"sessions": strconv.Itoa(len(e.Sessions))}}); err != nil {
			return nil, err
		}
		return json.MarshalIndent(e, "", "  ")
	case !errors.Is(err, node.ErrStoreInUse):
		return nil, fmt.Errorf("customer export: %w", err)
	}
	body, err := adminRequest(ctx, cfg, http.MethodGet, node.AdminCustomersPath+url.PathEscape(id)+"/export", "admin", "customer export")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, fmt.Errorf("customer export: the node's answer: %w", err)
	}
	return json.MarshalIndent(e, "", "  ")
}
