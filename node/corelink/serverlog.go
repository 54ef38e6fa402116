package corelink

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"
)

// serverLog passes the embedded nats-server's warnings and errors to the
// node's log: above all a leaf connection the core refuses (credentials,
// TLS), which nothing else reports. The leaf retries four times a second,
// so a message equal to the last one (connection ids aside) is dropped
// for repeatEvery. Notices go to debug; debug and trace are off.
type serverLog struct {
	log *slog.Logger

	mu   sync.Mutex
	last string
	at   time.Time
}

const repeatEvery = time.Minute

// connIDs are the per-connection parts of nats-server's messages
// ("127.0.0.1:7422 - lid:12 - …"), which change on every attempt.
var connIDs = regexp.MustCompile(`\b(cid|lid|rid|gid|jsa|mid):\d+\b`)

func (l *serverLog) emit(level slog.Level, format string, v []any) {
	msg := fmt.Sprintf(format, v...)
	if level >= slog.LevelWarn {
		key := connIDs.ReplaceAllString(msg, "")
		l.mu.Lock()
		now := time.Now()
		if key == l.last && now.Sub(l.at) < repeatEvery {
			l.mu.Unlock()
			return
		}
		l.last, l.at = key, now
		l.mu.Unlock()
	}
	l.log.Log(context.Background(), level, "nats-server: "+msg)
}

func (l *serverLog) Noticef(format string, v ...any) { l.emit(slog.LevelDebug, format, v) }
func (l *serverLog) Warnf(format string, v ...any)   { l.emit(slog.LevelWarn, format, v) }
func (l *serverLog) Fatalf(format string, v ...any)  { l.emit(slog.LevelError, format, v) }
func (l *serverLog) Errorf(format string, v ...any)  { l.emit(slog.LevelError, format, v) }
func (l *serverLog) Debugf(format string, v ...any)  {}
func (l *serverLog) Tracef(format string, v ...any)  {}
