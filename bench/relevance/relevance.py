#!/usr/bin/python3
"""relevance: Kiosque's relevance benchmark against two baselines.

Indexes the team kit's relevance collection (Wikipedia paragraphs with the
news articles mixed in as distractors) with three engines, runs each query
set as written and again with accents removed and in lower case (as many
people type), scores the top 10 against the TREC qrels and prints one table:

    rows    engine x (as written / no accents)
    columns MRR@10, Recall@10, nDCG@10 and the share of zero-result queries,
            for each query set

Engines:
  kiosque  the real `indexer` and the search library, through the driver
           bench_relevance_kiosque (bench/relevance/kiosque_run.c)
  xapian   Xapian's own defaults: TermGenerator and QueryParser with
           Stem("french"), a SimpleStopper over Snowball's French stop list,
           the query words OR-ed (QueryParser's default operator), no custom
           analysis; headline then body, each indexed once
  fts5     SQLite FTS5, tokenize='unicode61 remove_diacritics 2', columns
           (headline, body), ranked by bm25() with the headline weighted 2,
           the query words each quoted as an FTS5 string and OR-ed

For the baselines the body is the chapô (description, when there is one)
followed by the article body, the text Kiosque indexes too.

Indexes are cached under --cache and rebuilt only when an input file (or,
for Kiosque, the indexer binary) changed.  Runs go to --cache/runs for
failure analysis.  Needs Debian's python3-xapian for the xapian engine
(run with /usr/bin/python3).
"""

import argparse
import gzip
import hashlib
import json
import math
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import time
import unicodedata

CACHE_FORMAT = 2  # bump to rebuild every cached index after a change here

# Snowball's French stop word list (snowball.tartarus.org, BSD licence), the
# list Xapian's documentation points French users to.  Xapian does not fold
# accents, so the words keep theirs.
FRENCH_STOP_WORDS = """
au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui
ma mais me même mes moi mon ne nos notre nous on ou par pas pour qu que qui sa
se ses son sur ta te tes toi ton tu un une vos votre vous c d j l à m n s t y
été étée étées étés étant étante étants étantes suis es est sommes êtes sont
serai seras sera serons serez seront serais serait serions seriez seraient
étais était étions étiez étaient fus fut fûmes fûtes furent sois soit soyons
soyez soient fusse fusses fût fussions fussiez fussent ayant ayante ayantes
ayants eu eue eues eus ai as avons avez ont aurai auras aura aurons aurez
auront aurais aurait aurions auriez auraient avais avait avions aviez avaient
eut eûmes eûtes eurent aie aies ait ayons ayez aient eusse eusses eût eussions
eussiez eussent
""".split()

# Each set: (label, queries, qrels, collection, queries typed without accents
# or None to derive them with strip_accents).
SETS = {
    "piaf": ("PIAF", "piaf.queries.tsv", "piaf.qrels", "mixed", None),
    "fquad-train": ("FQuAD-train", "fquad-train.queries.tsv", "fquad-train.qrels", "mixed", None),
    "news-kw-title": (
        "news-kw-title",
        "news-kw-title.queries.tsv",
        "news-kw-title.qrels",
        "news",
        "news-kw-title.noaccent.queries.tsv",
    ),
    "news-kw-body": (
        "news-kw-body",
        "news-kw-body.queries.tsv",
        "news-kw-body.qrels",
        "news",
        "news-kw-body.noaccent.queries.tsv",
    ),
    "news-chapo": ("news-chapo", "news-chapo.queries.tsv", "news-chapo.qrels", "nochapo", None),
}
# The collections the sets are run on: the question sets on the Wikipedia
# paragraphs with the news mixed in as distractors, the news known-item sets
# on the news corpus alone, the chapô set on the news corpus without its
# chapôs (a chapô found in its own article's description would be trivial).
COLLECTIONS = ("mixed", "news", "nochapo")
ENGINES = ("kiosque", "xapian", "fts5")
VARIANTS = (("written", "as written"), ("noaccent", "no accents"))
DEPTH = 10


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---- collection ------------------------------------------------------------


def read_articles(paths):
    """Yields (identifier, headline, body) for every article of the inputs;
    the body is the chapô (description) followed by the article body."""
    for path in paths:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                a = json.loads(line)
                ident = str(a.get("identifier") or "")
                if not ident:
                    continue
                body = "\n".join(
                    x for x in (a.get("description") or "", a.get("articleBody") or "") if x
                )
                yield ident, a.get("headline") or "", body


def write_without_chapo(src, dest):
    """Copies the news corpus to dest (jsonl.gz) with every description removed."""
    n = 0
    with gzip.open(src, "rt", encoding="utf-8") as fin, gzip.open(dest, "wt", encoding="utf-8") as fout:
        for line in fin:
            line = line.strip()
            if not line:
                continue
            a = json.loads(line)
            a.pop("description", None)
            fout.write(json.dumps(a, ensure_ascii=False) + "\n")
            n += 1
    log(f"{dest}: {n} articles without their chapô")


def file_key(path):
    st = os.stat(path)
    return [os.path.abspath(path), st.st_size, st.st_mtime_ns]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cached(dest, key, build):
    """Builds `dest` with build(tmp_path) unless its stamp matches `key`."""
    stamp = dest + ".stamp"
    want = json.dumps(key, sort_keys=True)
    if os.path.exists(dest) and os.path.exists(stamp):
        with open(stamp) as f:
            if f.read() == want:
                log(f"reusing {dest}")
                return
    for p in (dest, stamp, dest + ".tmp"):
        if os.path.isdir(p):
            shutil.rmtree(p)
        elif os.path.exists(p):
            os.remove(p)
    t0 = time.time()
    log(f"building {dest} ...")
    build(dest + ".tmp")
    os.rename(dest + ".tmp", dest)
    with open(stamp, "w") as f:
        f.write(want)
    log(f"built {dest} in {time.time() - t0:.0f} s")


# ---- queries and qrels -----------------------------------------------------


def read_queries(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if "\t" not in line:
                continue
            qid, text = line.split("\t", 1)
            # A tab or newline inside a query would break the drivers' line format.
            out.append((qid, " ".join(text.split())))
    return out


def read_qrels(path):
    rel = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 4 and int(parts[3]) > 0:
                rel.setdefault(parts[0], set()).add(parts[2])
    return rel


def read_groups(path):
    """Maps each article id of a duplicate group to the group's first id."""
    group = {}
    if not os.path.exists(path):
        return group
    with open(path) as f:
        for line in f:
            ids = [x.strip() for x in line.split(",") if x.strip()]
            for x in ids:
                group.setdefault(x, ids[0])
    return group


def half_of(qid):
    """A or B by a hash of the query id: ranking is tuned on A only, and
    both halves are reported side by side."""
    return "A" if int(hashlib.sha1(qid.encode()).hexdigest(), 16) % 2 == 0 else "B"


def sample(queries, n):
    """The first n queries in the order of a hash of their ids: a fixed,
    spread-out sample (the files are grouped by paragraph, so the first n
    lines would cover few articles)."""
    if not n or n >= len(queries):
        return queries
    keyed = sorted(queries, key=lambda q: hashlib.sha1(q[0].encode()).hexdigest())
    return keyed[:n]


def strip_accents(text):
    """As many people type: no accents, lower case (œ and æ stay letters)."""
    d = unicodedata.normalize("NFD", text)
    d = "".join(c for c in d if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", d).lower()


# ---- scoring ---------------------------------------------------------------


def score(queries, qrels, run, groups, half=None):
    """Mean MRR@10, Recall@10, nDCG@10 (binary gains), the share of queries
    whose relevant document is ranked first and the zero-result share, over
    the queries that have a relevant document (of one half when half is
    given).  A hit in a relevant document's duplicate group counts as that
    document, once: the engines collapse republished copies into one hit."""
    n = mrr = rec = ndcg = zero = top = 0.0
    for qid, _ in queries:
        rel = qrels.get(qid)
        if not rel or (half and half_of(qid) != half):
            continue
        rel = {groups.get(d, d) for d in rel}
        n += 1
        ranked = run.get(qid, [])[:DEPTH]
        if not ranked:
            zero += 1
            continue
        found = set()
        dcg = 0.0
        first = 0
        for i, doc in enumerate(ranked, 1):
            g = groups.get(doc, doc)
            if g in rel and g not in found:
                found.add(g)
                dcg += 1.0 / math.log2(i + 1)
                if not first:
                    first = i
        if first:
            mrr += 1.0 / first
            top += first == 1
        rec += len(found) / len(rel)
        idcg = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(rel), DEPTH) + 1))
        ndcg += dcg / idcg
    if not n:
        return None
    return {
        "n": int(n),
        "mrr": mrr / n,
        "r10": rec / n,
        "ndcg": ndcg / n,
        "first": top / n,
        "zero": zero / n,
    }


def first_rank(ranked, rel, groups):
    """The rank of the first relevant document among the top DEPTH, or 0."""
    rel = {groups.get(d, d) for d in rel}
    for i, doc in enumerate(ranked[:DEPTH], 1):
        if groups.get(doc, doc) in rel:
            return i
    return 0


def best_per_query(queries, qrels, runs, groups):
    """An oracle, not an engine: for each query, the run of whichever engine
    ranks its relevant document highest.  What no ranking of one of them can
    pass unless it beats each of them where it is best: a ceiling for
    choosing between their rankings query by query."""
    best = {}
    for qid, _ in queries:
        rel = qrels.get(qid)
        if not rel:
            continue
        ranks = [(first_rank(r.get(qid, []), rel, groups) or DEPTH + 1, i) for i, r in enumerate(runs)]
        best[qid] = runs[min(ranks)[1]].get(qid, [])
    return best


# ---- Xapian defaults -------------------------------------------------------


def xapian_module():
    try:
        import xapian  # noqa: PLC0415
    except ImportError:
        sys.exit(
            "relevance: the xapian baseline needs Debian's python3-xapian "
            "(apt-get install python3-xapian) run with /usr/bin/python3"
        )
    return xapian


def xapian_stopper(xapian):
    stopper = xapian.SimpleStopper()
    for w in FRENCH_STOP_WORDS:
        stopper.add(w)
    return stopper


def xapian_build(inputs, dest):
    xapian = xapian_module()
    db = xapian.WritableDatabase(dest, xapian.DB_CREATE_OR_OVERWRITE)
    tg = xapian.TermGenerator()
    tg.set_stemmer(xapian.Stem("french"))
    stopper = xapian_stopper(xapian)
    tg.set_stopper(stopper)
    n = 0
    for ident, headline, body in read_articles(inputs):
        doc = xapian.Document()
        tg.set_document(doc)
        tg.index_text(headline)
        tg.increase_termpos()
        tg.index_text(body)
        doc.set_data(ident)
        doc.add_boolean_term("Q" + ident)
        db.replace_document("Q" + ident, doc)
        n += 1
    db.commit()
    db.close()
    log(f"xapian: {n} documents")


def xapian_run(dbpath, queries):
    xapian = xapian_module()
    db = xapian.Database(dbpath)
    qp = xapian.QueryParser()
    qp.set_stemmer(xapian.Stem("french"))
    qp.set_stemming_strategy(xapian.QueryParser.STEM_SOME)
    stopper = xapian_stopper(xapian)
    qp.set_stopper(stopper)
    qp.set_database(db)
    qp.set_default_op(xapian.Query.OP_OR)
    enq = xapian.Enquire(db)
    run = {}
    for qid, text in queries:
        try:
            q = qp.parse_query(text)
        except xapian.QueryParserError:
            q = qp.parse_query(text, 0)  # as plain words, like a forgiving front end
        enq.set_query(q)
        run[qid] = [m.document.get_data().decode() for m in enq.get_mset(0, DEPTH)]
    return run


# ---- SQLite FTS5 -----------------------------------------------------------


def fts5_build(inputs, dest):
    con = sqlite3.connect(dest)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("CREATE TABLE ids(rowid INTEGER PRIMARY KEY, identifier TEXT)")
    con.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(headline, body, "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    n = 0
    for ident, headline, body in read_articles(inputs):
        n += 1
        con.execute("INSERT INTO ids VALUES (?, ?)", (n, ident))
        con.execute("INSERT INTO docs(rowid, headline, body) VALUES (?, ?, ?)", (n, headline, body))
    con.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    con.commit()
    con.close()
    log(f"fts5: {n} documents")


WORD = re.compile(r"\w+")


def fts5_query(text):
    """The query's words, each an FTS5 string (so no word is read as syntax), OR-ed."""
    words = []
    for w in WORD.findall(text):
        if w not in words:
            words.append(w)
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)


def fts5_run(dbpath, queries):
    """Runs the queries in FTS5_PROCESSES processes (FTS5 scores every match
    of an OR query: a question's stop words match most of the collection);
    the run is the same as in one process."""
    if len(queries) < 100 or FTS5_PROCESSES < 2:
        return fts5_run_one(dbpath, queries)
    import multiprocessing  # noqa: PLC0415

    step = (len(queries) + FTS5_PROCESSES - 1) // FTS5_PROCESSES
    parts = [queries[i : i + step] for i in range(0, len(queries), step)]
    with multiprocessing.Pool(len(parts)) as pool:
        runs = pool.starmap(fts5_run_one, [(dbpath, part) for part in parts])
    run = {}
    for r in runs:
        run.update(r)
    return run


FTS5_PROCESSES = os.cpu_count() or 1


def fts5_run_one(dbpath, queries):
    con = sqlite3.connect(dbpath)
    ids = dict(con.execute("SELECT rowid, identifier FROM ids"))
    sql = "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 2.0, 1.0) LIMIT ?"
    run = {}
    for qid, text in queries:
        match = fts5_query(text)
        if not match:
            run[qid] = []
            continue
        run[qid] = [ids[r] for (r,) in con.execute(sql, (match, DEPTH))]
    con.close()
    return run


# ---- Kiosque ---------------------------------------------------------------


def kiosque_build(indexer, inputs, dest):
    proc = subprocess.run([indexer, "--db", dest, "--quiet", "add", *inputs])
    # 1: some lines were rejected, the rest went in (see indexer --help).
    if proc.returncode not in (0, 1):
        sys.exit(f"relevance: {indexer} failed with status {proc.returncode}")
    if proc.returncode == 1:
        log("kiosque: the indexer rejected some lines (see above)")


def kiosque_run(driver, dbpath, queries):
    data = "".join(f"{qid}\t{text}\n" for qid, text in queries)
    proc = subprocess.run(
        [driver, "--db", dbpath, "-n", str(DEPTH)],
        input=data,
        capture_output=True,
        text=True,
    )
    if proc.returncode == 2:
        sys.exit(f"relevance: {driver} failed:\n{proc.stderr}")
    if proc.stderr:
        lines = proc.stderr.splitlines()
        log("\n".join(lines[:5] + ([f"... ({len(lines)} lines)"] if len(lines) > 5 else [])))
    run = {}
    for line in proc.stdout.splitlines():
        qid, doc, _rank = line.split("\t")
        run.setdefault(qid, []).append(doc)
    return run


# ---- runs ------------------------------------------------------------------


def save_run(path, key, queries, run):
    """Writes a run as qid<TAB>docid<TAB>rank lines, and its stamp when key is given."""
    with open(path, "w") as f:
        for qid, _ in queries:
            for rank, doc in enumerate(run.get(qid, []), 1):
                f.write(f"{qid}\t{doc}\t{rank}\n")
    stamp = path + ".stamp"
    if key is None:
        if os.path.exists(stamp):
            os.remove(stamp)
        return
    with open(stamp, "w") as f:
        f.write(json.dumps(key, sort_keys=True))


def load_run(path, key):
    """The run saved at path if it was made from the same index and queries, else None."""
    try:
        with open(path + ".stamp") as f:
            if f.read() != json.dumps(key, sort_keys=True):
                return None
        run = {}
        with open(path) as f:
            for line in f:
                qid, doc, _rank = line.rstrip("\n").split("\t")
                run.setdefault(qid, []).append(doc)
    except OSError:
        return None
    log(f"reusing {path}")
    return run


# ---- main ------------------------------------------------------------------


def fmt_row(label, cells):
    return "| " + " | ".join([label] + cells) + " |"


def print_table(header, rows):
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|")
    for label, cells in rows:
        print(fmt_row(label, cells))


def check_targets(results, engines, sets):
    """Prints the targets of the news-relevance issue, each met or missed by how much."""
    def mrr(e, v, s, h=None):
        r = results.get((e, v, s, h))
        return r["mrr"] if r else None

    lines = []
    have = lambda e: e in engines  # noqa: E731
    for s in ("news-kw-title", "news-kw-body"):
        if s not in sets or not have("kiosque"):
            continue
        for v, vlabel in VARIANTS:
            for h in ("A", "B"):
                k = mrr("kiosque", v, s, h)
                f = mrr("fts5", v, s, h) if have("fts5") else None
                need = max(0.95, f + 0.02) if f is not None else 0.95
                what = f"MRR@10 >= 0.95" + (f" and >= fts5 {f:.3f} + 0.02" if f is not None else "")
                lines.append((f"{s} {vlabel} half {h}", k, need, what))
    if "news-chapo" in sets and have("kiosque"):
        for v, vlabel in VARIANTS:
            k = mrr("kiosque", v, "news-chapo")
            if have("fts5"):
                f = mrr("fts5", v, "news-chapo")
                lines.append((f"news-chapo {vlabel}", k, f + 0.03, f"MRR@10 >= fts5 {f:.3f} + 0.03"))
            z = results[("kiosque", v, "news-chapo", None)]["zero"]
            lines.append((f"news-chapo {vlabel} zero results", -z, 0.0, "no query without results"))
    for s, floor in (("piaf", 0.685), ("fquad-train", 0.705)):
        if s in sets and have("kiosque"):
            lines.append((f"{SETS[s][0]} as written", mrr("kiosque", "written", s), floor, f"MRR@10 >= {floor}"))
    if have("kiosque"):
        for s in sets:
            kw = mrr("kiosque", "written", s)
            kn = mrr("kiosque", "noaccent", s)
            loss = (1 - kn / kw) * 100 if kw else 0.0
            lines.append((f"{SETS[s][0]} accents removed", -loss, -1.0 + 1e-9, "loses < 1% of MRR@10"))
    ok_all = True
    print()
    for label, got, need, what in lines:
        ok = got >= need
        ok_all &= ok
        if "zero" in label:
            shown = f"{-got:.3f} of queries without results"
        elif "accents removed" in label:
            shown = f"loses {-got:.2f}%"
        else:
            shown = f"{got:.3f}" + ("" if ok else f", short by {need - got:.3f}")
        print(f"target {label}: {shown} (need {what}) {'ok' if ok else 'MISSED'}")
    print(f"targets: {'all met' if ok_all else 'not all met'}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eval", required=True, help="the kit's eval directory")
    ap.add_argument("--distractors", required=True, help="the news corpus (jsonl.gz)")
    ap.add_argument("--cache", required=True, help="where indexes and runs are kept")
    ap.add_argument("--indexer", help="Kiosque's indexer binary")
    ap.add_argument("--driver", help="bench_relevance_kiosque binary")
    ap.add_argument("--engines", default=",".join(ENGINES), help="comma list of %(default)s")
    ap.add_argument("--sets", default=",".join(SETS), help="comma list of %(default)s")
    ap.add_argument(
        "--max-queries",
        type=int,
        default=4000,
        help="score at most N queries of each set, a fixed sample; 0: all "
        "(default %(default)s: all of the news sets and PIAF, a sample of FQuAD-train)",
    )
    ap.add_argument("--command", help="the command line to print (run.sh passes its own)")
    args = ap.parse_args()

    engines = [e for e in args.engines.split(",") if e]
    sets = [s for s in args.sets.split(",") if s]
    for e in engines:
        if e not in ENGINES:
            ap.error(f"unknown engine {e}")
    for s in sets:
        if s not in SETS:
            ap.error(f"unknown set {s}")
    if "kiosque" in engines and not (args.driver and args.indexer):
        ap.error("the kiosque engine needs --driver and --indexer")

    command = args.command or " ".join(shlex.quote(a) for a in sys.argv)
    os.makedirs(os.path.join(args.cache, "runs"), exist_ok=True)
    nochapo = os.path.join(args.cache, "news-nochapo.jsonl.gz")
    cached(nochapo, {"format": CACHE_FORMAT, "src": file_key(args.distractors)},
           lambda d: write_without_chapo(args.distractors, d))
    inputs = {
        "mixed": [os.path.join(args.eval, "wiki-fr.jsonl.gz"), args.distractors],
        "news": [args.distractors],
        "nochapo": [nochapo],
    }
    needed = sorted({SETS[s][3] for s in sets})
    groups = read_groups(os.path.join(args.eval, "news-duplicate-groups.csv"))

    dbs = {}
    indexer_key = sha256_file(args.indexer) if "kiosque" in engines else None
    for c in needed:
        base_key = {"format": CACHE_FORMAT, "inputs": [file_key(p) for p in inputs[c]]}
        if "xapian" in engines:
            dbs["xapian", c] = os.path.join(args.cache, f"xapian-{c}")
            cached(dbs["xapian", c], dict(base_key, engine="xapian"),
                   lambda d, c=c: xapian_build(inputs[c], d))
        if "fts5" in engines:
            dbs["fts5", c] = os.path.join(args.cache, f"fts5-{c}.sqlite")
            cached(dbs["fts5", c], dict(base_key, engine="fts5"),
                   lambda d, c=c: fts5_build(inputs[c], d))
        if "kiosque" in engines:
            dbs["kiosque", c] = os.path.join(args.cache, f"kiosque-{c}")
            cached(dbs["kiosque", c], dict(base_key, engine="kiosque", indexer=indexer_key),
                   lambda d, c=c: kiosque_build(args.indexer, inputs[c], d))

    runners = {
        "kiosque": lambda db, qs: kiosque_run(args.driver, db, qs),
        "xapian": xapian_run,
        "fts5": fts5_run,
    }

    results = {}  # (engine, variant, set, half or None) -> scores
    kept = {}  # (engine, variant, set) -> (queries, qrels, run)
    counts = {}
    timing = {}
    for s in sets:
        _, qfile, rfile, coll, noaccent_file = SETS[s]
        qrels = read_qrels(os.path.join(args.eval, rfile))
        written = sample(read_queries(os.path.join(args.eval, qfile)), args.max_queries)
        total = sum(1 for _ in open(os.path.join(args.eval, qfile), encoding="utf-8"))
        counts[s] = (len(written), total)
        for variant, _ in VARIANTS:
            if variant == "written":
                qs = written
            elif noaccent_file:
                # The kit's own unaccented queries, under the same ids.
                typed = dict(read_queries(os.path.join(args.eval, noaccent_file)))
                qs = [(q, typed[q]) for q, _ in written if q in typed]
            else:
                qs = [(q, strip_accents(t)) for q, t in written]
            for e in engines:
                db = dbs[e, coll]
                path = os.path.join(args.cache, "runs", f"{e}.{s}.{variant}.tsv")
                t0 = time.time()
                # The baselines do not change between runs: their runs are
                # kept with a stamp of the index and queries they came from.
                key = None
                run = None
                if e != "kiosque":
                    key = {
                        "db": open(db + ".stamp").read(),
                        "queries": hashlib.sha1(repr(qs).encode()).hexdigest(),
                    }
                    run = load_run(path, key)
                if run is None:
                    run = runners[e](db, qs)
                timing[(e, variant, s)] = time.time() - t0
                for h in (None, "A", "B"):
                    results[(e, variant, s, h)] = score(qs, qrels, run, groups, h)
                save_run(path, key, qs, run)
                kept[(e, variant, s)] = (qs, qrels, run)
                r = results[(e, variant, s, None)]
                log(
                    f"{e:8} {s:14} {variant:9} MRR@10 {r['mrr']:.3f} (A {results[(e, variant, s, 'A')]['mrr']:.3f}"
                    f" B {results[(e, variant, s, 'B')]['mrr']:.3f}) R@10 {r['r10']:.3f} "
                    f"first {r['first']:.3f} zero {r['zero']:.3f} "
                    f"({len(qs)} queries, {timing[(e, variant, s)]:.0f} s)"
                )

    # Best of each query's engines, beside the engines (see best_per_query).
    oracles = []
    if "kiosque" in engines and "fts5" in engines:
        oracles.append(("best of kiosque, fts5 per query", ["kiosque", "fts5"]))
    if len(engines) == 3:
        oracles.append(("best of all 3 per query", engines))
    for label, of in oracles:
        for s in sets:
            for variant, _ in VARIANTS:
                qs, qrels, _ = kept[(of[0], variant, s)]
                run = best_per_query(qs, qrels, [kept[(e, variant, s)][2] for e in of], groups)
                for h in (None, "A", "B"):
                    results[(label, variant, s, h)] = score(qs, qrels, run, groups, h)

    print(f"command: {command}")
    print(
        "collections: PIAF and FQuAD on wiki-fr.jsonl.gz paragraphs + the news corpus as "
        "distractors; news-kw-* on the news corpus; news-chapo on the news corpus without its "
        f"chapôs. Top {DEPTH} scored; a hit in the relevant article's duplicate group counts as it; "
        "halves A and B by a hash of the query id (ranking tuned on A only)."
    )
    for s in sets:
        n, total = counts[s]
        how = "all" if n == total else f"fixed sample (--max-queries {args.max_queries})"
        print(f"{SETS[s][0]}: {n} of {total} queries, {how}")
    print()
    header = ["engine / queries"] + [f"{SETS[s][0]} MRR@10" for s in sets]
    rows = []
    for e in engines + [label for label, _ in oracles]:
        for variant, vlabel in VARIANTS:
            rows.append((f"{e} {vlabel}", [f"{results[(e, variant, s, None)]['mrr']:.3f}" for s in sets]))
    print_table(header, rows)
    for s in sets:
        print(f"\n{SETS[s][0]}")
        header = ["engine / queries", "MRR@10 A", "MRR@10 B", "MRR@10", "R@10", "nDCG@10", "first", "zero"]
        rows = []
        for e in engines + [label for label, _ in oracles]:
            for variant, vlabel in VARIANTS:
                r = results[(e, variant, s, None)]
                cells = [f"{results[(e, variant, s, h)]['mrr']:.3f}" for h in ("A", "B")]
                cells += [f"{r[m]:.3f}" for m in ("mrr", "r10", "ndcg", "first", "zero")]
                rows.append((f"{e} {vlabel}", cells))
        print_table(header, rows)

    check_targets(results, engines, sets)
    took = ", ".join(
        f"{e} {sum(t for (e2, _, _), t in timing.items() if e2 == e):.0f} s" for e in engines
    )
    print(f"query time: {took}")


if __name__ == "__main__":
    main()
