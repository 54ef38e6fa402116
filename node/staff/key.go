package staff

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyFile is the generated staff signing key's file name inside the data
// directory, used when auth.staff_secret is empty.
const KeyFile = "staff.key"

// LoadKey returns the staff signing key of dataDir, generating it on first
// use: 32 random bytes, written hex-encoded (64 characters, a valid
// auth.staff_secret, so an operator may copy it to another node) to
// <dataDir>/staff.key with mode 0600. A node and an edgedesk command
// starting together agree on one key: the file is linked into place only
// if absent, and the loser reads the winner's.
func LoadKey(dataDir string) (string, error) {
	path := filepath.Join(dataDir, KeyFile)
	if key, err := readKey(path); !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("staff: key: %w", err)
	}
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	tmp, err := os.CreateTemp(dataDir, KeyFile+".*")
	if err != nil {
		return "", fmt.Errorf("staff: key: %w", err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp makes the file 0600 already; the key is written before it
	// is visible under its name, and synced so a crash cannot leave a
	// short key behind.
	_, err = tmp.WriteString(hex.EncodeToString(b) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("staff: key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("staff: key: %w", err)
	}
	if err := syncDir(dataDir); err != nil {
		return "", fmt.Errorf("staff: key: %w", err)
	}
	return readKey(path)
}

// syncDir makes a new name in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

func readKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("staff: key: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if len(key) < 32 {
		return "", fmt.Errorf("staff: key %s: %d bytes, want at least 32 (delete the file to generate a new one; signed-in staff sign in again)", path, len(key))
	}
	return key, nil
}
