package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/edgedesk/edgedesk/model"
)

// bitextMap maps Bitext customer-support intents to edgedesk's default
// e-commerce intents.
var bitextMap = map[string]string{
	"track_order":              "track_order",
	"cancel_order":             "cancel_order",
	"check_cancellation_fee":   "cancel_order",
	"change_order":             "change_order",
	"change_shipping_address":  "change_order",
	"get_refund":               "return_refund",
	"track_refund":             "return_refund",
	"check_refund_policy":      "return_refund",
	"delivery_options":         "shipping",
	"delivery_period":          "shipping",
	"check_payment_methods":    "payment",
	"payment_issue":            "payment",
	"check_invoice":            "invoice",
	"get_invoice":              "invoice",
	"create_account":           "account",
	"delete_account":           "account",
	"edit_account":             "account",
	"recover_password":         "account",
	"registration_problems":    "account",
	"switch_account":           "account",
	"newsletter_subscription":  "account",
	"complaint":                "complaint",
	"contact_human_agent":      "talk_to_human",
	"contact_customer_service": "talk_to_human",
}

// massiveExcluded are MASSIVE scenarios too close to e-commerce support to
// serve as out-of-scope examples (ordering food, ...).
var massiveExcluded = map[string]bool{"takeaway": true}

type row struct {
	ID       string `json:"id"`
	Text     string `json:"text"`
	Intent   string `json:"intent"`
	Lang     string `json:"lang"`
	Scenario string `json:"scenario,omitempty"`
}

// deriveDefault writes the default model's derived training data from the
// shared data sets. It is run once by a developer; the output is committed.
func deriveDefault(args []string) error {
	fs := flag.NewFlagSet("derive-default", flag.ContinueOnError)
	shared := fs.String("shared", "../shared/data", "shared data directory")
	out := fs.String("out", "model/default/data", "output directory")
	perLocale := fs.Int("oos-per-locale", 300, "MASSIVE utterances per locale used as out-of-scope examples")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var bitext []row
	for _, split := range []string{"train", "dev"} {
		rows, err := readRows(filepath.Join(*shared, "bitext_customer_support", split+".jsonl"))
		if err != nil {
			return err
		}
		for _, r := range rows {
			if to, ok := bitextMap[r.Intent]; ok {
				bitext = append(bitext, row{ID: r.ID, Text: r.Text, Intent: to, Lang: "en"})
			}
		}
	}
	if err := writeSet(filepath.Join(*out, "bitext"), "ecommerce_en.jsonl", bitext,
		filepath.Join(*shared, "bitext_customer_support", "LICENSE")); err != nil {
		return err
	}
	var oos []row
	for _, loc := range []string{"en-US", "zh-CN"} {
		rows, err := readRows(filepath.Join(*shared, "massive", loc, "train.jsonl"))
		if err != nil {
			return err
		}
		var keep []row
		for _, r := range rows {
			if !massiveExcluded[r.Scenario] {
				keep = append(keep, r)
			}
		}
		// Deterministic sample: the perLocale rows with the smallest
		// FNV-1a hash of their id.
		sort.Slice(keep, func(i, j int) bool { return hashID(keep[i].ID) < hashID(keep[j].ID) })
		for _, r := range keep[:min(*perLocale, len(keep))] {
			oos = append(oos, row{ID: "massive-" + loc + "-" + r.ID, Text: r.Text, Intent: "oos", Lang: model.BaseLanguage(loc)})
		}
	}
	return writeSet(filepath.Join(*out, "massive"), "oos.jsonl", oos, filepath.Join(*shared, "massive", "LICENSE"))
}

func hashID(s string) uint64 {
	h := fnv.New64a()
	io.WriteString(h, s)
	return h.Sum64()
}

func readRows(path string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []row
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var r row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

func writeSet(dir, name string, rows []row, license string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	lic, err := os.ReadFile(license)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "LICENSE"), lic, 0o644)
}
