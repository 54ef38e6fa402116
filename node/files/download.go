package files

import (
	"context"
	"net"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// minDownloadRate is the slowest a download may average: the object
// store's context for one allows the largest upload at this rate (plus
// IOTimeout), so a slow phone still gets a large PDF.
const minDownloadRate = 16 << 10 // bytes a second

// download is the body stream of GET /v1/files/<id>: the object read from
// the store as the client takes it, never whole in memory. fasthttp calls
// Close once the body is written or the response dropped, which ends the
// object store's context.
type download struct {
	res    jetstream.ObjectResult
	cancel context.CancelFunc
	// conn's write deadline moves writeIdle ahead at every read, when
	// writeIdle is set: the server's write timeout then bounds each chunk,
	// not the whole file, so a slow download goes on while it moves.
	conn      net.Conn
	writeIdle time.Duration
}

// downloadContext is the object store's context for a download of at
// most maxBytes; its cancel runs on download.Close, not when the handler
// returns.
func downloadContext(ioTimeout time.Duration, maxBytes int) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), ioTimeout+time.Duration(maxBytes/minDownloadRate)*time.Second)
}

func (d *download) Read(p []byte) (int, error) {
	n, err := d.res.Read(p)
	if n > 0 && d.writeIdle > 0 && d.conn != nil {
		d.conn.SetWriteDeadline(time.Now().Add(d.writeIdle))
	}
	return n, err
}

// Close ends the read and its context.
func (d *download) Close() error {
	err := d.res.Close()
	d.cancel()
	return err
}
