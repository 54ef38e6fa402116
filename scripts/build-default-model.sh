#!/usr/bin/env bash
# build-default-model.sh — rebuild model/default/default.onnx, the model a
# fresh node serves, from the training data committed under
# model/default/data/chat (no network, no ../shared): every
# <lang>.train*.jsonl and other-*.train.jsonl, in byte order of their
# names. The <lang>.dev.jsonl files are never trained on: they measure
# (`scripts/eval-default-model.sh`). Deterministic: the same data and seed
# give the same weights; the data fingerprint is checked by `go test
# ./model` (TestDefaultModelFingerprint, which globs the same files), and
# so is the concept lexicon (model/default/concepts/*.txt: concept
# features, docs/MODEL.md), which the model carries in its manifest.
#
# Usage: scripts/build-default-model.sh [OUT]   (default model/default/default.onnx)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="${1:-model/default/default.onnx}"
export LC_ALL=C
data=$(printf '%s,' model/default/data/chat/*.train*.jsonl)
go run ./model/internal/cmd/modelreport train \
  -data "${data%,}" -out "${out}" \
  -seed 1 -buckets 262144 -dim 24 -char-min 1 -char-max 4 -fold 1 \
  -lang-buckets 32768 -lang-dim 32 \
  -concepts model/default/concepts -concept-repeat 8 "${@:2}"
