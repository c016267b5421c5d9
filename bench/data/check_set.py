#!/usr/bin/env python3
"""Check a held-out question set against its documents (stdlib only).

Usage: python3 bench/data/check_set.py SET_DIR   (e.g. bench/data/osprey)

Checks: every line is a JSON object with the required fields and allowed values; ids are
unique; every answerable question names a document that exists in kb/ and has at least one
answer_contains string, each of which occurs verbatim (case-insensitive) in that document;
handoff questions have document null and answer_contains []; every key_phrase question
contains a key phrase (Baton's default list plus key-phrases.txt, if any); no answerable or
low_confidence question contains a key phrase (it would hand off by design). Prints the
counts per category. Exits 1 on any error.
"""
import json, os, re, sys

DEFAULT_PHRASES = ["serious adverse event", "SAE", "SUSAR", "urgent", "escalate",
                   "hospitalised", "hospitalized", "death", "unblinding"]
REASONS = {"answer": {None}, "handoff": {"low_confidence", "key_phrase", "human_requested"}}
FIELDS = ["id", "question", "expect", "reason", "document", "answer_contains", "split"]


def phrases(setdir):
    out = list(DEFAULT_PHRASES)
    p = os.path.join(setdir, "key-phrases.txt")
    if os.path.exists(p):
        for line in open(p, encoding="utf-8"):
            line = line.strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def stem(word):
    # crude inflection folding, stricter than nothing: hospitalised/hospitalisation/hospital
    for suf in ("isation", "ization", "ised", "ized", "ising", "izing", "ation", "ing",
                "ed", "es", "s"):
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            return word[: -len(suf)]
    return word


def has_phrase(text, phrase):
    words = [stem(w) for w in re.findall(r"[a-z0-9]+", text.lower())]
    pw = [stem(w) for w in re.findall(r"[a-z0-9]+", phrase.lower())]
    n = len(pw)
    for i in range(len(words) - n + 1):
        if all(words[i + j] == pw[j] or (len(pw[j]) >= 5 and words[i + j].startswith(pw[j]))
               for j in range(n)):
            return True
    return False


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_set.py SET_DIR (a folder with kb/ and questions.jsonl)")
    setdir = sys.argv[1]
    kb = os.path.join(setdir, "kb")
    docs = {}
    for name in sorted(os.listdir(kb)):
        with open(os.path.join(kb, name), encoding="utf-8") as f:
            docs[name] = f.read().lower()
    keys = phrases(setdir)
    errors, warnings, ids = [], [], set()
    counts = {}
    used_docs = {}
    path = os.path.join(setdir, "questions.jsonl")
    for ln, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip():
            errors.append(f"line {ln}: blank line")
            continue
        try:
            q = json.loads(line)
        except ValueError as e:
            errors.append(f"line {ln}: bad JSON: {e}")
            continue
        where = f"line {ln} ({q.get('id')})"
        if not isinstance(q, dict) or sorted(q) != sorted(FIELDS):
            errors.append(f"{where}: fields must be exactly {FIELDS}")
            continue
        if q["id"] in ids:
            errors.append(f"{where}: duplicate id")
        ids.add(q["id"])
        if q["split"] != "test":
            errors.append(f"{where}: split must be 'test'")
        if not isinstance(q["question"], str) or not q["question"].strip():
            errors.append(f"{where}: empty question")
        exp, reason = q["expect"], q["reason"]
        if exp not in REASONS or reason not in REASONS[exp]:
            errors.append(f"{where}: bad expect/reason {exp!r}/{reason!r}")
            continue
        cat = reason or "answer"
        counts[cat] = counts.get(cat, 0) + 1
        hit = [k for k in keys if has_phrase(q["question"], k)]
        if exp == "answer":
            doc = q["document"]
            if doc not in docs:
                errors.append(f"{where}: document {doc!r} not in kb/")
                continue
            used_docs[doc] = used_docs.get(doc, 0) + 1
            subs = q["answer_contains"]
            if not isinstance(subs, list) or not subs:
                errors.append(f"{where}: answerable question needs answer_contains")
                continue
            for s in subs:
                if not isinstance(s, str) or not s.strip():
                    errors.append(f"{where}: empty answer_contains entry")
                elif s.lower() not in docs[doc]:
                    errors.append(f"{where}: {s!r} not found verbatim in {doc}")
        else:
            if q["document"] is not None or q["answer_contains"] != []:
                errors.append(f"{where}: handoff needs document null and answer_contains []")
        if cat == "key_phrase" and not hit:
            errors.append(f"{where}: key_phrase question contains no key phrase")
        if cat in ("answer", "low_confidence") and hit:
            errors.append(f"{where}: {cat} question contains key phrase(s) {hit}")
    for e in errors:
        print("ERROR", e)
    for w in warnings:
        print("WARN", w)
    total = sum(counts.values())
    print(f"{total} questions: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print(f"{len(docs)} documents; answerable questions per document: " +
          ", ".join(f"{d} {used_docs.get(d, 0)}" for d in sorted(docs)))
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
