#!/usr/bin/env python3
"""The OpenAPI document served at /api/v1/openapi.json lists exactly the
server's routes (from `baton routes`), with the same auth and role."""
import json, os, re, signal, socket, subprocess, sys, tempfile, time, urllib.request

BATON = os.environ.get("BATON", os.path.abspath("./baton"))
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))


def main():
    routes = json.loads(subprocess.run([BATON, "routes"], capture_output=True, text=True, check=True).stdout)
    tmp = tempfile.mkdtemp(prefix="baton-openapi-")
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    srv = subprocess.Popen([BATON, "--data", tmp, "serve", "--listen", f"127.0.0.1:{port}"], stderr=subprocess.DEVNULL)
    try:
        doc = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2) as r:
                    doc = json.load(r); break
            except OSError:
                time.sleep(0.05)
        check("the server serves the OpenAPI document", doc is not None and doc.get("openapi", "").startswith("3."))
        if doc is None:
            return
        served = {(m.upper(), re.sub(r"\{(\w+)\}", r":\1", p)): op for p, ops in doc["paths"].items() for m, op in ops.items()}
        table = {(r["method"], r["path"]): r for r in routes}
        missing = sorted(set(table) - set(served))
        extra = sorted(set(served) - set(table))
        check("every route is documented", not missing, missing)
        check("every documented path is a route", not extra, extra)
        wrong = [k for k in set(table) & set(served)
                 if served[k].get("x-baton-auth") != table[k]["auth"] or served[k].get("x-baton-role", "none") != table[k]["role"]]
        check("documented auth and roles match the route table", not wrong, wrong)
    finally:
        srv.send_signal(signal.SIGTERM); srv.wait(5)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
