#!/usr/bin/env python3
"""--version and --help of the three programs against their man pages (docs/man).

Every option (and, for indexer, every command) that --help names is in the man page's
SYNOPSIS, COMMANDS or OPTIONS, and every one there is in --help; --version prints the project's
version; each page renders without a groff warning; `cmake --install` puts the programs and
the four pages where man finds them.  Run by CTest (e2e_manpages)."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ARGS = None
PAGES = {"search": "search.1", "indexer": "indexer.1", "searchd": "searchd.8"}
OPTION = re.compile(r"(?<![\w\-])(--?[a-z][a-z\-]*[a-z])")


def run(*cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def man_source(page):
    with open(os.path.join(ARGS.man_dir, page), encoding="utf-8") as f:
        return f.read()


def man_sections(src):
    """{section name: its troff text, with \\- as - and font escapes removed}."""
    text = re.sub(r"\\f[BIRP]", "", src.replace("\\-", "-"))
    sections, name = {}, None
    for line in text.splitlines():
        if line.startswith(".SH "):
            name = line[4:].strip().strip('"')
            sections[name] = ""
        elif name:
            sections[name] += line + "\n"
    return sections


def man_options(page):
    s = man_sections(man_source(page))
    text = s.get("SYNOPSIS", "") + s.get("OPTIONS", "") + s.get("COMMANDS", "")
    return set(OPTION.findall(text))


def help_options(program):
    code, out, err = run(os.path.join(ARGS.bin_dir, program), "--help")
    assert code == 0, f"{program} --help exited {code}: {err}"
    return set(OPTION.findall(out)), out


class Versions(unittest.TestCase):
    def test_version(self):
        for program in PAGES:
            code, out, err = run(os.path.join(ARGS.bin_dir, program), "--version")
            self.assertEqual((code, out, err), (0, f"{program} (Kiosque) {ARGS.version}\n", ""), program)

    def test_version_in_pages(self):
        for page in [*PAGES.values(), "kiosque-query.7"]:
            th = next(l for l in man_source(page).splitlines() if l.startswith(".TH "))
            self.assertIn(f'"Kiosque {ARGS.version}"', th, page)


class HelpMatchesMan(unittest.TestCase):
    def test_options(self):
        for program, page in PAGES.items():
            in_help, _ = help_options(program)
            in_man = man_options(page)
            self.assertTrue(in_help, program)
            self.assertEqual(sorted(in_help - in_man), [],
                             f"{program} --help names options that docs/man/{page}.in does not: add them there")
            self.assertEqual(sorted(in_man - in_help), [],
                             f"docs/man/{page}.in names options that {program} --help does not: add them to its usage()")

    def test_indexer_commands(self):
        _, out = help_options("indexer")
        block = out.split("commands:", 1)[1]
        in_help = set(re.findall(r"^  ([a-z]+)\b", block, re.M))
        cmds = man_sections(man_source("indexer.1"))["COMMANDS"]
        in_man = set(re.findall(r"^\.TP\n\.B[IR]? ([a-z]+)", cmds, re.M))
        self.assertGreaterEqual(len(in_help), 5)
        self.assertEqual(in_help, in_man, "indexer --help and docs/man/indexer.1.in list different commands")

    def test_searchd_endpoints(self):
        """Every route of searchd's table is described in searchd(8)."""
        with open(os.path.join(ARGS.source_dir, "searchd", "routes.c"), encoding="utf-8") as f:
            routes = f.read()
        macros = dict(re.findall(r'#define (\w+) "(/[^"]*)"', routes))
        table = routes[routes.index("route_table[]"):]
        paths = [macros.get(p, p.strip('"')) for p in re.findall(r'^\s*\{"\w+", ("/[^"]*"|\w+),', table, re.M)]
        endpoints = man_sections(man_source("searchd.8"))["ENDPOINTS"]
        self.assertGreaterEqual(len(paths), 6)
        for p in paths:
            self.assertRegex(endpoints, r"(^|[ .])" + re.escape(p), f"searchd(8) ENDPOINTS does not describe {p}")


class Render(unittest.TestCase):
    def test_groff_without_warnings(self):
        if not shutil.which("groff"):
            self.skipTest("groff is not installed")
        for page in [*PAGES.values(), "kiosque-query.7"]:
            p = subprocess.run(["groff", "-t", "-man", "-ww", "-z", "-Tutf8", os.path.join(ARGS.man_dir, page)],
                               capture_output=True, text=True, env=dict(os.environ, LC_ALL="C.UTF-8"))
            self.assertEqual((p.returncode, p.stderr), (0, ""), page)


class Install(unittest.TestCase):
    def test_cmake_install(self):
        with tempfile.TemporaryDirectory(prefix="kiosque-install-") as prefix:
            code, out, err = run("cmake", "--install", ARGS.build_dir, "--prefix", prefix)
            self.assertEqual(code, 0, err)
            for f in ["bin/indexer", "bin/search", "bin/searchd", "share/man/man1/search.1",
                      "share/man/man1/indexer.1", "share/man/man8/searchd.8", "share/man/man7/kiosque-query.7"]:
                self.assertTrue(os.path.isfile(os.path.join(prefix, f)), f)
            if shutil.which("man"):
                code, out, err = run("man", "-M", os.path.join(prefix, "share", "man"), "-w", "kiosque-query")
                self.assertEqual(code, 0, err)
                self.assertTrue(out.strip().endswith("man7/kiosque-query.7"), out)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--man-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--version", required=True)
    ARGS, rest = parser.parse_known_args()
    result = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2).result
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
