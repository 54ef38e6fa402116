package model

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// TrainOptions configures Train. The zero value of a field means "use the
// value from DefaultTrainOptions".
type TrainOptions struct {
	Featurizer FeaturizerConfig
	// Dim is the width of the intent embedding; Hidden the width of the
	// optional ReLU layer (0 = none, the fastText architecture).
	Dim    int
	Hidden int
	// LangDim is the width of the language embedding (0 = default).
	LangDim int
	// Epochs is the maximum number of passes; training stops earlier when
	// dev accuracy has not improved for Patience epochs.
	Epochs   int
	Patience int
	// Batch is the mini-batch size. LR is Adam's learning rate.
	Batch int
	LR    float64
	// Dropout is the probability of dropping each input feature during
	// training.
	Dropout float64
	// Seed makes training deterministic: the same data, options and seed
	// give the same weights, whatever the number of cores.
	Seed uint64
	// OOSLabel names the out-of-scope intent, if the data has one.
	OOSLabel string
	// TargetReject is, for data without an out-of-scope label, the
	// fraction of correctly classified dev utterances the confidence
	// threshold may mark "not understood".
	TargetReject float64
	// DevFraction is the share of the training data held out (stratified,
	// deterministic) for early stopping and calibration when no dev set is
	// given.
	DevFraction float64
	// Progress receives a progress bar; nil trains quietly.
	Progress io.Writer
}

// DefaultTrainOptions returns the options used by `edgedesk train`.
func DefaultTrainOptions() TrainOptions {
	return TrainOptions{
		Featurizer:   DefaultFeaturizerConfig(),
		Dim:          64,
		LangDim:      16,
		Epochs:       40,
		Patience:     4,
		Batch:        32,
		LR:           0.01,
		Dropout:      0.1,
		Seed:         1,
		OOSLabel:     "oos",
		TargetReject: 0.02,
		DevFraction:  0.1,
	}
}

func (o *TrainOptions) fill() {
	d := DefaultTrainOptions()
	if o.Featurizer == (FeaturizerConfig{}) {
		o.Featurizer = d.Featurizer
	}
	if o.Dim == 0 {
		o.Dim = d.Dim
	}
	if o.LangDim == 0 {
		o.LangDim = d.LangDim
	}
	if o.Epochs == 0 {
		o.Epochs = d.Epochs
	}
	if o.Patience == 0 {
		o.Patience = d.Patience
	}
	if o.Batch == 0 {
		o.Batch = d.Batch
	}
	if o.LR == 0 {
		o.LR = d.LR
	}
	if o.TargetReject == 0 {
		o.TargetReject = d.TargetReject
	}
	if o.DevFraction == 0 {
		o.DevFraction = d.DevFraction
	}
}

func (o *TrainOptions) validate() error {
	switch {
	case o.Dim < 1 || o.Dim > 1024:
		return fmt.Errorf("%w: dim %d not in [1, 1024]", ErrBadConfig, o.Dim)
	case o.Hidden < 0 || o.Hidden > 4096:
		return fmt.Errorf("%w: hidden %d not in [0, 4096]", ErrBadConfig, o.Hidden)
	case o.LangDim < 1 || o.LangDim > 1024:
		return fmt.Errorf("%w: lang dim %d not in [1, 1024]", ErrBadConfig, o.LangDim)
	case o.Epochs < 1 || o.Epochs > 1000:
		return fmt.Errorf("%w: epochs %d not in [1, 1000]", ErrBadConfig, o.Epochs)
	case o.Batch < 1 || o.Batch > 4096:
		return fmt.Errorf("%w: batch %d not in [1, 4096]", ErrBadConfig, o.Batch)
	case !(o.LR > 0 && o.LR < 10):
		return fmt.Errorf("%w: lr %g not in (0, 10)", ErrBadConfig, o.LR)
	case !(o.Dropout >= 0 && o.Dropout < 1):
		return fmt.Errorf("%w: dropout %g not in [0, 1)", ErrBadConfig, o.Dropout)
	case !(o.DevFraction > 0 && o.DevFraction < 0.5):
		return fmt.Errorf("%w: dev fraction %g not in (0, 0.5)", ErrBadConfig, o.DevFraction)
	case !(o.TargetReject > 0 && o.TargetReject < 0.5):
		return fmt.Errorf("%w: target reject %g not in (0, 0.5)", ErrBadConfig, o.TargetReject)
	}
	return o.Featurizer.Validate()
}

// dataset is featurized, labelled data for one head.
type dataset struct {
	feats  [][]int32
	labels []int32
}

func (d *dataset) len() int { return len(d.labels) }

// trainConfig is what trainHead needs.
type trainConfig struct {
	name     string
	epochs   int
	patience int
	batch    int
	lr       float64
	dropout  float64
	seed     uint64
	progress *progressBar
}

const numShards = 2 // fixed, so results do not depend on GOMAXPROCS

type shard struct {
	slot    []int32 // row -> index in touched, -1 when untouched
	touched []int32
	gEmb    []float32
	gW1     []float32
	gB1     []float32
	gW2     []float32
	gB2     []float32
	x       []float32 // pooled ++ hidden
	dx      []float32
	dp      []float32
	logits  []float32
	kept    []int32
	loss    float64
	correct int
}

func newShard(h *head) *shard {
	s := &shard{
		slot:   make([]int32, h.Rows),
		gW1:    make([]float32, len(h.W1)),
		gB1:    make([]float32, len(h.B1)),
		gW2:    make([]float32, len(h.W2)),
		gB2:    make([]float32, len(h.B2)),
		x:      make([]float32, h.Dim+h.Hidden),
		dx:     make([]float32, max(h.Dim, h.Hidden)),
		dp:     make([]float32, h.Dim),
		logits: make([]float32, h.Classes),
	}
	for i := range s.slot {
		s.slot[i] = -1
	}
	return s
}

func (s *shard) reset() {
	for _, r := range s.touched {
		s.slot[r] = -1
	}
	s.touched = s.touched[:0]
	s.gEmb = s.gEmb[:0]
	clear(s.gW1)
	clear(s.gB1)
	clear(s.gW2)
	clear(s.gB2)
	s.loss = 0
	s.correct = 0
}

// forward computes logits for ids (weights 1/len) into s.logits and leaves
// pooled and hidden activations in s.x.
func (h *head) forward(s *shard, ids []int32) {
	d := h.Dim
	pooled := s.x[:d]
	clear(pooled)
	if n := len(ids); n > 0 {
		w := 1 / float32(n)
		for _, id := range ids {
			row := h.Emb[int(id)*d : int(id)*d+d]
			for j, v := range row {
				pooled[j] += v * w
			}
		}
	}
	x := pooled
	if h.Hidden > 0 {
		hid := s.x[d : d+h.Hidden]
		copy(hid, h.B1)
		for j, pj := range pooled {
			row := h.W1[j*h.Hidden : (j+1)*h.Hidden]
			for k, v := range row {
				hid[k] += pj * v
			}
		}
		for k := range hid {
			hid[k] = max(0, hid[k])
		}
		x = hid
	}
	copy(s.logits, h.B2)
	for j, xj := range x {
		if xj == 0 {
			continue
		}
		row := h.W2[j*h.Classes : (j+1)*h.Classes]
		for c, v := range row {
			s.logits[c] += xj * v
		}
	}
}

// step accumulates the gradient of the cross-entropy loss for one example.
func (h *head) step(s *shard, ids []int32, label int32) {
	h.forward(s, ids)
	p := s.logits
	best := 0
	for c := range p {
		if p[c] > p[best] {
			best = c
		}
	}
	if int32(best) == label {
		s.correct++
	}
	softmaxInPlace(p)
	s.loss -= math.Log(max(float64(p[label]), 1e-12))
	p[label] -= 1 // p is now dL/dlogits
	d := h.Dim
	pooled := s.x[:d]
	x := pooled
	if h.Hidden > 0 {
		x = s.x[d : d+h.Hidden]
	}
	in := len(x)
	dx := s.dx[:in]
	for j, xj := range x {
		row := h.W2[j*h.Classes : (j+1)*h.Classes]
		grow := s.gW2[j*h.Classes : (j+1)*h.Classes]
		var acc float32
		for c, g := range p {
			grow[c] += xj * g
			acc += row[c] * g
		}
		dx[j] = acc
	}
	for c, g := range p {
		s.gB2[c] += g
	}
	dp := s.dp
	if h.Hidden > 0 {
		for k := range dx {
			if x[k] <= 0 {
				dx[k] = 0
			}
			s.gB1[k] += dx[k]
		}
		for j, pj := range pooled {
			row := h.W1[j*h.Hidden : (j+1)*h.Hidden]
			grow := s.gW1[j*h.Hidden : (j+1)*h.Hidden]
			var acc float32
			for k, g := range dx {
				grow[k] += pj * g
				acc += row[k] * g
			}
			dp[j] = acc
		}
	} else {
		copy(dp, dx)
	}
	w := 1 / float32(len(ids))
	for _, id := range ids {
		sl := s.slot[id]
		if sl < 0 {
			sl = int32(len(s.touched))
			s.slot[id] = sl
			s.touched = append(s.touched, id)
			s.gEmb = append(s.gEmb, make([]float32, d)...)
		}
		g := s.gEmb[int(sl)*d : int(sl)*d+d]
		for j, v := range dp {
			g[j] += v * w
		}
	}
}

// adam holds Adam's moment estimates for a head.
type adam struct {
	mEmb, vEmb []float32
	m, v       [4][]float32 // W1, B1, W2, B2
	t          int
}

func newAdam(h *head) *adam {
	a := &adam{mEmb: make([]float32, len(h.Emb)), vEmb: make([]float32, len(h.Emb))}
	for i, p := range [][]float32{h.W1, h.B1, h.W2, h.B2} {
		a.m[i] = make([]float32, len(p))
		a.v[i] = make([]float32, len(p))
	}
	return a
}

const (
	adamB1  = 0.9
	adamB2  = 0.999
	adamEps = 1e-8
)

func adamUpdate(p, g, m, v []float32, lr, scale float32) {
	for i := range p {
		gi := g[i] * scale
		m[i] = adamB1*m[i] + (1-adamB1)*gi
		v[i] = adamB2*v[i] + (1-adamB2)*gi*gi
		p[i] -= lr * m[i] / (float32(math.Sqrt(float64(v[i]))) + adamEps)
	}
}

// apply merges the shards' gradients in shard order and takes one Adam step.
func (a *adam) apply(h *head, shards []*shard, lr float64, n int) {
	a.t++
	bc := math.Sqrt(1-math.Pow(adamB2, float64(a.t))) / (1 - math.Pow(adamB1, float64(a.t)))
	step := float32(lr * bc)
	scale := 1 / float32(n)
	s0 := shards[0]
	for _, s := range shards[1:] {
		for i, g := range s.gW1 {
			s0.gW1[i] += g
		}
		for i, g := range s.gB1 {
			s0.gB1[i] += g
		}
		for i, g := range s.gW2 {
			s0.gW2[i] += g
		}
		for i, g := range s.gB2 {
			s0.gB2[i] += g
		}
		d := h.Dim
		for k, r := range s.touched {
			src := s.gEmb[k*d : k*d+d]
			sl := s0.slot[r]
			if sl < 0 {
				sl = int32(len(s0.touched))
				s0.slot[r] = sl
				s0.touched = append(s0.touched, r)
				s0.gEmb = append(s0.gEmb, src...)
				continue
			}
			dst := s0.gEmb[int(sl)*d : int(sl)*d+d]
			for j, v := range src {
				dst[j] += v
			}
		}
	}
	// Every parameter is updated independently, so splitting the rows
	// between two goroutines gives the same result as one.
	d := h.Dim
	rows := s0.touched
	half := len(rows) / 2
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := half; k < len(rows); k++ {
			o := int(rows[k]) * d
			adamUpdate(h.Emb[o:o+d], s0.gEmb[k*d:k*d+d], a.mEmb[o:o+d], a.vEmb[o:o+d], step, scale)
		}
	}()
	adamUpdate(h.W1, s0.gW1, a.m[0], a.v[0], step, scale)
	adamUpdate(h.B1, s0.gB1, a.m[1], a.v[1], step, scale)
	adamUpdate(h.W2, s0.gW2, a.m[2], a.v[2], step, scale)
	adamUpdate(h.B2, s0.gB2, a.m[3], a.v[3], step, scale)
	for k := 0; k < half; k++ {
		o := int(rows[k]) * d
		adamUpdate(h.Emb[o:o+d], s0.gEmb[k*d:k*d+d], a.mEmb[o:o+d], a.vEmb[o:o+d], step, scale)
	}
	wg.Wait()
}

func newHead(rows, dim, hidden, classes int, seed uint64) *head {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	h := &head{Rows: rows, Dim: dim, Hidden: hidden, Classes: classes}
	h.Emb = make([]float32, rows*dim)
	r := 1 / float32(dim)
	for i := range h.Emb {
		h.Emb[i] = (2*rng.Float32() - 1) * r
	}
	in := dim
	if hidden > 0 {
		h.W1 = make([]float32, dim*hidden)
		h.B1 = make([]float32, hidden)
		r := float32(math.Sqrt(6 / float64(dim+hidden)))
		for i := range h.W1 {
			h.W1[i] = (2*rng.Float32() - 1) * r
		}
		in = hidden
	}
	h.W2 = make([]float32, in*classes)
	h.B2 = make([]float32, classes)
	if hidden > 0 {
		r := float32(math.Sqrt(6 / float64(in+classes)))
		for i := range h.W2 {
			h.W2[i] = (2*rng.Float32() - 1) * r
		}
	}
	return h
}

// trainHead trains h on train with early stopping on dev accuracy and
// returns the best weights (h itself is left at the last epoch).
func trainHead(ctx context.Context, h *head, train, dev *dataset, cfg trainConfig) (*head, int, error) {
	opt := newAdam(h)
	shards := make([]*shard, numShards)
	for i := range shards {
		shards[i] = newShard(h)
	}
	order := make([]int, train.len())
	for i := range order {
		order[i] = i
	}
	best, bestAcc, bestEpoch, bad := h.clone(), -1.0, 0, 0
	nb := (train.len() + cfg.batch - 1) / cfg.batch
	var wg sync.WaitGroup
	for epoch := 1; epoch <= cfg.epochs; epoch++ {
		rng := rand.New(rand.NewPCG(cfg.seed, uint64(epoch)))
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var loss float64
		correct := 0
		for b := 0; b < nb; b++ {
			if b%64 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, 0, err
				}
			}
			lo, hi := b*cfg.batch, min((b+1)*cfg.batch, len(order))
			per := (hi - lo + numShards - 1) / numShards
			for si, s := range shards {
				s.reset()
				slo, shi := min(lo+si*per, hi), min(lo+(si+1)*per, hi)
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := rand.New(rand.NewPCG(cfg.seed^uint64(epoch)<<32, uint64(b)<<8|uint64(si)))
					for _, ix := range order[slo:shi] {
						ids := train.feats[ix]
						if cfg.dropout > 0 && len(ids) > 1 {
							s.kept = s.kept[:0]
							for _, id := range ids {
								if r.Float64() >= cfg.dropout {
									s.kept = append(s.kept, id)
								}
							}
							if len(s.kept) == 0 {
								s.kept = append(s.kept, ids[r.IntN(len(ids))])
							}
							ids = s.kept
						}
						h.step(s, ids, train.labels[ix])
					}
				}()
			}
			wg.Wait()
			for _, s := range shards {
				loss += s.loss
				correct += s.correct
			}
			opt.apply(h, shards, cfg.lr, hi-lo)
			cfg.progress.update(cfg.name, epoch, cfg.epochs, b+1, nb, loss/float64(hi), -1)
		}
		acc := h.accuracy(dev)
		cfg.progress.update(cfg.name, epoch, cfg.epochs, nb, nb, loss/float64(len(order)), acc)
		cfg.progress.done()
		if acc > bestAcc {
			best, bestAcc, bestEpoch, bad = h.clone(), acc, epoch, 0
		} else if bad++; bad >= cfg.patience {
			break
		}
	}
	return best, bestEpoch, nil
}

// accuracy returns the float head's top-1 accuracy on d, using both cores.
func (h *head) accuracy(d *dataset) float64 {
	if d.len() == 0 {
		return 0
	}
	var wg sync.WaitGroup
	counts := make([]int, numShards)
	per := (d.len() + numShards - 1) / numShards
	for si := range numShards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newShardLite(h)
			for i := si * per; i < min((si+1)*per, d.len()); i++ {
				h.forward(s, d.feats[i])
				if argmax(s.logits) == int(d.labels[i]) {
					counts[si]++
				}
			}
		}()
	}
	wg.Wait()
	n := 0
	for _, c := range counts {
		n += c
	}
	return float64(n) / float64(d.len())
}

func newShardLite(h *head) *shard {
	return &shard{x: make([]float32, h.Dim+h.Hidden), logits: make([]float32, h.Classes)}
}

func argmax(x []float32) int {
	b := 0
	for i, v := range x {
		if v > x[b] {
			b = i
		}
	}
	return b
}

// progressBar draws training progress on a writer; a nil bar is silent.
type progressBar struct {
	w     io.Writer
	tty   bool
	last  time.Time
	start time.Time
}

func newProgressBar(w io.Writer) *progressBar {
	if w == nil {
		return nil
	}
	return &progressBar{w: w, tty: isTerminal(w), start: time.Now()}
}

func (p *progressBar) update(name string, epoch, epochs, step, steps int, loss, devAcc float64) {
	if p == nil {
		return
	}
	now := time.Now()
	if devAcc < 0 && (!p.tty || now.Sub(p.last) < 100*time.Millisecond) {
		return
	}
	p.last = now
	const width = 24
	fill := width * step / max(steps, 1)
	bar := make([]byte, width)
	for i := range bar {
		switch {
		case i < fill:
			bar[i] = '='
		case i == fill:
			bar[i] = '>'
		default:
			bar[i] = ' '
		}
	}
	line := fmt.Sprintf("%-6s epoch %2d/%d [%s] loss %.4f", name, epoch, epochs, bar, loss)
	if devAcc >= 0 {
		line += fmt.Sprintf(" dev acc %.4f  %s", devAcc, time.Since(p.start).Round(100*time.Millisecond))
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
	} else if devAcc >= 0 {
		fmt.Fprintln(p.w, line)
	}
}

func (p *progressBar) done() {
	if p != nil && p.tty {
		fmt.Fprintln(p.w)
	}
}

// splitHoldout deterministically holds out frac of each label's examples.
func splitHoldout(exs []Example, key func(Example) string, frac float64, seed uint64) (train, dev []Example) {
	byLabel := map[string][]int{}
	var labels []string
	for i, ex := range exs {
		k := key(ex)
		if _, ok := byLabel[k]; !ok {
			labels = append(labels, k)
		}
		byLabel[k] = append(byLabel[k], i)
	}
	slices.Sort(labels)
	isDev := make([]bool, len(exs))
	rng := rand.New(rand.NewPCG(seed, 0xde5))
	for _, l := range labels {
		ix := byLabel[l]
		rng.Shuffle(len(ix), func(i, j int) { ix[i], ix[j] = ix[j], ix[i] })
		n := int(math.Round(frac * float64(len(ix))))
		if n == 0 && len(ix) >= 3 {
			n = 1
		}
		for _, i := range ix[:n] {
			isDev[i] = true
		}
	}
	for i, ex := range exs {
		if isDev[i] {
			dev = append(dev, ex)
		} else {
			train = append(train, ex)
		}
	}
	return train, dev
}

// SplitHoldout deterministically splits exs into train and dev, holding out
// frac of the examples of each key (stratified), e.g. for data sets that
// ship without a dev split.
func SplitHoldout(exs []Example, key func(Example) string, frac float64, seed uint64) (train, dev []Example) {
	return splitHoldout(exs, key, frac, seed)
}
