package mqtt

import (
	"context"

	"github.com/edgedesk/edgedesk/node/gateway"
	"github.com/edgedesk/edgedesk/node/session"
)

// Deliver implements session.Subscriber: called on the committer in seq
// order for messages, and for transient signals. It never blocks: a client
// that cannot keep up is dropped (the app resumes with hello and gets the
// gap from the store).
func (c *client) Deliver(ev *session.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if c.replaying {
		if len(c.pending) >= c.b.o.Gateway.SendQueue {
			go c.b.drop(c, "slow")
			return
		}
		c.pending = append(c.pending, ev)
		return
	}
	c.deliverLocked(ev)
}

func (c *client) deliverLocked(ev *session.Event) {
	switch ev.Kind {
	case session.EventMessage:
		if ev.Msg.Seq <= c.cursor {
			return // already replayed
		}
		c.cursor = ev.Msg.Seq
		c.enqueueLocked(gateway.AppendMsg(nil, ev.Msg, c.b.o.Sign))
	case session.EventTyping:
		c.enqueueLocked(gateway.AppendTyping(nil, ev.From, ev.On))
	case session.EventQueue:
		c.enqueueLocked(gateway.AppendQueue(nil, ev.Position, ev.ETASec, ev.Group))
	}
}

func (c *client) enqueue(frame []byte) {
	c.mu.Lock()
	c.enqueueLocked(frame)
	c.mu.Unlock()
}

// enqueueLocked queues a frame and starts a flusher if none runs. A client
// whose queue is full is too slow to keep: it is dropped.
func (c *client) enqueueLocked(frame []byte) {
	if c.closed {
		return
	}
	if len(c.queue) >= c.b.o.Gateway.SendQueue {
		go c.b.drop(c, "slow")
		return
	}
	c.queue = append(c.queue, outFrame{gen: c.gen, data: frame})
	if !c.flushing {
		c.flushing = true
		go c.flush()
	}
}

// enqueueWait queues a frame of a replay, waiting while the queue is full
// rather than dropping the client: the replay runs at the pace the app
// reads. false: the client closed.
func (c *client) enqueueWait(frame []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.queue) >= c.b.o.Gateway.SendQueue && !c.closed {
		c.cond.Wait()
	}
	if c.closed {
		return false
	}
	c.enqueueLocked(frame)
	return true
}

// flush publishes the queue in order, a batch at a time: the server
// stores a connection's publishes in the order sent, so the app receives
// the frames in the order queued.
func (c *client) flush() {
	for {
		c.mu.Lock()
		q := c.queue
		c.queue = nil
		c.cond.Broadcast()
		if len(q) == 0 || c.closed {
			c.flushing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		if err := c.publish(q); err != nil {
			// The app reads its gap from the store when it resumes.
			c.b.log.Debug("mqtt frames not published; dropping the client", "subject", c.out, "err", err)
			c.b.drop(c, "publish")
			c.mu.Lock()
			c.flushing = false
			c.mu.Unlock()
			return
		}
	}
}

// outFrame is a queued frame and the generation of the connection it was
// queued for.
type outFrame struct {
	gen  uint64
	data []byte
}

// publish publishes the frames of q queued since the last hello: the app
// that said hello again reads its gap from the store, and the frames meant
// for its previous connection would arrive after its subscription as
// duplicates.
func (c *client) publish(q []outFrame) error {
	c.pubMu.Lock()
	defer c.pubMu.Unlock()
	c.mu.Lock()
	gen := c.gen
	c.mu.Unlock()
	frames := make([][]byte, 0, len(q))
	for _, f := range q {
		if f.gen == gen {
			frames = append(frames, f.data)
		}
	}
	if len(frames) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.b.o.Gateway.WriteTimeout)
	defer cancel()
	return c.b.publish(ctx, c.out, frames)
}

// newGeneration starts a connection anew (hello): the frames queued for
// the previous one are dropped, and once it returns none of them is being
// published.
func (c *client) newGeneration() {
	c.mu.Lock()
	c.gen++
	c.queue = nil
	c.cond.Broadcast()
	c.mu.Unlock()
	c.pubMu.Lock()
	c.pubMu.Unlock() //nolint:staticcheck // waits for the publish in progress
}
