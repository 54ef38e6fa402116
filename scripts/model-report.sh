#!/usr/bin/env bash
# model-report.sh — reproduce the figures of docs/MODEL.md.
#
# Trains one model per shared data set with the default options, measures
# dev accuracy / macro-F1 / OOS recall through ONNX Runtime, model size,
# training time, batch-1 latency (p50/p99 over the dev set, median of 3
# runs) and batch-32 throughput; then compares the language head with
# lingua-go on the multilingual dev data. Needs ../shared/data (train/dev
# only) and the ONNX Runtime library (scripts/fetch-ort.sh). Takes a few
# minutes on 2 cores; run it on an otherwise idle machine.
#
# Usage: scripts/model-report.sh [SHARED_DATA_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
shared="${1:-../shared/data}"
lib="$(scripts/fetch-ort.sh)"
export EDGEDESK_ORT_LIB="${lib}"
bin="$(mktemp -d)/modelreport"
trap 'rm -rf "$(dirname "${bin}")"' EXIT
go build -o "${bin}" ./model/internal/cmd/modelreport
echo "## Intent models (dev splits)"
"${bin}" report -shared "${shared}" -runs 3
echo
echo "## Language identification"
if [[ -x /usr/bin/time ]]; then
  /usr/bin/time -f "peak RSS of the langid run (edgedesk + lingua-go): %M KiB" "${bin}" langid -shared "${shared}" 2>&1 | grep -v '^intent \|^lang \|^langid:'
else
  "${bin}" langid -shared "${shared}" 2>/dev/null
fi
echo
echo "## Default model"
"${bin}" classify -model model/default/default.onnx "where is my order?" "¿Dónde está mi pedido?" "我要退款" "talk to a human please" "what's the weather tomorrow"
echo
echo "## Micro-benchmarks (go test -bench)"
go test ./model -run '^$' -bench 'Featurize|PredictGo|Classify' -benchtime 3000x -count 5
