#!/usr/bin/env python3
"""The live loop: a visitor's question answered at once with citations and
confidence; a key phrase, a request for a person and "that didn't help" hand
off with their reasons and the holding message; a member's reply silences
the agent; hand-back brings it back; the knowledge base over HTTP (upload,
versions that supersede, removal, the ask box)."""
import json, os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SSE, Server, check, done, msg_event

VISITS = b"""# Visit schedule

## Visit windows

The Week 4 visit must happen within plus or minus 3 days of the target date.
The Week 12 visit window is plus or minus 5 days.

## Shipping

Frozen samples ship on dry ice from Monday to Wednesday only.
"""


def agent_msgs(v):
    st, msgs = v.call("GET", f"/widget/v1/conversations/{v.conv}/messages")
    return [m for m in msgs["items"] if m["author_kind"] == "agent"]


def wait_agent(v, n, seconds=5):
    t0 = time.time()
    while time.time() - t0 < seconds:
        a = agent_msgs(v)
        if len(a) >= n:
            return a
        time.sleep(0.02)
    return agent_msgs(v)


def main():
    srv = Server()
    try:
        m = srv.member()
        st, raw, _ = m.raw("POST", "/api/v1/kb/documents", VISITS, {"X-Filename": "visits.md"})
        doc = json.loads(raw)
        check("an admin uploads a document", st == 201 and doc["state"] == "indexed" and doc["passages"] >= 2 and doc["version"] == 1, doc)
        ms = SSE(srv.base, "/api/v1/events", {"Cookie": m.cookie_header()})
        v = srv.visitor({"site": "Site-101", "name": "Hannah"})
        vs = SSE(srv.base, f"/widget/v1/conversations/{v.conv}/events", {"Authorization": v.headers["Authorization"]})
        time.sleep(0.2)
        v.call("POST", f"/widget/v1/conversations/{v.conv}/messages", {"body": "what is the window for the week 4 visit?"})
        e = vs.wait(lambda e: e["event"] == "message.created" and e["data"]["message"]["author_kind"] == "agent")
        check("the agent's answer reaches the visitor live", e is not None)
        msg = e["data"]["message"] if e else {}
        check("it quotes the document", "3 days" in msg.get("body", ""), msg)
        check("with a confidence and its citation", isinstance(msg.get("confidence"), float) and msg.get("citations") and msg["citations"][0]["document"] == "visits.md" and msg["citations"][0]["section"], msg)
        st, conv = m.call("GET", f"/api/v1/conversations/{v.conv}")
        check("the thread stays with the agent", conv["status"] == "open" and conv["mode"] == "agent", conv)
        st, dash = m.call("GET", "/api/v1/dashboard")
        check("the dashboard counts it as resolved by the agent", st == 200 and dash["totals"]["agent_resolved"] == 1
              and dash["totals"]["handoffs"] == 0, dash.get("totals"))
        v.call("POST", f"/widget/v1/conversations/{v.conv}/messages", {"body": "That didn't help, the visit is tomorrow"})
        a = wait_agent(v, 2)
        st, conv = m.call("GET", f"/api/v1/conversations/{v.conv}")
        check("'that didn't help' after an answer hands off", conv["status"] == "needs_human" and conv["handoff_reason"] == "not_helpful", conv)
        st, dash = m.call("GET", "/api/v1/dashboard")
        check("once handed off it no longer counts as the agent's", dash["totals"]["agent_resolved"] == 0 and dash["totals"]["handoffs"] == 1, dash["totals"])
        st, settings = m.call("GET", "/api/v1/settings")
        check("the visitor gets the holding message", a and a[-1]["body"] == settings["holding_message"], a[-1:] )
        check("the member's stream flags the handoff", ms.wait(lambda e: e["event"] == "conversation.handoff" and e["data"]["conversation"]["id"] == v.conv) is not None)
        st, claimed = m.call("POST", f"/api/v1/conversations/{v.conv}/claim")
        check("claim answers with the conversation, now manual and mine", st == 200 and claimed["mode"] == "manual" and claimed["assignee_id"], claimed)
        m.call("POST", f"/api/v1/conversations/{v.conv}/messages", {"body": "Hi Hannah, I am the coordinator - day 29 +/- 3.", "internal": False})
        check("the member's reply reaches the widget", vs.wait(msg_event("I am the coordinator")) is not None)
        v.call("POST", f"/widget/v1/conversations/{v.conv}/messages", {"body": "and what about the week 12 visit window?"})
        time.sleep(0.5)
        check("in manual mode the agent stays silent", len(agent_msgs(v)) == 2, agent_msgs(v))
        st, conv = m.call("GET", f"/api/v1/conversations/{v.conv}")
        check("the thread waits on the team", conv["status"] == "needs_human" and conv["mode"] == "manual", conv)
        m.call("POST", f"/api/v1/conversations/{v.conv}/handback")
        v.call("POST", f"/widget/v1/conversations/{v.conv}/messages", {"body": "what is the week 12 visit window?"})
        a = wait_agent(v, 3)
        check("after a hand-back the agent answers again", len(a) == 3 and "5 days" in a[-1]["body"], a[-1:])
        st, tl = m.call("GET", f"/api/v1/conversations/{v.conv}/timeline")
        kinds = [t["kind"] for t in tl["items"]]
        check("the timeline records handoff, claim, takeover, reply and hand-back",
              all(k in kinds for k in ("created", "handoff", "claimed", "replied", "handed_back")), kinds)

        v2 = srv.visitor()
        v2.call("POST", f"/widget/v1/conversations/{v2.conv}/messages", {"body": "We have a serious adverse event: what is the week 4 visit window?"})
        wait_agent(v2, 1)
        st, c2 = m.call("GET", f"/api/v1/conversations/{v2.conv}")
        check("a key phrase hands off even when the answer is known", c2["status"] == "needs_human" and c2["handoff_reason"] == "key_phrase" and c2["handoff_phrase"] == "serious adverse event", c2)
        v3 = srv.visitor()
        v3.call("POST", f"/widget/v1/conversations/{v3.conv}/messages", {"body": "can I talk to someone please"})
        wait_agent(v3, 1)
        st, c3 = m.call("GET", f"/api/v1/conversations/{v3.conv}")
        check("a request for a person hands off", c3["handoff_reason"] == "human_requested", c3)
        v4 = srv.visitor()
        v4.call("POST", f"/widget/v1/conversations/{v4.conv}/messages", {"body": "what is the parking policy at the hospital?"})
        wait_agent(v4, 1)
        st, c4 = m.call("GET", f"/api/v1/conversations/{v4.conv}")
        check("a question the documents cannot answer hands off on confidence", c4["handoff_reason"] == "low_confidence", c4)
        m.call("PATCH", "/api/v1/settings", {"key_phrases": "parking"})
        v5 = srv.visitor()
        v5.call("POST", f"/widget/v1/conversations/{v5.conv}/messages", {"body": "Parking question: SAE forms?"})
        wait_agent(v5, 1)
        st, c5 = m.call("GET", f"/api/v1/conversations/{v5.conv}")
        check("the workspace edits its key phrases", c5["handoff_reason"] == "key_phrase" and c5["handoff_phrase"] == "parking", c5)
        m.call("PATCH", "/api/v1/settings", {"channels": {"widget": False}})
        st, body = v.call("POST", "/widget/v1/conversations", {"widget_key": srv.init["widget_key"]})
        check("the widget channel can be switched off", st == 403, body)
        m.call("PATCH", "/api/v1/settings", {"channels": {"widget": True}})

        st, ask = m.call("POST", "/api/v1/ask", {"question": "Which days can frozen samples ship?"})
        check("the ask box shows answer, confidence, passages and why", st == 200 and "Monday" in ask["answer"] and ask["passages"] and "why" in ask and ask["handoff"] is False, ask)
        st, raw, _ = m.raw("POST", "/api/v1/kb/documents", VISITS.replace(b"3 days", b"2 days"), {"X-Filename": "visits.md"})
        doc2 = json.loads(raw)
        check("a file with the same name is a new version", st == 201 and doc2["version"] == 2, doc2)
        st, lst = m.call("GET", "/api/v1/kb/documents")
        check("the old version is superseded", [d["version"] for d in lst["items"] if d["name"] == "visits.md"] == [2], lst)
        st, ask = m.call("POST", "/api/v1/ask", {"question": "week 4 visit window?"})
        check("answers use only the current version", "2 days" in ask["answer"], ask["answer"])
        st, raw, _ = m.raw("POST", "/api/v1/kb/documents", b"%PDF-1.4 broken", {"X-Filename": "broken.pdf"})
        check("a corrupt upload is refused with its reason", st == 422 and "corrupt" in json.loads(raw)["error"]["message"], raw)
        st, lst = m.call("GET", "/api/v1/kb/documents")
        failed = [d for d in lst["items"] if d["name"] == "broken.pdf"]
        check("and listed as failed, with no passages", failed and failed[0]["state"] == "failed" and failed[0]["passages"] == 0 and failed[0]["error"], failed)
        m.call("DELETE", f"/api/v1/kb/documents/{doc2['id']}")
        st, ask = m.call("POST", "/api/v1/ask", {"question": "week 4 visit window?"})
        check("a removed document is no longer used", ask["handoff"] is True and not ask["citations"], ask)
        ms.close(); vs.close()
    finally:
        srv.close()
    done()


if __name__ == "__main__":
    main()
