#!/usr/bin/env python3
"""searchd against slow and hostile clients, on real sockets on loopback: each attack is bounded
(time, memory, connections, CPU per query) while a well-behaved client, from another loopback
address, gets /healthz and a search answered within 1 s throughout.

The attackers come from other addresses of 127.0.0.0/8 (searchd limits connections per client
address); searchd runs with the soft limit of open files at 1024, as systemd starts services.
Prints the figures it measured.  CTest: e2e_hostile."""
import argparse
import json
import os
import re
import resource
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import kiosque_e2e as e2e  # noqa: E402

ARGS = None
SERVER = None
GOOD_BOUND_S = 1.0
HEAD_DEADLINE_S = 10  # searchd/http.c HTTP_HEAD_DEADLINE_MS
IDLE_TIMEOUT_S = 10  # searchd/http.c HTTP_IDLE_TIMEOUT_S
PER_IP = 128  # searchd's default --per-ip-connections
FIGURES = []


def soft_fd_limit_1024():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def socket_count(pid):
    """searchd's open sockets (its listening one, its clients'), not the index files its workers
    open on their first request."""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            n += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return n


def connect_from(source, timeout=5):
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", SERVER.port))
    return s


def is_closed(s):
    """1 when the server closed (or reset) the connection: EOF or an error, without blocking."""
    try:
        p = select.poll()
        p.register(s, select.POLLIN)
        return bool(p.poll(0)) and s.recv(65536, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


class GoodClient:
    """A well-behaved reader on 127.0.0.1: /healthz and a search, in turn, every 50 ms, each on a
    new connection; records the slowest answer and any failure."""

    def __init__(self):
        self.worst = 0.0
        self.count = 0
        self.failures = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        paths = ["/healthz", "/api/search?q=" + urllib.parse.quote("réforme des retraites")]
        i = 0
        while not self.stop.is_set():
            path = paths[i % 2]
            i += 1
            t = time.monotonic()
            try:
                status, _, body = SERVER.request(path, timeout=5)
                if status != 200:
                    self.failures.append(f"{path}: {status}")
                json.loads(body)
            except Exception as e:  # noqa: BLE001 (a timeout or a reset is what is counted)
                self.failures.append(f"{path}: {e!r}")
            self.worst = max(self.worst, time.monotonic() - t)
            self.count += 1
            self.stop.wait(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        while self.count < 10 and self.thread.is_alive():
            time.sleep(0.05)
        self.stop.set()
        self.thread.join(10)


def figure(what, value):
    FIGURES.append((what, value))
    print(f"  {what}: {value}", flush=True)


def setUpModule():
    global SERVER
    setUpModule.tmp = tempfile.TemporaryDirectory(prefix="kq-hostile-")
    db = os.path.join(setUpModule.tmp.name, "db")
    p = subprocess.run([os.path.join(ARGS.bin_dir, "indexer"), "--db", db, "--quiet", "add", ARGS.corpus],
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise AssertionError(f"indexer add exited {p.returncode}: {p.stderr}")
    SERVER = e2e.Searchd(ARGS.bin_dir, db, "--quiet", preexec_fn=soft_fd_limit_1024)


def tearDownModule():
    rc = SERVER.stop()
    setUpModule.tmp.cleanup()
    print("\nfigures (searchd --threads 2, corpus/ indexed, python3 tests/ops/test_hostile.py):")
    for what, value in FIGURES:
        print(f"  {what:<58} {value}")
    if rc != 0:
        raise AssertionError(f"searchd exited {rc} on SIGTERM")


class Hostile(unittest.TestCase):
    def assert_good(self, good, scenario):
        figure(f"{scenario}: slowest good answer, s ({good.count} requests)", f"{good.worst:.3f}")
        self.assertEqual(good.failures, [], f"{scenario}: the well-behaved client failed")
        self.assertGreater(good.count, 5)
        self.assertLess(good.worst, GOOD_BOUND_S, f"{scenario}: a well-behaved request took {good.worst:.2f} s")

    def test_slowloris_thousands_of_connections_from_one_address(self):
        """2,000 connections from one address, each sending its request head a byte at a time:
        beyond the per-address limit they are closed at once, the others when their head is
        10 s late; the reader is served meanwhile."""
        rss0 = rss_kb(SERVER.proc.pid)
        head = b"GET /api/search?q=retraites HTTP/1.1\r\nHost: x\r\nUser-Agent: slowloris\r\n"
        socks = []
        with GoodClient() as good:
            for _ in range(2000):
                try:
                    socks.append(connect_from("127.0.0.2"))
                except OSError:
                    pass
            t0 = time.monotonic()
            open_at = {}
            sent = 0
            while time.monotonic() - t0 < HEAD_DEADLINE_S + 4:
                for i, s in enumerate(socks):
                    if i in open_at:
                        continue
                    if is_closed(s):
                        open_at[i] = time.monotonic() - t0
                        continue
                    try:
                        s.setblocking(False)
                        s.send(head[sent % len(head):sent % len(head) + 1])
                    except OSError:
                        open_at[i] = time.monotonic() - t0
                sent += 1
                if len(open_at) == len(socks):
                    break
                time.sleep(0.25)
            rss1 = rss_kb(SERVER.proc.pid)
        held = sorted(t for t in open_at.values() if t > 1.0)
        figure("slowloris: connections opened from 127.0.0.2", len(socks))
        figure("slowloris: closed within 1 s (over the per-address limit)", len(open_at) - len(held))
        figure("slowloris: held, then closed after s (min/max)", f"{held[0]:.1f}/{held[-1]:.1f}" if held else "-")
        figure("slowloris: searchd RSS before/during, MB", f"{rss0 / 1024:.1f}/{rss1 / 1024:.1f}")
        self.assertEqual(len(open_at), len(socks), "slow connections still open after the head deadline")
        self.assertLessEqual(len(held), PER_IP + 2)
        self.assertTrue(held and held[-1] < HEAD_DEADLINE_S + 3, held[-3:])
        self.assert_good(good, "slowloris")
        for s in socks:
            s.close()

    def test_many_idle_keep_alive_connections(self):
        """1,500 connections from 15 addresses, each after one request kept alive and idle: all
        open at once (beyond searchd's soft limit of 1,024 open files), closed once idle 10 s."""
        pid = SERVER.proc.pid
        rss0, fds0 = rss_kb(pid), fd_count(pid)
        socks = []
        req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        with GoodClient() as good:
            for a in range(15):
                for _ in range(100):
                    s = connect_from(f"127.0.1.{a + 1}")
                    s.sendall(req)
                    socks.append(s)
            answered = 0
            for s in socks:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                answered += data.startswith(b"HTTP/1.1 200")
            t0 = time.monotonic()
            fds1, rss1 = fd_count(pid), rss_kb(pid)
            while time.monotonic() - t0 < IDLE_TIMEOUT_S + 5 and not all(map(is_closed, socks)):
                time.sleep(0.25)
            closed_after = time.monotonic() - t0
        figure("idle keep-alive: connections answered then idle", f"{answered}/{len(socks)}")
        figure("idle keep-alive: searchd fds before/with them", f"{fds0}/{fds1}")
        figure("idle keep-alive: searchd RSS before/with them, MB", f"{rss0 / 1024:.1f}/{rss1 / 1024:.1f}")
        figure("idle keep-alive: all closed after s", f"{closed_after:.1f}")
        self.assertEqual(answered, len(socks))
        self.assertTrue(all(map(is_closed, socks)), "idle connections still open")
        self.assertLess(rss1 - rss0, 200 * 1024, "1,500 idle connections cost over 200 MB")
        self.assert_good(good, "idle keep-alive")
        for s in socks:
            s.close()

    def test_clients_that_never_read_their_reply(self):
        """100 connections each send 200 pipelined requests for the page and never read: searchd
        stops writing to them and closes them after 10 s without progress."""
        target = "/?q=" + urllib.parse.quote("intelligence artificielle")
        req = f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode() * 200
        pid = SERVER.proc.pid
        fds0 = socket_count(pid)
        socks = []
        with GoodClient() as good:
            for _ in range(100):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.bind(("127.0.0.3", 0))
                s.connect(("127.0.0.1", SERVER.port))
                s.setblocking(False)
                try:
                    s.send(req)
                except BlockingIOError:
                    pass
                socks.append(s)
            time.sleep(2)
            fds1 = socket_count(pid)
            # searchd writes until every send buffer is full (a few seconds on a loaded machine),
            # then closes each connection after 10 s without progress: all must be closed 25 s
            # after the requests were sent (with the former 30 s timeout, none would be).
            t0 = time.monotonic() - 2
            while socket_count(pid) > fds0 and time.monotonic() - t0 < 25:
                time.sleep(0.25)
            closed_after = time.monotonic() - t0
            fds2 = socket_count(pid)
        for s in socks:
            s.close()
        figure("never-reading clients: searchd sockets before/with them/after", f"{fds0}/{fds1}/{fds2}")
        figure("never-reading clients: all closed by searchd after s", f"{closed_after:.1f}")
        self.assertGreaterEqual(fds1, 100)  # held open meanwhile (fds0 may count a reader's connection)
        self.assertLessEqual(fds2, fds0, "searchd still holds connections of clients that do not read")
        self.assert_good(good, "never-reading clients")

    def raw(self, data, source="127.0.0.4", read_timeout=3):
        """Sends raw bytes, reads until the server closes or is silent: (reply bytes, closed, s)."""
        s = connect_from(source)
        t = time.monotonic()
        try:
            s.sendall(data)
        except OSError:
            pass
        out, closed = b"", False
        s.settimeout(read_timeout)
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    closed = True
                    break
                out += chunk
        except socket.timeout:
            pass
        except OSError:
            closed = True
        s.close()
        return out, closed, time.monotonic() - t

    def test_huge_headers_and_urls(self):
        with GoodClient() as good:
            out, closed, t = self.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n")
            figure("100 kB header: reply, s", f"{out[:12].decode(errors='replace')!r} {t:.2f}")
            self.assertTrue(out.startswith(b"HTTP/1.1 431") or out.startswith(b"HTTP/1.1 413"), out[:80])
            self.assertTrue(closed)
            many = b"".join(b"X-H%d: v\r\n" % i for i in range(5000))
            out, closed, t = self.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
            figure("5,000 headers: reply, s", f"{out[:12].decode(errors='replace')!r} {t:.2f}")
            self.assertTrue(out.startswith(b"HTTP/1.1 431") or out.startswith(b"HTTP/1.1 413"), out[:80])
            out, closed, t = self.raw(b"GET /api/search?q=" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            figure("100 kB URL: reply, s", f"{out[:12].decode(errors='replace')!r} {t:.2f}")
            self.assertTrue(out.startswith(b"HTTP/1.1 414"), out[:80])
            status, _, body = SERVER.request("/api/search?q=" + "mot+" * 1200)
            self.assertEqual(status, 414)
            self.assertEqual(json.loads(body)["error"]["code"], "uri_too_long")
        self.assert_good(good, "huge headers and URLs")

    def test_request_bodies_on_get(self):
        with GoodClient() as good:
            # A body announced too long is refused before it is read, and the connection closed.
            out, closed, t = self.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\nxxxx")
            figure("GET with a 1 GB body announced: reply, s", f"{out[:12].decode(errors='replace')!r} {t:.2f}")
            self.assertTrue(out.startswith(b"HTTP/1.1 413"), out[:80])
            self.assertTrue(closed)
            # An endless chunked body is cut once past 1 KiB.
            s = connect_from("127.0.0.4")
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            t, cut, sent = time.monotonic(), False, 0
            chunk = b"400\r\n" + b"z" * 1024 + b"\r\n"
            while time.monotonic() - t < 5:
                try:
                    s.sendall(chunk)
                    sent += len(chunk)
                    if is_closed(s):
                        cut = True
                        break
                except OSError:
                    cut = True
                    break
                time.sleep(0.001)
            s.close()
            figure("endless chunked body: cut after s (bytes sent)", f"{time.monotonic() - t:.2f} ({sent})")
            self.assertTrue(cut, "an endless request body is still read after 5 s")
            # A short body is ignored and the connection stays usable.
            s = connect_from("127.0.0.4")
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"
                      b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            data, deadline = b"", time.monotonic() + 3
            while data.count(b"HTTP/1.1 200") < 2 and time.monotonic() < deadline:
                data += s.recv(65536)
            s.close()
            self.assertEqual(data.count(b"HTTP/1.1 200"), 2, data[:200])
        self.assert_good(good, "request bodies")

    def test_pipelined_garbage(self):
        with GoodClient() as good:
            garbage = [b"\x00\xff\xfe garbage \r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                       b"GET / HTTP/1.1\r\nHost x\r\n\r\n", b"FOO /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                       b"GET /%%%%%% HTTP/1.1\r\nHost: x\r\n\r\n", b"\r\n" * 5000,
                       b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                       b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: bogus\r\n\r\n"]
            closed_n = 0
            for g in garbage:
                out, closed, _ = self.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + g * 50)
                closed_n += closed
                self.assertTrue(out.startswith(b"HTTP/1.1 200"), (g, out[:80]))
                self.assertNotIn(b"HTTP/1.1 500", out)
            figure("pipelined garbage: connections closed by searchd at once", f"{closed_n}/{len(garbage)}")
        self.assert_good(good, "pipelined garbage")

    def test_bad_encoding_in_every_parameter_of_every_route(self):
        params = ["q", "offset", "limit", "section", "author", "since", "until", "sort", "facets", "all",
                  "duplicates_of", "half_life", "page", "related", "x"]
        routes = ["/", "/api/search", "/api/suggest", "/api/articles/ia-01", "/api/related/ia-01", "/healthz",
                  "/static/kiosque.css"]
        values = ["%", "%z", "%zz", "%c3", "%c3%28", "%ff%fe", "%00", "a%00b", "%e2%82", "%C0%AF", "%ED%A0%80",
                  "%F4%90%80%80", "%25", "+", "%2B%2B", "%22%22%22", "(((((", "-", "*", "%E2%80%AE", "9" * 40,
                  "-1", "1e999"]
        raw_values = [b"\xff", b"\xc3(", b"a\x7fb"]
        worst, statuses = 0.0, {}
        with GoodClient() as good:
            s = connect_from("127.0.0.5", timeout=5)
            f = s.makefile("rb")
            for route in routes:
                for p in params:
                    for v in [x.encode() for x in values] + raw_values:
                        target = route.encode() + b"?" + p.encode() + b"=" + v + b"&" + v + b"=" + v
                        t = time.monotonic()
                        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
                        line = f.readline()
                        status = int(line.split()[1])
                        length = 0
                        while True:
                            h = f.readline()
                            if h in (b"\r\n", b""):
                                break
                            if h.lower().startswith(b"content-length:"):
                                length = int(h.split(b":")[1])
                        body = f.read(length)
                        worst = max(worst, time.monotonic() - t)
                        statuses[status] = statuses.get(status, 0) + 1
                        self.assertIn(status, (200, 400, 404), target)
                        if route.startswith("/api") or route == "/healthz":
                            json.loads(body)
            s.close()
        figure("bad encodings: requests by status", dict(sorted(statuses.items())))
        figure("bad encodings: slowest, s", f"{worst:.3f}")
        self.assertLess(worst, GOOD_BOUND_S)
        self.assert_good(good, "bad encodings")

    def test_costly_queries_are_bounded(self):
        # q is at most 1,024 bytes (searchd refuses longer ones): each fills it.
        costly = e2e.costly_queries()
        timings = {}
        attack_stop = threading.Event()

        def attacker(q):
            while not attack_stop.is_set():
                try:
                    SERVER.request("/api/search?facets=1&q=" + urllib.parse.quote(q), timeout=10)
                except Exception:  # noqa: BLE001
                    pass

        for name, q in costly.items():
            url = "/api/search?facets=1&q=" + urllib.parse.quote(q)
            t = time.monotonic()
            status, _, body = SERVER.request(url, timeout=10)
            timings[name] = time.monotonic() - t
            self.assertEqual(status, 200, (name, body[:200]))
            json.loads(body)
            self.assertLess(timings[name], GOOD_BOUND_S, name)
        figure("costly queries: seconds each", {k: round(v, 3) for k, v in timings.items()})
        worst_q = max(costly, key=lambda k: timings[k])
        attackers = [threading.Thread(target=attacker, args=(costly[worst_q],), daemon=True) for _ in range(4)]
        with GoodClient() as good:
            for a in attackers:
                a.start()
            time.sleep(5)
            attack_stop.set()
        for a in attackers:
            a.join(10)
        self.assert_good(good, f"4 clients repeating '{worst_q}'")


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--corpus", required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v"] + rest)


if __name__ == "__main__":
    main()
