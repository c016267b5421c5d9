#!/bin/sh
# Ingest speed: MB/s of Markdown (in process and through the sandboxed child)
# and the time for a 100-page PDF. Env: BUILD.
set -u
BUILD=${BUILD:-build/rel}
[ -x "$BUILD/bench/kb_bench" ] || make -s "$BUILD/bench/kb_bench" || exit 1
"$BUILD/bench/kb_bench" ingest
