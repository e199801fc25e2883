/*
 * synth.c — the generated customer table.  Churn follows a logistic model
 * of tenure, plan, support calls, charges and partner status, plus noise, so
 * the label is learnable but not trivially so (an AUC around 0.8).  About 3%
 * of ages and 1% of total charges are missing, 0.5% of monthly charges are
 * data-entry outliers (×10), as in the datasets analysts actually receive.
 */
#include "data/synth.h"

#include "core/rng.h"
#include "data/value.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum {
    COL_ID,
    COL_SIGNUP,
    COL_AGE,
    COL_PLAN,
    COL_REGION,
    COL_TENURE,
    COL_MONTHLY,
    COL_TOTAL,
    COL_CALLS,
    COL_PARTNER,
    COL_LOGIN,
    COL_CHURNED,
    COL_COUNT
};

static const struct {
    const char *name;
    tbl_type type;
} columns[COL_COUNT] = {
    {"customer_id", TBL_STR},
    {"signup_date", TBL_DATE},
    {"age", TBL_I64},
    {"plan", TBL_STR},
    {"region", TBL_STR},
    {"tenure_months", TBL_I64},
    {"monthly_charges", TBL_F64},
    {"total_charges", TBL_F64},
    {"support_calls", TBL_I64},
    {"has_partner", TBL_BOOL},
    {"last_login", TBL_TIMESTAMP},
    {"churned", TBL_STR},
};

static const char *plans[] = {"basic", "standard", "premium", "enterprise"};
static const double plan_weight[] = {0.4, 0.35, 0.2, 0.05};
static const double plan_price[] = {25, 55, 90, 180};
static const double plan_churn[] = {0.6, 0.2, -0.3, -0.8};
static const char *regions[] = {"north", "south", "east", "west", "central"};

static size_t pick(ml_rng *r, const double *weights, size_t n)
{
    double u = ml_rng_uniform(r), acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc += weights[i];
        if (u < acc)
            return i;
    }
    return n - 1;
}

static int poisson(ml_rng *r, double lambda)
{
    double l = exp(-lambda), p = 1;
    int k = 0;
    do {
        k++;
        p *= ml_rng_uniform(r);
    } while (p > l && k < 100);
    return k - 1;
}

static int fill_row(tbl_table *t, ml_rng *r, size_t row, ml_error *err)
{
    const int64_t snapshot = val_days_from_civil(2025, 1, 1);
    const int64_t first = val_days_from_civil(2018, 1, 1);
    char id[32];
    int n = snprintf(id, sizeof id, "CUST-%06zu", row + 1);
    int rc = tbl_set_str(t, COL_ID, row, id, (size_t)n, err);

    int64_t signup = first + (int64_t)ml_rng_below(r, (uint64_t)(snapshot - first - 30));
    tbl_set_date(t, COL_SIGNUP, row, (int32_t)signup);
    int64_t tenure = (snapshot - signup) / 30;
    tbl_set_i64(t, COL_TENURE, row, tenure);

    double age = 18 + fabs(ml_rng_normal(r)) * 18 + ml_rng_uniform(r) * 10;
    if (ml_rng_uniform(r) < 0.03)
        rc = rc ? rc : tbl_set_null(t, COL_AGE, row, err);
    else
        tbl_set_i64(t, COL_AGE, row, (int64_t)(age > 90 ? 90 : age));

    size_t plan = pick(r, plan_weight, 4);
    rc = rc ? rc : tbl_set_str(t, COL_PLAN, row, plans[plan], strlen(plans[plan]), err);
    const char *region = regions[ml_rng_below(r, 5)];
    rc = rc ? rc : tbl_set_str(t, COL_REGION, row, region, strlen(region), err);

    double monthly = plan_price[plan] * (0.85 + 0.3 * ml_rng_uniform(r));
    monthly = round(monthly * 100) / 100;
    double recorded = ml_rng_uniform(r) < 0.005 ? monthly * 10 : monthly;
    tbl_set_f64(t, COL_MONTHLY, row, recorded);
    if (tenure < 2 && ml_rng_uniform(r) < 0.5)
        rc = rc ? rc : tbl_set_null(t, COL_TOTAL, row, err);
    else if (ml_rng_uniform(r) < 0.01)
        rc = rc ? rc : tbl_set_null(t, COL_TOTAL, row, err);
    else
        tbl_set_f64(t, COL_TOTAL, row,
                    round(monthly * (double)tenure * (0.95 + 0.1 * ml_rng_uniform(r)) * 100) / 100);

    int calls = poisson(r, 1.2 + (plan == 0 ? 0.8 : 0));
    tbl_set_i64(t, COL_CALLS, row, calls);
    bool partner = ml_rng_uniform(r) < 0.45;
    tbl_set_bool(t, COL_PARTNER, row, partner);
    int64_t login_days = (int64_t)(ml_rng_uniform(r) * ml_rng_uniform(r) * 120);
    int64_t login =
        (snapshot - login_days) * 86400 * 1000000LL - (int64_t)ml_rng_below(r, 86400) * 1000000LL;
    tbl_set_timestamp(t, COL_LOGIN, row, login);

    double z = -1.2 - 0.035 * (double)tenure + plan_churn[plan] + 0.45 * calls +
               0.008 * (monthly - 60) - 0.4 * partner + 0.012 * (double)login_days +
               0.8 * ml_rng_normal(r);
    bool churned = ml_rng_uniform(r) < 1 / (1 + exp(-z));
    const char *label = churned ? "yes" : "no";
    rc = rc ? rc : tbl_set_str(t, COL_CHURNED, row, label, strlen(label), err);
    return rc;
}

int synth_customers(size_t rows, uint64_t seed, tbl_table **out, ml_error *err)
{
    tbl_table *t = tbl_create();
    if (!t)
        return ml_err(err, ML_ENOMEM, "out of memory generating data");
    int rc = ML_OK;
    for (size_t c = 0; !rc && c < COL_COUNT; c++)
        rc = tbl_add_column(t, columns[c].name, columns[c].type, err);
    if (!rc)
        rc = tbl_resize(t, rows, err);
    ml_rng r;
    ml_rng_seed(&r, seed);
    for (size_t row = 0; !rc && row < rows; row++)
        rc = fill_row(t, &r, row, err);
    if (rc) {
        tbl_free(t);
        return rc;
    }
    *out = t;
    return ML_OK;
}
