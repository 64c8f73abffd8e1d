"""Helpers shared by Kiosque's end-to-end tests: run the real programs on a temporary database."""
import http.client
import json
import os
import re
import signal
import subprocess
import tempfile
import threading


class Programs:
    """The indexer and search binaries of a build, run on one temporary database."""

    def __init__(self, bin_dir):
        self.bin_dir = os.path.abspath(bin_dir)
        self.tmp = tempfile.TemporaryDirectory(prefix="kiosque-e2e-")
        self.db = os.path.join(self.tmp.name, "db")

    def close(self):
        self.tmp.cleanup()

    def run(self, program, *args, db=True, env=None, stdin=None, check=None):
        cmd = [os.path.join(self.bin_dir, program)]
        if db:
            cmd += ["--db", self.db]
        cmd += list(args)
        full_env = dict(os.environ)
        full_env.pop("KIOSQUE_DB", None)
        full_env.update(env or {})
        p = subprocess.run(cmd, input=stdin, capture_output=True, env=full_env, timeout=600)
        out = p.stdout.decode("utf-8", "replace")
        err = p.stderr.decode("utf-8", "replace")
        if check is not None and p.returncode != check:
            raise AssertionError(f"{cmd} exited {p.returncode}, wanted {check}\nstdout: {out}\nstderr: {err}")
        return p.returncode, out, err

    def indexer(self, *args, **kw):
        return self.run("indexer", *args, **kw)

    def search(self, *args, **kw):
        return self.run("search", *args, **kw)

    def search_json(self, *args, **kw):
        code, out, err = self.search("--json", *args, **kw)
        if code not in (0, 1):
            raise AssertionError(f"search --json {args} failed ({code}): {err}")
        return json.loads(out)

    def ids(self, *args, **kw):
        return [h["id"] for h in self.search_json(*args, **kw)["hits"]]


class Rows:
    """Prints one line per checked row ("ok" or "FAIL") and counts the failures."""

    def __init__(self):
        self.failures = 0

    def __call__(self, ok, what):
        print(("ok   " if ok else "FAIL ") + what)
        self.failures += not ok
        return ok


class Searchd:
    """A searchd process of bin_dir on a free port with 2 threads, its stderr
    collected by a thread."""

    def __init__(self, bin_dir, db, *extra, preexec_fn=None):
        self.lines = []
        self.proc = subprocess.Popen(
            [os.path.join(bin_dir, "searchd"), "--db", db, "--listen", "127.0.0.1:0", "--threads", "2", *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace",
            preexec_fn=preexec_fn)
        self.port = None
        ready = threading.Event()

        def drain():
            for line in self.proc.stderr:
                self.lines.append(line.rstrip("\n"))
                m = re.search(r"listening on http://[^ ]*:(\d+)/", line)
                if m:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        self.reader = threading.Thread(target=drain, daemon=True)
        self.reader.start()
        # Under valgrind (tests/valgrind/run.py) start-up takes several seconds more.
        if not ready.wait(90 if os.environ.get("KIOSQUE_UNDER_VALGRIND") else 10) or self.port is None:
            self.proc.kill()
            raise RuntimeError("searchd did not start:\n" + "\n".join(self.lines))

    def request(self, path, method="GET", headers=None, body=None, timeout=10):
        """Returns (status, headers as a dict with lower-case names, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def json(self, path, **kw):
        status, headers, data = self.request(path, **kw)
        return status, headers, json.loads(data.decode("utf-8"))

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.reader.join(5)
        self.proc.stderr.close()
        return rc


def costly_queries():
    """Queries made to cost (tests/ops/test_hostile.py, bench/timelimit), each cut to the
    1,024 bytes searchd takes: deep nesting, many terms and ORs, prefixes of one and two
    letters, a long phrase, many exclusions."""
    words = "retraites budget intelligence mistral energie climat football vaccin".split()
    costly = {
        "500 nested parentheses": "(" * 500 + "retraites" + ")" * 500,
        "200 terms": " ".join(words[i % len(words)] + str(i % 7) for i in range(200)),
        "100 ORs": " OR ".join(words[i % len(words)] for i in range(120)),
        "one-letter prefixes": " ".join(c + "*" for c in "abcdefghijklmnopqrstuvwxyz"),
        "250 two-letter prefixes": " ".join(a + b + "*" for a in "abcdefghijklmnopqrst" for b in "aeiouyrlmnstpcd"),
        "long phrase": '"' + " ".join(words[i % len(words)] for i in range(110)) + '"',
        "130 exclusions": "retraites " + " ".join("-" + words[i % len(words)] for i in range(130)),
        "nested ORs of prefixes": "(" * 60 + " OR ".join(a + b + "*" for a in "cdeprst" for b in "aeiou") + ")" * 60,
    }
    return {k: v.encode()[:1024].decode("utf-8", "ignore") for k, v in costly.items()}
