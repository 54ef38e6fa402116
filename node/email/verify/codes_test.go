package verify

import (
	"errors"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestCodes(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	c := New(Options{TTL: 10 * time.Minute, MaxAttempts: 3, Resend: time.Minute, Now: clk.now})
	code, err := c.Issue("s1", "Ana@C.example")
	if err != nil || len(code) != 6 {
		t.Fatalf("code %q, %v", code, err)
	}
	if _, err := c.Issue("s2", "ana@c.example"); !errors.Is(err, ErrTooSoon) {
		t.Fatalf("second code within a minute: %v", err)
	}
	if err := c.Check("s2", "ana@c.example", code); !errors.Is(err, ErrNoCode) {
		t.Fatalf("another session: %v", err)
	}
	if err := c.Check("s1", "bo@c.example", code); !errors.Is(err, ErrNoCode) {
		t.Fatalf("another address: %v", err)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	if err := c.Check("s1", "ana@c.example", wrong); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("wrong code: %v", err)
	}
	if err := c.Check("s1", "ana@c.example", code[:3]+" "+code[3:]); err != nil {
		t.Fatalf("right code: %v", err)
	}
	if err := c.Check("s1", "ana@c.example", code); !errors.Is(err, ErrNoCode) {
		t.Fatalf("a code used twice: %v", err)
	}

	// Too many wrong guesses kill the code, the right one included.
	clk.add(time.Minute)
	code, _ = c.Issue("s1", "ana@c.example")
	wrong = "111111"
	if code == wrong {
		wrong = "222222"
	}
	for i := range 3 {
		err := c.Check("s1", "ana@c.example", wrong)
		if want := map[bool]error{true: ErrTooManyAttempts, false: ErrWrongCode}[i == 2]; !errors.Is(err, want) {
			t.Fatalf("guess %d: %v, want %v", i, err, want)
		}
	}
	if err := c.Check("s1", "ana@c.example", code); !errors.Is(err, ErrNoCode) {
		t.Fatalf("the right code after the limit: %v", err)
	}

	// Expiry.
	clk.add(time.Minute)
	code, _ = c.Issue("s1", "ana@c.example")
	clk.add(10 * time.Minute)
	if err := c.Check("s1", "ana@c.example", code); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
}

func TestCodesBounded(t *testing.T) {
	clk := &clock{t: time.Now()}
	c := New(Options{MaxPending: 3, TTL: time.Minute, Now: clk.now})
	for i, a := range []string{"a@x.example", "b@x.example", "c@x.example"} {
		if _, err := c.Issue("s", a); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
	}
	if _, err := c.Issue("s", "d@x.example"); !errors.Is(err, ErrBusy) {
		t.Fatalf("past MaxPending: %v", err)
	}
	clk.add(time.Minute)
	if _, err := c.Issue("s", "d@x.example"); err != nil {
		t.Fatalf("after the others expired: %v", err)
	}
}

func TestCodesPerMinute(t *testing.T) {
	clk := &clock{t: time.Now()}
	c := New(Options{PerMinute: 2, Now: clk.now})
	for _, a := range []string{"a@x.example", "b@x.example"} {
		if _, err := c.Issue("s", a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Issue("s", "c@x.example"); !errors.Is(err, ErrBusy) {
		t.Fatalf("third code in a minute: %v", err)
	}
	clk.add(time.Minute)
	if _, err := c.Issue("s", "c@x.example"); err != nil {
		t.Fatalf("next minute: %v", err)
	}
}
