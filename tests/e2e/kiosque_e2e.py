"""Helpers shared by Kiosque's end-to-end tests: run the real programs on a temporary database."""
import json
import os
import subprocess
import tempfile


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
