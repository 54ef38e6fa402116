package model

import (
	"strings"
	"testing"
)

func TestReadJSONL(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		opts     ReadOptions
		wantN    int
		wantLine string // substring of the error; "" = no error
	}{
		{"ok", "{\"text\":\"hi\",\"intent\":\"greet\"}\n{\"text\":\"bye\",\"intent\":\"bye\",\"lang\":\"en-US\"}\n", ReadOptions{RequireIntent: true}, 2, ""},
		{"blank lines and no final newline", "\n{\"text\":\"hi\",\"intent\":\"a\"}\n\n{\"text\":\"x\",\"intent\":\"b\"}", ReadOptions{RequireIntent: true}, 2, ""},
		{"crlf", "{\"text\":\"hi\",\"intent\":\"a\"}\r\n", ReadOptions{RequireIntent: true}, 1, ""},
		{"not json", "{\"text\":\"hi\",\"intent\":\"a\"}\nnot json\n", ReadOptions{RequireIntent: true}, 0, "data.jsonl:2: not a JSON object"},
		{"missing text", "{\"intent\":\"a\"}\n", ReadOptions{RequireIntent: true}, 0, "data.jsonl:1: missing field \"text\""},
		{"empty text", "{\"text\":\"  \",\"intent\":\"a\"}\n", ReadOptions{RequireIntent: true}, 0, "data.jsonl:1: empty \"text\""},
		{"missing intent", "{\"text\":\"a\",\"intent\":\"x\"}\n{\"text\":\"b\"}\n", ReadOptions{RequireIntent: true}, 0, "data.jsonl:2: missing field \"intent\""},
		{"intent optional", "{\"text\":\"b\",\"lang\":\"de\"}\n", ReadOptions{RequireLang: true}, 1, ""},
		{"missing lang", "{\"text\":\"b\"}\n", ReadOptions{RequireLang: true}, 0, "data.jsonl:1: missing field \"lang\""},
		{"array", "[1,2]\n", ReadOptions{}, 0, "data.jsonl:1: not a JSON object"},
		{"wrong type", "{\"text\":5,\"intent\":\"a\"}\n", ReadOptions{}, 0, "data.jsonl:1: not a JSON object"},
		{"line too long", "{\"text\":\"" + strings.Repeat("a", MaxLineBytes) + "\",\"intent\":\"a\"}\n", ReadOptions{}, 0, "data.jsonl:1: line longer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadJSONL(strings.NewReader(tt.in), "data.jsonl", tt.opts)
			if tt.wantLine == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if len(got) != tt.wantN {
					t.Fatalf("got %d examples, want %d", len(got), tt.wantN)
				}
				return
			}
			if !isErr(err, ErrBadData) || !strings.Contains(err.Error(), tt.wantLine) {
				t.Fatalf("got error %v, want ErrBadData containing %q", err, tt.wantLine)
			}
		})
	}
}

func TestBaseLanguage(t *testing.T) {
	for in, want := range map[string]string{
		"en-US": "en", "zh_CN": "zh", "ZH-Hant-TW": "zh-Hant", "zh-HK": "zh-Hant", "zh-Hans-HK": "zh", "zh-TW": "zh-Hant", "zh": "zh",
		"de-ba": "de", "nb": "no", "nn-NO": "no", "en_US.UTF-8": "en",
		"es": "es", "": "", " pt-BR ": "pt", "sr-Latn": "sr",
	} {
		if got := BaseLanguage(in); got != want {
			t.Errorf("BaseLanguage(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFingerprint(t *testing.T) {
	a := []Example{{Text: "hi", Intent: "g"}, {Text: "bye", Intent: "b"}}
	b := []Example{{Text: "bye", Intent: "b"}, {Text: "hi", Intent: "g"}}
	if Fingerprint(a) == Fingerprint(b) {
		t.Error("order does not change the fingerprint")
	}
	if Fingerprint(a) != Fingerprint(append([]Example(nil), a...)) {
		t.Error("fingerprint not stable")
	}
	if Fingerprint(a[:1], a[1:]) == Fingerprint(a) {
		t.Error("set boundaries do not change the fingerprint")
	}
}

func FuzzReadJSONL(f *testing.F) {
	f.Add([]byte("{\"text\":\"hi\",\"intent\":\"greet\",\"lang\":\"en\"}\n"))
	f.Add([]byte("{\"text\":\"\\u00e9\",\"intent\":\"x\"}\r\n\n{\"text\":\"b\"}"))
	f.Add([]byte("not json\n"))
	f.Add([]byte("{\"text\":null}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range []ReadOptions{{}, {RequireIntent: true}, {RequireLang: true}} {
			exs, err := ReadJSONL(strings.NewReader(string(data)), "fuzz", opts)
			if err != nil {
				if !isErr(err, ErrBadData) {
					t.Fatalf("error does not wrap ErrBadData: %v", err)
				}
				continue
			}
			for _, ex := range exs {
				if strings.TrimSpace(ex.Text) == "" || opts.RequireIntent && ex.Intent == "" {
					t.Fatalf("accepted invalid example %+v", ex)
				}
			}
		}
	})
}
