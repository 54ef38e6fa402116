// Package edgesync will connect an edgedesk node to the core over NATS
// JetStream: durable store-and-forward of session events from the edge,
// FAQ, configuration and model updates back down, and conversations relayed
// between regions (issue 6). It holds no code yet.
//
// The directory is sync/ as the design card fixes, but the package clause is
// edgesync: a package named sync would shadow the standard library's sync in
// every file that imports both (and most files that coordinate goroutines
// do), forcing an alias at each use. edgesync says what is synchronised —
// the edge with its core — and reads well at call sites (edgesync.Outbox).
//
// It will see the node only through a small interface of session events,
// never the node's internals.
package edgesync
