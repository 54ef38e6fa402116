package faq

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"jsonl": JSONL, "JSON": JSONL, "ndjson": JSONL, ".jsonl": JSONL, "csv": CSV, "CSV": CSV} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("xlsx"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseFormat(xlsx): %v", err)
	}
	for in, want := range map[string]Format{"faq.jsonl": JSONL, "/a/b.JSON": JSONL, "x.ndjson": JSONL, "FAQ.csv": CSV} {
		if got, err := FormatFromPath(in); err != nil || got != want {
			t.Errorf("FormatFromPath(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"faq", "faq.txt", "dir.csv/faq"} {
		if _, err := FormatFromPath(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("FormatFromPath(%q): %v", in, err)
		}
	}
	if JSONL.String() != "jsonl" || CSV.String() != "csv" || Format(9).String() != "Format(9)" {
		t.Error("Format.String")
	}
}

// parse runs the import pipeline without a store.
func parse(t testing.TB, in string, f Format) ([]*Answer, error) {
	t.Helper()
	return parseAll(strings.NewReader(in), f)
}

// wantErrs checks err is an *ImportError holding exactly the expected
// problems, each given as "LINE FIELD substring".
func wantErrs(t *testing.T, err error, want ...string) {
	t.Helper()
	var ie *ImportError
	if !errors.As(err, &ie) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want an *ImportError", err)
	}
	if len(ie.Errs) != len(want) {
		t.Errorf("%d errors, want %d:\n%v", len(ie.Errs), len(want), err)
	}
	for i, w := range want {
		var line int
		var field, msg string
		fmt.Sscanf(w, "%d %s", &line, &field)
		_, msg, _ = strings.Cut(w[strings.Index(w, " ")+1:], " ")
		if field == "-" {
			field = ""
		}
		if i >= len(ie.Errs) {
			t.Errorf("missing %q", w)
			continue
		}
		got := ie.Errs[i]
		if got.Line != line || got.Field != field || !strings.Contains(got.Msg, msg) {
			t.Errorf("error %d = %q (line %d, field %q), want %q", i, got.Error(), got.Line, got.Field, w)
		}
	}
}

func TestImportJSONLErrors(t *testing.T) {
	in := `# a comment
{"intent":"track_order","lang":"en","answer":"Order {{ordr}}"}

{"intent":"greeting","lang":"en","answer":"Hi","colour":"red"}
{"intent":"greeting","lang":"EN","answer":"Hello"}
{"intent":"x","lang":"en","answer":"a"} {"intent":"y"}
not json
{"intent":"x","lang":"en","answer":1}
{"intent":"x","lang":"en",
   # indented comment
{"intent":"track_order","lang":"es","answer":"Pedido {{order_number}}","quick_replies":["", "ok"],"links":[{"title":"T","url":"/x"}]}
{"intent":"y","lang":"en","answer":"y","version":99}
{"intent":"greeting","lang":"en","answer":"dup"}
`
	_, err := parse(t, in, JSONL)
	wantErrs(t, err,
		`2 answer unknown variable {{ordr}} at byte 6`,
		`4 colour unknown field`,
		`6 - more after the JSON object`,
		`7 - not a JSON object`,
		`8 answer wrong type: want a string`,
		`9 - invalid JSON`,
		`11 ask required: "answer" uses {{order_number}}`,
		`11 quick_replies[0] empty`,
		`11 links[0].url absolute http(s)`,
		`13 lang duplicate of line 5: intent "greeting", lang "en"`,
	)
	if got := err.Error(); !strings.HasPrefix(got, "faq: invalid input: 10 errors:\n\tline 2: field \"answer\": unknown variable {{ordr}} at byte 6") {
		t.Errorf("Error() = %q", got)
	}
}

func TestImportJSONLAccepts(t *testing.T) {
	in := "\uFEFF# exported\r\n{\"intent\":\"b\",\"lang\":\"es-mx\",\"answer\":\"x\",\"version\":42}\r\n\n  {\"intent\":\"a\",\"lang\":\"en\",\"answer\":\"<b> & </b>\"}  " // no final newline
	got, err := parse(t, in, JSONL)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Intent != "a" || got[1].Lang != "es-MX" || got[1].Version != 0 || got[0].Answer != "<b> & </b>" {
		t.Errorf("got %+v, %+v", got[0].Entry, got[1].Entry)
	}
}

func TestImportEmpty(t *testing.T) {
	for _, tt := range []struct {
		in string
		f  Format
	}{{"", JSONL}, {"# nothing\n\n", JSONL}, {"intent,lang,answer\n", CSV}} {
		_, err := parse(t, tt.in, tt.f)
		wantErrs(t, err, "0 - no entries")
	}
	_, err := parse(t, "", CSV)
	wantErrs(t, err, "1 - missing header row")
}

func TestImportLongLine(t *testing.T) {
	in := `{"intent":"a","lang":"en","answer":"` + strings.Repeat("x", MaxLineLen) + "\"}\n" +
		`{"intent":"b","lang":"en","answer":"` + strings.Repeat("x", 5000) + "\"}\n"
	_, err := parse(t, in, JSONL)
	wantErrs(t, err, "1 - line longer than 64 KiB", "2 answer 5000 bytes, at most 4096")
}

func TestImportTooManyEntries(t *testing.T) {
	var b strings.Builder
	for i := range MaxEntries + 1 {
		fmt.Fprintf(&b, "{\"intent\":\"i%d\",\"lang\":\"en\",\"answer\":\"x\"}\n", i)
	}
	var errs errList
	in, err := readEntries(strings.NewReader(b.String()), JSONL, &errs)
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != MaxEntries || len(errs.errs) != 1 || !strings.Contains(errs.errs[0].Msg, "more than 100000 entries") || errs.errs[0].Line != MaxEntries+1 {
		t.Errorf("%d entries, errors %v", len(in), errs.errs)
	}
}

func TestImportErrorCap(t *testing.T) {
	in := strings.Repeat("nope\n", 3*maxErrors)
	_, err := parse(t, in, JSONL)
	var ie *ImportError
	if !errors.As(err, &ie) || len(ie.Errs) != maxErrors || !ie.Truncated {
		t.Fatalf("err = %T, %d errors", err, len(ie.Errs))
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "faq: invalid input: more than 1000 errors (stopped reading):") ||
		!strings.HasSuffix(msg, "… and 980 more") || strings.Count(msg, "\n") != 21 {
		t.Errorf("Error() = %q", msg)
	}
	one := &ImportError{Errs: []LineError{{Line: 3, Field: "lang", Msg: "required"}}}
	if got := one.Error(); got != `faq: invalid input: line 3: field "lang": required` {
		t.Errorf("one error: %q", got)
	}
	if got := (LineError{Msg: "no entries"}).Error(); got != "no entries" {
		t.Errorf("LineError without line: %q", got)
	}
}

func TestImportCSV(t *testing.T) {
	in := "\uFEFFLang, Intent ,answer,links,quick_replies,ask,version\r\n" +
		"es-mx,track_order,\"Pedido {{order_number}}, \"\"ya\"\"\",\"Mis pedidos <https://shop.example.com/orders>\r\nAyuda<https://x.y/h?a=1&b=2>\",\"Sí\r\n\r\nNo\",¿Número?,17\r\n" +
		"en,greeting,Hi,,,,\r\n"
	got, err := parse(t, in, CSV)
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Intent: "greeting", Lang: "en", Answer: "Hi"},
		{Intent: "track_order", Lang: "es-MX", Answer: `Pedido {{order_number}}, "ya"`, Ask: "¿Número?",
			QuickReplies: []string{"Sí", "No"},
			Links:        []Link{{"Mis pedidos", "https://shop.example.com/orders"}, {"Ayuda", "https://x.y/h?a=1&b=2"}}},
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries", len(got))
	}
	for i := range want {
		if !sameContent(&got[i].Entry, &want[i]) {
			t.Errorf("entry %d = %+v, want %+v", i, got[i].Entry, want[i])
		}
	}
}

func TestImportCSVErrors(t *testing.T) {
	_, err := parse(t, "intent,lang,answr,colour,,lang\n", CSV)
	wantErrs(t, err,
		"1 answr unknown column",
		"1 colour unknown column",
		"1 - column 5 has no name",
		"1 lang column appears twice",
		"1 answer required column missing",
	)
	in := "intent,lang,answer,links\n" +
		"a,en,x\n" +
		"b,en,x,Title https://x.y\n" +
		"c,en,\"multi\nline {{bad\",\n" +
		"d,en,\xff,\n" +
		"b,en,y,\n" +
		"e,en,\"x\"y,\n"
	_, err = parse(t, in, CSV)
	wantErrs(t, err,
		"2 - 3 cells, the header has 4",
		`3 links[0] want "Title <https://url>"`,
		"4 answer without a closing",
		"6 answer invalid UTF-8",
		"8 - CSV: extraneous or missing \" in quoted-field",
	)
}

// tricky is a set exercising quoting in both formats.
func tricky() []Entry {
	return []Entry{
		{Intent: "a", Lang: "en", Answer: " leading space, \"quotes\", commas\nand lines\tand tabs ", Ask: "#{{name|x}}"},
		{Intent: "a", Lang: "zh-Hant", Answer: "你好 <b>&amp;</b> \\ \u2028 \U0001F600", QuickReplies: []string{"是", "a, \"b\"", "#c"},
			Links: []Link{{"Title <with> brackets", "https://x.y/p?q=1&r=%20"}, {"=SUM(A1)", "http://x.y"}}},
		{Intent: "_fallback", Lang: "es-419", Answer: "=1+1", QuickReplies: []string{"-x"}},
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	sets := map[string]func(*Store){
		"demo":   func(s *Store) { s.SeedIfEmpty(Demo) },
		"tricky": func(s *Store) { mustReplace(t, s, tricky()...) },
	}
	for name, fill := range sets {
		for _, f := range []Format{JSONL, CSV} {
			t.Run(name+"/"+f.String(), func(t *testing.T) {
				a, _ := openStore(t)
				fill(a)
				first := export(t, a, f)
				b, _ := openStore(t)
				if _, err := b.Import(bytes.NewReader(first), f); err != nil {
					t.Fatalf("%v\n%s", err, first)
				}
				if second := export(t, b, f); !bytes.Equal(first, second) {
					t.Errorf("exports differ:\n%s\n---\n%s", first, second)
				}
				if !slices.EqualFunc(a.Entries(), b.Entries(), func(x, y Entry) bool { return sameContent(&x, &y) && x.Version == y.Version }) {
					t.Error("entries differ")
				}
				// The other format carries the same entries.
				other := CSV
				if f == CSV {
					other = JSONL
				}
				c, _ := openStore(t)
				if _, err := c.Import(bytes.NewReader(export(t, b, other)), other); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(export(t, c, f), first) {
					t.Errorf("%s → %s → %s changed the export", f, other, f)
				}
			})
		}
	}
}

func TestExportFormat(t *testing.T) {
	s, _ := openStore(t)
	mustReplace(t, s,
		Entry{Intent: "b", Lang: "en", Answer: "B & <c>"},
		Entry{Intent: "a", Lang: "es", Answer: "A", QuickReplies: []string{"x", "y"}, Links: []Link{{"T", "https://x.y"}}},
	)
	wantJSONL := `{"intent":"a","lang":"es","answer":"A","quick_replies":["x","y"],"links":[{"title":"T","url":"https://x.y"}],"version":1}
{"intent":"b","lang":"en","answer":"B & <c>","version":1}
`
	if got := string(export(t, s, JSONL)); got != wantJSONL {
		t.Errorf("JSONL:\n%s\nwant\n%s", got, wantJSONL)
	}
	wantCSV := "intent,lang,answer,ask,quick_replies,links,version\n" +
		"a,es,A,,\"x\ny\",T <https://x.y>,1\n" +
		"b,en,B & <c>,,,,1\n"
	if got := string(export(t, s, CSV)); got != wantCSV {
		t.Errorf("CSV:\n%s\nwant\n%s", got, wantCSV)
	}
	if err := s.Export(&bytes.Buffer{}, Format(7)); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown format: %v", err)
	}
}

// roundTrip checks that accepted input exports and re-imports (in both
// formats) to the same entries, with a stable export.
func roundTrip(t *testing.T, answers []*Answer) {
	for _, f := range []Format{JSONL, CSV} {
		var b bytes.Buffer
		if err := writeEntries(&b, f, answers); err != nil {
			t.Fatal(err)
		}
		again, err := parseAll(bytes.NewReader(b.Bytes()), f)
		if err != nil {
			t.Fatalf("re-import (%s) failed: %v\n%q", f, err, b.Bytes())
		}
		if !slices.EqualFunc(answers, again, func(x, y *Answer) bool { return sameContent(&x.Entry, &y.Entry) }) {
			t.Fatalf("re-import (%s) changed the entries:\n%q", f, b.Bytes())
		}
		var b2 bytes.Buffer
		writeEntries(&b2, f, again)
		if !bytes.Equal(b.Bytes(), b2.Bytes()) {
			t.Fatalf("second export (%s) differs:\n%q\n%q", f, b.Bytes(), b2.Bytes())
		}
	}
}

func fuzzSeeds(f *testing.F, format Format) {
	for _, e := range [][]Entry{tricky(), {validEntry()}} {
		answers, err := compileAllEntries(e)
		if err != nil {
			f.Fatal(err)
		}
		var b bytes.Buffer
		writeEntries(&b, format, answers)
		f.Add(b.Bytes())
	}
}

func compileAllEntries(entries []Entry) ([]*Answer, error) {
	in := make([]lineEntry, len(entries))
	for i, e := range entries {
		in[i] = lineEntry{i + 1, e}
	}
	var errs errList
	out := compileAll(in, &errs)
	return out, errs.err()
}

func FuzzParseJSONL(f *testing.F) {
	f.Add(Demo)
	fuzzSeeds(f, JSONL)
	f.Add([]byte(`{"intent":"a","lang":"zh-hant","answer":"{{name|}}x","links":null}`))
	f.Add([]byte("{\"intent\":\"a\",\"lang\":\"en\",\"answer\":\"a\\r\\nb\"}\n{]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		answers, err := parseAll(bytes.NewReader(data), JSONL)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("not ErrInvalid: %v", err)
			}
			_ = err.Error()
			return
		}
		roundTrip(t, answers)
	})
}

func FuzzParseCSV(f *testing.F) {
	fuzzSeeds(f, CSV)
	f.Add([]byte("intent,lang,answer,quick_replies,links\na,en,x,\"a\nb\",T <https://x.y>\n"))
	f.Add([]byte("lang,answer,intent\r\nEN,\"a\r\nb\",x\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		answers, err := parseAll(bytes.NewReader(data), CSV)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("not ErrInvalid: %v", err)
			}
			_ = err.Error()
			return
		}
		roundTrip(t, answers)
	})
}
