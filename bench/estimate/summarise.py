#!/usr/bin/env python3
"""Summarises bench_estimate's lines (set, qid, true, total, exact, lower[, kind]): per set and over
all sets, what the reader is told and how right it is:
  exact      totals said exact (and whether they are)
  ±20% est   estimated totals (Xapian's or counted) within ±20% of the true count
  err p5/p50/p95  the relative error of the estimated totals
  about      totals announced as "environ N" (counted), and the share within ±20%
  gte        totals announced as "plus de N" (a lower bound), and the share of bounds that hold
  told right queries whose announcement holds: exact and right, "environ" within ±20%, or
             "plus de" a true bound (lines without a kind: every estimate taken as "environ")"""
import collections
import sys


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")


def within(t, sh):
    return (t == 0 and sh == 0) or (t > 0 and abs(sh - t) <= 0.2 * t)


def main():
    rows = collections.defaultdict(list)
    for line in sys.stdin:
        f = line.rstrip("\n").split("\t")
        kind = int(f[6]) if len(f) > 6 else (0 if f[4] == "1" else 1)
        rows[f[0]].append((int(f[2]), int(f[3]), f[4] == "1", int(f[5]), kind))
    rows["all sets"] = [r for v in list(rows.values()) for r in v]
    print(f"{'set':34} {'queries':>7} {'exact':>6} {'±20% est':>9} {'err p5':>7} {'err p50':>7} {'err p95':>7} "
          f"{'about':>6} {'±20%':>6} {'gte':>5} {'holds':>6} {'told right':>10}")
    for s, rs in rows.items():
        exact = [r for r in rs if r[2]]
        est = [r for r in rs if not r[2]]
        errs = [(sh - t) / t for t, sh, ex, lo, k in est if t > 0]
        about = [r for r in rs if r[4] == 1]
        gte = [r for r in rs if r[4] == 2]
        ok_about = sum(1 for t, sh, ex, lo, k in about if within(t, sh))
        ok_gte = sum(1 for t, sh, ex, lo, k in gte if lo <= t)
        ok_exact = sum(1 for t, sh, ex, lo, k in exact if sh == t)
        told = ok_exact + ok_about + ok_gte
        print(f"{s:34} {len(rs):7} {len(exact):6} "
              f"{100 * sum(1 for e in errs if abs(e) <= 0.2) / max(1, len(errs)):8.1f}% "
              f"{100 * pct(errs, 0.05):6.0f}% {100 * pct(errs, 0.5):6.0f}% {100 * pct(errs, 0.95):6.0f}% "
              f"{len(about):6} {100 * ok_about / max(1, len(about)):5.0f}% {len(gte):5} "
              f"{100 * ok_gte / max(1, len(gte)):5.0f}% {100 * told / max(1, len(rs)):9.1f}%"
              + (f"  ({len(exact) - ok_exact} said exact but wrong)" if ok_exact != len(exact) else ""))


if __name__ == "__main__":
    main()
