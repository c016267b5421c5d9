#!/bin/sh
# Runs every test tier and prints one final line "N passed, N failed".
#   unit tests (tests/<module>/test_*.c, built by make), the include-layer check,
#   black-box tests against the real server (tests/blackbox/test_*.py),
#   the outside contract check when ../shared/checks is present,
#   and short fuzz runs when clang's libFuzzer is available (FUZZ=0 skips).
# Env: BATON (binary), BUILD (build dir), VALGRIND=1 runs server tests under valgrind,
# ONLY="name ..." runs just those black-box tests (e.g. ONLY="test_sse").
set -u
cd "$(dirname "$0")/.." || exit 2
BATON=${BATON:-$(pwd)/baton}
BUILD=${BUILD:-build/rel}
export BATON BUILD
export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
passed=0
failed=0
failures=""
log=$(mktemp)

tally() { # name, exit status, output file
	p=$(tail -n 5 "$3" | sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed.*/\1/p' | tail -1)
	f=$(tail -n 5 "$3" | sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed.*/\2/p' | tail -1)
	if [ -z "$p" ]; then
		# A program that printed no summary counts as one check.
		if [ "$2" = 0 ]; then p=1; f=0; else p=0; f=1; fi
	elif [ "$2" != 0 ] && [ "$f" = 0 ]; then
		f=1 # crashed after its summary, or exited non-zero
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" != 0 ]; then
		failures="$failures $1"
		grep -E '^(FAIL|skip)|ERROR|Sanitizer|runtime error' "$3" | head -20 | sed "s|^|  [$1] |"
	fi
	printf '%-40s %4s passed %3s failed\n' "$1" "$p" "$f"
}

run() { # name, command...
	name=$1
	shift
	"$@" >"$log" 2>&1
	tally "$name" $? "$log"
}

want() { [ -z "${ONLY:-}" ] || case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
if [ -n "${ONLY:-}" ]; then FUZZ=0; fi

echo "== layers"
run check_layers scripts/check_layers.sh

echo "== unit tests ($BUILD)"
for t in $(find "$BUILD/tests" -type f -perm -u+x -name 'test_*' 2>/dev/null | sort); do
	[ -z "${ONLY:-}" ] || continue
	run "unit/${t#"$BUILD"/tests/}" "$t"
done

echo "== black-box tests ($BATON)"
for t in tests/blackbox/test_*.py; do
	[ -f "$t" ] || continue
	want "$(basename "$t" .py)" || continue
	run "blackbox/$(basename "$t" .py)" python3 "$t"
done

if [ -z "${ONLY:-}" ] && [ "${E2E:-1}" != 0 ] && [ -x scripts/e2e.sh ]; then
	echo "== browser end-to-end (chromium + playwright-core)"
	run e2e scripts/e2e.sh
fi

if [ -n "${ONLY:-}" ]; then
	:
elif [ -f ../shared/checks/contract.py ]; then
	echo "== contract check"
	run contract python3 ../shared/checks/contract.py "$BATON"
else
	echo "skip: contract check (../shared/checks/contract.py is absent)"
fi

if [ "${FUZZ:-1}" != 0 ] && [ -x scripts/fuzz.sh ] && command -v clang >/dev/null 2>&1; then
	echo "== fuzz (short)"
	run fuzz env FUZZ_SECONDS="${FUZZ_SECONDS:-5}" scripts/fuzz.sh
fi

rm -f "$log"
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
