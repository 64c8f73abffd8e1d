#!/usr/bin/env python3
"""kill -9 the indexer at random points of real batches, rerun it, and prove nothing was lost or duplicated.

Three publishing steps run one after another on generated French-like articles:
  A. `add` of N new articles (version 1);
  B. `add` of an export where a third of them are corrected (version 2) and N/6 are new;
  C. `sync` of a full export where some are gone (unpublished) and some corrected again (version 3).
Each step is started, killed with SIGKILL after a random delay, and started again, several
times, then allowed to finish.  Deterministic kill points (KIOSQUE_CRASH_AT, see
indexer/PUBLISHING.md) reach the narrow windows a random delay rarely hits: between the index
commit and the store commit, inside the store repair, during a sync's deletions.

After every kill, a search must succeed and see either the whole previous state or the whole
new one (atomicity).  At the end, `indexer check` must find the database consistent, the store
must hold exactly the expected articles, and paging through a search matching every article
must return each expected identifier exactly once, with its latest headline.

Then a fourth step syncs back and forth between the second state and the third, each run killed at
a point drawn in turn from every phase (--matrix kills, 80 by default): after a random number of
articles on one thread and sharded, after a part is written, before the merge, with the merged
index not yet switched to, before the index commit, between the two commits, during a sync's
deletions.  Every run passes the crash points with KIOSQUE_CRASH_TRACE set, so each kill, random
ones too, is counted in the phase of the last point it passed; the test prints the count by phase
and fails below --min-kills (100) kills or with fewer than 3 in a phase.

The random rounds are bounded in time (--budget seconds, 50 by default), the fourth step by its
count (and --matrix-budget seconds)."""
import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

ARGS = None

WORDS = (
    "le la les un une des du de et à au aux en dans pour par sur avec sans sous entre vers chez "
    "gouvernement ministre conseil municipal région département commune maire député sénat "
    "assemblée budget impôt réforme retraite santé hôpital école collège lycée université "
    "recherche entreprise usine emploi chômage salaire inflation prix énergie électricité gaz "
    "climat sécheresse inondation tempête agriculteur récolte vigne blé élevage pêche port "
    "transport train tramway autoroute vélo circulation travaux chantier logement loyer quartier "
    "habitant association festival concert théâtre musée exposition livre cinéma équipe "
    "entraîneur joueur victoire défaite championnat saison stade spectateur police justice "
    "tribunal procès enquête témoin incendie pompier secours décision projet mesure subvention "
    "hausse baisse millions euros année semaine jeudi vendredi samedi lundi matin soir hier "
    "demain nouveau nouvelle premier dernière grand petite national locale européenne selon "
    "après avant pendant depuis malgré encore toujours déjà aussi très plus moins notamment "
    "environ plusieurs chaque annoncé indiqué précisé estimé expliqué rappelé souligné confirmé"
).split()

# A word in every article, and one per version: searches count them.
EVERY = "kiosquecrash"
VERSION_WORD = {1: "etatun", 2: "etatdeux", 3: "etattrois"}


def sentence(rng):
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def make_article(rng, i, version):
    body = " ".join(sentence(rng) for _ in range(rng.randint(3, 5)))
    body += f" {EVERY} {VERSION_WORD[version]}."
    return {
        "@type": "NewsArticle",
        "identifier": f"k{i}",
        "headline": " ".join(rng.choice(WORDS) for _ in range(6)) + f" (v{version})",
        "description": sentence(rng),
        "articleBody": body,
        "datePublished": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00+01:00",
        "author": rng.choice(["Rédaction", "Claire Dubreuil", "Antoine Mercier"]),
        "articleSection": rng.choice(["france", "monde", "économie", "culture", "sport"]),
    }


# Where a kill fell, from the last crash point the run passed (KIOSQUE_CRASH_TRACE) and how it
# ran: the phases the report counts.
PHASES = ["single-thread batch", "sharded parts", "merge", "index switch", "store commit", "sync",
          "store repair"]


def phase_of(trace, sharded, command):
    points = [l[len("crash point "):] for l in trace.splitlines() if l.startswith("crash point ")]
    last = points[-1] if points else "open"
    if last == "repair":
        return "store repair"
    if last in ("between-commits", "store-commit"):
        return "store commit"
    if last in ("merged", "index-commit") and sharded:
        return "index switch"
    if last == "merge":
        return "merge"
    if last == "sync-delete" or (command == "sync" and not sharded and last != "index-commit"):
        return "sync"
    if sharded:
        return "sharded parts"
    return "single-thread batch"


def write_jsonl(path, articles):
    with open(path, "w", encoding="utf-8") as f:
        for a in articles:
            f.write(json.dumps(a, ensure_ascii=False) + "\n")


class Crash:
    def __init__(self, bin_dir, n, seed, budget):
        self.bin = os.path.abspath(bin_dir)
        self.tmp = tempfile.TemporaryDirectory(prefix="kiosque-crash-")
        self.db = os.path.join(self.tmp.name, "db")
        self.rng = random.Random(seed)
        self.n = n
        self.deadline = time.monotonic() + budget
        self.budget = budget
        self.stats = {"random kills mid-batch": 0, "random kills after the index commit": 0,
                      "random kills that came too late (run finished)": 0,
                      "deterministic kill points": 0, "runs": 0,
                      "store repairs after a kill": 0, "atomicity checks": 0, "sharded runs": 0,
                      "kill points not on the run's way": 0}
        self.full_runtime = 3.0  # seconds a full run takes; measured as runs complete
        self.phases = {p: [0, 0] for p in PHASES}  # phase -> [deterministic, random] kills

    def env(self, crash_at=None, sharded=False):
        e = dict(os.environ)
        e["KIOSQUE_CRASH_TRACE"] = "1"  # the points passed, on stderr: the phase of a kill
        e.pop("KIOSQUE_DB", None)
        e.pop("KIOSQUE_CRASH_AT", None)
        e.pop("KIOSQUE_SHARD_MIN_BYTES", None)
        if crash_at:
            e["KIOSQUE_CRASH_AT"] = crash_at
        if sharded:
            e["KIOSQUE_SHARD_MIN_BYTES"] = "0"
        return e

    def cmd(self, program, *args):
        return [os.path.join(self.bin, program), "--db", self.db, *args]

    def start(self, args, crash_at=None, sharded=None):
        self.stats["runs"] += 1
        # Half of the runs build on two threads in parts (indexer/shards.h), so kills
        # also land inside sharded builds, their merges and their switches.
        if sharded is None:
            sharded = self.rng.random() < 0.5
        self.last_sharded = sharded
        self.stats["sharded runs"] += sharded
        return subprocess.Popen(self.cmd("indexer", "--quiet", "--jobs", "2", *args),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=self.env(crash_at, sharded))

    def run(self, *args, check=None):
        p = subprocess.run(self.cmd(*args), capture_output=True, env=self.env(), timeout=300)
        out, err = p.stdout.decode(), p.stderr.decode()
        if check is not None and p.returncode != check:
            raise AssertionError(f"{args} exited {p.returncode}, wanted {check}\n{out}\n{err}")
        return p.returncode, out, err

    def store_revision(self):
        path = os.path.join(self.db, "store.sqlite")
        if not os.path.exists(path):
            return 0
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            row = con.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()
            return int(row[0]) if row else 0
        finally:
            con.close()

    def total(self, word):
        """Matches of one word, through the real search program; it must never fail."""
        # --facets makes search examine every match, so the total is exact.
        code, out, err = self.run("search", "--json", "--all", "--facets", word)
        if code not in (0, 1):
            if "no index" in err or "cannot open" in err:
                return 0
            raise AssertionError(f"search failed during the crash test ({code}): {err}")
        r = json.loads(out)
        assert r["total_exact"], f"search gave an estimate for {word}: {r['total']}"
        return r["total"]

    def articles(self):
        """Documents in the index's last committed revision (exact), or 0 without an index."""
        code, out, err = self.run("indexer", "stats")
        if code != 0:
            return 0
        line = next(l for l in out.splitlines() if l.startswith("articles"))
        return int(line.split()[1])

    def counts(self):
        """What a reader sees: the documents, and the matches of the version 2 and 3 words."""
        return {2: self.total(VERSION_WORD[2]), 3: self.total(VERSION_WORD[3]),
                "articles": self.articles()}

    def complete(self, args, expect_codes=(0,)):
        """Runs a step to the end (retrying while a dying process still holds the lock)."""
        for _ in range(100):
            t0 = time.monotonic()
            p = self.start(args)
            out, err = p.communicate(timeout=300)
            err = err.decode()
            if "store was behind the index" in err:
                self.stats["store repairs after a kill"] += 1
            if p.returncode == 3:
                time.sleep(0.05)
                continue
            if p.returncode not in expect_codes:
                raise AssertionError(f"{args} exited {p.returncode}: {err}")
            self.full_runtime = max(0.2, time.monotonic() - t0)
            return err
        raise AssertionError(f"{args}: the lock was never released")

    def check_atomic(self, before, after, what):
        now = self.counts()
        self.stats["atomicity checks"] += 1
        if now != before and now != after:
            raise AssertionError(f"{what}: the index shows a partial batch: {now}, "
                                 f"wanted {before} or {after}")
        return now

    def kill_randomly(self, args, before, after, rounds, reset):
        """Starts the step and SIGKILLs it after a random delay, `rounds` times (or until the
        time budget is spent); checks after each kill that the index shows all or nothing.
        When a run finishes before its kill, reset() brings the database back to `before`."""
        done = 0
        while done < rounds and time.monotonic() < self.deadline:
            rev = self.store_revision()
            delay = self.rng.uniform(0.0, self.full_runtime * 1.05)
            t0 = time.monotonic()
            p = self.start(args)
            try:
                p.wait(timeout=delay)
                finished = True
            except subprocess.TimeoutExpired:
                finished = False
                p.send_signal(signal.SIGKILL)
                p.wait()
            sharded = self.last_sharded
            trace = p.stderr.read().decode(errors="replace")
            p.stdout.close()
            p.stderr.close()
            done += 1
            if finished:
                if p.returncode == 3:  # the previous victim's lock, not yet released
                    time.sleep(0.05)
                    continue
                self.stats["random kills that came too late (run finished)"] += 1
                self.full_runtime = max(0.2, time.monotonic() - t0)
                assert self.counts() == after, f"{args} finished, but {self.counts()}"
                reset()
                continue
            now = self.check_atomic(before, after, f"{args} killed after {delay:.2f}s")
            if now == after and self.store_revision() == rev:
                self.stats["random kills after the index commit"] += 1
            elif now == after:
                self.stats["random kills that came too late (run finished)"] += 1
                reset()
            else:
                self.stats["random kills mid-batch"] += 1
            self.phases[phase_of(trace, sharded, args[0])][1] += 1
        return done

    def kill_at(self, args, point, before, after, sharded=None, may_finish=False):
        """Runs the step with a deterministic kill point; the process must die by SIGKILL
        (or, with may_finish, finish when the run does not pass the point: a sync with nothing
        to delete, a batch small enough to be copied into the index rather than merged).
        Returns what a reader sees after it (before or after)."""
        p = self.start(args, crash_at=point, sharded=sharded)
        _, err = p.communicate(timeout=300)
        if may_finish and p.returncode in (0, 1):
            self.stats["kill points not on the run's way"] += 1
            now = self.counts()
            assert now == after, f"{args} finished, but {now}"
            return now
        if p.returncode != -signal.SIGKILL:
            raise AssertionError(f"{args} with KIOSQUE_CRASH_AT={point} exited {p.returncode}, "
                                 f"not killed: {err.decode()}")
        self.stats["deterministic kill points"] += 1
        self.phases[phase_of(err.decode(errors="replace"), self.last_sharded, args[0])][0] += 1
        return self.check_atomic(before, after, f"{args} killed at {point}")

    def close(self):
        self.tmp.cleanup()


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--articles", type=int, default=3000,
                    help="at most 3,600, so that the counts checked stay exact")
    ap.add_argument("--budget", type=float, default=50.0,
                    help="seconds of random kill rounds at most (the whole test adds ~20 s)")
    ap.add_argument("--rounds", type=int, default=20, help="random kills per step at most")
    ap.add_argument("--matrix", type=int, default=80, help="kills at points of every phase")
    ap.add_argument("--matrix-budget", type=float, default=900.0,
                    help="seconds the kills of every phase may take at most")
    ap.add_argument("--min-kills", type=int, default=100, help="fail below this many kills")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("KIOSQUE_CRASH_SEED", "0"))
                    or random.randrange(1 << 30))
    ARGS = ap.parse_args()
    t_start = time.monotonic()
    print(f"crash test: {ARGS.articles} articles, seed {ARGS.seed} "
          f"(rerun with KIOSQUE_CRASH_SEED={ARGS.seed})", flush=True)
    c = Crash(ARGS.bin_dir, ARGS.articles, ARGS.seed, ARGS.budget)
    try:
        rng = random.Random(ARGS.seed)
        n = ARGS.articles
        expected = {}  # id -> version
        v1 = [make_article(rng, i, 1) for i in range(n)]
        updated = rng.sample(range(n), n // 3)
        v2 = [make_article(rng, i, 2) for i in updated] + \
             [make_article(rng, i, 2) for i in range(n, n + n // 6)]
        a_path = os.path.join(c.tmp.name, "a.jsonl")
        b_path = os.path.join(c.tmp.name, "b.jsonl")
        c_path = os.path.join(c.tmp.name, "c.jsonl")
        write_jsonl(a_path, v1)
        write_jsonl(b_path, v2)
        latest = {a["identifier"]: a for a in v1}
        latest.update({a["identifier"]: a for a in v2})
        ids = sorted(latest)
        gone = set(rng.sample(ids, n // 10))
        again = set(rng.sample([i for i in ids if i not in gone], n // 15))
        export = []
        final = {}
        for i in ids:
            if i in gone:
                continue
            a = make_article(rng, int(i[1:]), 3) if i in again else latest[i]
            export.append(a)
            final[i] = a
        rng.shuffle(export)
        write_jsonl(c_path, export)

        def version_counts(articles):
            out = {2: 0, 3: 0, "articles": len(articles)}
            for a in articles.values():
                v = int(a["headline"][-2])
                if v in out:
                    out[v] += 1
            return out

        state0 = {2: 0, 3: 0, "articles": 0}
        state_a = version_counts({a["identifier"]: a for a in v1})
        state_b = version_counts(latest)
        state_c = version_counts(final)

        # --- A: a first batch of new articles -------------------------------------------
        step = ["add", a_path]
        c.kill_at(step, "articles:1", state0, state_a)
        t0 = time.monotonic()
        c.kill_at(step, f"articles:{n // 2}", state0, state_a)
        c.full_runtime = 2 * (time.monotonic() - t0)
        c.kill_at(step, "index-commit", state0, state_a)

        def wipe():
            subprocess.run(["rm", "-rf", c.db], check=True)

        c.kill_randomly(step, state0, state_a, ARGS.rounds, wipe)
        if c.counts() != state_a:
            c.complete(step)
        # Whatever the kills did, the step is now complete: rerunning it changes nothing.
        assert c.counts() == state_a, c.counts()
        c.run("indexer", "check", check=0)

        # --- B: corrections and new articles ---------------------------------------------
        step = ["add", b_path]
        c.kill_at(step, "open", state_a, state_b)
        c.kill_at(step, "between-commits", state_a, state_b)  # index committed, store behind
        c.kill_at(step, "repair", state_b, state_b)            # the repair itself killed
        # `indexer check` alone repairs what the kills left (exit 1: repaired).
        code, out, err = c.run("indexer", "check")
        assert code == 1, f"check after kills exited {code}: {out}{err}"
        assert "store is at revision" in err, err
        c.run("indexer", "check", check=0)
        assert c.counts() == state_b
        # Then random kills over a step that has to redo everything each time: B was
        # committed, so a fresh copy of it (all unchanged) would be instant; run C instead.

        # --- C: a full export synchronised ------------------------------------------------
        step = ["sync", c_path]
        c.kill_at(step, "sync-delete", state_b, state_c)
        c.kill_at(step, "between-commits", state_b, state_c)
        c.complete(step)  # repairs the store first, then finds the export already in
        c.run("indexer", "check", check=0)
        # C is in: go back to B's content with a sync, then kill C after both commits, before
        # the lock is released: nothing to repair.
        back = os.path.join(c.tmp.name, "back.jsonl")
        write_jsonl(back, list(latest.values()))

        def back_to_b():
            c.complete(["sync", back])
            assert c.counts() == state_b, c.counts()

        back_to_b()
        c.kill_at(step, "store-commit", state_c, state_c)
        c.run("indexer", "check", check=0)
        # Back to B, so that random kills hit a real batch again.
        back_to_b()
        c.kill_randomly(step, state_b, state_c, ARGS.rounds, back_to_b)
        if c.counts() != state_c:
            c.complete(step)

        # --- D: kill points over every phase, syncs back and forth between B and C -----------
        # Each run is killed at a point drawn from every phase's (single thread or sharded),
        # or after a random number of articles; the next one goes from where the kill left it.
        points = [("articles:{k}", False), ("articles:{k}", True), ("part", True), ("merge", True),
                  ("merged", True), ("index-commit", True), ("index-commit", False),
                  ("between-commits", True), ("between-commits", False), ("sync-delete", False),
                  ("sync-delete", True), ("open", False)]
        kills_before = (c.stats["deterministic kill points"] + c.stats["random kills mid-batch"]
                        + c.stats["random kills after the index commit"])
        state = c.counts()
        i = 0
        def kills():
            return (c.stats["deterministic kill points"] + c.stats["random kills mid-batch"]
                    + c.stats["random kills after the index commit"])

        # At least --matrix kills here, and on until the whole test has --min-kills (the random
        # rounds, bounded in time, cover fewer on a loaded machine).
        while (kills() - kills_before < ARGS.matrix or kills() < ARGS.min_kills) and \
                time.monotonic() < c.deadline + ARGS.matrix_budget:
            point, sharded = points[i % len(points)]
            i += 1
            to_b = state == state_c
            step = ["sync", back] if to_b else ["sync", c_path]
            before, after = (state_c, state_b) if to_b else (state_b, state_c)
            state = c.kill_at(step, point.format(k=c.rng.randint(1, n)), before, after, sharded,
                              may_finish=True)
            if point == "between-commits":  # the store is behind: the next run repairs it
                state = after
        # Always run the step to its end, even when the index is at C already: the last runs may
        # have been killed between the commits (or killed again before repairing), leaving the
        # store behind, which only the next run repairs (under load the loop once ended so, and
        # `indexer check` below found the store at revision 40, the index at 41).
        c.complete(["sync", c_path])
        c.run("indexer", "check", check=0)

        # --- Every article, exactly once, latest content ---------------------------------
        code, out, err = c.run("indexer", "check")
        assert code == 0, f"final check exited {code}: {out}{err}"
        assert c.counts() == state_c, (c.counts(), state_c)
        con = sqlite3.connect(f"file:{os.path.join(c.db, 'store.sqlite')}?mode=ro", uri=True)
        rows = dict(con.execute("SELECT id, title FROM articles").fetchall())
        con.close()
        assert set(rows) == set(final), (len(rows), len(final))
        bad = [i for i in final if rows[i] != final[i]["headline"]]
        assert not bad, f"{len(bad)} stored headlines are not the latest, e.g. {bad[:3]}"
        seen = {}
        offset = 0
        while True:
            code, out, err = c.run("search", "--json", "--all", "-n", "100", "--offset",
                                   str(offset), EVERY)
            assert code in (0, 1), err
            hits = json.loads(out)["hits"]
            for h in hits:
                seen.setdefault(h["id"], []).append(h["title"])
            if len(hits) < 100:
                break
            offset += 100
        dupes = [i for i, t in seen.items() if len(t) > 1]
        assert not dupes, f"articles found more than once: {dupes[:5]}"
        assert set(seen) == set(final), (len(seen), len(final))
        stale = [i for i, t in seen.items() if t[0] != final[i]["headline"]]
        assert not stale, f"{len(stale)} articles show an old version, e.g. {stale[:3]}"
        code, out, _ = c.run("indexer", "stats", check=0)
        assert f"articles     {len(final)}\n" in out, out
        # Nothing left of the killed sharded builds: their parts, merged indexes never
        # switched to, or indexes replaced.
        link = os.path.join(c.db, "xapian")
        current = os.readlink(link) if os.path.islink(link) else None
        stale = [n for n in os.listdir(c.db)
                 if n.startswith(("build.", "xapian.")) and n != current]
        assert not stale, f"left behind: {stale}"
        # Xapian's own consistency check of its tables, when xapian-tools is installed.
        xcheck = shutil.which("xapian-check")
        if xcheck:
            p = subprocess.run([xcheck, os.path.join(c.db, "xapian")], capture_output=True,
                               text=True, timeout=300)
            assert p.returncode == 0 and "No errors found" in p.stdout, p.stdout + p.stderr
            print("xapian-check: no errors found")

        kills = (c.stats["random kills mid-batch"] + c.stats["random kills after the index commit"]
                 + c.stats["deterministic kill points"])
        print(f"crash test passed in {time.monotonic() - t_start:.1f}s: {kills} kills "
              f"(seed {ARGS.seed}); every one of {len(final)} articles found exactly once with "
              f"its latest version")
        for k, v in c.stats.items():
            print(f"  {k}: {v}")
        print("  kills by phase (deterministic + random):")
        for ph, (det, rnd) in c.phases.items():
            print(f"    {ph:<20} {det:>4} + {rnd:>3}")
        thin = [ph for ph, (det, rnd) in c.phases.items() if det + rnd < 3 and ph != "store repair"]
        if thin:
            print(f"FAIL: fewer than 3 kills in {thin}")
            return 1
        min_kills = ARGS.min_kills
        if kills < min_kills:
            print(f"FAIL: only {kills} kills in the time budget (want {min_kills})")
            return 1
        return 0
    finally:
        c.close()


if __name__ == "__main__":
    sys.exit(main())
