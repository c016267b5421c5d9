#!/bin/sh
# e2e.sh: end-to-end tests of the inbox app and the widget in Debian's chromium,
# driven by playwright-core. Starts a fresh `baton demo` on a free port.
# Installs nothing except `npm ci` when node_modules is missing; skips (exit 0)
# when node or chromium is absent. Prints ok/FAIL lines and "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=${BATON:-$ROOT/baton}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

skip() { echo "skip: $1"; echo "0 passed, 0 failed"; exit 0; }
command -v node >/dev/null 2>&1 || skip "node is not installed (apt-get install nodejs npm)"
[ -x "$CHROMIUM" ] || skip "chromium is not installed at $CHROMIUM (apt-get install chromium)"
if [ ! -d node_modules/playwright-core ]; then
	command -v npm >/dev/null 2>&1 || skip "npm is not installed"
	npm ci --no-audit --no-fund >/dev/null 2>&1 || { echo "FAIL npm ci"; echo "0 passed, 1 failed"; exit 1; }
fi
if [ ! -x "$BIN" ]; then
	make -j2 >/dev/null || { echo "FAIL build"; echo "0 passed, 1 failed"; exit 1; }
fi

DATA=$(mktemp -d "${TMPDIR:-/tmp}/baton-e2e.XXXXXX")
PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
"$BIN" --data "$DATA" demo >/dev/null || { echo "FAIL baton demo"; echo "0 passed, 1 failed"; exit 1; }
"$BIN" --data "$DATA" serve --listen "127.0.0.1:$PORT" >"$DATA/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT INT TERM
i=0
until curl -fs "http://127.0.0.1:$PORT/api/v1/health" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 50 ]; then echo "FAIL baton serve did not start"; cat "$DATA/serve.log"; echo "0 passed, 1 failed"; exit 1; fi
	sleep 0.1
done

mkdir -p build/screenshots
# Every tests/e2e/e2e*.mjs file runs against the same server, e2e.mjs (the
# core loop) first; each prints its own "N passed, N failed", summed here.
rc=0
tp=0
tf=0
for f in tests/e2e/e2e.mjs $(ls tests/e2e/e2e?*.mjs 2>/dev/null | sort); do
	out=$(mktemp)
	BATON_URL="http://127.0.0.1:$PORT" BATON_DATA="$DATA" CHROMIUM="$CHROMIUM" SHOTS="$ROOT/build/screenshots" \
		timeout 600 node "$f" 2>&1 | tee "$out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
	rm -f "$out"
	if [ -z "$line" ]; then echo "FAIL $f ended without a summary"; tf=$((tf + 1)); rc=1; continue; fi
	tp=$((tp + ${line%% passed*}))
	f_n=${line#*passed, }
	f_n=${f_n%% failed*}
	tf=$((tf + f_n))
	[ "$f_n" = 0 ] || rc=1
done
[ $rc -eq 0 ] || { echo "(server log: last lines)"; tail -n 20 "$DATA/serve.log"; }
echo "screenshots: build/screenshots/"
echo "$tp passed, $tf failed"
exit $rc
