package edgesync

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Archive is the core's stream that sources every edge's session events.
const Archive = "EDGEDESK_ARCHIVE"

// Uploads is the object store a node keeps its customers' photos and
// PDFs in (node/files): in the embedded server, a leaf node's own
// JetStream domain, or the core's JetStream for a client of a core.
const Uploads = "EDGEDESK_UPLOADS"

// UploadsArchive is the core's object store that sources every edge's
// Uploads. It has a name of its own, and the sources rename the
// subjects: the stream of an object store holds the subjects
// $O.<bucket>.M.<name> and $O.<bucket>.C.<nuid>, and a core that is also
// the JetStream of clients (nats.url) has a bucket Uploads of its own.
const UploadsArchive = "EDGEDESK_ARCHIVE_UPLOADS"

// ObjectStream is the stream that holds object store bucket.
func ObjectStream(bucket string) string { return "OBJ_" + bucket }

// objectSubjects is everything object store bucket keeps.
func objectSubjects(bucket string) string { return "$O." + bucket + ".>" }

// leafLocal are the subjects of the streams a leaf node keeps in its own
// domain (Stream, Uploads). They stay on the leaf: without this, a stream
// with the same subjects elsewhere in the account (another edge's, the
// core's) stores every message published on them too, as the interest of
// a stream crosses leaf connections like any other. Each edge's events
// and files reach the core only through the core's sources (EnsureArchive).
var leafLocal = []string{SubjectPrefix + ">", objectSubjects(Uploads)}

// EnsureArchive creates or updates, at the core, what keeps every edge's
// data: stream Archive, which sources the session events of the edges in
// domains (leaf nodes, each with its own JetStream domain), and object
// store UploadsArchive, which sources their uploads (EnsureUploadsArchive).
// While a leaf link is down the edge keeps its events and files; the core
// catches up when the link returns.
func EnsureArchive(ctx context.Context, js jetstream.JetStream, domains []string) error {
	cfg := jetstream.StreamConfig{
		Name:        Archive,
		Description: "edgedesk: every session event from every edge",
		Storage:     jetstream.FileStorage,
	}
	for _, d := range domains {
		cfg.Sources = append(cfg.Sources, &jetstream.StreamSource{Name: Stream, Domain: d})
	}
	if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("edgesync: stream %s: %w", Archive, err)
	}
	return EnsureUploadsArchive(ctx, js, domains)
}

// EnsureUploadsArchive creates or updates, at the core, object store
// UploadsArchive: its stream sources the stream of Uploads of each edge
// domain, with the subjects renamed from bucket Uploads to
// UploadsArchive, so every edge's files read back by name through the
// object store API (js.ObjectStore(ctx, UploadsArchive)). File ids carry
// their session, which is unique across nodes. An object an edge deletes
// is marked deleted here too; its chunks stay until the limits an
// operator sets on the stream.
func EnsureUploadsArchive(ctx context.Context, js jetstream.JetStream, domains []string) error {
	// The stream an object store makes (jetstream.CreateObjectStore),
	// plus the sources.
	cfg := jetstream.StreamConfig{
		Name:        ObjectStream(UploadsArchive),
		Description: "edgedesk: every customer upload from every edge",
		Subjects:    []string{"$O." + UploadsArchive + ".C.>", "$O." + UploadsArchive + ".M.>"},
		Storage:     jetstream.FileStorage,
		MaxBytes:    -1,
		Discard:     jetstream.DiscardNew,
		AllowRollup: true,
		AllowDirect: true,
	}
	for _, d := range domains {
		cfg.Sources = append(cfg.Sources, &jetstream.StreamSource{
			Name:   ObjectStream(Uploads),
			Domain: d,
			SubjectTransforms: []jetstream.SubjectTransformConfig{
				{Source: objectSubjects(Uploads), Destination: objectSubjects(UploadsArchive)},
			},
		})
	}
	if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("edgesync: object store %s: %w", UploadsArchive, err)
	}
	return nil
}
