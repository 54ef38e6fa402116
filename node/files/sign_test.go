package files

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSigner(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"), func() time.Time { return now })
	other := NewSigner([]byte("another key, another node, 32 b!"), func() time.Time { return now })

	tok := s.UploadToken("s_abc", time.Hour)
	if sid, err := s.CheckUpload(tok); err != nil || sid != "s_abc" {
		t.Fatalf("CheckUpload = %q, %v", sid, err)
	}
	for _, bad := range []string{"", "u1.s_abc", strings.Replace(tok, "s_abc", "s_abd", 1), tok + "x", strings.TrimPrefix(tok, "u1.")} {
		if _, err := s.CheckUpload(bad); !errors.Is(err, ErrDenied) {
			t.Errorf("CheckUpload(%q) = %v, want ErrDenied", bad, err)
		}
	}
	if _, err := other.CheckUpload(tok); !errors.Is(err, ErrDenied) {
		t.Error("another key accepted the token")
	}

	link := s.Link("s_abc/f1", 15*time.Minute)
	u, _ := url.Parse(link)
	id := strings.TrimPrefix(u.Path, PathPrefix)
	q := u.Query()
	if err := s.CheckLink(id, q.Get("exp"), q.Get("sig")); err != nil || id != "s_abc/f1" {
		t.Fatalf("CheckLink(%q) = %v", link, err)
	}
	if err := s.CheckLink("s_abc/f2", q.Get("exp"), q.Get("sig")); !errors.Is(err, ErrDenied) {
		t.Error("a link opened another file")
	}
	if err := s.CheckLink(id, q.Get("exp")+"0", q.Get("sig")); !errors.Is(err, ErrDenied) {
		t.Error("a link's expiry was extended")
	}
	now = now.Add(16 * time.Minute)
	if err := s.CheckLink(id, q.Get("exp"), q.Get("sig")); !errors.Is(err, ErrDenied) {
		t.Error("an expired link worked")
	}
	if _, err := s.CheckUpload(tok); err != nil {
		t.Errorf("upload token expired early: %v", err)
	}
	now = now.Add(time.Hour)
	if _, err := s.CheckUpload(tok); !errors.Is(err, ErrDenied) {
		t.Error("an expired upload token worked")
	}
}
