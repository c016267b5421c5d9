#!/usr/bin/env python3
"""The email channel against real servers: Dovecot (IMAP + LMTP + SASL) and
Postfix (SMTP), configured in a short temporary directory on loopback ports
(recipe: ../shared/notes/mail-servers.md). Mail goes in through Postfix with
smtplib, Baton reads it over IMAP and answers over SMTP; every outbound
message lands in a capture Maildir. Needs root (Postfix) and the Debian
packages dovecot-imapd, dovecot-lmtpd and postfix; skips otherwise."""
import email, email.policy, glob, imaplib, json, os, shutil, signal, smtplib, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SLOW, Server, check, done, free_port

POSTFIX_MASTER = "/usr/lib/postfix/sbin/master"
KB = b"""# Visit schedule

## Visit windows

The Week 4 visit must happen within plus or minus 3 days of the target date.
The Week 12 visit window is plus or minus 5 days.
"""


def skip(why):
    print("skip: " + why)
    print("0 passed, 0 failed")
    sys.exit(0)


class Mail:
    def __init__(self):
        self.t = tempfile.mkdtemp(prefix="bm", dir="/tmp")
        self.imap, self.lmtp, self.auth, self.smtp = free_port(), free_port(), free_port(), free_port()
        self.procs = []
        T = self.t
        os.chmod(T, 0o755)
        for d in ("run", "state", "mail/example.test/support/Maildir", "postfix", "spool", "pfdata", "outbox/Maildir/new",
                  "outbox/Maildir/cur", "outbox/Maildir/tmp"):
            os.makedirs(f"{T}/{d}", exist_ok=True)
        subprocess.run(["chown", "-R", "nobody:nogroup", f"{T}/mail", f"{T}/outbox"], check=True)
        subprocess.run(["chown", "postfix", f"{T}/pfdata"], check=True)
        with open(f"{T}/passwd", "w") as f:
            f.write("support@example.test:{PLAIN}secret::::::\n")
        with open(f"{T}/dovecot.conf", "w") as f:
            f.write(f"""instance_name = dovecot-test-{self.imap}
base_dir = {T}/run
state_dir = {T}/state
log_path = {T}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
mail_location = maildir:{T}/mail/%d/%n/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {T}/passwd
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={T}/mail/%d/%n allow_all_users=yes
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {self.lmtp}
  }}
}}
service auth {{
  inet_listener {{
    address = 127.0.0.1
    port = {self.auth}
  }}
}}
protocol lmtp {{
  postmaster_address = postmaster@example.test
}}
""")
        with open(f"{T}/postfix/main.cf", "w") as f:
            f.write(f"""compatibility_level = 3.6
queue_directory = {T}/spool
data_directory = {T}/pfdata
mail_owner = postfix
setgid_group = postdrop
maillog_file = {T}/postfix.log
maillog_file_prefixes = {T}
myhostname = mx.example.test
inet_interfaces = loopback-only
inet_protocols = ipv4
mydestination =
local_transport = error:5.1.1 local delivery disabled
alias_maps =
alias_database =
local_recipient_maps =
local_header_rewrite_clients =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:{self.auth}
smtpd_tls_security_level = none
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
virtual_mailbox_domains = example.test
virtual_transport = lmtp:inet:127.0.0.1:{self.lmtp}
default_transport = virtual
relay_transport = virtual
virtual_mailbox_base = {T}/outbox
virtual_mailbox_maps = regexp:{T}/postfix/vmailbox.regexp
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 1
""")
        with open(f"{T}/postfix/master.cf", "w") as f:
            f.write(f"""127.0.0.1:{self.smtp} inet n - n - - smtpd
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
virtual unix - n n - - virtual
""")
        with open(f"{T}/postfix/vmailbox.regexp", "w") as f:
            f.write("/./ Maildir/\n")
        sp = f"{T}/spool"
        os.mkdir(f"{sp}/pid", 0o755)
        for d in "active bounce corrupt defer deferred flush hold incoming private saved trace".split():
            os.mkdir(f"{sp}/{d}", 0o700)
            shutil.chown(f"{sp}/{d}", "postfix")
        os.mkdir(f"{sp}/maildrop", 0o730); os.chmod(f"{sp}/maildrop", 0o730)
        os.mkdir(f"{sp}/public", 0o710); os.chmod(f"{sp}/public", 0o710)
        shutil.chown(f"{sp}/maildrop", "postfix", "postdrop"); shutil.chown(f"{sp}/public", "postfix", "postdrop")
        old = time.time() - 10
        for p in glob.glob(f"{T}/postfix/*"):
            os.utime(p, (old, old))
        self.procs.append(subprocess.Popen(["dovecot", "-F", "-c", f"{T}/dovecot.conf"], start_new_session=True,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self.procs.append(subprocess.Popen([POSTFIX_MASTER, "-c", f"{T}/postfix", "-d"], start_new_session=True,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        t0 = time.time()
        while time.time() - t0 < 10:
            if self._listening(self.imap) and self._listening(self.smtp):
                return
            time.sleep(0.05)
        raise RuntimeError("mail servers did not start: " + self.logs())

    def _listening(self, port):
        import socket
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            return False

    def logs(self):
        out = ""
        for f in ("dovecot.log", "postfix.log"):
            try:
                out += open(f"{self.t}/{f}").read()[-1500:]
            except OSError:
                pass
        return out

    def send(self, raw):
        with smtplib.SMTP("127.0.0.1", self.smtp, timeout=10) as s:
            s.sendmail("anna@site101.test", ["support@example.test"], raw if isinstance(raw, bytes) else raw.encode())

    def outbox(self):
        msgs = []
        for p in sorted(glob.glob(f"{self.t}/outbox/Maildir/new/*") + glob.glob(f"{self.t}/outbox/Maildir/cur/*"), key=os.path.getmtime):
            with open(p, "rb") as f:
                msgs.append(email.message_from_bytes(f.read(), policy=email.policy.default))
        return msgs

    def wait_outbox(self, pred, seconds=15):
        t0 = time.time()
        while time.time() - t0 < seconds * SLOW:
            for m in self.outbox():
                if pred(m):
                    return m
            time.sleep(0.1)
        return None

    def unseen(self):
        im = imaplib.IMAP4("127.0.0.1", self.imap)
        im.login("support@example.test", "secret")
        im.select("INBOX", readonly=True)
        typ, data = im.uid("SEARCH", None, "UNSEEN")
        im.logout()
        return data[0].split()

    def close(self):
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except OSError:
                pass
        for p in self.procs:
            try:
                p.wait(2)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
                p.wait()
        shutil.rmtree(self.t, ignore_errors=True)


def msg(subject, body, mid, extra=""):
    return (f"From: Anna Meyer <anna@site101.test>\r\nTo: support@example.test\r\nSubject: {subject}\r\n"
            f"Message-ID: <{mid}>\r\nDate: Tue, 24 Nov 2026 09:00:00 +0000\r\n{extra}"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n")


def wait(fn, seconds=15):
    t0 = time.time()
    while time.time() - t0 < seconds * SLOW:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    return fn()


def main():
    if os.geteuid() != 0:
        skip("the Postfix test servers need root")
    if not shutil.which("dovecot") or not os.path.exists(POSTFIX_MASTER):
        skip("dovecot/postfix are not installed (apt-get install dovecot-imapd dovecot-lmtpd postfix)")
    mail = Mail()
    srv = None
    try:
        srv = Server()
        m = srv.member()
        st, raw, _ = m.raw("POST", "/api/v1/kb/documents", KB, {"X-Filename": "visits.md"})
        check("the knowledge base has the visit schedule", st == 201, raw)
        cfg = {"imap_url": f"imap://127.0.0.1:{mail.imap}", "smtp_url": f"smtp://127.0.0.1:{mail.smtp}",
               "username": "support@example.test", "password": "wrong", "address": "support@example.test",
               "poll_seconds": 1}
        st, body = m.call("PUT", "/api/v1/channels/email", cfg)
        check("an admin saves the mailbox", st == 200 and body["mailbox"]["password_set"] and "password" not in body["mailbox"], body)
        st, body = m.call("POST", "/api/v1/channels/email/check")
        check("check connection gives a clear error for a wrong password",
              st == 200 and not body["ok"] and "login denied" in (body["imap"]["error"] or ""), body)
        db = open(os.path.join(srv.data, "baton.db"), "rb").read()
        check("the password is stored encrypted", b"wrong" not in db)
        key = os.stat(os.path.join(srv.data, "secret.key"))
        check("the server key is private (0600)", key.st_mode & 0o777 == 0o600, oct(key.st_mode))
        cfg["password"] = "secret"
        st, body = m.call("PUT", "/api/v1/channels/email", cfg)
        st, body = m.call("POST", "/api/v1/channels/email/check")
        check("check connection succeeds with the right password", st == 200 and body["ok"], body)

        # 1. A new email starts a conversation and gets the agent's answer by email.
        mail.send(msg("Week 4 visit", "What is the window for the week 4 visit?\n\nThanks,\nAnna", "q1@site101.test"))
        conv = wait(lambda: next((c for c in m.call("GET", "/api/v1/conversations")[1]["items"] if c["channel"] == "email"), None))
        check("a new email starts an email conversation", conv is not None)
        cid = conv["id"] if conv else ""
        msgs = wait(lambda: [x for x in m.call("GET", f"/api/v1/conversations/{cid}/messages")[1]["items"] if x["author_kind"] == "visitor"])
        check("the stripped text is the visitor's message",
              msgs and msgs[0]["body"] == "What is the window for the week 4 visit?", msgs)
        ans = mail.wait_outbox(lambda x: x["In-Reply-To"] == "<q1@site101.test>")
        check("the agent's answer arrives by email", ans is not None and "3 days" in ans.get_body(("plain",)).get_content(),
              [str(x["Subject"]) for x in mail.outbox()])
        if ans is not None:
            check("the answer is threaded and marked as an automatic reply",
                  "q1@site101.test" in ans["References"] and ans["Auto-Submitted"] == "auto-replied" and
                  ans["To"] == "anna@site101.test" and ans["Subject"].startswith("Re: Week 4 visit"), dict(ans))
        st, c = m.call("GET", f"/api/v1/conversations/{cid}")
        check("the conversation stays with the agent", c.get("mode") == "agent", c)

        # 2. A reply threads (by In-Reply-To to Baton's answer), quoted history stripped.
        rid = ans["Message-ID"].strip("<>") if ans else "none"
        mail.send(msg("Re: Week 4 visit", "And the week 12 visit?\n\nOn Tue, Baton wrote:\n> within 3 days", "q2@site101.test",
                      f"In-Reply-To: <{rid}>\r\nReferences: <q1@site101.test> <{rid}>\r\n"))
        msgs = wait(lambda: [x for x in m.call("GET", f"/api/v1/conversations/{cid}/messages")[1]["items"] if x["author_kind"] == "visitor"][1:])
        check("a reply joins the same conversation", msgs and msgs[0]["body"] == "And the week 12 visit?", msgs)
        n_email = len([c for c in m.call("GET", "/api/v1/conversations")[1]["items"] if c["channel"] == "email"])
        check("no second conversation", n_email == 1, n_email)
        ans2 = mail.wait_outbox(lambda x: x["In-Reply-To"] == "<q2@site101.test>")
        check("the second answer comes in the same thread", ans2 is not None and "q1@site101.test" in ans2["References"])

        # 3. An Outlook-style reply with no headers but the [#N] token threads too.
        mail.send(msg(f"RE: [#{c['number']}] Week 4 visit", "One more thing: can I ship on Friday?", "q3@site101.test"))
        msgs = wait(lambda: [x for x in m.call("GET", f"/api/v1/conversations/{cid}/messages")[1]["items"] if x["author_kind"] == "visitor"][2:])
        check("a reply without threading headers joins by its [#N] token", bool(msgs), msgs)

        # 4. A key phrase hands off.
        mail.send(msg("Urgent: patient 0042", "We have a serious adverse event to report for patient 0042.", "sae1@site101.test"))
        sae = wait(lambda: next((c for c in m.call("GET", "/api/v1/conversations")[1]["items"]
                                 if c["channel"] == "email" and c["id"] != cid), None))
        sae = wait(lambda: (lambda c: c if c.get("status") == "needs_human" else None)(m.call("GET", f"/api/v1/conversations/{sae['id']}")[1])) if sae else None
        check("a safety email hands off (key phrase)", sae is not None and sae["handoff_reason"] == "key_phrase", sae)

        # 5. A member's reply goes out in the same thread and puts the thread in manual mode.
        if sae:
            st, body = m.call("POST", f"/api/v1/conversations/{sae['id']}/messages", {"body": "I am calling you now. -- Dr Lee", "internal": False})
            out = mail.wait_outbox(lambda x: "calling you now" in x.get_body(("plain",)).get_content())
            check("the member's reply arrives by email", out is not None)
            if out is not None:
                check("with In-Reply-To and References of the thread",
                      out["In-Reply-To"] == "<sae1@site101.test>" and "<sae1@site101.test>" in out["References"] and
                      out["Auto-Submitted"] is None, dict(out))
            st, c2 = m.call("GET", f"/api/v1/conversations/{sae['id']}")
            check("the member's reply put the thread in manual mode", c2["mode"] == "manual", c2)

        # 6. An auto-reply gets no answer and is recorded as refused.
        before = len(mail.outbox())
        mail.send(msg("Automatic reply: Week 4 visit", "I am out of the office.", "ooo1@site101.test",
                      f"Auto-Submitted: auto-replied\r\nIn-Reply-To: <{rid}>\r\n"))
        refused = wait(lambda: [e for e in m.call("GET", "/api/v1/channels/email/messages?status=refused")[1]["items"]
                                if e["message_id"] == "ooo1@site101.test"])
        check("an auto-reply is refused with its reason", refused and refused[0]["reason"] == "auto_reply", refused)
        time.sleep(1.5)
        check("and gets no answer", len(mail.outbox()) == before, [str(x["Subject"]) for x in mail.outbox()[before:]])
        check("every message is marked \\Seen once stored", wait(lambda: mail.unseen() == []), mail.unseen())

        # 7. Nothing is lost: kill the server mid-poll, restart, every message is stored once.
        srv.kill()
        for i in range(5):
            mail.send(msg(f"Batch {i}", f"Question number {i} about shipping samples on dry ice", f"batch{i}@site101.test"))
        srv.start()
        time.sleep(0.3)
        srv.kill()
        srv.start()
        m = srv.member()
        got = wait(lambda: (lambda ids: ids if len(ids) == 5 else None)(
            {e["message_id"] for e in m.call("GET", "/api/v1/channels/email/messages?limit=500")[1]["items"]
             if e["message_id"].startswith("batch") and e["status"] == "accepted"}), 20)
        check("after a kill mid-poll every message is stored", got and len(got) == 5, got)
        check("and then marked \\Seen", wait(lambda: mail.unseen() == []), mail.unseen())
        st, items = m.call("GET", "/api/v1/conversations?limit=100")
        batch = [c for c in items["items"] if (c.get("subject") or "").startswith("Batch")]
        check("no message became two conversations", len(batch) <= 5, len(batch))
    finally:
        if srv:
            srv.close()
        mail.close()
    done()


if __name__ == "__main__":
    main()
