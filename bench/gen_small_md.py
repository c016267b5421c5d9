#!/usr/bin/env python3
"""gen_small_md.py DIR COUNT [SOURCE.md...]: write COUNT small Markdown files
(1 to 5 KB each: a title, headings, paragraphs and lists) into DIR, built from
the words of the source documents (default: demo/kb/*.md). Deterministic: the
same arguments give the same bytes (a fixed LCG, not Python's random). Each
file carries one unique sentence, "Site note N: the courier code for box N is
CODE.", so a question can be answered from exactly one of them."""
import glob
import os
import re
import sys


class Lcg:
    def __init__(self, seed):
        self.x = seed & 0xFFFFFFFFFFFFFFFF

    def next(self, n):
        self.x = (self.x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        return (self.x >> 33) % n


def words_of(paths):
    out = []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            out += re.findall(r"[A-Za-z][A-Za-z'-]{1,}", f.read())
    return out or ["visit", "window", "participant", "dose", "site"]


def sentence(r, words, lo, hi):
    n = lo + r.next(hi - lo + 1)
    s = " ".join(words[r.next(len(words))] for _ in range(n))
    return s[0].upper() + s[1:] + "."


def doc(i, r, words):
    target = 1024 + r.next(4 * 1024 - 200)  # 1 KB to just under 5 KB
    code = "".join("BCDFGHJKLMNPQRSTVWXZ"[r.next(20)] for _ in range(6))
    parts = ["# Site note %d: %s\n" % (i, sentence(r, words, 2, 5)[:-1]), ""]
    parts.append("Site note %d: the courier code for box %d is %s." % (i, i, code))
    parts.append("")
    size = sum(len(p) + 1 for p in parts)
    while size < target:
        kind = r.next(4)
        if kind == 0:
            block = ["## " + sentence(r, words, 2, 6)[:-1], ""]
        elif kind == 1:
            block = ["- " + sentence(r, words, 4, 14) for _ in range(2 + r.next(4))] + [""]
        else:
            block = [" ".join(sentence(r, words, 6, 18) for _ in range(2 + r.next(4))), ""]
        parts += block
        size += sum(len(p) + 1 for p in block)
    text = "\n".join(parts)
    if len(text) > 5000:  # the last block overshot: end at a line break under 5 KB
        text = text[:5000].rsplit("\n", 1)[0]
    return text.rstrip("\n") + "\n"


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: gen_small_md.py DIR COUNT [SOURCE.md...]")
    out, count = sys.argv[1], int(sys.argv[2])
    src = sys.argv[3:] or sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "demo", "kb", "*.md")))
    words = words_of(src)
    os.makedirs(out, exist_ok=True)
    r = Lcg(20260913)
    for i in range(1, count + 1):
        with open(os.path.join(out, "note-%05d.md" % i), "w", encoding="utf-8") as f:
            f.write(doc(i, r, words))


if __name__ == "__main__":
    main()
