// Package enrich is the node's enrich stage: the session store's Enrich
// hook (session.Options.Enrich), run on the caller's goroutine for every
// customer message, whatever channel it came from, before the message is
// queued for its commit. It adds the model's intent, confidence and
// language (package model over ONNX Runtime, micro-batched, bounded by
// model.timeout: past it a message is stored unclassified), the entities
// of package extract and the sentiment of package sentiment.
//
// Doing this before the commit keeps the committer's work (the bot's
// decision) to a lookup. A Stage is safe for concurrent use; Reload and
// ApplyModel swap the model without failing in-flight classifications.
package enrich
