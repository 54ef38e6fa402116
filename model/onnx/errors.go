package onnx

import "errors"

// ErrMalformed is returned by Decode when the bytes are not a well-formed
// ONNX ModelProto (truncated varint, wrong wire type, bad length...).
var ErrMalformed = errors.New("onnx: malformed model")

// ErrUnsupported is returned when a tensor uses a data type or layout that
// this package does not handle (only float32, int8 and int64 are supported).
var ErrUnsupported = errors.New("onnx: unsupported tensor")
