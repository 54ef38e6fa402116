package onnx

import (
	"errors"
	"reflect"
	"testing"
)

func sample() *Model {
	return &Model{
		ProducerName: "test",
		Graph: Graph{
			Name: "g",
			Nodes: []Node{{Name: "n", OpType: "Gather", Inputs: []string{"t", "ids"}, Outputs: []string{"y"},
				Attrs: []Attr{IntAttr("axis", 0), FloatAttr("alpha", 0.5), {Name: "perm", Ints: []int64{1, 0}, IsInts: true}}}},
			Initializers: []Tensor{
				{Name: "t", DataType: Int8, Dims: []int64{2, 3}, I8: []int8{-128, -1, 0, 1, 2, 127}},
				{Name: "s", DataType: Float32, F32: []float32{1.5}},
				{Name: "a", DataType: Int64, Dims: []int64{1}, I64: []int64{-7}},
			},
			Inputs:  []ValueInfo{{Name: "ids", ElemType: Int64, Dims: []int64{-1, 4}, DimParams: []string{"batch", ""}}},
			Outputs: []ValueInfo{{Name: "y", ElemType: Int8, Dims: []int64{-1, 4, 3}, DimParams: []string{"batch", "", ""}}},
		},
		Metadata: map[string]string{"b": "2", "a": "1"},
	}
}

func TestRoundTrip(t *testing.T) {
	b, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.IRVersion != 10 || m.Opset != 21 || m.ProducerName != "test" {
		t.Errorf("header: ir %d opset %d producer %q", m.IRVersion, m.Opset, m.ProducerName)
	}
	if !reflect.DeepEqual(m.Metadata, map[string]string{"a": "1", "b": "2"}) {
		t.Errorf("metadata %v", m.Metadata)
	}
	want := sample().Graph.Initializers
	if !reflect.DeepEqual(m.Graph.Initializers, want) {
		t.Errorf("initializers\n got %+v\nwant %+v", m.Graph.Initializers, want)
	}
	if s := m.Graph.Initializer("s"); s == nil || len(s.Dims) != 0 {
		t.Errorf("scalar initializer must have no dims: %+v", s)
	}
	if n := m.Graph.Nodes; len(n) != 1 || n[0].OpType != "Gather" || !reflect.DeepEqual(n[0].Inputs, []string{"t", "ids"}) {
		t.Errorf("nodes %+v", n)
	}
	if len(m.Graph.Inputs) != 1 || m.Graph.Inputs[0].Name != "ids" || m.Graph.Outputs[0].Name != "y" {
		t.Errorf("io %+v %+v", m.Graph.Inputs, m.Graph.Outputs)
	}
}

func TestEncodeRejectsBadTensor(t *testing.T) {
	m := sample()
	m.Graph.Initializers[0].I8 = m.Graph.Initializers[0].I8[:5]
	if _, err := Encode(m); !errors.Is(err, ErrUnsupported) {
		t.Errorf("got %v, want ErrUnsupported", err)
	}
}

func TestDecodeMalformed(t *testing.T) {
	b, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{1, 7, len(b) / 2, len(b) - 1} {
		if _, err := Decode(b[:cut]); err == nil {
			t.Errorf("Decode of %d/%d bytes succeeded", cut, len(b))
		}
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := Encode(sample())
	f.Add(b)
	f.Add([]byte{0x08, 0x0a})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Decode(data) // must not panic
	})
}
