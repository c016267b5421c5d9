#!/usr/bin/env python3
"""Bulk ingest (issue 13, item 6): many small files in one `baton kb add`,
with a corrupt one among them. Every good file is added and listed, the bad
one is named with its reason and the exit status is non-zero, a question is
answered from one of the small files, a second run makes new versions, the
audit chain holds one entry per file, and a server started afterwards answers
from the CLI's documents and learns an upload at once."""
import json, os, re, sys, tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, check, done, run

N = 600  # more than two transactions' worth (KB_TX_DOCS = 256)
WORDS = ("visit window participant dose site courier sample freezer label monitor "
         "consent randomisation kit shipment temperature eCRF query investigator").split()


def note(i):
    w = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(40)]
    return (f"# Site note {i}\n\n"
            f"Site note {i}: the courier code for box {i} is K{i:04d}Z.\n\n"
            f"## Handling\n\n{' '.join(w).capitalize()}.\n\n"
            f"- {' '.join(w[:12]).capitalize()}.\n- {' '.join(w[12:24]).capitalize()}.\n")


def main():
    srv = Server()
    try:
        srv.stop()
        tmp = tempfile.mkdtemp(prefix="baton-ingest-")
        paths = []
        for i in range(1, N + 1):
            p = os.path.join(tmp, f"note-{i:04d}.md")
            with open(p, "w") as f:
                f.write(note(i))
            paths.append(p)
            if i == N // 2:
                bad = os.path.join(tmp, "broken.pdf")
                with open(bad, "wb") as f:
                    f.write(b"%PDF-1.4 broken beyond repair")
                paths.append(bad)
        r = run(srv.data, "kb", "add", *paths)
        added = [l for l in r.stdout.splitlines() if l.startswith("added ")]
        check("kb add of many files with a corrupt one exits non-zero", r.returncode != 0, r.returncode)
        check("every good file is added, in order, with the usual line",
              len(added) == N and added[0].startswith("added note-0001.md: version 1, ")
              and re.fullmatch(r"added note-0600\.md: version 1, \d+ passages \(document \d+\)", added[-1]) is not None,
              r.stdout[-500:])
        check("the corrupt file is named with its reason",
              f"baton: {bad}: " in r.stderr and "corrupt" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr)

        lst = run(srv.data, "kb", "list").stdout.splitlines()[1:]
        rows = {l.split()[1]: l for l in lst}
        check("kb list has every good file indexed",
              all(f"note-{i:04d}.md" in rows and " indexed" in rows[f"note-{i:04d}.md"] for i in range(1, N + 1)), lst[:5])
        check("and the corrupt one failed, with its reason", "broken.pdf" in rows and "failed: " in rows["broken.pdf"], rows.get("broken.pdf"))

        a = run(srv.data, "ask", "--json", "what is the courier code for box 417?")
        ans = json.loads(a.stdout) if a.returncode == 0 else {}
        check("a question is answered from one of the small files",
              "K0417Z" in ans.get("answer", "") and ans.get("citations") and ans["citations"][0]["document"] == "note-0417.md", a.stdout + a.stderr)

        # A second run: the same names become version 2 and supersede version 1.
        for i in (5, 6):
            with open(paths[i - 1], "w") as f:
                f.write(note(i).replace(f"K{i:04d}Z", f"Q{i:04d}X"))
        r = run(srv.data, "kb", "add", paths[4], paths[5])
        check("a second kb add makes new versions", r.returncode == 0 and r.stdout.count(": version 2,") == 2, r.stdout + r.stderr)
        a = json.loads(run(srv.data, "ask", "--json", "what is the courier code for box 6?").stdout)
        check("answers come from the new version only", "Q0006X" in a["answer"] and "K0006Z" not in a["answer"], a)

        v = run(srv.data, "audit", "verify")
        m = re.search(r"(\d+) rows", v.stdout)
        check("the audit chain is intact, with an entry per file", v.returncode == 0 and m and int(m.group(1)) >= N + 3, v.stdout + v.stderr)

        srv.start()
        mc = srv.member()
        st, ask = mc.call("POST", "/api/v1/ask", {"question": "what is the courier code for box 123?"})
        check("a server started afterwards answers from the CLI's documents",
              st == 200 and "K0123Z" in ask["answer"], ask)
        st, raw, _ = mc.raw("POST", "/api/v1/kb/documents", note(9999).encode(), {"X-Filename": "note-9999.md"})
        st2, ask = mc.call("POST", "/api/v1/ask", {"question": "what is the courier code for box 9999?"})
        check("and an upload to the running server is answered at once", st == 201 and "K9999Z" in ask["answer"], ask)
    finally:
        srv.close()
    done()


if __name__ == "__main__":
    main()
