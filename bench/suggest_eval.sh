#!/bin/sh
# Suggested tags (T4) and duplicate detection (I8) on the labelled demo set:
# precision/recall on held-out paraphrase groups beside simple references
# measured in the same run (see bench/suggest_eval.c for the split and metrics).
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build/rel}
threshold=$(printf '%s' "${SUGGEST_AUTO_THRESHOLD:-0.9}")
exec "$BUILD/bench/suggest_eval" demo/tagged.jsonl "$threshold"
