#!/bin/sh
# Server benchmarks (make bench): the conversation list beside libmicrohttpd
# serving a constant reply, message POST throughput, the widget round trip,
# and SSE fan-out at 1,000 and 10,000 streams. Medians of 3 runs where timed
# with wrk. Env: BATON (binary), BUILD (build dir), ROUNDS (default 3),
# SECONDS_PER_RUN (default 10), SEED (conversations, default 100000).
set -u
BATON=${BATON:-./baton}
BUILD=${BUILD:-build/rel}
ROUNDS=${ROUNDS:-3}
DUR=${SECONDS_PER_RUN:-10}
SEED=${SEED:-100000}
command -v wrk >/dev/null 2>&1 || { echo "skip: wrk is not installed (apt-get install wrk)"; exit 0; }
for b in seed mhd_const sse_bench; do
	[ -x "$BUILD/bench/$b" ] || make -s "$BUILD/bench/$b" || exit 1
done
T=$(mktemp -d)
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT INT TERM
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { i=0; until curl -fs "http://127.0.0.1:$1/api/v1/health" >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 200 ] && return 1; sleep 0.05; done; }
# Log in and make an API token (admin role, so every route is open to it).
token() { # port email password
	python3 - "$@" <<'PY'
import json, sys, urllib.request, http.cookiejar
port, email, pw = sys.argv[1:4]
op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
def call(m, p, b=None, h=None):
    r = urllib.request.Request(f"http://127.0.0.1:{port}{p}", data=json.dumps(b).encode() if b is not None else None, method=m,
                               headers=dict({"Content-Type": "application/json"}, **(h or {})))
    return json.load(op.open(r))
call("POST", "/api/v1/auth/login", {"email": email, "password": pw})
csrf = call("GET", "/api/v1/me")["csrf_token"]
print(call("POST", "/api/v1/tokens", {"name": "bench", "role": "admin"}, {"X-CSRF-Token": csrf})["token"])
PY
}
# wrk -> "req/s p99_ms"
wrk_run() { # url [extra args]
	url=$1; shift
	wrk -t2 -c64 -d"${DUR}s" --latency "$@" "$url" 2>/dev/null | awk '
		/Requests\/sec/ { rps = $2 }
		/^ +99%/ { v = $2; if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /us$/) { sub(/us/, "", v); v = v / 1000 } else if (v ~ /s$/) { sub(/s/, "", v); v = v * 1000 } p99 = v }
		END { printf "%s %s\n", rps, p99 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "== conversation list: 50 rows from $SEED conversations, wrk -t2 -c64 -d${DUR}s, $ROUNDS rounds"
"$BATON" --data "$T/list" init --workspace Bench --admin bench@bench.test --json > "$T/init.json" || exit 1
WS=$(python3 -c "import json; print(json.load(open('$T/init.json'))['workspace_id'])")
PW=$(python3 -c "import json; print(json.load(open('$T/init.json'))['password'])")
"$BUILD/bench/seed" "$T/list" "$WS" "$SEED" >/dev/null
P=$(free_port)
"$BATON" --data "$T/list" serve --listen "127.0.0.1:$P" 2>/dev/null &
SP=$!; PIDS="$PIDS $SP"
wait_up "$P" || { echo "server did not start"; exit 1; }
TOK=$(token "$P" bench@bench.test "$PW")
C=$(free_port)
"$BUILD/bench/mhd_const" "$C" &
PIDS="$PIDS $!"
sleep 0.3
: > "$T/list.txt"; : > "$T/const.txt"
r=0
while [ $r -lt "$ROUNDS" ]; do
	wrk_run "http://127.0.0.1:$P/api/v1/conversations?limit=50" -H "Authorization: Bearer $TOK" >> "$T/list.txt"
	wrk_run "http://127.0.0.1:$C/api/v1/conversations?limit=50" >> "$T/const.txt"
	r=$((r + 1))
done
LR=$(cut -d' ' -f1 "$T/list.txt" | median); LP=$(cut -d' ' -f2 "$T/list.txt" | median)
CR=$(cut -d' ' -f1 "$T/const.txt" | median); CP=$(cut -d' ' -f2 "$T/const.txt" | median)
echo "  Baton list:            $LR req/s, p99 $LP ms   (runs: $(cut -d' ' -f1 "$T/list.txt" | tr '\n' ' '))"
echo "  MHD constant reply:    $CR req/s, p99 $CP ms   (runs: $(cut -d' ' -f1 "$T/const.txt" | tr '\n' ' '))"
echo "  ratio list/constant:   $(awk "BEGIN { printf \"%.1f%%\", 100 * $LR / $CR }")   (bar: >= 50%)"
echo "  filtered (status=needs_human&site=Site-202): $(wrk_run "http://127.0.0.1:$P/api/v1/conversations?limit=50&status=needs_human&site=Site-202" -H "Authorization: Bearer $TOK" | awk '{ print $1 " req/s, p99 " $2 " ms" }')"
CUR=$(curl -s -H "Authorization: Bearer $TOK" "http://127.0.0.1:$P/api/v1/conversations?limit=50" | python3 -c 'import json,sys; print(json.load(sys.stdin)["next_cursor"])')
echo "  page 2 by cursor:      $(wrk_run "http://127.0.0.1:$P/api/v1/conversations?limit=50&cursor=$CUR" -H "Authorization: Bearer $TOK" | awk '{ print $1 " req/s, p99 " $2 " ms" }')"

echo "== message POST (internal notes, API token), wrk -t2 -c64 -d${DUR}s"
CONV=$(curl -s -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' -d '{"external_id":"bench-post"}' "http://127.0.0.1:$P/api/v1/conversations" | python3 -c 'import json,sys; print(json.load(sys.stdin)["conversation"]["id"])')
cat > "$T/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"body":"A benchmark note about the week 4 visit window.","internal":true}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOK"
LUA
: > "$T/post.txt"
r=0
while [ $r -lt "$ROUNDS" ]; do
	wrk_run "http://127.0.0.1:$P/api/v1/conversations/$CONV/messages" -s "$T/post.lua" >> "$T/post.txt"
	r=$((r + 1))
done
echo "  $(cut -d' ' -f1 "$T/post.txt" | median) messages/s, p99 $(cut -d' ' -f2 "$T/post.txt" | median) ms (each one a transaction with timeline, audit row and event, fsynced: synchronous=FULL)"
kill "$SP"; wait "$SP" 2>/dev/null

echo "== live events (demo workspace with the agent)"
"$BATON" --data "$T/demo" demo > "$T/demo.txt" || exit 1
DPW=$(sed -n 's/^Log in as .* with password \(.*\)$/\1/p' "$T/demo.txt")
WK=$(sed -n 's/^Widget key: *//p' "$T/demo/demo-login.txt")
P=$(free_port)
"$BATON" --data "$T/demo" serve --listen "127.0.0.1:$P" 2>/dev/null &
SP=$!; PIDS="$PIDS $SP"
wait_up "$P" || { echo "server did not start"; exit 1; }
DTOK=$(token "$P" demo@baton.example "$DPW")
"$BUILD/bench/sse_bench" roundtrip "$P" "$WK" 200
"$BUILD/bench/sse_bench" fanout "$P" "$DTOK" 1000 "$SP"
"$BUILD/bench/sse_bench" fanout "$P" "$DTOK" 10000 "$SP"
