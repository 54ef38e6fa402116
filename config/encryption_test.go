package config

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func TestEncryptionKeys(t *testing.T) {
	dir := t.TempDir()
	want, _ := ParseEncryptionKey(testKeyHex)
	cur := filepath.Join(dir, "cur.key")
	os.WriteFile(cur, []byte(testKeyHex+"\n"), 0o600)
	oldKey := bytes.Repeat([]byte{7}, 32)
	old := filepath.Join(dir, "old.key")
	os.WriteFile(old, []byte(base64.StdEncoding.EncodeToString(oldKey)), 0o600)
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("store:\n  encryption_key_file: "+cur+"\n  encryption_old_key_files: ["+old+"]\n"), 0o600)

	c, err := Load(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	k, olds, err := c.Store.EncryptionKeys()
	if err != nil || !bytes.Equal(k, want) || len(olds) != 1 || !bytes.Equal(olds[0], oldKey) {
		t.Fatalf("keys = %x, %x, %v", k, olds, err)
	}

	// The environment gives the key itself (base64 URL, unpadded here).
	c, err = Load("", []string{"EDGEDESK_STORE_ENCRYPTION_KEY=" + base64.RawURLEncoding.EncodeToString(oldKey)})
	if err != nil {
		t.Fatal(err)
	}
	if k, _, _ := c.Store.EncryptionKeys(); !bytes.Equal(k, oldKey) {
		t.Fatalf("env key = %x", k)
	}
	if out, _ := c.YAML(); bytes.Contains(out, []byte(base64.RawURLEncoding.EncodeToString(oldKey))) {
		t.Fatalf("YAML shows the key:\n%s", out)
	}

	// Off by default.
	if k, o, err := Default().Store.EncryptionKeys(); k != nil || o != nil || err != nil {
		t.Fatalf("default keys = %x %x %v", k, o, err)
	}
}

func TestEncryptionKeyRefused(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.key")
	os.WriteFile(short, []byte("abcd"), 0o600)
	cur := filepath.Join(dir, "cur.key")
	os.WriteFile(cur, []byte(testKeyHex), 0o600)
	cases := []struct {
		name, yaml string
		env        []string
		want       []string
	}{
		{"key in the file", "store:\n  encryption_key: " + testKeyHex + "\n", nil, []string{"store.encryption_key", "never read from the config file"}},
		{"short key file", "store:\n  encryption_key_file: " + short + "\n", nil, []string{"store.encryption_key_file", short, "want 32"}},
		{"missing key file", "store:\n  encryption_key_file: " + filepath.Join(dir, "nope") + "\n", nil, []string{"store.encryption_key_file", "no such file"}},
		{"bad env key", "", []string{"EDGEDESK_STORE_ENCRYPTION_KEY=" + testKeyHex[:40]}, []string{"EDGEDESK_STORE_ENCRYPTION_KEY", "(redacted)"}},
		{"file and env", "store:\n  encryption_key_file: " + cur + "\n", []string{"EDGEDESK_STORE_ENCRYPTION_KEY=" + testKeyHex}, []string{"store.encryption_key_file", "not both"}},
		{"old key without a current one", "store:\n  encryption_old_key_files: [" + cur + "]\n", nil, []string{"store.encryption_old_key_files", "need a current key"}},
		{"bad old key", "store:\n  encryption_key_file: " + cur + "\n  encryption_old_key_files: [" + short + "]\n", nil, []string{"store.encryption_old_key_files[0]", short}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			os.WriteFile(path, []byte(tc.yaml), 0o600)
			_, err := Load(path, tc.env)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), testKeyHex[:40]) {
				t.Errorf("error %q shows the key", err)
			}
		})
	}
}

func FuzzParseEncryptionKey(f *testing.F) {
	f.Add(testKeyHex)
	f.Add(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)) + "\n")
	f.Add("")
	f.Add(strings.Repeat("z", 64))
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseEncryptionKey(s)
		if err == nil && len(k) != EncryptionKeyBytes {
			t.Fatalf("%q: %d-byte key accepted", s, len(k))
		}
		if err != nil && strings.Contains(err.Error(), strings.TrimSpace(s)) && len(strings.TrimSpace(s)) > 8 {
			t.Fatalf("error %q shows the key", err)
		}
	})
}
