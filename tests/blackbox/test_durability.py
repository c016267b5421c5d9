#!/usr/bin/env python3
"""Nothing acknowledged is lost: messages are posted from several threads,
the server is killed with SIGKILL while they are in flight, restarted on the
same data directory, and every message that got a 201 must be there."""
import os, sys, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SLOW, Server, check, done


def main():
    srv = Server()
    try:
        m = srv.member()
        convs = [srv.visitor() for _ in range(3)]
        acked, lock, stop = [], threading.Lock(), threading.Event()

        def writer(k):
            i = 0
            while not stop.is_set():
                v = convs[k % len(convs)]
                body = f"durable-{k}-{i}"
                try:
                    if k % 2:
                        st, _ = v.call("POST", f"/widget/v1/conversations/{v.conv}/messages", {"body": body})
                    else:
                        st, _ = m.call("POST", f"/api/v1/conversations/{v.conv}/messages", {"body": body, "internal": True})
                except Exception:
                    return
                if st == 201:
                    with lock:
                        acked.append((v.conv, body))
                i += 1

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.5 * SLOW)
        srv.kill()
        stop.set()
        for t in threads:
            t.join()
        check("messages were acknowledged before the kill", len(acked) > 20, len(acked))
        srv.start()
        m2 = srv.member()
        have = {}
        for v in convs:
            have[v.conv], after = set(), 0
            while True:
                st, msgs = m2.call("GET", f"/api/v1/conversations/{v.conv}/messages?after={after}")
                if not msgs["items"]:
                    break
                have[v.conv] |= {x["body"] for x in msgs["items"]}
                after = msgs["items"][-1]["id"]
        lost = [b for c, b in acked if b not in have[c]]
        check(f"all {len(acked)} acknowledged messages survive SIGKILL", not lost, lost[:5])
        r = os.popen(f"{os.environ.get('BATON', './baton')} --data {srv.data} audit verify").read()
        check("the audit chain is intact after the kill", "intact" in r, r)
    finally:
        srv.close()
    done()


if __name__ == "__main__":
    main()
