package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Tensor element types (onnx.TensorProto.DataType).
const (
	Float32 int32 = 1
	Int8    int32 = 3
	Int64   int32 = 7
)

// Attribute types (onnx.AttributeProto.AttributeType).
const (
	attrFloat int32 = 1
	attrInt   int32 = 2
	attrInts  int32 = 7
)

// Tensor is an initializer or constant. Exactly one of F32, I8, I64 is set,
// matching DataType. Dims is empty for a scalar.
type Tensor struct {
	Name     string
	DataType int32
	Dims     []int64
	F32      []float32
	I8       []int8
	I64      []int64
}

// Attr is a node attribute: an int, a float or a list of ints.
type Attr struct {
	Name   string
	Int    *int64
	Float  *float32
	Ints   []int64
	IsInts bool
}

// IntAttr returns an integer attribute.
func IntAttr(name string, v int64) Attr { return Attr{Name: name, Int: &v} }

// FloatAttr returns a float attribute.
func FloatAttr(name string, v float32) Attr { return Attr{Name: name, Float: &v} }

// Node is one operator application.
type Node struct {
	Name    string
	OpType  string
	Inputs  []string
	Outputs []string
	Attrs   []Attr
}

// ValueInfo names a graph input or output. A negative dim or a non-empty
// DimParams entry marks a symbolic dimension.
type ValueInfo struct {
	Name      string
	ElemType  int32
	Dims      []int64
	DimParams []string // same length as Dims; "" means use Dims[i]
}

// Graph is an ONNX graph.
type Graph struct {
	Name         string
	Nodes        []Node
	Initializers []Tensor
	Inputs       []ValueInfo
	Outputs      []ValueInfo
}

// Model is an ONNX model with its metadata_props.
type Model struct {
	IRVersion       int64
	Opset           int64
	ProducerName    string
	ProducerVersion string
	Graph           Graph
	Metadata        map[string]string
	MetadataOrder   []string // keys in the order they are written; missing keys are appended sorted
}

// Field numbers of onnx.proto (onnx/onnx.proto3).
const (
	modelIRVersion       = 1
	modelProducerName    = 2
	modelProducerVersion = 3
	modelGraph           = 7
	modelOpsetImport     = 8
	modelMetadataProps   = 14

	opsetDomain  = 1
	opsetVersion = 2

	entryKey   = 1
	entryValue = 2

	graphNode        = 1
	graphName        = 2
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5

	attrName   = 1
	attrF      = 2
	attrI      = 3
	attrIntsNo = 8
	attrType   = 20

	tensorDims     = 1
	tensorDataType = 2
	tensorName     = 8
	tensorRawData  = 9

	viName     = 1
	viType     = 2
	typeTensor = 1
	ttElemType = 1
	ttShape    = 2
	shapeDim   = 1
	dimValue   = 1
	dimParam   = 2
)

// Encode serialises m as an ONNX ModelProto.
func Encode(m *Model) ([]byte, error) {
	var b []byte
	ir := m.IRVersion
	if ir == 0 {
		ir = 10
	}
	opset := m.Opset
	if opset == 0 {
		opset = 21
	}
	b = protowire.AppendTag(b, modelIRVersion, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(ir))
	if m.ProducerName != "" {
		b = appendString(b, modelProducerName, m.ProducerName)
	}
	if m.ProducerVersion != "" {
		b = appendString(b, modelProducerVersion, m.ProducerVersion)
	}
	g, err := encodeGraph(&m.Graph)
	if err != nil {
		return nil, err
	}
	b = appendBytes(b, modelGraph, g)
	var os []byte
	os = appendString(os, opsetDomain, "")
	os = protowire.AppendTag(os, opsetVersion, protowire.VarintType)
	os = protowire.AppendVarint(os, uint64(opset))
	b = appendBytes(b, modelOpsetImport, os)
	for _, k := range metadataKeys(m) {
		var e []byte
		e = appendString(e, entryKey, k)
		e = appendString(e, entryValue, m.Metadata[k])
		b = appendBytes(b, modelMetadataProps, e)
	}
	return b, nil
}

func metadataKeys(m *Model) []string {
	seen := make(map[string]bool, len(m.Metadata))
	keys := make([]string, 0, len(m.Metadata))
	for _, k := range m.MetadataOrder {
		if _, ok := m.Metadata[k]; ok && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range m.Metadata {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sortStrings(rest)
	return append(keys, rest...)
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func encodeGraph(g *Graph) ([]byte, error) {
	var b []byte
	for i := range g.Nodes {
		b = appendBytes(b, graphNode, encodeNode(&g.Nodes[i]))
	}
	b = appendString(b, graphName, g.Name)
	for i := range g.Initializers {
		t, err := encodeTensor(&g.Initializers[i])
		if err != nil {
			return nil, err
		}
		b = appendBytes(b, graphInitializer, t)
	}
	for i := range g.Inputs {
		b = appendBytes(b, graphInput, encodeValueInfo(&g.Inputs[i]))
	}
	for i := range g.Outputs {
		b = appendBytes(b, graphOutput, encodeValueInfo(&g.Outputs[i]))
	}
	return b, nil
}

func encodeNode(n *Node) []byte {
	var b []byte
	for _, in := range n.Inputs {
		b = appendString(b, nodeInput, in)
	}
	for _, out := range n.Outputs {
		b = appendString(b, nodeOutput, out)
	}
	if n.Name != "" {
		b = appendString(b, nodeName, n.Name)
	}
	b = appendString(b, nodeOpType, n.OpType)
	for _, a := range n.Attrs {
		var ab []byte
		ab = appendString(ab, attrName, a.Name)
		switch {
		case a.Float != nil:
			ab = protowire.AppendTag(ab, attrF, protowire.Fixed32Type)
			ab = protowire.AppendFixed32(ab, math.Float32bits(*a.Float))
			ab = protowire.AppendTag(ab, attrType, protowire.VarintType)
			ab = protowire.AppendVarint(ab, uint64(attrFloat))
		case a.Int != nil:
			ab = protowire.AppendTag(ab, attrI, protowire.VarintType)
			ab = protowire.AppendVarint(ab, uint64(*a.Int))
			ab = protowire.AppendTag(ab, attrType, protowire.VarintType)
			ab = protowire.AppendVarint(ab, uint64(attrInt))
		default:
			var packed []byte
			for _, v := range a.Ints {
				packed = protowire.AppendVarint(packed, uint64(v))
			}
			ab = appendBytes(ab, attrIntsNo, packed)
			ab = protowire.AppendTag(ab, attrType, protowire.VarintType)
			ab = protowire.AppendVarint(ab, uint64(attrInts))
		}
		b = appendBytes(b, nodeAttribute, ab)
	}
	return b
}

func encodeTensor(t *Tensor) ([]byte, error) {
	var b []byte
	n := int64(1)
	for _, d := range t.Dims {
		b = protowire.AppendTag(b, tensorDims, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(d))
		n *= d
	}
	b = protowire.AppendTag(b, tensorDataType, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(t.DataType))
	b = appendString(b, tensorName, t.Name)
	var raw []byte
	switch t.DataType {
	case Float32:
		if int64(len(t.F32)) != n {
			return nil, fmt.Errorf("%w: %s has %d floats for %d elements", ErrUnsupported, t.Name, len(t.F32), n)
		}
		raw = make([]byte, 4*len(t.F32))
		for i, v := range t.F32 {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
	case Int8:
		if int64(len(t.I8)) != n {
			return nil, fmt.Errorf("%w: %s has %d int8 for %d elements", ErrUnsupported, t.Name, len(t.I8), n)
		}
		raw = make([]byte, len(t.I8))
		for i, v := range t.I8 {
			raw[i] = byte(v)
		}
	case Int64:
		if int64(len(t.I64)) != n {
			return nil, fmt.Errorf("%w: %s has %d int64 for %d elements", ErrUnsupported, t.Name, len(t.I64), n)
		}
		raw = make([]byte, 8*len(t.I64))
		for i, v := range t.I64 {
			binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
		}
	default:
		return nil, fmt.Errorf("%w: data type %d", ErrUnsupported, t.DataType)
	}
	b = appendBytes(b, tensorRawData, raw)
	return b, nil
}

func encodeValueInfo(v *ValueInfo) []byte {
	var shape []byte
	for i, d := range v.Dims {
		var db []byte
		if i < len(v.DimParams) && v.DimParams[i] != "" {
			db = appendString(db, dimParam, v.DimParams[i])
		} else {
			db = protowire.AppendTag(db, dimValue, protowire.VarintType)
			db = protowire.AppendVarint(db, uint64(d))
		}
		shape = appendBytes(shape, shapeDim, db)
	}
	var tt []byte
	tt = protowire.AppendTag(tt, ttElemType, protowire.VarintType)
	tt = protowire.AppendVarint(tt, uint64(v.ElemType))
	tt = appendBytes(tt, ttShape, shape)
	var typ []byte
	typ = appendBytes(typ, typeTensor, tt)
	var b []byte
	b = appendString(b, viName, v.Name)
	b = appendBytes(b, viType, typ)
	return b
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}
