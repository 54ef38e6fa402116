package model

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/edgedesk/edgedesk/model/onnx"
)

// Graph input and output names.
const (
	InputIDs         = "ids"           // int64 [batch, len]: intent feature buckets
	InputWeights     = "weights"       // float [batch, 1, len]: 1/count, 0 for padding
	InputLangIDs     = "lang_ids"      // int64 [batch, lang_len]
	InputLangWeights = "lang_weights"  // float [batch, 1, lang_len]
	OutputIntent     = "intent_logits" // float [batch, 1, classes], temperature-scaled
	OutputLang       = "lang_logits"   // float [batch, 1, langs], temperature-scaled

	manifestKey = "edgedesk.manifest"
)

// Encode writes the model as ONNX (IR 10, opset 21) with int8 weights and
// the manifest in metadata_props.
func (m *Model) Encode() ([]byte, error) {
	man, err := json.Marshal(m.Manifest)
	if err != nil {
		return nil, err
	}
	g := onnx.Graph{Name: "edgedesk"}
	g.Initializers = append(g.Initializers,
		onnx.Tensor{Name: "dq_zero", DataType: onnx.Int8, I8: []int8{0}},
	)
	addHead(&g, m.intent, "", InputIDs, InputWeights, OutputIntent, "len")
	if m.lang != nil {
		addHead(&g, m.lang, "lang_", InputLangIDs, InputLangWeights, OutputLang, "lang_len")
	}
	om := &onnx.Model{
		IRVersion: 10, Opset: 21, ProducerName: "edgedesk", ProducerVersion: fmt.Sprint(m.Manifest.Format),
		Graph:    g,
		Metadata: map[string]string{manifestKey: string(man), "edgedesk.fingerprint": m.Manifest.Fingerprint},
	}
	return onnx.Encode(om)
}

// WriteFile encodes the model and writes it atomically to path.
func (m *Model) WriteFile(path string) error {
	b, err := m.Encode()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".model-*.onnx")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func addHead(g *onnx.Graph, q *qhead, p, idsName, wName, outName, lenParam string) {
	g.Inputs = append(g.Inputs,
		onnx.ValueInfo{Name: idsName, ElemType: onnx.Int64, Dims: []int64{-1, -1}, DimParams: []string{"batch", lenParam}},
		onnx.ValueInfo{Name: wName, ElemType: onnx.Float32, Dims: []int64{-1, 1, -1}, DimParams: []string{"batch", "", lenParam}},
	)
	g.Outputs = append(g.Outputs,
		onnx.ValueInfo{Name: outName, ElemType: onnx.Float32, Dims: []int64{-1, 1, int64(q.Classes)}, DimParams: []string{"batch", "", ""}})
	in := int64(q.in())
	g.Initializers = append(g.Initializers,
		onnx.Tensor{Name: p + "emb_q", DataType: onnx.Int8, Dims: []int64{int64(q.Rows), int64(q.Dim)}, I8: q.EmbQ},
		onnx.Tensor{Name: p + "emb_scale", DataType: onnx.Float32, F32: q.EmbScale},
		onnx.Tensor{Name: p + "w2_q", DataType: onnx.Int8, Dims: []int64{in, int64(q.Classes)}, I8: q.W2Q},
		onnx.Tensor{Name: p + "w2_scale", DataType: onnx.Float32, Dims: []int64{int64(q.Classes)}, F32: q.W2Scale},
		onnx.Tensor{Name: p + "w2_zero", DataType: onnx.Int8, Dims: []int64{int64(q.Classes)}, I8: make([]int8, q.Classes)},
		onnx.Tensor{Name: p + "b2", DataType: onnx.Float32, Dims: []int64{int64(q.Classes)}, F32: q.B2},
	)
	node := func(op string, ins []string, out string, attrs ...onnx.Attr) {
		g.Nodes = append(g.Nodes, onnx.Node{Name: out, OpType: op, Inputs: ins, Outputs: []string{out}, Attrs: attrs})
	}
	// Mean pooling of int8 rows: the table stays int8 in memory, only the
	// gathered rows are dequantized (one scale per table).
	node("Gather", []string{p + "emb_q", idsName}, p+"rows_q")
	node("DequantizeLinear", []string{p + "rows_q", p + "emb_scale", "dq_zero"}, p+"rows")
	// [batch,1,len] x [batch,len,dim] -> [batch,1,dim]: the weighted mean as one MatMul.
	node("MatMul", []string{wName, p + "rows"}, p+"pooled")
	x := p + "pooled"
	if q.Hidden > 0 {
		g.Initializers = append(g.Initializers,
			onnx.Tensor{Name: p + "w1_q", DataType: onnx.Int8, Dims: []int64{int64(q.Dim), int64(q.Hidden)}, I8: q.W1Q},
			onnx.Tensor{Name: p + "w1_scale", DataType: onnx.Float32, Dims: []int64{int64(q.Hidden)}, F32: q.W1Scale},
			onnx.Tensor{Name: p + "w1_zero", DataType: onnx.Int8, Dims: []int64{int64(q.Hidden)}, I8: make([]int8, q.Hidden)},
			onnx.Tensor{Name: p + "b1", DataType: onnx.Float32, Dims: []int64{int64(q.Hidden)}, F32: q.B1},
		)
		node("DequantizeLinear", []string{p + "w1_q", p + "w1_scale", p + "w1_zero"}, p+"w1", onnx.IntAttr("axis", 1))
		node("MatMul", []string{x, p + "w1"}, p+"h_mm")
		node("Add", []string{p + "h_mm", p + "b1"}, p+"h_pre")
		node("Relu", []string{p + "h_pre"}, p+"hidden")
		x = p + "hidden"
	}
	node("DequantizeLinear", []string{p + "w2_q", p + "w2_scale", p + "w2_zero"}, p+"w2", onnx.IntAttr("axis", 1))
	node("MatMul", []string{x, p + "w2"}, p+"o_mm")
	// The graph ends at the (temperature-scaled) logits: the softmax over a
	// dozen classes is cheaper in Go than one more ONNX Runtime node.
	node("Add", []string{p + "o_mm", p + "b2"}, outName)
}

// LoadModel parses an ONNX file written by Encode.
func LoadModel(data []byte) (*Model, error) {
	om, err := onnx.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadModel, err)
	}
	raw, ok := om.Metadata[manifestKey]
	if !ok {
		return nil, fmt.Errorf("%w: no %q in metadata_props", ErrBadModel, manifestKey)
	}
	m := &Model{}
	if err := json.Unmarshal([]byte(raw), &m.Manifest); err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrBadModel, err)
	}
	man := &m.Manifest
	if man.Format < minFormatVersion || man.Format > FormatVersion {
		return nil, fmt.Errorf("%w: format %d, this build reads %d to %d", ErrBadModel, man.Format, minFormatVersion, FormatVersion)
	}
	if len(man.Labels) < 2 {
		return nil, fmt.Errorf("%w: %d labels", ErrBadModel, len(man.Labels))
	}
	if m.feat, err = NewFeaturizer(man.Featurizer); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadModel, err)
	}
	if len(man.Scripts) > 0 {
		m.feat = m.feat.WithScripts(man.Scripts)
	}
	if man.HanVariants != nil {
		m.feat = m.feat.WithHanVariants(man.HanVariants)
	}
	if m.intent, err = loadHead(&om.Graph, "", man.Featurizer.Buckets, man.Arch.Dim, man.Arch.Hidden, len(man.Labels)); err != nil {
		return nil, err
	}
	if len(man.Langs) >= 2 {
		if m.lang, err = loadHead(&om.Graph, "lang_", man.Featurizer.LangBuckets, man.Arch.LangDim, 0, len(man.Langs)); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// LoadModelFile reads and parses an ONNX model file.
func LoadModelFile(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadModel, err)
	}
	m, err := LoadModel(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func loadHead(g *onnx.Graph, p string, rows, dim, hidden, classes int) (*qhead, error) {
	q := &qhead{Rows: rows, Dim: dim, Hidden: hidden, Classes: classes}
	in := dim
	if hidden > 0 {
		in = hidden
	}
	get := func(name string, dt int32, n int) (*onnx.Tensor, error) {
		t := g.Initializer(p + name)
		if t == nil {
			return nil, fmt.Errorf("%w: missing initializer %s%s", ErrBadModel, p, name)
		}
		got := len(t.F32) + len(t.I8) + len(t.I64)
		if t.DataType != dt || got != n {
			return nil, fmt.Errorf("%w: initializer %s%s has type %d and %d elements, want type %d and %d", ErrBadModel, p, name, t.DataType, got, dt, n)
		}
		return t, nil
	}
	type want struct {
		name  string
		dt    int32
		n     int
		i8    *[]int8
		f32   *[]float32
		where bool
	}
	wants := []want{
		{"emb_q", onnx.Int8, rows * dim, &q.EmbQ, nil, true},
		{"emb_scale", onnx.Float32, 1, nil, &q.EmbScale, true},
		{"w2_q", onnx.Int8, in * classes, &q.W2Q, nil, true},
		{"w2_scale", onnx.Float32, classes, nil, &q.W2Scale, true},
		{"b2", onnx.Float32, classes, nil, &q.B2, true},
		{"w1_q", onnx.Int8, dim * hidden, &q.W1Q, nil, hidden > 0},
		{"w1_scale", onnx.Float32, hidden, nil, &q.W1Scale, hidden > 0},
		{"b1", onnx.Float32, hidden, nil, &q.B1, hidden > 0},
	}
	for _, w := range wants {
		if !w.where {
			continue
		}
		t, err := get(w.name, w.dt, w.n)
		if err != nil {
			return nil, err
		}
		if w.i8 != nil {
			*w.i8 = t.I8
		} else {
			*w.f32 = t.F32
		}
	}
	return q, nil
}
