#!/usr/bin/env python3
"""The synthetic archive generator of the scale bench (bench/synth/generate.c), on a few
thousand articles made from the team kit's real archive.

Checks that every line is a valid article the real indexer accepts (none rejected, every one
searchable by its identifier's article), that the output is the same for a seed and differs
for another, that the dates are in order within 1995-2026, the sections the real ones, about
5% republished copies, and that its report gives a vocabulary near the real corpus's (Heaps'
law fitted on the real prefixes) at that size.  Skips (77) when ../shared/corpus is absent."""
import argparse
import collections
import datetime
import gzip
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kiosque_e2e import Programs, Rows  # noqa: E402

N = 3000
SUMMARY = re.compile(r"added (\d+), updated (\d+), unchanged (\d+), rejected (\d+)")
DATE = re.compile(r"^(\d{4})-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def generate(tool, corpus, out, seed, n=N):
    p = subprocess.run([tool, "--quiet", "--source", corpus, "--seed", str(seed), str(n), out],
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise AssertionError(f"{tool} exited {p.returncode}: {p.stderr}")
    return p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--corpus", required=True)
    args = ap.parse_args()
    if not os.path.exists(args.corpus):
        print(f"SKIP: {args.corpus} is absent (the team kit's corpus): the generator has no source")
        return 77
    tool = os.path.join(os.path.abspath(args.bin_dir), "synth_generate")
    p = Programs(args.bin_dir)
    row = Rows()
    try:
        tmp = p.tmp.name
        a, b, c = (os.path.join(tmp, name) for name in ("a.jsonl.gz", "b.jsonl.gz", "c.jsonl"))
        report = generate(tool, args.corpus, a, 7)
        generate(tool, args.corpus, b, 7)
        generate(tool, args.corpus, c, 8)
        with gzip.open(a, "rb") as f:
            data_a = f.read()
        with gzip.open(b, "rb") as f:
            data_b = f.read()
        with open(c, "rb") as f:
            data_c = f.read()
        row(data_a == data_b, "the same seed gives the same articles")
        row(data_a != data_c, "another seed gives other articles")
        row(not os.path.exists(a + ".part"), "no partial file is left behind")

        real_sections = set()
        with gzip.open(args.corpus, "rt", encoding="utf-8") as f:
            for line in f:
                real_sections.add(json.dumps(json.loads(line)["articleSection"]))
        lines = data_a.decode("utf-8").splitlines()
        row(len(lines) == N, f"{N} lines written (got {len(lines)})")
        bad, dates, sections, bodies = [], [], collections.Counter(), collections.Counter()
        for i, line in enumerate(lines, 1):
            try:
                o = json.loads(line)
            except ValueError as e:
                bad.append(f"line {i}: {e}")
                continue
            if o.get("identifier") != str(i) or not o.get("headline") or "articleBody" not in o:
                bad.append(f"line {i}: identifier, headline or body missing")
            m = DATE.match(o.get("datePublished", ""))
            if not m or not 1995 <= int(m.group(1)) <= 2026:
                bad.append(f"line {i}: date {o.get('datePublished')}")
            dates.append(o.get("datePublished", ""))
            sections[json.dumps(o.get("articleSection"))] += 1
            if o.get("articleBody"):
                bodies[o["articleBody"]] += 1
        row(not bad, "every line is a NewsArticle with an identifier, headline, body and date in 1995-2026"
            + (f": {bad[:3]}" if bad else ""))
        when = [datetime.datetime.fromisoformat(d) for d in dates if DATE.match(d)]
        row(len(when) == N and all(x <= y for x, y in zip(when, when[1:])), "dates are in the order of the archive")
        row(set(sections) <= real_sections and len(sections) >= 10,
            f"sections are the real ones ({len(sections)} of {len(real_sections)} seen)")
        repeated = sum(n - 1 for n in bodies.values() if n > 1)
        row(0.02 * N <= repeated <= 0.09 * N, f"about 5% republished copies ({repeated} repeated bodies)")

        code, _, err = p.indexer("add", a)
        m = SUMMARY.search(err)
        row(code == 0 and m and int(m.group(1)) == N and int(m.group(4)) == 0,
            f"indexer add takes all {N} articles, none rejected ({m.group(0) if m else err[-300:]})")
        first = json.loads(lines[0])
        words = " ".join(re.findall(r"\w{4,}", first["headline"])[:2])
        hits = p.ids("--all", "-n", "50", words)
        row("1" in hits, f"the first article is found by its headline's words ({words!r})")

        # The report: synthetic vocabulary within 20% of the Heaps' law fitted on the real corpus.
        print(report)
        fit = [ln.split() for ln in report.splitlines() if ln.startswith("synthetic ") and ln.split()[4].endswith("%")]
        last = fit[-1] if fit else None
        row(last is not None and int(last[1]) == N and 0.8 <= float(last[6]) <= 1.2,
            f"synthetic vocabulary at {N} within 20% of the real corpus's Heaps' law"
            + (f" (ratio {last[6]})" if last else ""))
        code = subprocess.run([tool, "0", os.path.join(tmp, "x.jsonl")], capture_output=True).returncode
        row(code == 2, "N = 0 is refused with exit status 2")
    finally:
        p.close()
    return 1 if row.failures else 0


if __name__ == "__main__":
    sys.exit(main())
