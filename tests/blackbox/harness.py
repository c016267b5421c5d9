"""Shared by the black-box tests: a fresh data directory, `baton init`, the
real `baton serve` on a free loopback port (under valgrind when VALGRIND=1),
HTTP clients with cookies, CSRF and bearer tokens, an SSE reader, and the
ok/FAIL reporting with a final "N passed, N failed" line. Standard library only."""
import codecs, http.client, http.cookiejar, json, os, shutil, signal, socket, subprocess, sys, tempfile, threading, time
import urllib.error, urllib.parse, urllib.request

BATON = os.environ.get("BATON", os.path.abspath("./baton"))
VALGRIND = os.environ.get("VALGRIND") == "1"
SLOW = 20 if VALGRIND else 1
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {str(detail)[:400]}"), flush=True)
    return ok


def done():
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if results and all(results) else 1)


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def run(data, *args, inp=None):
    return subprocess.run([BATON, "--data", data, *args], input=inp, capture_output=True, text=True, timeout=120 * SLOW)


class Server:
    """A data directory with one workspace and a running server."""

    def __init__(self, name="Trial", admin="owner@site.test", data=None, init=True, extra=None):
        self.extra = extra or []  # more `baton serve` options
        self.tmp = tempfile.mkdtemp(prefix="baton-bb-")
        self.data = data or os.path.join(self.tmp, "data")
        self.proc = None
        self.vglog = os.path.join(self.tmp, "valgrind.log")
        if init:
            r = run(self.data, "init", "--workspace", name, "--admin", admin, "--json")
            if r.returncode != 0:
                raise RuntimeError("init failed: " + r.stderr)
            self.init = json.loads(r.stdout)
        self.start()

    def start(self, port=None):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [BATON, "--data", self.data, "serve", "--listen", f"127.0.0.1:{self.port}", "--heartbeat", "1"] + self.extra
        if VALGRIND:
            cmd = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite",
                   f"--log-file={self.vglog}"] + cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        t0 = time.time()
        while time.time() - t0 < 30 * SLOW:
            try:
                with urllib.request.urlopen(self.base + "/api/v1/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        """SIGTERM; returns the exit status (99 = valgrind found errors)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30 * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return -9

    def close(self):
        status = self.stop()
        if VALGRIND:
            check("valgrind reports no errors in the server", status != 99,
                  open(self.vglog).read()[-3000:] if os.path.exists(self.vglog) else status)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def alive(self):
        try:
            with urllib.request.urlopen(self.base + "/api/v1/health", timeout=5 * SLOW) as r:
                return r.status == 200
        except OSError:
            return False

    def member(self, email=None, password=None):
        c = Client(self.base)
        st, body = c.call("POST", "/api/v1/auth/login", {"email": email or self.init["admin_email"],
                                                         "password": password or self.init["password"]})
        if st != 200:
            raise RuntimeError(f"login failed: {st} {body}")
        c.headers["X-CSRF-Token"] = c.call("GET", "/api/v1/me")[1]["csrf_token"]
        return c

    def visitor(self, context=None):
        c = Client(self.base)
        st, body = c.call("POST", "/widget/v1/conversations", {"widget_key": self.init["widget_key"], "context": context or {}})
        if st != 201:
            raise RuntimeError(f"widget start failed: {st} {body}")
        c.conv = body["id"]
        c.headers["Authorization"] = "Bearer " + body["token"]
        return c


class Client:
    def __init__(self, base):
        self.base, self.headers = base, {}
        self.jar = http.cookiejar.CookieJar()
        self.op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def raw(self, method, path, data=None, headers=None):
        h = dict(self.headers); h.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with self.op.open(req, timeout=30 * SLOW) as r:
                return r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    def call(self, method, path, body=None, headers=None):
        h = {"Content-Type": "application/json"}; h.update(headers or {})
        st, raw, _ = self.raw(method, path, json.dumps(body).encode() if body is not None else None, h)
        try:
            return st, json.loads(raw) if raw else None
        except ValueError:
            return st, raw

    def cookie_header(self):
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


class SSE:
    """Reads an event stream on a thread; events are (id, type, data) tuples."""

    def __init__(self, base, path, headers):
        self.events, self.raw, self.status = [], [], None
        self.stop_flag = threading.Event()
        u = urllib.parse.urlparse(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60 * SLOW)
        self.conn.request("GET", path, headers=dict(headers, Accept="text/event-stream"))
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        buf = ""
        dec = codecs.getincrementaldecoder("utf-8")("replace")
        try:
            while not self.stop_flag.is_set():
                chunk = self.resp.read1(65536)
                if not chunk:
                    break
                text = dec.decode(chunk)
                self.raw.append(text)
                buf += text
                while "\n\n" in buf:
                    block, buf = buf.split("\n\n", 1)
                    ev = {"id": None, "event": None, "data": None}
                    for line in block.split("\n"):
                        if line.startswith("id: "):
                            ev["id"] = int(line[4:])
                        elif line.startswith("event: "):
                            ev["event"] = line[7:]
                        elif line.startswith("data: "):
                            ev["data"] = json.loads(line[6:])
                    if ev["event"]:
                        self.events.append(ev)
        except Exception as e:  # surfaced by the waiting check
            self.error = repr(e)
            self.raw.append(f"<reader error: {e!r}>")

    def wait(self, pred, seconds=5.0):
        t0 = time.time()
        while time.time() - t0 < seconds * SLOW:
            for e in list(self.events):
                if pred(e):
                    return e
            time.sleep(0.005)
        return None

    def close(self):
        self.stop_flag.set()
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()


def msg_event(marker):
    return lambda e: e["event"] == "message.created" and marker in json.dumps(e["data"])
