//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"
)

// epoch is the origin of mono.
var epoch = time.Now()

// mono returns monotonic nanoseconds since the process started.
func mono() int64 { return int64(time.Since(epoch)) }

// writeTimeout bounds every write to a session.
const writeTimeout = 10 * time.Second

// schedule is one session's send plan: message k is due at first+k*interval
// (monotonic nanoseconds). It is immutable once published, except for wrote.
type schedule struct {
	first       int64
	interval    int64
	count       int
	measureFrom int64 // messages due in [measureFrom, measureTo) are measured
	measureTo   int64
	wrote       []atomic.Int64 // when message k was handed to the socket; 0 if not yet
}

// at returns the time message k is due.
func (s *schedule) at(k int) int64 { return s.first + int64(k)*s.interval }

// measured reports whether t lies in the measurement window.
func (s *schedule) measured(t int64) bool { return t >= s.measureFrom && t < s.measureTo }

// session is one WebSocket session. The reader and sender fields are each
// owned by their goroutine until it exits; the runner reads them afterwards.
type session struct {
	id    int
	src   netip.Addr
	conn  *websocket.Conn
	sched atomic.Pointer[schedule]

	// Owned by readLoop.
	lat, svc     []int64 // response latency from due time and from write time, ns
	got          []uint64
	resp         int64 // responses matched to a sent message
	respInWindow int64 // of those, received inside the measurement window
	dup          int64
	unknown      int64
	nodeMsgs     int64
	other        int64
	unparsed     int64
	errCodes     map[string]int
	readErr      error

	// Owned by readLoop, with -answers only.
	pending          map[uint64]int // receipt seq → message k, until the answer comes
	untracked        int64          // receipts not put in pending because it was full
	ansLat           []int64        // answer latency from due time, ns
	answers          int64          // bot answers matched to a receipted message
	answersInWindow  int64          // of those, received inside the measurement window
	answersUnmatched int64          // bot answers whose reply_to matched no pending receipt

	// Owned by sendLoop.
	lag          []int64 // write time minus due time, ns
	sent         int64
	sentMeasured int64
	writeErr     error
}

// stageError is a session failure and the stage it happened in.
type stageError struct {
	stage string
	err   error
}

func (e *stageError) Error() string { return e.stage + ": " + e.err.Error() }
func (e *stageError) Unwrap() error { return e.err }

// maxPending bounds a session's map of receipted messages awaiting the bot's
// answer.
const maxPending = 4096

// errRefused is returned when the node answers hello with an error frame.
var errRefused = errors.New("hello refused")

// dial opens session id and completes the handshake: hello then welcome in
// protocol mode, or one hello frame and its echo in echo mode.
func (r *runner) dial(ctx context.Context, id int) (*session, error) {
	s := &session{id: id, src: r.cfg.sources[id%len(r.cfg.sources)]}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.handshakeTimeout)
	defer cancel()
	conn, resp, err := r.dialers[id%len(r.dialers)].DialContext(ctx, r.cfg.url, nil)
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, &stageError{"dial", err}
	}
	conn.SetReadLimit(1 << 20)
	deadline, _ := ctx.Deadline()
	_ = conn.SetWriteDeadline(deadline)
	if err := conn.WriteMessage(websocket.TextMessage, r.hello); err != nil {
		conn.Close()
		return nil, &stageError{"hello", err}
	}
	_ = conn.SetReadDeadline(deadline)
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			conn.Close()
			return nil, &stageError{"welcome", err}
		}
		f, ok := parseFrame(data)
		if !ok {
			continue
		}
		if f.Type == r.welcomeType {
			break
		}
		if f.Type == "error" {
			r.countErrorFrame(f.Code)
			conn.Close()
			return nil, &stageError{"welcome", fmt.Errorf("%w: %s", errRefused, f.Code)}
		}
	}
	_ = conn.SetReadDeadline(time.Time{})
	_ = conn.SetWriteDeadline(time.Time{})
	s.conn = conn
	return s, nil
}

// readLoop reads frames until the connection fails or is closed, matching
// responses to sent messages.
func (s *session) readLoop(r *runner) {
	defer r.readers.Done()
	buf := make([]byte, 0, 512)
	for {
		_, rd, err := s.conn.NextReader()
		if err == nil {
			buf, err = readInto(buf[:0], rd)
		}
		if err != nil {
			s.readErr = err
			if !r.closing.Load() {
				r.dropped.Add(1)
			}
			return
		}
		now := mono()
		f, ok := parseFrame(buf)
		switch {
		case !ok:
			s.unparsed++
		case f.Type == r.respType:
			if k, ok := s.onResponse(r, f.CID, now); ok && r.cfg.answers && f.Seq != 0 {
				s.track(r, f.Seq, k)
			}
		case r.cfg.answers && f.Type == "msg" && f.From == "bot" && f.ReplyTo != 0:
			s.onAnswer(r, f.ReplyTo, now)
		case f.Type == "error":
			if s.errCodes == nil {
				s.errCodes = make(map[string]int)
			}
			s.errCodes[f.Code]++
		case f.Type == "msg":
			s.nodeMsgs++
		default:
			s.other++
		}
	}
}

// onResponse records the response (receipt or echo) for message cid. It
// returns the message number when this is its first response.
func (s *session) onResponse(r *runner, cid string, now int64) (k int, first bool) {
	sch := s.sched.Load()
	sid, k, ok := parseCID(cid)
	if sch == nil || !ok || sid != s.id || k >= sch.count {
		s.unknown++
		return 0, false
	}
	if s.got == nil {
		s.got = make([]uint64, (sch.count+63)/64)
	}
	word, bit := k/64, uint64(1)<<(k%64)
	if s.got[word]&bit != 0 {
		s.dup++
		return 0, false
	}
	s.got[word] |= bit
	s.resp++
	r.received.Add(1)
	if sch.measured(now) {
		s.respInWindow++
	}
	if at := sch.at(k); sch.measured(at) {
		s.lat = append(s.lat, now-at)
		if w := sch.wrote[k].Load(); w > 0 {
			s.svc = append(s.svc, now-w)
		}
	}
	return k, true
}

// track remembers that message k was stored as seq, so that the bot's
// answer (reply_to seq) can be matched to it.
func (s *session) track(r *runner, seq uint64, k int) {
	if s.pending == nil {
		s.pending = make(map[uint64]int)
	}
	if len(s.pending) >= maxPending {
		s.untracked++
		return
	}
	s.pending[seq] = k
	r.awaiting.Add(1)
}

// onAnswer records the bot's answer to the customer message stored as seq:
// its latency from the due time of that message, with the receipts'
// measurement window.
func (s *session) onAnswer(r *runner, seq uint64, now int64) {
	k, ok := s.pending[seq]
	if !ok {
		s.answersUnmatched++
		return
	}
	delete(s.pending, seq)
	r.awaiting.Add(-1)
	r.answers.Add(1)
	s.answers++
	sch := s.sched.Load() // set: the message was receipted
	if sch.measured(now) {
		s.answersInWindow++
	}
	if at := sch.at(k); sch.measured(at) {
		s.ansLat = append(s.ansLat, now-at)
	}
}

// readInto appends everything r yields to dst.
func readInto(dst []byte, r io.Reader) ([]byte, error) {
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

// classify turns a session error into a short, stable key for counting.
func classify(err error) string {
	stage := "error"
	var se *stageError
	if errors.As(err, &se) {
		stage = se.stage
	}
	var ce *websocket.CloseError
	var reason string
	switch {
	case errors.Is(err, errRefused):
		reason = err.Error()[len(stage)+2:]
	case errors.As(err, &ce):
		reason = fmt.Sprintf("close %d", ce.Code)
	case errors.Is(err, websocket.ErrBadHandshake):
		reason = "bad handshake"
		if se != nil {
			reason = se.err.Error()
		}
	case errors.Is(err, syscall.ECONNREFUSED):
		reason = "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		reason = "connection reset"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		reason = "address not available (ephemeral ports exhausted?)"
	case errors.Is(err, syscall.EADDRINUSE):
		reason = "address in use"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		reason = "too many open files"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		reason = "timeout"
	case errors.Is(err, context.Canceled):
		reason = "cancelled"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		reason = "EOF"
	default:
		reason = err.Error()
		if len(reason) > 80 {
			reason = reason[:80]
		}
	}
	return stage + ": " + reason
}
