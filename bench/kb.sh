#!/bin/sh
# The answer agent's benchmarks: quality against a plain FTS5 bm25 baseline on
# ../shared/data and the demo questions, then latency at 5,000 and 100,000
# passages beside FTS5 in the same run. Env: BUILD, BATON_DATA.
set -u
BUILD=${BUILD:-build/rel}
[ -x "$BUILD/bench/kb_bench" ] || make -s "$BUILD/bench/kb_bench" || exit 1
"$BUILD/bench/kb_bench" quality
echo
"$BUILD/bench/kb_bench" latency
echo
echo "Demo questions end to end through \`baton ask --json --batch\` (all splits):"
T=$(mktemp -d)
"${BATON:-./baton}" --data "$T" demo >/dev/null && python3 bench/demo_eval.py "${BATON:-./baton}" "$T" | tail -6
rm -rf "$T"
echo
echo "The larger KESTREL-RA set (bench/data/kestrel, 220 questions), workspace key phrases = default + its list:"
T=$(mktemp -d)
"${BATON:-./baton}" --data "$T" init --workspace K --admin k@k.test >/dev/null
"${BATON:-./baton}" --data "$T" kb add bench/data/kestrel/kb/*.md >/dev/null
python3 - "$T" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1] + "/baton.db")
extra = [l.strip() for l in open("bench/data/kestrel/key-phrases.txt") if l.strip() and not l.startswith("#")]
phrases = "serious adverse event\nSAE\nSUSAR\nurgent\nescalate\nhospitalised\nhospitalized\ndeath\ndied\npassed away\nunblinding\n" + "\n".join(extra)
ws = db.execute("SELECT id, settings_json FROM workspaces").fetchone()
s = json.loads(ws[1]); s["key_phrases"] = phrases
db.execute("UPDATE workspaces SET settings_json = ? WHERE id = ?", (json.dumps(s), ws[0])); db.commit()
PY
python3 bench/demo_eval.py "${BATON:-./baton}" "$T" --questions bench/data/kestrel/questions.jsonl | tail -6
rm -rf "$T"
