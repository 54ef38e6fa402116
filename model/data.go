package model

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Example is one labelled utterance.
type Example struct {
	Text   string `json:"text"`
	Intent string `json:"intent"`
	Lang   string `json:"lang,omitempty"`
}

// MaxLineBytes bounds one JSONL line.
const MaxLineBytes = 1 << 20

// ReadOptions says which fields are required.
type ReadOptions struct {
	// RequireIntent makes a missing or empty "intent" an error (training
	// and evaluation data). Language-only data sets it false and requires
	// "lang" instead.
	RequireIntent bool
	// RequireLang makes a missing "lang" an error.
	RequireLang bool
}

// ReadJSONL reads JSON Lines with "text", "intent" and optionally "lang".
// Blank lines are skipped. The first bad line fails the read with an error
// wrapping ErrBadData that names name and the 1-based line number.
func ReadJSONL(r io.Reader, name string, opts ReadOptions) ([]Example, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var out []Example
	for line := 1; ; line++ {
		raw, err := readLine(br)
		if errors.Is(err, io.EOF) && len(raw) == 0 {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %s:%d: %v", ErrBadData, name, line, err)
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			if errors.Is(err, io.EOF) {
				break
			}
			continue
		}
		var rec struct {
			Text   *string `json:"text"`
			Intent *string `json:"intent"`
			Lang   *string `json:"lang"`
		}
		if jerr := json.Unmarshal(raw, &rec); jerr != nil {
			return nil, fmt.Errorf("%w: %s:%d: not a JSON object: %v", ErrBadData, name, line, jerr)
		}
		switch {
		case rec.Text == nil:
			return nil, fmt.Errorf("%w: %s:%d: missing field \"text\"", ErrBadData, name, line)
		case strings.TrimSpace(*rec.Text) == "":
			return nil, fmt.Errorf("%w: %s:%d: empty \"text\"", ErrBadData, name, line)
		case opts.RequireIntent && (rec.Intent == nil || strings.TrimSpace(*rec.Intent) == ""):
			return nil, fmt.Errorf("%w: %s:%d: missing field \"intent\"", ErrBadData, name, line)
		case opts.RequireLang && (rec.Lang == nil || strings.TrimSpace(*rec.Lang) == ""):
			return nil, fmt.Errorf("%w: %s:%d: missing field \"lang\"", ErrBadData, name, line)
		}
		ex := Example{Text: *rec.Text}
		if rec.Intent != nil {
			ex.Intent = strings.TrimSpace(*rec.Intent)
		}
		if rec.Lang != nil {
			ex.Lang = BaseLanguage(*rec.Lang)
		}
		out = append(out, ex)
		if errors.Is(err, io.EOF) {
			break
		}
	}
	return out, nil
}

func readLine(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > MaxLineBytes {
			return nil, fmt.Errorf("line longer than %d bytes", MaxLineBytes)
		}
		buf = append(buf, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return buf, err
	}
}

// ReadJSONLFile opens path and calls ReadJSONL.
func ReadJSONLFile(path string, opts ReadOptions) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadData, err)
	}
	defer f.Close()
	return ReadJSONL(f, path, opts)
}

// BaseLanguage returns the language a model knows a BCP 47 tag or
// locale by: its lower-case primary subtag ("zh-CN" -> "zh", "pt_BR" ->
// "pt", "de-ba" -> "de"), except that Chinese in Traditional characters
// is "zh-Hant" ("zh-Hant", "zh-TW", "zh-HK", "zh-MO"; "zh-Hans-HK" is
// "zh"). Norwegian Bokmål and Nynorsk ("nb", "nn") map to "no".
func BaseLanguage(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, ".@"); i >= 0 {
		tag = tag[:i]
	}
	primary, rest := tag, ""
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		primary, rest = tag[:i], tag[i+1:]
	}
	primary = strings.ToLower(primary) // no copy when already lower case
	switch primary {
	case "nb", "nn":
		return "no"
	case "zh":
		for rest != "" {
			sub := rest
			if i := strings.IndexAny(rest, "-_"); i >= 0 {
				sub, rest = rest[:i], rest[i+1:]
			} else {
				rest = ""
			}
			switch {
			case strings.EqualFold(sub, "hans"):
				return "zh"
			case strings.EqualFold(sub, "hant"), strings.EqualFold(sub, "tw"), strings.EqualFold(sub, "hk"), strings.EqualFold(sub, "mo"):
				return "zh-Hant"
			}
		}
	}
	return primary
}

// Fingerprint returns a stable digest of a data set: sha256 over the
// examples in order.
func Fingerprint(sets ...[]Example) string {
	h := sha256.New()
	for _, set := range sets {
		for _, ex := range set {
			fmt.Fprintf(h, "%d:%s\x00%s\x00%s\n", len(ex.Text), ex.Text, ex.Intent, ex.Lang)
		}
		h.Write([]byte{0xff})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
