#!/usr/bin/env python3
"""Scores `baton ask --json --batch` on demo/questions.jsonl against the
expected outcome of each question: answer (from the right document, with one
of the expected strings) or hand off (with the right reason).

usage: demo_eval.py BATON DATA_DIR [--split test|train|all] [--questions FILE] [--verbose]
Prints accuracy per category, AUROC of the confidence for "answered
correctly", ECE, and mean answer length; the last line is machine-readable JSON."""
import json, os, subprocess, sys, tempfile

def auroc(pos, neg):
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))

def ece(pairs, bins=10):
    if not pairs:
        return float("nan")
    tot = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        sel = [(c, y) for c, y in pairs if (lo <= c < hi) or (b == bins - 1 and c == 1.0)]
        if sel:
            tot += len(sel) * abs(sum(c for c, _ in sel) / len(sel) - sum(y for _, y in sel) / len(sel))
    return tot / len(pairs)

def main():
    baton, data = sys.argv[1], sys.argv[2]
    split = sys.argv[sys.argv.index("--split") + 1] if "--split" in sys.argv else "all"
    here = os.path.dirname(os.path.abspath(__file__))
    qfile = sys.argv[sys.argv.index("--questions") + 1] if "--questions" in sys.argv else os.path.join(here, "..", "demo", "questions.jsonl")
    qs = [json.loads(l) for l in open(qfile)]
    qs = [q for q in qs if split == "all" or q["split"] == split]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for q in qs:
            f.write(json.dumps({"id": q["id"], "question": q["question"]}) + "\n")
    out = subprocess.run([baton, "--data", data, "ask", "--json", "--batch", f.name], capture_output=True, text=True)
    os.unlink(f.name)
    got = {a["id"]: a for a in map(json.loads, out.stdout.splitlines())}
    cats = {}
    pairs, pos, neg, lens = [], [], [], []
    for q in qs:
        a = got[q["id"]]
        if q["expect"] == "answer":
            right_doc = any(c["document"] == q["document"] for c in a["citations"])
            has = any(s.lower() in a["answer"].lower() for s in q["answer_contains"])
            good = not a["handoff"] and right_doc and has
            cat = "answerable"
            if not a["handoff"]:
                lens.append(len(a["answer"].split()))
        else:
            good = a["handoff"] and a["reason"] == q["reason"]
            cat = q["reason"]
        cats.setdefault(cat, [0, 0])
        cats[cat][0] += good; cats[cat][1] += 1
        if q["expect"] == "answer" or q["reason"] == "low_confidence":
            # confidence should predict "the answer would be right"
            y = 1 if q["expect"] == "answer" and (a["handoff"] is False or a["reason"] == "low_confidence") and good or \
                (q["expect"] == "answer" and a["reason"] == "low_confidence" and False) else 0
            if q["expect"] == "answer" and a["handoff"] and a["reason"] == "low_confidence":
                y = 0
            pairs.append((a["confidence"], y))
            (pos if y else neg).append(a["confidence"])
        if "--verbose" in sys.argv and not good:
            print(f"  miss {q['id']} [{cat}] conf={a['confidence']:.2f} handoff={a['handoff']}/{a['reason']} "
                  f"cites={[c['document'] for c in a['citations']]} | {q['question']} -> {a['answer'][:90]}")
    total = sum(v[0] for v in cats.values()); n = sum(v[1] for v in cats.values())
    for c, (g, t) in sorted(cats.items()):
        print(f"  {c:16s} {g:3d}/{t:<3d} {100.0 * g / t:5.1f}%")
    res = {"split": split, "accuracy": total / n, "auroc": auroc(pos, neg), "ece": ece(pairs),
           "mean_answer_words": sum(lens) / len(lens) if lens else 0, "n": n}
    print(f"  overall {total}/{n} = {100.0 * total / n:.1f}%   AUROC {res['auroc']:.3f}   ECE {res['ece']:.3f}   mean answer {res['mean_answer_words']:.1f} words")
    print(json.dumps(res))

if __name__ == "__main__":
    main()
