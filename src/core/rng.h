/*
 * rng.h — a small, fast, reproducible random number generator
 * (xoshiro256**, seeded through splitmix64).  A value type: each thread or
 * task owns its own state, so results depend on the seed and never on
 * scheduling.
 */
#ifndef ML_CORE_RNG_H
#define ML_CORE_RNG_H

#include <stdint.h>

typedef struct ml_rng {
    uint64_t s[4];
} ml_rng;

void ml_rng_seed(ml_rng *r, uint64_t seed);
uint64_t ml_rng_u64(ml_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double ml_rng_uniform(ml_rng *r);
/* Uniform integer in [0, n); n > 0. */
uint64_t ml_rng_below(ml_rng *r, uint64_t n);
/* Standard normal (Box–Muller). */
double ml_rng_normal(ml_rng *r);

#endif
