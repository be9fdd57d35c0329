/* Timing and statistics for the benchmarks. */
#ifndef TFC_BENCH_UTIL_H
#define TFC_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of v[0..n) (sorts v). */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Machine-readable figure for bench/compare_pytorch.py: "RESULT name value unit". */
#define BENCH_RESULT(name, value, unit) printf("RESULT %s %.6g %s\n", (name), (double)(value), (unit))

#endif
