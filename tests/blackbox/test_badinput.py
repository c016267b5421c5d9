#!/usr/bin/env python3
"""Bad input gets a 4xx in the error format and the server keeps serving:
malformed JSON, wrong types, deep nesting, oversized bodies, invalid UTF-8,
huge headers, unknown routes, wrong methods, bad cursors, ids, dates and
limits, plus a seeded random mutation loop over real requests."""
import json, os, random, socket, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BATON, Server, check, done


def is_error(st, body):
    try:
        b = json.loads(body)
        return 400 <= st < 500 and isinstance(b.get("error"), dict) and b["error"].get("code") and b["error"].get("message")
    except Exception:
        return False


def main():
    srv = Server()
    try:
        m = srv.member()
        v = srv.visitor()
        conv = v.conv
        J = {"Content-Type": "application/json"}
        cases = [
            ("malformed JSON", "POST", f"/api/v1/conversations/{conv}/messages", b'{"body": "x",', J),
            ("a JSON array body", "POST", f"/api/v1/conversations/{conv}/messages", b'["body"]', J),
            ("body of the wrong type", "POST", f"/api/v1/conversations/{conv}/messages", b'{"body": 42}', J),
            ("internal of the wrong type", "POST", f"/api/v1/conversations/{conv}/messages", b'{"body": "x", "internal": "yes"}', J),
            ("JSON nested 1000 deep", "POST", f"/api/v1/conversations/{conv}/messages", b'{"body":' + b'[' * 1000 + b']' * 1000 + b'}', J),
            ("a 2 MB body", "POST", f"/api/v1/conversations/{conv}/messages", b'{"body": "' + b'a' * (2 * 1024 * 1024) + b'"}', J),
            ("a 70 KB message", "POST", f"/api/v1/conversations/{conv}/messages", json.dumps({"body": "a" * 70000}).encode(), J),
            ("invalid UTF-8 in the body", "POST", f"/api/v1/conversations/{conv}/messages", b'{"body": "caf\xe9"}', J),
            ("an empty message", "POST", f"/api/v1/conversations/{conv}/messages", b'{"body": "   "}', J),
            ("duplicate keys", "POST", "/api/v1/auth/login", b'{"email": "a@b.c", "email": "d@e.f", "password": "x"}', J),
            ("unknown route", "GET", "/api/v1/nothing-here", None, {}),
            ("unknown widget route", "POST", "/widget/v1/nothing", b'{}', J),
            ("bad cursor", "GET", "/api/v1/conversations?cursor=notacursor", None, {}),
            ("cursor with a bad id", "GET", "/api/v1/conversations?cursor=12.%27%20OR%201=1", None, {}),
            ("limit out of range", "GET", "/api/v1/conversations?limit=100000", None, {}),
            ("limit not a number", "GET", "/api/v1/conversations?limit=ten", None, {}),
            ("bad status filter", "GET", "/api/v1/conversations?status=closed", None, {}),
            ("bad date", "GET", "/api/v1/conversations?created_after=yesterday", None, {}),
            ("an impossible date", "GET", "/api/v1/conversations?created_after=2026-02-30", None, {}),
            ("a token role of the wrong type", "POST", "/api/v1/tokens", b'{"name": "x", "role": 3}', J),
            ("invalid UTF-8 in the query", "GET", "/api/v1/conversations?site=%ff%fe", None, {}),
            ("bad conversation id", "GET", "/api/v1/conversations/..%2F..%2Fetc", None, {}),
            ("unknown conversation", "GET", "/api/v1/conversations/cv_doesnotexist", None, {}),
            ("bad member id", "PATCH", "/api/v1/members/!!", b'{"role": "viewer"}', J),
            ("unknown setting", "PATCH", "/api/v1/settings", b'{"treshold": 0.5}', J),
            ("threshold out of range", "PATCH", "/api/v1/settings", b'{"threshold": 7}', J),
            ("bad Last-Event-ID", "GET", "/api/v1/events", None, {"Last-Event-ID": "abc"}),
            ("search without words", "GET", "/api/v1/search?q=%21%21%21", None, {}),
            ("bad status value", "POST", f"/api/v1/conversations/{conv}/status", b'{"status": "closed"}', J),
            ("bad assignee", "POST", f"/api/v1/conversations/{conv}/assign", b'{"assignee_id": 7}', J),
            ("an empty upload", "POST", "/api/v1/kb/documents", b'', {"X-Filename": "x.md"}),
            ("an upload without a name", "POST", "/api/v1/kb/documents", b'# x', {}),
            ("a binary upload", "POST", "/api/v1/kb/documents", bytes(range(256)) * 10, {"X-Filename": "x.bin"}),
            ("a corrupt PDF upload", "POST", "/api/v1/kb/documents", b'%PDF-1.4 garbage garbage', {"X-Filename": "x.pdf"}),
            ("a path in the upload name", "POST", "/api/v1/kb/documents", b'# x\n\ntext', {"X-Filename": "../../etc/passwd"}),
        ]
        for name, method, path, data, headers in cases:
            st, body, _ = m.raw(method, path, data, headers)
            check(f"{name}: 4xx in the error format", is_error(st, body), (st, body[:200]))
            check(f"{name}: the server keeps serving", srv.alive())
        from harness import Client
        st, body, _ = Client(srv.base).raw("POST", "/api/v1/conversations", b'{"broken', J)
        check("a stranger's malformed body gets 401, not parse details", st == 401, (st, body))
        st, body, _ = v.raw("GET", f"/widget/v1/conversations/{conv}/messages", None, {"Origin": "https://evil.example"})
        m.call("PATCH", "/api/v1/settings", {"allowed_origins": ["https://good.example"]})
        st, body, _ = v.raw("GET", f"/widget/v1/conversations/{conv}/messages", None, {"Origin": "https://evil.example"})
        check("widget history refuses an origin outside the allowed list", st == 403, (st, body))
        st, body, hd = v.raw("GET", f"/widget/v1/conversations/{conv}/messages", None, {"Origin": "https://good.example"})
        check("and answers an allowed one with CORS headers", st == 200 and hd.get("Access-Control-Allow-Origin") == "https://good.example", (st, dict(hd)))
        m.call("PATCH", "/api/v1/settings", {"allowed_origins": []})
        st, body, _ = m.raw("PUT", "/api/v1/conversations", b"{}", J)
        check("a wrong method is 405", st == 405 and is_error(st, body), (st, body))
        st, body, _ = v.raw("POST", "/widget/v1/conversations", b'{"widget_key": 5}', J)
        check("widget start with a wrong type", is_error(st, body), (st, body))
        st, body, _ = v.raw("POST", "/widget/v1/conversations", b'{"widget_key": "wk_x", "context": {"site": ["a"]}}', J)
        check("widget context with a wrong type", is_error(st, body), (st, body))
        st, body, _ = m.raw("POST", f"/api/v1/conversations/{conv}/messages", b'{"body":"x"}', {"Content-Type": "application/json", "X-CSRF-Token": "wrong"})
        check("a wrong CSRF token is refused", st == 403 and is_error(st, body), (st, body))
        st, body, _ = srv.member().raw("GET", "/api/v1/me", None, {"Cookie": "baton_session=garbage-garbage-garbage-garbage"})
        # Huge headers: MHD answers them itself (431 or 413); the server must survive.
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n")
        resp = s.recv(200)
        s.close()
        check("a 64 KB header is refused with a 4xx", resp.startswith(b"HTTP/1.1 4"), resp[:60])
        check("and the server keeps serving", srv.alive())
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(b"\x00\x01\x02 NOT HTTP\r\n\r\n")
        s.recv(200)
        s.close()
        check("garbage bytes on the socket do not stop the server", srv.alive())
        # A seeded mutation loop over real requests: no 5xx, no crash.
        rnd = random.Random(20261124)
        seeds = [("POST", f"/api/v1/conversations/{conv}/messages", b'{"body": "hello there", "internal": false}'),
                 ("POST", "/api/v1/auth/login", b'{"email": "a@b.org", "password": "pw"}'),
                 ("PATCH", "/api/v1/settings", b'{"greeting": "Hi", "threshold": 0.6}'),
                 ("POST", "/api/v1/tags", b'{"name": "T", "colour": "#123456"}'),
                 ("POST", "/api/v1/rules", b'{"name": "r", "conditions": {"pattern": "a+"}, "actions": {"priority": "high"}}'),
                 ("GET", "/api/v1/conversations?status=open&limit=5&sort=created", None)]
        fives = []
        for i in range(400):
            method, path, data = rnd.choice(seeds)
            if data is not None:
                b = bytearray(data)
                for _ in range(rnd.randint(1, 4)):
                    op = rnd.randint(0, 2)
                    pos = rnd.randrange(len(b) + 1)
                    if op == 0 and b:
                        b[min(pos, len(b) - 1)] = rnd.randrange(256)
                    elif op == 1:
                        b[pos:pos] = bytes([rnd.randrange(256)])
                    elif b:
                        del b[min(pos, len(b) - 1)]
                data = bytes(b)
            else:
                path = path.replace("open", rnd.choice(["open", "x", "%ff", "", "needs_human,resolved"]))
            st, body, _ = m.raw(method, path, data, J)
            if st >= 500:
                fives.append((method, path, data[:80] if data else None, st, body[:120]))
        check("400 mutated requests: no 5xx", not fives, fives[:3])
        check("and the server is still up", srv.alive())
        # Every write route in the route table, as the owner, with bodies of the
        # wrong shape: never a 5xx, never accepted when the body is not JSON.
        routes = json.loads(subprocess.run([BATON, "routes"], capture_output=True, text=True, check=True).stdout)
        bad = {"malformed JSON": b'{"name": ', "a JSON array": b'[1, 2]',
               "every field a number": json.dumps({k: 42 for k in ("name", "body", "state", "question", "answer", "filters",
                                                                   "title", "status", "email", "role", "tag_id", "month")}).encode()}
        wrong, took = [], []
        for r in routes:
            if r["method"] not in ("POST", "PUT", "PATCH") or r["auth"] != "member":
                continue
            path = r["path"].replace(":id", conv if r["path"].startswith("/api/v1/conversations/") else "1").replace(":tag", "1")
            for what, data in bad.items():
                st, body, _ = m.raw(r["method"], path, data, J)
                if st >= 500:
                    wrong.append((r["method"], r["path"], what, st, body[:100]))
                elif st < 300 and what != "every field a number":
                    took.append((r["method"], r["path"], what, st))
        check("every write route answers bodies of the wrong shape without a 5xx", not wrong, wrong[:4])
        check("no write route accepts a body that is not a JSON object", not took, took[:6])
        check("and the server is still up after the sweep", srv.alive())
    finally:
        srv.close()
    done()


if __name__ == "__main__":
    main()
