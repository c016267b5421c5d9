#!/usr/bin/env python3
"""Tags with group cardinality and provenance, tag filters, rules (order,
effects, bad patterns), the dashboard, handover, CSV exports parsed back,
transcripts and usage, against the real server over HTTP."""
import csv, io, json, os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.error, urllib.request, http.cookiejar

BATON = os.environ.get("BATON", os.path.abspath("./baton"))
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


class Client:
    def __init__(self, base):
        self.base, self.headers = base, {}
        self.op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def raw(self, method, path, body=None, headers=None):
        h = {"Content-Type": "application/json"}; h.update(self.headers); h.update(headers or {})
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with self.op.open(req, timeout=10) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def call(self, method, path, body=None, headers=None):
        st, raw, _ = self.raw(method, path, body, headers)
        try:
            return st, json.loads(raw) if raw else None
        except ValueError:
            return st, raw


def main():
    tmp = tempfile.mkdtemp(prefix="baton-tags-")
    data = os.path.join(tmp, "d")
    init = json.loads(subprocess.run([BATON, "--data", data, "init", "--workspace", "Tags", "--admin", "own@x.org", "--json"],
                                     capture_output=True, text=True, check=True).stdout)
    port = free_port(); base = f"http://127.0.0.1:{port}"
    srv = subprocess.Popen([BATON, "--data", data, "serve", "--listen", f"127.0.0.1:{port}"], stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close(); break
            except OSError:
                time.sleep(0.05)
        m = Client(base)
        m.call("POST", "/api/v1/auth/login", {"email": "own@x.org", "password": init["password"]})
        m.headers["X-CSRF-Token"] = m.call("GET", "/api/v1/me")[1]["csrf_token"]
        groups = {}
        for name, card in (("Site", "one"), ("Phase", "at_most_one"), ("Topic", "any")):
            st, g = m.call("POST", "/api/v1/tag-groups", {"name": name, "cardinality": card})
            groups[name] = g["id"]
        check("tag groups are created", len(groups) == 3 and all(groups.values()))
        st, bad = m.call("POST", "/api/v1/tag-groups", {"name": "X", "cardinality": "two"})
        check("an unknown cardinality is refused", st == 400 and "cardinality" in bad["error"]["message"], bad)
        tags = {}
        for name, group in (("Site-101", "Site"), ("Site-202", "Site"), ("Screening", "Phase"), ("Treatment", "Phase"),
                            ("Eligibility", "Topic"), ("SAE", "Topic"), ("Shipping", "Topic")):
            st, t = m.call("POST", "/api/v1/tags", {"name": name, "group_id": groups[group], "colour": "#1f8a70",
                                                    "description": f"{name} questions"})
            tags[name] = t["id"]
        st, dup = m.call("POST", "/api/v1/tags", {"name": "SAE"})
        check("a duplicate tag name is a conflict", st == 409, (st, dup))
        st, badc = m.call("POST", "/api/v1/tags", {"name": "Red", "colour": "red"})
        check("a bad colour is refused with a clear message", st == 400 and "colour" in badc["error"]["message"], badc)

        st, r = m.call("POST", "/api/v1/rules", {"name": "bad", "conditions": {"pattern": "(unclosed"}, "actions": {"priority": "high"}})
        check("a bad rule pattern is refused when saved", st == 400 and "regular expression" in r["error"]["message"], r)
        st, r1 = m.call("POST", "/api/v1/rules", {"name": "site 101", "position": 1, "conditions": {"site": "Site-101"},
                                                  "actions": {"add_tags": [tags["Site-101"]]}})
        st2, r2 = m.call("POST", "/api/v1/rules", {"name": "eligibility", "position": 2,
                                                   "conditions": {"text_any": ["eligible", "inclusion criteria"]},
                                                   "actions": {"add_tags": [tags["Eligibility"]], "priority": "high"}})
        st3, r3 = m.call("POST", "/api/v1/rules", {"name": "eligibility at 101", "position": 3,
                                                   "conditions": {"tag_id": tags["Eligibility"], "site": "Site-101"},
                                                   "actions": {"handoff": True}})
        check("rules are saved", st == 201 and st2 == 201 and st3 == 201, (r1, r2, r3))

        def start(site, text):
            v = Client(base)
            st, c = v.call("POST", "/widget/v1/conversations", {"widget_key": init["widget_key"], "context": {"site": site}})
            v.call("POST", f"/widget/v1/conversations/{c['id']}/messages", {"body": text}, {"Authorization": "Bearer " + c["token"]})
            return c["id"]

        c1 = start("Site-101", "Is a patient on MTX 10 mg eligible?")
        c2 = start("Site-202", "Is this patient eligible for the study?")
        c3 = start("Site-101", "When does the courier come?")
        time.sleep(0.2)
        st, conv1 = m.call("GET", f"/api/v1/conversations/{c1}")
        names1 = {t["name"]: t for t in conv1["tags"]}
        check("rules add tags in order, and later rules see earlier tags (handoff)",
              "Site-101" in names1 and "Eligibility" in names1 and conv1["status"] == "needs_human" and conv1["handoff_reason"] == "rule",
              conv1)
        check("rule tags record their provenance", names1.get("Eligibility", {}).get("source") == "rule" and names1["Eligibility"].get("applied_at"), names1)
        check("a rule sets the priority", conv1["priority"] == "high", conv1["priority"])
        st, conv2 = m.call("GET", f"/api/v1/conversations/{c2}")
        # (The knowledge base is empty, so the agent itself hands off with low_confidence.)
        check("a rule that does not match does not hand off", conv2["handoff_reason"] != "rule", conv2)
        st, tl = m.call("GET", f"/api/v1/conversations/{c1}/timeline")
        check("rule effects are on the timeline", any(e["kind"] == "rule_applied" for e in tl["items"]), tl)
        st, audit = m.call("GET", "/api/v1/audit")
        check("rule effects are in the audit trail", any(a["action"] == "rule.apply" for a in audit["items"]))

        st, out = m.call("POST", f"/api/v1/conversations/{c3}/tags", {"tag_id": tags["Site-202"]})
        check("a member adds a tag", st == 200, out)
        st, out = m.call("POST", f"/api/v1/conversations/{c3}/tags", {"tag_id": tags["Site-202"]})
        check("adding the same tag twice is a conflict", st == 409, out)
        st, conv3 = m.call("GET", f"/api/v1/conversations/{c3}")
        site_tags = [t for t in conv3["tags"] if t["group_name"] == "Site"]
        check("Site keeps exactly one tag", len(site_tags) == 1, conv3["tags"])
        st, out = m.call("POST", f"/api/v1/conversations/{c3}/tags", {"tag_id": tags["Site-101"]})
        check("a second Site tag replaces the first, and says so", st == 200 and out["replaced"] in ("Site-202", "Site-101"), out)
        st, out = m.call("DELETE", f"/api/v1/conversations/{c3}/tags/{tags['Site-101']}")
        check("the only Site tag cannot be removed, only replaced", st == 400 and "exactly one" in out["error"]["message"], out)
        m.call("POST", f"/api/v1/conversations/{c3}/tags", {"tag_id": tags["Screening"]})
        st, out = m.call("POST", f"/api/v1/conversations/{c3}/tags", {"tag_id": tags["Treatment"]})
        check("Phase holds at most one tag", out["replaced"] == "Screening" and sum(t["group_name"] == "Phase" for t in out["tags"]) == 1, out)
        st, out = m.call("DELETE", f"/api/v1/conversations/{c3}/tags/{tags['Treatment']}")
        check("a Phase tag can be removed", st == 200 and not any(t["group_name"] == "Phase" for t in out["tags"]), out)
        m.call("POST", f"/api/v1/conversations/{c3}/tags", {"tag_id": tags["Shipping"]})
        m.call("POST", f"/api/v1/conversations/{c3}/tags", {"tag_id": tags["SAE"]})
        st, conv3 = m.call("GET", f"/api/v1/conversations/{c3}")
        member_tag = [t for t in conv3["tags"] if t["name"] == "Shipping"][0]
        check("member tags record who applied them", member_tag["source"] == "member" and member_tag["source_id"], member_tag)

        st, lst = m.call("GET", f"/api/v1/conversations?tags_all={tags['Shipping']},{tags['SAE']}")
        check("filter by all of several tags", [c["id"] for c in lst["items"]] == [c3], lst)
        st, lst = m.call("GET", f"/api/v1/conversations?tags_any={tags['Shipping']},{tags['Eligibility']}")
        check("filter by any of several tags", {c["id"] for c in lst["items"]} == {c1, c2, c3} - ({c2} if not any(t["name"] == "Eligibility" for t in m.call("GET", f"/api/v1/conversations/{c2}")[1]["tags"]) else set()), lst)
        check("list rows carry their tags", all("tags" in c for c in lst["items"]))
        st, bad = m.call("GET", "/api/v1/conversations?tags_all=1,x")
        check("a bad tag list is refused", st == 400, bad)

        st, dash = m.call("GET", "/api/v1/dashboard")
        check("the dashboard counts conversations and handoffs", dash["totals"]["conversations"] == 3 and dash["totals"]["handoffs"] == 3, dash["totals"])
        check("handoffs by reason", {"reason": "rule", "handoffs": 1} in dash["handoffs_by_reason"] and
              {"reason": "low_confidence", "handoffs": 2} in dash["handoffs_by_reason"], dash["handoffs_by_reason"])
        check("by site uses the Site tag", any(r["site"] == "Site-101" and r["conversations"] == 2 for r in dash["by_site"]) and
              any(r["site"] == "Site-202" and r["conversations"] == 1 for r in dash["by_site"]), dash["by_site"])
        check("by topic and the heat map", any(r["topic"] == "Eligibility" for r in dash["by_topic"]) and any(h["topic"] == "Eligibility" for h in dash["heatmap"]), dash)
        check("weekly series", len(dash["weeks"]) >= 1 and dash["weeks"][0]["conversations"] == 3, dash["weeks"])
        st, d2 = m.call("GET", "/api/v1/dashboard?site=Site-202")
        check("the dashboard filters by site", d2["totals"]["conversations"] == 1, d2["totals"])
        st, d3 = m.call("GET", "/api/v1/dashboard?from=2020-01-01&to=2020-02-01")
        check("the dashboard filters by date", d3["totals"]["conversations"] == 0, d3["totals"])

        st, ho = m.call("GET", "/api/v1/handover")
        check("the handover digest lists open and needs-human threads with their last message",
              {h["id"] for h in ho["items"]} == {c1, c2, c3} and all("waiting_s" in h and h["last_message"] for h in ho["items"]), ho)
        m.call("POST", f"/api/v1/conversations/{c2}/messages", {"body": "Yes, see criterion 4.", "internal": False})
        tricky = 'He said "stop, now"\nthen ""left"", =SUM(A1)'
        m.call("POST", f"/api/v1/conversations/{c2}/messages", {"body": tricky, "internal": True})
        m.call("POST", f"/api/v1/conversations/{c2}/status", {"status": "resolved"})
        st, raw, hdrs = m.raw("GET", "/api/v1/exports/conversations.csv")
        rows = list(csv.DictReader(io.StringIO(raw.decode())))
        check("the conversations CSV parses back, one row each", st == 200 and len(rows) == 3 and hdrs.get("Content-Type", "").startswith("text/csv"), raw[:300])
        r2 = [r for r in rows if r["id"] == c2][0]
        check("the CSV has first human reply and resolution times", r2["first_human_reply_at"] and r2["resolved_at"], r2)
        r1 = [r for r in rows if r["id"] == c1][0]
        check("the CSV lists tags with their sources", "Eligibility (rule)" in r1["tags"], r1)
        st, raw, _ = m.raw("GET", "/api/v1/exports/messages.csv")
        mrows = list(csv.DictReader(io.StringIO(raw.decode())))
        check("the messages CSV parses back", st == 200 and any(r["body"] == "Yes, see criterion 4." for r in mrows), raw[:300])
        check("quotes, commas and line breaks survive the CSV round trip", any(r["body"] == tricky for r in mrows),
              [r["body"] for r in mrows if "stop" in r["body"]])
        st, raw, hdrs = m.raw("GET", f"/api/v1/conversations/{c2}/transcript")
        check("a printable HTML transcript", st == 200 and b"criterion 4" in raw and hdrs.get("Content-Type", "").startswith("text/html"), raw[:200])
        v = Client(base)
        st, c = v.call("POST", "/widget/v1/conversations", {"widget_key": init["widget_key"]})
        v.call("POST", f"/widget/v1/conversations/{c['id']}/messages", {"body": "<script>alert(1)</script>"}, {"Authorization": "Bearer " + c["token"]})
        st, raw, _ = m.raw("GET", f"/api/v1/conversations/{c['id']}/transcript")
        check("the transcript escapes HTML", b"<script>" not in raw and b"&lt;script&gt;" in raw, raw[-300:])
        st, u = m.call("GET", "/api/v1/usage")
        check("usage per month", st == 200 and u["conversations"] == 4 and u["handoffs"] >= 3 and "storage_bytes" in u, u)
        st, u = m.call("GET", "/api/v1/usage?month=2026-13")
        check("a bad month is refused", st == 400, u)
        st, raw, hdrs = m.raw("GET", "/api/v1/usage?format=csv")
        urows = list(csv.DictReader(io.StringIO(raw.decode())))
        check("usage exports as CSV and parses back to the same figures",
              st == 200 and len(urows) == 1 and int(urows[0]["conversations"]) == 4 and int(urows[0]["handoffs"]) >= 3
              and "attachment" in hdrs.get("Content-Disposition", ""), raw[:300])
        st, u = m.call("GET", "/api/v1/usage?format=xml")
        check("an unknown usage format is refused", st == 400 and "csv" in u["error"]["message"], u)
    finally:
        srv.send_signal(signal.SIGTERM)
        try:
            srv.wait(5)
        except subprocess.TimeoutExpired:
            srv.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
