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
fi
echo "Baton: http://$LISTEN/   (Ctrl-C stops it)"
exec "$BIN" --data "$DATA" serve --listen "$LISTEN"
