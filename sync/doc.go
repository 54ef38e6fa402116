// Package edgesync connects an edgedesk node to the core over NATS
// JetStream: the embedded nats-server (StartServer: the default topology,
// an in-process server with JetStream under data_dir/nats and fsync on
// every write; or a leaf node of the core with its own JetStream domain),
// the durable store-and-forward of session events from the edge
// (Publisher), the core's archive of every edge (EnsureArchive), FAQ,
// routing and model updates down from the core (Updates, object store
// EDGEDESK_FILES), and a session's history for a node a customer
// reconnected to (FetchHistory). Still to come: routing to agents on other
// nodes (presence in a KV bucket, relayed conversations).
//
// The directory is sync/ as the design card fixes, but the package clause is
// edgesync: a package named sync would shadow the standard library's sync in
// every file that imports both (and most files that coordinate goroutines
// do), forcing an alias at each use. edgesync says what is synchronised —
// the edge with its core — and reads well at call sites (edgesync.Publisher).
//
// It sees the node only through small interfaces: Outbox (batches of
// session events, and a way to say which were published) and Applier
// (apply a FAQ, a routing section, a model).
//
// Subjects and streams (inspect them with the nats CLI):
//
//	edgedesk.sessions.<node>.<session>.<kind>   kind: msg, note, meta, expire
//	stream EDGEDESK_SESSIONS                     subjects edgedesk.sessions.>, file storage,
//	                                             2-minute de-duplication window on Nats-Msg-Id
//	stream EDGEDESK_ARCHIVE (core)               sources EDGEDESK_SESSIONS of each edge domain
//	object store EDGEDESK_FILES (core)           faq.jsonl | faq.csv, routing.yaml, model.onnx
//
// Each event's Nats-Msg-Id is stable across retries ("<session>.<seq>" for
// messages), so a publish retried after a lost acknowledgement is stored
// once.
package edgesync
