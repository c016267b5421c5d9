#!/usr/bin/env python3
"""Suggested tags (T4), duplicate questions (I8) and stale-thread notices (I7)
against the real server over HTTP: suggestions appear live after a visitor
message, accept applies the tag with the member as its source, reject is
remembered, the agent applies tags above the workspace threshold, scope holds;
"answered in #N" for a paraphrase of a member-answered question and for
nothing else; a stale thread is notified once per limit and not after a reply.
Times are moved by editing the real SQLite file, never by sleeping a limit."""
import json, os, sqlite3, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Client, Server, SSE, check, done, run  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def wait(fn, seconds=15.0):
    """Poll fn until it returns something truthy (the worker runs off the request path)."""
    t0 = time.time()
    while time.time() - t0 < seconds:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    return fn()


def audit_all(client):
    """Every audit row of the workspace, page by page."""
    rows, after = [], 0
    while True:
        page = client.call("GET", f"/api/v1/audit?after={after}")[1]
        rows += page["items"]
        if not page["items"]:
            return rows
        after = page["next_after"]


def main():
    srv = Server()
    try:
        owner = srv.member()
        me = owner.call("GET", "/api/v1/me")[1]
        lines = [json.loads(l) for l in open(os.path.join(ROOT, "demo", "tagged.jsonl"))]
        st, topic = owner.call("POST", "/api/v1/tag-groups", {"name": "Topic", "cardinality": "any"})
        tags = {}
        for t in (l for l in lines if "tag" in l):
            st, row = owner.call("POST", "/api/v1/tags", {"name": t["tag"], "group_id": topic["id"], "description": t["description"]})
            tags[t["tag"]] = row["id"]
        name_of = {v: k for k, v in tags.items()}
        check("the demo Topic tags exist", len(tags) == 10, tags)
        st, bad = owner.call("PATCH", "/api/v1/settings", {"suggest_auto_threshold": 1.5})
        check("a threshold outside 0..1 is refused by name", st == 400 and "suggest_auto_threshold" in bad["error"]["message"], bad)
        st, _ = owner.call("PATCH", "/api/v1/settings", {"suggest_auto_threshold": 1})
        check("auto-tagging can be turned off (1)", st == 200)

        # History: a member tags the train split's questions (paraphrase groups not divisible by 4).
        train = [l for l in lines if "question" in l and int(l["group"][1:]) % 4 != 0]
        for q in train[::2]:
            v = srv.visitor({"site": "Site-101"})
            v.call("POST", f"/widget/v1/conversations/{v.conv}/messages", {"body": q["question"]})
            for name in q["tags"]:
                owner.call("POST", f"/api/v1/conversations/{v.conv}/tags", {"tag_id": tags[name]})

        sse = SSE(srv.base, "/api/v1/events", {"Cookie": owner.cookie_header()})
        v1 = srv.visitor({"site": "Site-101"})
        v1.call("POST", f"/widget/v1/conversations/{v1.conv}/messages", {"body": "is friday ok to ship the frozen serum samples to the central lab?"})
        items = wait(lambda: owner.call("GET", f"/api/v1/conversations/{v1.conv}/suggestions")[1]["items"])
        check("suggestions appear after a visitor message", len(items) >= 1, items)
        check("the best suggestion is Lab/Samples, with a score", items and items[0]["name"] == "Lab/Samples" and 0 < items[0]["score"] <= 1, items)
        ev = sse.wait(lambda e: e["event"] == "suggestions.updated" and e["data"].get("conversation_id") == v1.conv, 10)
        check("suggestions.updated reaches the member's event stream", ev is not None and ev["data"]["suggestions"], ev)
        sse.close()

        lab = tags["Lab/Samples"]
        st, out = owner.call("POST", f"/api/v1/conversations/{v1.conv}/suggestions/{lab}/accept")
        check("accept answers with the tags and what is left", st == 200 and any(t["tag_id"] == lab for t in out["tags"]) and
              all(s["tag_id"] != lab for s in out["suggestions"]), (st, out))
        conv = owner.call("GET", f"/api/v1/conversations/{v1.conv}")[1]
        applied = [t for t in conv["tags"] if t["tag_id"] == lab]
        check("an accepted suggestion is applied with the member as its source", applied and applied[0]["source"] == "member" and
              applied[0]["source_id"] == me["id"], conv["tags"])
        st, again = owner.call("POST", f"/api/v1/conversations/{v1.conv}/suggestions/{lab}/accept")
        check("accepting twice is a 404 (no open suggestion)", st == 404, (st, again))
        tl = owner.call("GET", f"/api/v1/conversations/{v1.conv}/timeline")[1]["items"]
        check("the timeline shows the tag added by the member", any(t["kind"] == "tag_added" and t["actor_kind"] == "member" for t in tl), tl)
        audit = audit_all(owner)
        check("the audit trail records the acceptance", any(a["action"] == "suggestion.accept" and a["object"] == v1.conv for a in audit),
              [a["action"] for a in audit][-10:])

        # Reject: remembered, never proposed again on this conversation.
        v2 = srv.visitor({"site": "Site-101"})
        v2.call("POST", f"/widget/v1/conversations/{v2.conv}/messages", {"body": "patient admitted to hospital overnight with pneumonia, do we report an SAE?"})
        items = wait(lambda: owner.call("GET", f"/api/v1/conversations/{v2.conv}/suggestions")[1]["items"])
        top = items[0]["tag_id"] if items else tags["SAE"]
        check("a safety question is suggested SAE", items and name_of[top] == "SAE", items)
        st, out = owner.call("POST", f"/api/v1/conversations/{v2.conv}/suggestions/{top}/reject")
        check("reject answers 200 and the suggestion is gone", st == 200 and all(s["tag_id"] != top for s in out["suggestions"]), out)
        sse = SSE(srv.base, "/api/v1/events", {"Cookie": owner.cookie_header()})
        v2.call("POST", f"/widget/v1/conversations/{v2.conv}/messages", {"body": "it was a serious adverse event, hospitalisation for pneumonia after the SAE form"})
        ev = sse.wait(lambda e: e["event"] == "suggestions.updated" and e["data"].get("conversation_id") == v2.conv, 10)
        sse.close()
        check("the next visitor message is classified again", ev is not None, ev)
        items = owner.call("GET", f"/api/v1/conversations/{v2.conv}/suggestions")[1]["items"]
        check("a rejected tag is not proposed again", all(s["tag_id"] != top for s in items), items)
        tl = owner.call("GET", f"/api/v1/conversations/{v2.conv}/timeline")[1]["items"]
        check("the rejection is on the timeline", any(t["kind"] == "suggestion_rejected" for t in tl), tl)
        st, bad = owner.call("POST", f"/api/v1/conversations/{v2.conv}/suggestions/abc/accept")
        check("a tag that is not an id is a 404", st == 404, (st, bad))

        # Roles and scope.
        st, inv = owner.call("POST", "/api/v1/members/invite", {"email": "viewer@site.test", "role": "viewer"})
        Client(srv.base).call("POST", "/api/v1/invites/accept", {"token": inv["token"], "name": "Vi", "password": "correct horse battery"})
        viewer = srv.member("viewer@site.test", "correct horse battery")
        st, _ = viewer.call("GET", f"/api/v1/conversations/{v2.conv}/suggestions")
        check("a viewer may read suggestions", st == 200)
        open_items = owner.call("GET", f"/api/v1/conversations/{v2.conv}/suggestions")[1]["items"]
        some = open_items[0]["tag_id"] if open_items else tags["Dosing"]
        st, _ = viewer.call("POST", f"/api/v1/conversations/{v2.conv}/suggestions/{some}/accept")
        check("a viewer cannot accept a suggestion", st == 403, st)
        st, inv = owner.call("POST", "/api/v1/members/invite", {"email": "lyon@site.test", "role": "agent", "sites": ["Site-202"]})
        Client(srv.base).call("POST", "/api/v1/invites/accept", {"token": inv["token"], "name": "Lyon", "password": "correct horse battery"})
        lyon = srv.member("lyon@site.test", "correct horse battery")
        st, _ = lyon.call("GET", f"/api/v1/conversations/{v2.conv}/suggestions")
        check("another site's conversation is a 404 for a site-scoped member", st == 404, st)
        st, _ = lyon.call("POST", f"/api/v1/conversations/{v2.conv}/suggestions/{some}/reject")
        check("nor can they reject its suggestions", st == 404, st)
        r = run(srv.data, "init", "--workspace", "Other", "--admin", "other@cro.test", "--json")
        other_init = json.loads(r.stdout)
        other = srv.member(other_init["admin_email"], other_init["password"])
        st, _ = other.call("GET", f"/api/v1/conversations/{v2.conv}/suggestions")
        check("another workspace's conversation is a 404", st == 404, st)
        st, _ = other.call("GET", f"/api/v1/conversations/{v2.conv}/duplicates")
        check("another workspace cannot read its duplicates", st == 404, st)

        # Automatic tagging above the workspace threshold, with the agent as source.
        st, _ = owner.call("PATCH", "/api/v1/settings", {"suggest_auto_threshold": 0.5})
        v3 = srv.visitor({"site": "Site-101"})
        v3.call("POST", f"/widget/v1/conversations/{v3.conv}/messages", {"body": "Where is the central lab address for shipping frozen PK samples with the courier?"})
        conv3 = wait(lambda: [t for t in owner.call("GET", f"/api/v1/conversations/{v3.conv}")[1]["tags"] if t["source"] == "agent"])
        check("above the threshold the agent applies the tag itself", conv3 and name_of[conv3[0]["tag_id"]] == "Lab/Samples", conv3)
        tl = owner.call("GET", f"/api/v1/conversations/{v3.conv}/timeline")[1]["items"]
        check("the agent's tag is on the timeline", any(t["kind"] == "tag_added" and t["actor_kind"] == "agent" for t in tl), tl)
        audit = audit_all(owner)
        check("and in the audit trail with the agent as actor", any(a["action"] == "conversation.tag" and a["actor"] == "agent" and
                                                                    a["object"] == v3.conv for a in audit), [a["action"] for a in audit][-8:])
        st, _ = owner.call("PATCH", "/api/v1/settings", {"suggest_auto_threshold": 1})

        # Duplicates: a member answered a question in one thread...
        a = srv.visitor({"site": "Site-101"})
        a.call("POST", f"/widget/v1/conversations/{a.conv}/messages", {"body": "Which days of the week can frozen samples be shipped to the central lab?"})
        owner.call("POST", f"/api/v1/conversations/{a.conv}/messages", {"body": "Frozen samples ship Monday to Wednesday only, so they never sit in a depot over a weekend.", "internal": False})
        num_a = owner.call("GET", f"/api/v1/conversations/{a.conv}")[1]["number"]
        b = srv.visitor({"site": "Site-101"})
        b.call("POST", f"/widget/v1/conversations/{b.conv}/messages", {"body": "what days of the week can we ship frozen samples?"})
        st, d = owner.call("GET", f"/api/v1/conversations/{b.conv}/duplicates")
        check("a paraphrase in another thread is 'answered in #N'", st == 200 and d["items"] and d["items"][0]["number"] == num_a and
              d["items"][0]["conversation_id"] == a.conv and "Monday" in d["items"][0]["answer_excerpt"] and
              "frozen" in d["items"][0]["question"], d)
        st, d = owner.call("GET", f"/api/v1/conversations/{a.conv}/duplicates")
        check("a thread is not its own duplicate", st == 200 and all(x["conversation_id"] != a.conv for x in d["items"]), d)
        c = srv.visitor({"site": "Site-101"})
        c.call("POST", f"/widget/v1/conversations/{c.conv}/messages", {"body": "Does the participant get a copy of the signed consent form?"})
        st, d = owner.call("GET", f"/api/v1/conversations/{c.conv}/duplicates")
        check("an unrelated question has no duplicate", st == 200 and d["items"] == [], d)
        e = srv.visitor({"site": "Site-202"})
        e.call("POST", f"/widget/v1/conversations/{e.conv}/messages", {"body": "what days of the week can we ship frozen samples?"})
        st, d = lyon.call("GET", f"/api/v1/conversations/{e.conv}/duplicates")
        check("a thread of a site the member cannot see is never shown", st == 200 and all(x["conversation_id"] != a.conv for x in d["items"]), d)
        st, d = owner.call("GET", f"/api/v1/conversations/{e.conv}/duplicates")
        check("while a member who sees every site gets it", st == 200 and any(x["conversation_id"] == a.conv for x in d["items"]), d)
        ov = Client(srv.base)
        st, oc = ov.call("POST", "/widget/v1/conversations", {"widget_key": other_init["widget_key"], "context": {}})
        ov.headers["Authorization"] = "Bearer " + oc["token"]
        ov.call("POST", f"/widget/v1/conversations/{oc['id']}/messages", {"body": "what days of the week can we ship frozen samples?"})
        st, d = other.call("GET", f"/api/v1/conversations/{oc['id']}/duplicates")
        check("another workspace's answers are never shown", st == 200 and d["items"] == [], d)

        # Stale: limit 5 minutes; a thread waiting on the team is notified once per limit.
        st, _ = owner.call("PATCH", "/api/v1/settings", {"stale_minutes": 5})
        s1 = srv.visitor({"site": "Site-101"})
        s1.call("POST", f"/widget/v1/conversations/{s1.conv}/messages", {"body": "I need to speak to a person please"})
        wait(lambda: owner.call("GET", f"/api/v1/conversations/{s1.conv}")[1]["status"] == "needs_human")
        owner.call("POST", f"/api/v1/conversations/{s1.conv}/assign", {"assignee_id": me["id"]})
        check("a fresh handoff is not stale", owner.call("GET", f"/api/v1/conversations/{s1.conv}")[1].get("stale") is False)
        db = sqlite3.connect(os.path.join(srv.data, "baton.db"), timeout=10)

        def backdate(minutes):
            with db:
                db.execute("UPDATE conversations SET updated_at = updated_at - ? WHERE id = ?", (minutes * 60000, s1.conv))
                db.execute("UPDATE stale_notices SET notified_at = notified_at - ? WHERE conversation_id = ?", (minutes * 60000, s1.conv))

        def stale_notes():
            items = owner.call("GET", "/api/v1/notifications")[1]["items"]
            return [n for n in items if n["kind"] == "stale" and n["conversation_id"] == s1.conv]

        backdate(6)
        conv = owner.call("GET", f"/api/v1/conversations/{s1.conv}")[1]
        check("past the limit the conversation is marked stale", conv.get("stale") is True, conv)
        lst = owner.call("GET", f"/api/v1/conversations?status=needs_human&assignee={me['id']}")[1]["items"]
        check("and so is its row in the list", any(r["id"] == s1.conv and r.get("stale") is True for r in lst), lst)
        notes = wait(stale_notes)
        check("the assignee is notified", len(notes) == 1 and "waited" in notes[0]["text"], notes)
        tl = wait(lambda: [t for t in owner.call("GET", f"/api/v1/conversations/{s1.conv}/timeline")[1]["items"] if t["kind"] == "stale_notified"])
        check("the notice is on the timeline", len(tl) == 1, tl)
        time.sleep(2.5)  # two more timer ticks: nothing new within the same limit
        check("only once per limit", len(stale_notes()) == 1, stale_notes())
        backdate(6)
        check("again after another full limit without a reply", len(wait(lambda: len(stale_notes()) >= 2 and stale_notes())) == 2, stale_notes())
        owner.call("POST", f"/api/v1/conversations/{s1.conv}/messages", {"body": "On it - I will call you this afternoon.", "internal": False})
        backdate(30)
        time.sleep(2.5)
        check("not after a team reply", len(stale_notes()) == 2 and owner.call("GET", f"/api/v1/conversations/{s1.conv}")[1].get("stale") is False,
              stale_notes())
        db.close()
    finally:
        srv.close()
    done()


if __name__ == "__main__":
    main()
