// Package model is edgedesk's intent and language model: a featurizer,
// a trainer written in Go, an ONNX exporter, and a micro-batching classifier
// served by ONNX Runtime.
//
// # Pipeline
//
//   - Featurizer (featurize.go): NFKC + case folding, digits mapped to 0,
//     word unigrams/bigrams and character n-grams (2–5 by default) over the
//     normalised text, hashed into a fixed number of buckets. Han, kana, Thai,
//     Lao, Khmer and Myanmar runes are tokens of their own, so unsegmented
//     scripts get word and character features too. A separate set of
//     character 1–3-grams feeds the language head. Input is cut to MaxRunes
//     runes (and 8×MaxRunes bytes before normalisation), which bounds the work
//     and the number of features of any message. Optional concept features
//     (concepts.go): a multilingual lexicon, carried in the manifest, maps
//     shop words of every language to shared concept tokens added to the
//     intent features (models with them are format 3).
//   - Language (hanvariant.go, script.go): the head's Simplified/Traditional
//     Chinese choice follows the characters only one variant's training text
//     uses; a message mostly in a script the model never saw is not
//     understood.
//   - Train (train.go, model.go): a fastText-class network (hashed n-gram
//     embeddings, mean pooling, optional ReLU hidden layer, softmax), trained
//     with Adam (lazy on embedding rows) on two fixed gradient shards run in
//     parallel and merged in order, so a seed gives the same weights on any
//     number of cores. Early stopping on dev accuracy, then temperature
//     scaling and a "not understood" threshold fitted on the dev split (held
//     out from the training data when none is given).
//   - Export (export.go, package onnx): IR 10 / opset 21 ONNX written with
//     protowire. Embedding tables stay int8 (Gather, then DequantizeLinear
//     with one scale per table; mean pooling is one batched MatMul); dense weights are
//     int8 with per-column scales. The manifest (labels, featurizer
//     parameters, threshold, temperature, data fingerprint, dev metrics)
//     travels in metadata_props, so any edgedesk model file is self-describing.
//   - Serve (runtime.go, service.go): InitRuntime loads ONNX Runtime 1.29
//     once per process; Service batches concurrent Classify calls, reuses
//     input/output tensors per shape, respects each request's context and
//     swaps models without failing in-flight requests.
//   - CLI (cli.go): TrainCommand and EvalCommand implement `edgedesk train`
//     and `edgedesk eval`.
//
// # Invariants
//
//   - Training and serving share one Featurizer, configured from the
//     manifest inside the model file.
//   - Model.Predict (pure Go) and the ONNX Runtime path compute the same
//     probabilities from the same int8 weights (tested to 1e-5).
//   - The package imports no other edgedesk package.
//
// # Concurrency
//
// Featurizer, Model and Service are safe for concurrent use. Train uses two
// goroutines internally. InitRuntime is serialised and idempotent for one
// library path.
package model
