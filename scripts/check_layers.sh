#!/bin/sh
# Fails when an #include points against the layer order of DESIGN §4:
#   core <- store, kb <- inbox <- channels <- api <- http <- cli
# (inbox may use store and kb; channels may use inbox.)
cd "$(dirname "$0")/.." || exit 2
allowed() {
	case "$1" in
	core) echo "core" ;;
	store) echo "core store" ;;
	kb) echo "core kb" ;;
	inbox) echo "core store kb inbox" ;;
	channels) echo "core store kb inbox channels" ;;
	api) echo "core store kb inbox channels api" ;;
	http) echo "core store kb inbox channels api http" ;;
	cli) echo "core store kb inbox channels api http cli" ;;
	*) echo "" ;;
	esac
}
bad=0
for f in src/*/*.c src/*/*.h; do
	[ -f "$f" ] || continue
	mod=$(basename "$(dirname "$f")")
	ok=$(allowed "$mod")
	for dep in $(sed -n 's/^#include "\([a-z_]*\)\/[^"]*".*/\1/p' "$f"); do
		case " $ok " in
		*" $dep "*) ;;
		*) echo "layer violation: $f includes $dep/ (allowed: $ok)"; bad=1 ;;
		esac
	done
	if [ "$mod" != store ] && grep -q '#include <sqlite3.h>\|#include <libpq-fe.h>' "$f"; then
		echo "layer violation: $f includes a database header outside src/store"; bad=1
	fi
	if [ "$mod" != http ] && grep -q '#include <microhttpd.h>' "$f"; then
		echo "layer violation: $f includes microhttpd.h outside src/http"; bad=1
	fi
done
[ $bad = 0 ] && echo "ok   include layering"
exit $bad
