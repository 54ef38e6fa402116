package files

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"

	edgesync "github.com/edgedesk/edgedesk/sync"
)

// fromCore returns file id from the core, for a file this node does not
// hold: one uploaded on another node. Agents get such links when a chat
// is relayed here (node/relay): the session is the customer's node's, and
// so are its files; this node signs the links (its own key) and serves
// them through the core.
//
// The core keeps the uploads of its leaf nodes in
// edgesync.UploadsArchive (sourced from each edge's domain, so a file
// arrives there shortly after its upload, or after a cut leaf link
// returns) and those of its clients (nats.url) in Bucket. For a client
// of the core, Core is JS: Bucket was the first place looked in.
//
// Nothing fetched is kept here: a copy in this node's Bucket would be
// sourced into the core's archive once more. The agent's browser caches
// the file (Cache-Control). It returns jetstream.ErrObjectNotFound when
// there is no core or the core does not have the file (yet).
func (h *Handler) fromCore(ctx context.Context, id string) (jetstream.ObjectResult, error) {
	var res jetstream.ObjectResult
	err := h.atCore(ctx, id, func(obs jetstream.ObjectStore) (err error) {
		res, err = obs.Get(ctx, id)
		return err
	})
	return res, err
}

// infoFromCore is fromCore for the file's info only: what Stat answers
// for a file uploaded on another node (a widget that reconnected here
// resends a message whose file it uploaded there).
func (h *Handler) infoFromCore(ctx context.Context, id string) (*jetstream.ObjectInfo, error) {
	var info *jetstream.ObjectInfo
	err := h.atCore(ctx, id, func(obs jetstream.ObjectStore) (err error) {
		info, err = obs.GetInfo(ctx, id)
		return err
	})
	return info, err
}

// atCore calls read with each of the core's buckets that may hold file
// id (fromCore) until one has it: read returns
// jetstream.ErrObjectNotFound for one that does not. It returns read's
// error, or jetstream.ErrObjectNotFound when no bucket has the file.
func (h *Handler) atCore(ctx context.Context, id string, read func(jetstream.ObjectStore) error) error {
	if h.o.Core == nil {
		return jetstream.ErrObjectNotFound
	}
	buckets := []string{edgesync.UploadsArchive, Bucket}
	if h.o.Core == h.o.JS {
		buckets = buckets[:1]
	}
	for _, b := range buckets {
		// Opened at each miss: the core may be away at start, and the
		// archive set up later (edgedesk core archive).
		obs, err := h.o.Core.ObjectStore(ctx, b)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			h.noArchiveOnce(b)
			continue
		}
		if err != nil {
			h.o.Logger.Warn("the core's files unreachable", "bucket", b, "file", id, "err", err)
			return err
		}
		err = read(obs)
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			continue
		}
		if err == nil {
			h.o.Logger.Debug("file read from the core", "bucket", b, "file", id)
		}
		return err
	}
	return jetstream.ErrObjectNotFound
}

// noArchiveOnce warns, once, that a leaf node's core has no archive of
// its leaf nodes' files (bucket b is UploadsArchive): every file uploaded
// on another node then answers 404 here. A client of the core (Core is
// JS) may well have none: its nodes share one bucket.
func (h *Handler) noArchiveOnce(b string) {
	if b != edgesync.UploadsArchive || h.o.Core == h.o.JS || !h.noArchive.CompareAndSwap(false, true) {
		return
	}
	h.o.Logger.Warn("the core has no archive of its leaf nodes' files: files uploaded on other nodes cannot be served here (404); set it up at the core with `edgedesk core archive -url … -domains …`",
		"bucket", b)
}
