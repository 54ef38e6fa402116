package model

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	ort "github.com/yalue/onnxruntime_go"
)

// ServiceOptions configure a Service. Zero values mean the documented
// defaults.
type ServiceOptions struct {
	// MaxBatch is the largest number of messages run in one ONNX Runtime
	// call (default 32).
	MaxBatch int
	// BatchWindow is how long a worker that already holds several queued
	// messages waits for more before running them (default 200µs). A lone
	// message never waits. Negative disables waiting.
	BatchWindow time.Duration
	// Workers is the number of goroutines running ONNX Runtime sessions,
	// each single-threaded (default min(2, GOMAXPROCS)).
	Workers int
	// TopK is the number of intents returned in Prediction.Top (default 3).
	TopK int
	// Languages restricts language detection to these base languages
	// (BCP 47, e.g. "en", "zh"); empty allows all of the model's languages.
	Languages []string
	// Logger receives load and swap events (default: discard).
	Logger *slog.Logger
}

func (o *ServiceOptions) fill() error {
	if o.MaxBatch == 0 {
		o.MaxBatch = 32
	}
	if o.BatchWindow == 0 {
		o.BatchWindow = 200 * time.Microsecond
	}
	if o.Workers == 0 {
		o.Workers = min(2, runtime.GOMAXPROCS(0))
	}
	if o.TopK == 0 {
		o.TopK = 3
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.MaxBatch < 1 || o.MaxBatch > 1024:
		return fmt.Errorf("%w: MaxBatch %d not in [1, 1024]", ErrBadConfig, o.MaxBatch)
	case o.Workers < 1 || o.Workers > 64:
		return fmt.Errorf("%w: Workers %d not in [1, 64]", ErrBadConfig, o.Workers)
	case o.TopK < 1:
		return fmt.Errorf("%w: TopK %d < 1", ErrBadConfig, o.TopK)
	}
	return nil
}

// ModelInfo describes the model a Service is running.
type ModelInfo struct {
	Path        string       `json:"path"`
	Bytes       int64        `json:"bytes"`
	Labels      []string     `json:"labels"`
	OOSLabel    string       `json:"oos_label,omitempty"`
	Langs       []string     `json:"langs"`
	Threshold   float32      `json:"threshold"`
	Fingerprint string       `json:"fingerprint"`
	Metrics     TrainMetrics `json:"metrics"`
	LoadedAt    time.Time    `json:"loaded_at"`
}

// Service classifies messages through ONNX Runtime, batching concurrent
// requests. It is safe for concurrent use; Swap replaces the model while
// requests are in flight and Close is idempotent.
type Service struct {
	opts    ServiceOptions
	allowed map[string]bool
	cur     atomic.Pointer[engine]
	mu      sync.Mutex // serialises Swap and Close
	closed  bool
}

// NewService loads modelPath and starts the batching workers. InitRuntime
// must have succeeded.
func NewService(modelPath string, opts ServiceOptions) (*Service, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	s := &Service{opts: opts}
	if len(opts.Languages) > 0 {
		s.allowed = map[string]bool{}
		for _, l := range opts.Languages {
			s.allowed[BaseLanguage(l)] = true
		}
		s.allowed[LangOther] = true // text in none of them stays "other"
	}
	e, err := s.load(modelPath)
	if err != nil {
		return nil, err
	}
	s.cur.Store(e)
	return s, nil
}

// Swap loads modelPath and makes it the running model. Requests already
// admitted finish on the old model; later ones use the new one. On error the
// old model keeps running.
func (s *Service) Swap(modelPath string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	e, err := s.load(modelPath)
	if err != nil {
		return err
	}
	old := s.cur.Swap(e)
	s.opts.Logger.Info("model swapped", "path", modelPath, "fingerprint", e.info.Fingerprint, "old_fingerprint", old.info.Fingerprint)
	old.retire()
	return nil
}

// Close drains in-flight requests and releases the ONNX Runtime session.
func (s *Service) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if e := s.cur.Swap(nil); e != nil {
		e.retire()
	}
	return nil
}

// Info describes the running model.
func (s *Service) Info() ModelInfo {
	if e := s.cur.Load(); e != nil {
		return e.info
	}
	return ModelInfo{}
}

// Classify returns the intent and language of text. localeHint is the
// widget's declared locale ("" if none). It returns ctx.Err() if ctx ends
// before the message is classified.
func (s *Service) Classify(ctx context.Context, text, localeHint string) (Prediction, error) {
	var out [1]Prediction
	if err := s.classify(ctx, []string{text}, []string{localeHint}, out[:]); err != nil {
		return Prediction{}, err
	}
	return out[0], nil
}

// ClassifyBatch classifies several messages at once (hints may be nil or
// as long as texts).
func (s *Service) ClassifyBatch(ctx context.Context, texts, hints []string) ([]Prediction, error) {
	if hints != nil && len(hints) != len(texts) {
		return nil, fmt.Errorf("%w: %d hints for %d texts", ErrBadConfig, len(hints), len(texts))
	}
	out := make([]Prediction, len(texts))
	for lo := 0; lo < len(texts); lo += s.opts.MaxBatch {
		hi := min(lo+s.opts.MaxBatch, len(texts))
		var h []string
		if hints != nil {
			h = hints[lo:hi]
		}
		if err := s.classify(ctx, texts[lo:hi], h, out[lo:hi]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) classify(ctx context.Context, texts, hints []string, out []Prediction) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for {
		e := s.cur.Load()
		if e == nil {
			return ErrClosed
		}
		e.rw.RLock()
		if e.retired {
			e.rw.RUnlock()
			continue // swapped while we were admitted; use the new engine
		}
		err := e.classify(ctx, texts, hints, out)
		e.rw.RUnlock()
		return err
	}
}

// engine is one loaded model with its session and runners.
//
// Batching is leader/follower: a request is queued, then its caller either
// receives its answer or takes an idle runner token, drains up to MaxBatch
// queued requests (its own and others'), runs them in one session call and
// returns the token. At low load a message therefore runs on its caller's
// goroutine without a hand-off; under load whoever holds a token serves the
// callers that could not get one. Every queued request's caller waits on
// the token channel, so a returned token is always picked up while requests
// remain queued.
type engine struct {
	svc     *Service
	man     *Manifest
	feat    *Featurizer
	info    ModelInfo
	session *ort.DynamicAdvancedSession
	hasLang bool
	reqs    chan *request
	idle    chan *worker // runner tokens, each owning reusable tensors
	workers []*worker
	rw      sync.RWMutex // read-held by every admitted request
	retired bool
}

type request struct {
	ctx   context.Context
	feats []Features
	hints []string
	out   []Prediction
	done  chan error
}

var requestPool = sync.Pool{New: func() any { return &request{done: make(chan error, 1)} }}

func (s *Service) load(path string) (*engine, error) {
	if err := runtimeReady(); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadModel, err)
	}
	m, err := LoadModel(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("model: session options: %w", err)
	}
	defer so.Destroy()
	for _, set := range []func() error{
		func() error { return so.SetIntraOpNumThreads(1) },
		func() error { return so.SetInterOpNumThreads(1) },
		// Keep DequantizeLinear+MatMul in float: ORT's default fusion into
		// MatMulNBits quantizes activations and moves the logits.
		func() error { return so.AddSessionConfigEntry("session.qdq_matmulnbits_accuracy_level", "1") },
		func() error { return so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0") },
	} {
		if err := set(); err != nil {
			return nil, fmt.Errorf("model: session options: %w", err)
		}
	}
	inputs := []string{InputIDs, InputWeights}
	outputs := []string{OutputIntent}
	if m.lang != nil {
		inputs = append(inputs, InputLangIDs, InputLangWeights)
		outputs = append(outputs, OutputLang)
	}
	sess, err := ort.NewDynamicAdvancedSessionWithONNXData(data, inputs, outputs, so)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: onnxruntime: %v", ErrBadModel, path, err)
	}
	e := &engine{
		svc: s, man: &m.Manifest, feat: m.feat, session: sess, hasLang: m.lang != nil,
		reqs: make(chan *request, 64*s.opts.MaxBatch),
		idle: make(chan *worker, s.opts.Workers),
		info: ModelInfo{
			Path: path, Bytes: int64(len(data)), Labels: m.Manifest.Labels, OOSLabel: m.Manifest.OOSLabel,
			Langs: m.Manifest.Langs, Threshold: m.Manifest.Threshold, Fingerprint: m.Manifest.Fingerprint,
			Metrics: m.Manifest.Metrics, LoadedAt: time.Now(),
		},
	}
	for range s.opts.Workers {
		w := newWorker(e)
		e.workers = append(e.workers, w)
		e.idle <- w
	}
	s.opts.Logger.Info("model loaded", "path", path, "bytes", len(data), "intents", len(m.Manifest.Labels),
		"langs", m.Manifest.Langs, "fingerprint", m.Manifest.Fingerprint)
	return e, nil
}

// retire waits for admitted requests, then frees the tensors and the
// session. No runner is active once the write lock is held.
func (e *engine) retire() {
	e.rw.Lock()
	e.retired = true
	e.rw.Unlock()
	for _, w := range e.workers {
		w.destroy()
	}
	if err := e.session.Destroy(); err != nil {
		e.svc.opts.Logger.Warn("destroying session", "err", err)
	}
}

func (e *engine) classify(ctx context.Context, texts, hints []string, out []Prediction) error {
	r := requestPool.Get().(*request)
	r.ctx = ctx
	if cap(r.feats) < len(texts) {
		r.feats = make([]Features, len(texts))
	}
	r.feats = r.feats[:len(texts)]
	for i, t := range texts {
		r.feats[i].Reset()
		e.feat.AppendFeatures(&r.feats[i], t)
	}
	r.hints, r.out = hints, out
	select {
	case e.reqs <- r:
	case <-ctx.Done():
		requestPool.Put(r)
		return ctx.Err()
	}
	for {
		select {
		case err := <-r.done:
			r.ctx, r.hints, r.out = nil, nil, nil
			requestPool.Put(r)
			return err
		case w := <-e.idle:
			e.runOnce(w)
			e.idle <- w
		case <-ctx.Done():
			// r stays queued; whoever runs it answers on its buffered
			// done channel and r is dropped rather than reused.
			return ctx.Err()
		}
	}
}

// runOnce drains up to MaxBatch queued messages and runs them.
func (e *engine) runOnce(w *worker) {
	limit := e.svc.opts.MaxBatch
	window := e.svc.opts.BatchWindow
	batch := w.batch[:0]
	n := 0
drain:
	for n < limit {
		select {
		case r := <-e.reqs:
			batch = append(batch, r)
			n += len(r.feats)
		default:
			break drain
		}
	}
	if len(batch) > 1 && n < limit && window > 0 {
		// Under load: give concurrent callers a short window to join.
		w.timer.Reset(window)
	wait:
		for n < limit {
			select {
			case r := <-e.reqs:
				batch = append(batch, r)
				n += len(r.feats)
			case <-w.timer.C:
				break wait
			}
		}
		w.timer.Stop()
	}
	w.batch = batch
	if len(batch) > 0 {
		w.run(batch)
	}
	clear(w.batch)
}

// worker owns reusable tensors; it is used by one goroutine at a time (whoever
// holds its token).
type worker struct {
	e     *engine
	cache map[[3]int]*tensorSet
	batch []*request
	live  []*request
	timer *time.Timer
}

type tensorSet struct {
	ids, lids  *ort.Tensor[int64]
	w, lw      *ort.Tensor[float32]
	intent     *ort.Tensor[float32]
	lang       *ort.Tensor[float32]
	ins, outs  []ort.Value
	batch, len int
	langLen    int
}

func newWorker(e *engine) *worker {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &worker{e: e, cache: map[[3]int]*tensorSet{}, timer: t}
}

func (w *worker) destroy() {
	for _, ts := range w.cache {
		ts.destroy()
	}
	w.cache = nil
}

func (ts *tensorSet) destroy() {
	for _, v := range append(ts.ins, ts.outs...) {
		v.Destroy()
	}
}

// roundUp rounds n up to a multiple of 8: padding costs Gather work, so
// lengths are padded only a little, and the cache of tensor sets absorbs the
// resulting variety of shapes.
func roundUp(n int) int {
	return (max(n, 1) + 7) &^ 7
}

// maxCachedShapes bounds the tensor sets a worker keeps.
const maxCachedShapes = 256

func (w *worker) tensors(batch, length, langLen int) (*tensorSet, error) {
	key := [3]int{batch, length, langLen}
	if ts, ok := w.cache[key]; ok {
		return ts, nil
	}
	if len(w.cache) >= maxCachedShapes {
		w.destroy()
		w.cache = map[[3]int]*tensorSet{}
	}
	ts := &tensorSet{batch: batch, len: length, langLen: langLen}
	var err error
	if ts.ids, err = ort.NewEmptyTensor[int64](ort.NewShape(int64(batch), int64(length))); err != nil {
		return nil, err
	}
	ts.ins = append(ts.ins, ts.ids)
	if ts.w, err = ort.NewEmptyTensor[float32](ort.NewShape(int64(batch), 1, int64(length))); err != nil {
		ts.destroy()
		return nil, err
	}
	ts.ins = append(ts.ins, ts.w)
	if ts.intent, err = ort.NewEmptyTensor[float32](ort.NewShape(int64(batch), 1, int64(len(w.e.man.Labels)))); err != nil {
		ts.destroy()
		return nil, err
	}
	ts.outs = append(ts.outs, ts.intent)
	if w.e.hasLang {
		if ts.lids, err = ort.NewEmptyTensor[int64](ort.NewShape(int64(batch), int64(langLen))); err != nil {
			ts.destroy()
			return nil, err
		}
		ts.ins = append(ts.ins, ts.lids)
		if ts.lw, err = ort.NewEmptyTensor[float32](ort.NewShape(int64(batch), 1, int64(langLen))); err != nil {
			ts.destroy()
			return nil, err
		}
		ts.ins = append(ts.ins, ts.lw)
		if ts.lang, err = ort.NewEmptyTensor[float32](ort.NewShape(int64(batch), 1, int64(len(w.e.man.Langs)))); err != nil {
			ts.destroy()
			return nil, err
		}
		ts.outs = append(ts.outs, ts.lang)
	}
	w.cache[key] = ts
	return ts, nil
}

// run classifies the messages of batch in one session call and answers
// every request. Requests whose context has ended are answered at once.
func (w *worker) run(batch []*request) {
	w.live = w.live[:0]
	n, maxLen, maxLang := 0, 1, 1
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		w.live = append(w.live, r)
		for _, f := range r.feats {
			n++
			maxLen = max(maxLen, len(f.IDs))
			maxLang = max(maxLang, len(f.LangIDs))
		}
	}
	if n == 0 {
		return
	}
	bs := n
	ll := roundUp(maxLen)
	lll := 1
	if w.e.hasLang {
		lll = roundUp(maxLang)
	}
	ts, err := w.tensors(bs, ll, lll)
	if err != nil {
		w.fail(fmt.Errorf("model: allocating tensors: %w", err))
		return
	}
	ids, wts := ts.ids.GetData(), ts.w.GetData()
	clear(ids)
	clear(wts)
	var lids []int64
	var lwts []float32
	if w.e.hasLang {
		lids, lwts = ts.lids.GetData(), ts.lw.GetData()
		clear(lids)
		clear(lwts)
	}
	row := 0
	for _, r := range w.live {
		for _, f := range r.feats {
			fill(ids[row*ll:], wts[row*ll:], f.IDs)
			if w.e.hasLang {
				fill(lids[row*lll:], lwts[row*lll:], f.LangIDs)
			}
			row++
		}
	}
	if err := w.e.session.Run(ts.ins, ts.outs); err != nil {
		w.fail(fmt.Errorf("model: onnxruntime run: %w", err))
		return
	}
	probs := ts.intent.GetData()
	var lprobs []float32
	if w.e.hasLang {
		lprobs = ts.lang.GetData()
	}
	c, lc := len(w.e.man.Labels), len(w.e.man.Langs)
	row = 0
	for _, r := range w.live {
		for i := range r.feats {
			ip := probs[row*c : (row+1)*c]
			softmaxInPlace(ip)
			p := decide(w.e.man, ip, w.e.svc.opts.TopK)
			hint := ""
			if r.hints != nil {
				hint = r.hints[i]
			}
			var lp []float32
			if lprobs != nil {
				lp = lprobs[row*lc : (row+1)*lc]
				softmaxInPlace(lp)
				applyHanVariants(w.e.man.Langs, lp, &r.feats[i])
			}
			p.Lang, p.LangConfidence = combineLang(w.e.man.Langs, lp, hint, w.e.svc.allowed, r.feats[i].Runes, r.feats[i].Letters)
			gate(w.e.man, &p, &r.feats[i])
			r.out[i] = p
			row++
		}
		r.done <- nil
	}
}

func fill(ids []int64, wts []float32, feats []int32) {
	if len(feats) == 0 {
		return
	}
	wt := 1 / float32(len(feats))
	for j, id := range feats {
		ids[j] = int64(id)
		wts[j] = wt
	}
}

func (w *worker) fail(err error) {
	w.e.svc.opts.Logger.Error("classification failed", "err", err)
	for _, r := range w.live {
		r.done <- err
	}
}
