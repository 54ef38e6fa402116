package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node"
	"github.com/edgedesk/edgedesk/node/audit"
)

const glossaryUsage = `usage: edgedesk glossary import [-config FILE] [-format jsonl|csv] FILE|-
       edgedesk glossary export [-config FILE] [-format jsonl|csv] [-o FILE]

The translation glossary of the configured data_dir (translate.db): names
never translated and forced translations per language pair
(docs/TRANSLATION.md). The node must be stopped; a running node takes
PUT /v1/admin/glossary. An import replaces the whole glossary, or changes
nothing and names every bad line and field.`

// glossaryCommand is "edgedesk glossary import|export".
func glossaryCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "import" && args[0] != "export") {
		return usageError{errors.New(glossaryUsage)}
	}
	sub := args[0]
	fs := flag.NewFlagSet("glossary "+sub, flag.ContinueOnError)
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
	if sub == "import" {
		if fs.NArg() != 1 {
			return usageError{errors.New(glossaryUsage)}
		}
		name := fs.Arg(0)
		r, closeInput, err := openInput(name, stdin)
		if err != nil {
			return err
		}
		defer closeInput()
		res, err := node.ImportGlossary(cfg, r, name, *format)
		if err != nil {
			if errors.Is(err, node.ErrBadInput) {
				return usageError{err}
			}
			return err
		}
		fmt.Fprintf(stdout, "imported %d terms from %s as glossary %s (cached translations dropped)\n", res.Terms, name, res.Version)
		return recordCLI(cfg, audit.Entry{Action: audit.ActionGlossaryImport, Target: "glossary " + res.Version,
			Details: map[string]string{"terms": strconv.Itoa(res.Terms), "file": name}})
	}
	if fs.NArg() != 0 {
		return usageError{errors.New(glossaryUsage)}
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
	return node.ExportGlossary(cfg, w, *out, *format)
}
