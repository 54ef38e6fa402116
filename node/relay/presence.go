package relay

import (
	"encoding/json"
	"time"

	"github.com/edgedesk/edgedesk/node/routing"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

type remoteNode struct {
	seen   time.Time // when received (this node's clock)
	groups []routing.GroupPresence
}

// presenceDoc is a node's value in the presence bucket.
type presenceDoc struct {
	Node   string                  `json:"node"`
	At     time.Time               `json:"at"`
	Groups []routing.GroupPresence `json:"groups"`
}

// Local is this node's presence document (edgesync.Presence.Local).
func (r *Relay) Local() []byte {
	r.rebuild() // drops nodes gone silent, at the publishing pace
	b, _ := json.Marshal(presenceDoc{Node: r.node, At: time.Now().UTC(), Groups: r.router.Presence()})
	return b
}

// Update takes another node's presence, nil when it was deleted
// (edgesync.Presence.Update).
func (r *Relay) Update(node string, value []byte) {
	r.mu.Lock()
	if value == nil {
		delete(r.nodes, node)
	} else {
		var doc presenceDoc
		if err := json.Unmarshal(value, &doc); err != nil {
			r.mu.Unlock()
			r.log.Warn("presence unreadable", "node", node, "err", err)
			return
		}
		for i := range doc.Groups {
			doc.Groups[i].Node = node
		}
		r.nodes[node] = remoteNode{seen: time.Now(), groups: doc.Groups}
	}
	r.mu.Unlock()
	r.rebuild()
}

// rebuild refreshes the snapshot routing reads under its lock.
func (r *Relay) rebuild() {
	r.mu.Lock()
	var all []routing.GroupPresence
	for name, rn := range r.nodes {
		if time.Since(rn.seen) > edgesync.PresenceTTL {
			delete(r.nodes, name)
			continue
		}
		all = append(all, rn.groups...)
	}
	r.mu.Unlock()
	r.groups.Store(&all)
	r.built.Store(time.Now().UnixNano())
}

// Groups implements routing.Remote. A snapshot not rebuilt for a TTL (the
// presence watch stopped) is not trusted.
func (r *Relay) Groups() []routing.GroupPresence {
	if time.Since(time.Unix(0, r.built.Load())) > edgesync.PresenceTTL {
		return nil
	}
	return *r.groups.Load()
}
