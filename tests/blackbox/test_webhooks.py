#!/usr/bin/env python3
"""Webhooks to a local receiver: the HMAC-SHA256 signature verifies, a 500
is retried with backoff until it succeeds, the delivery log shows each
attempt, a delivery can be replayed, and the Slack format is {"text"}."""
import hashlib, hmac, http.server, json, os, sys, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ["BATON_WEBHOOK_BACKOFF_MS"] = "200"
from harness import Server, check, done, free_port

got = []
fail_first = {"n": 2}


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        got.append((time.time(), self.path, dict(self.headers), body))
        code = 200
        did = self.headers.get("X-Baton-Delivery")
        if self.path == "/flaky":
            fail_first.setdefault("id", did)
            if fail_first["id"] == did and fail_first["n"] > 0:
                fail_first["n"] -= 1
                code = 500
        self.send_response(code)
        self.end_headers()

    def log_message(self, *a):
        pass


def wait(fn, seconds=10):
    t0 = time.time()
    while time.time() - t0 < seconds:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    return fn()


def main():
    port = free_port()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    srv = Server()
    try:
        m = srv.member()
        st, hook = m.call("POST", "/api/v1/webhooks", {"url": f"http://127.0.0.1:{port}/flaky", "events": ["message.*", "conversation.handoff"]})
        check("an admin creates a webhook; the secret is shown once", st == 201 and hook["secret"].startswith("whsec_"), hook)
        st, lst = m.call("GET", "/api/v1/webhooks")
        check("the list hides the secret", st == 200 and "secret" not in lst["items"][0], lst)
        st, slack = m.call("POST", "/api/v1/webhooks", {"url": f"http://127.0.0.1:{port}/slack", "format": "slack", "events": ["message.created"]})
        v = srv.visitor({"name": "Hannah"})
        v.call("POST", f"/widget/v1/conversations/{v.conv}/messages", {"body": "Is the lab closed on Friday?"})
        first = wait(lambda: [g for g in got if g[1] == "/flaky" and json.loads(g[3]).get("type") == "message.created"])
        check("the event is delivered", bool(first))
        if first:
            t, path, h, body = first[0]
            sig = h.get("X-Baton-Signature", "")
            ts = sig.split(",")[0][2:]
            mac = hmac.new(hook["secret"].encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
            check("the HMAC-SHA256 signature verifies", sig == f"t={ts},v1={mac}", sig)
            check("the event and delivery headers are set", h.get("X-Baton-Event") == "message.created" and h.get("X-Baton-Delivery"), h)
            d = json.loads(body)
            check("the generic payload carries the message", d["data"]["message"]["body"] == "Is the lab closed on Friday?", d)
        time.sleep(1.5)
        st, log = m.call("GET", f"/api/v1/webhooks/{hook['id']}/deliveries")
        retried = [x for x in log["items"] if x["attempts"] == 3 and x["status"] == "delivered" and x["last_status"] == 200]
        check("the delivery log shows a delivery retried after two 500s", len(retried) == 1, log["items"])
        tries = [g for g in got if retried and g[2].get("X-Baton-Delivery") == str(retried[0]["id"])]
        check("a 500 is retried until it succeeds", len(tries) == 3, len(tries))
        # (the doubling schedule itself is checked without a clock in tests/channels/test_oncall.c)
        delivered = [x for x in log["items"] if x["event_type"] == "message.created" and x["status"] == "delivered"]
        sl = wait(lambda: [g for g in got if g[1] == "/slack"])
        check("the Slack format is {text}", sl and "Is the lab closed" in json.loads(sl[0][3])["text"], sl[:1])
        if delivered:
            n = len(got)
            st, rep = m.call("POST", f"/api/v1/webhook-deliveries/{delivered[-1]['id']}/replay")
            check("a delivery can be replayed", st == 201 and rep["replay_of"] == delivered[-1]["id"], rep)
            again = wait(lambda: [g for g in got[n:] if g[1] == "/flaky" and g[3] == first[0][3]])
            check("the replay sends the same payload again", bool(again))
        st, _ = m.call("DELETE", f"/api/v1/webhooks/{hook['id']}")
        check("a webhook can be deleted", st == 200)
        st, vbody = v.call("GET", "/api/v1/webhooks")
        check("a visitor cannot see webhooks", st in (401, 403), st)
    finally:
        srv.close()
        httpd.shutdown()
    done()


if __name__ == "__main__":
    main()
