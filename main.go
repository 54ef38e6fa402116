// Command edgedesk runs an edgedesk edge node and its tools.
//
//	edgedesk [serve] [-config FILE]   run the node (the default)
//	edgedesk check-config -config FILE
//	edgedesk faq import FILE | faq export [-format csv]
//	edgedesk glossary import FILE | glossary export [-format csv]
//	edgedesk token widget -customer ID | token staff -agent ID -role agent
//	edgedesk staff add --email E --name N --role R [--groups a,b] | staff list | staff disable|enable|passwd --email E
//	edgedesk session show ID [-json]
//	edgedesk routing explain -lang TAG [-tz ZONE] [-at TIME] [-json]
//	edgedesk train -data train.jsonl [-dev dev.jsonl] -out model.onnx
//	edgedesk eval -model model.onnx -data test.jsonl [-json]
//	edgedesk core archive -url nats://core:4222 -domains edge-a,edge-b
//	edgedesk health [-url http://127.0.0.1:8080/readyz] [-timeout 2s]
//	edgedesk version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/model"
	"github.com/edgedesk/edgedesk/node"
	"github.com/edgedesk/edgedesk/node/audit"
)

func main() {
	ctx, stop := signalContext()
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var ue usageError
	switch {
	case err == nil:
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "edgedesk:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "edgedesk:", err)
		os.Exit(1)
	}
}

// signalContext is cancelled by SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// usageError marks errors in the command line or configuration (exit 2).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

const usage = `usage: edgedesk <command> [flags]

commands:
  serve         run the node (default)
  check-config  print the effective configuration, or its errors
  faq           import or export the FAQ (faq import FILE, faq export)
  glossary      import or export the translation glossary (glossary import FILE, glossary export)
  token         print a widget or staff token signed with the configured secret
  staff         manage staff accounts (staff add, list, disable, enable, passwd)
  session       session show ID: a session's transcript and every routing decision
  routing       routing explain: a dry run of a routing decision and why
  customer      customer export ID, customer erase ID: GDPR export and erasure
  audit         print the audit log (every agent and admin action)
  train         train an intent model and write it as ONNX
  eval          evaluate a model on labelled data
  core          set up the core: core archive archives its leaf nodes
  health        exit 0 when the node's /readyz answers 200 (container health checks)
  version       print the version
Run 'edgedesk <command> -h' for a command's flags.`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stderr)
	case "faq":
		return faqCommand(args, os.Stdin, stdout, stderr)
	case "glossary":
		return glossaryCommand(args, os.Stdin, stdout, stderr)
	case "token":
		return tokenCommand(args, stdout, stderr)
	case "staff":
		return staffCommand(ctx, args, os.Stdin, stdout, stderr)
	case "session":
		return sessionCommand(ctx, args, stdout, stderr)
	case "customer":
		return customerCommand(ctx, args, stdout, stderr)
	case "routing":
		return routingCommand(args, stdout, stderr)
	case "audit":
		return auditCommand(args, stdout, stderr)
	case "check-config":
		return checkConfig(args, stdout, stderr)
	case "train":
		return modelErr(model.TrainCommand(ctx, args, stdout, stderr))
	case "eval":
		return modelErr(model.EvalCommand(ctx, args, stdout, stderr))
	case "core":
		return coreCommand(ctx, args, stdout, stderr)
	case "health":
		return healthCommand(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "edgedesk", node.Version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return usageError{fmt.Errorf("unknown command %q\n%s", cmd, usage)}
}

// modelErr marks the model commands' usage and data errors for exit 2.
func modelErr(err error) error {
	if err != nil && model.IsUsageError(err) {
		return usageError{err}
	}
	return err
}

// loadConfig parses -config (default $EDGEDESK_CONFIG) and loads it.
func loadConfig(name string, args []string, stderr io.Writer) (*config.Config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", os.Getenv("EDGEDESK_CONFIG"), "YAML config `file` (all keys optional; env EDGEDESK_* overrides)")
	if err := fs.Parse(args); err != nil {
		return nil, usageError{err}
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Errorf("%s: unexpected argument %q", name, fs.Arg(0))}
	}
	cfg, err := config.Load(*path, os.Environ())
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

func checkConfig(args []string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig("check-config", args, stderr)
	if err != nil {
		return err
	}
	out, err := cfg.YAML()
	if err != nil {
		return err
	}
	_, err = stdout.Write(out)
	return err
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := loadConfig("serve", args, stderr)
	if err != nil {
		return err
	}
	log := node.NewLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	n, err := node.New(cfg, log)
	if err != nil {
		return err
	}
	// SIGHUP re-reads the configuration for what can change live (agent
	// groups, hours, rules) and swaps in the model file and the TLS
	// certificate again, without dropping connections.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			fresh, err := config.Load(cfg.Path, os.Environ())
			if err != nil {
				log.Error("configuration reload failed; the running configuration stays", "err", err)
			} else if err = n.ReloadRouting(fresh.Routing); err != nil {
				log.Error("routing reload failed; the running routing stays", "err", err)
			}
			n.Audit().Go(node.ReloadEntry(audit.ActionRoutingReload, "signal", err))
			if err := n.ReloadModel(); !errors.Is(err, node.ErrModelDisabled) {
				if err != nil {
					log.Error("model reload failed; the running model stays", "err", err)
				}
				n.Audit().Go(node.ReloadEntry(audit.ActionModelReload, "signal", err))
			}
			if err := n.ReloadTLS(); err != nil {
				log.Error("TLS certificate reload failed; the running certificate stays", "err", err)
			}
		}
	}()
	return n.Run(ctx)
}

// faqCommand imports or exports the FAQ store of the configured data_dir
// (the node must be stopped; a running node takes PUT /v1/admin/faq).
func faqCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	const faqUsage = "usage: edgedesk faq import [-config FILE] [-format jsonl|csv] FILE|-\n       edgedesk faq export [-config FILE] [-format jsonl|csv] [-o FILE]"
	if len(args) == 0 || (args[0] != "import" && args[0] != "export") {
		return usageError{errors.New(faqUsage)}
	}
	sub := args[0]
	fs := flag.NewFlagSet("faq "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", os.Getenv("EDGEDESK_CONFIG"), "YAML config `file`")
	format := fs.String("format", "", "jsonl or csv (default: from the file name, else jsonl)")
	out := fs.String("o", "", "export to this `file` (default stdout)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	cfg, err := config.Load(*path, os.Environ())
	if err != nil {
		return usageError{err}
	}
	switch sub {
	case "import":
		if fs.NArg() != 1 {
			return usageError{errors.New(faqUsage)}
		}
		name := fs.Arg(0)
		r, closeInput, err := openInput(name, stdin)
		if err != nil {
			return err
		}
		defer closeInput()
		res, err := node.ImportFAQ(cfg, r, name, *format)
		if err != nil {
			if errors.Is(err, node.ErrBadInput) {
				return usageError{err}
			}
			return err
		}
		fmt.Fprintf(stdout, "imported %d entries from %s as FAQ version %d\n", res.Entries, name, res.Version)
		return nil
	default:
		if fs.NArg() != 0 {
			return usageError{errors.New(faqUsage)}
		}
		w := stdout
		if *out != "" {
			f, err := os.Create(*out)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		return node.ExportFAQ(cfg, w, *out, *format)
	}
}

// openInput opens the file an import names ("-": stdin); closeInput
// closes it.
func openInput(name string, stdin io.Reader) (r io.Reader, closeInput func(), err error) {
	if name == "-" {
		return stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, usageError{err}
	}
	return f, func() { f.Close() }, nil
}
