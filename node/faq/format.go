package faq

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format is an import/export file format.
type Format int

const (
	// JSONL is one JSON Entry object per line.
	JSONL Format = iota
	// CSV is a header row and one entry per record.
	CSV
)

func (f Format) String() string {
	switch f {
	case JSONL:
		return "jsonl"
	case CSV:
		return "csv"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// ParseFormat parses a format name: "jsonl", "json" or "ndjson" (JSONL),
// "csv" (CSV); case-insensitive, a leading dot allowed.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimPrefix(s, ".")) {
	case "jsonl", "json", "ndjson":
		return JSONL, nil
	case "csv":
		return CSV, nil
	}
	return 0, fmt.Errorf("%w: unknown format %s (want jsonl or csv)", ErrInvalid, quoteTrunc(s))
}

// FormatFromPath picks the format from the file name's extension
// (".jsonl", ".json", ".ndjson", ".csv").
func FormatFromPath(path string) (Format, error) {
	ext := filepath.Ext(path)
	if ext == "" {
		return 0, fmt.Errorf("%w: cannot tell the format of %s: no extension (want .jsonl or .csv)", ErrInvalid, quoteTrunc(path))
	}
	return ParseFormat(ext)
}

// lineEntry is a parsed entry and the line it starts on.
type lineEntry struct {
	line int
	e    Entry
}

// readEntries parses r in format f into entries, collecting syntax
// problems in errs. Only I/O errors are returned.
func readEntries(r io.Reader, f Format, errs *errList) ([]lineEntry, error) {
	lr := &limitedReader{r: r, n: MaxImportSize}
	var (
		out []lineEntry
		err error
	)
	switch f {
	case JSONL:
		out, err = readJSONL(lr, errs)
	case CSV:
		out, err = readCSV(lr, errs)
	default:
		return nil, fmt.Errorf("%w: unknown format %d", ErrInvalid, int(f))
	}
	if lr.over {
		errs.add(0, "", fmt.Sprintf("input larger than %d MiB", MaxImportSize>>20))
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("faq: read %s: %w", f, err)
	}
	if len(out) == 0 && len(errs.errs) == 0 {
		errs.add(0, "", "no entries (importing nothing would delete the whole FAQ; use Replace for that)")
	}
	return out, nil
}

// limitedReader fails with errTooBig past n bytes and remembers it.
type limitedReader struct {
	r    io.Reader
	n    int64
	over bool
}

var errTooBig = errors.New("input too large")

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		l.over = true
		return 0, errTooBig
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

var bom = []byte("\xEF\xBB\xBF")

func readJSONL(r io.Reader, errs *errList) ([]lineEntry, error) {
	br := bufio.NewReaderSize(r, MaxLineLen)
	var out []lineEntry
	for lineNo := 1; !errs.full(); lineNo++ {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			errs.addf(lineNo, "", "line longer than %d KiB", MaxLineLen>>10)
			for err == bufio.ErrBufferFull {
				_, err = br.ReadSlice('\n')
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
			continue
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if lineNo == 1 {
			line = bytes.TrimPrefix(line, bom)
		}
		if e, ok := parseJSONLine(lineNo, line, errs); ok {
			if len(out) == MaxEntries {
				errs.addf(lineNo, "", "more than %d entries", MaxEntries)
				break
			}
			out = append(out, lineEntry{lineNo, e})
		}
		if err == io.EOF {
			break
		}
	}
	return out, nil
}

// parseJSONLine parses one JSONL line; ok is false for blank and comment
// lines and for lines with errors (recorded in errs).
func parseJSONLine(lineNo int, line []byte, errs *errList) (Entry, bool) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] == '#' {
		return Entry{}, false
	}
	if line[0] != '{' {
		errs.add(lineNo, "", "not a JSON object (entries are one JSON object a line; comments start with #)")
		return Entry{}, false
	}
	if !utf8.Valid(line) {
		errs.add(lineNo, "", "invalid UTF-8")
		return Entry{}, false
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var e Entry
	if err := dec.Decode(&e); err != nil {
		field, msg := describeJSONError(err)
		errs.add(lineNo, field, msg)
		return Entry{}, false
	}
	if _, err := dec.Token(); err != io.EOF {
		errs.add(lineNo, "", "more after the JSON object (one entry a line)")
		return Entry{}, false
	}
	return e, true
}

// describeJSONError turns a decoding error into a field and a message.
func describeJSONError(err error) (field, msg string) {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return te.Field, fmt.Sprintf("wrong type: want %s, got a JSON %s", jsonKind(te.Type.String()), te.Value)
	case errors.As(err, &se):
		return "", fmt.Sprintf("invalid JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "", "invalid JSON: unexpected end of line"
	}
	s := err.Error()
	if rest, ok := strings.CutPrefix(s, "json: unknown field "); ok {
		if name, err := strconv.Unquote(rest); err == nil {
			return name, "unknown field (known: intent, lang, answer, ask, quick_replies, links, version)"
		}
		return "", "unknown field " + rest
	}
	return "", "invalid JSON: " + strings.TrimPrefix(s, "json: ")
}

func jsonKind(goType string) string {
	switch goType {
	case "string":
		return "a string"
	case "[]string":
		return "an array of strings"
	case "[]faq.Link":
		return "an array of links"
	case "faq.Link":
		return `a link {"title": …, "url": …}`
	case "uint64":
		return "a non-negative integer"
	}
	return goType
}

// The CSV columns, in export order.
var csvColumns = []string{"intent", "lang", "answer", "ask", "quick_replies", "links", "version"}

const (
	colIntent = iota
	colLang
	colAnswer
	colAsk
	colQuickReplies
	colLinks
	colVersion
)

func readCSV(r io.Reader, errs *errList) ([]lineEntry, error) {
	br := bufio.NewReader(r)
	if b, _ := br.Peek(len(bom)); bytes.Equal(b, bom) {
		br.Discard(len(bom))
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	header, err := cr.Read()
	if err == io.EOF {
		errs.add(1, "", "missing header row (intent,lang,answer,ask,quick_replies,links)")
		return nil, nil
	}
	if err != nil {
		return nil, csvError(err, errs)
	}
	cols := make([]int, len(header)) // header position → colX
	seen := make(map[int]int)        // colX → header position
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
		c := -1
		for j, known := range csvColumns {
			if name == known {
				c = j
			}
		}
		switch {
		case name == "":
			errs.addf(1, "", "column %d has no name", i+1)
		case c < 0:
			errs.add(1, name, "unknown column (known: intent, lang, answer, ask, quick_replies, links, version)")
		default:
			if _, dup := seen[c]; dup {
				errs.add(1, name, "column appears twice")
			}
			seen[c] = i
		}
		cols[i] = c
	}
	for _, c := range []int{colIntent, colLang, colAnswer} {
		if _, ok := seen[c]; !ok {
			errs.add(1, csvColumns[c], "required column missing")
		}
	}
	if len(errs.errs) > 0 {
		return nil, nil
	}

	var out []lineEntry
	for !errs.full() {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, csvError(err, errs)
		}
		lineNo, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			errs.addf(lineNo, "", "%d cells, the header has %d", len(rec), len(header))
			continue
		}
		size := 0
		for _, cell := range rec {
			size += len(cell)
		}
		if size > maxCSVRecordLength {
			errs.addf(lineNo, "", "record longer than %d KiB", maxCSVRecordLength>>10)
			continue
		}
		var e Entry
		ok := true
		for i, cell := range rec {
			if !utf8.ValidString(cell) {
				errs.add(lineNo, csvColumns[cols[i]], "invalid UTF-8")
				ok = false
				continue
			}
			switch cols[i] {
			case colIntent:
				e.Intent = cell
			case colLang:
				e.Lang = cell
			case colAnswer:
				e.Answer = cell
			case colAsk:
				e.Ask = cell
			case colQuickReplies:
				e.QuickReplies = splitCell(cell)
			case colLinks:
				for j, s := range splitCell(cell) {
					l, msg := parseLinkCell(s)
					if msg != "" {
						errs.add(lineNo, "links["+strconv.Itoa(j)+"]", msg)
						ok = false
					}
					e.Links = append(e.Links, l)
				}
			case colVersion: // exported for information; ignored
			}
		}
		if !ok {
			continue
		}
		if len(out) == MaxEntries {
			errs.addf(lineNo, "", "more than %d entries", MaxEntries)
			break
		}
		out = append(out, lineEntry{lineNo, e})
	}
	return out, nil
}

// csvError records a CSV syntax error (after which the reader cannot be
// trusted to find the next record, so reading stops) or returns an I/O
// error.
func csvError(err error, errs *errList) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		errs.addf(pe.StartLine, "", "CSV: %v (line %d, column %d)", pe.Err, pe.Line, pe.Column)
		return nil
	}
	return err
}

// splitCell splits a multi-line cell into its non-empty lines.
func splitCell(cell string) []string {
	var out []string
	for line := range strings.SplitSeq(cell, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}

// parseLinkCell parses one line of a links cell: "Title <https://url>".
func parseLinkCell(s string) (Link, string) {
	i := strings.LastIndexByte(s, '<')
	if i < 0 || !strings.HasSuffix(s, ">") || i == len(s)-1 {
		return Link{}, fmt.Sprintf(`%s: want "Title <https://url>"`, quoteTrunc(s))
	}
	return Link{Title: strings.TrimSpace(s[:i]), URL: s[i+1 : len(s)-1]}, ""
}

// writeEntries writes entries in format f.
func writeEntries(w io.Writer, f Format, entries []*Answer) error {
	bw := bufio.NewWriter(w)
	var err error
	switch f {
	case JSONL:
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		for _, a := range entries {
			if err = enc.Encode(&a.Entry); err != nil {
				break
			}
		}
	case CSV:
		cw := csv.NewWriter(bw)
		if err = cw.Write(csvColumns); err != nil {
			break
		}
		rec := make([]string, len(csvColumns))
		var links strings.Builder
		for _, a := range entries {
			links.Reset()
			for i, l := range a.Links {
				if i > 0 {
					links.WriteByte('\n')
				}
				links.WriteString(l.Title)
				links.WriteString(" <")
				links.WriteString(l.URL)
				links.WriteByte('>')
			}
			rec[colIntent] = a.Intent
			rec[colLang] = a.Lang
			rec[colAnswer] = a.Answer
			rec[colAsk] = a.Ask
			rec[colQuickReplies] = strings.Join(a.QuickReplies, "\n")
			rec[colLinks] = links.String()
			rec[colVersion] = strconv.FormatUint(a.Version, 10)
			if err = cw.Write(rec); err != nil {
				break
			}
		}
		if err == nil {
			cw.Flush()
			err = cw.Error()
		}
	default:
		return fmt.Errorf("%w: unknown format %d", ErrInvalid, int(f))
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return fmt.Errorf("faq: export %s: %w", f, err)
	}
	return nil
}

// compileAll validates and compiles parsed entries, checks for duplicate
// (intent, lang) pairs, and returns the answers sorted by intent, then
// lang. Problems go to errs.
func compileAll(in []lineEntry, errs *errList) []*Answer {
	out := make([]*Answer, 0, len(in))
	type key struct{ intent, lang string }
	first := make(map[key]int, len(in))
	for _, le := range in {
		if errs.full() {
			break
		}
		a, ps := compile(le.e)
		for _, p := range ps {
			errs.add(le.line, p.field, p.msg)
		}
		if a == nil {
			continue
		}
		k := key{a.Intent, a.Lang}
		if prev, dup := first[k]; dup {
			errs.addf(le.line, "lang", "duplicate of line %d: intent %q, lang %q (languages compare canonicalised)", prev, a.Intent, a.Lang)
			continue
		}
		first[k] = le.line
		out = append(out, a)
	}
	sortAnswers(out)
	return out
}
