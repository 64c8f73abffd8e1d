#!/usr/bin/env python3
"""Runs one end-to-end test with every Kiosque program under valgrind memcheck.

    run.py --bin-dir BUILD -- TEST.py [ARGS...]

BIN-DIR's indexer, search and searchd are replaced, for the test, by wrappers that exec
`valgrind --tool=memcheck` on them (full leak check; every process writes its own log); the test
is run with --bin-dir pointing at the wrappers.  Fails when the test fails, or when any log has
an invalid access, a use of uninitialised memory, or a definite or indirect leak.  CTest runs it
under the label `valgrind` (see tests/CMakeLists.txt, -DKIOSQUE_VALGRIND=ON)."""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

PROGRAMS = ("indexer", "search", "searchd")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--valgrind", default="valgrind")
    ap.add_argument("test", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    test = [a for a in args.test if a != "--"]
    tmp = tempfile.mkdtemp(prefix="kq-valgrind-")
    wrap = os.path.join(tmp, "bin")
    logs = os.path.join(tmp, "logs")
    os.makedirs(wrap)
    os.makedirs(logs)
    supp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kiosque.supp")
    for p in PROGRAMS:
        real = os.path.join(os.path.abspath(args.bin_dir), p)
        with open(os.path.join(wrap, p), "w") as f:
            f.write("#!/bin/sh\n"
                    f"exec {args.valgrind} --tool=memcheck --quiet --error-exitcode=99 --leak-check=full "
                    "--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect "
                    f"--track-origins=no --suppressions={supp} --log-file={logs}/{p}.%p.log {real} \"$@\"\n")
        os.chmod(os.path.join(wrap, p), 0o755)
    # The test's own --bin-dir is the wrappers' directory.
    cmd = [sys.executable, test[0], "--bin-dir", wrap, *test[1:]]
    env = dict(os.environ, KIOSQUE_UNDER_VALGRIND="1")
    rc = subprocess.run(cmd, env=env).returncode
    bad = []
    n = 0
    for log in sorted(glob.glob(os.path.join(logs, "*.log"))):
        n += 1
        text = open(log, encoding="utf-8", errors="replace").read()
        if re.search(r"(Invalid (read|write|free)|uninitialised|Mismatched free|definitely lost|indirectly lost"
                     r"|Syscall param)", text):
            bad.append((log, text))
    print(f"valgrind: {n} processes checked, {len(bad)} with errors (logs in {logs})")
    for log, text in bad[:5]:
        print(f"--- {log}\n{text[:4000]}")
    if rc == 77:
        return 77
    return 1 if rc != 0 or bad else 0


if __name__ == "__main__":
    sys.exit(main())
