#!/usr/bin/env python3
"""The publishing workflow end to end: sync of full exports, published pages, one writer,
readers during commits, read-only and full disks, bad input and `indexer check`
(indexer/PUBLISHING.md lists each case and its outcome)."""
import argparse
import gzip
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kiosque_e2e import Programs  # noqa: E402

ARGS = None
SUMMARY = re.compile(r"added (\d+), updated (\d+), unchanged (\d+), rejected (\d+)"
                     r"(?:, deleted (\d+))?")


def counts(stderr):
    """(added, updated, unchanged, rejected[, deleted]) from the indexer's summary."""
    m = SUMMARY.search(stderr)
    assert m, f"no summary in: {stderr}"
    return tuple(int(x) for x in m.groups() if x is not None)


def article(i, headline, body="", **kw):
    a = {"@type": "NewsArticle", "identifier": i, "headline": headline, "articleBody": body}
    a.update(kw)
    return a


def jsonl(*articles):
    return "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles)


class Base(unittest.TestCase):
    def setUp(self):
        self.p = Programs(ARGS.bin_dir)
        self.fix = ARGS.fixtures
        self.tmp = self.p.tmp.name

    def tearDown(self):
        self.p.close()

    def write(self, name, content):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content if isinstance(content, bytes) else content.encode("utf-8"))
        return path

    def publish(self, name):
        return os.path.join(self.fix, "publish", name)

    def page(self, name):
        return os.path.join(self.fix, "pages", name)

    def hits(self, *query):
        return self.p.search_json("--all", "-n", "100", *query)["hits"]

    def ids(self, *query):
        return sorted(h["id"] for h in self.hits(*query))

    def revision(self):
        code, out, err = self.p.indexer("stats", check=0)
        return int(re.search(r"revision\s+(\d+)", out).group(1))

    def articles(self):
        code, out, err = self.p.indexer("stats", check=0)
        return int(re.search(r"articles\s+(\d+)", out).group(1))

    def check_consistent(self):
        code, out, err = self.p.indexer("check")
        self.assertEqual(code, 0, out + err)
        self.assertIn("consistent   yes", out)


# --- sync: the index follows a full export exactly ---------------------------------------

class Sync(Base):
    def setUp(self):
        super().setUp()
        code, _, err = self.p.indexer("add", self.publish("export-v1.jsonl"))
        self.assertEqual(code, 0, err)
        self.all_v1 = [f"p{i}" for i in range(1, 9)]

    def test_sync_adds_updates_and_deletes_in_one_commit(self):
        rev = self.revision()
        code, _, err = self.p.indexer("sync", self.publish("export-v2.jsonl"))
        self.assertEqual(code, 0, err)
        self.assertEqual(counts(err), (1, 2, 4, 0, 2))
        self.assertEqual(self.revision(), rev + 1, "one commit for the whole sync")
        self.assertEqual(self.ids("Orchestre"), [])          # p3 unpublished
        self.assertEqual(self.ids("rocade"), [])             # p7 unpublished
        self.assertEqual(self.ids("replantés"), ["p9"])      # new
        self.assertEqual(self.ids("Correctif"), ["p2"])      # corrected body
        self.assertEqual([h["title"] for h in self.hits("Carhaix")],
                         ["Maternité de Carhaix : la fermeture prolongée jusqu'en septembre"])
        self.assertEqual(self.articles(), 7)
        self.check_consistent()

    def test_sync_of_the_same_export_changes_nothing(self):
        rev = self.revision()
        code, _, err = self.p.indexer("sync", self.publish("export-v1.jsonl"))
        self.assertEqual(code, 0, err)
        self.assertEqual(counts(err), (0, 0, 8, 0, 0))
        self.assertEqual(self.revision(), rev, "nothing changed: no new revision")

    def test_rejected_line_keeps_absent_articles_unless_forced(self):
        with open(self.publish("export-v2.jsonl"), encoding="utf-8") as f:
            export = f.read()
        path = self.write("v2-bad.jsonl", export + '{"identifier": "p3", "headline": \n')
        code, _, err = self.p.indexer("sync", path)
        self.assertEqual(code, 1, err)
        self.assertIn("v2-bad.jsonl:8: rejected: invalid JSON", err)
        self.assertIn("kept 2 articles absent from the export", err)
        self.assertIn("rejected line", err)
        self.assertEqual(counts(err), (1, 2, 4, 1, 0))
        self.assertEqual(self.ids("Orchestre"), ["p3"], "nothing deleted")
        self.assertEqual(self.ids("replantés"), ["p9"], "adds and updates still go in")
        code, _, err = self.p.indexer("sync", "--force", path)
        self.assertEqual(code, 1, err)                        # the line is still rejected
        self.assertEqual(counts(err), (0, 0, 7, 1, 2))
        self.assertEqual(self.ids("Orchestre"), [])
        self.check_consistent()

    def test_empty_export_deletes_nothing(self):
        empty = self.write("empty.jsonl", "")
        code, _, err = self.p.indexer("sync", empty)
        self.assertEqual(code, 2, err)
        self.assertIn("holds no article", err)
        self.assertIn("kept 8 articles", err)
        self.assertEqual(self.articles(), 8)
        code, _, err = self.p.indexer("sync", "--force", empty)
        self.assertEqual(code, 0, err)
        self.assertEqual(self.articles(), 0)

    def test_unreadable_export_deletes_nothing(self):
        code, _, err = self.p.indexer("sync", os.path.join(self.tmp, "absent.jsonl"))
        self.assertEqual(code, 2, err)
        self.assertIn("absent.jsonl", err)
        self.assertEqual(self.articles(), 8)

    def test_truncated_gzip_export_deletes_nothing(self):
        with open(self.publish("export-v2.jsonl"), "rb") as f:
            data = gzip.compress(f.read())
        path = self.write("cut.jsonl.gz", data[: len(data) // 2])
        code, _, err = self.p.indexer("sync", path)
        self.assertEqual(code, 2, err)
        self.assertIn("kept", err)
        self.assertEqual(self.ids("Orchestre"), ["p3"])
        self.check_consistent()

    def test_export_that_would_delete_everything_is_refused(self):
        only = self.write("only.jsonl", jsonl(article("p99", "Un seul article", "Texte seul.")))
        code, _, err = self.p.indexer("sync", only)
        self.assertEqual(code, 1, err)
        self.assertIn("every article", err)
        self.assertEqual(self.articles(), 9)
        code, _, err = self.p.indexer("sync", "--force", only)
        self.assertEqual(code, 0, err)
        self.assertEqual(counts(err), (0, 0, 1, 0, 8))
        self.assertEqual(self.articles(), 1)

    def test_export_missing_most_of_a_larger_archive_is_refused(self):
        many = [article(f"m{i}", f"Brève numéro {i}", "Texte de brève.") for i in range(30)]
        self.p.indexer("add", self.write("many.jsonl", jsonl(*many)), check=0)
        part = self.write("part.jsonl", jsonl(*many[:5]))
        code, _, err = self.p.indexer("sync", part)
        self.assertEqual(code, 1, err)
        self.assertIn("more than half", err)
        self.assertEqual(self.articles(), 38)
        code, _, err = self.p.indexer("sync", "--force", part)
        self.assertEqual(code, 0, err)
        self.assertEqual(self.articles(), 5)

    def test_sync_of_a_small_change_needs_no_force(self):
        # Unpublishing a few articles of an export is the normal case.
        with open(self.publish("export-v1.jsonl"), encoding="utf-8") as f:
            lines = f.read().splitlines(True)
        code, _, err = self.p.indexer("sync", self.write("minus.jsonl", "".join(lines[:6])))
        self.assertEqual(code, 0, err)
        self.assertEqual(counts(err), (0, 0, 6, 0, 2))

    def test_sync_needs_a_file(self):
        code, _, err = self.p.indexer("sync")
        self.assertEqual(code, 2)
        self.assertIn("needs at least one file", err)


# --- published pages ------------------------------------------------------------------------

class Pages(Base):
    def test_a_folder_of_pages_and_exports_recursively(self):
        site = os.path.join(self.tmp, "site")
        os.makedirs(os.path.join(site, "brest", "2025"))
        os.makedirs(os.path.join(site, "gers"))
        os.makedirs(os.path.join(site, ".cache"))
        shutil.copy(self.page("jsonld-news.html"), os.path.join(site, "brest", "2025", "tram.html"))
        shutil.copy(self.page("jsonld-graph.html"), os.path.join(site, "gers", "nappes.htm"))
        shutil.copy(self.page("opengraph.html"), os.path.join(site, "budget.HTML"))
        shutil.copy(self.page("website.html"), os.path.join(site, "index.html"))
        shutil.copy(self.page("plain.html"), os.path.join(site, ".cache", "hidden.html"))
        shutil.copy(self.publish("export-v1.jsonl"), os.path.join(site, "export.jsonl"))
        with open(os.path.join(site, "notes.txt"), "w") as f:
            f.write("pas un article")
        code, _, err = self.p.indexer("add", site)
        self.assertEqual(code, 0, err)
        self.assertRegex(err, r"index\.html: rejected: not an article: no article text: the page "
                              r"is mostly links")
        self.assertIn("not articles 1 (pages without an article)", err)
        self.assertEqual(counts(err), (11, 0, 0, 0))
        self.assertEqual(self.ids("tramway"), ["cp-4471"])
        self.assertEqual(self.ids("nappes"), ["https://coteaux.example/gers/secheresse-nappes/#article"])
        self.assertEqual(self.ids("Sénat"),
                         ["https://quotidien-soir.example/politique/budget-recettes-9921"])
        hit = self.hits("nappes")[0]
        self.assertEqual(hit["author"], "Mathieu Castaing")
        self.assertEqual(hit["date"][:10], "2025-08-19")
        budget = self.hits("Sénat")[0]
        self.assertEqual(budget["author"], "Claire Dubreuil, Antoine Mercier")
        self.assertEqual(budget["section"], "Politique")
        self.assertEqual(budget["url"], "https://quotidien-soir.example/politique/budget-recettes-9921")
        # Boilerplate is not article text.
        for word in ("inquiets", "Facebook", "newsletter", "Météo", "Canicule", "commentaires",
                     "piscines", "Accueil", "calendrier", "partagés"):
            self.assertEqual(self.ids(word), [], f"{word!r} comes from boilerplate")
        self.assertEqual(self.ids("Erquy"), [], "hidden folders are skipped")
        self.check_consistent()

    def test_a_folder_of_mixed_pages_reports_each_rejected_page(self):
        # Articles go in; a home page, a 404 page, a binary file and a page
        # without headline are each reported with their reason.
        site = os.path.join(self.tmp, "mixed")
        os.makedirs(site)
        shutil.copy(self.page("jsonld-news.html"), os.path.join(site, "tram.html"))
        shutil.copy(self.page("cms-article.html"), os.path.join(site, "maree-verte.html"))
        shutil.copy(self.page("website.html"), os.path.join(site, "index.html"))
        shutil.copy(self.page("notfound.html"), os.path.join(site, "404.html"))
        with open(os.path.join(site, "photo.html"), "wb") as f:
            f.write(random.Random(5).randbytes(1024))
        with open(os.path.join(site, "sans-titre.html"), "w", encoding="utf-8") as f:
            f.write("<html><body><article><p>Un article sans titre, publié par erreur sur le "
                    "site.</p></article></body></html>")
        code, _, err = self.p.indexer("add", site)
        self.assertEqual(code, 1, err)
        self.assertRegex(err, r"index\.html: rejected: not an article: .*mostly links")
        self.assertRegex(err, r"404\.html: rejected: not an article: .*too little text")
        self.assertRegex(err, r"photo\.html: rejected: binary data")
        self.assertRegex(err, r"sans-titre\.html: rejected: no headline")
        self.assertEqual(counts(err), (2, 0, 0, 2))
        self.assertIn("not articles 2 (pages without an article)", err)
        self.assertEqual(self.ids("hydrogène sulfuré"),
                         ["https://courrier-ponant.example/bretagne/maree-verte-plages#article"])
        for word in ("newsletter", "Erreur", "cookies", "commentaires", "Facebook"):
            self.assertEqual(self.ids(word), [], f"{word!r} comes from boilerplate")
        self.check_consistent()

    def test_a_page_of_web_components_is_found_by_its_headline_not_its_boxes(self):
        # The reader's <h1> (not the og:title) is found; the inline teaser, the
        # calls to action and the related box of custom elements are not.
        self.p.indexer("add", self.page("component-article.html"), check=0)
        url = "https://echo-cornouaille.example/quimper/marche-couvert-reouverture-2291"
        self.assertEqual(self.ids('"Halles Saint-François accueillent"'), [url])
        self.assertEqual(self.ids("charpente chêne verrière"), [url])
        for words in ("zones bleues", "téléchargez", "Kéréon", "photos"):
            self.assertEqual(self.ids(words), [], f"{words!r} comes from a box")

    def test_extract_prints_what_add_would_index(self):
        code, out, err = self.p.indexer("extract", self.page("cms-article.html"),
                                        self.page("notfound.html"), check=None)
        self.assertEqual(code, 1, err)
        lines = out.splitlines()
        self.assertEqual(len(lines), 1, out)
        a = json.loads(lines[0])
        self.assertEqual(a["headline"], "Marée verte : Saint-Brieuc ferme trois plages")
        self.assertEqual(a["kiosqueBodyFrom"], '<article class="post">')
        self.assertTrue(a["kiosqueFile"].endswith("cms-article.html"))
        self.assertIn("compostées à Lantic", a["articleBody"])
        self.assertNotIn("newsletter", a["articleBody"])
        self.assertRegex(err, r"notfound\.html: rejected: not an article")
        # The output is an export: added as such, it gives the same article.
        self.p.indexer("add", self.write("extract.jsonl", out), check=0)
        code, _, err = self.p.indexer("add", self.page("cms-article.html"))
        self.assertEqual(counts(err), (0, 0, 1, 0), "same content hash: unchanged")

    def test_sync_of_a_folder_of_pages(self):
        # Home and section pages are skipped, not rejected: they do not stop a sync.
        site = os.path.join(self.tmp, "site")
        os.makedirs(site)
        for name in ("jsonld-news.html", "opengraph.html", "plain.html", "website.html"):
            shutil.copy(self.page(name), os.path.join(site, name))
        self.p.indexer("add", site, check=0)
        os.remove(os.path.join(site, "plain.html"))
        code, _, err = self.p.indexer("sync", site)
        self.assertEqual(code, 0, err)
        self.assertEqual(counts(err), (0, 0, 2, 0, 1))
        self.assertEqual(self.ids("Erquy"), [])
        self.assertEqual(self.articles(), 2)

    def test_republishing_a_page(self):
        page = self.page("jsonld-news.html")
        code, _, err = self.p.indexer("add", page)
        self.assertEqual((code, counts(err)), (0, (1, 0, 0, 0)), err)
        code, _, err = self.p.indexer("add", page)
        self.assertEqual((code, counts(err)), (0, (0, 0, 1, 0)), err)
        with open(page, encoding="utf-8") as f:
            html = f.read()
        edited = self.write("tram.html", html.replace("deux ans", "trente mois"))
        code, _, err = self.p.indexer("add", edited)
        self.assertEqual((code, counts(err)), (0, (0, 1, 0, 0)), err)
        self.assertEqual(self.ids("trente mois"), ["cp-4471"])
        self.assertEqual(self.articles(), 1)

    def test_page_and_export_of_the_same_article_agree(self):
        self.p.indexer("add", self.publish("tramway.jsonl"), check=0)
        code, _, err = self.p.indexer("add", self.page("jsonld-news.html"))
        self.assertEqual(counts(err), (0, 0, 1, 0), "same content hash: unchanged")

    def test_page_without_identifier_is_known_by_its_path(self):
        self.p.indexer("add", self.page("plain.html"), check=0)
        self.assertEqual(self.ids("Erquy"), [os.path.realpath(self.page("plain.html"))])

    def test_latin1_page_is_repaired(self):
        html = ("<html><head><meta charset='iso-8859-1'><title>Été à Sète : la joute "
                "reportée</title><link rel='canonical' href='https://sete.example/joute'>"
                "</head><body><article><p>Le mistral a soufflé à 90 km/h, les jouteurs "
                "attendront.</p></article></body></html>").encode("latin-1")
        code, _, err = self.p.indexer("add", self.write("joute.html", html))
        self.assertEqual(code, 0, err)
        hits = self.hits("soufflé")
        self.assertEqual([h["title"] for h in hits], ["Été à Sète : la joute reportée"])
        self.assertEqual(hits[0]["id"], "https://sete.example/joute")

    def test_binary_file_named_html_is_rejected(self):
        blob = random.Random(3).randbytes(2048)
        code, _, err = self.p.indexer("add", self.write("photo.html", blob))
        self.assertEqual(code, 1, err)
        self.assertIn("photo.html: rejected: binary data", err)


# --- one writer ------------------------------------------------------------------------------

class OneWriter(Base):
    def test_second_indexer_gets_exit_3_and_who_holds_the_lock(self):
        first = subprocess.Popen([os.path.join(ARGS.bin_dir, "indexer"), "--db", self.p.db,
                                  "add", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        try:
            lock = os.path.join(self.p.db, "writer.lock")
            for _ in range(200):
                if os.path.exists(lock) and os.path.getsize(lock) > 0:
                    break
                time.sleep(0.02)
            code, _, err = self.p.indexer("add", self.publish("export-v1.jsonl"))
            self.assertEqual(code, 3, err)
            self.assertIn(f"pid {first.pid}", err)
            self.assertRegex(err, r"since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
            code, _, err = self.p.indexer("sync", self.publish("export-v1.jsonl"))
            self.assertEqual(code, 3, err)
            code, _, err = self.p.indexer("check")
            self.assertEqual(code, 3, err)
            self.assertIn(f"pid {first.pid}", err)
            out, err = first.communicate(jsonl(article("w1", "Le premier écrivain",
                                                       "Il tenait le verrou.")).encode(), timeout=60)
            self.assertEqual(first.returncode, 0, err)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
        self.assertEqual(self.ids("verrou"), ["w1"])
        self.assertFalse(os.path.exists(lock), "the lock note goes with its writer")
        self.check_consistent()


# --- readers during commits --------------------------------------------------------------------

class ReadersDuringWrites(Base):
    def test_search_never_fails_while_the_indexer_commits(self):
        self.p.indexer("add", self.publish("export-v1.jsonl"), check=0)
        stop = threading.Event()
        errors, searches = [], [0]

        def reader():
            while not stop.is_set():
                code, out, err = self.p.search("--json", "Quimper")
                searches[0] += 1
                if code not in (0, 1) or err.strip():
                    errors.append((code, err))
                elif json.loads(out)["total"] < 1:
                    errors.append((code, "an article committed earlier went missing"))

        threads = [threading.Thread(target=reader) for _ in range(2)]
        for t in threads:
            t.start()
        lags = []
        try:
            animals = ("abricot baleine cerisier dauphin escargot flamant girafe hibou iguane "
                       "jaguar koala lama marmotte narval ocelot").split()
            for i, word in enumerate(animals):
                path = self.write(f"c{i}.jsonl", jsonl(
                    article(f"c{i}", f"Dépêche numéro {i} de Quimper", f"Texte {word}."),
                    article(f"p{1 + i % 8}", f"Correction {i} du titre", "Corps corrigé.")))
                self.p.indexer("add", path, check=0)
                t0 = time.monotonic()
                while self.ids(word) != [f"c{i}"]:
                    self.assertLess(time.monotonic() - t0, 1.0, f"{word} not visible after 1 s")
                lags.append(time.monotonic() - t0)
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(errors, [], f"{len(errors)} failed searches of {searches[0]}")
        self.assertGreater(searches[0], len(animals))
        print(f"\n  {searches[0]} searches during {len(animals)} commits, no error; new articles visible "
              f"after at most {max(lags) * 1000:.0f} ms", file=sys.stderr)


# --- read-only and full disks ----------------------------------------------------------------

def mount(*args):
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


class DiskErrors(Base):
    def test_read_only_database(self):
        src = os.path.join(self.tmp, "src")
        ro = os.path.join(self.tmp, "ro")
        os.makedirs(ro)
        db = os.path.join(src, "db")
        self.p.run("indexer", "--db", db, "add", self.publish("export-v1.jsonl"), db=False, check=0)
        if not mount("--bind", src, ro):
            self.skipTest("cannot bind-mount (needs root or CAP_SYS_ADMIN)")
        try:
            if not mount("-o", "remount,bind,ro", ro):
                self.skipTest("cannot remount read-only")
            rodb = os.path.join(ro, "db")
            more = self.write("more.jsonl", jsonl(article("r1", "Nouvelle dépêche", "Texte.")))
            code, _, err = self.p.run("indexer", "--db", rodb, "add", more, db=False)
            self.assertEqual(code, 2, err)
            self.assertIn("read-only file system or not writable", err)
            code, out, err = self.p.run("search", "--db", rodb, "Quimper", db=False)
            self.assertEqual(code, 0, err)
            self.assertIn("Quimper", out)
            code, out, err = self.p.run("indexer", "--db", rodb, "check", db=False)
            self.assertEqual(code, 0, out + err)
            self.assertIn("checking read-only", err)
            code, out, err = self.p.run("indexer", "--db", rodb, "stats", db=False)
            self.assertEqual(code, 0, err)
            self.assertRegex(out, r"articles\s+8\b")
        finally:
            subprocess.run(["umount", ro])

    def test_disk_full(self):
        mnt = os.path.join(self.tmp, "small")
        os.makedirs(mnt)
        if not mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt):
            self.skipTest("cannot mount a small tmpfs (needs root or CAP_SYS_ADMIN)")
        try:
            db = os.path.join(mnt, "db")
            self.p.run("indexer", "--db", db, "add", self.publish("export-v1.jsonl"), db=False,
                       check=0)
            # Leave about 300 KB: enough to open the database, not to commit 2,000 articles.
            st = os.statvfs(mnt)
            free = st.f_bavail * st.f_frsize
            with open(os.path.join(mnt, "filler"), "wb") as f:
                f.write(b"\0" * max(0, free - 300 * 1024))
            rng = random.Random(11)
            words = "le conseil vote une mesure pour la région selon le maire hier soir".split()
            big = [article(f"f{i}", f"Dépêche {i}", " ".join(rng.choice(words) for _ in range(300)))
                   for i in range(2000)]
            path = self.write("big.jsonl", jsonl(*big))
            code, _, err = self.p.run("indexer", "--db", db, "add", path, db=False)
            self.assertEqual(code, 2, err)
            self.assertIn("the disk is full", err)
            self.assertIn("nothing of this batch was committed", err)
            code, out, err = self.p.run("search", "--db", db, "Quimper", db=False)
            self.assertEqual(code, 0, err)
            code, out, err = self.p.run("indexer", "--db", db, "check", db=False)
            self.assertEqual(code, 0, out + err)
            self.assertRegex(out, r"documents\s+8\b")
            os.remove(os.path.join(mnt, "filler"))
            code, _, err = self.p.run("indexer", "--db", db, "add", self.write(
                "few.jsonl", jsonl(*big[:50])), db=False)
            self.assertEqual(code, 0, err)
            code, out, err = self.p.run("indexer", "--db", db, "check", db=False)
            self.assertEqual(code, 0, out + err)
            self.assertRegex(out, r"documents\s+58\b")
        finally:
            subprocess.run(["umount", mnt])


# --- bad input, each with its documented outcome --------------------------------------------

class BadInput(Base):
    def add(self, name, content, *more):
        path = self.write(name, content)
        return self.p.indexer("add", path, *more)

    def test_invalid_json(self):
        code, _, err = self.add("a.jsonl", '{"identifier": "b1", "headline": "Bon"}\n'
                                           '{"identifier": "b2", "headline": }\n')
        self.assertEqual(code, 1, err)
        self.assertIn("a.jsonl:2: rejected: invalid JSON", err)
        self.assertEqual(counts(err), (1, 0, 0, 1))

    def test_invalid_utf8_line_is_rejected_not_indexed(self):
        code, _, err = self.add("a.jsonl", b'{"identifier": "u1", "headline": "Caf\xe9 ferm\xe9"}\n'
                                           + jsonl(article("u2", "Café ouvert")).encode())
        self.assertEqual(code, 1, err)
        self.assertIn("a.jsonl:1: rejected: invalid UTF-8", err)
        self.assertEqual(self.ids("café"), ["u2"])

    def test_missing_identifier_or_headline(self):
        code, _, err = self.add("a.jsonl", jsonl({"headline": "Sans identifiant"},
                                                 {"identifier": "h1", "articleBody": "Sans titre"},
                                                 {"identifier": "h2", "headline": "   "},
                                                 article("h3", "Complet")))
        self.assertEqual(code, 1, err)
        self.assertIn("a.jsonl:1: rejected: missing identifier", err)
        self.assertIn("a.jsonl:2: rejected: missing headline", err)
        self.assertIn("a.jsonl:3: rejected: empty headline", err)
        self.assertEqual(counts(err), (1, 0, 0, 3))

    def test_same_identifier_twice_last_wins(self):
        code, _, err = self.add("a.jsonl", jsonl(article("d1", "Première version", "ancienmot"),
                                                 article("d1", "Seconde version", "nouveaumot")))
        self.assertEqual(code, 0, err)
        self.assertIn("repeated in this batch 1 (the last copy wins)", err)
        self.assertEqual(self.ids("nouveaumot"), ["d1"])
        self.assertEqual(self.ids("ancienmot"), [])
        self.assertEqual(self.articles(), 1)

    def test_article_of_10_mb_is_cut_at_the_documented_cap(self):
        filler = "Le conseil régional examine le budget des transports scolaires. " * 160000
        body = "motdudebut " + filler + " motdelafin"
        self.assertGreater(len(body.encode()), 10_000_000)
        code, _, err = self.add("big.jsonl", jsonl(article("g1", "Un très long article", body)))
        self.assertEqual(code, 0, err)
        self.assertEqual(self.ids("motdudebut"), ["g1"])
        self.assertEqual(self.ids("motdelafin"), [], "text after ARTICLE_MAX_BODY (1 MiB) is cut")

    def test_empty_body(self):
        code, _, err = self.add("a.jsonl", jsonl(article("e1", "Brève sans corps"),
                                                 {"identifier": "e2", "headline": "Sans champ"}))
        self.assertEqual(code, 0, err)
        self.assertEqual(self.ids("brève"), ["e1"])
        self.assertEqual(self.ids("champ"), ["e2"])

    def test_dates_in_other_formats(self):
        code, _, err = self.add("a.jsonl", jsonl(
            article("t1", "Date RFC", "rfcmot", datePublished="Tue, 05 Mar 2024 10:00:00 +0100"),
            article("t2", "Date seule", "seulemot", datePublished="2024-03-05"),
            article("t3", "Sans date", "sansmot"),
            article("t4", "Date illisible", "illisiblemot", datePublished="hier soir")))
        self.assertEqual(code, 0, err)
        self.assertEqual(self.hits("rfcmot")[0]["date"], "2024-03-05T09:00:00Z")
        self.assertEqual(self.hits("seulemot")[0]["date"], "2024-03-05T00:00:00Z")
        self.assertEqual(self.hits("sansmot")[0]["date"], "")
        self.assertEqual(self.hits("illisiblemot")[0]["date"], "")

    def test_html_markup_and_entities_in_body(self):
        body = ("<p>Le <strong>Conseil d&#8217;&Eacute;tat</strong> a tranch&eacute; "
                "&laquo;&nbsp;sans appel&nbsp;&raquo;.</p><script>alert('x')</script>"
                "<style>.pub{color:red}</style>")
        code, _, err = self.add("a.jsonl", jsonl(article("m1", "Décision &amp; recours", body)))
        self.assertEqual(code, 0, err)
        hit = self.hits("tranché")[0]
        self.assertEqual(hit["title"], "Décision & recours")
        self.assertIn("Conseil d’État", hit["snippet"])
        for word in ("strong", "alert", "color", "eacute", "laquo"):
            self.assertEqual(self.ids(word), [], f"markup word {word!r} was indexed")

    def test_binary_garbage(self):
        code, _, err = self.add("garbage.jsonl", random.Random(5).randbytes(8192))
        self.assertEqual(code, 1, err)
        self.assertRegex(err, r"garbage\.jsonl:\d+: rejected: (NUL byte|binary data|invalid)")
        self.assertRegex(err, r"added 0, updated 0, unchanged 0, rejected [1-9]")

    def test_empty_file(self):
        code, _, err = self.add("empty.jsonl", "")
        self.assertEqual(code, 0, err)
        self.assertIn("empty.jsonl holds no article", err)
        self.assertEqual(counts(err), (0, 0, 0, 0))

    def test_file_that_does_not_exist(self):
        good = self.write("good.jsonl", jsonl(article("x1", "Présent")))
        code, _, err = self.p.indexer("add", os.path.join(self.tmp, "absent.jsonl"), good)
        self.assertEqual(code, 2, err)
        self.assertIn("absent.jsonl", err)
        self.assertEqual(self.ids("présent"), ["x1"], "the other inputs still go in")


# --- indexer check ----------------------------------------------------------------------------

class Check(Base):
    def setUp(self):
        super().setUp()
        self.p.indexer("add", self.publish("export-v1.jsonl"), check=0)
        self.store = os.path.join(self.p.db, "store.sqlite")

    def sql(self, statement, *params):
        con = sqlite3.connect(self.store)
        con.execute(statement, params)
        con.commit()
        con.close()

    def repaired(self, *expect):
        code, out, err = self.p.indexer("check")
        self.assertEqual(code, 1, out + err)
        for e in expect:
            self.assertIn(e, out + err)
        self.check_consistent()
        self.assertEqual(self.ids("gratuité"), ["p1"])

    def test_consistent_database(self):
        self.check_consistent()
        code, out, err = self.p.indexer("check", "--no-repair")
        self.assertEqual(code, 0, err)

    def test_missing_row_is_restored(self):
        self.sql("DELETE FROM articles WHERE id = 'p1'")
        code, out, err = self.p.indexer("check", "--no-repair")
        self.assertEqual(code, 2, out + err)           # found, not repaired
        self.repaired("article p1 is indexed but not stored", "rows missing 1")

    def test_stale_and_differing_rows_are_fixed(self):
        self.sql("INSERT INTO articles (id, docid, hash, title, indexed_at) "
                 "VALUES ('zz', 999, '0000000000000000', 'Fantôme', 0)")
        self.sql("UPDATE articles SET hash = 'ffffffffffffffff' WHERE id = 'p2'")
        self.sql("UPDATE articles SET docid = 77 WHERE id = 'p4'")
        self.repaired("article zz is stored but not indexed", "rows stale 1", "rows differing 2")
        # The repaired hashes are the indexed ones: re-adding the export changes nothing.
        code, _, err = self.p.indexer("add", self.publish("export-v1.jsonl"))
        self.assertEqual(counts(err), (0, 0, 8, 0))

    def test_store_behind_the_index_is_caught_up(self):
        self.sql("UPDATE meta SET value = '0' WHERE key = 'revision'")
        self.repaired("the store is at revision 0")

    def test_deleted_store_is_rebuilt(self):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.store + suffix):
                os.remove(self.store + suffix)
        self.repaired("rows missing 8")

    def test_damaged_store_is_set_aside_and_rebuilt(self):
        with open(self.store, "wb") as f:
            f.write(b"ceci n'est pas une base SQLite" * 100)
        code, _, err = self.p.indexer("add", self.publish("export-v2.jsonl"))
        self.assertEqual(code, 2, err)
        self.assertIn("is damaged", err)
        self.assertIn("run `indexer check`", err)
        self.repaired("store was damaged", "store rebuilt")
        self.assertTrue(any(n.startswith("store.sqlite.damaged-") for n in os.listdir(self.p.db)))

    def test_duplicate_document_is_removed(self):
        # A store row removed behind the indexer's back makes the next add index the article
        # as new: two documents for one identifier.  check keeps the newest.
        self.sql("DELETE FROM articles WHERE id = 'p1'")
        with open(self.publish("export-v1.jsonl"), encoding="utf-8") as f:
            p1 = json.loads(f.readline())
        p1["headline"] = "Quimper : la gratuité des bus confirmée"
        self.p.indexer("add", self.write("p1.jsonl", jsonl(p1)), check=0)
        self.assertEqual(self.articles(), 9)
        self.repaired("article p1 is indexed 2 times", "duplicates 1")
        self.assertEqual(self.articles(), 8)
        self.assertEqual([h["title"] for h in self.hits("gratuité")],
                         ["Quimper : la gratuité des bus confirmée"])

    def test_no_database(self):
        code, _, err = self.p.run("indexer", "--db", os.path.join(self.tmp, "none"), "check",
                                  db=False)
        self.assertEqual(code, 2)
        self.assertIn("no index", err)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--fixtures", required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
