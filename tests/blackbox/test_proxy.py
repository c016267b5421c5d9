#!/usr/bin/env python3
"""Login rate limits behind a reverse proxy: with --trusted-proxy, the client
address comes from X-Forwarded-For, so one client's wrong passwords do not
lock out everyone behind the proxy; without it, X-Forwarded-For is ignored,
so a client cannot dodge the limit by inventing addresses."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BATON, Client, Server, check, done, run


def login(srv, email, pw, xff=None):
    c = Client(srv.base)
    h = {"X-Forwarded-For": xff} if xff else None
    st, _ = c.call("POST", "/api/v1/auth/login", {"email": email, "password": pw}, h)
    return st


def main():
    r = run("/nonexistent", "serve", "--trusted-proxy", "not-an-ip")
    check("a bad --trusted-proxy is refused with a clear message", r.returncode == 2 and "IP addresses" in r.stderr, r.stderr)

    srv = Server(extra=["--trusted-proxy", "127.0.0.1"])
    try:
        owner, pw = srv.init["admin_email"], srv.init["password"]
        for i in range(10):
            login(srv, f"nobody{i}@x.test", "wrong password!", "198.51.100.7, 203.0.113.5")
        check("the attacker behind the proxy is limited",
              login(srv, owner, pw, "203.0.113.5") == 429)
        check("a spoofed left-hand entry does not help the attacker",
              login(srv, owner, pw, "192.0.2.1, 203.0.113.5") == 429)
        check("another client behind the same proxy still logs in",
              login(srv, owner, pw, "203.0.113.9") == 200)
        check("a garbage X-Forwarded-For falls back to the proxy's address (not limited yet)",
              login(srv, owner, pw, "unknown") == 200)
    finally:
        srv.stop()

    srv = Server()
    try:
        owner, pw = srv.init["admin_email"], srv.init["password"]
        for i in range(10):
            login(srv, f"nobody{i}@x.test", "wrong password!", f"203.0.113.{i}")
        check("without --trusted-proxy, invented X-Forwarded-For addresses do not dodge the limit",
              login(srv, owner, pw, "203.0.113.200") == 429)
    finally:
        srv.stop()
    done()


if __name__ == "__main__":
    main()
