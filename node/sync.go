package node

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/audit"
	"github.com/edgedesk/edgedesk/node/corelink"
	"github.com/edgedesk/edgedesk/node/relay"
)

// openLink opens the node's link to the core (node/corelink): the
// embedded nats-server or a connection to the core, the outbox
// publisher and the updates watcher.
func (n *Node) openLink() error {
	l, err := corelink.New(corelink.Options{
		NATS: n.cfg.NATS, DataDir: n.cfg.DataDir, Store: n.store,
		EncryptionKey: n.storeKey, OldEncryptionKey: n.firstOldKey(), Applier: n, Logger: n.log, Registry: n.reg,
		MQTT: mqttServerOptions(n.cfg),
	})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	n.link = l
	return nil
}

// coreReplicas is the replicas of what the node keeps in the core's
// JetStream when it has one (the audit log, the figures), else in its
// own: nats.replicas at a core, 1 on the embedded server.
func (n *Node) coreReplicas() int {
	if n.link.CoreJetStream() != nil {
		return n.cfg.NATS.Replicas
	}
	return 1
}

// startRelay lets routing reach the agents of other nodes (when there is
// a core to share presence through).
func (n *Node) startRelay() error {
	if n.link == nil || n.link.Relay() == nil {
		return nil
	}
	r := relay.New(relay.Options{
		Transport: n.link.Relay(), Store: n.store, Router: n.router, Node: n.cfg.NATS.NodeName(), Logger: n.log.With("component", "relay"),
	})
	if err := n.link.ServeRelay(r, r.Local, r.Update); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	n.relayPtr.Store(r)
	n.router.SetRemote(r)
	n.store.AddObserver(r)
	return nil
}

// ApplyFAQ implements edgesync.Applier: the core's FAQ replaces the local
// one atomically, as a new version.
func (n *Node) ApplyFAQ(name string, data []byte) error {
	f, err := pickFormat(name, "")
	if err != nil {
		return err
	}
	v, err := n.faq.Import(bytes.NewReader(data), f)
	if err != nil {
		return err
	}
	n.log.Info("FAQ from the core", "version", v, "entries", n.faq.Len())
	n.recordAudit(audit.Entry{Actor: "core", Action: audit.ActionFAQImport, Target: "faq v" + strconv.FormatUint(v, 10), From: "core",
		Details: map[string]string{"entries": strconv.Itoa(n.faq.Len()), "file": name}})
	return nil
}

// ApplyRouting implements edgesync.Applier.
func (n *Node) ApplyRouting(data []byte) error {
	r, err := config.ParseRouting(data)
	if err == nil {
		err = n.ReloadRouting(r)
	}
	n.recordAudit(ReloadEntry(audit.ActionRoutingReload, "core", err))
	return err
}

// ApplyModel implements edgesync.Applier: the core's model is written to
// data_dir/models/core.onnx and hot-swapped; connections stay up. A model
// that does not load leaves the running one.
func (n *Node) ApplyModel(data []byte) error {
	err := n.enrich.ApplyModel(data)
	n.recordAudit(ReloadEntry(audit.ActionModelReload, "core", err))
	return err
}

// ReloadEntry is the audit entry of a routing or model reload by actor
// ("core", "signal"): its outcome in Details.
func ReloadEntry(action, actor string, err error) audit.Entry {
	e := audit.Entry{Actor: actor, Action: action, From: actor, Details: map[string]string{"outcome": "applied"}}
	if err != nil {
		e.Details = map[string]string{"outcome": "failed", "error": audit.Truncate(err.Error(), audit.MaxDetail)}
	}
	return e
}
