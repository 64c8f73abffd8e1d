/* date: calendar arithmetic on the proleptic Gregorian calendar, in UTC, without time zones or
 * locales (articles' dates, the query language's periods, freshness). */
#ifndef KIOSQUE_DATE_H
#define KIOSQUE_DATE_H

#include <stdint.h>

/* Days from 1970-01-01 to year y, month m (1 to 12), day d (1 to 31),
 * negative before; exact for every year (Howard Hinnant's
 * days_from_civil). */
int64_t date_days_from_civil(int64_t y, unsigned m, unsigned d);

/* The other way: the year, month and day of day z since 1970-01-01. */
void date_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* The number of days of month m (1 to 12) of year y. */
unsigned date_days_in_month(int64_t y, unsigned m);

#endif
