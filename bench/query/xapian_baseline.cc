// xapian_baseline: Xapian used directly, as a newsroom would without Kiosque: the yardstick of
// the indexing and query benchmarks.  Bench code only; the library's C++ stays in shared/index.cc.
//
//   xapian_baseline index CORPUS.jsonl[.gz] DB    TermGenerator with Stem("french"), positions,
//                                                 headline x5 / chapô x2 / body, data = the line
//   xapian_baseline query DB QUERIES [MAX] [THREADS]
//                                                 QueryParser (Stem("french"), STEM_SOME, AND),
//                                                 top 10 with their data, no snippets; THREADS
//                                                 threads (1), each with its own Database
#include <xapian.h>
#include <jansson.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

static double now_ms()
{
    using namespace std::chrono;
    return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

static std::string field(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static int index_corpus(const char *corpus, const char *path)
{
    gzFile in = gzopen(corpus, "rb");
    if (!in) {
        std::perror(corpus);
        return 2;
    }
    Xapian::WritableDatabase db(path, Xapian::DB_CREATE_OR_OVERWRITE);
    Xapian::TermGenerator tg;
    tg.set_stemmer(Xapian::Stem("french"));
    tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
    std::vector<char> buf(1 << 24);
    double t0 = now_ms();
    size_t n = 0;
    db.begin_transaction();
    while (gzgets(in, buf.data(), (int)buf.size())) {
        json_error_t err;
        json_t *o = json_loads(buf.data(), 0, &err);
        if (!o)
            continue;
        Xapian::Document doc;
        tg.set_document(doc);
        tg.index_text(field(o, "headline"), 5);
        tg.increase_termpos(100);
        tg.index_text(field(o, "description"), 2);
        tg.increase_termpos(100);
        tg.index_text(field(o, "articleBody"));
        std::string id = "Q" + field(o, "identifier");
        doc.add_boolean_term(id);
        doc.set_data(buf.data());
        db.replace_document(id, doc);
        json_decref(o);
        n++;
    }
    db.commit_transaction();
    db.close();
    gzclose(in);
    double ms = now_ms() - t0;
    std::printf("xapian_baseline index: %zu articles in %.1f s: %.0f articles/s\n", n, ms / 1e3,
                n / (ms / 1e3));
    return 0;
}

static std::string url_decode(const std::string &s)
{
    std::string o;
    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] == '+')
            o += ' ';
        else if (s[i] == '%' && i + 2 < s.size()) {
            o += (char)std::strtol(s.substr(i + 1, 2).c_str(), nullptr, 16);
            i += 2;
        } else
            o += s[i];
    }
    return o;
}

struct query_thread {
    const char *path;
    const std::vector<std::string> *queries;
    size_t first, step;
    std::vector<double> lat;
    double hits = 0;
};

// Runs queries first, first + step, ... on its own Database, as each of a server's threads would.
static void query_worker(query_thread *t)
{
    Xapian::Database db(t->path);
    Xapian::QueryParser qp;
    qp.set_stemmer(Xapian::Stem("french"));
    qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    qp.set_default_op(Xapian::Query::OP_AND);
    qp.set_database(db);
    for (size_t i = t->first; i < t->queries->size(); i += t->step) {
        double t0 = now_ms();
        Xapian::Enquire enquire(db);
        enquire.set_query(qp.parse_query((*t->queries)[i]));
        Xapian::MSet mset = enquire.get_mset(0, 10);
        for (Xapian::MSetIterator m = mset.begin(); m != mset.end(); ++m)
            t->hits += m.get_document().get_data().size() > 0;
        t->lat.push_back(now_ms() - t0);
    }
}

static int run_queries(const char *path, const char *file, size_t max, size_t threads)
{
    std::vector<std::string> queries;
    FILE *f = std::fopen(file, "r");
    if (!f) {
        std::perror(file);
        return 2;
    }
    char line[2048];
    while (queries.size() < max && std::fgets(line, sizeof line, f)) {
        line[std::strcspn(line, "\r\n")] = '\0';
        if (*line)
            queries.push_back(url_decode(line));
    }
    std::fclose(f);
    std::vector<query_thread> work(threads);
    std::vector<std::thread> pool;
    double start = now_ms();
    for (size_t t = 0; t < threads; t++) {
        work[t].path = path;
        work[t].queries = &queries;
        work[t].first = t;
        work[t].step = threads;
        pool.emplace_back(query_worker, &work[t]);
    }
    for (std::thread &th : pool)
        th.join();
    double total = now_ms() - start;
    std::vector<double> lat;
    double hits = 0;
    for (const query_thread &t : work) {
        lat.insert(lat.end(), t.lat.begin(), t.lat.end());
        hits += t.hits;
    }
    std::sort(lat.begin(), lat.end());
    size_t n = lat.size();
    std::printf("%-8s %8zu %10.0f %9.2f %9.2f %9.1f  (%zu thread%s)\n", "xapian", n,
                n / (total / 1e3), n ? lat[n / 2] : 0, n ? lat[(size_t)(n * 0.99)] : 0,
                n ? hits / n : 0, threads, threads > 1 ? "s" : "");
    return 0;
}

int main(int argc, char **argv)
{
    try {
        if (argc >= 4 && std::strcmp(argv[1], "index") == 0)
            return index_corpus(argv[2], argv[3]);
        if (argc >= 4 && std::strcmp(argv[1], "query") == 0)
            return run_queries(argv[2], argv[3],
                               argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 2000,
                               argc > 5 ? std::max(1ul, std::strtoul(argv[5], nullptr, 10)) : 1);
    } catch (const Xapian::Error &e) {
        std::fprintf(stderr, "xapian_baseline: %s\n", e.get_description().c_str());
        return 2;
    }
    std::fprintf(stderr,
                 "usage: xapian_baseline index CORPUS DB | query DB QUERIES [MAX] [THREADS]\n");
    return 2;
}
