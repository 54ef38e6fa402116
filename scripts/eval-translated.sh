#!/usr/bin/env bash
# eval-translated.sh — what translating a message into a language the
# intent model knows does to its accuracy (translate.understand_via;
# docs/TRANSLATION.md, "Understanding").
#
# xSID (../shared/data/xsid) is parallel: the same 300 dev utterances in
# each language. A model is trained on the English utterances with odd ids
# only (it knows English and nothing else), then evaluated on the
# utterances with even ids: in English (the ceiling), in Serbian as the
# customer wrote them, and in Serbian translated into English by Apertium
# (Debian's apertium-hbs-eng: the one xSID language a Debian Apertium pair
# translates into a language the model knows). The script installs
# Apertium APY and the pair when they are missing (root), starts APY on a
# free loopback port and stops it at the end.
#
# Usage: scripts/eval-translated.sh [XSID_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
xsid="${1:-../shared/data/xsid}"
[[ -d "$xsid" ]] || xsid=/work/shared/data/xsid
export LC_ALL=C.UTF-8
[[ -f .cache/ort/libonnxruntime.so.1 ]] || [[ -n "${EDGEDESK_ORT_LIB:-}" ]] || scripts/fetch-ort.sh >&2
ort="${EDGEDESK_ORT_LIB:-.cache/ort/libonnxruntime.so.1}"
if [[ ! -x /usr/bin/apertium-apy || ! -f /usr/share/apertium/modes/hbs-eng.mode ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends apertium-apy apertium-hbs-eng >&2
fi
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
setsid /usr/bin/apertium-apy -p "$port" /usr/share/apertium/modes >"$work/apy.log" 2>&1 &
apy=$!
trap 'kill -- -"$apy" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/listPairs" >/dev/null && break; sleep 0.3; done

python3 - "$xsid" "$work" "$port" <<'PY'
import json, sys, urllib.parse, urllib.request
xsid, work, port = sys.argv[1:]
def rows(lang):
    return [json.loads(l) for l in open(f"{xsid}/{lang}/dev.jsonl", encoding="utf-8")]
def num(r): return int(r["id"].rsplit("-", 1)[1])
def write(name, rs):
    with open(f"{work}/{name}.jsonl", "w", encoding="utf-8") as f:
        for r in rs:
            f.write(json.dumps({"text": r["text"], "intent": r["intent"], "lang": r["lang"]}, ensure_ascii=False) + "\n")
en, sr = rows("en"), rows("sr")
write("train", [r for r in en if num(r) % 2 == 1])
write("en", [r for r in en if num(r) % 2 == 0])
test = [r for r in sr if num(r) % 2 == 0]
write("sr", test)
out = []
for r in test:
    data = urllib.parse.urlencode({"langpair": "hbs|eng", "q": r["text"], "markUnknown": "no"}).encode()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/translate", data, timeout=60) as resp:
        t = json.load(resp)["responseData"]["translatedText"].strip()
    out.append(dict(r, text=t, lang="en"))
write("sr-en", out)
PY

go build -o "$work/edgedesk" .
# 150 rows: a small embedding, and no early stop on the 15 held-out rows.
"$work/edgedesk" train -data "$work/train.jsonl" -out "$work/model.onnx" -lang-buckets 0 -seed 1 \
  -buckets 16384 -dim 32 -epochs 40 -patience 40 >&2
for set in en sr sr-en; do
  printf '%s\t' "$set"
  "$work/edgedesk" eval -json -model "$work/model.onnx" -data "$work/$set.jsonl" -ort-lib "$ort" |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print("n %d  accuracy %.1f%%  macro-F1 %.3f  answered %.1f%%" % (r["n"], 100*r["accuracy"], r["macro_f1"], 100*r["coverage"]))' 
done
