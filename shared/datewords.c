/* datewords: French date phrases read as periods (see datewords.h). */
#include "datewords.h"

#include <stdio.h>
#include <string.h>

#include "date.h"

static const char *const MONTHS[12] = {"janvier",   "fevrier", "mars",     "avril",
                                       "mai",       "juin",    "juillet",  "aout",
                                       "septembre", "octobre", "novembre", "decembre"};
static const char *const MONTH_NAMES[12] = {"janvier",   "février", "mars",     "avril",
                                            "mai",       "juin",    "juillet",  "août",
                                            "septembre", "octobre", "novembre", "décembre"};

static int is(const char *w, const char *s)
{
    return w && strcmp(w, s) == 0;
}

/* A number of 1 to max_digits digits, or -1. */
static long number(const char *w, size_t max_digits)
{
    size_t n = w ? strlen(w) : 0;
    long v = 0;
    if (n == 0 || n > max_digits)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (w[i] < '0' || w[i] > '9')
            return -1;
        v = v * 10 + (w[i] - '0');
    }
    return v;
}

/* A year of four digits, 1900 to 2100, or 0. */
static int64_t year_of(const char *w)
{
    long y = w && strlen(w) == 4 ? number(w, 4) : -1;
    return y >= 1900 && y <= 2100 ? y : 0;
}

static unsigned month_of(const char *w)
{
    for (unsigned m = 0; w && m < 12; m++)
        if (strcmp(w, MONTHS[m]) == 0)
            return m + 1;
    return 0;
}

/* A day of the month: 1 to 31, or "1er". */
static unsigned day_of(const char *w)
{
    if (is(w, "1er"))
        return 1;
    long d = number(w, 2);
    return d >= 1 && d <= 31 ? (unsigned)d : 0;
}

#define W(k) (i + (k) < n ? words[i + (k)] : NULL)

/* A month, and its year when one follows: the words taken, 0 when none (a
 * month followed by another number, "mai 68", is not read). */
static size_t read_month(const char *const *words, size_t n, size_t i, datewords *d)
{
    unsigned m = month_of(W(0));
    if (!m)
        return 0;
    d->month = m;
    d->year = year_of(W(1));
    if (!d->year && number(W(1), 8) >= 0)
        return 0;
    return d->year ? 2 : 1;
}

/* A period that "depuis" can start from, or that stands alone. */
static size_t read_period(const char *const *words, size_t n, size_t i, datewords *d)
{
    const char *w = W(0);
    size_t k;
    memset(d, 0, sizeof *d);
    if (is(w, "aujourd'hui") || is(w, "hier") || is(w, "avant-hier")) {
        *d = (datewords){.unit = DATEWORDS_DAY,
                         .relative = 1,
                         .offset = is(w, "hier")         ? 1
                                   : is(w, "avant-hier") ? 2
                                                         : 0};
        return 1;
    }
    if ((is(w, "cette") && is(W(1), "semaine")) || (is(w, "cette") && is(W(1), "annee")) ||
        (is(w, "ce") && (is(W(1), "mois-ci") || is(W(1), "mois")))) {
        *d = (datewords){.unit = is(W(1), "semaine") ? DATEWORDS_WEEK
                                 : is(W(1), "annee") ? DATEWORDS_YEAR
                                                     : DATEWORDS_MONTH,
                         .since = 1,
                         .relative = 1};
        return 2;
    }
    /* [la] semaine derniere, [le] mois dernier, l'an dernier, l'annee derniere */
    k = is(w, "la") || is(w, "le") ? 1 : 0;
    const char *unit = W(k), *last = W(k + 1);
    int is_last =
        is(last, "dernier") || is(last, "derniere") || is(last, "passe") || is(last, "passee");
    if (is_last && ((is(unit, "semaine") && !is(w, "le")) || (is(unit, "mois") && !is(w, "la")) ||
                    (k == 0 && (is(unit, "l'an") || is(unit, "l'annee"))))) {
        *d = (datewords){.unit = is(unit, "semaine") ? DATEWORDS_WEEK
                                 : is(unit, "mois")  ? DATEWORDS_MONTH
                                                     : DATEWORDS_YEAR,
                         .relative = 1,
                         .offset = 1};
        return k + 2;
    }
    /* [le] 3 fevrier [2024], 1er mars */
    k = is(w, "le") ? 1 : 0;
    unsigned day = day_of(W(k));
    if (day && month_of(W(k + 1))) {
        size_t m = read_month(words, n, i + k + 1, d);
        if (m && (k || d->year) && day <= date_days_in_month(d->year ? d->year : 2000, d->month)) {
            d->unit = DATEWORDS_DAY;
            d->day = day;
            return k + 1 + m;
        }
        memset(d, 0, sizeof *d);
    }
    return 0;
}

size_t datewords_read(const char *const *words, size_t n, size_t i, datewords *d)
{
    const char *w = W(0);
    size_t k;
    memset(d, 0, sizeof *d);
    if (!w)
        return 0;
    if (is(w, "en")) {
        if ((k = read_month(words, n, i + 1, d)) != 0) {
            d->unit = DATEWORDS_MONTH;
            return k + 1;
        }
        if ((d->year = year_of(W(1))) != 0) {
            d->unit = DATEWORDS_YEAR;
            return 2;
        }
        memset(d, 0, sizeof *d);
        return 0;
    }
    if (is(w, "depuis")) {
        if ((k = read_month(words, n, i + 1, d)) != 0)
            d->unit = DATEWORDS_MONTH;
        else if ((d->year = year_of(W(1))) != 0)
            d->unit = DATEWORDS_YEAR, k = 1;
        else
            k = read_period(words, n, i + 1, d);
        if (!k)
            return 0;
        d->since = 1;
        return k + 1;
    }
    if ((k = read_period(words, n, i, d)) != 0)
        return k;
    if ((d->year = year_of(w)) != 0) {
        d->unit = DATEWORDS_YEAR;
        d->or_word = 1;
        return 1;
    }
    return 0;
}

#undef W

/* 0 for a Monday (1970-01-01 was a Thursday). */
static int64_t weekday(int64_t z)
{
    return ((z % 7) + 7 + 3) % 7;
}

void datewords_resolve(const datewords *d, int64_t now, int64_t *from, int64_t *to)
{
    int64_t y, ny;
    unsigned m, nm, nd;
    date_civil_from_days(now, &ny, &nm, &nd);
    switch (d->unit) {
    case DATEWORDS_DAY:
        if (d->relative) {
            *from = *to = now - d->offset;
        } else {
            y = d->year ? d->year : d->month < nm || (d->month == nm && d->day <= nd) ? ny : ny - 1;
            unsigned day = d->day <= date_days_in_month(y, d->month)
                               ? d->day
                               : date_days_in_month(y, d->month); /* 29 February */
            *from = *to = date_days_from_civil(y, d->month, day);
        }
        break;
    case DATEWORDS_WEEK:
        *from = now - weekday(now) - 7 * (int64_t)d->offset;
        *to = *from + 6;
        break;
    case DATEWORDS_MONTH:
        if (d->relative) {
            int64_t months = ny * 12 + (nm - 1) - d->offset;
            y = months / 12;
            m = (unsigned)(months % 12) + 1;
        } else {
            m = d->month;
            y = d->year ? d->year : d->month <= nm ? ny : ny - 1;
        }
        *from = date_days_from_civil(y, m, 1);
        *to = *from + date_days_in_month(y, m) - 1;
        break;
    case DATEWORDS_YEAR:
    default:
        y = d->relative ? ny - d->offset : d->year;
        *from = date_days_from_civil(y, 1, 1);
        *to = date_days_from_civil(y + 1, 1, 1) - 1;
        break;
    }
    if (d->since)
        *to = -1;
}

/* "1ᵉʳ mars 2026", "3 février" (with_year 0), "3" (with_month 0 too). */
static int day_text(char *out, size_t size, int64_t z, int with_month, int with_year)
{
    int64_t y;
    unsigned m, d;
    date_civil_from_days(z, &y, &m, &d);
    char day[16];
    snprintf(day, sizeof day, d == 1 ? "1\u1d49\u02b3" : "%u", d);
    if (!with_month)
        return snprintf(out, size, "%s", day);
    if (!with_year)
        return snprintf(out, size, "%s %s", day, MONTH_NAMES[m - 1]);
    return snprintf(out, size, "%s %s %lld", day, MONTH_NAMES[m - 1], (long long)y);
}

void datewords_label(const datewords *d, int64_t from, int64_t to, char *out, size_t out_size)
{
    char a[64], b[64];
    int64_t y1, y2;
    unsigned m1, m2, d1, d2;
    date_civil_from_days(from, &y1, &m1, &d1);
    if (d->since) {
        day_text(a, sizeof a, from, 1, 1);
        snprintf(out, out_size, "depuis le %s", a);
        return;
    }
    date_civil_from_days(to, &y2, &m2, &d2);
    switch (d->unit) {
    case DATEWORDS_DAY:
        day_text(a, sizeof a, from, 1, 1);
        snprintf(out, out_size, "le %s", a);
        break;
    case DATEWORDS_WEEK:
        day_text(a, sizeof a, from, m1 != m2 || y1 != y2, y1 != y2);
        day_text(b, sizeof b, to, 1, 1);
        snprintf(out, out_size, "du %s au %s", a, b);
        break;
    case DATEWORDS_MONTH:
        snprintf(out, out_size, "en %s %lld", MONTH_NAMES[m1 - 1], (long long)y1);
        break;
    case DATEWORDS_YEAR:
    default:
        if (d->or_word)
            snprintf(out, out_size, "en %lld, ou qui citent %lld", (long long)y1, (long long)y1);
        else
            snprintf(out, out_size, "en %lld", (long long)y1);
        break;
    }
}
