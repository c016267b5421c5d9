#!/bin/sh
# make run: seed the demo workspace on first start, then serve it.
set -eu
BIN=${1:-./baton}
DATA=${BATON_DATA:-./baton-data}
LISTEN=${BATON_LISTEN:-127.0.0.1:8080}
if [ ! -f "$DATA/baton.db" ]; then
	"$BIN" --data "$DATA" demo
fi
if [ -f "$DATA/demo-login.txt" ]; then
	cat "$DATA/demo-login.txt"
else
	echo "No demo login in $DATA (an interrupted demo, or your own workspace). To start over: rm -rf $DATA && make run"
fi
KEY=$(sed -n 's/^Widget key: *//p' "$DATA/demo-login.txt" 2>/dev/null)
echo "Baton:     http://$LISTEN/   (Ctrl-C stops it)"
[ -n "$KEY" ] && echo "Demo page: http://$LISTEN/demo.html?key=$KEY   (a site portal with the chat widget)"
exec "$BIN" --data "$DATA" serve --listen "$LISTEN"
