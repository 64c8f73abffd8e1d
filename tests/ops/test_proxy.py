#!/usr/bin/env python3
"""docs/nginx.conf in front of a real searchd on loopback: proxying, compression, 304s on a
repeated request (searchd's ETag survives nginx's gzip as a weak one), the limits per client
address (searches a second, requests in progress: 429), request heads trickling in and bodies
never sent cut after 10 s, clients that never read their replies cut after 10 s without
holding searchd's connections (nginx buffers), searchd seeing only nginx's address, /metrics
kept local; a well-behaved reader on another address is served meanwhile.

The configuration is used as committed; only the two addresses marked "test:" become free
loopback ports.  Skips (77) when nginx is not installed or cannot start (setup.sh's test
packages install nginx-light).  CTest: e2e_proxy."""
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
import threading
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


def peers_of(port):
    """The remote addresses of the established TCP connections whose local port is `port`, as
    the kernel has them (/proc/net/tcp): who searchd's sockets are connected to."""
    peers = []
    with open("/proc/net/tcp", encoding="ascii") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local, remote, state = fields[1], fields[2], fields[3]
            if state != "01" or int(local.split(":")[1], 16) != port:  # 01: ESTABLISHED
                continue
            ip = int(remote.split(":")[0], 16)  # little-endian on x86
            peers.append(socket.inet_ntoa(ip.to_bytes(4, "little")))
    return peers


class GoodReader:
    """A well-behaved reader on 127.0.0.1 asking /healthz and a search through nginx every
    0.2 s (under the 10 searches a second it is allowed); each must be a 200 within 1 s."""

    def __init__(self):
        self.failures, self.worst, self.count = [], 0.0, 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        paths = ["/healthz", "/api/search?q=velo&limit=3"]
        while not self.stop.is_set():
            path = paths[self.count % 2]
            t = time.monotonic()
            try:
                status = request(path)[0]
                if status != 200:
                    self.failures.append(f"{path}: {status}")
            except Exception as e:  # noqa: BLE001 (a timeout or a reset is what is counted)
                self.failures.append(f"{path}: {e!r}")
            self.worst = max(self.worst, time.monotonic() - t)
            self.count += 1
            self.stop.wait(0.2)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)

    def check(self, test):
        print(f"  well-behaved reader: {self.count} requests, slowest {self.worst:.3f} s", flush=True)
        test.assertEqual(self.failures, [])
        test.assertGreater(self.count, 5)
        test.assertLess(self.worst, 1.0)


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

    def test_requests_in_progress_per_client_address(self):
        # limit_conn 20: from 127.0.0.6, 25 requests whose head has arrived and whose announced
        # body never does.  20 are in progress (nginx waits for their bodies), the 5 others get
        # 429 at once; after 10 s without body bytes (client_body_timeout) nginx ends the 20.
        # Another address is served meanwhile; searchd never sees them (nginx reads a body
        # before proxying).
        head = b"POST /static/kiosque.css HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
        socks = []
        with GoodReader() as good:
            for _ in range(25):
                s = socket.create_connection(("127.0.0.1", NGINX.port), timeout=2, source_address=("127.0.0.6", 0))
                s.sendall(head)
                socks.append(s)
                time.sleep(0.02)  # in order: the first 20 are the ones in progress
            t0 = time.monotonic()
            refused, held = [], []
            for s in socks:
                s.settimeout(max(0.1, 1.5 - (time.monotonic() - t0)))
                try:
                    data = s.recv(4096)
                    refused.append(data.split(b"\r\n", 1)[0])
                except socket.timeout:
                    held.append(s)
            self.assertEqual(request("/api/search?q=velo", source="127.0.0.7")[0], 200)
            cut = []
            for s in held:
                s.settimeout(max(0.1, 15 - (time.monotonic() - t0)))
                try:
                    data = s.recv(4096)
                    cut.append((round(time.monotonic() - t0, 1), data.split(b"\r\n", 1)[0]))
                except socket.timeout:
                    cut.append((None, b""))
        for s in socks:
            s.close()
        print(f"  25 requests in progress from one address: {len(refused)} refused at once "
              f"({set(refused)}), {len(held)} held, then ended after s: {sorted(set(t for t, _ in cut))}", flush=True)
        self.assertEqual(len(held), 20, refused)
        self.assertEqual(refused, [b"HTTP/1.1 429 Too Many Requests"] * 5)
        self.assertTrue(all(t is not None and 9 <= t < 14 for t, _ in cut), cut)
        self.assertTrue(all(status in (b"", b"HTTP/1.1 408 Request Time-out") for _, status in cut), cut)
        good.check(self)

    def test_searchd_sees_only_the_proxy(self):
        # Readers on 10 addresses search through nginx at once; the connections searchd holds
        # are all from nginx (127.0.0.1), kept alive; searchd's log names no address.  A
        # reader connected to searchd directly from 127.0.0.30 shows that the check sees
        # addresses.
        port = setUpModule.searchd.port
        results = []
        threads = [threading.Thread(target=lambda a=a: results.append(
            request(f"/api/search?q=velo&limit=2&offset={a}", source=f"127.0.0.{20 + a}")[0])) for a in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        self.assertEqual(results, [200] * 10)
        direct = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=("127.0.0.30", 0))
        direct.request("GET", "/healthz")
        direct.getresponse().read()  # the connection stays open (keep-alive)
        peers = peers_of(port)
        direct.close()
        print(f"  connections to searchd by peer address: "
              f"{ {p: peers.count(p) for p in sorted(set(peers))} }", flush=True)
        self.assertIn("127.0.0.30", peers)
        self.assertGreaterEqual(peers.count("127.0.0.1"), 1)
        self.assertEqual(set(peers) - {"127.0.0.1", "127.0.0.30"}, set())
        self.assertFalse([l for l in setUpModule.searchd.lines if re.search(r"127\.0\.0\.2[0-9]", l)])

    def test_clients_that_never_read_are_cut(self):
        # From 127.0.0.9, 3,000 pipelined requests for a stylesheet (16 MB of replies), a
        # small receive buffer, never read: nginx buffers what searchd sends (searchd's
        # connections do not grow) and, after 10 s without progress sending (send_timeout),
        # closes the connection; the reader then finds the stream ended early.
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.bind(("127.0.0.9", 0))
        s.connect(("127.0.0.1", NGINX.port))
        s.sendall(b"GET /static/kiosque.css HTTP/1.1\r\nHost: x\r\n\r\n" * 3000)
        most = 0
        with GoodReader() as good:
            t0 = time.monotonic()
            while time.monotonic() - t0 < 13:
                most = max(most, len(peers_of(setUpModule.searchd.port)))
                time.sleep(0.5)
        s.settimeout(5)
        got, t1 = 0, time.monotonic()
        try:
            while True:
                data = s.recv(1 << 16)
                if not data:
                    break
                got += data.count(b"HTTP/1.1 200 OK")
        except (socket.timeout, ConnectionResetError):
            pass
        s.close()
        ended = time.monotonic() - t1 < 5
        log = NGINX.error_log()
        print(f"  a client that never reads: {got} of 3000 replies before the end, searchd's "
              f"connections at most {most}", flush=True)
        self.assertTrue(ended, "the connection of a client that never reads was not closed")
        self.assertLess(got, 3000)
        self.assertRegex(log, r"client timed out .* while sending .*client: 127\.0\.0\.9")
        self.assertLessEqual(most, 17)  # nginx's 16 kept-alive upstream connections at most
        good.check(self)

    def test_metrics_only_from_the_machine(self):
        self.assertEqual(request("/metrics")[0], 200)
        self.assertEqual(request("/metrics", source="127.0.0.5")[0], 403)
        # The report of searches too (searchd answers 404 here: it runs without --report).
        self.assertEqual(request("/api/report")[0], 404)
        self.assertEqual(request("/api/report", source="127.0.0.5")[0], 403)
        self.assertEqual(request("/healthz", source="127.0.0.5")[0], 200)


def nginx_cannot_start():
    """Why nginx cannot run a minimal server on loopback here (None when it can): the test
    skips then, rather than blaming docs/nginx.conf."""
    d = tempfile.mkdtemp(prefix="kq-nginx-probe-")
    port = free_port()
    try:
        with open(os.path.join(d, "nginx.conf"), "w", encoding="utf-8") as f:
            f.write(f"daemon off; pid {d}/nginx.pid; error_log {d}/error.log;\n"
                    f"events {{ worker_connections 16; }}\n"
                    f"http {{ access_log off; client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n"
                    f"  server {{ listen 127.0.0.1:{port}; return 204; }} }}\n")
        proc = subprocess.Popen([ARGS.nginx, "-e", os.path.join(d, "error.log"), "-p", d, "-c",
                                 os.path.join(d, "nginx.conf")], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return None
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    if proc.poll() is None:
                        return "no answer within 10 s"
                    return (proc.stderr.read().strip()[-300:] or f"it exited with status {proc.returncode}")
                time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        proc.stderr.close()
        shutil.rmtree(d, ignore_errors=True)


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
    why = nginx_cannot_start()
    if why:
        print(f"SKIP: nginx ({ARGS.nginx}) is installed but cannot start here: {why}", file=sys.stderr)
        return 77
    result = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2).result
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
