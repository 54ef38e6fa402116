#!/usr/bin/env bash
# fetch-ort.sh — obtain the ONNX Runtime 1.29.0 shared library for linux/amd64.
#
# The library is taken from the npm package onnxruntime-node@1.29.0 (fetched
# with `npm pack`, never `npm install`, so no install scripts run), extracted to
# .cache/ort/libonnxruntime.so.1 inside the repository and verified against a
# pinned sha256. Idempotent: when the file is already present with the right
# digest nothing is downloaded.
#
# Usage: scripts/fetch-ort.sh [DEST_DIR]      (default: <repo>/.cache/ort)
# Prints the absolute path of the library on stdout; export it as
# EDGEDESK_ORT_LIB or put it in the node's config.
set -euo pipefail

ORT_VERSION="1.29.0"
NPM_PKG="onnxruntime-node@${ORT_VERSION}"
TGZ_SHA256="cfdfb45ec4044b1fdca43e5d2e180fb6817e649ff8ad1e0dfc90e18e51b67037"
LIB_SHA256="89688f5cf51c7e31befbb7b9101bc027799009b18d1baa9a5b1146a72e69538d"
MEMBER="package/bin/napi-v6/linux/x64/libonnxruntime.so.1"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest_dir="${1:-${repo_root}/.cache/ort}"
dest="${dest_dir}/libonnxruntime.so.1"

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) ;;
  *) echo "fetch-ort: only linux/x86_64 is supported, this is $(uname -s)/$(uname -m)" >&2; exit 1 ;;
esac

sha() { sha256sum "$1" | awk '{print $1}'; }

if [[ -f "${dest}" ]] && [[ "$(sha "${dest}")" == "${LIB_SHA256}" ]]; then
  echo "${dest}"
  exit 0
fi

command -v npm >/dev/null || { echo "fetch-ort: npm is required (apt-get install npm)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
echo "fetch-ort: npm pack ${NPM_PKG}" >&2
(cd "${work}" && npm pack --silent "${NPM_PKG}" >/dev/null)
tgz="${work}/onnxruntime-node-${ORT_VERSION}.tgz"
[[ -f "${tgz}" ]] || { echo "fetch-ort: npm pack produced no ${tgz##*/}" >&2; exit 1; }
got="$(sha "${tgz}")"
if [[ "${got}" != "${TGZ_SHA256}" ]]; then
  echo "fetch-ort: sha256 mismatch for ${tgz##*/}: got ${got}, want ${TGZ_SHA256}" >&2
  exit 1
fi
tar -xzf "${tgz}" -C "${work}" "${MEMBER}"
got="$(sha "${work}/${MEMBER}")"
if [[ "${got}" != "${LIB_SHA256}" ]]; then
  echo "fetch-ort: sha256 mismatch for libonnxruntime.so.1: got ${got}, want ${LIB_SHA256}" >&2
  exit 1
fi
mkdir -p "${dest_dir}"
install -m 0644 "${work}/${MEMBER}" "${dest}.tmp"
mv -f "${dest}.tmp" "${dest}"
echo "fetch-ort: installed ONNX Runtime ${ORT_VERSION} at ${dest}" >&2
echo "${dest}"
