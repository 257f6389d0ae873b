#!/usr/bin/env bash
# Rebuild models/facts-lm from nothing: world -> tokenizer -> train -> export -> verify.
#
#   bash tools/model/build.sh          (about 10 minutes on 2 CPU cores)
#
# Uses Debian's Python and PyTorch (apt), not whatever python3 is first on PATH.
set -euo pipefail
cd "$(dirname "$0")"

PKGS="python3-torch libopenblas0-pthread python3-regex python3-numpy python3-onnx"
missing=""
for p in $PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq $missing
fi

PY=/usr/bin/python3
# Debian's torch falls back to the slow reference BLAS unless OpenBLAS is
# present; one BLAS thread per process keeps two cores from oversubscribing.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=2 PYTHONHASHSEED=0

mkdir -p work
$PY make_world.py
$PY train_tokenizer.py
$PY train.py 2>&1 | tee work/train.log
$PY export.py
$PY quantize.py ../../models/facts-lm q8
node verify.mjs --full --agreement 2>&1 | tee work/verify.log
du -sh ../../models/facts-lm
