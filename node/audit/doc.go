// Package audit is the node's audit log: every agent and admin action
// (sign-in and failed sign-in, sign-out, a chat assigned, transferred,
// reassigned or closed, an FAQ import, a routing or model reload, staff
// account changes made with the CLI, a session inspected, a customer's
// data exported or erased) recorded with who, what, when and from where.
//
// The log is append-only. Entries live in their own bbolt file
// (data_dir/audit.db), keyed by time and a sequence number (Key), and no
// API changes or deletes one: the only deletion is the sweeper's, of
// entries older than the retention (audit.retention, default 180 days).
// Record returns once the entry is durable (one bbolt commit, concurrent
// records joined into one fsync by bbolt's Batch).
//
// Every entry is also marked unsent; Run hands the unsent ones, oldest
// first, to a Publisher (edgesync.Audit: the core's stream
// EDGEDESK_AUDIT, subject edgedesk.audit.<node>) and unmarks them once it
// has acknowledged them, so an outage of the core delays the copy and
// loses nothing. Each entry carries its node and key: the core's copy can
// be de-duplicated by (node, key) even beyond JetStream's window.
//
// The CLI records its actions (edgedesk staff …) whether the node runs
// or not: bbolt lets one process hold the file, so RecordOffline opens
// audit.db with a short timeout and, when the running node holds it,
// writes the entry as a file in data_dir/audit-pending/ instead, which the
// running node ingests within a second (and at its next start), keeping
// the entry's time.
//
// Other packages record with one call:
//
//	log.Record(ctx, audit.Entry{Actor: id, Role: role, Action: audit.ActionExport, Target: customer, From: addr})
//
// Log's methods are safe for concurrent use; Run runs once.
package audit
