#!/usr/bin/env bash
# build-default-model.sh — rebuild model/default/default.onnx, the model a
# fresh node serves, from the training data committed under
# model/default/data (no network, no ../shared). Deterministic: the same data
# and seed give the same weights; the data fingerprint is checked by
# `go test ./model` (TestDefaultModel).
#
# Usage: scripts/build-default-model.sh [OUT]   (default model/default/default.onnx)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="${1:-model/default/default.onnx}"
d=model/default/data
# Keep this list and its order in sync with defaultDataFiles in
# model/default_test.go.
data="${d}/authored.jsonl,${d}/bitext/ecommerce_en.jsonl,${d}/massive/oos.jsonl"
go run ./model/internal/cmd/modelreport train \
  -data "${data}" -out "${out}" \
  -seed 1 -buckets 32768 -dim 32 -lang-buckets 8192 -lang-dim 16 "${@:2}"
