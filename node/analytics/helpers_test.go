package analytics

import (
	"errors"

	bolt "go.etcd.io/bbolt"
)

type bboltTx = bolt.Tx

func errorsIs(err, target error) bool { return errors.Is(err, target) }
