package staff

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

const pw = "correct horse battery"

func TestAddAndRead(t *testing.T) {
	ctx := context.Background()
	s := NewStore(t.TempDir())
	if all, err := s.List(); err != nil || len(all) != 0 {
		t.Fatalf("List of a new store = %v, %v", all, err)
	}
	if _, err := s.ByEmail("ana@shop.example"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ByEmail before any account: %v", err)
	}
	ana, err := s.Add(ctx, Account{Email: " Ana.Lopez+mx@Shop.example ", Name: "Ana López", Role: "agent", Groups: []string{"MX-ES", "en-support", "mx-es", ""}}, pw)
	if err != nil {
		t.Fatal(err)
	}
	if ana.ID != "ana.lopez-mx" || ana.Email != "ana.lopez+mx@shop.example" || !slices.Equal(ana.Groups, []string{"mx-es", "en-support"}) || ana.Created.IsZero() {
		t.Fatalf("added %+v", ana)
	}
	// Another Ana: the derived id gets a suffix; the same email in another
	// case is refused.
	ana2, err := s.Add(ctx, Account{Email: "ana.lopez-mx@other.example", Name: "Ana", Role: "supervisor"}, pw)
	if err != nil || ana2.ID != "ana.lopez-mx-2" {
		t.Fatalf("second Ana: %+v %v", ana2, err)
	}
	if _, err := s.Add(ctx, Account{Email: "ANA.LOPEZ+MX@shop.example", Name: "A", Role: "admin"}, pw); !errors.Is(err, ErrExists) {
		t.Fatalf("same email in capitals: %v", err)
	}
	if _, err := s.Add(ctx, Account{ID: "ana.lopez-mx", Email: "x@shop.example", Name: "X", Role: "admin"}, pw); !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "id") {
		t.Fatalf("chosen id taken: %v", err)
	}
	got, err := s.ByEmail("ANA.lopez+mx@shop.EXAMPLE")
	if err != nil || got.ID != ana.ID || got.Name != "Ana López" {
		t.Fatalf("ByEmail = %+v %v", got, err)
	}
	if got, err := s.ByID("ana.lopez-mx-2"); err != nil || got.Role != "supervisor" {
		t.Fatalf("ByID = %+v %v", got, err)
	}
	all, err := s.List()
	if err != nil || len(all) != 2 || all[0].ID != "ana.lopez-mx" || all[1].ID != "ana.lopez-mx-2" {
		t.Fatalf("List = %+v %v", all, err)
	}
	// The hash is stored, as an argon2id PHC string, and never in an Account.
	b, _ := json.Marshal(all)
	if strings.Contains(string(b), "argon2") || strings.Contains(string(b), pw) {
		t.Fatalf("an Account carries the hash: %s", b)
	}
	raw := rawRecord(t, s, ana.ID)
	if !strings.HasPrefix(raw.Hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("stored hash %q", raw.Hash)
	}
}

func TestValidation(t *testing.T) {
	ctx := context.Background()
	s := NewStore(t.TempDir())
	for _, tc := range []struct {
		a     Account
		pw    string
		field string
	}{
		{Account{Email: "not-an-email", Name: "A", Role: "admin"}, pw, "email"},
		{Account{Email: "Ana <ana@shop.example>", Name: "A", Role: "admin"}, pw, "email"},
		{Account{Email: "ana@shop", Name: "A", Role: "admin"}, pw, "email"},
		{Account{Email: "ana@shop.example", Name: "", Role: "admin"}, pw, "name"},
		{Account{Email: "ana@shop.example", Name: "A\nB", Role: "admin"}, pw, "name"},
		{Account{Email: "ana@shop.example", Name: "A", Role: "root"}, pw, "role"},
		{Account{Email: "ana@shop.example", Name: "A", Role: "agent"}, pw, "groups"},
		{Account{Email: "ana@shop.example", Name: "A", Role: "agent", Groups: []string{"es support"}}, pw, "groups"},
		{Account{ID: "Ana!", Email: "ana@shop.example", Name: "A", Role: "admin"}, pw, "id"},
		{Account{Email: "ana@shop.example", Name: "A", Role: "admin"}, "short", "password"},
		{Account{Email: "ana@shop.example", Name: "A", Role: "admin"}, "ñññññññññ", "password"}, // 9 characters, 18 bytes
		{Account{Email: "ana@shop.example", Name: "A", Role: "admin"}, strings.Repeat("x", MaxPasswordBytes+1), "password"},
	} {
		_, err := s.Add(ctx, tc.a, tc.pw)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("Add(%+v): %v, want ErrInvalid naming %s", tc.a, err, tc.field)
		}
	}
	if all, _ := s.List(); len(all) != 0 {
		t.Fatalf("invalid accounts stored: %+v", all)
	}
	if _, err := s.Add(ctx, Account{Email: "ops@localhost", Name: "Ops", Role: "admin"}, "ñññññññññññ"); err != nil {
		t.Fatalf("ten non-ASCII characters, localhost: %v", err)
	}
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	s := NewStore(t.TempDir())
	if _, err := s.Authenticate(ctx, "ana@shop.example", pw); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("no store yet: %v", err)
	}
	if _, err := s.Add(ctx, Account{Email: "ana@shop.example", Name: "Ana", Role: "agent", Groups: []string{"mx-es"}}, pw); err != nil {
		t.Fatal(err)
	}
	if a, err := s.Authenticate(ctx, "Ana@Shop.example", pw); err != nil || a.ID != "ana" {
		t.Fatalf("right password: %+v %v", a, err)
	}
	for _, tc := range [][2]string{{"ana@shop.example", pw + "!"}, {"bob@shop.example", pw}, {"ana@shop.example", ""}} {
		if _, err := s.Authenticate(ctx, tc[0], tc[1]); !errors.Is(err, ErrWrongPassword) {
			t.Errorf("Authenticate(%q, …): %v", tc[0], err)
		}
	}
	if a, err := s.SetDisabled("ana@shop.example", true); err != nil || !a.Disabled {
		t.Fatalf("disable: %+v %v", a, err)
	}
	if _, err := s.Authenticate(ctx, "ana@shop.example", pw); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("disabled account signed in: %v", err)
	}
	if _, err := s.SetDisabled("ana@shop.example", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetPassword(ctx, "ana@shop.example", "short"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("short new password: %v", err)
	}
	if _, err := s.SetPassword(ctx, "ana@shop.example", "a new passphrase"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "ana@shop.example", pw); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("old password after passwd: %v", err)
	}
	if _, err := s.Authenticate(ctx, "ana@shop.example", "a new passphrase"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	if _, err := s.SetDisabled("bob@shop.example", true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("disable unknown: %v", err)
	}
}

func TestCount(t *testing.T) {
	ctx := context.Background()
	s := NewStore(t.TempDir())
	for _, a := range []Account{
		{Email: "a@shop.example", Name: "A", Role: "agent", Groups: []string{"mx-es", "en"}},
		{Email: "b@shop.example", Name: "B", Role: "agent", Groups: []string{"mx-es"}},
		{Email: "c@shop.example", Name: "C", Role: "agent", Groups: []string{"en"}},
	} {
		if _, err := s.Add(ctx, a, pw); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.SetDisabled("b@shop.example", true); err != nil {
		t.Fatal(err)
	}
	for group, want := range map[string]int{"mx-es": 1, "en": 2, "zh": 0} {
		if n, err := s.Count(group); err != nil || n != want {
			t.Errorf("Count(%s) = %d %v, want %d", group, n, err, want)
		}
	}
}

// Another process holding staff.db (here: this one, through a second
// bbolt handle) makes an operation wait, not fail, while it is brief.
func TestWaitsForAnotherHolder(t *testing.T) {
	ctx := context.Background()
	s := NewStore(t.TempDir())
	if _, err := s.Add(ctx, Account{Email: "a@shop.example", Name: "A", Role: "admin"}, pw); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(s.Path(), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	go func() {
		time.Sleep(300 * time.Millisecond) // hold the lock a moment: the writer must wait it out
		db.Close()
		close(released)
	}()
	if _, err := s.SetDisabled("a@shop.example", true); err != nil {
		t.Fatalf("while another handle held the file briefly: %v", err)
	}
	select {
	case <-released:
	default:
		t.Fatal("the update did not wait for the other holder")
	}
}

func rawRecord(t *testing.T, s *Store, id string) record {
	t.Helper()
	db, err := bolt.Open(s.Path(), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var r record
	err = db.View(func(tx *bolt.Tx) error { return json.Unmarshal(tx.Bucket(bucketAccounts).Get([]byte(id)), &r) })
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(s.Path()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("staff.db mode %v %v", fi.Mode(), err)
	}
	return r
}

// Disabling an account or changing its password marks it signed out at
// that second: tokens issued before stay refused, also once the account
// is enabled again; enabling, or disabling twice, does not move it.
func TestSignedOut(t *testing.T) {
	s := NewStore(t.TempDir())
	at := time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return at }
	a, err := s.Add(t.Context(), Account{Email: "ana@shop.example", Name: "Ana", Role: RoleAgent, Groups: []string{"mx-es"}}, pw)
	if err != nil {
		t.Fatal(err)
	}
	if !a.SignedOut.IsZero() || a.IssuedBefore(at.Add(-time.Hour)) {
		t.Fatalf("new account signed out at %v", a.SignedOut)
	}
	at = at.Add(10*time.Minute + 300*time.Millisecond)
	if a, err = s.SetDisabled("ana@shop.example", true); err != nil || !a.SignedOut.Equal(at.Truncate(time.Second)) {
		t.Fatalf("disabled: signed out %v, %v", a.SignedOut, err)
	}
	disabledAt := a.SignedOut
	at = at.Add(time.Minute)
	s.SetDisabled("ana@shop.example", true)
	if a, err = s.SetDisabled("ana@shop.example", false); err != nil || !a.SignedOut.Equal(disabledAt) {
		t.Fatalf("enabled again: signed out %v (want %v), %v", a.SignedOut, disabledAt, err)
	}
	if !a.IssuedBefore(disabledAt.Add(-time.Second)) || a.IssuedBefore(disabledAt) {
		t.Fatal("IssuedBefore: a token of the second before is refused, one of the same second is not")
	}
	at = at.Add(time.Hour)
	if a, err = s.SetPassword(t.Context(), "ana@shop.example", "a new long passphrase"); err != nil || !a.SignedOut.Equal(at.Truncate(time.Second)) {
		t.Fatalf("password changed: signed out %v, %v", a.SignedOut, err)
	}
	if got, _ := s.ByID(a.ID); !got.SignedOut.Equal(a.SignedOut) {
		t.Fatalf("stored SignedOut %v", got.SignedOut)
	}
}
