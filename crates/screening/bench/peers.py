#!/usr/bin/env python3
"""Peer scorers for `vigil bench screening` (rapidfuzz, run live).

Reads pairs as JSON lines on stdin: {"a": "...", "b": "..."}
Writes one JSON line per pair on stdout: {"token_sort_ratio": x, "wratio": y} (0..1),
then a final line {"done": n, "version": "...", "us_per_pair": t}.

Names are lower-cased and stripped of punctuation with rapidfuzz's default_process, as
rapidfuzz users normally do. Created and run by bench/peers.sh inside a venv under target/.
"""
import json
import sys
import time

from rapidfuzz import __version__ as rf_version
from rapidfuzz import fuzz, utils


def main() -> None:
    pairs = [json.loads(line) for line in sys.stdin if line.strip()]
    out = sys.stdout
    start = time.perf_counter()
    rows = []
    for p in pairs:
        a, b = p["a"], p["b"]
        rows.append(
            (
                fuzz.token_sort_ratio(a, b, processor=utils.default_process) / 100.0,
                fuzz.WRatio(a, b, processor=utils.default_process) / 100.0,
            )
        )
    elapsed = time.perf_counter() - start
    for ts, wr in rows:
        out.write(json.dumps({"token_sort_ratio": ts, "wratio": wr}) + "\n")
    us = elapsed * 1e6 / max(len(pairs), 1)
    out.write(json.dumps({"done": len(pairs), "version": rf_version, "us_per_pair": us}) + "\n")


if __name__ == "__main__":
    main()
