/*
 * model_fixture.h — small synthetic tables with known structure for the
 * model tests: numeric signal, a categorical signal, missing values.
 */
#ifndef ML_TEST_MODEL_FIXTURE_H
#define ML_TEST_MODEL_FIXTURE_H

#include "core/rng.h"
#include "data/table.h"

#include <math.h>
#include <string.h>

/* Columns: x0, x1 (float, x1 has 10% nulls), color (string: red green
 * blue, yellow), noise (float), y.  Binary y = 1 when x0 + (color == red)
 * - x1 > 0.3 (x1 missing counts as +1), flipped with probability flip.
 * Regression y = 3 x0 + 2 (color == red) - x1 + N(0, 0.1).
 * Multiclass y = class 0/1/2 from x0 cut at -0.5 and 0.5. */
typedef enum fixture_kind { FX_BINARY, FX_REGRESSION, FX_MULTICLASS } fixture_kind;

static inline tbl_table *fixture_table(fixture_kind kind, size_t n, uint64_t seed, double flip)
{
    static const char *colors[] = {"red", "green", "blue", "yellow"};
    tbl_table *t = tbl_create();
    ml_error err = {0};
    tbl_add_column(t, "x0", TBL_F64, &err);
    tbl_add_column(t, "x1", TBL_F64, &err);
    tbl_add_column(t, "color", TBL_STR, &err);
    tbl_add_column(t, "noise", TBL_F64, &err);
    tbl_add_column(t, "y", kind == FX_REGRESSION ? TBL_F64 : TBL_STR, &err);
    tbl_resize(t, n, &err);
    ml_rng rng;
    ml_rng_seed(&rng, seed);
    for (size_t r = 0; r < n; r++) {
        double x0 = ml_rng_uniform(&rng) * 2 - 1, x1 = ml_rng_uniform(&rng) * 2 - 1;
        size_t c = (size_t)ml_rng_below(&rng, 4);
        bool x1_missing = ml_rng_uniform(&rng) < 0.1;
        tbl_set_f64(t, 0, r, x0);
        if (x1_missing)
            tbl_set_null(t, 1, r, &err);
        else
            tbl_set_f64(t, 1, r, x1);
        tbl_set_str(t, 2, r, colors[c], strlen(colors[c]), &err);
        tbl_set_f64(t, 3, r, ml_rng_normal(&rng));
        double x1v = x1_missing ? 1 : x1;
        if (kind == FX_REGRESSION) {
            tbl_set_f64(t, 4, r, 3 * x0 + 2 * (c == 0) - x1v + 0.1 * ml_rng_normal(&rng));
        } else if (kind == FX_BINARY) {
            bool pos = x0 + (c == 0) - x1v > 0.3;
            if (ml_rng_uniform(&rng) < flip)
                pos = !pos;
            tbl_set_str(t, 4, r, pos ? "yes" : "no", pos ? 3 : 2, &err);
        } else {
            const char *label = x0 < -0.5 ? "low" : x0 < 0.5 ? "mid" : "high";
            tbl_set_str(t, 4, r, label, strlen(label), &err);
        }
    }
    return t;
}

#endif
