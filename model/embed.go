package model

import _ "embed"

// DefaultONNX is the default model (model/default/default.onnx, rebuilt by
// scripts/build-default-model.sh), built into the binary so a node runs with
// no model file: e-commerce intents in English, Chinese and Spanish.
//
//go:embed default/default.onnx
var DefaultONNX []byte
