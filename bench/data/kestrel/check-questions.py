#!/usr/bin/env python3
"""Sanity checks for demo/questions.jsonl against demo/kb/ and demo/key-phrases.txt.

Checks: schema and ids; for expect=answer, the document exists and at least one
answer_contains string occurs in it (case-insensitive); key phrases (matched on a
crude stem) occur in every key_phrase question and in no other question.
Prints counts per category and split. Exit status 1 on any problem.
"""
import json, os, re, sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))

def norm(s):
    s = s.lower().replace("\u2212", "-").replace("\u2013", "-")
    return re.sub(r"\s+", " ", s)

def stem(p):
    p = p.lower()
    for suf in ("ised", "ized", "ed", "ing", "ency", "ent", "ate", "axis", "actic", "al", "s", "e"):
        if p.endswith(suf) and len(p) - len(suf) >= 4:
            return p[: -len(suf)]
    return p

def main():
    phrases = [l.strip() for l in open(os.path.join(HERE, "key-phrases.txt"))
               if l.strip() and not l.startswith("#")]
    pats = [re.compile(r"\b" + re.escape(stem(p)).replace(r"\ ", r"[\s-]?"), re.I) for p in phrases]
    docs = {}
    bad = 0
    seen_ids, seen_q = set(), set()
    cats, splits = Counter(), Counter()
    for n, line in enumerate(open(os.path.join(HERE, "questions.jsonl")), 1):
        q = json.loads(line)
        keys = {"id", "question", "expect", "reason", "document", "answer_contains", "split"}
        if set(q) != keys:
            print(f"line {n}: keys {sorted(q)}"); bad += 1
        if q["id"] in seen_ids or q["question"].lower() in seen_q:
            print(f"line {n}: duplicate id or question"); bad += 1
        seen_ids.add(q["id"]); seen_q.add(q["question"].lower())
        cat = q["reason"] or "answer"
        cats[cat] += 1; splits[(cat, q["split"])] += 1
        if q["split"] not in ("train", "test"):
            print(f"{q['id']}: bad split"); bad += 1
        hit = [p for p, r in zip(phrases, pats) if r.search(q["question"])]
        if q["expect"] == "answer":
            if q["reason"] is not None or not q["answer_contains"]:
                print(f"{q['id']}: answer needs reason null and answer_contains"); bad += 1
            path = os.path.join(HERE, "kb", q["document"] or "")
            if not os.path.isfile(path):
                print(f"{q['id']}: no document {q['document']}"); bad += 1; continue
            text = docs.setdefault(path, norm(open(path, encoding="utf-8").read()))
            if not any(norm(a) in text for a in q["answer_contains"]):
                print(f"{q['id']}: none of {q['answer_contains']} in {q['document']}"); bad += 1
        elif q["expect"] == "handoff":
            if q["reason"] not in ("low_confidence", "key_phrase", "human_requested"):
                print(f"{q['id']}: bad reason"); bad += 1
        else:
            print(f"{q['id']}: bad expect"); bad += 1
        if (q["reason"] == "key_phrase") != bool(hit):
            print(f"{q['id']}: reason={q['reason']} but key phrases {hit}: {q['question']}"); bad += 1
    total = sum(cats.values())
    for c, k in cats.most_common():
        print(f"{c:16} {k:4} ({100*k/total:.0f}%)  train {splits[(c,'train')]:3}  test {splits[(c,'test')]:3}")
    print(f"{'total':16} {total:4}")
    if bad:
        print(f"{bad} problem(s)"); sys.exit(1)
    print("ok")

if __name__ == "__main__":
    main()
