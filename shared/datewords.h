/* datewords: French date phrases typed in the search box (hier, en mars, depuis le 3 février,
 * l'an dernier, 2019...) read as periods relative to the archive's clock. */
#ifndef KIOSQUE_DATEWORDS_H
#define KIOSQUE_DATEWORDS_H

#include <stddef.h>
#include <stdint.h>

/* The phrases read (words folded as analyzer_fold folds them: lower case,
 * no accents; ’ read as '), "now" being the day of the newest article:
 *   aujourd'hui, hier, avant-hier         that day
 *   cette semaine, ce mois-ci, cette annee   since its Monday, its 1st, its 1st of January
 *   la semaine derniere (passee)          the week before, Monday to Sunday
 *   le mois dernier (passe)               the month before
 *   l'an dernier, l'annee derniere (passee)  the year before
 *   en mars, en mars 2024                 a month: the last March up to now, or that one
 *   en 2024                               a year
 *   depuis mars, depuis mars 2024         since the 1st of the last March, or of that one
 *   depuis le 3 fevrier [2024], depuis le 1er mars   since that day (the last one up to now)
 *   depuis 2024                           since the 1st of January
 *   le 3 fevrier 2024                     that day
 *   2019 (a year alone, 1900 to 2100)     published that year OR holding the word 2019:
 *                                         a bare year is never only a filter, so that
 *                                         `Renault 2019` still finds an article of 2021
 *                                         that names 2019 */
enum datewords_unit {
    DATEWORDS_NONE = 0,
    DATEWORDS_DAY,
    DATEWORDS_WEEK, /* Monday to Sunday */
    DATEWORDS_MONTH,
    DATEWORDS_YEAR,
};

typedef struct datewords {
    enum datewords_unit unit; /* DATEWORDS_NONE: no phrase */
    int since;                /* from the start of that period on, with no end */
    int or_word;              /* a bare year: its word matches too, the period is no filter */
    int relative;             /* 1: `offset` periods before now's; 0: the date below */
    int offset;
    int64_t year;   /* 0: the last one up to now (en mars, depuis le 3 fevrier) */
    unsigned month; /* 1 to 12, or 0 */
    unsigned day;   /* 1 to 31, or 0 */
} datewords;

/* Reads a date phrase beginning at words[i] of words[0..n) (folded; NULL
 * for a word that cannot be part of one: a phrase, a field...).  Returns the
 * number of words it takes, 0 when none begins there. */
size_t datewords_read(const char *const *words, size_t n, size_t i, datewords *d);

/* The period [*from, *to] in days since 1970-01-01 (inclusive; *to is -1
 * for no end) of d when the newest day is `now` (days). */
void datewords_resolve(const datewords *d, int64_t now, int64_t *from, int64_t *to);

/* The period as a reader reads it, in French ("depuis le 1ᵉʳ mars 2026",
 * "en mars 2024", "du 23 au 29 novembre 2026", "le 2 décembre 2026",
 * "en 2019, ou qui citent 2019"), written into out (truncated to out_size). */
void datewords_label(const datewords *d, int64_t from, int64_t to, char *out, size_t out_size);

#endif
