package faq

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseTemplate(t *testing.T) {
	tests := []struct {
		src      string
		vars     []string
		required []string
	}{
		{"", nil, nil},
		{"plain text", nil, nil},
		{"{{name}}", []string{"name"}, []string{"name"}},
		{"Hi {{name|there}}!", []string{"name"}, nil},
		{"Hi {{ name |there}}!", []string{"name"}, nil},
		{"{{name|}}您好", []string{"name"}, nil},
		{"#{{order_number}} {{order_number}} {{email|a|b}}", []string{"order_number", "email"}, []string{"order_number"}},
		{"{{a|x}} {{a}}", []string{"a"}, []string{"a"}},
		{"single { and } and }} are text", nil, nil},
		{"{{a}}}", []string{"a"}, []string{"a"}},
		{"{{a|multi\nline}}", []string{"a"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			tm, err := ParseTemplate(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if tm.String() != tt.src {
				t.Errorf("String() = %q", tm.String())
			}
			if got := tm.Vars(); !slices.Equal(got, tt.vars) {
				t.Errorf("Vars() = %q, want %q", got, tt.vars)
			}
			if got := tm.Required(); !slices.Equal(got, tt.required) {
				t.Errorf("Required() = %q, want %q", got, tt.required)
			}
		})
	}
}

func TestParseTemplateErrors(t *testing.T) {
	tests := []struct {
		src    string
		offset int
		msg    string
	}{
		{"abc {{name", 4, "without a closing"},
		{"{{}}", 0, "empty variable name"},
		{"xx{{ |d}}", 2, "empty variable name"},
		{"{{Name}}", 0, "invalid variable name"},
		{"{{na-me}}", 0, "invalid variable name"},
		{"{{{name}}}", 0, "invalid variable name"},
		{"{{" + strings.Repeat("a", 65) + "}}", 0, "invalid variable name"},
		{"ok {{a|x{{b}}", 8, `"{{" inside a default`},
		{"{{a}} {{", 6, "without a closing"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := ParseTemplate(tt.src)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			var te *TemplateError
			if !errors.As(err, &te) {
				t.Fatalf("err %T is not a *TemplateError", err)
			}
			if te.Offset != tt.offset || !strings.Contains(te.Msg, tt.msg) {
				t.Errorf("got offset %d %q, want %d %q", te.Offset, te.Msg, tt.offset, tt.msg)
			}
			if !strings.Contains(err.Error(), "at byte") {
				t.Errorf("Error() = %q, want the offset", err)
			}
		})
	}
}

func vals(m map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		src  string
		vals map[string]string
		want string
		ok   bool
	}{
		{"Hi {{name|there}}!", nil, "Hi there!", true},
		{"Hi {{name|there}}!", map[string]string{"name": "Ana"}, "Hi Ana!", true},
		{"Hi {{name|there}}!", map[string]string{"name": ""}, "Hi there!", true},
		{"{{name|}}您好", nil, "您好", true},
		{"Order #{{order_number}}", nil, "", false},
		{"Order #{{order_number}}", map[string]string{"order_number": "<b>12&3</b>"}, "Order #<b>12&3</b>", true},
		{"{{a}}/{{a}}", map[string]string{"a": "x"}, "x/x", true},
		{"{{a|d}} {{b}}", map[string]string{"a": "x"}, "", false},
		{"{{ a }}", map[string]string{"a": "x"}, "x", true},
		{"no vars", nil, "no vars", true},
	}
	for _, tt := range tests {
		tm := MustParseTemplate(tt.src)
		dst := []byte("prefix:")
		out, ok := tm.Render(dst, vals(tt.vals))
		if ok != tt.ok {
			t.Errorf("%q: ok = %v", tt.src, ok)
		}
		want := "prefix:" + tt.want
		if string(out) != want {
			t.Errorf("%q: got %q, want %q", tt.src, out, want)
		}
		if out, ok := tm.Render(nil, nil); ok != !slices.ContainsFunc(tm.parts, func(p part) bool { return p.name != "" && !p.hasDef }) {
			t.Errorf("%q: nil lookup: %q %v", tt.src, out, ok)
		}
	}
}

func TestRenderDoesNotAllocate(t *testing.T) {
	tm := MustParseTemplate(demoTrackOrderEN)
	lookup := func(name string) (string, bool) {
		if name == VarOrderNumber {
			return "10042", true
		}
		return "", false
	}
	buf := make([]byte, 0, 512)
	if n := testing.AllocsPerRun(100, func() { buf, _ = tm.Render(buf[:0], lookup) }); n != 0 {
		t.Errorf("Render: %v allocations, want 0", n)
	}
}

func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{"", "Hi {{name|there}}!", "{{order_number}}", "{{a|b|c}}", "{{", "}}{{x}}", "{{ a }}{{b|}}", "{{{a}}}", demoTrackOrderEN} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseTemplate(s)
		if err != nil {
			var te *TemplateError
			if !errors.As(err, &te) || !errors.Is(err, ErrInvalid) || te.Offset < 0 || te.Offset > len(s) {
				t.Fatalf("bad error %v", err)
			}
			return
		}
		if tm.String() != s {
			t.Fatalf("String() = %q, want %q", tm.String(), s)
		}
		// The parts cover the source, in order.
		pos := 0
		for _, p := range tm.parts {
			if p.off != pos {
				t.Fatalf("part at %d, want %d", p.off, pos)
			}
			if p.name == "" {
				if p.lit == "" || s[pos:pos+len(p.lit)] != p.lit || strings.Contains(p.lit, "{{") {
					t.Fatalf("bad literal %q at %d", p.lit, pos)
				}
				pos += len(p.lit)
				continue
			}
			end := strings.Index(s[pos+2:], "}}")
			if !strings.HasPrefix(s[pos:], "{{") || end < 0 {
				t.Fatalf("placeholder at %d is not {{…}}", pos)
			}
			pos += 2 + end + 2
		}
		if pos != len(s) {
			t.Fatalf("parts end at %d of %d", pos, len(s))
		}
		// With every variable set to its own name in brackets, Render
		// succeeds; with none, it succeeds exactly when no variable is
		// required.
		out, ok := tm.Render(nil, func(name string) (string, bool) { return "<" + name + ">", true })
		if !ok {
			t.Fatal("Render failed with every variable set")
		}
		if strings.Contains(string(out), "{{") && !strings.Contains(s, "{{") {
			t.Fatalf("Render produced {{ from %q", s)
		}
		_, ok = tm.Render([]byte("x"), nil)
		if ok != (len(tm.Required()) == 0) {
			t.Fatalf("Render with no values: ok = %v, required %q", ok, tm.Required())
		}
		if tm2, err := ParseTemplate(tm.String()); err != nil || !slices.Equal(tm2.Vars(), tm.Vars()) {
			t.Fatalf("reparse: %v", err)
		}
	})
}
