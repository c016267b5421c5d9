#!/usr/bin/env python3
"""Build kb/ from the hand-written leaflet sources in src/*.txt (stdlib only, deterministic).

Each source file holds leaflets separated by lines "@@ slug"; the text after the marker is the
leaflet's Markdown ("# Title" then one to three "## " sections). Each paragraph is one line. The script removes kb/*.md first, so kb/ always matches src/, and fails if a leaflet
breaks the shape rules (80 to 400 words, one title, one to three sections, unique slug).
"""
import glob, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))


def leaflets():
    for path in sorted(glob.glob(os.path.join(HERE, "src", "*.txt"))):
        slug, lines = None, []
        for line in open(path, encoding="utf-8"):
            m = re.match(r"^@@ ([a-z0-9-]+)\s*$", line)
            if m:
                if slug:
                    yield slug, lines
                slug, lines = m.group(1), []
            elif slug:
                lines.append(line.rstrip("\n"))
        if slug:
            yield slug, lines


def render(lines):
    out = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            if out and out[-1] != "":
                out.append("")
            out.append(line)
            out.append("")
        else:
            out.append(line)
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def main():
    kb = os.path.join(HERE, "kb")
    os.makedirs(kb, exist_ok=True)
    for old in glob.glob(os.path.join(kb, "*.md")):
        os.remove(old)
    seen, bad = set(), []
    for slug, lines in leaflets():
        text = render(lines)
        words = len(re.findall(r"\S+", text))
        titles = [l for l in text.splitlines() if l.startswith("# ")]
        sections = [l for l in text.splitlines() if l.startswith("## ")]
        if slug in seen:
            bad.append(f"{slug}: duplicate slug")
        if not 80 <= words <= 400:
            bad.append(f"{slug}: {words} words")
        if len(titles) != 1 or not text.startswith("# "):
            bad.append(f"{slug}: needs exactly one '# Title' first")
        if not 1 <= len(sections) <= 3:
            bad.append(f"{slug}: {len(sections)} sections")
        seen.add(slug)
        with open(os.path.join(kb, slug + ".md"), "w", encoding="utf-8") as f:
            f.write(text)
    for b in bad:
        print("ERROR", b)
    print(f"{len(seen)} leaflets written to kb/")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
