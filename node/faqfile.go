package node

// The FAQ file in the data directory: opened and seeded at start, imported
// and exported by the CLI while the node is stopped.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/faq"
)

// FAQFile is the FAQ store's file name inside the data directory.
const FAQFile = "faq.db"

// ErrBadInput marks a FAQ file the CLI refused (the error names the lines).
var ErrBadInput = errors.New("node: bad input")

// ImportResult is what an import came to.
type ImportResult struct {
	Version uint64 `json:"version"`
	Entries int    `json:"entries"`
}

// openFAQ opens data_dir/faq.db and seeds it when it never had an import.
func openFAQ(cfg *config.Config, log *slog.Logger, timeout time.Duration) (*faq.Store, error) {
	st, err := faq.Open(filepath.Join(cfg.DataDir, FAQFile), faq.Options{Logger: log, OpenTimeout: timeout})
	if err != nil {
		if errors.Is(err, faq.ErrLocked) {
			return nil, fmt.Errorf("node: %s is in use by a running node (its admin API takes PUT /v1/admin/faq): %w", filepath.Join(cfg.DataDir, FAQFile), err)
		}
		return nil, fmt.Errorf("node: %w", err)
	}
	return st, nil
}

// seedFAQ imports faq.seed into a store that never had an import.
func seedFAQ(st *faq.Store, seed string, log *slog.Logger) error {
	if seed == "" || st.Version() > 0 {
		return nil
	}
	var r io.Reader
	f := faq.JSONL
	if seed == "demo" {
		r = bytes.NewReader(faq.Demo)
	} else {
		file, err := os.Open(seed)
		if err != nil {
			return fmt.Errorf("node: faq.seed: %w", err)
		}
		defer file.Close()
		r = file
		if f, err = faq.FormatFromPath(seed); err != nil {
			return fmt.Errorf("node: faq.seed %s: %w", seed, err)
		}
	}
	v, err := st.Import(r, f)
	if err != nil {
		return fmt.Errorf("node: faq.seed %s: %w", seed, err)
	}
	log.Info("FAQ seeded", "seed", seed, "version", v, "entries", st.Len())
	return nil
}

// ImportFAQ replaces the FAQ in cfg's data directory with the entries read
// from r (format by name: "jsonl" or "csv"; empty: from the file name).
// The node must not be running. Bad entries give an error wrapping
// ErrBadInput that names every bad line and field.
func ImportFAQ(cfg *config.Config, r io.Reader, name, format string) (ImportResult, error) {
	f, err := pickFormat(name, format)
	if err != nil {
		return ImportResult{}, err
	}
	st, err := openFAQ(cfg, slog.New(slog.DiscardHandler), time.Second)
	if err != nil {
		return ImportResult{}, err
	}
	defer st.Close()
	v, err := st.Import(r, f)
	if err != nil {
		if errors.Is(err, faq.ErrInvalid) {
			return ImportResult{}, fmt.Errorf("%w: %s: %w", ErrBadInput, name, err)
		}
		return ImportResult{}, err
	}
	return ImportResult{Version: v, Entries: st.Len()}, nil
}

// ExportFAQ writes the FAQ in cfg's data directory to w.
func ExportFAQ(cfg *config.Config, w io.Writer, name, format string) error {
	f, err := pickFormat(name, format)
	if err != nil {
		return err
	}
	st, err := openFAQ(cfg, slog.New(slog.DiscardHandler), time.Second)
	if err != nil {
		return err
	}
	defer st.Close()
	return st.Export(w, f)
}

func pickFormat(name, format string) (faq.Format, error) {
	if format != "" {
		f, err := faq.ParseFormat(format)
		if err != nil {
			return f, fmt.Errorf("%w: %w", ErrBadInput, err)
		}
		return f, nil
	}
	if name != "" && name != "-" {
		if f, err := faq.FormatFromPath(name); err == nil {
			return f, nil
		}
	}
	return faq.JSONL, nil
}
