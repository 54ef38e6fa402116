package node

import (
	"fmt"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/session"
)

// storeKeys reads the encryption keys of the store of cfg (files and
// environment, as config read them): a nil keyring when encryption at
// rest is off.
func storeKeys(cfg *config.Config) (kr *session.Keyring, cur []byte, old [][]byte, err error) {
	cur, old, err = cfg.Store.EncryptionKeys()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("node: %w", err)
	}
	if cur == nil {
		return nil, nil, nil, nil
	}
	if kr, err = session.NewKeyring(cur, old...); err != nil {
		return nil, nil, nil, fmt.Errorf("node: %w", err)
	}
	return kr, cur, old, nil
}

// offlineKeys is storeKeys for the offline commands, which read the store
// without a node.
func offlineKeys(cfg *config.Config) (*session.Keyring, error) {
	kr, _, _, err := storeKeys(cfg)
	return kr, err
}

// firstOldKey is the old key JetStream is opened with after a rotation:
// nats-server takes one, so a rotation is done (the node started with the
// new key) before the next.
func (n *Node) firstOldKey() []byte {
	if len(n.storeOldKeys) == 0 {
		return nil
	}
	return n.storeOldKeys[0]
}
