/* bench_util: the few helpers the C benchmarks share (a clock, sorting latencies). */
#ifndef KIOSQUE_BENCH_UTIL_H
#define KIOSQUE_BENCH_UTIL_H

#include <time.h>

/* Milliseconds of the monotonic clock (wall-clock time). */
static inline double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* qsort comparator of doubles, ascending. */
static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#endif
