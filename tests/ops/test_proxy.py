#!/usr/bin/env python3
"""docs/nginx.conf in front of a real searchd on loopback: proxying, compression, 304s on a
repeated request (searchd's ETag survives nginx's gzip as a weak one), rate limits per client
address, request heads trickling in cut after 10 s, /metrics kept local.

The configuration is used as committed; only the two addresses marked "test:" become free
loopback ports.  Skips (77) when nginx is not installed (setup.sh's test packages install it).
CTest: e2e_proxy."""
import argparse
import gzip
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import kiosque_e2e as e2e  # noqa: E402

ARGS = None
NGINX = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(path, headers=None, source="127.0.0.1", method="GET"):
    """One request through nginx from a chosen loopback source address (nginx keys its rate
    limits on it): (status, headers with lower-case names, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", NGINX.port, timeout=10, source_address=(source, 0))
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


class Nginx:
    def __init__(self, tmp, upstream_port):
        self.dir = os.path.join(tmp, "nginx")
        os.makedirs(self.dir)
        os.chmod(tmp, 0o755)  # nginx's workers (nobody, when run as root) create temp files here
        os.chmod(self.dir, 0o777)
        self.port = free_port()
        with open(os.path.join(ARGS.source_dir, "docs", "nginx.conf"), encoding="utf-8") as f:
            site = f.read()
        site, n1 = re.subn(r"server 127\.0\.0\.1:8080;(\s*# test:)", rf"server 127.0.0.1:{upstream_port};\1", site)
        site, n2 = re.subn(r"listen 80;(\s*# test:)", rf"listen 127.0.0.1:{self.port};\1", site)
        assert (n1, n2) == (1, 1), "docs/nginx.conf no longer has the two lines marked 'test:'"
        with open(os.path.join(self.dir, "kiosque.conf"), "w", encoding="utf-8") as f:
            f.write(site)
        d = self.dir
        main_conf = f"""
daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    include {d}/kiosque.conf;
}}
"""
        self.conf = os.path.join(d, "nginx.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(main_conf)
        cmd = [ARGS.nginx, "-e", os.path.join(d, "error.log"), "-p", d, "-c", self.conf]
        t = subprocess.run(cmd + ["-t"], capture_output=True, text=True, timeout=30)
        if t.returncode != 0:
            raise AssertionError("nginx -t refuses docs/nginx.conf:\n" + t.stderr)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("nginx did not start: " + self.proc.stderr.read() + self.error_log())
                time.sleep(0.05)

    def error_log(self):
        try:
            with open(os.path.join(self.dir, "error.log"), encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stderr.close()


def setUpModule():
    global NGINX
    setUpModule.tmp = tempfile.mkdtemp(prefix="kq-proxy-")
    db = os.path.join(setUpModule.tmp, "db")
    subprocess.run([os.path.join(ARGS.bin_dir, "indexer"), "--db", db, "--quiet", "add",
                    os.path.join(ARGS.fixtures, "articles.jsonl")], check=True, timeout=120)
    setUpModule.searchd = e2e.Searchd(ARGS.bin_dir, db)
    try:
        NGINX = Nginx(setUpModule.tmp, setUpModule.searchd.port)
    except BaseException:
        setUpModule.searchd.stop()
        raise


def tearDownModule():
    if NGINX:
        NGINX.stop()
    rc = setUpModule.searchd.stop()
    shutil.rmtree(setUpModule.tmp, ignore_errors=True)
    if rc != 0:
        raise AssertionError(f"searchd exited {rc}")


def searchd_log(status, target):
    """searchd's own access log lines for target with status (proof that searchd, not nginx,
    answered)."""
    time.sleep(0.1)
    return [l for l in setUpModule.searchd.lines if re.search(rf"Z GET {re.escape(target)} {status} ", l)]


class Proxy(unittest.TestCase):
    def test_repeated_search_gets_304_compressed(self):
        path = "/api/search?q=velo&limit=5"
        status, h, body = request(path, {"Accept-Encoding": "gzip"})
        self.assertEqual(status, 200, NGINX.error_log()[-500:])
        self.assertEqual(h.get("content-encoding"), "gzip")
        self.assertIn("Accept-Encoding", h.get("vary", ""))
        reply = json.loads(gzip.decompress(body))
        self.assertEqual(len(reply["hits"]), 5)
        etag = h.get("etag", "")
        self.assertRegex(etag, r'^W/"kq[0-9.]+-r[0-9a-f]+"$', "nginx makes the ETag of what it compresses weak")
        self.assertEqual(h.get("cache-control"), "public, no-cache")
        for _ in range(3):
            status, h2, body2 = request(path, {"Accept-Encoding": "gzip", "If-None-Match": etag})
            self.assertEqual((status, body2), (304, b""))
            self.assertEqual(h2.get("etag"), etag)
        self.assertEqual(len(searchd_log(304, path)), 3, setUpModule.searchd.lines[-4:])

    def test_repeated_page_and_plain_requests_get_304(self):
        for path in ["/?q=velo", "/api/search?q=retraites", "/static/kiosque.js", "/api/articles/velo-21"]:
            status, h, body = request(path)
            self.assertEqual(status, 200, path)
            self.assertTrue(body)
            etag = h["etag"]
            self.assertTrue(etag.startswith('"kq'), etag)  # not compressed: the strong one
            status, h2, body2 = request(path, {"If-None-Match": etag})
            self.assertEqual((status, body2), (304, b""), path)

    def test_compression_of_page_and_assets(self):
        for path, ctype in [("/?q=velo", "text/html"), ("/static/kiosque.css", "text/css"),
                            ("/static/kiosque.js", "text/javascript")]:
            status, h, body = request(path, {"Accept-Encoding": "gzip"})
            self.assertEqual(status, 200, path)
            self.assertEqual(h.get("content-encoding"), "gzip", path)
            self.assertTrue(h.get("content-type", "").startswith(ctype), (path, h.get("content-type")))
            self.assertGreater(len(gzip.decompress(body)), len(body), path)

    def test_rate_limit_per_client_address(self):
        # From 127.0.0.3: 10 searches a second, bursts of 20; then 429.  Another client
        # (127.0.0.4) is not held back by the first one's burst, and static files are not limited.
        statuses = [request(f"/api/search?q=velo&offset={i % 3}", source="127.0.0.3")[0] for i in range(40)]
        self.assertIn(429, statuses)
        self.assertGreaterEqual(statuses.count(200), 20)
        self.assertTrue(all(s in (200, 429) for s in statuses), statuses)
        self.assertEqual(request("/api/search?q=velo", source="127.0.0.4")[0], 200)
        self.assertTrue(all(request("/static/kiosque.css", source="127.0.0.3")[0] == 200 for _ in range(30)))

    def test_slow_request_heads_are_cut(self):
        # A request head sent a byte at a time gets 10 s in all (client_header_timeout).
        s = socket.create_connection(("127.0.0.1", NGINX.port), timeout=1, source_address=("127.0.0.8", 0))
        head, t0, closed = b"GET /api/search?q=velo HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100, time.monotonic(), None
        for i in range(len(head)):
            try:
                s.sendall(head[i:i + 1])
                s.settimeout(0.2)
                data = s.recv(4096)
                if data == b"" or data.startswith(b"HTTP/1.1 408"):
                    closed = time.monotonic() - t0
                    break
            except socket.timeout:
                continue
            except OSError:
                closed = time.monotonic() - t0
                break
        s.close()
        self.assertIsNotNone(closed, "a request head trickling in for 20 s was not cut")
        self.assertLess(closed, 13)

    def test_metrics_only_from_the_machine(self):
        self.assertEqual(request("/metrics")[0], 200)
        self.assertEqual(request("/metrics", source="127.0.0.5")[0], 403)
        # The report of searches too (searchd answers 404 here: it runs without --report).
        self.assertEqual(request("/api/report")[0], 404)
        self.assertEqual(request("/api/report", source="127.0.0.5")[0], 403)
        self.assertEqual(request("/healthz", source="127.0.0.5")[0], 200)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    ARGS, rest = parser.parse_known_args()
    if not os.access(ARGS.nginx, os.X_OK):
        print("SKIP: nginx is not installed (apt-get install nginx-light, or ./setup.sh deps)", file=sys.stderr)
        return 77
    result = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2).result
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
