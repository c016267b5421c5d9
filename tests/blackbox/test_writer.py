#!/usr/bin/env python3
"""The optional answer writer (A7) against a fake OpenAI-compatible server on
loopback: without an endpoint nothing is sent and nothing changes; the
settings are validated and never return the key; with the endpoint set, an
answer is rephrased (writer=used) from a request that holds only the question,
the cited passages and the draft, with the redaction patterns applied; a
key phrase, a request for a person and a low-confidence question never reach
the endpoint; each fault (timeout, connection refused, HTTP 500, malformed
JSON, empty, over-long, an invented number) sends the extractive answer and
records why in the message and the audit trail."""
import json, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SLOW, VALGRIND, Server, check, done, free_port

DOC = b"""# Visit schedule

## Visit windows

The Week 4 visit must happen within plus or minus 3 days of the target date.
The Week 12 visit window is plus or minus 5 days.

## Shipping

Frozen samples ship on dry ice from Monday to Wednesday only.
"""
QUESTION = "what is the window for the week 4 visit?"
KEY = "sk-test-5ecret-key-never-shown"


class Fake:
    """POST /v1/chat/completions; the mode says how to answer."""

    def __init__(self):
        self.mode, self.requests, self.lock = "normal", [], threading.Lock()
        fake = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n)
                with fake.lock:
                    fake.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "raw": raw})
                    mode = fake.mode
                try:
                    body = json.loads(raw)
                    draft = body["messages"][1]["content"].split("Draft answer: ", 1)[1]
                except (ValueError, KeyError, IndexError):
                    body, draft = {}, ""
                if self.path != "/v1/chat/completions":
                    return self.reply(404, b'{"error":"no such path"}')
                if mode == "slow":
                    time.sleep(1.5)
                if mode == "500":
                    return self.reply(500, b'{"error":{"message":"boom"}}')
                if mode == "malformed":
                    return self.reply(200, b'{"choices": [ {"message": ')
                content = {"normal": "Rephrased: " + draft, "slow": "Rephrased: " + draft, "empty": "  \n",
                           "long": "word " * 130, "number": "The Week 4 visit is within 7 days of the target date."}[mode]
                out = {"id": "x", "object": "chat.completion", "model": body.get("model"),
                       "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}]}
                self.reply(200, json.dumps(out).encode())

            def reply(self, status, data):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout mode)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def count(self):
        with self.lock:
            return len(self.requests)


def ask(srv, text):
    """A new widget conversation; returns (agent message, conversation) once the agent has spoken."""
    v = srv.visitor()
    v.call("POST", f"/widget/v1/conversations/{v.conv}/messages", {"body": text})
    t0 = time.time()
    while time.time() - t0 < 10 * SLOW:
        st, msgs = v.call("GET", f"/widget/v1/conversations/{v.conv}/messages")
        a = [m for m in msgs["items"] if m["author_kind"] == "agent"]
        if a:
            return a[0], v.conv
        time.sleep(0.02)
    return {}, v.conv


def main():
    fake = Fake()
    srv = Server()
    try:
        m = srv.member()
        st, raw, _ = m.raw("POST", "/api/v1/kb/documents", DOC, {"X-Filename": "visits.md"})
        check("the document is indexed", st == 201, raw)

        # --- without an endpoint: nothing changes, nothing is sent
        st, s0 = m.call("GET", "/api/v1/settings")
        check("the writer is off by default", st == 200 and s0["writer_url"] == "" and s0["writer_timeout_ms"] == 8000
              and s0["redaction_patterns"] == [] and s0["writer_api_key_set"] is False and "writer_api_key" not in s0, s0)
        base_msg, _ = ask(srv, QUESTION)
        extractive = base_msg.get("body", "")
        check("without an endpoint the agent answers as before", "3 days" in extractive and base_msg.get("writer") is None
              and base_msg.get("citations"), base_msg)
        check("and the writer endpoint is never called", fake.count() == 0, fake.requests)

        # --- settings validation
        for bad, why in (({"writer_url": "ftp://example.org"}, "http"), ({"writer_url": "http://"}, "host"),
                         ({"writer_url": "http://a b"}, "spaces"), ({"writer_url": fake.base}, "writer_model"),
                         ({"writer_timeout_ms": 10}, "writer_timeout_ms"), ({"writer_timeout_ms": 120000}, "writer_timeout_ms"),
                         ({"redaction_patterns": ["MRN[0-9]+", "(unclosed"]}, "(unclosed"),
                         ({"redaction_patterns": "MRN"}, "list"), ({"redaction_patterns": [""]}, "redaction pattern 1"),
                         ({"writer_api_key": "sk-1\r\nX-Injected: 1"}, "control characters")):
            st, body = m.call("PATCH", "/api/v1/settings", bad)
            msg = (body or {}).get("error", {}).get("message", "") if isinstance(body, dict) else str(body)
            check(f"settings refuse {json.dumps(bad)} with a clear message", st == 400 and why in msg, (st, body))
        st, s1 = m.call("PATCH", "/api/v1/settings", {
            "writer_url": fake.base + "/", "writer_model": "local-model", "writer_api_key": KEY,
            "redaction_patterns": ["MRN[- ]?[0-9]+", "[0-9]{2}/[0-9]{2}/[0-9]{4}"]})
        check("an admin sets the endpoint, model, key and redaction patterns", st == 200 and s1["writer_model"] == "local-model"
              and s1["writer_api_key_set"] is True, s1)
        check("the PATCH answer does not return the key", KEY not in json.dumps(s1) and "writer_api_key" not in s1, s1)
        st, s2 = m.call("GET", "/api/v1/settings")
        check("GET settings says the key is set, without it", s2["writer_api_key_set"] is True and KEY not in json.dumps(s2), s2)
        st, s3 = m.call("PATCH", "/api/v1/settings", {"threshold": s2["threshold"]})
        check("other changes keep the key", s3["writer_api_key_set"] is True, s3)

        # --- normal: the rephrased text, from a redacted request that holds only question, passages and draft
        n0 = fake.count()
        msg, conv = ask(srv, "what is the window for the week 4 visit? patient MRN-40417781, born 03/02/1961")
        check("the agent's answer is the writer's text", msg.get("body", "").startswith("Rephrased: ") and "3 days" in msg.get("body", ""), msg)
        check("the message says the writer was used", msg.get("writer") == "used", msg)
        check("with Baton's own confidence and citations", isinstance(msg.get("confidence"), float) and msg.get("citations")
              and msg["citations"][0]["document"] == "visits.md", msg)
        check("exactly one request was sent", fake.count() == n0 + 1, fake.requests[n0:])
        rq = fake.requests[-1]
        body = json.loads(rq["raw"])
        user = body["messages"][1]["content"]
        check("POST /v1/chat/completions with the key as a bearer token", rq["path"] == "/v1/chat/completions"
              and rq["auth"] == "Bearer " + KEY, rq)
        check("model, temperature 0, max_tokens and two messages", body["model"] == "local-model" and body["temperature"] == 0
              and 0 < body["max_tokens"] <= 300 and [x["role"] for x in body["messages"]] == ["system", "user"], body)
        check("the system message says answer from the passages only", "only" in body["messages"][0]["content"]
              and "passages" in body["messages"][0]["content"], body["messages"][0])
        check("redacted: no MRN and no date of birth leave the process", "40417781" not in rq["raw"].decode()
              and "03/02/1961" not in rq["raw"].decode() and user.count("[redacted]") == 2, user)
        head, rest = user.split("\n\nPassages:\n", 1)
        passages, draft = rest.split("\nDraft answer: ", 1)
        cited = [c["text"] for c in msg["citations"]]
        sent = [line.split("] ", 1)[1] for line in passages.strip("\n").split("\n")]
        check("the user message holds the question", head == "Question: what is the window for the week 4 visit? patient [redacted], born [redacted]", head)
        check("then exactly the cited passages, numbered", sent == cited, (sent, cited))
        check("then the extractive draft", draft == extractive, (draft, extractive))
        check("nothing else of the knowledge base is sent", "Frozen samples" not in rq["raw"].decode() or any("Frozen" in c for c in cited), user)

        # --- no handoff, interlock or key phrase ever reaches the writer
        for text, reason in (("We have a serious adverse event: what is the week 4 visit window?", "key_phrase"),
                             ("can I talk to someone please", "human_requested"),
                             ("what is the parking policy at the hospital?", "low_confidence")):
            n0 = fake.count()
            msg, conv = ask(srv, text)
            st, c = m.call("GET", f"/api/v1/conversations/{conv}")
            check(f"a {reason} handoff never calls the writer", c["handoff_reason"] == reason and fake.count() == n0
                  and msg.get("writer") is None, (c.get("handoff_reason"), fake.count() - n0, msg))

        # --- faults: the extractive answer, and why
        m.call("PATCH", "/api/v1/settings", {"writer_timeout_ms": 500})
        for mode, why in (("slow", "timeout"), ("500", "http_error"), ("malformed", "malformed"), ("empty", "empty"),
                          ("long", "too_long"), ("number", "new_number")):
            fake.mode = mode
            n0 = fake.count()
            t0 = time.time()
            msg, conv = ask(srv, QUESTION)
            took = time.time() - t0
            check(f"{mode}: the visitor gets the extractive answer, writer={why}", msg.get("body") == extractive
                  and msg.get("writer") == why and fake.count() == n0 + 1, (msg, fake.count() - n0))
            if mode == "slow" and not VALGRIND:
                check("the timeout bounds the wait", took < 1.4, took)
        fake.mode = "normal"
        m.call("PATCH", "/api/v1/settings", {"writer_url": f"http://127.0.0.1:{free_port()}", "writer_timeout_ms": 2000})
        msg, conv = ask(srv, QUESTION)
        check("connection refused: the extractive answer, writer=connect_error", msg.get("body") == extractive
              and msg.get("writer") == "connect_error", msg)

        # --- the audit trail: reasons recorded, the key never
        items, after = [], 0
        while True:
            st, page = m.call("GET", f"/api/v1/audit?after={after}")
            items += page["items"]
            if not page["items"] or page["next_after"] == after:
                break
            after = page["next_after"]
        dump = json.dumps(items)
        writers = [(i.get("after") or {}).get("writer") for i in items if i["action"] == "message.create"]
        check("the audit trail records each writer outcome", all(w in writers for w in ("used", "timeout", "http_error", "malformed", "new_number", "connect_error")), writers)
        details = [(i.get("after") or {}).get("writer_detail") for i in items if (i.get("after") or {}).get("writer") == "http_error"]
        check("with its detail (HTTP 500)", details and details[0] == "HTTP 500", details)
        check("the audit trail never holds the key", KEY not in dump and "writer_api_key_set" in dump, "key in audit")
        st, ver = m.call("GET", "/api/v1/audit/verify")
        check("the audit chain is intact", st == 200 and ver["ok"], ver)

        # --- clearing the key and switching off
        st, s4 = m.call("PATCH", "/api/v1/settings", {"writer_api_key": "", "writer_url": ""})
        check("an empty key clears it; an empty URL turns the writer off", st == 200 and s4["writer_api_key_set"] is False, s4)
        n0 = fake.count()
        msg, conv = ask(srv, QUESTION)
        check("off again: the extractive answer, nothing sent", msg.get("body") == extractive and msg.get("writer") is None
              and fake.count() == n0, msg)
    finally:
        srv.close()
        fake.httpd.shutdown()
    done()


if __name__ == "__main__":
    main()
