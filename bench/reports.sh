#!/bin/sh
# reports.sh: the dashboard, the handover digest and the CSV exports over a
# year of history (SEED_REPORTS conversations, default 1,000,000, with five
# messages each). Each route is called RUNS times one after another; p50 and
# p99 are over those calls. The reference, measured in the same run on the
# same file, is the sqlite3 shell doing the floor of each job: one aggregate
# scan of the conversations for the dashboard, and `.mode csv` of the same
# rows for the exports. REPORTS_DATA=DIR reuses a seeded directory;
# KEEP_DATA=DIR keeps the one seeded here.
set -u
cd "$(dirname "$0")/.." || exit 2
BATON=${BATON:-$(pwd)/baton}
BUILD=${BUILD:-build/rel}
N=${SEED_REPORTS:-1000000}
RUNS=${RUNS:-11}
EXPORT_RUNS=${EXPORT_RUNS:-3} # a 5M-message export takes minutes
T=$(mktemp -d "${TMPDIR:-/tmp}/baton-bench-reports.XXXXXX")
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; rm -rf "$T"' EXIT INT TERM
command -v sqlite3 >/dev/null || { echo "skip: sqlite3 shell not installed (apt-get install sqlite3)"; exit 0; }
[ -x "$BUILD/bench/seed_history" ] || make -s "$BUILD/bench/seed_history" >/dev/null || exit 1
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { i=0; until curl -fs "http://127.0.0.1:$1/api/v1/health" >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 400 ] && return 1; sleep 0.05; done; }
# "p50 p99" in ms of a list of seconds on stdin
pct() { sort -n | awk '{ a[NR] = $1 * 1000 } END { i99 = int(NR * 0.99 + 0.999); if (i99 > NR) i99 = NR; printf "%.0f %.0f\n", a[int((NR + 1) / 2)], a[i99] }'; }

if [ -n "${REPORTS_DATA:-}" ]; then
	# Reuse a seeded directory (it holds init.json next to baton.db); seeding 1M takes ~17 min here.
	echo "== reusing $REPORTS_DATA ($(du -m "$REPORTS_DATA/baton.db" | cut -f1) MB)"
	ln -s "$(cd "$REPORTS_DATA" && pwd)" "$T/d"
	cp "$REPORTS_DATA/init.json" "$T/init.json"
else
	echo "== seeding $N conversations, $((N * 5)) messages (one year, Site/Topic/Phase tags)"
	"$BATON" --data "$T/d" init --workspace Bench --admin bench@bench.test --json > "$T/init.json" || exit 1
	s0=$(date +%s)
	"$BUILD/bench/seed_history" "$T/d" "$(python3 -c "import json; print(json.load(open('$T/init.json'))['workspace_id'])")" "$N" || exit 1
	echo "  seeded in $(( $(date +%s) - s0 )) s; store $(du -m "$T/d/baton.db" | cut -f1) MB"
	[ -n "${KEEP_DATA:-}" ] && { mkdir -p "$KEEP_DATA" && cp "$T/init.json" "$T/d/baton.db" "$KEEP_DATA/" && echo "  kept in $KEEP_DATA"; }
fi
WS=$(python3 -c "import json; print(json.load(open('$T/init.json'))['workspace_id'])")
PW=$(python3 -c "import json; print(json.load(open('$T/init.json'))['password'])")
P=$(free_port)
"$BATON" --data "$T/d" serve --listen "127.0.0.1:$P" 2>/dev/null &
PIDS="$PIDS $!"
wait_up "$P" || { echo "server did not start"; exit 1; }
curl -s -c "$T/cj" -H 'Content-Type: application/json' -d "{\"email\":\"bench@bench.test\",\"password\":\"$PW\"}" \
	"http://127.0.0.1:$P/api/v1/auth/login" >/dev/null

route() { # label path
	: > "$T/t"
	bytes=0
	r=0
	while [ $r -lt "$RUNS" ]; do
		out=$(curl -s -o "$T/body" -b "$T/cj" -w '%{http_code} %{time_total} %{size_download}' "http://127.0.0.1:$P/api/v1/$2")
		set -- "$1" "$2" $out
		[ "$3" = 200 ] || { echo "  $1: HTTP $3"; return; }
		echo "$4" >> "$T/t"
		bytes=$5
		r=$((r + 1))
	done
	echo "$1 $(pct < "$T/t") $bytes"
}
ref() { # label sql [csv]
	: > "$T/t"
	r=0
	while [ $r -lt "$RUNS" ]; do
		s=$(date +%s.%N)
		if [ "${3:-}" = csv ]; then sqlite3 -csv -header "$T/d/baton.db" "$2" > "$T/ref.csv"; else sqlite3 "$T/d/baton.db" "$2" >/dev/null; fi
		echo "$(date +%s.%N) $s" | awk '{ print $1 - $2 }' >> "$T/t"
		r=$((r + 1))
	done
	echo "$1 $(pct < "$T/t")"
}
show() { # our-line ref-line
	set -- $1 $2
	printf "  %-34s p50 %6s ms  p99 %6s ms  %9s bytes | sqlite3 shell %-12s p50 %6s ms -> %sx\n" "$1" "$2" "$3" "$4" "$5" "$6" \
		"$(awk "BEGIN { printf \"%.1f\", $2 / ($6 > 0 ? $6 : 1) }")"
}
YEAR_AGO=$(date -u -d '-365 days' +%Y-%m-%d)
Q3=$(date -u -d '-90 days' +%Y-%m-%d)
echo "== dashboard and exports, $RUNS calls each (the first is cold)"
SCAN="SELECT count(*), sum(handoff_at IS NOT NULL), sum(resolved_at IS NOT NULL) FROM conversations WHERE workspace_id = '$WS'"
show "$(route dashboard:year "dashboard?from=$YEAR_AGO")" "$(ref scan "$SCAN")"
show "$(route dashboard:90d,Site-202 "dashboard?from=$Q3&site=Site-202")" "$(ref scan:90d "$SCAN AND created_at >= strftime('%s','$Q3') * 1000")"
show "$(route dashboard:year,tag "dashboard?from=$YEAR_AGO&tag=6")" "$(ref scan "$SCAN")"
set -- $(route handover handover)
printf "  %-34s p50 %6s ms  p99 %6s ms  %9s bytes (open threads only: no full-scan reference)\n" "$1" "$2" "$3" "$4"
RUNS=$EXPORT_RUNS
echo "== CSV exports, $RUNS calls each"
show "$(route export:conversations.csv exports/conversations.csv)" "$(ref csv "SELECT number, status, channel, site, assignee_id, created_at, first_human_reply_at, resolved_at, handoff_reason FROM conversations" csv)"
# A year of 5M messages is over the 256 MB export limit (the server answers 413
# and says to narrow the period): export the last 30 days, ~400k messages.
M30=$(date -u -d '-30 days' +%Y-%m-%d)
show "$(route export:messages.csv,30d "exports/messages.csv?from=$M30")" "$(ref csv:30d "SELECT conversation_id, id, author_kind, author_id, internal, created_at, body FROM messages WHERE created_at >= strftime('%s','$M30') * 1000" csv)"
st=$(curl -s -o "$T/body" -b "$T/cj" -w '%{http_code}' "http://127.0.0.1:$P/api/v1/exports/messages.csv")
echo "  export:messages.csv (a whole year): HTTP $st $(head -c 160 "$T/body")"
