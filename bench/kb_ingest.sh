#!/bin/sh
# Ingest speed: MB/s of Markdown (in process and through the sandboxed child)
# and the time for a 100-page PDF (kb_bench ingest); then many small files
# through `baton kb add`: 18,000 Markdown files of 1-5 KB (bench/gen_small_md.py),
# in batches of 200 files per command and in one command, each into a fresh
# data directory, median of 3 runs, beside the same bytes through cat and
# through one plain sqlite3 insert. Env: BUILD, BATON, INGEST_FILES, INGEST_RUNS.
set -u
BUILD=${BUILD:-build/rel}
BATON=${BATON:-$(pwd)/baton}
FILES=${INGEST_FILES:-18000}
RUNS=${INGEST_RUNS:-3}
[ -x "$BUILD/bench/kb_bench" ] || make -s "$BUILD/bench/kb_bench" || exit 1
"$BUILD/bench/kb_bench" ingest

[ -x "$BATON" ] || { echo "skip: many small files need $BATON"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

python3 bench/gen_small_md.py "$tmp/md" "$FILES" || exit 1
(cd "$tmp/md" && ls) | sed "s|^|$tmp/md/|" >"$tmp/list"
bytes=$(cat "$tmp/md"/*.md | wc -c)
mb=$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1048576}')
echo "  many small files: $FILES Markdown files, 1-5 KB each, $mb MB"

# References in the same run: reading the bytes, and storing them in one plain sqlite3 insert.
t0=$(now); xargs cat <"$tmp/list" >/dev/null; t1=$(now)
t_cat=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')
if command -v sqlite3 >/dev/null 2>&1; then
	t0=$(now)
	sqlite3 "$tmp/ref.db" "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
	    CREATE TABLE f (name TEXT, data BLOB); INSERT INTO f SELECT name, data FROM fsdir('$tmp/md');" >/dev/null
	t1=$(now)
	t_sql=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')
else
	t_sql=
fi

# baton kb add: batches of 200 files per command (as the outside tester ran it), then one command.
run_add() { # mode (batch|one), data dir; prints the seconds
	rm -rf "$2"
	"$BATON" --data "$2" init --workspace Bench --admin bench@site.test >/dev/null || return 1
	t0=$(now)
	if [ "$1" = batch ]; then
		xargs -n 200 "$BATON" --data "$2" kb add <"$tmp/list" >"$tmp/out" 2>"$tmp/err"
	else
		"$BATON" --data "$2" kb add $(cat "$tmp/list") >"$tmp/out" 2>"$tmp/err"
	fi
	rc=$?
	t1=$(now)
	added=$(grep -c '^added ' "$tmp/out")
	if [ "$rc" != 0 ] || [ "$added" != "$FILES" ]; then
		echo "kb add ($1) failed: exit $rc, $added of $FILES added: $(head -3 "$tmp/err")" >&2
		return 1
	fi
	awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'
}
for mode in batch one; do
	: >"$tmp/times"
	r=0
	while [ "$r" -lt "$RUNS" ]; do
		run_add "$mode" "$tmp/data-$mode" >>"$tmp/times" || exit 1
		r=$((r + 1))
	done
	t=$(median <"$tmp/times")
	label="in batches of 200 files per command"
	[ "$mode" = one ] && label="in one command"
	awk -v t="$t" -v n="$FILES" -v mb="$mb" -v runs="$RUNS" -v l="$label" 'BEGIN {
		printf "  kb add %s: %.1f s, %.0f files/s, %.1f MB/s (median of %d; bar: >= 500 files/s, 18,000 files in < 40 s)\n",
		    l, t, n / t, mb / t, runs }'
done
awk -v c="$t_cat" -v s="${t_sql:-0}" -v n="$FILES" -v mb="$mb" 'BEGIN {
	printf "  reference, same run: cat of the files %.2f s (%.0f MB/s)", c, mb / c
	if (s > 0) printf "; one plain sqlite3 insert of them %.2f s (%.0f files/s, %.0f MB/s)", s, n / s, mb / s
	printf "\n" }'

# The index works over what was added: one question, answered from one small file.
code=$(sed -n 's/^Site note 4321: the courier code for box 4321 is \([A-Z]*\)\./\1/p' "$tmp/md/note-04321.md" 2>/dev/null)
if [ -n "$code" ]; then
	t0=$(now)
	ans=$("$BATON" --data "$tmp/data-one" ask "what is the courier code for box 4321?")
	t1=$(now)
	case "$ans" in
	*"$code"*) ok="answered from note-04321.md" ;;
	*) ok="NOT answered ($(echo "$ans" | head -2 | tr '\n' ' '))" ;;
	esac
	awk -v a="$t0" -v b="$t1" -v ok="$ok" 'BEGIN {printf "  baton ask over them: %s in %.1f s (the CLI loads the whole index first)\n", ok, b - a}'
fi
