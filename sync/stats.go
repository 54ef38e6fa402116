package edgesync

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// StatsBucket is the KV bucket in which every node puts its hourly
// figures (node/analytics), one key per node, group and hour, the last
// value kept: the core adds up the nodes' keys of an hour.
const StatsBucket = "EDGEDESK_STATS"

// StatsNodeGroup stands for the whole node in a stats key (its own group
// names are [a-z][a-z0-9_-]*, so it cannot clash).
const StatsNodeGroup = "_node"

// StatsKey is the key of a node's figures of group ("" for the whole
// node) in the hour starting at hour: "<node>.<group>.<yyyymmddhh>" (UTC).
func StatsKey(node, group string, hour time.Time) string {
	if group == "" {
		group = StatsNodeGroup
	}
	return node + "." + group + "." + hour.UTC().Format("2006010215")
}

// Stats puts a node's hourly figures in StatsBucket, creating the bucket
// on first use (idempotently: every node does). It is safe for
// concurrent use.
type Stats struct {
	JS   jetstream.JetStream
	Node string
	// Replicas is how many servers of the core's cluster keep the bucket
	// (below 1: one).
	Replicas int

	mu sync.Mutex
	kv jetstream.KeyValue
}

// PublishStats puts data as the node's figures of group in hour. An error
// leaves it to the caller to try again (the bucket is looked up anew).
func (s *Stats) PublishStats(ctx context.Context, group string, hour time.Time, data []byte) error {
	kv, err := s.bucket(ctx)
	if err != nil {
		return err
	}
	if _, err := kv.Put(ctx, StatsKey(s.Node, group, hour), data); err != nil {
		s.mu.Lock()
		s.kv = nil
		s.mu.Unlock()
		return fmt.Errorf("edgesync: stats put: %w", err)
	}
	return nil
}

func (s *Stats) bucket(ctx context.Context) (jetstream.KeyValue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kv != nil {
		return s.kv, nil
	}
	kv, err := s.JS.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: StatsBucket, Description: "edgedesk: each node's hourly figures per agent group (last value)",
		History: 1, Storage: jetstream.FileStorage, Replicas: max(s.Replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("edgesync: stats bucket: %w", err)
	}
	s.kv = kv
	return kv, nil
}
