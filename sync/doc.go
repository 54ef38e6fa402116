// Package edgesync connects an edgedesk node to the core over NATS
// JetStream: the embedded nats-server (StartServer: the default topology,
// an in-process server with JetStream under data_dir/nats and fsync on
// every write; or a leaf node of the core with its own JetStream domain),
// the durable store-and-forward of session events from the edge
// (Publisher), the core's archive of every edge (EnsureArchive), FAQ,
// routing and model updates down from the core (Updates, object store
// EDGEDESK_FILES), and a session's history for a node a customer
// reconnected to (FetchHistory), and what lets routing reach the agents of
// other nodes: each node's agent groups in a KV bucket (Presence) and
// requests between nodes (Relay).
//
// The directory is sync/ as the design card fixes, but the package clause is
// edgesync: a package named sync would shadow the standard library's sync in
// every file that imports both (and most files that coordinate goroutines
// do), forcing an alias at each use. edgesync says what is synchronised —
// the edge with its core — and reads well at call sites (edgesync.Publisher).
//
// It sees the node only through small interfaces and bytes: Outbox
// (batches of session events, and a way to say which were published),
// Applier (apply a FAQ, a routing section, a model), RelayHandler (answer
// another node's request) and Presence's Local/Update (this node's
// presence document, the others').
//
// Subjects and streams (inspect them with the nats CLI):
//
//	edgedesk.sessions.<node>.<session>.<kind>   kind: msg, note, meta, expire
//	stream EDGEDESK_SESSIONS                     subjects edgedesk.sessions.>, file storage,
//	                                             2-minute de-duplication window on Nats-Msg-Id,
//	                                             atomic batch publish allowed
//	stream EDGEDESK_ARCHIVE (core)               sources EDGEDESK_SESSIONS of each edge domain
//	object store EDGEDESK_FILES (core)           faq.jsonl | faq.csv, routing.yaml, model.onnx
//	KV bucket EDGEDESK_PRESENCE (core)           key node → its groups, hours, agents, free slots
//	edgedesk.relay.<node>.<op>                   requests between nodes
//
// Events go out as atomic batches in commit order, each event with a
// Nats-Msg-Id stable across retries ("<node>:<session>.<seq>" for
// messages); see Publisher for how a batch whose fate is unknown is
// stored once.
package edgesync
