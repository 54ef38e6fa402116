package node

import (
	"io"
	"net"
	"testing"
	"time"
)

// Closing lingering connections does not wait for peers that never close
// their side (fasthttp closes idle connections one by one at shutdown):
// each peer gets the FIN at once, and 20 such closes take far less than
// the 20 × lingerTime they would take if each waited.
func TestLingerCloseDoesNotWaitForPeer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ll := lingerListener{ln}
	const n = 20
	peers := make([]net.Conn, n)
	conns := make([]net.Conn, n)
	for i := range n {
		if peers[i], err = net.Dial("tcp", ln.Addr().String()); err != nil {
			t.Fatal(err)
		}
		defer peers[i].Close() // the peers never close before the end
		if conns[i], err = ll.Accept(); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	for _, c := range conns {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took > n*lingerTime/4 {
		t.Fatalf("closing %d connections took %v: Close waits for the peers", n, took)
	}
	for i, p := range peers {
		p.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := p.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("peer %d: %v, want EOF (the node's FIN)", i, err)
		}
	}
}
