#!/usr/bin/env python3
"""The Debian package, installed and removed for real (CI runs it after ./setup.sh package).

  tests/ops/test_package.py --deb dist/kiosque_VERSION_ARCH.deb --corpus corpus [--host]

1. A clean root: Debian 12 bootstrapped with debootstrap (minbase).  The package is installed
   there by apt, which resolves its dependencies from the archive (so they are right), together
   with sphinxsearch, which installs /usr/bin/indexer and /usr/bin/searchd (so the names do not
   clash).  As the package's user, the bundled corpus is indexed, an export dropped into the
   inbox is indexed by the command line of kiosque-indexer.service, and searchd is run with the
   exact command line of kiosque-searchd.service (its Environment= and /etc/default/kiosque
   expanded as systemd does), readiness received on a NOTIFY_SOCKET as systemd would, searched
   over HTTP (304 on a repeated request), stopped by SIGTERM.  Then dpkg -r (the conffile and
   the database stay) and dpkg -P (nothing of the package is left).
2. With --host, on this machine: installed, the units checked with `systemd-analyze verify`
   and `systemd-analyze security`; when systemd runs as PID 1 the service is started, checked
   and stopped through systemctl; otherwise the test says so (1. ran the unit's command line).
   Then purged.

Needs root and the Debian archive (network).  Prints what it does; exits 1 on the first
failure."""
import argparse
import glob
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ARGS = None


def step(msg):
    print(f"== {msg}", flush=True)


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def check(ok, msg):
    if not ok:
        fail(msg)
    print(f"ok   {msg}", flush=True)


def run(cmd, check_rc=True, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check_rc and p.returncode != 0:
        fail(f"{' '.join(cmd)} exited {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(port, path, headers=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def unit_settings(path):
    """The [Service] settings of a unit file: {key: [values in order]}."""
    settings, section = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line
                continue
            if section == "[Service]" and "=" in line:
                k, v = line.split("=", 1)
                settings.setdefault(k, []).append(v)
    return settings


def unit_command(root, unit):
    """The ExecStart= of a unit with its environment expanded as systemd does: Environment=,
    then EnvironmentFile= (read inside root); $VAR splits into words, ${VAR} is one word."""
    s = unit_settings(os.path.join(root, "lib/systemd/system", unit))
    env = {}
    for e in s.get("Environment", []):
        for word in shlex.split(e):
            k, v = word.split("=", 1)
            env[k] = v
    for f in s.get("EnvironmentFile", []):
        f = f.lstrip("-")
        path = os.path.join(root, f.lstrip("/"))
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    line = line.strip()
                    if line and not line.startswith("#") and "=" in line:
                        k, v = line.split("=", 1)
                        env[k] = " ".join(shlex.split(v))
    words = []
    for w in s["ExecStart"][0].split():
        m = re.fullmatch(r"\$(\w+)|\$\{(\w+)\}", w)
        if m and m.group(1):
            words += env.get(m.group(1), "").split()
        elif m:
            words.append(env.get(m.group(2), ""))
        else:
            words.append(w)
    return words, s


class CleanRoot:
    def __init__(self, path):
        self.path = path
        self.mounted = False

    def __call__(self, *cmd, check_rc=True, env=None, timeout=600):
        full = ["chroot", self.path]
        if env is not None:
            full += ["env", "-i", *[f"{k}={v}" for k, v in env.items()]]
        return run(full + list(cmd), check_rc=check_rc, timeout=timeout)

    def as_kiosque(self, *cmd, **kw):
        return self("setpriv", "--reuid=kiosque", "--regid=kiosque", "--init-groups", "--no-new-privs",
                    *cmd, **kw)

    def file(self, path):
        return os.path.join(self.path, path.lstrip("/"))

    def mount(self):
        run(["mount", "-t", "proc", "proc", self.file("/proc")])
        self.mounted = True

    def umount(self):
        if self.mounted:
            run(["umount", self.file("/proc")], check_rc=False)
            self.mounted = False


def bootstrap(root):
    if not shutil.which("debootstrap"):
        run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "debootstrap"],
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"), timeout=600)
    t = time.monotonic()
    run(["debootstrap", "--variant=minbase", "bookworm", root, ARGS.mirror], timeout=1800)
    step(f"debootstrap --variant=minbase bookworm: {time.monotonic() - t:.0f} s")


def test_clean_root(root_dir):
    deb = os.path.abspath(ARGS.deb)
    r = CleanRoot(root_dir)
    bootstrap(root_dir)
    r.mount()
    try:
        shutil.copy(deb, r.file("/tmp/kiosque.deb"))
        shutil.copytree(ARGS.corpus, r.file("/tmp/corpus"))
        with open(r.file("/etc/apt/sources.list"), "w") as f:
            f.write(f"deb {ARGS.mirror} bookworm main\n")
        apt_env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive"}
        r("apt-get", "update", "-qq", env=apt_env)
        step("apt-get install ./kiosque.deb sphinxsearch in the clean root")
        t = time.monotonic()
        r("apt-get", "install", "-y", "-qq", "--no-install-recommends", "/tmp/kiosque.deb", "sphinxsearch",
          env=apt_env, timeout=1200)
        print(f"     {time.monotonic() - t:.0f} s", flush=True)
        for prog in ["kiosque-indexer", "kiosque-search", "kiosque-searchd"]:
            out = r(f"/usr/bin/{prog}", "--version").stdout
            check(re.fullmatch(rf"{prog[8:]} \(Kiosque\) [0-9.]+\n", out) is not None, f"{prog} --version: {out.strip()}")
        check(os.path.exists(r.file("/usr/bin/indexer")) and os.path.exists(r.file("/usr/bin/searchd")),
              "sphinxsearch's /usr/bin/indexer and /usr/bin/searchd installed beside kiosque-*")
        for page in ["man1/kiosque-indexer.1.gz", "man1/kiosque-search.1.gz", "man8/kiosque-searchd.8.gz",
                     "man7/kiosque-query.7.gz"]:
            check(os.path.exists(r.file(f"/usr/share/man/{page}")), f"man page {page}")
        passwd = r("getent", "passwd", "kiosque").stdout
        check("/var/lib/kiosque" in passwd, f"system user kiosque: {passwd.strip()}")
        st = os.stat(r.file("/var/lib/kiosque/db"))
        check(st.st_uid != 0 and oct(st.st_mode & 0o777) == "0o750", "/var/lib/kiosque/db owned by kiosque, 0750")

        step("as kiosque: indexer add of the corpus, then an export through the inbox")
        out = r.as_kiosque("/usr/bin/kiosque-indexer", "--db", "/var/lib/kiosque/db", "add", "/tmp/corpus").stderr
        check("added" in out, out.strip().splitlines()[-1])
        export = {"@type": "NewsArticle", "identifier": "inbox-1", "headline": "Publié par la boîte de dépôt",
                  "articleBody": "Un article déposé par le CMS dans la boîte de dépôt quenouillard.",
                  "datePublished": "2025-06-01T08:00:00Z"}
        upload = r.file("/var/lib/kiosque/upload/today.jsonl")
        with open(upload, "w", encoding="utf-8") as f:
            f.write(json.dumps(export, ensure_ascii=False) + "\n")
        os.chown(upload, os.stat(r.file("/var/lib/kiosque/db")).st_uid, os.stat(r.file("/var/lib/kiosque/db")).st_gid)
        os.rename(upload, r.file("/var/lib/kiosque/inbox/today.jsonl"))
        cmd, _ = unit_command(r.path, "kiosque-indexer.service")
        p = r.as_kiosque(*cmd, check_rc=False)
        check(p.returncode == 0, f"kiosque-indexer.service's command {' '.join(cmd)}: exit {p.returncode} {p.stderr.strip()}")
        check(os.listdir(r.file("/var/lib/kiosque/inbox")) == [] and os.listdir(r.file("/var/lib/kiosque/batch")) == [],
              "the inbox is empty afterwards")
        out = r("/usr/bin/kiosque-search", "--db", "/var/lib/kiosque/db", "--json", "quenouillard").stdout
        check([h["id"] for h in json.loads(out)["hits"]] == ["inbox-1"], "the export of the inbox is found")

        step("searchd with the command line of kiosque-searchd.service (systemd is not PID 1 in a chroot)")
        port = free_port()
        with open(r.file("/etc/default/kiosque"), encoding="utf-8") as f:
            default = f.read()
        with open(r.file("/etc/default/kiosque"), "w", encoding="utf-8") as f:
            f.write(re.sub(r'^KIOSQUE_SEARCHD_OPTIONS=.*$', f'KIOSQUE_SEARCHD_OPTIONS="--listen 127.0.0.1:{port}"',
                           default, flags=re.M))
        cmd, settings = unit_command(r.path, "kiosque-searchd.service")
        check(settings["Type"] == ["notify"] and settings["User"] == ["kiosque"], "Type=notify, User=kiosque")
        print("     " + " ".join(cmd), flush=True)
        sock_path = r.file("/run/kiosque-notify")
        if os.path.exists(sock_path):
            os.unlink(sock_path)
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(sock_path)
        os.chmod(sock_path, 0o777)
        notify.settimeout(20)
        proc = subprocess.Popen(["chroot", r.path, "setpriv", "--reuid=kiosque", "--regid=kiosque", "--init-groups",
                                 "--no-new-privs", "env", "-i", "NOTIFY_SOCKET=/run/kiosque-notify", *cmd],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            ready = notify.recv(4096).decode()
            check(ready.startswith("READY=1") and "serving" in ready, f"readiness: {ready!r}")
            status, h, body = http(port, "/healthz")
            check(status == 200 and json.loads(body)["documents"] > 0, f"/healthz: {body.decode()}")
            status, h, body = http(port, "/api/search?q=quenouillard")
            check(status == 200 and json.loads(body)["hits"][0]["id"] == "inbox-1", "/api/search finds the inbox article")
            status2, _, body2 = http(port, "/api/search?q=quenouillard", {"If-None-Match": h["ETag"]})
            check((status2, body2) == (304, b""), f"a repeated request with If-None-Match {h['ETag']}: 304")
            proc.terminate()
            rc = proc.wait(20)
            stopping = notify.recv(4096).decode()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            notify.close()
            os.unlink(sock_path)
        log = proc.stderr.read()
        check(rc == 0 and stopping.startswith("STOPPING=1"), f"SIGTERM: exit {rc}, {stopping!r}")
        check(re.search(r"Z GET /api/search\?q=quenouillard 304 0 ", log) is not None, "the access log has the 304")
        with open(r.file("/etc/default/kiosque"), "w", encoding="utf-8") as f:
            f.write(default)

        step("dpkg -r, then dpkg -P")
        r("dpkg", "-r", "kiosque", env=apt_env)
        gone = ["/usr/bin/kiosque-searchd", "/usr/bin/kiosque-indexer", "/lib/systemd/system/kiosque-searchd.service",
                "/usr/share/man/man8/kiosque-searchd.8.gz", "/usr/libexec/kiosque/index-inbox"]
        check(not any(os.path.exists(r.file(p)) for p in gone), "dpkg -r removes the programs, units, pages")
        check(os.path.exists(r.file("/etc/default/kiosque")) and os.path.exists(r.file("/var/lib/kiosque/db/xapian")),
              "dpkg -r keeps the conffile and the database")
        check(os.path.exists(r.file("/usr/bin/indexer")), "sphinxsearch untouched")
        r("dpkg", "-P", "kiosque", env=apt_env)
        left = run(["find", r.path, "-path", r.file("/proc"), "-prune", "-o", "-path", r.file("/var/lib/dpkg"),
                    "-prune", "-o", "-path", r.file("/tmp"), "-prune", "-o", "-name", "*kiosque*", "-print"]).stdout.split()
        check(left == [], f"dpkg -P leaves nothing named kiosque: {left}")
        status = r("dpkg-query", "-W", "-f=${Status}", "kiosque", check_rc=False).stdout
        check(status in ("", "unknown ok not-installed"), f"dpkg-query: {status!r}")
    finally:
        r.umount()


def test_host():
    deb = os.path.abspath(ARGS.deb)
    step("on this machine: apt-get install the package")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", deb], env=env, timeout=900)
    try:
        units = ["kiosque-searchd.service", "kiosque-indexer.service", "kiosque-indexer.path"]
        man = [] if shutil.which("man") else ["--man=no"]
        p = run(["systemd-analyze", "verify", *man, *[f"/lib/systemd/system/{u}" for u in units]], check_rc=False)
        check(p.returncode == 0 and not p.stderr.strip(), f"systemd-analyze verify {' '.join(units)}: "
              f"{p.stderr.strip() or 'no finding'}")
        for u in ["kiosque-searchd.service", "kiosque-indexer.service"]:
            p = run(["systemd-analyze", "security", "--offline=true", u], check_rc=False)
            overall = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", p.stdout)
            check(overall and float(overall.group(1)) <= 2.0, f"systemd-analyze security {u}: "
                  f"{overall.group(1) + ' ' + overall.group(2) if overall else p.stdout[-300:]}")
            for line in p.stdout.splitlines():
                if line.startswith("✗"):
                    print("     " + re.sub(r"\s{2,}", "  ", line), flush=True)
        if os.path.isdir("/run/systemd/system"):
            step("systemd runs as PID 1: the service itself")
            run(["systemctl", "restart", "kiosque-searchd.service"])
            check(run(["systemctl", "is-active", "kiosque-searchd.service"]).stdout.strip() == "active", "active")
            corpus = tempfile.mkdtemp(prefix="kiosque-corpus-")  # readable by kiosque, unlike a home
            shutil.copytree(ARGS.corpus, os.path.join(corpus, "corpus"))
            os.chmod(corpus, 0o755)
            run(["runuser", "-u", "kiosque", "--", "kiosque-indexer", "--db", "/var/lib/kiosque/db", "--quiet", "add",
                 os.path.join(corpus, "corpus")])
            shutil.rmtree(corpus)
            deadline = time.monotonic() + 5
            while (status := http(8080, "/healthz")[0]) != 200 and time.monotonic() < deadline:
                time.sleep(0.2)
            check(status == 200, "/healthz through the service")
            st, h, _ = http(8080, "/api/search?q=retraites")
            check(st == 200 and http(8080, "/api/search?q=retraites", {"If-None-Match": h["ETag"]})[0] == 304,
                  "search and 304 through the service")
            run(["systemctl", "stop", "kiosque-searchd.service"])
            journal = run(["journalctl", "-u", "kiosque-searchd.service", "--no-pager", "-n", "50"]).stdout
            check("searchd: stopped" in journal and "GET /api/search?q=retraites 304" in journal, "logs in the journal")
        else:
            step("systemd is not running as PID 1 on this machine: the service was not started here; "
                 "the clean-root test ran searchd with the unit's exact command line instead")
    finally:
        run(["dpkg", "-P", "kiosque"], env=env)
        check(not os.path.exists("/usr/bin/kiosque-searchd") and not os.path.exists("/var/lib/kiosque"),
              "purged from this machine")


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--deb", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--mirror", default="http://deb.debian.org/debian")
    parser.add_argument("--host", action="store_true", help="also install it on this machine")
    parser.add_argument("--workdir", default=None)
    ARGS = parser.parse_args()
    if os.geteuid() != 0:
        print("SKIP: installing a package needs root", file=sys.stderr)
        return 77
    if not glob.glob(ARGS.deb):
        fail(f"no package at {ARGS.deb}: run ./setup.sh package first")
    t0 = time.monotonic()
    work = tempfile.mkdtemp(prefix="kiosque-root-", dir=ARGS.workdir)
    try:
        test_clean_root(os.path.join(work, "root"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if ARGS.host:
        test_host()
    step(f"package tests passed in {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
