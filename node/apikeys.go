package node

import (
	"fmt"

	"github.com/edgedesk/edgedesk/node/auth"
)

// openAPIKeys loads auth.api_keys (reading their key files).
func (n *Node) openAPIKeys() error {
	keys := make([]auth.APIKey, len(n.cfg.Auth.APIKeys))
	for i, k := range n.cfg.Auth.APIKeys {
		keys[i] = auth.APIKey{Name: k.Name, Role: k.Role, SHA256Hex: k.KeySHA256, File: k.KeyFile}
	}
	a, err := auth.NewAPIKeys(keys)
	if err != nil {
		return fmt.Errorf("node: auth.api_keys: %w", err)
	}
	n.apiKeys = a
	if a.Len() > 0 {
		n.log.Info("admin API keys loaded", "keys", a.Len())
	}
	return nil
}
