package files

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/valyala/fasthttp"
)

// Bucket is the JetStream object store that holds uploads.
const Bucket = "EDGEDESK_UPLOADS"

// PathPrefix starts every file's path; the id follows.
const PathPrefix = "/v1/files/"

// Options configures a Handler.
type Options struct {
	// Core, if set, is the core's JetStream: ServeFile and Stat look there
	// for a file this node does not hold (remote.go).
	Core jetstream.JetStream

	// JS is the node's JetStream (the embedded server's or the core's).
	JS jetstream.JetStream
	// Replicas is how many servers of the core's cluster keep the object
	// store (nats.replicas; below 1: one).
	Replicas int
	Signer   *Signer
	// Index keeps each session's files (required): the node keeps them
	// with the session (session.Meta.Uploads).
	Index Index
	// ClientIP is the address an upload came from, for the per-client
	// budget (default: the connection's peer). The node passes the
	// gateway's (gateway.ClientIP: a CDN's header when
	// routing.trust_headers trusts it).
	ClientIP func(*fasthttp.RequestCtx) string
	// MaxBytes bounds an upload (default 10 MB).
	MaxBytes int
	// LinkTTL is how long a signed link works (default 15 minutes);
	// UploadTTL how long an upload token does (default 1 hour).
	LinkTTL, UploadTTL time.Duration
	// MaxTotalBytes bounds the object store (default 1 GiB); TTL is how
	// long a file is kept after its upload (default 72 hours).
	MaxTotalBytes int64
	TTL           time.Duration
	// MaxFilesPerSession bounds the files one session may upload
	// (default 20), MaxSessionBytes their bytes (default 50 MiB);
	// UploadsPerMinute how fast, with as many at once (default 10).
	MaxFilesPerSession, UploadsPerMinute int
	MaxSessionBytes                      int64
	// IPFilesPerMinute and IPBytesPerHour are each client network's
	// budget, whatever its sessions (an IPv4 address, an IPv6 /64):
	// files a minute (default 30) and bytes an hour (default 100 MiB),
	// each with as much at once.
	IPFilesPerMinute int
	IPBytesPerHour   int64
	// IOTimeout bounds each call to the object store (default 10 s); a
	// download gets that plus time for the largest file at 16 KiB/s.
	IOTimeout time.Duration
	// WriteTimeout, when set, is the HTTP server's write timeout: a
	// download moves the connection's write deadline that far ahead at
	// every chunk, so the timeout bounds each chunk and not the whole
	// file. Leave it zero for a server without a write timeout.
	WriteTimeout time.Duration
	Logger       *slog.Logger
}

// Handler serves POST /v1/files and GET /v1/files/<id>.
type Handler struct {
	o   Options
	obs jetstream.ObjectStore
	// rate is each session's uploads a minute; ipFiles and ipBytes each
	// client network's budget.
	rate, ipFiles, ipBytes *buckets
	// noArchive is set once fromCore warned that the core has no
	// archive of its leaf nodes' files.
	noArchive atomic.Bool
}

// Attachment is what an upload answers: the object a widget puts in its
// next msg's attachments (widget protocol).
type Attachment struct {
	URL  string `json:"url"`
	MIME string `json:"mime"`
	Name string `json:"name"`
	Size int    `json:"size"`
}

// New opens the object store, creating it if needed, else updating its
// limits. It reads nothing else from the bucket: what each session holds
// is in Options.Index.
func New(ctx context.Context, o Options) (*Handler, error) {
	if o.JS == nil || o.Signer == nil || o.Index == nil {
		return nil, errors.New("files: JetStream, Signer and Index are required")
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 10 << 20
	}
	if o.LinkTTL <= 0 {
		o.LinkTTL = 15 * time.Minute
	}
	if o.UploadTTL <= 0 {
		o.UploadTTL = time.Hour
	}
	if o.MaxTotalBytes <= 0 {
		o.MaxTotalBytes = 1 << 30
	}
	if o.TTL <= 0 {
		o.TTL = 72 * time.Hour
	}
	if o.MaxFilesPerSession <= 0 {
		o.MaxFilesPerSession = 20
	}
	if o.MaxSessionBytes <= 0 {
		o.MaxSessionBytes = 50 << 20
	}
	if o.UploadsPerMinute <= 0 {
		o.UploadsPerMinute = 10
	}
	if o.IPFilesPerMinute <= 0 {
		o.IPFilesPerMinute = 30
	}
	if o.IPBytesPerHour <= 0 {
		o.IPBytesPerHour = 100 << 20
	}
	if o.ClientIP == nil {
		o.ClientIP = func(ctx *fasthttp.RequestCtx) string { return ctx.RemoteIP().String() }
	}
	if o.IOTimeout <= 0 {
		o.IOTimeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	obs, err := o.JS.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      Bucket,
		Description: "edgedesk: photos and PDFs customers attached to their chats",
		Storage:     jetstream.FileStorage,
		MaxBytes:    o.MaxTotalBytes,
		TTL:         o.TTL,
		Replicas:    max(o.Replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("files: object store %s: %w", Bucket, err)
	}
	perMinute := func(n int) *buckets { return newBuckets(float64(n)/60, float64(n), maxTracked) }
	return &Handler{o: o, obs: obs,
		rate:    perMinute(o.UploadsPerMinute),
		ipFiles: perMinute(o.IPFilesPerMinute),
		ipBytes: newBuckets(float64(o.IPBytesPerHour)/3600, float64(o.IPBytesPerHour), maxTracked),
	}, nil
}

// UploadToken is the token a session's widget uploads with.
func (h *Handler) UploadToken(sid string) string { return h.o.Signer.UploadToken(sid, h.o.UploadTTL) }

// Own returns the stored form of an attachment URL the customer of
// session sid sent: the unsigned path of one of that session's files. A
// file of this node is a path under PathPrefix, or an absolute URL to one
// with a signature (the link an upload answered with). ok is false for a
// file of another session, for a malformed file id, and for any other
// path on this node; an absolute URL elsewhere comes back unchanged.
func (h *Handler) Own(sid, raw string) (string, bool) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return raw, false
	case u.IsAbs() && (!strings.HasPrefix(u.Path, PathPrefix) || u.Query().Get("sig") == ""):
		return raw, true // a link elsewhere
	case !u.IsAbs() && !strings.HasPrefix(raw, PathPrefix):
		return raw, false // a node path that is not a file
	}
	owner, name, ok := strings.Cut(strings.TrimPrefix(u.Path, PathPrefix), "/")
	return PathPrefix + owner + "/" + name, ok && owner == sid && validName(name)
}

// validName reports whether name is a file id as newFileID makes them:
// no dot segments, slashes or escapes can ride along.
func validName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// Stat returns the file at stored (a path as Own returns it) as the node
// that stored it recorded it at upload: URL is stored, unsigned, and the
// type, name and size are those of what was stored — never what a client
// declares. A file this node does not hold is looked up at the core, as
// ServeFile does (remote.go): a widget that reconnected to this node may
// resend a message whose file it uploaded on another. It returns
// ErrNotFound for a file neither holds: never uploaded, past files.ttl,
// deleted with its session, or not at the core yet.
func (h *Handler) Stat(ctx context.Context, stored string) (Attachment, error) {
	id, ok := strings.CutPrefix(stored, PathPrefix)
	if !ok {
		return Attachment{}, fmt.Errorf("%w: %q is not a file of this node", ErrNotFound, stored)
	}
	info, err := h.obs.GetInfo(ctx, id)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		info, err = h.infoFromCore(ctx, id)
	}
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return Attachment{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return Attachment{}, fmt.Errorf("files: %s: %w", id, err)
	}
	return Attachment{URL: stored, MIME: info.Metadata["mime"], Name: info.Metadata["name"], Size: int(info.Size)}, nil
}

// Sign turns a stored attachment URL into a link that works for
// LinkTTL; other URLs come back unchanged.
func (h *Handler) Sign(stored string) string {
	id, ok := strings.CutPrefix(stored, PathPrefix)
	if !ok || strings.ContainsAny(id, "?#") {
		return stored
	}
	return h.o.Signer.Link(id, h.o.LinkTTL)
}

// ServeUpload is POST /v1/files.
func (h *Handler) ServeUpload(ctx *fasthttp.RequestCtx) {
	// Shops embed the widget from their own origin: the bearer token, not
	// cookies, authorises an upload, so any origin may send one.
	// (Deferred: ctx.Error resets the headers.)
	defer ctx.Response.Header.Set("Access-Control-Allow-Origin", "*")
	if ctx.IsOptions() {
		ctx.Response.Header.Set("Access-Control-Allow-Methods", "POST")
		ctx.Response.Header.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Edgedesk-Filename")
		ctx.Response.Header.Set("Access-Control-Max-Age", "600")
		ctx.SetStatusCode(fasthttp.StatusNoContent)
		return
	}
	if !ctx.IsPost() {
		ctx.Response.Header.Set("Allow", "POST")
		ctx.Error("method not allowed: POST a file\n", fasthttp.StatusMethodNotAllowed)
		return
	}
	token, _ := strings.CutPrefix(string(ctx.Request.Header.Peek("Authorization")), "Bearer ")
	sid, err := h.o.Signer.CheckUpload(token)
	if err != nil {
		ctx.Error("upload token missing, forged or expired: use welcome.upload of your session\n", fasthttp.StatusUnauthorized)
		return
	}
	now, client := time.Now(), network(h.o.ClientIP(ctx))
	if wait, ok := h.rate.take(sid, 1, now); !ok {
		tooMany(ctx, wait, fmt.Sprintf("uploading too fast: at most %d files a minute", h.o.UploadsPerMinute))
		return
	}
	if wait, ok := h.ipFiles.take(client, 1, now); !ok {
		h.o.Logger.Info("upload refused: files.ip_files_per_minute", "client", client, "session", sid)
		tooMany(ctx, wait, fmt.Sprintf("too many uploads from your network: at most %d files a minute", h.o.IPFilesPerMinute))
		return
	}
	body := ctx.PostBody()
	if len(body) > h.o.MaxBytes {
		ctx.Error(fmt.Sprintf("file too large: %d bytes, at most %d\n", len(body), h.o.MaxBytes), fasthttp.StatusRequestEntityTooLarge)
		return
	}
	if len(body) == 0 {
		ctx.Error("empty body: POST the file's bytes\n", fasthttp.StatusBadRequest)
		return
	}
	// The network's bytes are taken for what it sent, and given back
	// when nothing is stored.
	charged := float64(len(body))
	if wait, ok := h.ipBytes.take(client, charged, now); !ok {
		h.o.Logger.Info("upload refused: files.ip_bytes_per_hour", "client", client, "session", sid, "bytes", len(body))
		tooMany(ctx, wait, fmt.Sprintf("too much uploaded from your network: at most %d bytes an hour", h.o.IPBytesPerHour))
		return
	}
	stored := false
	defer func() {
		if !stored {
			h.ipBytes.give(client, charged)
		}
	}()
	mime := Sniff(body)
	if mime == "" {
		ctx.Error(ErrType.Error()+"\n", fasthttp.StatusUnsupportedMediaType)
		return
	}
	clean, err := Strip(mime, body)
	if err != nil {
		ctx.Error(err.Error()+"\n", fasthttp.StatusUnsupportedMediaType)
		return
	}
	name := cleanName(string(ctx.Request.Header.Peek("X-Edgedesk-Filename")), mime)
	fid := newFileID()
	id := sid + "/" + fid
	rctx, cancel := context.WithTimeout(context.Background(), h.o.IOTimeout)
	defer cancel()
	// Recorded before it is stored: no file in the bucket is unknown to
	// the index (a crash in between leaves a name that deletes nothing).
	switch held, err := h.reserve(rctx, sid, File{ID: fid, Size: int64(len(clean))}); {
	case errors.Is(err, ErrSessionFull):
		ctx.Error(fmt.Sprintf("this chat holds %d files, the most it may have\n", h.o.MaxFilesPerSession), fasthttp.StatusRequestEntityTooLarge)
		return
	case errors.Is(err, ErrSessionBytes):
		ctx.Error(fmt.Sprintf("this chat's files would take %d bytes, more than the %d it may have (it holds %d)\n", held+int64(len(clean)), h.o.MaxSessionBytes, held), fasthttp.StatusRequestEntityTooLarge)
		return
	case errors.Is(err, ErrNoSession):
		ctx.Error("the chat of this upload token has expired: reconnect for a new one\n", fasthttp.StatusGone)
		return
	case err != nil:
		h.o.Logger.Error("upload not recorded", "session", sid, "err", err)
		ctx.Error("file not stored; retry\n", fasthttp.StatusServiceUnavailable)
		return
	}
	meta := jetstream.ObjectMeta{Name: id, Metadata: map[string]string{"mime": mime, "name": name, "session": sid}}
	if _, err := h.obs.Put(rctx, meta, bytes.NewReader(clean)); err != nil {
		h.unreserve(sid, fid)
		if full(err) {
			h.o.Logger.Warn("upload refused: files.max_total_bytes reached", "session", sid)
			ctx.Error("the node's file store is full; try again later\n", fasthttp.StatusInsufficientStorage)
			return
		}
		h.o.Logger.Error("upload not stored", "session", sid, "err", err)
		ctx.Error("file not stored; retry\n", fasthttp.StatusServiceUnavailable)
		return
	}
	stored = true
	b, _ := json.Marshal(Attachment{URL: h.Sign(PathPrefix + id), MIME: mime, Name: name, Size: len(clean)})
	ctx.SetStatusCode(fasthttp.StatusCreated)
	ctx.SetContentType("application/json; charset=utf-8")
	ctx.SetBody(append(b, '\n'))
}

// tooMany answers 429 with msg and a Retry-After of wait.
func tooMany(ctx *fasthttp.RequestCtx, wait time.Duration, msg string) {
	secs := secondsUp(wait)
	ctx.Error(fmt.Sprintf("%s; retry in %d s\n", msg, secs), fasthttp.StatusTooManyRequests)
	ctx.Response.Header.Set("Retry-After", strconv.Itoa(secs)) // after Error, which resets the headers
}

// ServeFile is GET /v1/files/<id>?exp=…&sig=….
func (h *Handler) ServeFile(ctx *fasthttp.RequestCtx) {
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Error("method not allowed\n", fasthttp.StatusMethodNotAllowed)
		return
	}
	id := strings.TrimPrefix(string(ctx.Path()), PathPrefix)
	q := ctx.QueryArgs()
	if err := h.o.Signer.CheckLink(id, string(q.Peek("exp")), string(q.Peek("sig"))); err != nil {
		ctx.Error("link missing, forged or expired\n", fasthttp.StatusForbidden)
		return
	}
	dctx, cancel := downloadContext(h.o.IOTimeout, h.o.MaxBytes)
	slow := time.AfterFunc(h.o.IOTimeout, cancel) // finding the file gets IOTimeout
	res, err := h.obs.Get(dctx, id)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		res, err = h.fromCore(dctx, id) // another node's file (remote.go)
	}
	if !slow.Stop() && err == nil {
		res.Close()
		err = context.DeadlineExceeded
	}
	if err != nil {
		cancel()
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			ctx.Error("no such file\n", fasthttp.StatusNotFound)
			return
		}
		ctx.Error("file unavailable; retry\n", fasthttp.StatusServiceUnavailable)
		return
	}
	body := &download{res: res, cancel: cancel, conn: ctx.Conn(), writeIdle: h.o.WriteTimeout}
	info, err := res.Info()
	if err != nil {
		body.Close()
		ctx.Error("file unavailable; retry\n", fasthttp.StatusServiceUnavailable)
		return
	}
	mime := info.Metadata["mime"]
	ctx.SetContentType(mime)
	ctx.Response.Header.Set("Cache-Control", "private, max-age=300")
	ctx.Response.Header.Set("X-Content-Type-Options", "nosniff")
	ctx.Response.Header.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	disp := "inline"
	if mime == MIMEPDF {
		disp = "attachment"
	}
	ctx.Response.Header.Set("Content-Disposition", disp+"; filename*=UTF-8''"+url.PathEscape(info.Metadata["name"]))
	ctx.SetBodyStream(body, int(info.Size)) // fasthttp closes it
}

// full reports whether err is JetStream refusing a write past the
// bucket's MaxBytes (a store failure, 10077, that says so).
func full(err error) bool {
	var ae *jetstream.APIError
	return errors.As(err, &ae) && ae.ErrorCode == 10077 && strings.Contains(ae.Description, "maximum bytes")
}

// cleanName keeps a display name: the base name, printable, at most 128
// bytes, with an extension that matches the content.
func cleanName(raw, mime string) string {
	if s, err := url.PathUnescape(raw); err == nil {
		raw = s
	}
	if i := strings.LastIndexAny(raw, `/\`); i >= 0 {
		raw = raw[i+1:]
	}
	raw = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7F || r == '"' {
			return -1
		}
		return r
	}, raw)
	for len(raw) > 128 {
		_, n := utf8.DecodeLastRuneInString(raw)
		raw = raw[:len(raw)-n]
	}
	ext := map[string]string{MIMEJPEG: ".jpg", MIMEPNG: ".png", MIMEWebP: ".webp", MIMEPDF: ".pdf"}[mime]
	base := strings.TrimSuffix(raw, extOf(raw))
	if base == "" {
		base = "file"
	}
	return base + ext
}

func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return name[i:]
	}
	return ""
}

func newFileID() string {
	var b [12]byte
	rand.Read(b[:])
	return "f" + strconv.FormatInt(time.Now().Unix(), 36) + b64.EncodeToString(b[:])
}
