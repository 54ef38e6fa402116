package session

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAnonymousHelloNeverChangesTheCustomer(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{})
	o := &Opener{Store: s}

	alice, _, err := o.Open(ctx, Hello{Customer: Customer{ID: "alice", Name: "Alice", Email: "alice@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	m, resumed, err := o.Open(ctx, Hello{Session: alice.ID, Customer: Customer{ID: "mallory", Name: "mallory", Email: "m@evil.example"}, Locale: "de"})
	if err != nil || !resumed {
		t.Fatalf("anonymous resume: %v, resumed %v", err, resumed)
	}
	want := Customer{ID: "alice", Name: "Alice", Email: "alice@example.com"}
	if m.Customer != want || m.Locale != "de" {
		t.Fatalf("answered %+v", m)
	}
	if got, _ := s.Get(alice.ID); got.Customer != want {
		t.Fatalf("stored customer %+v, want %+v", got.Customer, want)
	}
}

func TestVerifiedHelloDoesNotClaimAnAnonymousSession(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{})
	o := &Opener{Store: s}

	// Created before the node had a widget secret, with the id the
	// widget declared.
	anon, _, err := o.Open(ctx, Hello{Customer: Customer{ID: "bob"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Post(ctx, Message{Session: anon.ID, From: FromCustomer, CID: "c1", Text: "written by whoever held the id"}); err != nil {
		t.Fatal(err)
	}
	m, resumed, err := o.Open(ctx, Hello{Session: anon.ID, Customer: Customer{ID: "bob", Name: "Bob"}, Verified: true})
	if err != nil {
		t.Fatal(err)
	}
	if resumed || m.ID == anon.ID || !m.Verified || m.Customer.ID != "bob" {
		t.Fatalf("verified hello on an anonymous session: resumed %v, %+v", resumed, m)
	}
	if got, _ := s.Get(anon.ID); got.Customer.Name != "" || got.Verified {
		t.Fatalf("the anonymous session changed: %+v", got)
	}
	// The new session is the verified customer's own from now on.
	again, resumed, err := o.Open(ctx, Hello{Session: m.ID, Customer: Customer{ID: "bob", Name: "Bob"}, Verified: true})
	if err != nil || !resumed || again.ID != m.ID {
		t.Fatalf("resuming the verified session: %v, resumed %v, %s", err, resumed, again.ID)
	}
}

func TestSessionCaps(t *testing.T) {
	ctx := context.Background()
	t.Run("messages", func(t *testing.T) {
		s := openTest(t, Options{MaxSessionMessages: 3})
		sid := mustCreate(t, s).ID
		for i := range 3 {
			if _, err := s.Post(ctx, customerMsg(sid, "c"+string(rune('a'+i)), "hi")); err != nil {
				t.Fatalf("message %d: %v", i+1, err)
			}
		}
		_, err := s.Post(ctx, customerMsg(sid, "cz", "one too many"))
		if !errors.Is(err, ErrSessionFull) {
			t.Fatalf("4th message: %v, want ErrSessionFull", err)
		}
		// A resend of an accepted message is still its receipt.
		if m, err := s.Post(ctx, customerMsg(sid, "ca", "hi")); err != nil || m.Seq != 1 {
			t.Fatalf("duplicate at the cap: %+v, %v", m, err)
		}
		// Other sessions are not affected.
		if _, err := s.Post(ctx, customerMsg(mustCreate(t, s).ID, "c1", "hi")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("bytes, across a restart", func(t *testing.T) {
		opts := Options{Path: t.TempDir() + "/s.db", MaxSessionBytes: 200 << 10}
		s, err := Open(opts)
		if err != nil {
			t.Fatal(err)
		}
		sid := mustCreate(t, s).ID
		text := strings.Repeat("x", 8<<10)
		n := 0
		for ; ; n++ {
			_, err := s.Post(ctx, customerMsg(sid, "c"+itoa(n), text))
			if errors.Is(err, ErrSessionFull) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if n > 100 {
				t.Fatal("no cap after 100 messages of 8 KiB")
			}
		}
		if n < 20 || n > 25 {
			t.Fatalf("%d messages of 8 KiB fit in 200 KiB", n)
		}
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
		s, err = Open(opts)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close(ctx)
		// After a restart the count lags by less than bytesCheckpoint.
		extra := 0
		for ; extra <= bytesCheckpoint/(8<<10)+1; extra++ {
			if _, err := s.Post(ctx, customerMsg(sid, "r"+itoa(extra), text)); errors.Is(err, ErrSessionFull) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if extra > bytesCheckpoint/(8<<10) {
			t.Fatalf("%d more messages after a restart", extra)
		}
		m, _ := s.Get(sid)
		if m.Bytes < 190<<10 {
			t.Fatalf("Bytes = %d after a restart", m.Bytes)
		}
	})
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}

func TestMessagesLimitStopsEarly(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{})
	sid := mustCreate(t, s).ID
	for i := range 50 {
		if _, err := s.Post(ctx, customerMsg(sid, "c"+itoa(i), "m"+itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	var got []uint64
	for after := uint64(0); ; {
		page, err := s.Messages(sid, after, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if len(page) > 7 {
			t.Fatalf("page of %d", len(page))
		}
		for _, m := range page {
			got = append(got, m.Seq)
		}
		after = page[len(page)-1].Seq
	}
	if len(got) != 50 || got[0] != 1 || got[49] != 50 {
		t.Fatalf("paged %v", got)
	}
}

func TestNeutralizeText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"hello", "hello"},
		{"line\nnext\ttab", "line\nnext\ttab"},
		{"order \u202e0987\u202c", "order 0987"},
		{"a\u2066b\u2067c\u2068d\u2069e\u202ab\u202bc\u202dd", "abcdebcd"},
		{"bell\a esc\x1b[31m del\x7f nul\x00 cr\r", "bell esc[31m del nul cr"},
		{"c1\u0085\u009b", "c1"},
		{"مرحبا \u200fok\u200e", "مرحبا \u200fok\u200e"},
		{"bad \xff utf8\x01", "bad \xff utf8\x01"},             // invalid: unchanged, for Check to refuse
		{"\xe2\x1b\x80\xae", "\xe2\x1b\x80\xae"},               // removing ESC would make U+202E
		{"\x1bok \xe2\x1b\x80\xae", "\x1bok \xe2\x1b\x80\xae"}, // the same, past a first control
	} {
		if got := NeutralizeText(tc.in); got != tc.want {
			t.Errorf("NeutralizeText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStoredTextIsNeutralized(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{})
	o := &Opener{Store: s}
	meta, _, err := o.Open(ctx, Hello{Customer: Customer{ID: "u", Name: "Ann\u202e nimda"}})
	if err != nil || meta.Customer.Name != "Ann nimda" {
		t.Fatalf("customer %+v, %v", meta.Customer, err)
	}
	atts := []Attachment{{URL: "https://x.example/a", Name: "invoice\u202efdp.exe"}}
	m := customerMsg(meta.ID, "c1", "refund \u2067#123\u2069\x1b]0;x\a")
	m.Attachments = atts
	tr := &Translation{Text: "reembolso \u202e321#", From: "en", To: "es", Status: TranslationDone}
	m.Translation = tr
	stored, err := s.Post(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Translation.Text != "reembolso 321#" || tr.Text != "reembolso \u202e321#" {
		t.Fatalf("translation stored %q (the caller's now %q): want it neutralized, the caller's untouched", stored.Translation.Text, tr.Text)
	}
	if stored.Text != "refund #123]0;x" || stored.Attachments[0].Name != "invoicefdp.exe" {
		t.Fatalf("stored %q, %q", stored.Text, stored.Attachments[0].Name)
	}
	if atts[0].Name != "invoice\u202efdp.exe" {
		t.Fatal("the caller's attachments were modified")
	}
	agent, err := s.Post(ctx, Message{Session: meta.ID, From: FromAgent, Text: "hi\u202e", Agent: &AgentRef{ID: "a"}})
	if err != nil || agent.Text != "hi" {
		t.Fatalf("agent text %q, %v", agent.Text, err)
	}
	if only := NeutralizeText("\u202e"); only != "" {
		t.Fatalf("%q", only)
	}
	// A message of nothing but controls is empty: refused as such.
	if _, err := s.Post(ctx, customerMsg(meta.ID, "c2", "\u202e\x00")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a message of controls only: %v", err)
	}
}

func FuzzNeutralizeText(f *testing.F) {
	for _, s := range []string{"", "hello", "a\u202eb", "\x00\x1b\u0085", "\xff\xfe", "مرحبا\u2066"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := NeutralizeText(s)
		if len(got) > len(s) {
			t.Fatalf("grew: %q → %q", s, got)
		}
		if NeutralizeText(got) != got {
			t.Fatalf("not idempotent: %q → %q", s, got)
		}
		if !utf8.ValidString(s) {
			if got != s {
				t.Fatalf("invalid UTF-8 changed: %q → %q", s, got)
			}
			return
		}
		for _, r := range got {
			if unsafeRune(r) {
				t.Fatalf("%q left %U", got, r)
			}
		}
		if !utf8.ValidString(got) {
			t.Fatalf("made invalid UTF-8: %q", got)
		}
	})
}
