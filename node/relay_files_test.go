package node

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/files"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// TestRelayedAttachment: a Spanish customer on node A, whose chat is
// relayed to B's agent, attaches a photo uploaded to A. The agent gets
// the attachment as a link signed by B, and B serves the photo's bytes,
// though A stored it: through the core. Two topologies: leaf nodes of a
// core (each its own JetStream domain; the core archives their uploads,
// which takes a moment, so the link is polled), and clients of one core
// (one bucket at the core).
func TestRelayedAttachment(t *testing.T) {
	for _, leaf := range []bool{true, false} {
		name := map[bool]string{true: "leaf nodes", false: "clients of a core"}[leaf]
		t.Run(name, func(t *testing.T) { relayedAttachment(t, leaf) })
	}
}

func relayedAttachment(t *testing.T, leaf bool) {
	clientAddr, leafAddr := freeTCP(t), freeTCP(t)
	core, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: filepath.Join(t.TempDir(), "core"), Listen: clientAddr, LeafListen: leafAddr, SyncAlways: true, Domain: "core"})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Shutdown()
	node := func(name string, groups func([]config.AgentGroup) []config.AgentGroup) func(*config.Config) {
		return func(c *config.Config) {
			c.NATS.Node = name
			if leaf {
				c.NATS.Leaf, c.NATS.CoreDomain = "nats-leaf://"+leafAddr, "core"
			} else {
				c.NATS.URL = "nats://" + clientAddr
			}
			withAgents(c)
			c.Routing.FallbackLanguage = ""
			c.Routing.Groups = groups(c.Routing.Groups)
		}
	}
	a, baseA, _ := startNode(t, node("node-a", func(g []config.AgentGroup) []config.AgentGroup { return g[1:] }))
	_, baseB, _ := startNode(t, node("node-b", func(g []config.AgentGroup) []config.AgentGroup { return g[:1] }))
	if leaf {
		// The operator's part: the core archives its edges.
		nc, err := nats.Connect("nats://" + clientAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		if err := edgesync.EnsureArchive(context.Background(), js, edgesync.ArchiveOptions{Domains: []string{"edge-node-a", "edge-node-b"}}); err != nil {
			t.Fatal(err)
		}
	}
	ana, _ := dialAgent(t, baseB, "ana", "agent", "mx-es")
	waitFor(t, "A to see B's Spanish agent through the core", func() bool {
		for _, g := range a.relayPtr.Load().Groups() {
			if g.Node == "node-b" && g.Free > 0 {
				return true
			}
		}
		return false
	})
	es, wes := dialWidget(t, baseA, map[string]any{"locale": "es-MX"})
	es.WriteJSON(map[string]any{"type": "msg", "cid": "h1", "text": "quiero hablar con un agente"})
	if asg := ana.next(func(f agentFrame) bool { return f.Type == "assigned" }); asg.Session != wes.Session {
		t.Fatalf("ana's assignment %+v", asg)
	}

	// The customer uploads a photo to A and sends it.
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	img.Set(3, 4, color.RGBA{255, 0, 0, 255})
	var photo bytes.Buffer
	png.Encode(&photo, img)
	req, _ := http.NewRequest("POST", baseA+"/v1/files", bytes.NewReader(photo.Bytes()))
	req.Header.Set("Authorization", "Bearer "+a.files.UploadToken(wes.Session))
	req.Header.Set("X-Edgedesk-Filename", "parcel.png")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var att files.Attachment
	json.NewDecoder(resp.Body).Decode(&att)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %s", resp.Status)
	}
	es.WriteJSON(map[string]any{"type": "msg", "cid": "p1", "text": "así llegó", "attachments": []files.Attachment{att}})

	// The agent, on B, gets it with a link to B.
	var link string
	ana.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for link == "" {
		var f struct {
			Type, Text  string
			Attachments []files.Attachment
		}
		if err := ana.ws.ReadJSON(&f); err != nil {
			t.Fatalf("agent read: %v", err)
		}
		if f.Type == "msg" && f.Text == "así llegó" {
			if len(f.Attachments) != 1 || f.Attachments[0].MIME != files.MIMEPNG {
				t.Fatalf("the agent's message %+v", f)
			}
			link = f.Attachments[0].URL
		}
	}
	start := time.Now()
	for {
		r, err := http.Get(baseB + link)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode == http.StatusOK {
			if !bytes.Equal(body, photo.Bytes()) || r.Header.Get("Content-Type") != files.MIMEPNG {
				t.Fatalf("B served %d bytes of %s, not the %d-byte photo", len(body), r.Header.Get("Content-Type"), photo.Len())
			}
			t.Logf("B served A's photo (%d bytes) %v after the agent got its link", len(body), time.Since(start).Round(time.Millisecond))
			return
		}
		// 404 until the file reached the core (leaf nodes).
		if r.StatusCode != http.StatusNotFound || time.Since(start) > 30*time.Second {
			t.Fatalf("GET %s at B: %s", link, r.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
