#!/usr/bin/env python3
"""The authorisation matrix, generated from the route table (`baton routes`):
every route is tried by every principal (anonymous, a visitor of another
conversation, viewer, agent, admin, an admin of another workspace, an API
token with the agent role), and the outcome must match the route's auth
column and minimum role. "Allowed" means past authorisation (any status but
401/403); "denied" means 401, 403 or 404 (hiding another workspace's rows)."""
import http.client, json, os, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BATON, Client, Server, check, done, run

ROLES = {"none": 0, "viewer": 1, "agent": 2, "admin": 3, "owner": 4}


def main():
    routes = json.loads(subprocess.run([BATON, "routes"], capture_output=True, text=True, check=True).stdout)
    srv = Server()
    try:
        r = run(srv.data, "init", "--workspace", "Other", "--admin", "other@cro.test", "--json")
        other_init = json.loads(r.stdout)
        owner = srv.member()
        principals = {}

        def invite(email, role):
            st, inv = owner.call("POST", "/api/v1/members/invite", {"email": email, "role": role, "organisation": "Site-101"})
            st, m = Client(srv.base).call("POST", "/api/v1/invites/accept", {"token": inv["token"], "name": role, "password": "correct horse battery"})
            return m["member"]["id"]

        invite("viewer@site.test", "viewer")
        invite("agent@site.test", "agent")
        invite("admin@site.test", "admin")
        victim = invite("victim@site.test", "agent")
        principals["anonymous"] = (Client(srv.base), 0, "anon")
        for role in ("viewer", "agent", "admin"):
            principals[role] = (srv.member(f"{role}@site.test", "correct horse battery"), ROLES[role], "member")
        principals["other_admin"] = (srv.member(other_init["admin_email"], other_init["password"]), ROLES["owner"], "other")
        st, tok = owner.call("POST", "/api/v1/tokens", {"name": "helpdesk", "role": "agent"})
        api = Client(srv.base); api.headers["Authorization"] = "Bearer " + tok["token"]
        principals["api_token"] = (api, ROLES["agent"], "member")
        own_visitor = srv.visitor({"site": "Site-101"})
        other_visitor = srv.visitor()
        principals["other_visitor"] = (other_visitor, 0, "visitor_other")

        # Objects for the :id parameters, all in the first workspace.
        conv = own_visitor.conv
        own_visitor.call("POST", f"/widget/v1/conversations/{conv}/messages", {"body": "When is the week 4 visit?"})
        st, tg = owner.call("POST", "/api/v1/tag-groups", {"name": "Topic", "cardinality": "any"})
        st, tag = owner.call("POST", "/api/v1/tags", {"name": "Eligibility", "group_id": tg["id"]})
        st, tag2 = owner.call("POST", "/api/v1/tags", {"name": "Spare"})
        st, rule = owner.call("POST", "/api/v1/rules", {"name": "r", "conditions": {"site": "Site-909"}, "actions": {"priority": "high"}})
        st, tok2 = owner.call("POST", "/api/v1/tokens", {"name": "spare", "role": "viewer"})
        st, raw, _ = owner.raw("POST", "/api/v1/kb/documents", b"# Visits\n\nThe week 4 visit window is 3 days.\n",
                               {"X-Filename": "visits.md", "Content-Type": "application/octet-stream"})
        doc = json.loads(raw)
        owner.call("POST", f"/api/v1/conversations/{conv}/tags", {"tag_id": tag["id"]})

        def fill(path, method):
            ids = {"/api/v1/members/:id": victim, "/api/v1/tokens/:id": tok2["id"], "/api/v1/tags/:id": tag2["id"],
                   "/api/v1/tag-groups/:id": tg["id"], "/api/v1/rules/:id": rule["id"],
                   "/api/v1/kb/documents/:id": doc["id"], "/api/v1/kb/documents/:id/passages": doc["id"]}
            p = path
            if path in ids:
                p = path.replace(":id", str(ids[path]))
            p = p.replace(":id", conv).replace(":tag", str(tag["id"]))
            return p

        def attempt(client, method, path):
            headers = {}
            if path.endswith("/events"):
                h = dict(client.headers)
                if client.jar:
                    h["Cookie"] = client.cookie_header()
                h.pop("X-CSRF-Token", None)
                conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
                conn.request("GET", path, headers=h)
                status = conn.getresponse().status
                conn.close()
                return status, b""
            if path == "/api/v1/kb/documents" and method == "POST":
                return client.raw(method, path, b"# Doc\n\nText of a document.\n", {"X-Filename": "authz.md"})[:2]
            body = {"email": "x@y.test", "password": "nope", "body": "hello", "status": "open", "assignee_id": None,
                    "tag_id": tag["id"], "question": "week 4?", "widget_key": srv.init["widget_key"], "name": "n",
                    "token": "t", "role": "viewer", "cardinality": "any", "conditions": {"site": "S"},
                    "actions": {"priority": "low"}}
            if method in ("GET", "DELETE"):
                body = None
            st, resp = client.call(method, path, body, headers)
            return st, json.dumps(resp) if not isinstance(resp, (bytes, str)) else resp

        order = sorted(routes, key=lambda r: (r["path"] == "/api/v1/auth/logout", r["method"] == "DELETE"))
        tried = set()
        for route in order:
            method, path = route["method"], route["path"]
            real = fill(path, method)
            for pname in ("anonymous", "other_visitor", "viewer", "agent", "admin", "other_admin", "api_token"):
                client, level, kind = principals[pname]
                if route["auth"] in ("public", "widget"):
                    expect = True
                elif route["auth"] == "visitor":
                    expect = False  # only the conversation's own visitor (checked below)
                else:
                    need = ROLES[route["role"]]
                    expect = kind in ("member", "other") and level >= need
                st, body = attempt(client, method, real)
                by_id = ":id" in path or ":tag" in path
                if kind == "other" and by_id and route["auth"] == "member":
                    expect = False  # another workspace's object
                if not expect:
                    ok = st in (401, 403, 404)
                elif route["auth"] == "public":
                    ok = st != 403  # a wrong password's 401 is login's own answer
                else:
                    ok = st not in (401, 403)
                if path.endswith("/claim") and pname == "api_token":
                    # Claiming assigns the thread to the caller: a person, never a token.
                    ok = st == 403
                if kind == "other" and not by_id and st == 200 and isinstance(body, str):
                    ok = ok and conv not in body  # never another workspace's rows
                check(f"{pname:13s} {method:6s} {path}: {'allowed' if expect else 'denied'}", ok, f"status {st}: {str(body)[:200]}")
                tried.add((method, path))
            if route["auth"] == "visitor":
                st, _ = attempt(own_visitor, method, real)
                check(f"{'own visitor':13s} {method:6s} {path}: allowed", st not in (401, 403), st)
        check("every route in the table was tried", tried == {(r["method"], r["path"]) for r in routes},
              {(r["method"], r["path"]) for r in routes} - tried)
    finally:
        srv.close()
    done()


if __name__ == "__main__":
    main()
