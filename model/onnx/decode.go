package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Decode parses the parts of an ONNX ModelProto that edgedesk writes:
// ir_version, opset, metadata_props, and the graph's nodes (op type, inputs,
// outputs), initializers and input/output names. Unknown fields are skipped.
func Decode(data []byte) (*Model, error) {
	m := &Model{Metadata: map[string]string{}}
	err := walk(data, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch {
		case num == modelIRVersion && typ == protowire.VarintType:
			m.IRVersion = int64(x)
		case num == modelProducerName && typ == protowire.BytesType:
			m.ProducerName = string(v)
		case num == modelProducerVersion && typ == protowire.BytesType:
			m.ProducerVersion = string(v)
		case num == modelOpsetImport && typ == protowire.BytesType:
			var domain string
			var ver int64
			if err := walk(v, func(n protowire.Number, t protowire.Type, v []byte, x uint64) error {
				if n == opsetDomain && t == protowire.BytesType {
					domain = string(v)
				}
				if n == opsetVersion && t == protowire.VarintType {
					ver = int64(x)
				}
				return nil
			}); err != nil {
				return err
			}
			if domain == "" || domain == "ai.onnx" {
				m.Opset = ver
			}
		case num == modelMetadataProps && typ == protowire.BytesType:
			var k, val string
			if err := walk(v, func(n protowire.Number, t protowire.Type, v []byte, _ uint64) error {
				if t == protowire.BytesType && n == entryKey {
					k = string(v)
				}
				if t == protowire.BytesType && n == entryValue {
					val = string(v)
				}
				return nil
			}); err != nil {
				return err
			}
			m.Metadata[k] = val
			m.MetadataOrder = append(m.MetadataOrder, k)
		case num == modelGraph && typ == protowire.BytesType:
			return decodeGraph(v, &m.Graph)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func decodeGraph(data []byte, g *Graph) error {
	return walk(data, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case graphName:
			g.Name = string(v)
		case graphNode:
			var n Node
			if err := walk(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
				if typ != protowire.BytesType {
					return nil
				}
				switch num {
				case nodeInput:
					n.Inputs = append(n.Inputs, string(v))
				case nodeOutput:
					n.Outputs = append(n.Outputs, string(v))
				case nodeName:
					n.Name = string(v)
				case nodeOpType:
					n.OpType = string(v)
				}
				return nil
			}); err != nil {
				return err
			}
			g.Nodes = append(g.Nodes, n)
		case graphInitializer:
			t, err := decodeTensor(v)
			if err != nil {
				return err
			}
			g.Initializers = append(g.Initializers, t)
		case graphInput, graphOutput:
			var vi ValueInfo
			if err := walk(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
				if num == viName && typ == protowire.BytesType {
					vi.Name = string(v)
				}
				return nil
			}); err != nil {
				return err
			}
			if num == graphInput {
				g.Inputs = append(g.Inputs, vi)
			} else {
				g.Outputs = append(g.Outputs, vi)
			}
		}
		return nil
	})
}

func decodeTensor(data []byte) (Tensor, error) {
	var t Tensor
	var raw []byte
	err := walk(data, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch {
		case num == tensorDims && typ == protowire.VarintType:
			t.Dims = append(t.Dims, int64(x))
		case num == tensorDims && typ == protowire.BytesType:
			for len(v) > 0 {
				d, n := protowire.ConsumeVarint(v)
				if n < 0 {
					return ErrMalformed
				}
				t.Dims = append(t.Dims, int64(d))
				v = v[n:]
			}
		case num == tensorDataType && typ == protowire.VarintType:
			t.DataType = int32(x)
		case num == tensorName && typ == protowire.BytesType:
			t.Name = string(v)
		case num == tensorRawData && typ == protowire.BytesType:
			raw = v
		}
		return nil
	})
	if err != nil {
		return t, err
	}
	n := int64(1)
	for _, d := range t.Dims {
		if d < 0 || d > 1<<31 {
			return t, fmt.Errorf("%w: tensor %q dim %d", ErrMalformed, t.Name, d)
		}
		n *= d
		if n > 1<<32 {
			return t, fmt.Errorf("%w: tensor %q too large", ErrMalformed, t.Name)
		}
	}
	switch t.DataType {
	case Float32:
		if int64(len(raw)) != 4*n {
			return t, fmt.Errorf("%w: tensor %q has %d bytes, want %d", ErrMalformed, t.Name, len(raw), 4*n)
		}
		t.F32 = make([]float32, n)
		for i := range t.F32 {
			t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case Int8:
		if int64(len(raw)) != n {
			return t, fmt.Errorf("%w: tensor %q has %d bytes, want %d", ErrMalformed, t.Name, len(raw), n)
		}
		t.I8 = make([]int8, n)
		for i := range t.I8 {
			t.I8[i] = int8(raw[i])
		}
	case Int64:
		if int64(len(raw)) != 8*n {
			return t, fmt.Errorf("%w: tensor %q has %d bytes, want %d", ErrMalformed, t.Name, len(raw), 8*n)
		}
		t.I64 = make([]int64, n)
		for i := range t.I64 {
			t.I64[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
		}
	default:
		return t, fmt.Errorf("%w: tensor %q data type %d", ErrUnsupported, t.Name, t.DataType)
	}
	return t, nil
}

// walk calls fn for every field of one protobuf message. For varint and
// fixed fields x holds the value; for bytes fields v holds the payload.
func walk(data []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(n))
		}
		data = data[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(data)
		case protowire.Fixed32Type:
			var y uint32
			y, n = protowire.ConsumeFixed32(data)
			x = uint64(y)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(data)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(data)
		default:
			n = protowire.ConsumeFieldValue(num, typ, data)
		}
		if n < 0 {
			return fmt.Errorf("%w: field %d: %v", ErrMalformed, num, protowire.ParseError(n))
		}
		data = data[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

// Initializer returns the initializer with the given name, or nil.
func (g *Graph) Initializer(name string) *Tensor {
	for i := range g.Initializers {
		if g.Initializers[i].Name == name {
			return &g.Initializers[i]
		}
	}
	return nil
}
