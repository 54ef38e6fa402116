package staff

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestLoadKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	// Callers racing on a fresh directory all get the one key.
	keys := make([]string, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := LoadKey(dir)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys {
		if k != keys[0] || len(k) != 64 {
			t.Fatalf("keys %q", keys)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v %v", fi.Mode(), err)
	}
	if again, err := LoadKey(dir); err != nil || again != keys[0] {
		t.Fatalf("second load %q %v", again, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
	os.WriteFile(filepath.Join(dir, KeyFile), []byte("short\n"), 0o600)
	if _, err := LoadKey(dir); err == nil {
		t.Fatal("a short key was accepted")
	}
}
