#!/usr/bin/env python3
"""searchd as operations see it: the access log, caching headers (ETag of the index revision,
304 on If-None-Match, Cache-Control) and start-up errors that say what to do.

Runs the real indexer and searchd of a build on tests/fixtures/searchd (CTest: e2e_http_ops)."""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import kiosque_e2e as e2e  # noqa: E402

ARGS = None
SERVER = None
DB = None
LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) ([A-Z]+) (\S+) (\d{1,3}) (\d+) (\d+\.\d{3}) ms$")
ETAG = re.compile(r'^"kq[0-9.]+-r[0-9a-f]+"$')


def indexer(*args):
    p = subprocess.run([os.path.join(ARGS.bin_dir, "indexer"), "--db", DB, "--quiet", *args],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError(f"indexer {args} exited {p.returncode}: {p.stderr}")


def log_lines_for(target, at_least=1, timeout=5):
    """The access log lines whose target is `target`, waiting for `at_least` of them (a line is
    written once the reply has gone out)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in map(LOG_LINE.match, list(SERVER.lines)) if m and m.group(3) == target]
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def setUpModule():
    global SERVER, DB
    setUpModule.tmp = tempfile.TemporaryDirectory(prefix="kq-http-ops-")
    DB = os.path.join(setUpModule.tmp.name, "db")
    indexer("add", os.path.join(ARGS.fixtures, "articles.jsonl"))
    SERVER = e2e.Searchd(ARGS.bin_dir, DB)


def tearDownModule():
    rc = SERVER.stop()
    setUpModule.tmp.cleanup()
    if rc != 0:
        raise AssertionError(f"searchd exited {rc} on SIGTERM")


class AccessLog(unittest.TestCase):
    def test_one_line_per_request_with_every_field(self):
        cases = [  # (method, target sent, status, target logged)
            ("GET", "/api/search?q=velo&limit=2", 200, "/api/search?q=velo&limit=2"),
            ("GET", "/api/search?q=r%C3%A9forme%20des%20retraites&sort=date", 200,
             "/api/search?q=r%C3%A9forme%20des%20retraites&sort=date"),
            ("HEAD", "/api/search?q=velo&limit=3", 200, "/api/search?q=velo&limit=3"),
            ("GET", "/nowhere?x=1", 404, "/nowhere?x=1"),
            ("GET", "/api/search?limit=0&q=v", 400, "/api/search?limit=0&q=v"),
            ("POST", "/api/search?q=velo", 405, "/api/search?q=velo"),
        ]
        t0 = time.time()
        for method, target, status, logged in cases:
            got, headers, body = SERVER.request(target, method=method)
            self.assertEqual(got, status, target)
            lines = log_lines_for(logged)
            time.sleep(0.05)  # a second line, if any, would be there by now
            lines = log_lines_for(logged)
            self.assertEqual(len(lines), 1, f"{target}: {SERVER.lines[-5:]}")
            m = lines[0]
            when = time.mktime(time.strptime(m.group(1)[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
            self.assertLess(abs(when - t0), 60, m.group(0))
            self.assertEqual((m.group(2), int(m.group(4))), (method, status), m.group(0))
            self.assertEqual(int(m.group(5)), 0 if method == "HEAD" else len(body), m.group(0))
            self.assertLess(float(m.group(6)), 10000)

    def test_raw_bytes_cannot_forge_a_line(self):
        """A target with raw non-ASCII bytes or control bytes is logged percent-encoded, on one
        line; a long one is cut."""
        with socket.create_connection(("127.0.0.1", SERVER.port), timeout=5) as s:
            s.sendall(b"GET /api/search?q=v\xc3\xa9lo\x01&x=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            reply = b""
            while chunk := s.recv(65536):
                reply += chunk
        self.assertTrue(reply.startswith(b"HTTP/1.1 "), reply[:40])
        self.assertEqual(len(log_lines_for("/api/search?q=v%C3%A9lo%01&x=1")), 1, SERVER.lines[-3:])
        long_q = "a" * 600
        SERVER.request(f"/api/search?q={long_q}")
        deadline = time.monotonic() + 5
        while not (cut := [m for m in map(LOG_LINE.match, list(SERVER.lines))
                           if m and m.group(3).startswith("/api/search?q=aaaa")]) and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(len(cut), 1, SERVER.lines[-2:])
        self.assertRegex(cut[0].group(3), r"^/api/search\?q=a{200,}\.\.\.$")
        self.assertLess(len(cut[0].group(3)), 256)
        self.assertTrue(all(LOG_LINE.match(l) or l.startswith("searchd: ") for l in SERVER.lines),
                        [l for l in SERVER.lines if not LOG_LINE.match(l)][:3])


class Caching(unittest.TestCase):
    def revalidate(self, path, etag, **kw):
        return SERVER.request(path, headers={"If-None-Match": etag}, **kw)

    def test_etag_and_304_on_every_index_reply(self):
        for path in ["/api/search?q=velo", "/?q=velo", "/", "/api/suggest?q=vel",
                     "/api/articles/velo-21", "/api/related/velo-21", "/static/kiosque.css"]:
            logged = len(log_lines_for(path, at_least=0, timeout=0))
            status, h, body = SERVER.request(path)
            self.assertEqual(status, 200, path)
            etag = h.get("etag", "")
            self.assertRegex(etag, r'^"kq[0-9.]+(-r[0-9a-f]+)?"$', path)
            want_cc = "public, max-age=3600" if path.startswith("/static/") else "public, no-cache"
            self.assertEqual(h.get("cache-control"), want_cc, path)
            for inm in [etag, "W/" + etag, f'"other", {etag}', "*"]:
                status, h2, body2 = self.revalidate(path, inm)
                self.assertEqual((status, body2), (304, b""), f"{path} If-None-Match: {inm}")
                self.assertEqual(h2.get("etag"), ("W/" if inm.startswith("W/") else "") + etag, path)
                self.assertEqual(h2.get("cache-control"), want_cc, path)
            status, _, body3 = self.revalidate(path, '"kq0-r0", W/"x"')
            self.assertEqual(status, 200, path)
            self.assertTrue(body3, path)
            status, _, body4 = self.revalidate(path, etag, method="HEAD")
            self.assertEqual((status, body4), (304, b""), path)
            self.assertEqual(len(log_lines_for(path, at_least=logged + 7)), logged + 7, path)

    def test_errors_and_health_are_not_kept(self):
        for path, status in [("/api/search?q=", 400), ("/nowhere", 404), ("/healthz", 200),
                             ("/metrics", 200), ("/api/articles/no-such-id", 404), ("/static/none.css", 404)]:
            got, h, _ = SERVER.request(path, headers={"If-None-Match": "*"})
            self.assertEqual(got, status, path)
            self.assertEqual(h.get("cache-control"), "no-store", path)
            self.assertNotIn("etag", h, path)

    def test_a_publish_changes_the_etag(self):
        path = "/api/search?" + urllib.parse.urlencode({"q": "velo", "limit": 3})
        _, h, _ = SERVER.request(path)
        etag = h["etag"]
        self.assertEqual(self.revalidate(path, etag)[0], 304)
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
            f.write(json.dumps({"@type": "NewsArticle", "identifier": "etag-1", "headline": "Le vélo du publié",
                                "articleBody": "Un vélo publié après la première réponse.",
                                "datePublished": "2024-10-01T08:00:00Z"}) + "\n")
        try:
            indexer("add", f.name)
        finally:
            os.unlink(f.name)
        deadline = time.monotonic() + 3
        while True:
            status, h2, body = self.revalidate(path, etag)
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(status, 200, "the ETag of before the publish still matched after 3 s")
        self.assertRegex(h2["etag"], ETAG)
        self.assertNotEqual(h2["etag"], etag)
        self.assertEqual(self.revalidate(path, h2["etag"])[0], 304)


class StartErrors(unittest.TestCase):
    def test_address_in_use_says_what_to_do(self):
        p = subprocess.run([os.path.join(ARGS.bin_dir, "searchd"), "--db", DB, "--listen",
                            f"127.0.0.1:{SERVER.port}"], capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 1)
        self.assertIn("the address is in use", p.stderr)
        self.assertIn("choose another --listen", p.stderr)

    def test_address_not_here(self):
        p = subprocess.run([os.path.join(ARGS.bin_dir, "searchd"), "--db", DB, "--listen", "192.0.2.1:8080"],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no interface of this machine has that address", p.stderr)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--fixtures", required=True)
    ARGS, rest = parser.parse_known_args()
    result = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2).result
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
