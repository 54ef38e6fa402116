#!/usr/bin/env bash
# eval-default-model.sh — what `edgedesk eval` says of the default model on
# the dev split of every language (model/default/data/chat/*.dev.jsonl,
# written apart from the training data and never trained on): accuracy,
# out-of-scope recall, in-scope messages wrongly not understood, language
# identification (all, and messages of 20 characters or fewer), per
# language. Pass -json for the machine-readable report.
#
# Usage: scripts/eval-default-model.sh [-json] [MODEL]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
json=()
if [[ "${1:-}" == "-json" ]]; then json=(-json); shift; fi
model="${1:-model/default/default.onnx}"
export LC_ALL=C
dev=$(printf '%s,' model/default/data/chat/*.dev.jsonl)
[[ -f .cache/ort/libonnxruntime.so.1 ]] || scripts/fetch-ort.sh >&2
go run . eval "${json[@]}" -model "${model}" -data "${dev%,}" -ort-lib .cache/ort/libonnxruntime.so.1
