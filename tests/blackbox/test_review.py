#!/usr/bin/env python3
"""The monthly review and the review -> knowledge-base loop, over HTTP and the
CLI: a fresh workspace with the demo knowledge base; visitor questions the
agent hands off (low confidence, a request for a person); members answer
them; the review groups similar questions, ranks them by member time and
lists the knowledge gaps, within the caller's site scope; a member proposes
the answer as a Q&A entry, an admin approves it, and the same question asked
in other words is then answered by the agent with a citation to the new
entry. Rejection, versions, conflicts, another workspace's ids, the audit
trail, and `baton report` in md, csv and html (parsed back)."""
import csv, glob, html.parser, io, json, os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Client, Server, check, done, run

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PARKING = "Is there parking for monitors at the hospital?"
PARKING2 = "Is there any parking for our monitors at the hospital?"
REWORDED = "Where can visiting monitors park their car?"
TAXI = "Can we reimburse patients for taxi fares to the clinic?"
ANSWER = ("Yes. Visiting monitors can park free of charge in car park B, level 2, next to the research unit. "
          "Ask the front desk for a \"visitor permit\".")


def wait_status(m, conv, want, seconds=10):
    t0 = time.time()
    c = None
    while time.time() - t0 < seconds:
        st, c = m.call("GET", f"/api/v1/conversations/{conv}")
        if st == 200 and c["status"] == want:
            return c
        time.sleep(0.05)
    return c


def wait_agent_reply(v, n, seconds=10):
    t0 = time.time()
    while time.time() - t0 < seconds:
        st, msgs = v.call("GET", f"/widget/v1/conversations/{v.conv}/messages")
        ag = [x for x in msgs["items"] if x["author_kind"] == "agent"]
        if len(ag) >= n:
            return ag[-1]
        time.sleep(0.05)
    return None


def ask_as_visitor(srv, site, text):
    v = srv.visitor({"site": site, "name": "Coordinator"})
    v.call("POST", f"/widget/v1/conversations/{v.conv}/messages", {"body": text})
    return v


class Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, d):
        self.text.append(d)


def main():
    srv = Server(name="Review trial")
    try:
        owner = srv.member()
        month = time.strftime("%Y-%m", time.gmtime())
        for path in sorted(glob.glob(os.path.join(ROOT, "demo", "kb", "*.md"))):
            st, raw, _ = owner.raw("POST", "/api/v1/kb/documents", open(path, "rb").read(),
                                   {"X-Filename": os.path.basename(path), "Content-Type": "application/octet-stream"})
            if st != 201:
                check(f"upload {os.path.basename(path)}", False, raw)

        def invite(email, role, sites=None):
            body = {"email": email, "role": role, "organisation": "Site"}
            if sites is not None:
                body["sites"] = sites
            st, inv = owner.call("POST", "/api/v1/members/invite", body)
            Client(srv.base).call("POST", "/api/v1/invites/accept", {"token": inv["token"], "name": role, "password": "correct horse battery"})
            return srv.member(email, "correct horse battery")

        nurse = invite("nurse@site.test", "agent")
        viewer101 = invite("viewer101@site.test", "viewer", ["Site-101"])

        # Before anything is handed off: a clear empty review.
        st, empty = owner.call("GET", f"/api/v1/review?month={month}")
        check("an empty month has no groups and no gaps", st == 200 and empty["groups"] == [] and empty["gaps"] == []
              and empty["totals"]["handoffs"] == 0, empty)

        v1 = ask_as_visitor(srv, "Site-101", PARKING)
        v2 = ask_as_visitor(srv, "Site-202", PARKING2)
        v3 = ask_as_visitor(srv, "Site-202", TAXI)
        v4 = ask_as_visitor(srv, "Site-101", "I want to talk to a person about my <b>contract</b> please")
        c1 = wait_status(owner, v1.conv, "needs_human")
        c2 = wait_status(owner, v2.conv, "needs_human")
        c3 = wait_status(owner, v3.conv, "needs_human")
        c4 = wait_status(owner, v4.conv, "needs_human")
        check("the agent hands the parking question off for low confidence",
              c1["status"] == "needs_human" and c1["handoff_reason"] == "low_confidence", c1)
        check("the reworded parking question and the taxi question are handed off too",
              c2["handoff_reason"] == "low_confidence" and c3["handoff_reason"] == "low_confidence", (c2, c3))
        check("a request for a person hands off with human_requested", c4["handoff_reason"] == "human_requested", c4)

        # Members answer: two replies and a note on the first parking thread, one reply elsewhere.
        nurse.call("POST", f"/api/v1/conversations/{v1.conv}/messages", {"body": "Let me check with facilities.", "internal": False})
        nurse.call("POST", f"/api/v1/conversations/{v1.conv}/messages", {"body": "Facilities say car park B.", "internal": True})
        st, reply = nurse.call("POST", f"/api/v1/conversations/{v1.conv}/messages", {"body": ANSWER, "internal": False})
        check("a member answers the handed-off thread", st == 201, reply)
        nurse.call("POST", f"/api/v1/conversations/{v2.conv}/messages", {"body": "Car park B, level 2.", "internal": False})
        nurse.call("POST", f"/api/v1/conversations/{v4.conv}/messages", {"body": "I will ask our contracts team to call you.", "internal": False})

        st, rv = owner.call("GET", f"/api/v1/review?month={month}")
        check("GET /review answers 200 with the month", st == 200 and rv["month"] == month, rv)
        groups = rv.get("groups", [])
        park = [g for g in groups if any(t["id"] == v1.conv for t in g["threads"])]
        check("four handoffs in the month", rv["totals"]["handoffs"] == 4, rv["totals"])
        check("the two parking questions form one group", len(park) == 1 and park[0]["count"] == 2 and
              {t["id"] for t in park[0]["threads"]} == {v1.conv, v2.conv}, groups)
        check("the taxi and contract questions stay in groups of their own", len(groups) == 3, [g["question"] for g in groups])
        check("groups are ranked by member time, the parking group first (4 member messages)",
              groups and groups[0] is not None and park and groups[0]["question"] == park[0]["question"] and
              all(groups[i]["member_time_s"] >= groups[i + 1]["member_time_s"] for i in range(len(groups) - 1)),
              [(g["question"], g["member_time_s"]) for g in groups])
        check("member time counts every member message after the handoff (at least a minute each)",
              park and park[0]["member_time_s"] >= 4 * 60, park)
        t1 = [t for t in park[0]["threads"] if t["id"] == v1.conv][0] if park else {}
        check("a thread carries its number, site, reason, question and the member's answer",
              t1.get("number") == c1["number"] and t1.get("site") == "Site-101" and t1.get("reason") == "low_confidence"
              and t1.get("question") == PARKING and t1.get("answer") == ANSWER, t1)
        check("the member time is defined in the response", "member_time_definition" in rv and "15 minutes" in rv["member_time_definition"])
        gaps = rv.get("gaps", [])
        check("knowledge gaps: the low-confidence questions, clustered with counts",
              sorted(g["count"] for g in gaps) == [1, 2] and rv["totals"]["gaps"] == 3, gaps)
        check("a request for a person is not a knowledge gap",
              all(v4.conv not in [t["id"] for t in g["threads"]] for g in gaps), gaps)
        check("the gaps are not answered by the agent yet", all(not g["answered_now"] for g in gaps), gaps)

        st, scoped = viewer101.call("GET", f"/api/v1/review?month={month}")
        ids = {t["id"] for g in scoped.get("groups", []) for t in g["threads"]}
        check("a site-scoped viewer sees only their site's threads", st == 200 and ids == {v1.conv, v4.conv}, ids)

        for bad in ("2026-13", "26-11", "2026-1", "november", "2026-11-01", "0000-00"):
            st, err = owner.call("GET", f"/api/v1/review?month={bad}")
            check(f"month={bad} is refused with a clear 400", st == 400 and "YYYY-MM" in err["error"]["message"], (st, err))
        st, other_month = owner.call("GET", "/api/v1/review?month=2001-01")
        check("another month is empty", st == 200 and other_month["totals"]["handoffs"] == 0, other_month)

        # Propose from the thread: question and answer pre-filled from it.
        st, e1 = nurse.call("POST", "/api/v1/review/entries", {"conversation_id": v1.conv})
        check("an agent proposes an entry from the thread, pre-filled", st == 201 and e1["state"] == "pending" and
              e1["question"] == PARKING and e1["answer"] == ANSWER and e1["proposed_by"] == "member:nurse@site.test", e1)
        st, e = viewer101.call("POST", "/api/v1/review/entries", {"question": "x?", "answer": "y"})
        check("a viewer cannot propose", st == 403, (st, e))
        for body, why in (({"question": "ok?"}, "no answer"), ({"question": "", "answer": "a"}, "empty question"),
                          ({"question": "q" * 600, "answer": "a"}, "long question"), ({"question": 5, "answer": "a"}, "number"),
                          ({"question": "Where?", "answer": "   "}, "blank answer"),
                          ({"conversation_id": "cv_nope", "question": "Where?", "answer": "a"}, "unknown conversation")):
            st, err = nurse.call("POST", "/api/v1/review/entries", body)
            check(f"a bad entry is refused ({why})", st in (400, 404) and "error" in err, (st, err))
        st, e = nurse.call("POST", f"/api/v1/review/entries/{e1['id']}/approve", {})
        check("an agent cannot approve", st == 403, (st, e))
        st, pend = owner.call("GET", "/api/v1/review/entries?state=pending")
        check("the pending entry is listed for the admin", st == 200 and [x["id"] for x in pend["items"]] == [e1["id"]], pend)

        st, ap = owner.call("POST", f"/api/v1/review/entries/{e1['id']}/approve", {})
        docname = ap.get("document_name") if isinstance(ap, dict) else None
        check("the admin approves: the entry becomes a knowledge-base document",
              st == 200 and ap["state"] == "approved" and ap["decided_by"] == "member:" + srv.init["admin_email"] and
              docname and docname.startswith("qa-") and docname.endswith(".md") and ap["document"]["version"] == 1, ap)
        st, docs = owner.call("GET", "/api/v1/kb/documents")
        d = [x for x in docs["items"] if x["name"] == docname]
        check("the document is listed as indexed, titled with the question", len(d) == 1 and d[0]["state"] == "indexed" and d[0]["passages"] >= 1 and d[0]["title"] == PARKING, d)
        st, again = owner.call("POST", f"/api/v1/review/entries/{e1['id']}/approve", {})
        check("approving twice is a conflict", st == 409, (st, again))

        # The loop: the same question in other words, now answered with a citation to the entry.
        v5 = ask_as_visitor(srv, "Site-303", REWORDED)
        a5 = wait_agent_reply(v5, 1)
        c5 = owner.call("GET", f"/api/v1/conversations/{v5.conv}")[1]
        check("the reworded question is answered by the agent, not handed off",
              a5 is not None and a5.get("handoff_reason") is None and c5["status"] == "open" and "car park B" in a5["body"], (a5, c5))
        check("the answer cites the new entry", a5 is not None and any(x["document"] == docname for x in a5.get("citations") or []), a5)
        st, asked = owner.call("POST", "/api/v1/ask", {"question": "monitor parking at the hospital?"})
        check("the ask box answers it from the entry too", st == 200 and not asked["handoff"] and
              asked["citations"] and asked["citations"][0]["document"] == docname, asked)

        st, rv2 = owner.call("GET", f"/api/v1/review?month={month}")
        park2 = [g for g in rv2["gaps"] if any(t["id"] == v1.conv for t in g["threads"])]
        check("the parking gap is now answered by the agent", park2 and park2[0]["answered_now"], park2)
        pg = [g for g in rv2["groups"] if any(t["id"] == v1.conv for t in g["threads"])]
        check("the group shows its approved entry", pg and {"id": e1["id"], "state": "approved"} in pg[0]["entries"], pg)

        # A second answer to the same question becomes version 2 of the same document.
        st, e2 = owner.call("POST", "/api/v1/review/entries", {"question": PARKING, "answer": ANSWER + " Parking is free after 6 pm.", "conversation_id": v2.conv})
        st, ap2 = owner.call("POST", f"/api/v1/review/entries/{e2['id']}/approve", {})
        check("the same question approved again is a new version of the same document",
              st == 200 and ap2["document_name"] == docname and ap2["document"]["version"] == 2, ap2)
        st, alldocs = owner.call("GET", "/api/v1/kb/documents?all=1")
        vs = sorted((x["version"], x["state"]) for x in alldocs["items"] if x["name"] == docname)
        check("the old version is superseded", vs == [(1, "superseded"), (2, "indexed")], vs)

        # Reject with a note; edit while approving.
        st, e3 = nurse.call("POST", "/api/v1/review/entries", {"question": TAXI, "answer": "Ask the sponsor.", "conversation_id": v3.conv})
        st, rj = owner.call("POST", f"/api/v1/review/entries/{e3['id']}/reject", {"note": "too vague"})
        check("the admin rejects an entry with a note", st == 200 and rj["state"] == "rejected" and rj["note"] == "too vague"
              and rj.get("document_name") is None, rj)
        st, rj2 = owner.call("POST", f"/api/v1/review/entries/{e3['id']}/approve", {})
        check("a rejected entry cannot be approved", st == 409, (st, rj2))
        st, e4 = nurse.call("POST", "/api/v1/review/entries", {"question": TAXI, "answer": "draft"})
        st, ap4 = owner.call("POST", f"/api/v1/review/entries/{e4['id']}/approve",
                             {"answer": "Taxi fares to study visits are reimbursed through the Meridian payment portal with the receipt."})
        check("the admin can correct the answer while approving", st == 200 and ap4["answer"].startswith("Taxi fares"), ap4)
        st, allents = owner.call("GET", "/api/v1/review/entries")
        states = {x["id"]: (x["state"], x["proposed_by"], x.get("decided_by")) for x in allents["items"]}
        check("entries are listed with their state, proposer and approver",
              states.get(e3["id"], ("",))[0] == "rejected" and states.get(e1["id"], ("",))[0] == "approved" and
              states[e1["id"]][1] == "member:nurse@site.test" and states[e1["id"]][2] == "member:" + srv.init["admin_email"], states)
        st, scoped_e = viewer101.call("GET", "/api/v1/review/entries")
        check("a site-scoped viewer sees only entries of their sites' threads (and free-standing ones)",
              st == 200 and {x["id"] for x in scoped_e["items"]} == {e1["id"], e4["id"]}, scoped_e)
        st, bad = owner.call("GET", "/api/v1/review/entries?state=maybe")
        check("a bad state filter is a 400", st == 400, (st, bad))
        st, nf = owner.call("POST", "/api/v1/review/entries/999999/approve", {})
        check("an unknown entry is a 404", st == 404, (st, nf))

        st, audit = owner.call("GET", "/api/v1/audit")
        actions = [r["action"] for r in audit["items"]]
        check("the audit trail has the proposals, decisions and the document",
              {"review.propose", "review.approve", "review.reject", "kb.add"} <= set(actions), sorted(set(actions)))
        r = run(srv.data, "audit", "verify")
        check("the audit chain verifies", r.returncode == 0, r.stdout + r.stderr)

        # Another workspace cannot see or decide this one's entries.
        r = run(srv.data, "init", "--workspace", "Other", "--admin", "other@else.test", "--json")
        other_init = json.loads(r.stdout)
        other = srv.member(other_init["admin_email"], other_init["password"])
        st, x = other.call("POST", f"/api/v1/review/entries/{e4['id']}/reject", {})
        check("another workspace's entry is a 404", st == 404, (st, x))
        st, x = other.call("GET", "/api/v1/review/entries")
        check("another workspace lists none of them", st == 200 and x["items"] == [], x)
        st, x = other.call("GET", f"/api/v1/review?month={month}")
        check("another workspace's review is empty", st == 200 and x["totals"]["handoffs"] == 0, x)
        st, x = other.call("POST", "/api/v1/review/entries", {"conversation_id": v1.conv})
        check("proposing from another workspace's thread is a 404", st == 404, (st, x))

        # The CLI report, parsed back.
        ws = ["--workspace", "Review trial"]
        r = run(srv.data, "report", "--month", month, "--format", "csv", *ws)
        rows = list(csv.DictReader(io.StringIO(r.stdout))) if r.returncode == 0 else []
        check("report --format csv parses back with one row per thread", r.returncode == 0 and len(rows) == 4 and
              {"group", "group_question", "group_count", "group_member_time_s", "number", "site", "reason", "tags", "question", "answer"} <= set(rows[0].keys()),
              (r.returncode, r.stderr, rows[:1]))
        prow = [x for x in rows if x["number"] == str(c1["number"])]
        check("the CSV row keeps the member's answer with its commas and quotes intact",
              prow and prow[0]["answer"] == ANSWER and prow[0]["group"] == "1" and prow[0]["group_count"] == "2", prow)
        r = run(srv.data, "report", "--month", month, *ws)
        check("report defaults to Markdown with the groups ranked", r.returncode == 0 and r.stdout.startswith("# Review ")
              and "## Knowledge gaps" in r.stdout and f"#{c1['number']}" in r.stdout and "member time" in r.stdout, r.stdout[:500] + r.stderr)
        lines = r.stdout.splitlines()
        heads = [l for l in lines if l.startswith("### ")]
        check("the Markdown has one heading per group, ranked", len(heads) == 3 + len(rv2["gaps"]) and heads[0].startswith("### 1."), heads)
        r = run(srv.data, "report", "--month", month, "--format", "html", *ws)
        p = Text(); p.feed(r.stdout)
        body = "".join(p.text)
        check("report --format html is a document with a table per group", r.returncode == 0 and "html" in p.tags and
              p.tags.count("table") >= 3 and PARKING in body and "Knowledge gaps" in body, r.stderr)
        check("the html escapes what visitors wrote", "<b>" not in r.stdout and "&lt;b&gt;contract" in r.stdout, r.stdout[:300])
        r = run(srv.data, "report", "--month", "2026-13", *ws)
        check("report refuses a bad month with exit 2 and a clear message", r.returncode == 2 and "YYYY-MM" in r.stderr, r.stderr)
        r = run(srv.data, "report", "--month", month, "--format", "pdf", *ws)
        check("report refuses an unknown format", r.returncode == 2 and "md, csv or html" in r.stderr, r.stderr)
        r = run(srv.data, "report", *ws)
        check("report without --month says how to call it", r.returncode == 2 and "--month" in r.stderr, r.stderr)
        r = run(srv.data, "report", "--month", month)
        check("report asks for --workspace when there are several", r.returncode != 0 and "--workspace" in r.stderr, r.stderr)
        r = run(srv.data, "report", "--month", month, "--workspace", "Nope")
        check("report names an unknown workspace", r.returncode != 0 and "Nope" in r.stderr, r.stderr)
    finally:
        srv.close()
    done()


if __name__ == "__main__":
    main()
