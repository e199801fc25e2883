/* Unit tests for src/core/arena.c and src/core/rng.c. */
#include "test_util.h"

#include "core/arena.h"
#include "core/rng.h"

static void allocates_aligned_and_resets(void **state)
{
    (void)state;
    ml_arena *a = ml_arena_create(128);
    assert_non_null(a);
    for (int i = 0; i < 1000; i++) {
        void *p = ml_arena_alloc(a, (size_t)(i % 37) + 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xab, (size_t)(i % 37) + 1);
    }
    char *big = ml_arena_alloc(a, 1 << 20);
    assert_non_null(big);
    memset(big, 1, 1 << 20);
    char *s = ml_arena_strndup(a, "hello world", 5);
    assert_string_equal(s, "hello");
    assert_true(ml_arena_used(a) > (1 << 20));
    ml_arena_reset(a);
    assert_int_equal(ml_arena_used(a), 0);
    assert_non_null(ml_arena_alloc(a, 64));
    ml_arena_free(a);
}

static void rng_is_reproducible_and_uniform(void **state)
{
    (void)state;
    ml_rng a, b;
    ml_rng_seed(&a, 42);
    ml_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        assert_true(ml_rng_u64(&a) == ml_rng_u64(&b));
    ml_rng_seed(&b, 43);
    assert_true(ml_rng_u64(&a) != ml_rng_u64(&b));
    size_t counts[10] = {0};
    double sum = 0, sumsq = 0;
    for (int i = 0; i < 100000; i++) {
        counts[ml_rng_below(&a, 10)]++;
        double u = ml_rng_uniform(&a);
        assert_true(u >= 0 && u < 1);
        double z = ml_rng_normal(&a);
        sum += z;
        sumsq += z * z;
    }
    for (int k = 0; k < 10; k++)
        assert_true(counts[k] > 9500 && counts[k] < 10500);
    assert_true(sum / 100000 > -0.02 && sum / 100000 < 0.02);
    assert_true(sumsq / 100000 > 0.97 && sumsq / 100000 < 1.03);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allocates_aligned_and_resets),
        cmocka_unit_test(rng_is_reproducible_and_uniform),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
