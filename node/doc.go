// Package node assembles an edgedesk node: the intent and language model
// (package model, served through ONNX Runtime), the session store, the widget
// gateway and the HTTP endpoints (/v1/ws, /healthz, /readyz, /metrics) on
// one fasthttp server, with an ordered lifecycle. Every customer message is
// classified before it is stored (session.Options.Enrich), whatever channel
// it came from.
//
// Sub-packages hold the parts: session (the internal message model, the
// durable store and the delivery hub), gateway (the widget WebSocket
// transport) and auth (tokens). Conversation logic lives beside session and
// never imports gateway, so other channels plug in next to the widget.
//
// Lifecycle: New loads the model and opens the store; Listen binds the address; Run serves until
// its context ends and then shuts down in order — stop accepting, close
// widgets with 1001, finish queued writes, close the store — within
// config.ShutdownTimeout. Close is idempotent.
package node
