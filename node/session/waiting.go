package session

import (
	bolt "go.etcd.io/bbolt"
)

// Waiting returns the ids of the sessions whose conversation waits for
// people (Meta.Waiting is set), from every shard's waiting index: a read of
// those sessions' keys only, however many sessions the store holds. The
// router calls it at startup to take the waiting chats back.
func (s *Store) Waiting() ([]string, error) {
	var ids []string
	for _, sh := range s.shards {
		err := sh.db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketWaiting)
			if b == nil {
				return nil
			}
			return b.ForEach(func(k, _ []byte) error {
				ids = append(ids, string(k))
				return nil
			})
		})
		if err != nil {
			return ids, err
		}
	}
	return ids, nil
}
