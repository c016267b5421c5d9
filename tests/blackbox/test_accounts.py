#!/usr/bin/env python3
"""Accounts over HTTP: login and its cookie, CSRF, logout, rate limiting,
invitations (accept, reuse, bad links), roles, API tokens and revocation,
the audit trail of it all, and `baton backup`."""
import json, os, sqlite3, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Client, Server, check, done, run


def main():
    srv = Server()
    try:
        c = Client(srv.base)
        st, raw, hdrs = c.raw("POST", "/api/v1/auth/login", json.dumps({"email": srv.init["admin_email"], "password": srv.init["password"]}).encode(),
                              {"Content-Type": "application/json"})
        cookie = hdrs.get("Set-Cookie", "")
        check("login sets the session cookie", st == 200 and cookie.startswith("baton_session="), (st, cookie))
        check("the cookie is HttpOnly and SameSite=Lax", "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie)
        check("no Secure flag over plain HTTP", "Secure" not in cookie, cookie)
        st, raw, hdrs = Client(srv.base).raw("POST", "/api/v1/auth/login", json.dumps({"email": srv.init["admin_email"], "password": srv.init["password"]}).encode(),
                                             {"Content-Type": "application/json", "X-Forwarded-Proto": "https"})
        check("Secure behind TLS", "Secure" in hdrs.get("Set-Cookie", ""), hdrs.get("Set-Cookie"))
        st, me = c.call("GET", "/api/v1/me")
        check("me has the role, workspace and csrf_token", st == 200 and me["role"] == "owner" and me["csrf_token"] and me["workspace"]["id"] == srv.init["workspace_id"], me)
        st, body = c.call("PATCH", "/api/v1/settings", {"greeting": "Hi"})
        check("a cookie write without X-CSRF-Token is refused", st == 403, (st, body))
        c.headers["X-CSRF-Token"] = me["csrf_token"]
        st, body = c.call("PATCH", "/api/v1/settings", {"greeting": "Hello from the study team"})
        check("with it, the write goes through", st == 200 and body["greeting"] == "Hello from the study team", body)
        # Invitations.
        st, inv = c.call("POST", "/api/v1/members/invite", {"email": "nurse@site.test", "role": "agent", "organisation": "Site-101 Leeds"})
        check("an admin invites a member with a one-time link", st == 201 and inv["token"] and "accept" in inv["link"], inv)
        st, bad = Client(srv.base).call("POST", "/api/v1/invites/accept", {"token": inv["token"], "password": "short"})
        check("a short password is refused clearly", st == 400 and "10" in bad["error"]["message"], bad)
        st, m = Client(srv.base).call("POST", "/api/v1/invites/accept", {"token": inv["token"], "name": "Nurse", "password": "correct horse battery"})
        check("the invitation is accepted", st == 201 and m["member"]["role"] == "agent" and m["member"]["organisation"] == "Site-101 Leeds", m)
        st, again = Client(srv.base).call("POST", "/api/v1/invites/accept", {"token": inv["token"], "password": "correct horse battery"})
        check("a used link is refused", st == 409, again)
        st, nope = Client(srv.base).call("POST", "/api/v1/invites/accept", {"token": "made-up", "password": "correct horse battery"})
        check("a made-up link is refused", st == 404 and "not valid" in nope["error"]["message"], nope)
        # Expire an invitation directly in the store, as time would.
        st, inv2 = c.call("POST", "/api/v1/members/invite", {"email": "late@site.test", "role": "viewer"})
        db = sqlite3.connect(os.path.join(srv.data, "baton.db"))
        db.execute("UPDATE invites SET expires_at = 1 WHERE email = 'late@site.test'")
        db.commit(); db.close()
        st, exp = Client(srv.base).call("POST", "/api/v1/invites/accept", {"token": inv2["token"], "password": "correct horse battery"})
        check("an expired link is refused with a clear message", st == 400 and "expired" in exp["error"]["message"], exp)
        nurse = srv.member("nurse@site.test", "correct horse battery")
        st, _ = nurse.call("POST", "/api/v1/members/invite", {"email": "x@site.test", "role": "viewer"})
        check("an agent cannot invite", st == 403)
        st, _ = c.call("POST", "/api/v1/members/invite", {"email": "nurse@site.test", "role": "viewer"})
        check("inviting an existing member is a conflict", st == 409)
        st, lst = c.call("GET", "/api/v1/members")
        nid = [x for x in lst["items"] if x["email"] == "nurse@site.test"][0]["id"]
        check("member lists never carry password hashes", "password" not in json.dumps(lst))
        st, up = c.call("PATCH", f"/api/v1/members/{nid}", {"role": "viewer", "organisation": "Meridian Clinical"})
        check("an admin changes role and organisation", st == 200 and up["role"] == "viewer" and up["organisation"] == "Meridian Clinical", up)
        v = srv.visitor()
        st, body = nurse.call("POST", f"/api/v1/conversations/{v.conv}/messages", {"body": "hi"})
        check("a viewer cannot reply", st == 403 and "agent" in body["error"]["message"], body)
        # Logout.
        st, _ = nurse.call("POST", "/api/v1/auth/logout")
        st2, _ = nurse.call("GET", "/api/v1/me")
        check("logout ends the session", st == 200 and st2 == 401, (st, st2))
        # Rate limiting.
        sts = [Client(srv.base).call("POST", "/api/v1/auth/login", {"email": "nurse@site.test", "password": f"wrong{i}"})[0] for i in range(11)]
        check("repeated wrong passwords are rate limited", sts[:10] == [401] * 10 and sts[10] == 429, sts)
        st, _ = Client(srv.base).call("POST", "/api/v1/auth/login", {"email": "nurse@site.test", "password": "correct horse battery"})
        check("even the right password waits out the limit", st == 429, st)
        # API tokens.
        st, tok = c.call("POST", "/api/v1/tokens", {"name": "CRO help desk", "role": "agent"})
        check("an API token is shown once", st == 201 and tok["token"].startswith("bt_"), tok)
        api = Client(srv.base); api.headers["Authorization"] = "Bearer " + tok["token"]
        st, me2 = api.call("GET", "/api/v1/me")
        check("the token authenticates with its role", st == 200 and me2["role"] == "agent", me2)
        st, conv = api.call("POST", "/api/v1/conversations", {"external_id": "HD-1001", "body": "Question from the help desk", "context": {"site": "Site-202"}})
        st2, conv2 = api.call("POST", "/api/v1/conversations", {"external_id": "HD-1001", "body": "Follow-up"})
        check("the same external ID joins the same conversation", st == 201 and st2 == 200 and conv["conversation"]["id"] == conv2["conversation"]["id"], (conv, conv2))
        st, lst = c.call("GET", "/api/v1/tokens")
        check("token lists never show the secret", tok["token"] not in json.dumps(lst) and lst["items"][0]["prefix"] == tok["token"][:10], lst)
        st, _ = api.call("POST", "/api/v1/tokens", {"name": "x", "role": "agent"})
        check("an agent token cannot make tokens", st == 403)
        c.call("DELETE", f"/api/v1/tokens/{tok['id']}")
        st, _ = api.call("GET", "/api/v1/me")
        check("a revoked token stops working", st == 401, st)
        db = sqlite3.connect(os.path.join(srv.data, "baton.db"))
        stored = [r[0] for r in db.execute("SELECT token_hash FROM api_tokens")]
        pw = [r[0] for r in db.execute("SELECT password_hash FROM members")]
        db.close()
        check("tokens are stored hashed", tok["token"] not in stored and all(len(h) == 64 for h in stored), stored)
        check("passwords are stored as argon2id", all(p.startswith("$argon2id$") for p in pw), pw)
        st, audit = c.call("GET", "/api/v1/audit")
        actions = {a["action"] for a in audit["items"]}
        check("the audit trail records logins, invitations, role changes, tokens and settings",
              {"auth.login", "member.invite", "member.join", "member.update", "token.create", "token.revoke", "settings.update"} <= actions, actions)
        st, ver = c.call("GET", "/api/v1/audit/verify")
        check("the chain verifies over HTTP", st == 200 and ver["ok"] is True and ver["rows"] > 10, ver)
        out = os.path.join(srv.tmp, "backup.db")
        r = run(srv.data, "backup", out)
        db = sqlite3.connect(out)
        n = db.execute("SELECT count(*) FROM members").fetchone()[0]
        db.close()
        check("baton backup writes a usable copy while the server runs", r.returncode == 0 and n == 2, (r.stderr, n))
        r = run(srv.data, "init", "--workspace", "Second", "--admin", "second@cro.test", "--json")
        check("several workspaces on one server", r.returncode == 0 and json.loads(r.stdout)["workspace_id"] != srv.init["workspace_id"], r.stderr)
        r = run(srv.data, "init", "--workspace", "Bad", "--admin", "not-an-email")
        check("init refuses a bad e-mail clearly", r.returncode != 0 and "valid e-mail" in r.stderr, r.stderr)
    finally:
        srv.close()
    done()


if __name__ == "__main__":
    main()
