package main

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/edgedesk/edgedesk/node/audit"
)

// TestGlossaryCommand: a bad file is refused naming each line and field
// and changes nothing; a good one is imported, exported the same in both
// formats, and the import is in the audit log.
func TestGlossaryCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("EDGEDESK_CONFIG", "")
	t.Setenv("EDGEDESK_DATA_DIR", dir)
	ctx := context.Background()
	var ue usageError
	bad := dir + "/bad.csv"
	os.WriteFile(bad, []byte("term,from,to,translation\nEdgeflux,,,\nreturn label,en,,etiqueta de devolución\n,en,es,x\n"), 0o600)
	err := run(ctx, []string{"glossary", "import", bad}, io.Discard, io.Discard)
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "line 3: to") || !strings.Contains(err.Error(), "line 4: term") {
		t.Fatalf("bad import: %v", err)
	}
	good := dir + "/g.jsonl"
	os.WriteFile(good, []byte(`{"term":"Edgeflux"}`+"\n"+`{"term":"return label","from":"en","to":"es","translation":"etiqueta de devolución"}`+"\n"), 0o600)
	var out strings.Builder
	if err := run(ctx, []string{"glossary", "import", good}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "imported 2 terms") {
		t.Fatalf("import: %q %v", out.String(), err)
	}
	out.Reset()
	if err := run(ctx, []string{"glossary", "export", "-format", "csv"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if out.String() != "term,from,to,translation\nEdgeflux,,,\nreturn label,en,es,etiqueta de devolución\n" {
		t.Fatalf("csv export %q", out.String())
	}
	csv := dir + "/g.csv"
	os.WriteFile(csv, []byte(out.String()), 0o600)
	if err := run(ctx, []string{"glossary", "import", csv}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"glossary", "export"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(good)
	if out.String() != string(first) {
		t.Fatalf("export → import → export changed the glossary:\n%s\nvs\n%s", out.String(), first)
	}
	p, err := auditRun(t, "-action", "glossary.")
	if err != nil || len(p.Entries) != 2 || p.Entries[0].Action != audit.ActionGlossaryImport || p.Entries[0].Details["terms"] != "2" {
		t.Fatalf("audit: %+v %v", p.Entries, err)
	}
	if err := run(ctx, []string{"glossary", "frob"}, io.Discard, io.Discard); !errors.As(err, &ue) {
		t.Fatalf("glossary frob: %v", err)
	}
}

// TestStaffLanguages: languages set at add and changed later; a bad one
// is refused naming the field.
func TestStaffLanguages(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("EDGEDESK_CONFIG", "")
	t.Setenv("EDGEDESK_DATA_DIR", dir)
	if _, _, err := staffRun(t, "cy's long passphrase\n", "add", "--email", "cy@shop.example", "--name", "Cy", "--role", "agent", "--groups", "uk-en", "--languages", "en"); err != nil {
		t.Fatal(err)
	}
	out, _, err := staffRun(t, "", "languages", "--email", "cy@shop.example", "--set", "en, fr")
	if err != nil || !strings.Contains(out, "en, fr") {
		t.Fatalf("languages: %q %v", out, err)
	}
	out, _, err = staffRun(t, "", "list", "-json")
	if err != nil || !strings.Contains(out, `"languages": [`) || !strings.Contains(out, `"fr"`) {
		t.Fatalf("list: %s %v", out, err)
	}
	var ue usageError
	if _, _, err := staffRun(t, "", "languages", "--email", "cy@shop.example", "--set", "english!"); !errors.As(err, &ue) || !strings.Contains(err.Error(), "languages") {
		t.Fatalf("bad language: %v", err)
	}
}
