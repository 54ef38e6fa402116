//go:build linux

package main

import (
	"context"
	"runtime"
	"slices"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"
)

// pacerWriteTimeout bounds one write by a pacer. A pacer serves many
// sessions, so one stuck socket must not hold the others for long.
const pacerWriteTimeout = 2 * time.Second

// timerSlackNs is the timer slack asked for on pacer threads (the Linux
// default is 50µs).
const timerSlackNs = 5000

// pace sends the messages of sessions in due-time order from one locked OS
// thread. All schedules share one interval, so sorting the sessions by
// their first due time gives the order of every round.
//
// Go's timers wake a goroutine up to a millisecond late when the process is
// otherwise idle (the netpoller sleeps in whole milliseconds), which would
// add up to 1 ms to every measured latency. A pacer therefore sleeps coarse
// with time.Sleep and then exactly with nanosleep(2), and writes itself
// instead of waking another goroutine. It never waits for responses.
func (r *runner) pace(ctx context.Context, sessions []*session) {
	defer r.senders.Done()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// PR_SET_TIMERSLACK applies to this thread only; failure only costs
	// precision.
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, 29 /* PR_SET_TIMERSLACK */, timerSlackNs, 0)

	type plan struct {
		s   *session
		sch *schedule
	}
	plans := make([]plan, 0, len(sessions))
	for _, s := range sessions {
		plans = append(plans, plan{s, s.sched.Load()})
	}
	slices.SortFunc(plans, func(a, b plan) int { return int(a.sch.first - b.sch.first) })
	buf := make([]byte, 0, 64+len(r.text))
	for k := 0; ; k++ {
		more := false
		for _, p := range plans {
			s, sch := p.s, p.sch
			if k >= sch.count || s.writeErr != nil {
				continue
			}
			more = true
			at := sch.at(k)
			if !sleepUntil(ctx, at) {
				return
			}
			now := mono()
			sch.wrote[k].Store(now)
			buf = appendMsg(buf[:0], s.id, k, r.text)
			_ = s.conn.SetWriteDeadline(time.Now().Add(pacerWriteTimeout))
			if err := s.conn.WriteMessage(websocket.TextMessage, buf); err != nil {
				s.writeErr = err
				continue
			}
			s.sent++
			r.sent.Add(1)
			if sch.measured(at) {
				s.sentMeasured++
				s.lag = append(s.lag, now-at)
			}
		}
		if !more {
			return
		}
	}
}

// sleepUntil waits until the monotonic time due, or until ctx is done, and
// reports whether due was reached.
func sleepUntil(ctx context.Context, due int64) bool {
	for {
		if ctx.Err() != nil {
			return false
		}
		d := due - mono()
		if d <= 0 {
			return true
		}
		if d > int64(2*time.Millisecond) {
			time.Sleep(time.Duration(d) - time.Millisecond)
			continue
		}
		ts := syscall.NsecToTimespec(d)
		_ = syscall.Nanosleep(&ts, nil)
	}
}
