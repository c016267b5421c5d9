#!/bin/sh
# Builds every libFuzzer driver in tests/fuzz with clang (ASan + UBSan +
# coverage) against the project compiled the same way, then runs each for
# FUZZ_SECONDS (default 10) from its seed corpus. Crashes are saved under
# build/fuzz/crashes. Prints ok/FAIL per driver and "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 2
SECS=${FUZZ_SECONDS:-10}
OUT=build/fuzz
command -v clang >/dev/null 2>&1 || { echo "skip: clang is not installed"; echo "0 passed, 0 failed"; exit 0; }
PKGS="libmicrohttpd jansson libsodium sqlite3 libcurl libzip poppler-glib libcmark libxml-2.0 gmime-3.0 hunspell"
CFLAGS="-std=c17 -D_GNU_SOURCE -DBATON_VERSION=\"fuzz\" -g -O1 -fsanitize=fuzzer-no-link,address,undefined -Isrc -Ibuild $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -lstemmer -llinear -lwordnet -lpthread -lm"
mkdir -p "$OUT/obj" "$OUT/crashes"
make -s build/rel/assets.c build/rel/migrations.c build/rel/demo_files.c >/dev/null || exit 1
objs=""
for f in src/*/*.c build/rel/assets.c build/rel/migrations.c build/rel/demo_files.c; do
	[ "$f" = src/cli/main.c ] && continue
	o="$OUT/obj/$(echo "$f" | tr '/' '_').o"
	if [ ! -f "$o" ] || [ "$f" -nt "$o" ]; then
		clang $CFLAGS -w -c -o "$o" "$f" || exit 1
	fi
	objs="$objs $o"
done
passed=0
failed=0
for drv in tests/fuzz/fuzz_*.c; do
	name=$(basename "$drv" .c)
	corpus=tests/fuzz/corpus/${name#fuzz_}
	clang $CFLAGS -fsanitize=fuzzer -o "$OUT/$name" "$drv" $objs $LIBS || { echo "FAIL $name: build"; failed=$((failed + 1)); continue; }
	work=$(mktemp -d)
	[ -d "$corpus" ] && cp "$corpus"/* "$work"/ 2>/dev/null
	if ASAN_OPTIONS=detect_leaks=0 "$OUT/$name" -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="$OUT/crashes/$name-" "$work" >"$OUT/$name.log" 2>&1; then
		echo "ok   $name: $(grep -o 'Done [0-9]* runs in [0-9]* second' "$OUT/$name.log" | tail -1)"
		passed=$((passed + 1))
	else
		echo "FAIL $name: see $OUT/$name.log"
		grep -E 'ERROR|SUMMARY' "$OUT/$name.log" | head -3
		failed=$((failed + 1))
	fi
	rm -rf "$work"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
