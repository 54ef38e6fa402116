package edgesync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// RelayPrefix starts the subjects of requests between nodes:
// edgedesk.relay.<node>.<op>. They are plain NATS request/reply (they
// cross leaf-node links like any subject); what they carry is already
// durable at the sender, and an unanswered request is the sender's to
// retry or give up.
const RelayPrefix = "edgedesk.relay."

// RelayHandler answers the requests other nodes send this one: op names
// the request, from the sending node.
type RelayHandler interface {
	HandleRelay(ctx context.Context, from, op string, data []byte) ([]byte, error)
}

// Relay carries requests between nodes: Request and Send reach other
// nodes, Serve answers theirs. It is safe for concurrent use.
type Relay struct {
	nc      *nats.Conn
	node    string
	log     *slog.Logger
	timeout time.Duration

	mu     sync.Mutex
	h      RelayHandler       // guarded by mu
	sub    *nats.Subscription // guarded by mu
	closed bool               // guarded by mu
}

// relayFrom carries the sending node's name.
const relayFrom = "Edgedesk-From"

// NewRelay returns node's end of the relay over nc. It answers nothing
// until Serve.
func NewRelay(nc *nats.Conn, node string, log *slog.Logger) *Relay {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Relay{nc: nc, node: node, log: log, timeout: 5 * time.Second}
}

// Serve subscribes node's relay subjects; h answers them until Close. It
// may be called once.
func (r *Relay) Serve(h RelayHandler) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return fmt.Errorf("%w: closed", ErrRelay)
	case r.sub != nil:
		return fmt.Errorf("%w: already served", ErrRelay)
	}
	r.h = h
	// Each request is answered on its own goroutine: a node is both the
	// customer's node for some chats and the serving node for others, and
	// answering one request may take another (a gap in a mirror).
	sub, err := r.nc.Subscribe(RelayPrefix+r.node+".*", func(m *nats.Msg) { go r.serve(m) })
	if err != nil {
		return fmt.Errorf("edgesync: relay subscription: %w", err)
	}
	r.sub = sub
	return nil
}

// Close stops answering; requests from this node still go out. It is
// idempotent.
func (r *Relay) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	if r.sub == nil {
		return nil
	}
	if err := r.sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		return fmt.Errorf("edgesync: relay unsubscribe: %w", err)
	}
	return nil
}

type relayReply struct {
	OK    json.RawMessage `json:"ok,omitempty"`
	Error string          `json:"error,omitempty"`
}

func (r *Relay) serve(m *nats.Msg) {
	op := m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]
	from := m.Header.Get(relayFrom)
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	r.mu.Lock()
	h := r.h
	r.mu.Unlock()
	out, err := h.HandleRelay(ctx, from, op, m.Data)
	if m.Reply == "" {
		if err != nil {
			r.log.Warn("relay message not applied", "from", from, "op", op, "err", err)
		}
		return
	}
	rep := relayReply{OK: out}
	if err != nil {
		rep = relayReply{Error: err.Error()}
	} else if len(out) == 0 {
		rep.OK = json.RawMessage("true")
	}
	b, _ := json.Marshal(rep)
	if err := m.Respond(b); err != nil {
		r.log.Warn("relay reply not sent", "from", from, "op", op, "err", err)
	}
}

func (r *Relay) msg(node, op string, data []byte) *nats.Msg {
	m := nats.NewMsg(RelayPrefix + node + "." + op)
	m.Header.Set(relayFrom, r.node)
	m.Data = data
	return m
}

// Request sends op to node and returns its answer.
func (r *Relay) Request(ctx context.Context, node, op string, data []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	resp, err := r.nc.RequestMsgWithContext(ctx, r.msg(node, op, data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s to %s: %w", ErrRelay, op, node, err)
	}
	var rep relayReply
	if err := json.Unmarshal(resp.Data, &rep); err != nil {
		return nil, fmt.Errorf("%w: %s to %s: bad reply: %w", ErrRelay, op, node, err)
	}
	if rep.Error != "" {
		return nil, fmt.Errorf("%w: %s to %s: %s", ErrRelay, op, node, rep.Error)
	}
	return rep.OK, nil
}

// Send sends op to node without waiting (what it carries can be fetched
// again: message pushes, typing).
func (r *Relay) Send(node, op string, data []byte) error {
	return r.nc.PublishMsg(r.msg(node, op, data))
}

// PresenceBucket is the KV bucket in which every node publishes its agent
// groups (hours, languages, skills, agents online, free capacity), key
// = node name. Entries older than PresenceTTL are ignored and expire.
const PresenceBucket = "EDGEDESK_PRESENCE"

// PresenceTTL is how long a node's presence counts without a refresh.
const PresenceTTL = 15 * time.Second

// Presence publishes this node's presence and watches the others'.
type Presence struct {
	JS   jetstream.JetStream
	Node string
	// Local returns this node's presence (JSON), published every Every
	// (default PresenceTTL/3).
	Local func() []byte
	Every time.Duration
	// Update is called with each node's latest presence (nil: gone).
	Update func(node string, value []byte)
	Logger *slog.Logger
	// Replicas is how many servers of the core's cluster keep the bucket
	// (below 1: one).
	Replicas int

	mu sync.Mutex
	kv jetstream.KeyValue
}

// Run publishes and watches until ctx is done, retrying while the core is
// unreachable.
func (p *Presence) Run(ctx context.Context) error {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Every <= 0 {
		p.Every = PresenceTTL / 3
	}
	retry(ctx, p.Logger, "presence unavailable; routing to this node's agents only", func() error { return p.run(ctx) })
	return nil
}

// run publishes and watches until ctx is done (nil) or the bucket or its
// watch fails.
func (p *Presence) run(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	kv, err := p.JS.CreateOrUpdateKeyValue(cctx, jetstream.KeyValueConfig{
		Bucket: PresenceBucket, Description: "edgedesk: each node's agent groups, hours and load",
		History: 1, TTL: PresenceTTL, Storage: jetstream.MemoryStorage, Replicas: max(p.Replicas, 1),
	})
	cancel()
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.kv = kv
	p.mu.Unlock()
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("edgesync: presence watch: %w", err)
	}
	defer w.Stop()
	tick := time.NewTicker(p.Every)
	defer tick.Stop()
	p.Publish(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			p.Publish(ctx)
		case e, ok := <-w.Updates():
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return errors.New("edgesync: presence watch ended")
			}
			if e == nil || e.Key() == p.Node {
				continue // nil: the initial values are in
			}
			if e.Operation() != jetstream.KeyValuePut {
				p.Update(e.Key(), nil)
				continue
			}
			p.Update(e.Key(), e.Value())
		}
	}
}

// Publish puts this node's presence now (after a change worth telling).
func (p *Presence) Publish(ctx context.Context) {
	p.mu.Lock()
	kv := p.kv
	p.mu.Unlock()
	if kv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := kv.Put(ctx, p.Node, p.Local()); err != nil && ctx.Err() == nil {
		p.Logger.Debug("presence not published", "err", err)
	}
}
