package config

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// EncryptionKeyBytes is the length of a store encryption key (AES-256).
const EncryptionKeyBytes = 32

// EncryptionKeys returns the store's current key and the old keys still
// needed to open records sealed before a rotation: the current key from
// EDGEDESK_STORE_ENCRYPTION_KEY (Store.EncryptionKey) or
// store.encryption_key_file, the old ones from
// store.encryption_old_key_files. current is nil when encryption at rest
// is off. Files are read on every call, so a node reads them at start.
func (s *Store) EncryptionKeys() (current []byte, old [][]byte, err error) {
	switch {
	case s.EncryptionKey != "":
		if current, err = ParseEncryptionKey(s.EncryptionKey); err != nil {
			return nil, nil, &FieldError{Key: EnvPrefix + "STORE_ENCRYPTION_KEY", Value: "(redacted)", Reason: err.Error()}
		}
	case s.EncryptionKeyFile != "":
		if current, err = readKeyFile(s.EncryptionKeyFile); err != nil {
			return nil, nil, &FieldError{Key: "store.encryption_key_file", Value: s.EncryptionKeyFile, Reason: err.Error()}
		}
	}
	for i, f := range s.EncryptionOldKeyFiles {
		k, err := readKeyFile(f)
		if err != nil {
			return nil, nil, &FieldError{Key: fmt.Sprintf("store.encryption_old_key_files[%d]", i), Value: f, Reason: err.Error()}
		}
		old = append(old, k)
	}
	return current, old, nil
}

func readKeyFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > 4096 {
		return nil, fmt.Errorf("%d bytes: a key file holds one key", fi.Size())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseEncryptionKey(string(b))
}

// ParseEncryptionKey decodes a 32-byte key written as 64 hex digits or as
// base64 (standard or URL alphabet, padded or not); surrounding space is
// ignored, so a key file may end with a newline.
func ParseEncryptionKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*EncryptionKeyBytes {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != EncryptionKeyBytes {
				return nil, fmt.Errorf("decodes to %d bytes, want %d (openssl rand -hex 32)", len(k), EncryptionKeyBytes)
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("want %d bytes as 64 hex digits or base64 (openssl rand -hex 32)", EncryptionKeyBytes)
}

func (c *Config) validateEncryption(bad func(key string, v any, reason string)) {
	s := &c.Store
	if s.EncryptionKey != "" && s.EncryptionKeyFile != "" {
		bad("store.encryption_key_file", s.EncryptionKeyFile, "set the key file or "+EnvPrefix+"STORE_ENCRYPTION_KEY, not both")
		return
	}
	cur, old, err := s.EncryptionKeys()
	if err != nil {
		if fe, ok := err.(*FieldError); ok {
			bad(fe.Key, fe.Value, fe.Reason)
		}
		return
	}
	if cur == nil && len(old) > 0 {
		bad("store.encryption_old_key_files", strings.Join(s.EncryptionOldKeyFiles, ","), "old keys need a current key (store.encryption_key_file or "+EnvPrefix+"STORE_ENCRYPTION_KEY) to re-encrypt their records with")
	}
}
