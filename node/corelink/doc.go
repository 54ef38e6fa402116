// Package corelink is the node's link to the core: the one place where
// the node's session store meets edgesync. It starts the embedded
// nats-server (no nats.url) or connects to the core, opens the JetStream
// contexts (the node's own; the core's, shared by every node, directly or
// through a leaf node's core domain), and runs what flows over them:
//
//   - the publisher, which ships the store's outbox (through an adapter
//     that converts the store's outbox events into edgesync events
//     without allocating);
//   - the updates watcher, which hands FAQ, routing and model updates to
//     an edgesync.Applier (the node);
//   - the presence of this node's agents, once ServeRelay gave it the
//     relay's handler and presence functions;
//   - Fetch, which reads a session's events from the core and, once the
//     session package has rebuilt and checked it (session.FromHistory),
//     imports it, so a customer who reconnected here resumes it.
//
// Lifecycle: New connects (an unreachable core is retried in the
// background, the outbox keeps every event); ServeRelay, if the node
// routes across nodes, comes before Run; Run runs the publisher, the
// updates and the presence under one errgroup and returns the first
// failure (stopping is not one); Close stops them, stops answering relay
// requests, closes the connection and shuts the embedded server down, in
// that order, and is idempotent.
//
// Invariants: edgesync never imports the node (this package is where the
// two meet); the store's outbox events and edgesync.Event have one
// layout and one set of kinds, checked at compile time and by a test.
//
// A Link is safe for concurrent use.
package corelink
