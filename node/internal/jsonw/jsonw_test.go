package jsonw

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// valid replaces each byte of invalid UTF-8 with U+FFFD, as String does.
func valid(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteString("\ufffd")
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func TestString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "tab\tnl\ncr\r", "\x00\x01\x1f", "中文 عربى ñ 😀", "\u2028\u2029", "bad \xff utf8", "</script>"} {
		var got string
		if err := json.Unmarshal(String(nil, s), &got); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if want := valid(s); got != want {
			t.Errorf("%q round-tripped to %q", s, got)
		}
	}
}

func TestTimeMatchesEncodingJSON(t *testing.T) {
	ts := time.Date(2026, 11, 21, 12, 0, 0, 123456789, time.UTC)
	want, _ := json.Marshal(ts)
	if got := Time(nil, ts); string(got) != string(want) {
		t.Fatalf("%s != %s", got, want)
	}
}

func FuzzString(f *testing.F) {
	f.Add("hello")
	f.Add("\u2028\x00\"\\\xff")
	f.Fuzz(func(t *testing.T, s string) {
		var got string
		if err := json.Unmarshal(String(nil, s), &got); err != nil {
			t.Fatal(err)
		}
		if got != valid(s) {
			t.Fatalf("%q → %q", s, got)
		}
	})
}
