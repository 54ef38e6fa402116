package translate

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Format is a glossary file's format.
type Format string

// The glossary file formats, as for the FAQ: one term per line of JSON, or
// CSV with the header term,from,to,translation.
const (
	JSONL Format = "jsonl"
	CSV   Format = "csv"
)

// FormatFromPath picks the format from a file's extension.
func FormatFromPath(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson", ".json":
		return JSONL, nil
	case ".csv":
		return CSV, nil
	}
	return "", fmt.Errorf("%w: %s: want a .jsonl or .csv file", ErrGlossary, path)
}

// GlossaryError is one refused line of a glossary file.
type GlossaryError struct {
	Line   int    // 1-based; the CSV header is line 1
	Field  string // "term", "from", "to", "translation", or "" for the line
	Reason string
}

func (e *GlossaryError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Reason)
}

func (e *GlossaryError) Unwrap() error { return ErrGlossary }

// maxGlossaryErrors bounds the problems one import reports.
const maxGlossaryErrors = 50

// CheckTerm validates one term; the error names the field.
func CheckTerm(t Term) (field, reason string) {
	switch {
	case strings.TrimSpace(t.Term) == "":
		return "term", "must not be empty"
	case t.Term != strings.TrimSpace(t.Term):
		return "term", "must not start or end with spaces"
	case len(t.Term) > MaxTermBytes || !utf8.ValidString(t.Term):
		return "term", fmt.Sprintf("must be valid UTF-8 of at most %d bytes", MaxTermBytes)
	case len(t.Translation) > MaxTermBytes || !utf8.ValidString(t.Translation):
		return "translation", fmt.Sprintf("must be valid UTF-8 of at most %d bytes", MaxTermBytes)
	case t.Translation == "" && (t.From != "" || t.To != ""):
		return "translation", "a term with from/to needs a translation (leave from and to empty for a never-translated name)"
	case t.Translation != "" && !validLang(t.From):
		return "from", fmt.Sprintf("%q: want a language such as en or es-MX", t.From)
	case t.Translation != "" && !validLang(t.To):
		return "to", fmt.Sprintf("%q: want a language such as en or es-MX", t.To)
	case t.Translation != "" && base(t.From) == base(t.To):
		return "to", "must differ from from"
	}
	return "", ""
}

func validLang(s string) bool {
	if len(s) < 2 || len(s) > 35 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	b := base(s)
	return len(b) >= 2 && len(b) <= 3
}

// ParseGlossary reads a glossary file. Every line is checked; the error
// joins a *GlossaryError per refused line (at most 50) and nothing is
// returned unless every line is good. Duplicates (the same term for the
// same pair) are refused too: which one would win is not obvious.
func ParseGlossary(r io.Reader, f Format) ([]Term, error) {
	var (
		terms []Term
		lines []int
		errs  []error
	)
	add := func(line int, t Term) {
		if field, reason := CheckTerm(t); field != "" {
			errs = append(errs, &GlossaryError{Line: line, Field: field, Reason: reason})
			return
		}
		terms, lines = append(terms, t), append(lines, line)
	}
	switch f {
	case JSONL:
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 4096), 64<<10)
		for n := 1; sc.Scan() && len(errs) < maxGlossaryErrors; n++ {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 || line[0] == '#' {
				continue
			}
			var t Term
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&t); err != nil {
				errs = append(errs, &GlossaryError{Line: n, Reason: "not a JSON term object: " + err.Error()})
				continue
			}
			add(n, t)
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrGlossary, err)
		}
	case CSV:
		cr := csv.NewReader(r)
		cr.FieldsPerRecord = 4
		head, err := cr.Read()
		if err != nil {
			return nil, &GlossaryError{Line: 1, Reason: "want the header term,from,to,translation: " + err.Error()}
		}
		if strings.Join(head, ",") != "term,from,to,translation" {
			return nil, &GlossaryError{Line: 1, Reason: fmt.Sprintf("header %q: want term,from,to,translation", strings.Join(head, ","))}
		}
		for len(errs) < maxGlossaryErrors {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				var pe *csv.ParseError
				if !errors.As(err, &pe) {
					return nil, fmt.Errorf("%w: %w", ErrGlossary, err)
				}
				errs = append(errs, &GlossaryError{Line: pe.Line, Reason: pe.Err.Error()})
				if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
					break // the reader cannot find the next record after a broken quote
				}
				continue
			}
			line, _ := cr.FieldPos(0)
			add(line, Term{Term: rec[0], From: rec[1], To: rec[2], Translation: rec[3]})
		}
	default:
		return nil, fmt.Errorf("%w: format %q: want jsonl or csv", ErrGlossary, f)
	}
	type key struct{ term, from, to string }
	seen := map[key]int{}
	for i, t := range terms {
		k := key{strings.ToLower(t.Term), base(t.From), base(t.To)}
		if first, dup := seen[k]; dup {
			errs = append(errs, &GlossaryError{Line: lines[i], Field: "term", Reason: fmt.Sprintf("%q repeats line %d", t.Term, first)})
			continue
		}
		seen[k] = lines[i]
	}
	if len(terms) > MaxTerms {
		errs = append(errs, &GlossaryError{Line: lines[MaxTerms], Reason: fmt.Sprintf("more than %d terms", MaxTerms)})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return terms, nil
}

// WriteGlossary writes terms in format f; ParseGlossary reads it back.
func WriteGlossary(w io.Writer, terms []Term, f Format) error {
	switch f {
	case JSONL:
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, t := range terms {
			if err := enc.Encode(t); err != nil {
				return err
			}
		}
		return nil
	case CSV:
		cw := csv.NewWriter(w)
		if err := cw.Write([]string{"term", "from", "to", "translation"}); err != nil {
			return err
		}
		for _, t := range terms {
			if err := cw.Write([]string{t.Term, t.From, t.To, t.Translation}); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}
	return fmt.Errorf("%w: format %q: want jsonl or csv", ErrGlossary, f)
}
