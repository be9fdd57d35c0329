/* Counter-based random numbers: value i of draw c under key k is a pure
 * function of (k, c, i), so results are reproducible and threads need no state. */
#include <math.h>

#include "core.h"

static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t tfci_random_bits(uint64_t key, uint64_t counter)
{
    return mix64(mix64(key + 0x9e3779b97f4a7c15ULL) ^ (counter * 0xd1b54a32d192ed03ULL + 0x632be59bd9b4e019ULL));
}

double tfci_random_uniform01(uint64_t key, uint64_t counter)
{
    return (double)(tfci_random_bits(key, counter) >> 11) * (1.0 / 9007199254740992.0);
}

double tfci_random_normal(uint64_t key, uint64_t counter)
{
    double u1 = tfci_random_uniform01(key, 2 * counter);
    double u2 = tfci_random_uniform01(key, 2 * counter + 1);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
