#!/usr/bin/env python3
"""A disk that fills up, or a database that stops being writable, in the middle of a batch and of
a sharded batch's merge: the batch fails with a clear message, nothing committed is lost (the
articles, searches, `indexer check`), and the next run, with room again, succeeds.

The database lives on a small tmpfs the test mounts (it needs root; it skips, saying so, when
mounting is impossible).  The indexer stops itself at a named point (KIOSQUE_PAUSE_AT, see
indexer/writer.h): the test then fills the file system, or takes the write permission away from
the database (the indexer runs as nobody), and lets it go on.  CTest: e2e_disk_faults."""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

ARGS = None
WORDS = ("conseil municipal budget région école hôpital transport vélo tramway travaux logement "
         "festival théâtre musée équipe victoire saison enquête tribunal incendie secours projet "
         "subvention hausse baisse millions euros semaine matin soir maire député ministre").split()


def articles(first, count, seed):
    rng = random.Random(seed)
    out = []
    for i in range(first, first + count):
        body = " ".join(rng.choice(WORDS) for _ in range(250))
        out.append({"@type": "NewsArticle", "identifier": f"d{i}", "headline": f"Dépêche {i} {rng.choice(WORDS)}",
                    "articleBody": body, "datePublished": "2025-03-01T10:00:00Z"})
    return out


def write_jsonl(path, arts):
    with open(path, "w", encoding="utf-8") as f:
        for a in arts:
            f.write(json.dumps(a, ensure_ascii=False) + "\n")
    return path


def mount(*args):
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def state_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


class DiskFaults(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to mount a small tmpfs")
        self.tmp = tempfile.mkdtemp(prefix="kq-disk-")
        os.chmod(self.tmp, 0o755)
        self.mnt = os.path.join(self.tmp, "mnt")
        os.makedirs(self.mnt)
        if not mount("-t", "tmpfs", "-o", "size=48m,mode=0777", "tmpfs", self.mnt):
            shutil.rmtree(self.tmp)
            self.skipTest("cannot mount a tmpfs here (needs CAP_SYS_ADMIN)")
        self.db = os.path.join(self.mnt, "db")
        self.inputs = os.path.join(self.tmp, "in")
        os.makedirs(self.inputs)
        os.chmod(self.inputs, 0o755)
        self.first = write_jsonl(os.path.join(self.inputs, "first.jsonl"), articles(0, 1500, 1))
        self.more = write_jsonl(os.path.join(self.inputs, "more.jsonl"), articles(1500, 600, 2))
        code, _, err = self.indexer("add", self.first)
        self.assertEqual(code, 0, err)

    def tearDown(self):
        subprocess.run(["umount", self.mnt], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def indexer(self, *args, pause_at=None, sharded=False, as_nobody=False, during=None):
        env = dict(os.environ)
        if pause_at == "merge":
            # Xapian 1.4.22's compactor leaks what it allocated when a write fails (seen with
            # LeakSanitizer, all frames in libxapian); the process exits right after.
            env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
        for k in ("KIOSQUE_DB", "KIOSQUE_CRASH_AT", "KIOSQUE_PAUSE_AT", "KIOSQUE_SHARD_MIN_BYTES"):
            env.pop(k, None)
        if pause_at:
            env["KIOSQUE_PAUSE_AT"] = pause_at
        env["KIOSQUE_SHARD_MIN_BYTES"] = "0" if sharded else str(1 << 40)
        program = os.path.join(ARGS.bin_dir, "indexer")
        if as_nobody:  # a copy nobody can run, wherever the build tree is
            program = os.path.join(self.inputs, "indexer")
            if not os.path.exists(program):
                shutil.copy(os.path.join(ARGS.bin_dir, "indexer"), program)
                os.chmod(program, 0o755)
        cmd = [program, "--db", self.db, "--quiet", "--jobs", "2", *args]
        if as_nobody:
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        if pause_at:
            deadline = time.monotonic() + 120
            while state_of(p.pid) != "T":
                if p.poll() is not None or time.monotonic() > deadline:
                    out, err = p.communicate()
                    p.kill()
                    raise AssertionError(f"the indexer never stopped at {pause_at}: {p.returncode} {err.decode()}")
                time.sleep(0.01)
            during()
            p.send_signal(signal.SIGCONT)
        out, err = p.communicate(timeout=300)
        return p.returncode, out.decode(), err.decode()

    def fill(self):
        fd = os.open(os.path.join(self.mnt, "filler"), os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            for size in (1 << 20, 4096, 512):
                try:
                    while True:
                        os.write(fd, b"\0" * size)
                except OSError:
                    pass
        finally:
            os.close(fd)

    def unfill(self):
        os.remove(os.path.join(self.mnt, "filler"))

    def take_write(self):
        subprocess.run(["chown", "-R", "65534:65534", self.db], check=True)
        subprocess.run(["chmod", "-R", "a-w", self.db], check=True)

    def give_write(self):
        subprocess.run(["chmod", "-R", "u+w", self.db], check=True)

    def assert_nothing_lost(self, documents):
        code, out, err = self.indexer("check")
        self.assertEqual(code, 0, out + err)
        self.assertRegex(out, rf"documents\s+{documents}\b")
        code, out, err = self.indexer("stats")
        self.assertRegex(out, rf"articles\s+{documents}\b")
        p = subprocess.run([os.path.join(ARGS.bin_dir, "search"), "--db", self.db, "--json", "Dépêche 17"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("d17", [h["id"] for h in json.loads(p.stdout)["hits"]])
        leftovers = [n for n in os.listdir(self.db) if n.startswith(("build.", "xapian.r")) and
                     os.path.realpath(os.path.join(self.db, n)) != os.path.realpath(os.path.join(self.db, "xapian"))]
        return leftovers

    def run_fault(self, what, pause_at, sharded, fault, undo, message, as_nobody=False):
        t0 = time.monotonic()
        code, out, err = self.indexer("add", self.more, pause_at=pause_at, sharded=sharded,
                                      as_nobody=as_nobody, during=fault)
        print(f"  {what}: exit {code} after {time.monotonic() - t0:.1f} s: "
              f"{err.strip().splitlines()[-1] if err.strip() else ''}", flush=True)
        self.assertEqual(code, 2, out + err)
        self.assertIn(message, err)
        undo()
        leftovers = self.assert_nothing_lost(1500)
        code, out, err = self.indexer("add", self.more, sharded=sharded)
        self.assertEqual(code, 0, err)
        self.assertEqual(self.assert_nothing_lost(2100), [])
        return leftovers

    def test_full_disk_during_a_batch(self):
        self.run_fault("disk full at the index commit, one thread", "index-commit", False, self.fill,
                       self.unfill, "the disk is full")

    def test_full_disk_during_a_merge(self):
        self.run_fault("disk full before the merge of a sharded batch", "merge", True, self.fill,
                       self.unfill, "the disk is full")

    def test_read_only_during_a_batch(self):
        self.take_write()
        self.give_write()
        self.run_fault("database made read-only at the index commit", "index-commit", False,
                       self.take_write, self.give_write, "the database cannot be written", as_nobody=True)

    def test_read_only_during_a_merge(self):
        self.take_write()
        self.give_write()
        self.run_fault("database made read-only before the merge", "merge", True, self.take_write,
                       self.give_write, "the database cannot be written", as_nobody=True)


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bin-dir", required=True)
    ARGS, rest = ap.parse_known_args()
    result = unittest.main(argv=[sys.argv[0], "-v", *rest], exit=False).result
    if result.skipped and not result.failures and not result.errors and result.testsRun == len(result.skipped):
        return 77
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
