package staff

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestPasswordHash(t *testing.T) {
	ctx := context.Background()
	h1, err := HashPassword(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := HashPassword(ctx, pw)
	if h1 == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if ok, err := VerifyPassword(ctx, h1, pw); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, err := VerifyPassword(ctx, h1, pw[:len(pw)-1]); ok || err != nil {
		t.Fatalf("wrong password: %v %v", ok, err)
	}
	// Parameters come from the hash: one made with others still verifies.
	p, _ := parsePHC(h1)
	p.time, p.memory = 1, 64
	p.key, _ = p.derive(ctx, pw, 32)
	if ok, err := VerifyPassword(ctx, p.String(), pw); !ok || err != nil {
		t.Fatalf("hash with other parameters: %v %v", ok, err)
	}
	for _, bad := range []string{
		"", "$2a$10$abcdefghijklmnopqrstuu", strings.Replace(h1, "argon2id", "argon2i", 1),
		strings.Replace(h1, "v=19", "v=16", 1), strings.Replace(h1, "m=19456", "m=4194304", 1),
		strings.Replace(h1, "t=2", "t=0", 1), strings.Replace(h1, "p=1", "p=1,x=2", 1),
		strings.Replace(h1, "m=19456", "m=+19456", 1), h1 + "$", h1[:len(h1)-30],
	} {
		if _, err := VerifyPassword(ctx, bad, pw); !errors.Is(err, ErrBadHash) {
			t.Errorf("VerifyPassword(%q): %v, want ErrBadHash", bad, err)
		}
	}
}

// With every hashing slot taken, a caller waits only as long as its
// context allows.
func TestHashingSlotsBounded(t *testing.T) {
	for range cap(slots) {
		slots <- struct{}{}
	}
	defer func() {
		for range cap(slots) {
			<-slots
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := HashPassword(ctx, pw); !errors.Is(err, ErrBusy) {
		t.Fatalf("all slots taken: %v", err)
	}
}

func FuzzParsePHC(f *testing.F) {
	h, _ := HashPassword(context.Background(), pw)
	f.Add(h)
	f.Add("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=-1,t=1,p=1$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePHC(s)
		if err != nil {
			return
		}
		if p.memory > maxArgonMemory || p.time > maxArgonTime || p.threads > maxArgonThreads || p.time < 1 || p.threads < 1 {
			t.Fatalf("out-of-bounds parameters accepted: %+v", p)
		}
		if p.String() != s {
			t.Fatalf("%q parsed to %q", s, p.String())
		}
	})
}

func BenchmarkVerifyPassword(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	h, _ := HashPassword(ctx, pw)
	for b.Loop() {
		if ok, err := VerifyPassword(ctx, h, pw); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// A password of the longest allowed length followed by more bytes is not
// that password: the cut made to bound the work must not let it match.
func TestOverlongPasswordNeverMatches(t *testing.T) {
	ctx := context.Background()
	longest := strings.Repeat("p", MaxPasswordBytes)
	h, err := HashPassword(ctx, longest)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := VerifyPassword(ctx, h, longest); !ok || err != nil {
		t.Fatalf("the %d-byte password: %v %v", MaxPasswordBytes, ok, err)
	}
	if ok, err := VerifyPassword(ctx, h, longest+"anything"); ok || err != nil {
		t.Fatalf("the %d-byte password with more after it matched: %v %v", MaxPasswordBytes, ok, err)
	}
	// A megabyte costs one ordinary hash.
	start := time.Now()
	if ok, _ := VerifyPassword(ctx, h, strings.Repeat("p", 1<<20)); ok {
		t.Fatal("a 1 MB password matched")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("a 1 MB password took %v", d)
	}
}

// Hashing never takes more than half the cores (one on one or two).
func TestHashingLeavesCoresForChats(t *testing.T) {
	for procs, want := range map[int]int{1: 1, 2: 1, 3: 1, 4: 2, 8: 4} {
		if got := hashSlots(procs); got != want {
			t.Errorf("hashSlots(%d) = %d, want %d", procs, got, want)
		}
	}
	if cap(slots) != hashSlots(runtime.GOMAXPROCS(0)) {
		t.Fatalf("slots %d on %d cores", cap(slots), runtime.GOMAXPROCS(0))
	}
}
