// Package files takes the photos and PDFs customers attach to a chat: a
// damaged parcel, a wrong item, an invoice.
//
// An upload (POST /v1/files) is authorised for one session by a bearer
// token the widget got in its welcome (Signer.UploadToken), limited in
// size, and accepted only when its content — not its name — is a JPEG,
// PNG, WebP or PDF (Sniff). Location, camera and other metadata are
// removed from images before anything is stored (Strip): EXIF, XMP,
// IPTC and comments; a JPEG keeps only its orientation, so phone photos
// stay upright, and a PNG or WebP only the chunks on an allowlist of what
// draws the image. Files are kept in a JetStream object store (bucket
// EDGEDESK_UPLOADS on the node's NATS, bounded in size, each file for at
// most a TTL), named "<session>/<file id>", and served back (GET
// /v1/files/<id>, streamed) only through short-lived signed links
// (Signer.Link), which the node issues to the session's customer and its
// agents each time it sends them a message that carries the file. A
// session may upload a bounded number of files and bytes, at a bounded
// rate, and each client network (ClientIP: an IPv4 address, an IPv6 /64)
// a bounded number of files a minute and bytes an hour whatever its
// sessions, since sessions are free to open. Each upload is recorded in
// the Index before it is stored — the node keeps it with the session,
// durably (session.Meta.Uploads) — so nothing lists the bucket: not New
// (a bucket may hold millions of small files), not the quota, and not
// DeleteSessions, which deletes the files of sessions the sweeper expired
// by the names their index kept.
//
// A link names the file, not the node that stored it: a node asked for a
// file it does not hold — an agent's node serving a chat relayed from the
// customer's node, or Stat for a widget that reconnected here with a file
// it uploaded elsewhere — reads it from the core (Options.Core), which keeps
// its leaf nodes' uploads in EDGEDESK_ARCHIVE_UPLOADS (sourced from each
// edge's bucket, edgesync.EnsureArchive) and its clients' in its own
// EDGEDESK_UPLOADS, and streams it back without keeping a copy.
//
// Sniff, Strip and Signer are pure and safe for concurrent use; the
// Handler is safe for concurrent use once built.
package files
