#!/usr/bin/env python3
"""Collaboration (issue 4) over real HTTP and SSE: presence (viewing, typing,
expiry, left) seen live by members who may see the conversation and never
by another site, another workspace or the visitor (who only learns "someone
is typing"); the visitor's typing; @mentions that notify only the member
named, with an event on that member's stream alone (live and on replay);
per-member unread and read markers; saved views per member; saved replies
per workspace; the member's first name on widget replies; bad input."""
import json, os, sys, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Short expiries so the test waits seconds, not half a minute (viewing, typing).
os.environ["BATON_PRESENCE_TTL_MS"] = "2500,1200"
from harness import SSE, Client, Server, check, done, run

PW = "correct horse battery"


def presence_of(conv, pred=None):
    def p(e):
        return (e["event"] == "conversation.presence" and e["data"]["conversation_id"] == conv
                and (pred is None or pred(e["data"])))
    return p


def states(d):
    return {m["id"]: m["state"] for m in d["members"]}


def main():
    srv = Server()
    try:
        owner = srv.member()
        other = json.loads(run(srv.data, "init", "--workspace", "Other", "--admin", "oa@cro.test", "--json").stdout)

        def invite(email, role, name, sites=None):
            body = {"email": email, "role": role, "organisation": "Site-101"}
            if sites:
                body["sites"] = sites
            st, inv = owner.call("POST", "/api/v1/members/invite", body)
            st, m = Client(srv.base).call("POST", "/api/v1/invites/accept", {"token": inv["token"], "name": name, "password": PW})
            return m["member"]["id"], srv.member(email, PW)

        a_id, a = invite("ana@site.test", "agent", "Ana Silva")
        b_id, b = invite("ben@site.test", "agent", "Ben Okafor")
        v_id, v = invite("vera@site.test", "viewer", "Vera Lin")
        s_id, s = invite("sam@site.test", "agent", "Sam Other", ["Site-202"])
        o = srv.member(other["admin_email"], other["password"])
        st, tok = owner.call("POST", "/api/v1/tokens", {"name": "desk", "role": "agent"})
        api = Client(srv.base); api.headers["Authorization"] = "Bearer " + tok["token"]

        vis = srv.visitor({"site": "Site-101", "name": "Pat"})
        conv = vis.conv
        vis.call("POST", f"/widget/v1/conversations/{conv}/messages", {"body": "Where do I ship the samples?"})

        def stream(c):
            return SSE(srv.base, "/api/v1/events", {"Cookie": c.cookie_header()})
        bs, vs_, ss, os_ = stream(b), stream(v), stream(s), stream(o)
        ws = SSE(srv.base, f"/widget/v1/conversations/{conv}/events", {"Authorization": vis.headers["Authorization"]})
        check("the streams open", all(x.status == 200 for x in (bs, vs_, ss, os_, ws)))
        time.sleep(0.2)

        # ---- presence ----
        st, p = a.call("POST", f"/api/v1/conversations/{conv}/presence", {"state": "viewing"})
        check("a member says they are viewing", st == 200 and states(p).get(a_id) == "viewing", (st, p))
        e = bs.wait(presence_of(conv, lambda d: states(d).get(a_id) == "viewing"))
        check("another member sees who is viewing, live", e is not None)
        check("with the viewer's name", e is not None and any(m["name"] == "Ana Silva" for m in e["data"]["members"]), e)
        check("presence events carry no id (nothing to replay)", e is not None and e["id"] is None, e)
        st, p = a.call("POST", f"/api/v1/conversations/{conv}/presence", {"state": "typing", "note": True})
        check("typing a note", st == 200 and states(p).get(a_id) == "typing", (st, p))
        check("members see it is a note",
              bs.wait(presence_of(conv, lambda d: any(m["id"] == a_id and m["note"] for m in d["members"]))) is not None)
        time.sleep(0.3)
        check("the visitor is not told about a note being typed", not any(e["event"] == "conversation.typing" for e in ws.events),
              [e["event"] for e in ws.events])
        st, body = a.call("POST", f"/api/v1/conversations/{conv}/presence", {"state": "typing", "note": "yes"})
        check("note must be a boolean (400)", st == 400, (st, body))
        st, p = a.call("POST", f"/api/v1/conversations/{conv}/presence", {"state": "typing"})
        check("an agent may say they are typing", st == 200 and states(p).get(a_id) == "typing", (st, p))
        check("members see who is typing", bs.wait(presence_of(conv, lambda d: states(d).get(a_id) == "typing")) is not None)
        te = ws.wait(lambda e: e["event"] == "conversation.typing" and e["data"]["typing"] is True)
        check("the visitor sees that someone is typing", te is not None, [x["event"] for x in ws.events])
        st, g = b.call("GET", f"/api/v1/conversations/{conv}/presence")
        check("GET presence lists the current state", st == 200 and states(g).get(a_id) == "typing", (st, g))
        # Typing expires on its own (1.2 s here, 6 s by default), viewing stays.
        check("typing expires into viewing, live",
              bs.wait(presence_of(conv, lambda d: states(d).get(a_id) == "viewing"), 10) is not None)
        check("the visitor sees typing stop",
              ws.wait(lambda e: e["event"] == "conversation.typing" and e["data"]["typing"] is False, 10) is not None)
        check("viewing expires without heartbeats (2.5 s here, 30 s by default)",
              bs.wait(presence_of(conv, lambda d: a_id not in states(d)), 10) is not None)
        st, g = b.call("GET", f"/api/v1/conversations/{conv}/presence")
        check("and is gone from GET", st == 200 and a_id not in states(g), g)
        a.call("POST", f"/api/v1/conversations/{conv}/presence", {"state": "viewing"})
        st, p = a.call("POST", f"/api/v1/conversations/{conv}/presence", {"state": "left"})
        check("left removes the member at once", st == 200 and a_id not in states(p), p)
        st, _ = v.call("POST", f"/api/v1/conversations/{conv}/presence", {"state": "viewing"})
        check("a viewer may be viewing", st == 200, st)
        st, body = v.call("POST", f"/api/v1/conversations/{conv}/presence", {"state": "typing"})
        check("a viewer cannot be typing (403)", st == 403, (st, body))
        v.call("POST", f"/api/v1/conversations/{conv}/presence", {"state": "left"})
        for bad in ({"state": "dancing"}, {}, {"state": 3}, {"state": "x" * 100}):
            st, body = a.call("POST", f"/api/v1/conversations/{conv}/presence", bad)
            check(f"bad presence {json.dumps(bad)[:30]} is a 400", st == 400 and "error" in body, (st, body))
        st, _ = s.call("POST", f"/api/v1/conversations/{conv}/presence", {"state": "viewing"})
        check("a member of another site gets 404", st == 404, st)
        st, _ = s.call("GET", f"/api/v1/conversations/{conv}/presence")
        check("and cannot read presence (404)", st == 404, st)
        st, _ = o.call("POST", f"/api/v1/conversations/{conv}/presence", {"state": "viewing"})
        check("another workspace gets 404", st == 404, st)
        st, _ = api.call("POST", f"/api/v1/conversations/{conv}/presence", {"state": "viewing"})
        check("an API token has no presence (400)", st == 400, st)
        # A burst from parallel requests (so a slow server, e.g. under valgrind, still sees it as one).
        codes = []
        burst = [threading.Thread(target=lambda: codes.append(
            a.call("POST", f"/api/v1/conversations/{conv}/presence", {"state": "viewing"})[0])) for _ in range(24)]
        for t in burst:
            t.start()
        for t in burst:
            t.join()
        check("presence updates are rate-limited (429)", 429 in codes and 200 in codes, codes)
        a.call("POST", f"/api/v1/conversations/{conv}/presence", {"state": "left"})
        # The visitor types.
        st, _ = vis.call("POST", f"/widget/v1/conversations/{conv}/typing", {"typing": True})
        check("the visitor can say they are typing", st == 200, st)
        check("members see the visitor typing",
              bs.wait(presence_of(conv, lambda d: d["visitor_typing"] is True)) is not None)
        check("and it expires", bs.wait(presence_of(conv, lambda d: d["visitor_typing"] is False), 10) is not None)
        st, _ = vis.call("POST", f"/widget/v1/conversations/{conv}/typing", {"typing": "yes"})
        check("typing must be a boolean (400)", st == 400, st)
        other_vis = srv.visitor()
        st, _ = other_vis.call("POST", f"/widget/v1/conversations/{conv}/typing", {"typing": True})
        check("another visitor cannot type in this thread (403)", st == 403, st)
        time.sleep(0.3)
        leak = [e for x in (ss, os_) for e in x.events if e["event"] in ("conversation.presence", "conversation.typing")]
        check("another site and another workspace saw no presence", not leak, leak[:2])
        wraw = "".join(ws.raw)
        check("the visitor never learns member names or ids",
              "Ana" not in wraw and a_id not in wraw and "conversation.presence" not in wraw, wraw[-300:])

        # ---- mentions ----
        st, m = a.call("POST", f"/api/v1/conversations/{conv}/messages",
                       {"body": "@ben can you check the courier? cc @sam and @nobody", "internal": True})
        check("a note with mentions is stored", st == 201, (st, m))
        check("the response lists who was mentioned", st == 201 and [x["id"] for x in m.get("mentions", [])] == [b_id], m)
        ne = bs.wait(lambda e: e["event"] == "notification.created")
        check("the member mentioned gets a notification event", ne is not None
              and ne["data"]["notification"]["kind"] == "mention"
              and ne["data"]["notification"]["conversation_id"] == conv, ne)
        check("saying who mentioned them", ne is not None and "Ana Silva" in ne["data"]["notification"]["text"], ne)
        time.sleep(0.3)
        check("nobody else's stream gets it", not any(e["event"] == "notification.created" for x in (vs_, ss, os_) for e in x.events))
        st, nb = b.call("GET", "/api/v1/notifications")
        mine = [n for n in nb["items"] if n["kind"] == "mention"]
        check("GET /notifications lists it for the member", st == 200 and len(mine) == 1 and mine[0]["read_at"] is None, nb)
        for who, c in (("a viewer", v), ("the author", a), ("a member of another site", s)):
            st, nl = c.call("GET", "/api/v1/notifications")
            check(f"{who} has no mention notification", st == 200 and not [n for n in nl["items"] if n["kind"] == "mention"], nl)
        st, m2 = b.call("POST", f"/api/v1/conversations/{conv}/messages",
                        {"body": "Thanks @Ana Silva, and @vera@site.test FYI; @oa@cro.test cannot be named", "internal": True})
        got = sorted(x["id"] for x in m2.get("mentions", []))
        check("full names and e-mails mention too; another workspace's member cannot be mentioned",
              st == 201 and got == sorted([a_id, v_id]), m2)
        st, m3 = b.call("POST", f"/api/v1/conversations/{conv}/messages", {"body": "note to self @ben", "internal": True})
        check("mentioning yourself notifies nobody", st == 201 and m3.get("mentions") == [], m3)
        st, no = o.call("GET", "/api/v1/notifications")
        check("the other workspace got nothing", st == 200 and no["items"] == [], no)
        # Replay with Last-Event-ID: only the member's own notifications come back.
        rb = SSE(srv.base, "/api/v1/events", {"Cookie": b.cookie_header(), "Last-Event-ID": "0"})
        rv = SSE(srv.base, "/api/v1/events", {"Cookie": a.cookie_header(), "Last-Event-ID": "0"})
        check("a replay gives the member their notification",
              rb.wait(lambda e: e["event"] == "notification.created" and e["data"]["notification"]["member_id"] == b_id) is not None)
        time.sleep(0.5)
        theirs = [e["data"]["notification"]["member_id"] for e in rv.events if e["event"] == "notification.created"]
        check("and never another member's", all(x == a_id for x in theirs) and theirs, theirs)
        rb.close(); rv.close()
        st, _ = b.call("POST", f"/api/v1/notifications/{mine[0]['id']}/read")
        st2, _ = a.call("POST", f"/api/v1/notifications/{mine[0]['id']}/read")
        check("a member marks their notification read; another member cannot (404)", st == 200 and st2 == 404, (st, st2))
        st, r = a.call("POST", "/api/v1/notifications/read-all")
        st2, na = a.call("GET", "/api/v1/notifications")
        check("read-all marks the rest", st == 200 and r["marked"] >= 1 and all(n["read_at"] for n in na["items"]), (r, na))

        # ---- mentions by e-mail too, unless the member turned them off ----
        st, body = owner.call("PUT", "/api/v1/channels/email", {
            "imap_url": "imap://127.0.0.1:9", "smtp_url": "smtp://127.0.0.1:9", "username": "u", "password": "p",
            "address": "support@site.test", "poll_seconds": 300})
        check("an admin sets a mailbox (unreachable: mails stay in the log)", st == 200, (st, body))

        def mails_to(addr):
            st, lst = owner.call("GET", "/api/v1/channels/email/messages?limit=500")
            return [e for e in lst.get("items", []) if e.get("to_addr") == addr and "mentioned you" in (e.get("subject") or "")]

        def wait_mails(addr, n, seconds=10):
            t0 = time.time()
            while time.time() - t0 < seconds:
                if len(mails_to(addr)) >= n:
                    return True
                time.sleep(0.1)
            return False
        a.call("POST", f"/api/v1/conversations/{conv}/messages", {"body": "@ben mail check one", "internal": True})
        check("a mention is e-mailed to the member", wait_mails("ben@site.test", 1), mails_to("ben@site.test"))
        st, _ = b.call("PUT", "/api/v1/me/preferences", {"email": {"mention": False}})
        check("the member turns mention e-mails off", st == 200, st)
        a.call("POST", f"/api/v1/conversations/{conv}/messages", {"body": "@ben and @vera@site.test mail check two", "internal": True})
        check("others still get theirs", wait_mails("vera@site.test", 1), mails_to("vera@site.test"))
        check("but not the member who turned them off", len(mails_to("ben@site.test")) == 1, mails_to("ben@site.test"))
        st, nb = b.call("GET", "/api/v1/notifications")
        check("the in-app notification still arrives", st == 200 and sum(1 for n in nb["items"] if n["kind"] == "mention") == 3, nb)

        # ---- unread per member ----
        def unread(c, cid=conv):
            st, lst = c.call("GET", "/api/v1/conversations?limit=100")
            row = [x for x in lst.get("items", []) if x["id"] == cid]
            return row[0].get("unread") if row else None
        u0 = unread(b)
        check("the list has unread per member", isinstance(u0, int) and u0 >= 1, u0)
        st, r = b.call("POST", f"/api/v1/conversations/{conv}/read")
        check("POST read (no body) marks it read", st == 200 and r["unread"] == 0, (st, r))
        check("the list then says 0", unread(b) == 0)
        check("for that member only", (unread(a) or 0) >= 1, unread(a))
        vis.call("POST", f"/widget/v1/conversations/{conv}/messages", {"body": "One more question"})
        check("a new visitor message is unread again", unread(b) == 1, unread(b))
        b.call("POST", f"/api/v1/conversations/{conv}/read", {})
        b.call("POST", f"/api/v1/conversations/{conv}/messages", {"body": "my own note", "internal": True})
        check("the member's own messages are not unread", unread(b) == 0, unread(b))
        st, one = b.call("GET", f"/api/v1/conversations/{conv}")
        check("the conversation response has unread", st == 200 and one.get("unread") == 0, one)
        st, r = b.call("POST", f"/api/v1/conversations/{conv}/read", {"message_id": 1})
        check("an older marker never moves it back", st == 200 and unread(b) == 0, (st, r))
        for bad in ({"message_id": "x"}, {"message_id": -1}):
            st, body = b.call("POST", f"/api/v1/conversations/{conv}/read", bad)
            check(f"read {json.dumps(bad)} is a 400", st == 400, (st, body))
        st, _ = s.call("POST", f"/api/v1/conversations/{conv}/read", {})
        st2, _ = o.call("POST", f"/api/v1/conversations/{conv}/read", {})
        check("another site or workspace cannot mark it (404)", st == 404 and st2 == 404, (st, st2))

        # ---- saved views ----
        st, view = a.call("POST", "/api/v1/views", {"name": "Site 101 waiting", "filters": {"status": "needs_human", "site": "Site-101"}})
        check("a member saves a view", st == 201 and view["filters"]["site"] == "Site-101", (st, view))
        st, lv = a.call("GET", "/api/v1/views")
        check("and lists it", st == 200 and [x["id"] for x in lv["items"]] == [view["id"]], lv)
        st, lb = b.call("GET", "/api/v1/views")
        check("another member does not see it", st == 200 and lb["items"] == [], lb)
        st, _ = b.call("PATCH", f"/api/v1/views/{view['id']}", {"name": "mine now"})
        st2, _ = b.call("DELETE", f"/api/v1/views/{view['id']}")
        st3, _ = o.call("DELETE", f"/api/v1/views/{view['id']}")
        check("nor change or delete it (404)", st == 404 and st2 == 404 and st3 == 404, (st, st2, st3))
        st, vv = v.call("POST", "/api/v1/views", {"name": "viewer view", "filters": {}})
        check("viewers can save views too", st == 201, (st, vv))
        st, up = a.call("PATCH", f"/api/v1/views/{view['id']}", {"name": "Renamed"})
        check("the owner renames it", st == 200 and up["name"] == "Renamed" and up["filters"]["status"] == "needs_human", up)
        for bad in ({"filters": {}}, {"name": ""}, {"name": "x" * 81}, {"name": "n", "filters": {"colour": "red"}},
                    {"name": "n", "filters": {"status": 5}}, {"name": "n", "filters": []}, {"name": 7}):
            st, body = a.call("POST", "/api/v1/views", bad)
            check(f"bad view {json.dumps(bad)[:40]} is a 400", st == 400 and "error" in body, (st, body))
        st, _ = a.call("PATCH", "/api/v1/views/abc", {"name": "x"})
        check("a non-numeric view id is a 404", st == 404, st)
        st, _ = a.call("DELETE", f"/api/v1/views/{view['id']}")
        st2, lv = a.call("GET", "/api/v1/views")
        check("the owner deletes it", st == 200 and lv["items"] == [], (st, lv))
        st, _ = api.call("POST", "/api/v1/views", {"name": "token view"})
        check("an API token has no views (400)", st == 400, st)

        # ---- saved replies ----
        st, rep = a.call("POST", "/api/v1/saved-replies", {"title": "Courier", "body": "Ship samples with the blue courier kit."})
        check("an agent saves a reply for the workspace", st == 201 and rep["title"] == "Courier", (st, rep))
        st, lr = v.call("GET", "/api/v1/saved-replies")
        check("every member sees it", st == 200 and [x["id"] for x in lr["items"]] == [rep["id"]], lr)
        st, lo = o.call("GET", "/api/v1/saved-replies")
        check("another workspace does not", st == 200 and lo["items"] == [], lo)
        st, _ = v.call("POST", "/api/v1/saved-replies", {"title": "t", "body": "b"})
        check("a viewer cannot write saved replies (403)", st == 403, st)
        st, up = b.call("PATCH", f"/api/v1/saved-replies/{rep['id']}", {"body": "Use the blue kit."})
        check("another agent edits it", st == 200 and up["body"] == "Use the blue kit." and up["title"] == "Courier", up)
        st, _ = o.call("PATCH", f"/api/v1/saved-replies/{rep['id']}", {"body": "hijack"})
        check("another workspace cannot (404)", st == 404, st)
        for bad in ({"body": "no title"}, {"title": "no body"}, {"title": "t", "body": "x" * 10001}, {"title": ["t"], "body": "b"},
                    {"title": "   ", "body": "b"}):
            st, body = a.call("POST", "/api/v1/saved-replies", bad)
            check(f"bad saved reply {json.dumps(bad)[:40]} is a 400", st == 400 and "error" in body, (st, body))
        st, _ = a.call("DELETE", f"/api/v1/saved-replies/{rep['id']}")
        st2, _ = a.call("DELETE", f"/api/v1/saved-replies/{rep['id']}")
        check("delete, then 404", st == 200 and st2 == 404, (st, st2))
        st, au = owner.call("GET", "/api/v1/audit")
        acts = {r["action"] for r in au.get("items", [])}
        check("the audit trail records mentions, views and saved replies",
              {"mention.notify", "view.create", "saved_reply.create", "saved_reply.delete"} <= acts, sorted(acts))

        # ---- the widget shows the member's first name ----
        b.call("POST", f"/api/v1/conversations/{conv}/messages", {"body": "widget-name-mark hello from the team", "internal": False})
        we = ws.wait(lambda e: e["event"] == "message.created" and "widget-name-mark" in json.dumps(e["data"]))
        check("the visitor's event has the member's first name", we is not None and we["data"]["message"].get("author_name") == "Ben", we)
        st, hist = vis.call("GET", f"/widget/v1/conversations/{conv}/messages")
        mine = [x for x in hist["items"] if "widget-name-mark" in x["body"]]
        check("and so does the history, without the surname or id",
              mine and mine[0]["author_name"] == "Ben" and "Okafor" not in json.dumps(hist) and b_id not in json.dumps(hist), mine)
        for x in (bs, vs_, ss, os_, ws):
            x.close()
    finally:
        srv.close()
    done()


if __name__ == "__main__":
    main()
