// Package edgesync connects an edgedesk node to the core over NATS
// JetStream: the embedded nats-server (StartServer: the default topology,
// an in-process server with JetStream under data_dir/nats and fsync on
// every write; or a leaf node of the core with its own JetStream domain),
// the durable store-and-forward of session events from the edge
// (Publisher), the core's archive of every edge's sessions and uploads
// (EnsureArchive, which an operator runs as edgedesk core archive:
// ArchiveCommand), FAQ, routing and model updates down from the core
// (Updates, object store EDGEDESK_FILES), a session's raw events for a
// node a customer reconnected to (FetchHistory), and what lets routing
// reach the agents of other nodes: each node's agent groups in a KV bucket
// (Presence) and requests between nodes (Relay).
//
// The directory is sync/ as the design card fixes, but the package clause is
// edgesync: a package named sync would shadow the standard library's sync in
// every file that imports both (and most files that coordinate goroutines
// do), forcing an alias at each use. edgesync says what is synchronised —
// the edge with its core — and reads well at call sites (edgesync.Publisher).
//
// It imports nothing of the node (nothing under node/, tests included):
// it owns its wire format — Event and the kinds it puts in subjects — and
// sees the node only through small interfaces and bytes: Outbox (batches
// of events, and a way to say which were published), Applier (apply a FAQ,
// a routing section, a model), RelayHandler (answer another node's
// request) and Presence's Local/Update (this node's presence document,
// the others'). An event's Data is the node's business: edgesync neither
// decodes it nor applies session rules to it. node/corelink joins this
// package to the node's session store.
//
// Subjects and streams (inspect them with the nats CLI):
//
//	edgedesk.sessions.<node>.<session>.<kind>   kind: msg, note, meta, expire
//	stream EDGEDESK_SESSIONS                     subjects edgedesk.sessions.>, file storage,
//	                                             2-minute de-duplication window on Nats-Msg-Id,
//	                                             atomic batch publish allowed
//	stream EDGEDESK_ARCHIVE (core)               sources EDGEDESK_SESSIONS of each edge domain
//	object store EDGEDESK_UPLOADS                customers' files (node/files): the node's, or the core's
//	                                             for clients of a core
//	object store EDGEDESK_ARCHIVE_UPLOADS (core) sources EDGEDESK_UPLOADS of each edge domain,
//	                                             subjects renamed to its own bucket; each file kept
//	                                             72 h (ArchiveOptions.UploadsMaxAge) after it arrived
//	object store EDGEDESK_FILES (core)           faq.jsonl | faq.csv, routing.yaml, model.onnx
//	KV bucket EDGEDESK_PRESENCE (core)           key node → its groups, hours, agents, free slots
//	edgedesk.relay.<node>.<op>                   requests between nodes
//
// A leaf node keeps its own streams' subjects (edgedesk.sessions.>,
// $O.EDGEDESK_UPLOADS.>) to itself: the leaf connection denies them both
// ways, so another edge's or the core's stream with the same subjects
// does not store them too; the core gets them through its sources only.
//
// Events go out in commit order, each with a Nats-Msg-Id stable across
// retries ("<node>:<session>.<seq>" for messages). Live traffic goes as
// separate messages, at most one per session per round (so a failure
// cannot reorder a session's events); a backlog goes as atomic batches,
// from 1,000 waiting events until fewer than 64 remain. Towards the
// node's own server with sync_always, which fsyncs every store, live
// rounds are paced (a round every PublisherOptions.Pace) and a round of
// 8 events or more goes as one atomic batch: 4 fsyncs for the batch
// instead of one per event. Nothing a crash can lose changes: an event
// leaves the outbox only after the server acknowledged it, which it does
// only once it is synced, batch or not; until then the outbox (fsynced
// with the message it records, before any receipt) holds it, and a
// restart checks it against the stream before sending it again. See
// Publisher for how a publish whose fate is unknown is stored once.
//
// Concurrency: Publisher, Updates and Presence each run in their own Run
// (one call at a time); Relay and the package functions are safe for
// concurrent use.
package edgesync
