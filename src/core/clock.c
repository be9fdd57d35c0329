/* Monotonic time for rates and intervals (flush timers, steps per second). */
#include <time.h>

#include "core/core.h"

double tfci_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
