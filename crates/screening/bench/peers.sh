#!/usr/bin/env bash
# Runs bench/peers.py in a Python venv with rapidfuzz from PyPI, creating the venv if missing.
# The venv lives under the cargo target dir (never committed):
#   ${CARGO_TARGET_DIR:-<workspace>/target}/bench-venv
# Usage: peers.sh < pairs.jsonl > scores.jsonl      (see peers.py for the line formats)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="${CARGO_TARGET_DIR:-$here/../../../target}"
venv="${VIGIL_BENCH_VENV:-$target/bench-venv}"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import rapidfuzz' 2>/dev/null; then
    command -v "$python" >/dev/null || { echo "no $python on PATH" >&2; exit 3; }
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv" >&2 || { echo "python venv creation failed" >&2; exit 4; }
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'rapidfuzz>=3,<4' >&2 \
        || { echo "pip install rapidfuzz failed" >&2; exit 5; }
fi
exec "$venv/bin/python" "$here/peers.py"
