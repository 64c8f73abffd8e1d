/* extract: the `indexer extract` command, which shows the article each published page would be
 * indexed as. */
#ifndef KIOSQUE_EXTRACT_H
#define KIOSQUE_EXTRACT_H

/* Reads each page of paths[0..n) with html_read_file, the reader `indexer
 * add` uses, and prints one JSON line per page on stdout: the article as a
 * schema.org NewsArticle in the export format (article.h), so the output can
 * be given back to `indexer add`, plus "kiosqueFile" (the path given) and
 * "kiosqueHash" (the content hash the index would store).  A page that is
 * rejected or is not an article prints `FILE: rejected: REASON` on stderr
 * instead.  Returns the exit status: 0 every page read as an article, 1 some
 * were rejected, 2 a page could not be read or memory ran out. */
int extract_run(int n, char **paths);

#endif
