// Package onnx writes and reads the small subset of the ONNX protobuf format
// that edgedesk's models use, with google.golang.org/protobuf/encoding/protowire
// and no generated code.
//
// Role: Model/Graph/Node/Tensor are plain Go values; Encode turns a Model into
// the bytes of an ONNX ModelProto (IR version 10, default-domain opset 21 by
// default) and Decode reads back the parts edgedesk needs (metadata_props,
// initializers, graph inputs/outputs and nodes) so that a pure-Go forward pass
// can run on exactly the weights ONNX Runtime loads.
//
// Invariants: scalar tensors are written with no dims; tensor payloads are
// written as raw_data in little-endian order; Decode never panics on malformed
// input and returns ErrMalformed for anything it cannot parse.
//
// Concurrency: all functions are pure; values are not shared.
package onnx
