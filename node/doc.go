// Package node is the composition root of an edgedesk node: it builds the
// components in dependency order, wires them to each other, serves the
// HTTP routes (/v1/ws, /v1/agent/ws, /v1/admin/faq, /healthz, /readyz,
// /metrics) on one fasthttp server, and runs and stops them in order. It
// holds no conversation logic and no protocol: those live in the
// sub-packages (docs/ARCHITECTURE.md is the map), and nothing but main
// imports this package.
//
// What it owns besides the wiring: the lifecycle, the admin API
// handlers (admin.go), the FAQ file in the data directory and its CLI
// (faqfile.go), and applying the core's updates to the components that
// hold FAQ, routing and model.
//
// Lifecycle: New loads the model and opens the stores; Listen binds the
// address; Run serves until its context ends, with its long-lived parts
// under one errgroup (the first to fail stops the node with its error),
// and then shuts down in order — stop accepting, close widgets with 1001
// and agents, stop the router, stop the link to the core, close the
// stores — within config.ShutdownTimeout. Close is idempotent and safe
// for concurrent use.
package node
