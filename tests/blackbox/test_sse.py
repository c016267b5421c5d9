#!/usr/bin/env python3
"""Live events over SSE: both directions, event ids, Last-Event-ID replay
that misses nothing, heartbeats, visitors never seeing notes or other
threads, site scope on the member stream, and a stalled reader that does not
hold up a fast one."""
import http.client, json, os, socket, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SSE, SLOW, Server, check, done, msg_event


def main():
    srv = Server()
    try:
        m = srv.member()
        v = srv.visitor({"site": "Site-101"})
        cookie = {"Cookie": m.cookie_header()}
        ms = SSE(srv.base, "/api/v1/events", cookie)
        vs = SSE(srv.base, f"/widget/v1/conversations/{v.conv}/events", {"Authorization": v.headers["Authorization"]})
        check("streams open with 200", ms.status == 200 and vs.status == 200, (ms.status, vs.status))
        time.sleep(0.2)
        v.call("POST", f"/widget/v1/conversations/{v.conv}/messages", {"body": "visitor-mark-1 hello"})
        e = ms.wait(msg_event("visitor-mark-1"))
        check("a member sees the visitor's message live", e is not None)
        check("events carry ids", e is not None and isinstance(e["id"], int) and e["id"] > 0, e)
        m.call("POST", f"/api/v1/conversations/{v.conv}/messages", {"body": "member-mark-1 reply", "internal": False})
        check("the visitor sees the member's reply live", vs.wait(msg_event("member-mark-1")) is not None)
        m.call("POST", f"/api/v1/conversations/{v.conv}/messages", {"body": "note-mark-1 secret", "internal": True})
        check("the member sees internal notes", ms.wait(msg_event("note-mark-1")) is not None)
        time.sleep(0.3)
        check("the visitor never sees internal notes", "note-mark-1" not in "".join(vs.raw))
        check("the visitor never sees conversation internals", all(e["event"] == "message.created" for e in vs.events), [e["event"] for e in vs.events])
        other = srv.visitor()
        os_ = SSE(srv.base, f"/widget/v1/conversations/{other.conv}/events", {"Authorization": other.headers["Authorization"]})
        time.sleep(0.2)
        v.call("POST", f"/widget/v1/conversations/{v.conv}/messages", {"body": "private-mark-2"})
        check("the member still sees it", ms.wait(msg_event("private-mark-2")) is not None)
        time.sleep(0.2)
        check("another visitor's stream does not", "private-mark-2" not in "".join(os_.raw))
        os_.close()
        # EventSource cannot send headers: ?token= works on the widget stream.
        tok = v.headers["Authorization"][7:]
        qs = SSE(srv.base, f"/widget/v1/conversations/{v.conv}/events?token={tok}", {})
        check("the widget stream takes ?token=", qs.status == 200, qs.status)
        qs.close()
        # Replay: remember the last id, disconnect, post, reconnect with Last-Event-ID.
        last = max(e["id"] for e in vs.events)
        vs.close()
        for i in range(5):
            m.call("POST", f"/api/v1/conversations/{v.conv}/messages", {"body": f"missed-{i}", "internal": False})
        m.call("POST", f"/api/v1/conversations/{v.conv}/messages", {"body": "missed-note", "internal": True})
        vs2 = SSE(srv.base, f"/widget/v1/conversations/{v.conv}/events", {"Authorization": v.headers["Authorization"], "Last-Event-ID": str(last)})
        got = [vs2.wait(msg_event(f"missed-{i}")) for i in range(5)]
        check("Last-Event-ID replays every missed message", all(got), [bool(g) for g in got])
        ids = [g["id"] for g in got if g]
        check("in order, each once", ids == sorted(ids) and len(set(ids)) == 5, ids)
        m.call("POST", f"/api/v1/conversations/{v.conv}/messages", {"body": "live-after-replay", "internal": False})
        check("and then continues live", vs2.wait(msg_event("live-after-replay")) is not None)
        check("the replay skips internal notes", "missed-note" not in "".join(vs2.raw))
        seen = [e["id"] for e in vs2.events]
        check("no event twice across replay and live", len(seen) == len(set(seen)), seen)
        time.sleep(1.5)
        check("heartbeats keep the stream alive", ": heartbeat" in "".join(vs2.raw) or SLOW > 1, "".join(vs2.raw)[-200:])
        vs2.close()
        # Site scope: a member limited to Site-202 sees nothing of Site-101.
        st, inv = m.call("POST", "/api/v1/members/invite", {"email": "lyon@site.test", "role": "agent", "sites": ["Site-202"]})
        from harness import Client
        Client(srv.base).call("POST", "/api/v1/invites/accept", {"token": inv["token"], "password": "correct horse battery"})
        lyon = srv.member("lyon@site.test", "correct horse battery")
        ls = SSE(srv.base, "/api/v1/events", {"Cookie": lyon.cookie_header()})
        time.sleep(0.2)
        v.call("POST", f"/widget/v1/conversations/{v.conv}/messages", {"body": "site101-only"})
        v202 = srv.visitor({"site": "Site-202"})
        v202.call("POST", f"/widget/v1/conversations/{v202.conv}/messages", {"body": "site202-visible"})
        check("a site-scoped member sees its own site live", ls.wait(msg_event("site202-visible")) is not None)
        check("and nothing from other sites", "site101-only" not in "".join(ls.raw))
        ls.close()
        # A stalled reader: open a stream and never read; a fast reader is unaffected.
        stalled = socket.create_connection(("127.0.0.1", srv.port))
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nCookie: {m.cookie_header()}\r\n\r\n".encode())
        time.sleep(0.2)
        big = "x" * 20000
        for i in range(30):
            v.call("POST", f"/widget/v1/conversations/{v.conv}/messages", {"body": f"flood-{i} {big}"})
        t0 = time.time()
        v.call("POST", f"/widget/v1/conversations/{v.conv}/messages", {"body": "after-flood"})
        e = ms.wait(msg_event("after-flood"), 10)
        check("a stalled reader does not hold up a fast one", e is not None, time.time() - t0)
        stalled.close()
        ms.close()
        # Revocation ends open streams: a revoked token, a logout, a removed member.
        st, tok = m.call("POST", "/api/v1/tokens", {"name": "t", "role": "agent"})
        ts = SSE(srv.base, "/api/v1/events", {"Authorization": "Bearer " + tok["token"]})
        m2 = srv.member()
        m2s = SSE(srv.base, "/api/v1/events", {"Cookie": m2.cookie_header()})
        lyon2 = SSE(srv.base, "/api/v1/events", {"Cookie": lyon.cookie_header()})
        time.sleep(0.3)
        m.call("DELETE", f"/api/v1/tokens/{tok['id']}")
        m2.call("POST", "/api/v1/auth/logout")
        lyon_id = [x for x in m.call("GET", "/api/v1/members")[1]["items"] if x["email"] == "lyon@site.test"][0]["id"]
        m.call("PATCH", f"/api/v1/members/{lyon_id}", {"sites": ["Site-101"]})
        time.sleep(0.3)
        v.call("POST", f"/widget/v1/conversations/{v.conv}/messages", {"body": "after-revoke"})
        time.sleep(0.5 * SLOW)
        check("a revoked token's stream ends", not ts.t.is_alive() and "after-revoke" not in "".join(ts.raw))
        check("a logged-out session's stream ends", not m2s.t.is_alive() and "after-revoke" not in "".join(m2s.raw))
        check("a member whose site scope changed is cut off until they reconnect", not lyon2.t.is_alive())
        check("the server is still serving", srv.alive())
    finally:
        srv.close()
    done()


if __name__ == "__main__":
    main()
