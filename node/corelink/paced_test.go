package corelink

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edgedesk/edgedesk/node/session"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// counter reads the value of counter name (labels match) from reg.
func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no %s%v", name, labels)
	return 0
}

// TestPacedLiveTraffic: live traffic (a steady trickle, never a backlog)
// towards a server that syncs every store goes out paced, in atomic
// batches: every message reaches the stream once and in order, with far
// fewer of the server's fsyncs than events; a node that publishes
// unpaced pays one per event.
func TestPacedLiveTraffic(t *testing.T) {
	const sessions, per = 40, 25 // 1,000 messages
	for _, tc := range []struct {
		name     string
		pace     time.Duration
		maxSyncs float64 // per event
		minSyncs float64
	}{
		{"unpaced", 0, 1, 1},
		{"paced", 50 * time.Millisecond, 0.5, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			addr := freePort(t)
			core := startCore(t, filepath.Join(dir, "core"), addr)
			defer core.Shutdown()
			_, js := connect(t, addr)
			ctx := context.Background()
			if err := edgesync.EnsureStream(ctx, js, 1); err != nil {
				t.Fatal(err)
			}
			st := openStore(t, filepath.Join(dir, "edge"))
			ids := make([]string, sessions)
			for i := range ids {
				m, err := st.Create(ctx, session.Meta{Channel: "web"})
				if err != nil {
					t.Fatal(err)
				}
				ids[i] = m.ID
			}
			reg := prometheus.NewRegistry()
			pub := edgesync.NewPublisher(edgesync.PublisherOptions{Outbox: outbox{st}, JS: js, Node: "edge1", Registry: reg,
				SyncedStore: true, Pace: tc.pace})
			pctx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- pub.Run(pctx) }()
			defer func() {
				stop()
				if err := <-done; err != nil {
					t.Error(err)
				}
			}()
			// Nothing is ever in neither place: an outbox entry is deleted
			// only once the stream holds (has synced) its event. Events
			// committed by t0 are in the outbox at t1 >= t0 or deleted,
			// hence in the stream by t1 <= t2, and the stream only grows.
			var committed atomic.Int64
			committed.Store(sessions) // the creations' meta events
			st1, err := js.Stream(ctx, edgesync.Stream)
			if err != nil {
				t.Fatal(err)
			}
			watchDone := make(chan struct{})
			stopWatch := make(chan struct{})
			go func() {
				defer close(watchDone)
				for {
					select {
					case <-stopWatch:
						return
					case <-time.After(3 * time.Millisecond):
					}
					c := committed.Load()
					depth := st.OutboxDepth()
					info, err := st1.Info(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					if int64(info.State.Msgs)+depth < c {
						t.Errorf("%d events committed, %d in the outbox, %d in the stream: some deleted before the stream had them", c, depth, info.State.Msgs)
						return
					}
				}
			}()
			// Live traffic: a message to each session every 20 ms, each
			// round stored before the next (a backlog never builds up).
			for k := 0; k < sessions*per; k += sessions {
				var wg sync.WaitGroup
				failed := make(chan error, sessions)
				for i := range sessions {
					wg.Add(1)
					m := session.Message{Session: ids[i], From: session.FromCustomer, CID: fmt.Sprint("c", k+i), Text: "hello"}
					if err := st.Submit(ctx, m, 0, func(r session.Result) {
						if r.Err != nil {
							failed <- r.Err
						} else {
							committed.Add(1)
						}
						wg.Done()
					}); err != nil {
						t.Fatal(err)
					}
				}
				wg.Wait()
				select {
				case err := <-failed:
					t.Fatal(err)
				default:
				}
				time.Sleep(20 * time.Millisecond)
			}
			deadline := time.Now().Add(30 * time.Second)
			for st.OutboxDepth() > 0 {
				if time.Now().After(deadline) {
					t.Fatalf("outbox not drained: %d left", st.OutboxDepth())
				}
				time.Sleep(10 * time.Millisecond)
			}
			close(stopWatch)
			<-watchDone
			got := archive(t, js, sessions*per)
			for _, sid := range ids {
				seqs := got[sid]
				if len(seqs) != per {
					t.Fatalf("session %s: %d messages in the stream, want %d", sid, len(seqs), per)
				}
				for i, s := range seqs {
					if s != uint64(i+1) {
						t.Fatalf("session %s: position %d holds seq %d", sid, i, s)
					}
				}
			}
			events := counter(t, reg, "edgedesk_sync_published_total", nil)
			syncs := counter(t, reg, "edgedesk_fsyncs_total", map[string]string{"layer": "jetstream"})
			t.Logf("%s: %.0f events published with %.0f fsyncs of the server", tc.name, events, syncs)
			if per := syncs / events; per > tc.maxSyncs || per < tc.minSyncs {
				t.Errorf("%.3f fsyncs per event, want %.2f to %.2f", per, tc.minSyncs, tc.maxSyncs)
			}
		})
	}
}
