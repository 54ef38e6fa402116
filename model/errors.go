package model

import "errors"

var (
	// ErrRuntimeMissing is returned by InitRuntime when the ONNX Runtime
	// shared library cannot be found or loaded. Run scripts/fetch-ort.sh.
	ErrRuntimeMissing = errors.New("model: ONNX Runtime shared library not found (run scripts/fetch-ort.sh or set EDGEDESK_ORT_LIB)")
	// ErrRuntimeVersion is returned by InitRuntime when the library loads
	// but is not ONNX Runtime 1.29.x, the version onnxruntime_go v1.35.0 needs.
	ErrRuntimeVersion = errors.New("model: wrong ONNX Runtime version (need 1.29.x)")
	// ErrRuntimeNotInitialized is returned by NewService and Swap when
	// InitRuntime has not succeeded yet.
	ErrRuntimeNotInitialized = errors.New("model: ONNX Runtime not initialised (call InitRuntime first)")
	// ErrBadConfig is returned when featurizer, training or service options
	// are out of range; the message names the field.
	ErrBadConfig = errors.New("model: bad configuration")
	// ErrBadData is returned by the JSONL reader and the trainer when the
	// training or evaluation data is unusable; the message names the line.
	ErrBadData = errors.New("model: bad data")
	// ErrBadModel is returned when a model file is not an edgedesk ONNX
	// model (missing manifest, unknown format version, missing weights).
	ErrBadModel = errors.New("model: not an edgedesk model")
	// ErrClosed is returned by Classify, Swap and friends after Close.
	ErrClosed = errors.New("model: service closed")
)
