#!/bin/sh
# make bench: every benchmark, each printing its figures beside a reference
# measured in the same run. Env: BATON (binary), BUILD (build dir),
# BENCH_ONLY="server kb ingest" to run a subset.
set -u
cd "$(dirname "$0")/.." || exit 2
BATON=${BATON:-$(pwd)/baton}
BUILD=${BUILD:-build/rel}
export BATON BUILD
want() { [ -z "${BENCH_ONLY:-}" ] || case " $BENCH_ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
echo "Baton benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(uname -r)"
# suggest: suggested tags and duplicate detection quality (bench/suggest_eval.sh)
for part in server:bench/server.sh kb:bench/kb.sh ingest:bench/kb_ingest.sh reports:bench/reports.sh suggest:bench/suggest_eval.sh; do
	name=${part%%:*}
	script=${part#*:}
	want "$name" || continue
	echo
	echo "################ $name ($script)"
	if [ -x "$script" ]; then
		"$script" || echo "$name: exited with status $?"
	else
		echo "skip: $script is not present in this build"
	fi
done
