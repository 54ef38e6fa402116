package edgesync

import (
	"context"
	"errors"
	"fmt"
	"time"

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
// MQTT's subjects too: an app's frames are served by the edge it is
// connected to, never by every edge whose bridge subscribes to the same
// pattern through the core (each would open a session and answer).
var leafLocal = []string{SubjectPrefix + ">", objectSubjects(Uploads), MQTTPrefix + ">", "$MQTT.>"}

// DefaultUploadsMaxAge is how long the core keeps a file of an edge by
// default: files.ttl's default, as long as the edge keeps it.
const DefaultUploadsMaxAge = 72 * time.Hour

// ArchiveOptions says what the core archives, and how long.
type ArchiveOptions struct {
	// Domains are the JetStream domains of the edges (leaf nodes) whose
	// sessions and files the core archives. Sources of domains already
	// in the archive stay: calling it for a new edge adds that edge.
	Domains []string
	// UploadsMaxAge is how long the core keeps a file after it reached
	// the core. Zero: what an existing archive has, and
	// DefaultUploadsMaxAge for a new one or one without an age limit
	// (as this package made them before).
	UploadsMaxAge time.Duration
	// UploadsMaxBytes bounds the archive of files; past it the core takes
	// no new file until old ones age out (the edges keep theirs, and the
	// sources catch up). Zero: what an existing archive has, unlimited
	// (-1) for a new one; -1: unlimited.
	UploadsMaxBytes int64
	// Replicas is how many servers of the core's cluster keep each
	// archive (at most 5). Zero: what an existing archive has, 1 for a
	// new one.
	Replicas int
}

// EnsureArchive creates or updates, at the core, what keeps every edge's
// data: stream Archive, which sources the session events of the edges in
// o.Domains (leaf nodes, each with its own JetStream domain), and object
// store UploadsArchive, which sources their uploads (EnsureUploadsArchive).
// While a leaf link is down the edge keeps its events and files; the core
// catches up when the link returns.
//
// It is idempotent, and an update keeps what is there: the sources of
// other domains, and every limit an operator set on the streams (an
// update changes only the sources and the limits o sets). Run one at a
// time: two concurrent calls for different domains may each keep only
// its own new source.
func EnsureArchive(ctx context.Context, js jetstream.JetStream, o ArchiveOptions) error {
	cfg := jetstream.StreamConfig{
		Name:        Archive,
		Description: "edgedesk: every session event from every edge",
		Storage:     jetstream.FileStorage,
	}
	for _, d := range o.Domains {
		cfg.Sources = append(cfg.Sources, &jetstream.StreamSource{Name: Stream, Domain: d})
	}
	if err := ensureSourced(ctx, js, cfg, o.replicas); err != nil {
		return fmt.Errorf("edgesync: stream %s: %w", Archive, err)
	}
	return EnsureUploadsArchive(ctx, js, o)
}

// EnsureUploadsArchive creates or updates, at the core, object store
// UploadsArchive: its stream sources the stream of Uploads of each edge
// domain, with the subjects renamed from bucket Uploads to
// UploadsArchive, so every edge's files read back by name through the
// object store API (js.ObjectStore(ctx, UploadsArchive)). File ids carry
// their session, which is unique across nodes.
//
// What the edge deletes or expires reaches the core by age: the core
// keeps each file o.UploadsMaxAge after it arrived (72 hours by default,
// as files.ttl), whatever the edge did since. An edge's expiry is not an
// event at all; a deletion (a session the sweeper expired) is sourced as
// a marker that hides the file at once, but its bytes stay until that
// age. So files do not outlive the archive's age, and the archive does
// not grow without bound.
func EnsureUploadsArchive(ctx context.Context, js jetstream.JetStream, o ArchiveOptions) error {
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
	for _, d := range o.Domains {
		cfg.Sources = append(cfg.Sources, &jetstream.StreamSource{
			Name:   ObjectStream(Uploads),
			Domain: d,
			SubjectTransforms: []jetstream.SubjectTransformConfig{
				{Source: objectSubjects(Uploads), Destination: objectSubjects(UploadsArchive)},
			},
		})
	}
	limits := func(c *jetstream.StreamConfig) {
		switch {
		case o.UploadsMaxAge > 0:
			c.MaxAge = o.UploadsMaxAge
		case c.MaxAge == 0:
			c.MaxAge = DefaultUploadsMaxAge
		}
		if c.Duplicates > c.MaxAge { // the server's rule: no longer than the age
			c.Duplicates = c.MaxAge
		}
		if o.UploadsMaxBytes != 0 {
			c.MaxBytes = o.UploadsMaxBytes
		}
		o.replicas(c)
	}
	if err := ensureSourced(ctx, js, cfg, limits); err != nil {
		return fmt.Errorf("edgesync: object store %s: %w", UploadsArchive, err)
	}
	return nil
}

// replicas sets c's replicas to o.Replicas, if set, else keeps them (a
// new stream has zero: one).
func (o ArchiveOptions) replicas(c *jetstream.StreamConfig) {
	if o.Replicas > 0 {
		c.Replicas = o.Replicas
	}
}

// ensureSourced creates stream fresh.Name as fresh, or updates the one
// there: its config as it is, with fresh's sources added to its own.
// limits, if set, then sets what the caller asks of either.
func ensureSourced(ctx context.Context, js jetstream.JetStream, fresh jetstream.StreamConfig, limits func(c *jetstream.StreamConfig)) error {
	if limits == nil {
		limits = func(*jetstream.StreamConfig) {}
	}
	for range 2 { // a create that lost a race updates
		st, err := js.Stream(ctx, fresh.Name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			cfg := fresh
			limits(&cfg)
			_, err = js.CreateStream(ctx, cfg)
			if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				continue
			}
			return err
		}
		if err != nil {
			return err
		}
		cfg := st.CachedInfo().Config
		cfg.Sources = mergeSources(cfg.Sources, fresh.Sources)
		limits(&cfg)
		_, err = js.UpdateStream(ctx, cfg)
		return err
	}
	return fmt.Errorf("stream %s: created and gone while being set up", fresh.Name)
}

// mergeSources returns have with each source of add that it lacks (the
// same stream from the same domain) appended; have's own stay as they are.
func mergeSources(have, add []*jetstream.StreamSource) []*jetstream.StreamSource {
	out := append([]*jetstream.StreamSource(nil), have...)
	seen := map[string]bool{}
	for _, s := range have {
		seen[sourceKey(s)] = true
	}
	for _, s := range add {
		if k := sourceKey(s); !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	return out
}

// sourceKey names a source by its stream and the JetStream API it is
// read through: a domain's ("$JS.<domain>.API", which the server stores
// in place of the domain) or an external prefix.
func sourceKey(s *jetstream.StreamSource) string {
	api := ""
	switch {
	case s.Domain != "":
		api = "$JS." + s.Domain + ".API"
	case s.External != nil:
		api = s.External.APIPrefix
	}
	return s.Name + "\x00" + api
}
