package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/edgedesk/edgedesk/node/faq"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// TestMain lets the test binary run as the edgedesk node, so tests can
// SIGKILL and SIGTERM a real node process.
func TestMain(m *testing.M) {
	if os.Getenv("RUN_AS_EDGEDESK_NODE") == "1" {
		ctx, stop := signalContext()
		defer stop()
		if err := run(ctx, []string{"serve"}, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "edgedesk:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type nodeProc struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{} // closed when the process exited
	err  error         // its exit status, valid after done
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startAdminNode starts a node process (no NATS) whose staff key file the
// CLI signs admin tokens from, and returns a configuration naming its data
// directory and address: the CLI's commands that go through the admin API
// while the node runs.
func startAdminNode(t *testing.T) (cfgPath, addr string) {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	addr = freeAddr(t)
	os.MkdirAll(data, 0o700)
	os.WriteFile(filepath.Join(data, "staff.key"), []byte(cliStaffSecret+"\n"), 0o600)
	startNode(t, data, addr, "EDGEDESK_AUTH_STAFF_SECRET="+cliStaffSecret, "EDGEDESK_NATS_ENABLED=false")
	cfgPath = filepath.Join(dir, "c.yaml")
	os.WriteFile(cfgPath, []byte("data_dir: "+data+"\nlisten: "+addr+"\n"), 0o600)
	return cfgPath, addr
}

func startNode(t *testing.T, dataDir, addr string, env ...string) *nodeProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		"RUN_AS_EDGEDESK_NODE=1",
		"EDGEDESK_DATA_DIR="+dataDir,
		"EDGEDESK_LISTEN="+addr,
		"EDGEDESK_LOG_LEVEL=warn",
		"EDGEDESK_GATEWAY_RATE_LIMIT=10000",
		"EDGEDESK_GATEWAY_RATE_BURST=10000",
		"EDGEDESK_GATEWAY_SESSION_RATE_LIMIT=10000",
		"EDGEDESK_GATEWAY_SESSION_RATE_BURST=10000",
		"EDGEDESK_GATEWAY_ADDRESS_UPGRADE_RATE=10000",
		"EDGEDESK_GATEWAY_ADDRESS_UPGRADE_BURST=10000",
	)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &nodeProc{cmd: cmd, addr: addr, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-p.done })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("node at %s not ready: %v", addr, err)
		}
		select {
		case <-p.done:
			t.Fatalf("node exited early: %v", p.err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

type wire struct {
	Type    string `json:"type"`
	Session string `json:"session"`
	Seq     uint64 `json:"seq"`
	CID     string `json:"cid"`
	From    string `json:"from"`
	Text    string `json:"text"`
	Code    string `json:"code"`
	Resumed bool   `json:"resumed"`
}

func dialHello(t *testing.T, addr string, hello map[string]any) (*websocket.Conn, wire) {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/v1/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	hello["type"], hello["v"] = "hello", 1
	if err := ws.WriteJSON(hello); err != nil {
		t.Fatal(err)
	}
	var w wire
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := ws.ReadJSON(&w); err != nil || w.Type != "welcome" {
		t.Fatalf("welcome: %+v %v", w, err)
	}
	// The deadline bounds the welcome only: callers read for as long as
	// they need (TestCrashSafety's readers, until the kill), and set their
	// own deadlines.
	ws.SetReadDeadline(time.Time{})
	return ws, w
}

// TestCrashSafety kills the node with SIGKILL while widgets are sending,
// restarts it on the same data directory, and checks that every receipted
// message is replayed on resume, in order, with no duplicates.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node processes")
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	p := startNode(t, dir, addr)

	const widgets = 4
	type state struct {
		sid       string
		receipted map[string]uint64
	}
	states := make([]*state, widgets)
	var wg sync.WaitGroup
	var mu sync.Mutex
	totalReceipts := 0
	enough := make(chan struct{})
	var once sync.Once
	for i := range states {
		ws, w := dialHello(t, addr, map[string]any{"locale": "en-GB"})
		st := &state{sid: w.Session, receipted: map[string]uint64{}}
		states[i] = st
		wg.Add(2)
		go func() { // writer: sends until the connection dies
			defer wg.Done()
			for n := 0; ; n++ {
				if ws.WriteJSON(map[string]any{"type": "msg", "cid": fmt.Sprintf("w%d-%d", i, n), "text": "order 12345?"}) != nil {
					return
				}
				if n%50 == 49 {
					time.Sleep(time.Millisecond)
				}
			}
		}()
		go func() { // reader: records receipts
			defer wg.Done()
			for {
				var f wire
				if err := ws.ReadJSON(&f); err != nil {
					return
				}
				if f.Type != "receipt" {
					continue
				}
				mu.Lock()
				st.receipted[f.CID] = f.Seq
				totalReceipts++
				if totalReceipts >= 2000 {
					once.Do(func() { close(enough) })
				}
				mu.Unlock()
			}
		}()
	}
	select {
	case <-enough:
	case <-time.After(60 * time.Second):
		t.Fatal("too few receipts before the kill")
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	wg.Wait()

	p2 := startNode(t, dir, addr)
	_ = p2
	for i, st := range states {
		ws, w := dialHello(t, addr, map[string]any{"session": st.sid, "last_seq": 0})
		if !w.Resumed {
			t.Fatalf("widget %d: not resumed", i)
		}
		seen := map[string]bool{}
		for seq := uint64(1); seq <= w.Seq; seq++ {
			// Each frame of the replay within 10 s: thousands of them may
			// take longer than that in all on a loaded machine.
			ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			var f wire
			if err := ws.ReadJSON(&f); err != nil {
				t.Fatalf("widget %d: replay ended at seq %d of %d: %v", i, seq, w.Seq, err)
			}
			if f.Type != "msg" || f.Seq != seq {
				t.Fatalf("widget %d: replay frame %+v, want msg seq %d", i, f, seq)
			}
			if f.CID == "" { // a bot answer: stored with its question
				continue
			}
			if seen[f.CID] {
				t.Fatalf("widget %d: cid %s stored twice", i, f.CID)
			}
			seen[f.CID] = true
			if want, ok := st.receipted[f.CID]; ok && want != f.Seq {
				t.Fatalf("widget %d: %s receipted as %d, replayed as %d", i, f.CID, want, f.Seq)
			}
		}
		for cid := range st.receipted {
			if !seen[cid] {
				t.Fatalf("widget %d: receipted message %s lost in the crash", i, cid)
			}
		}
		t.Logf("widget %d: %d receipted, %d stored", i, len(st.receipted), w.Seq)
		ws.Close()
	}
}

// TestGracefulShutdown sends SIGTERM: widgets get close 1001 and the node
// exits 0 promptly.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node processes")
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	p := startNode(t, dir, addr)
	ws, w := dialHello(t, addr, map[string]any{})
	ws.SetReadDeadline(time.Now().Add(30 * time.Second)) // the receipt, then the close
	ws.WriteJSON(map[string]any{"type": "msg", "cid": "last", "text": "bye soon"})
	var r wire
	ws.ReadJSON(&r)
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	var ce *websocket.CloseError
	for {
		var f wire
		if err := ws.ReadJSON(&f); err != nil {
			if !errors.As(err, &ce) {
				t.Fatalf("read: %v", err)
			}
			break
		}
	}
	if ce.Code != websocket.CloseGoingAway {
		t.Fatalf("close code %d, want 1001", ce.Code)
	}
	select {
	case <-p.done:
		if p.err != nil {
			t.Fatalf("exit: %v", p.err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("node did not exit within 15s of SIGTERM")
	}
	t.Logf("shutdown took %v", time.Since(start))
	// The data is intact for the next start.
	startNode(t, dir, addr)
	ws2, w2 := dialHello(t, addr, map[string]any{"session": w.Session, "last_seq": 0})
	defer ws2.Close()
	if w2.Seq != 2 { // the message and the bot's answer
		t.Fatalf("after restart seq = %d, want 2", w2.Seq)
	}
}

func TestCLI(t *testing.T) {
	var out, errOut strings.Builder
	if err := run(context.Background(), []string{"version"}, &out, &errOut); err != nil || !strings.HasPrefix(out.String(), "edgedesk ") {
		t.Fatalf("version: %q %v", out.String(), err)
	}
	err := run(context.Background(), []string{"frobnicate"}, io.Discard, io.Discard)
	var ue usageError
	if !errors.As(err, &ue) {
		t.Fatalf("unknown command: %v", err)
	}
	for _, args := range [][]string{{"core"}, {"core", "archive", "-domains", "edge-a"}} {
		if err := run(context.Background(), args, io.Discard, io.Discard); !errors.As(err, &ue) {
			t.Fatalf("%v: %v, want a usage error (exit 2)", args, err)
		}
	}
	bad := t.TempDir() + "/bad.yaml"
	os.WriteFile(bad, []byte("gateway:\n  max_frame_bytes: 3\n"), 0o600)
	err = run(context.Background(), []string{"check-config", "-config", bad}, io.Discard, io.Discard)
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "gateway.max_frame_bytes") {
		t.Fatalf("check-config bad: %v", err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"check-config", "-config", "config/edgedesk.example.yaml"}, &out, io.Discard); err != nil {
		t.Fatalf("check-config example: %v", err)
	}
	if !strings.Contains(out.String(), "listen: 127.0.0.1:8080") {
		t.Fatalf("check-config printed %q", out.String())
	}
}

func TestFAQCommand(t *testing.T) {
	dir := t.TempDir()
	cfgPath := dir + "/c.yaml"
	os.WriteFile(cfgPath, []byte("data_dir: "+dir+"/data\nfaq:\n  seed: \"\"\n"), 0o600)
	ctx := context.Background()
	var ue usageError

	// A bad file is refused, naming the line and the field; nothing is imported.
	bad := dir + "/bad.jsonl"
	os.WriteFile(bad, []byte(`{"intent":"greeting","lang":"en","answer":"Hi"}`+"\n"+`{"intent":"thanks","lang":"en","answer":"You're welcome {{nmae}}"}`+"\n"), 0o600)
	err := run(ctx, []string{"faq", "import", "-config", cfgPath, bad}, io.Discard, io.Discard)
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), `"answer"`) || !strings.Contains(err.Error(), "nmae") {
		t.Fatalf("bad import: %v", err)
	}

	// The demo FAQ, exported as CSV, imported, exported again: identical.
	demo := dir + "/demo.jsonl"
	os.WriteFile(demo, faq.Demo, 0o600)
	var out strings.Builder
	if err := run(ctx, []string{"faq", "import", "-config", cfgPath, demo}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "version 1") {
		t.Fatalf("import: %q %v", out.String(), err)
	}
	csv1 := dir + "/1.csv"
	if err := run(ctx, []string{"faq", "export", "-config", cfgPath, "-o", csv1}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"faq", "import", "-config", cfgPath, csv1}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"faq", "export", "-config", cfgPath, "-format", "csv"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(csv1)
	if out.String() != string(first) || !strings.Contains(out.String(), "track_order") {
		t.Fatal("export → import → export changed the FAQ")
	}
	if err := run(ctx, []string{"faq", "frob"}, io.Discard, io.Discard); !errors.As(err, &ue) {
		t.Fatalf("faq frob: %v", err)
	}
}

// TestKillWithOutbox: the core is down, the node has receipted messages
// waiting in its outbox, and it is SIGKILLed. After both come back, the
// core holds every receipted message exactly once, in order per session.
func TestKillWithOutbox(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node processes")
	}
	dir := t.TempDir()
	coreAddr, addr := freeAddr(t), freeAddr(t)
	core, err := edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: dir + "/core", Listen: coreAddr, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"EDGEDESK_NATS_URL=nats://" + coreAddr, "EDGEDESK_NATS_NODE=edge1", "EDGEDESK_BOT_ENABLED=false"}
	p := startNode(t, dir+"/edge", addr, env...)
	const widgets = 10
	type widget struct {
		ws  *websocket.Conn
		sid string
	}
	ws := make([]widget, widgets)
	for i := range ws {
		c, w := dialHello(t, addr, map[string]any{})
		ws[i] = widget{c, w.Session}
	}
	receipted := map[string]int{}
	send := func(round int) {
		for i, w := range ws {
			cid := fmt.Sprintf("r%d-w%d", round, i)
			w.ws.WriteJSON(map[string]any{"type": "msg", "cid": cid, "text": "hello " + cid})
			var r wire
			w.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			if err := w.ws.ReadJSON(&r); err != nil || r.Type != "receipt" {
				t.Fatalf("receipt for %s: %+v %v", cid, r, err)
			}
			receipted[w.sid]++
		}
	}
	for round := 0; round < 20; round++ {
		send(round)
	}
	core.Shutdown() // the core goes away; the edge keeps receipting
	core.WaitForShutdown()
	for round := 20; round < 50; round++ {
		send(round)
	}
	p.cmd.Process.Kill() // with a non-empty outbox
	<-p.done
	core, err = edgesync.StartServer(edgesync.ServerOptions{Name: "core", StoreDir: dir + "/core", Listen: coreAddr, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Shutdown()
	startNode(t, dir+"/edge", addr, env...)

	nc, err := nats.Connect("nats://" + coreAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	want := widgets * 50
	seen := map[string][]uint64{}
	for n := 0; n < want; {
		st, err := js.Stream(ctx, edgesync.Stream)
		if err != nil {
			t.Fatal(err)
		}
		cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{edgesync.SubjectPrefix + "edge1.*.msg"}})
		if err != nil {
			t.Fatal(err)
		}
		seen, n = map[string][]uint64{}, 0
		for {
			m, err := cons.Next(jetstream.FetchMaxWait(2 * time.Second))
			if err != nil {
				break
			}
			seq, _ := strconv.ParseUint(m.Headers().Get(edgesync.SeqHeader), 10, 64)
			_, sid, _, _ := edgesync.ParseSubject(m.Subject())
			seen[sid] = append(seen[sid], seq)
			n++
		}
		if ctx.Err() != nil {
			t.Fatalf("the core has %d of %d messages", n, want)
		}
	}
	for _, w := range ws {
		seqs := seen[w.sid]
		if len(seqs) != receipted[w.sid] {
			t.Fatalf("session %s: %d at the core, %d receipted", w.sid, len(seqs), receipted[w.sid])
		}
		for i, s := range seqs {
			if s != uint64(i+1) {
				t.Fatalf("session %s: position %d has seq %d (lost, duplicated or reordered)", w.sid, i, s)
			}
		}
	}
}
