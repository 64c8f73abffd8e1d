#!/usr/bin/env bash
# bench/identical/run.sh BUILD_BEFORE BUILD_AFTER
#
# Proves that a change did not change what readers get: each build indexes the same archive
# into its own database with its own indexer, then its `search --json` answers a fixed list of
# queries (the first KQ_IDENTICAL_N queries of every dev set in ../shared/eval, each plain and
# with options: facets, sorted by date, a second page, copies shown, a section filter, related
# articles); the two replies of each query are compared with took_ms removed, and every
# difference is printed, as are differences in what the two indexers said (rejected lines and
# pages) and in the rows of their stores (document ids, content hashes, metadata).  Exit status 0: every reply identical; 1: some differ; 2: error.
#
# The archive is corpus/, tests/fixtures/articles and tests/fixtures/pages (JSON Lines, JSON,
# rejected lines, published pages, pages that are not articles), or
# KQ_IDENTICAL_CORPUS (e.g. ../shared/corpus/orangesum-fr.jsonl.gz, 36k articles).
# KQ_IDENTICAL_OUT (bench/out/identical) keeps the databases and the replies.
# Skips (77) when ../shared/eval is absent.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -eq 2 ] || { echo "usage: $0 BUILD_BEFORE BUILD_AFTER" >&2; exit 2; }
BEFORE=$(cd "$1" && pwd)
AFTER=$(cd "$2" && pwd)
EVAL=$ROOT/../shared/eval
OUT=${KQ_IDENTICAL_OUT:-$ROOT/bench/out/identical}
N=${KQ_IDENTICAL_N:-40}
[ -d "$EVAL" ] || { echo "SKIP: the dev sets $EVAL are absent"; exit 77; }
if [ -n "${KQ_IDENTICAL_CORPUS:-}" ]; then
  INPUTS=("$KQ_IDENTICAL_CORPUS")
else
  INPUTS=("$ROOT/corpus" "$ROOT/tests/fixtures/articles" "$ROOT/tests/fixtures/pages")
fi
rm -rf "$OUT/before" "$OUT/after"
mkdir -p "$OUT/before" "$OUT/after"

# The queries, one a line: the first N of every set.
QUERIES=$OUT/queries.txt
: >"$QUERIES"
for set in piaf fquad-train news-kw-title news-kw-body news-kw-title.noaccent news-kw-body.noaccent news-chapo; do
  head -n "$N" "$EVAL/$set.queries.tsv" | cut -f2 >>"$QUERIES"
done
printf '%s\n' '"premier ministre"' 'intellig*' 'titre:(mistral OR deepseek)' 'date:2024..2025 budget' \
  'retraites -réforme' 'intelligance artificielle' 'cote' 'côte' >>"$QUERIES"

# answers BUILD DIR: indexes the archive, then writes DIR/replies.txt, one "options<TAB>reply" a line.
answers() {
  local build=$1 dir=$2 db=$2/db
  local rc=0
  "$build/indexer" --db "$db" --quiet add "${INPUTS[@]}" >"$dir/indexer.log" 2>&1 || rc=$?
  [ "$rc" -le 1 ] || { cat "$dir/indexer.log" >&2; echo "error: $build/indexer failed" >&2; exit 2; }
  local ids
  ids=$("$build/search" --db "$db" --json -n 5 --sort date "" 2>/dev/null |
    python3 -c 'import json,sys; print(" ".join(h["id"] for h in json.load(sys.stdin)["hits"]))' || true)
  local section
  section=$("$build/search" --db "$db" --json --facets -n 1 "" 2>/dev/null |
    python3 -c 'import json,sys; s=json.load(sys.stdin).get("facets",{}).get("section",{}); print(max(s, key=s.get) if s else "")' || true)
  python3 - "$build/search" "$db" "$QUERIES" "$section" "$ids" >"$dir/replies.txt" <<'PY'
import json, subprocess, sys
search, db, queries, section, ids = sys.argv[1:6]
variants = [[], ["--facets"], ["--sort", "date"], ["-n", "5", "--offset", "5"], ["--all"]]
if section:
    variants.append(["--section", section])
def run(args):
    p = subprocess.run([search, "--db", db, "--json"] + args, capture_output=True, text=True)
    out = p.stdout
    try:
        r = json.loads(out)
        r.pop("took_ms", None)
        out = json.dumps(r, ensure_ascii=False, sort_keys=False)
    except ValueError:
        pass
    print(json.dumps(args, ensure_ascii=False) + "\t" + str(p.returncode) + "\t" + out.replace("\n", "\\n")
          + "\t" + p.stderr.replace("\n", "\\n"))
for q in open(queries, encoding="utf-8").read().splitlines():
    for v in variants:
        run(v + ["--", q])
for i in ids.split():
    run(["--related", i])
    run(["--duplicates-of", i, ""])
PY
}

echo "archive: ${INPUTS[*]}; $(wc -l <"$QUERIES") queries from $EVAL (first $N of each set)"
answers "$BEFORE" "$OUT/before"
answers "$AFTER" "$OUT/after"
total=$(wc -l <"$OUT/after/replies.txt")
if ! cmp -s "$OUT/before/indexer.log" "$OUT/after/indexer.log"; then
  diff "$OUT/before/indexer.log" "$OUT/after/indexer.log" | head -20
  echo "DIFFERENT: the indexers' messages differ ($OUT/before/indexer.log, $OUT/after/indexer.log)"
  exit 1
fi
# What the store recorded (ids, document ids, content hashes): the hashes are kept on disk.
for side in before after; do
  python3 -c 'import sqlite3,sys
for r in sqlite3.connect(sys.argv[1]).execute("SELECT id, docid, hash, title, date, authors, sections FROM articles ORDER BY id"):
    print(*r, sep="\t")' "$OUT/$side/db/store.sqlite" >"$OUT/$side/store.txt"
done
# The duplicate keys stored in the index (value slot 2, document.h), when xapian-delve is there.
if command -v xapian-delve >/dev/null; then
  for side in before after; do
    xapian-delve -V2 "$OUT/$side/db/xapian" >>"$OUT/$side/store.txt"
  done
fi
if ! cmp -s "$OUT/before/store.txt" "$OUT/after/store.txt"; then
  diff "$OUT/before/store.txt" "$OUT/after/store.txt" | head -20
  echo "DIFFERENT: the stores' rows differ ($OUT/before/store.txt, $OUT/after/store.txt)"
  exit 1
fi
if cmp -s "$OUT/before/replies.txt" "$OUT/after/replies.txt"; then
  echo "identical: the indexer's $(wc -l <"$OUT/after/indexer.log") lines of messages, $(wc -l <"$OUT/after/store.txt") store rows and duplicate keys (ids, document ids, content hashes) and $total replies of search --json (took_ms aside), $BEFORE against $AFTER"
  exit 0
fi
diff "$OUT/before/replies.txt" "$OUT/after/replies.txt" | head -40
echo "DIFFERENT: $(diff "$OUT/before/replies.txt" "$OUT/after/replies.txt" | grep -c '^>') of $total replies differ ($OUT/before/replies.txt, $OUT/after/replies.txt)"
exit 1
