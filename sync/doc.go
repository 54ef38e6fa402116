// Package edgesync connects an edgedesk node to the core over NATS
// JetStream. Built so far: the embedded nats-server (the default topology:
// no NATS URL configured, an in-process server with JetStream under
// data_dir/nats, fsync on every write), connecting to a core as a client
// (nats.url), and the durable store-and-forward of session events from the
// edge (Publisher). Still to come (issue 6): leaf-node topology, FAQ,
// configuration and model updates down from the core through KV and Object
// Store, conversations relayed between regions.
//
// The directory is sync/ as the design card fixes, but the package clause is
// edgesync: a package named sync would shadow the standard library's sync in
// every file that imports both (and most files that coordinate goroutines
// do), forcing an alias at each use. edgesync says what is synchronised —
// the edge with its core — and reads well at call sites (edgesync.Publisher).
//
// It sees the node only through the Outbox interface: batches of session
// events, and a way to say which were published.
//
// Subjects and streams (inspect them with the nats CLI):
//
//	edgedesk.sessions.<node>.<session>.<kind>   kind: msg, note, meta, expire
//	stream EDGEDESK_SESSIONS                     subjects edgedesk.sessions.>, file storage,
//	                                             2-minute de-duplication window on Nats-Msg-Id
//
// Each event's Nats-Msg-Id is stable across retries ("<session>.<seq>" for
// messages), so a publish retried after a lost acknowledgement is stored
// once.
package edgesync
