/* Unit tests for src/eval/split.c: sizes, stratification, time order,
 * groups kept whole, determinism and the errors. */
#include "test_util.h"

#include "eval/split.h"

#include <math.h>
#include <stdbool.h>

static tbl_table *table(size_t n)
{
    tbl_table *t = tbl_create();
    ml_error err = {0};
    tbl_add_column(t, "when", TBL_DATE, &err);
    tbl_add_column(t, "user", TBL_STR, &err);
    tbl_resize(t, n, &err);
    for (size_t r = 0; r < n; r++) {
        tbl_set_date(t, 0, r, (int32_t)((r * 7919) % n)); /* a permutation of days */
        char u[16];
        int len = snprintf(u, sizeof u, "u%zu", r % 37);
        tbl_set_str(t, 1, r, u, (size_t)len, &err);
    }
    return t;
}

static void test_random_sizes_and_order(void **state)
{
    (void)state;
    tbl_table *t = table(1000);
    spl_spec s = {.method = SPL_RANDOM, .test = 0.2, .seed = 42};
    spl_result a, b;
    ml_error err = {0};
    assert_int_equal(spl_split(t, &s, &a, &err), ML_OK);
    assert_int_equal(a.ntest, 200);
    assert_int_equal(a.ntrain, 800);
    for (size_t i = 1; i < a.ntest; i++)
        assert_true(a.test[i] > a.test[i - 1]);
    assert_int_equal(spl_split(t, &s, &b, &err), ML_OK);
    assert_memory_equal(a.test, b.test, a.ntest * sizeof *a.test);
    spl_result_free(&b);
    s.seed = 43;
    assert_int_equal(spl_split(t, &s, &b, &err), ML_OK);
    assert_true(memcmp(a.test, b.test, a.ntest * sizeof *a.test) != 0);
    spl_result_free(&a);
    spl_result_free(&b);
    tbl_free(t);
}

static void test_stratified_keeps_class_shares(void **state)
{
    (void)state;
    enum { N = 1003 };
    double y[N];
    for (size_t r = 0; r < N; r++)
        y[r] = r % 10 == 0 ? 1 : r % 10 < 4 ? 2 : 0; /* 10 %, 30 %, 60 % */
    y[N - 1] = 3;                                    /* a class of one row stays in training */
    spl_spec s = {.method = SPL_STRATIFIED, .test = 0.25, .seed = 1, .y = y, .nclasses = 4};
    spl_result res;
    ml_error err = {0};
    assert_int_equal(spl_split_rows(N, &s, &res, &err), ML_OK);
    size_t all[4] = {0}, test[4] = {0};
    for (size_t r = 0; r < N; r++)
        all[(size_t)y[r]]++;
    for (size_t i = 0; i < res.ntest; i++)
        test[(size_t)y[res.test[i]]]++;
    for (size_t k = 0; k < 3; k++)
        assert_true(fabs((double)test[k] - 0.25 * (double)all[k]) <= 1.0);
    assert_int_equal(test[3], 0);
    spl_result_free(&res);
}

static void test_time_puts_the_latest_rows_in_test(void **state)
{
    (void)state;
    tbl_table *t = table(500);
    spl_spec s = {.method = SPL_TIME, .test = 0.1, .column = "when"};
    spl_result res;
    ml_error err = {0};
    assert_int_equal(spl_split(t, &s, &res, &err), ML_OK);
    assert_int_equal(res.ntest, 50);
    const tbl_column *c = tbl_col(t, 0);
    int32_t newest_train = INT32_MIN, oldest_test = INT32_MAX;
    for (size_t i = 0; i < res.ntrain; i++)
        newest_train =
            c->data.date[res.train[i]] > newest_train ? c->data.date[res.train[i]] : newest_train;
    for (size_t i = 0; i < res.ntest; i++)
        oldest_test =
            c->data.date[res.test[i]] < oldest_test ? c->data.date[res.test[i]] : oldest_test;
    assert_true(newest_train < oldest_test);
    spl_result_free(&res);
    tbl_free(t);
}

static void test_group_keeps_groups_whole(void **state)
{
    (void)state;
    tbl_table *t = table(740);
    spl_spec s = {.method = SPL_GROUP, .test = 0.3, .seed = 5, .column = "user"};
    spl_result res;
    ml_error err = {0};
    assert_int_equal(spl_split(t, &s, &res, &err), ML_OK);
    assert_true(res.ntest >= 222 && res.ntest < 740);
    const tbl_column *c = tbl_col(t, 1);
    uint8_t side[64] = {0};
    for (size_t i = 0; i < res.ntest; i++)
        side[c->data.code[res.test[i]]] = 1;
    for (size_t i = 0; i < res.ntrain; i++)
        assert_int_equal(side[c->data.code[res.train[i]]], 0);
    spl_result_free(&res);
    tbl_free(t);
}

static void test_errors(void **state)
{
    (void)state;
    tbl_table *t = table(10);
    spl_result res;
    ml_error err = {0};
    spl_spec s = {.method = SPL_TIME, .test = 0.2, .column = "nope"};
    assert_int_equal(spl_split(t, &s, &res, &err), ML_EINVAL);
    assert_string_equal(err.message, "split column 'nope' not found in the data");
    s.column = "user";
    assert_int_equal(spl_split(t, &s, &res, &err), ML_EINVAL);
    assert_string_equal(err.message,
                        "split column 'user' is text; a time split needs a date, timestamp or "
                        "number");
    s = (spl_spec){.method = SPL_RANDOM, .test = 0.01};
    tbl_free(t);
    t = table(3);
    assert_int_equal(spl_split(t, &s, &res, &err), ML_OK); /* ceil: one test row */
    assert_int_equal(res.ntest, 1);
    spl_result_free(&res);
    s.test = 0.99;
    assert_int_equal(spl_split(t, &s, &res, &err), ML_EINVAL);
    assert_string_equal(err.message,
                        "splitting 3 rows with test share 0.99 leaves the training part empty");
    s.test = 1.5;
    assert_int_equal(spl_split(t, &s, &res, &err), ML_EINVAL);
    assert_string_equal(err.message, "the test share must be in (0, 1), got 1.5");
    s = (spl_spec){.method = SPL_GROUP, .test = 0.5, .column = "when"};
    tbl_free(t);
    t = tbl_create();
    tbl_add_column(t, "when", TBL_F64, &err);
    tbl_resize(t, 4, &err);
    assert_int_equal(spl_split(t, &s, &res, &err), ML_EINVAL);
    assert_string_equal(err.message,
                        "split column 'when' has a single group: a group split needs at least two");
    tbl_free(t);
}

/* ---- cross-validation folds ---------------------------------------------- */

/* Checks the parts of every fold: ascending, disjoint, and (unless time)
 * covering all n rows; returns how many test folds each row was in. */
static void check_folds(const spl_folds *f, size_t first, size_t k, size_t n, bool cover,
                        size_t *times_tested)
{
    memset(times_tested, 0, n * sizeof *times_tested);
    for (size_t i = first; i < first + k; i++) {
        const spl_result *r = &f->folds[i];
        assert_true(r->ntest > 0 && r->ntrain > 0);
        if (cover)
            assert_int_equal(r->ntest + r->ntrain, n);
        for (size_t j = 1; j < r->ntest; j++)
            assert_true(r->test[j] > r->test[j - 1]);
        for (size_t j = 1; j < r->ntrain; j++)
            assert_true(r->train[j] > r->train[j - 1]);
        for (size_t j = 0, l = 0; j < r->ntest; j++) { /* disjoint: merge walk */
            while (l < r->ntrain && r->train[l] < r->test[j])
                l++;
            assert_true(l == r->ntrain || r->train[l] != r->test[j]);
        }
        for (size_t j = 0; j < r->ntest; j++)
            times_tested[r->test[j]]++;
    }
}

static void assert_rows(const size_t *got, size_t ngot, const size_t *want, size_t nwant)
{
    assert_int_equal(ngot, nwant);
    assert_memory_equal(got, want, nwant * sizeof *want);
}

static void test_cv_kfold_sizes_match_sklearn(void **state)
{
    (void)state;
    /* sklearn KFold: n // k rows per fold, the first n % k folds one more. */
    static const struct {
        size_t n, k, sizes[8];
    } cases[] = {
        {10, 3, {4, 3, 3}},    {7, 7, {1, 1, 1, 1, 1, 1, 1}},
        {11, 4, {3, 3, 3, 2}}, {100, 7, {15, 15, 14, 14, 14, 14, 14}},
        {5, 2, {3, 2}},        {23, 5, {5, 5, 5, 4, 4}},
    };
    size_t seen[100];
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        for (int sh = 0; sh < 2; sh++) {
            spl_cv_spec s = {.method = SPL_CV_KFOLD,
                             .folds = (int)cases[c].k,
                             .repeats = 1,
                             .shuffle = sh,
                             .seed = 9};
            spl_folds f;
            ml_error err = {0};
            assert_int_equal(spl_cv(NULL, cases[c].n, &s, &f, &err), ML_OK);
            assert_int_equal(f.nfolds, cases[c].k);
            for (size_t i = 0; i < cases[c].k; i++)
                assert_int_equal(f.folds[i].ntest, cases[c].sizes[i]);
            check_folds(&f, 0, cases[c].k, cases[c].n, true, seen);
            for (size_t r = 0; r < cases[c].n; r++)
                assert_int_equal(seen[r], 1);
            spl_folds_free(&f);
        }
    }
    /* Unshuffled folds are contiguous blocks, as sklearn's. */
    spl_cv_spec s = {.method = SPL_CV_KFOLD, .folds = 3, .repeats = 1};
    spl_folds f;
    ml_error err = {0};
    assert_int_equal(spl_cv(NULL, 10, &s, &f, &err), ML_OK);
    assert_rows(f.folds[0].test, f.folds[0].ntest, (size_t[]){0, 1, 2, 3}, 4);
    assert_rows(f.folds[1].test, f.folds[1].ntest, (size_t[]){4, 5, 6}, 3);
    assert_rows(f.folds[2].test, f.folds[2].ntest, (size_t[]){7, 8, 9}, 3);
    assert_rows(f.folds[1].train, f.folds[1].ntrain, (size_t[]){0, 1, 2, 3, 7, 8, 9}, 7);
    spl_folds_free(&f);
}

static void test_cv_kfold_shuffle_is_seeded(void **state)
{
    (void)state;
    spl_cv_spec s = {.method = SPL_CV_KFOLD, .folds = 4, .repeats = 1, .shuffle = true, .seed = 3};
    spl_folds a, b, c;
    ml_error err = {0};
    assert_int_equal(spl_cv(NULL, 50, &s, &a, &err), ML_OK);
    assert_int_equal(spl_cv(NULL, 50, &s, &b, &err), ML_OK);
    s.seed = 4;
    assert_int_equal(spl_cv(NULL, 50, &s, &c, &err), ML_OK);
    bool differs = false, contiguous = true;
    for (size_t i = 0; i < 4; i++) {
        assert_rows(a.folds[i].test, a.folds[i].ntest, b.folds[i].test, b.folds[i].ntest);
        assert_rows(a.folds[i].train, a.folds[i].ntrain, b.folds[i].train, b.folds[i].ntrain);
        differs |= memcmp(a.folds[i].test, c.folds[i].test, a.folds[i].ntest * sizeof(size_t));
        contiguous &=
            a.folds[i].test[a.folds[i].ntest - 1] - a.folds[i].test[0] + 1 == a.folds[i].ntest;
    }
    assert_true(differs);
    assert_false(contiguous);
    spl_folds_free(&a);
    spl_folds_free(&b);
    spl_folds_free(&c);
}

static void test_cv_stratified_matches_sklearn(void **state)
{
    (void)state;
    /* StratifiedKFold(3).split(X, y) test folds, pasted from sklearn 1.2.1;
     * classes in order of first appearance (2, 0, 1), not label order. */
    static const double y[] = {2, 0, 1, 0, 2, 2, 0, 1, 0, 2, 2, 0, 1};
    spl_cv_spec s = {.method = SPL_CV_STRATIFIED, .folds = 3, .repeats = 1, .y = y, .nclasses = 3};
    spl_folds f;
    ml_error err = {0};
    assert_int_equal(spl_cv(NULL, 13, &s, &f, &err), ML_OK);
    assert_rows(f.folds[0].test, f.folds[0].ntest, (size_t[]){0, 1, 2, 3, 4}, 5);
    assert_rows(f.folds[1].test, f.folds[1].ntest, (size_t[]){5, 6, 7, 9}, 4);
    assert_rows(f.folds[2].test, f.folds[2].ntest, (size_t[]){8, 10, 11, 12}, 4);
    spl_folds_free(&f);
}

static void test_cv_stratified_balance(void **state)
{
    (void)state;
    enum { N = 1003, K = 7, C = 4 };
    static double y[N];
    for (size_t r = 0; r < N; r++)
        y[r] = r % 10 == 0 ? 1 : r % 10 < 4 ? 2 : 0; /* 10 %, 30 %, 60 % */
    y[5] = y[500] = y[900] = 3; /* a class with fewer rows than folds is allowed */
    spl_cv_spec s = {.method = SPL_CV_STRATIFIED,
                     .folds = K,
                     .repeats = 1,
                     .shuffle = true,
                     .seed = 11,
                     .y = y,
                     .nclasses = C + 1}; /* class 4 has no rows */
    static const size_t sizes[K] = {144, 144, 143, 143, 143, 143, 143};
    size_t seen[N];
    for (int sh = 0; sh < 2; sh++) {
        s.shuffle = sh;
        spl_folds f;
        ml_error err = {0};
        assert_int_equal(spl_cv(NULL, N, &s, &f, &err), ML_OK);
        check_folds(&f, 0, K, N, true, seen);
        for (size_t r = 0; r < N; r++)
            assert_int_equal(seen[r], 1);
        size_t lo[C], hi[C];
        for (size_t c = 0; c < C; c++)
            lo[c] = SIZE_MAX, hi[c] = 0;
        for (size_t i = 0; i < K; i++) {
            assert_int_equal(f.folds[i].ntest, sizes[i]);
            size_t count[C] = {0};
            for (size_t j = 0; j < f.folds[i].ntest; j++)
                count[(size_t)y[f.folds[i].test[j]]]++;
            for (size_t c = 0; c < C; c++) {
                lo[c] = count[c] < lo[c] ? count[c] : lo[c];
                hi[c] = count[c] > hi[c] ? count[c] : hi[c];
            }
        }
        for (size_t c = 0; c < C; c++)
            assert_true(hi[c] - lo[c] <= 1);
        assert_int_equal(hi[3], 1);
        assert_int_equal(lo[3], 0);
        spl_folds_free(&f);
    }
}

/* A string column "g" from a literal list; "N" becomes a null. */
static tbl_table *group_table(const char *const *keys, size_t n)
{
    tbl_table *t = tbl_create();
    ml_error err = {0};
    tbl_add_column(t, "g", TBL_STR, &err);
    tbl_resize(t, n, &err);
    for (size_t r = 0; r < n; r++) {
        if (strcmp(keys[r], "N") == 0)
            tbl_set_null(t, 0, r, &err);
        else
            tbl_set_str(t, 0, r, keys[r], strlen(keys[r]), &err);
    }
    return t;
}

static void test_cv_group_matches_sklearn(void **state)
{
    (void)state;
    /* Group sizes f 6, b 5, d 4, e 3, c 2, null 1.  GroupKFold(3) test folds
     * pasted from sklearn 1.2.1 (with "N" for the null): f+N, b+c, d+e. */
    static const char *const keys[] = {"d", "b", "f", "N", "b", "d", "f", "b", "c", "f", "e",
                                       "d", "f", "b", "c", "f", "e", "e", "d", "b", "f"};
    tbl_table *t = group_table(keys, 21);
    spl_cv_spec s = {.method = SPL_CV_GROUP, .folds = 3, .repeats = 1, .column = "g"};
    spl_folds f;
    ml_error err = {0};
    assert_int_equal(spl_cv(t, 21, &s, &f, &err), ML_OK);
    assert_int_equal(f.nfolds, 3);
    assert_rows(f.folds[0].test, f.folds[0].ntest, (size_t[]){2, 3, 6, 9, 12, 15, 20}, 7);
    assert_rows(f.folds[1].test, f.folds[1].ntest, (size_t[]){1, 4, 7, 8, 13, 14, 19}, 7);
    assert_rows(f.folds[2].test, f.folds[2].ntest, (size_t[]){0, 5, 10, 11, 16, 17, 18}, 7);
    spl_folds_free(&f);
    tbl_free(t);
}

static void test_cv_group_integrity(void **state)
{
    (void)state;
    tbl_table *t = table(740); /* 37 users */
    spl_cv_spec s = {.method = SPL_CV_GROUP, .folds = 5, .repeats = 1, .column = "user"};
    spl_folds f;
    ml_error err = {0};
    assert_int_equal(spl_cv(t, 740, &s, &f, &err), ML_OK);
    size_t seen[740];
    check_folds(&f, 0, 5, 740, true, seen);
    const tbl_column *c = tbl_col(t, 1);
    int fold_of_user[64];
    memset(fold_of_user, -1, sizeof fold_of_user);
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < f.folds[i].ntest; j++) {
            int32_t u = c->data.code[f.folds[i].test[j]];
            assert_true(fold_of_user[u] == -1 || fold_of_user[u] == (int)i);
            fold_of_user[u] = (int)i;
        }
    for (size_t r = 0; r < 740; r++)
        assert_int_equal(seen[r], 1);
    spl_folds_free(&f);
    tbl_free(t);
}

static void test_cv_time_matches_sklearn(void **state)
{
    (void)state;
    /* TimeSeriesSplit(3) on 10 ordered rows (sklearn 1.2.1):
     *   train [0..3] test [4, 5]; train [0..5] test [6, 7]; train [0..7] test [8, 9]. */
    tbl_table *t = tbl_create();
    ml_error err = {0};
    tbl_add_column(t, "when", TBL_TIMESTAMP, &err);
    tbl_resize(t, 10, &err);
    for (size_t r = 0; r < 10; r++)
        tbl_set_timestamp(t, 0, r, (int64_t)r * 1000);
    spl_cv_spec s = {.method = SPL_CV_TIME, .folds = 3, .repeats = 1, .column = "when"};
    spl_folds f;
    assert_int_equal(spl_cv(t, 10, &s, &f, &err), ML_OK);
    assert_int_equal(f.nfolds, 3);
    assert_rows(f.folds[0].train, f.folds[0].ntrain, (size_t[]){0, 1, 2, 3}, 4);
    assert_rows(f.folds[0].test, f.folds[0].ntest, (size_t[]){4, 5}, 2);
    assert_rows(f.folds[1].train, f.folds[1].ntrain, (size_t[]){0, 1, 2, 3, 4, 5}, 6);
    assert_rows(f.folds[1].test, f.folds[1].ntest, (size_t[]){6, 7}, 2);
    assert_rows(f.folds[2].train, f.folds[2].ntrain, (size_t[]){0, 1, 2, 3, 4, 5, 6, 7}, 8);
    assert_rows(f.folds[2].test, f.folds[2].ntest, (size_t[]){8, 9}, 2);
    spl_folds_free(&f);
    /* Out of order, with a tie: rows are ranked by time (ties in table order)
     * and the folds name table rows.  Time order: 3 7 0 9 5 1 8 2 6 4. */
    static const int64_t when[10] = {20, 50, 70, 10, 90, 40, 80, 10, 60, 30};
    for (size_t r = 0; r < 10; r++)
        tbl_set_timestamp(t, 0, r, when[r]);
    assert_int_equal(spl_cv(t, 10, &s, &f, &err), ML_OK);
    assert_rows(f.folds[0].train, f.folds[0].ntrain, (size_t[]){0, 3, 7, 9}, 4);
    assert_rows(f.folds[0].test, f.folds[0].ntest, (size_t[]){1, 5}, 2);
    assert_rows(f.folds[1].train, f.folds[1].ntrain, (size_t[]){0, 1, 3, 5, 7, 9}, 6);
    assert_rows(f.folds[1].test, f.folds[1].ntest, (size_t[]){2, 8}, 2);
    assert_rows(f.folds[2].train, f.folds[2].ntrain, (size_t[]){0, 1, 2, 3, 5, 7, 8, 9}, 8);
    assert_rows(f.folds[2].test, f.folds[2].ntest, (size_t[]){4, 6}, 2);
    spl_folds_free(&f);
    tbl_free(t);
}

static void test_cv_time_sizes_and_order(void **state)
{
    (void)state;
    tbl_table *t = table(503); /* a permutation of days */
    spl_cv_spec s = {.method = SPL_CV_TIME, .folds = 5, .repeats = 1, .column = "when"};
    spl_folds f;
    ml_error err = {0};
    assert_int_equal(spl_cv(t, 503, &s, &f, &err), ML_OK);
    size_t seen[503];
    check_folds(&f, 0, 5, 503, false, seen);
    const tbl_column *c = tbl_col(t, 0);
    for (size_t i = 0; i < 5; i++) {
        /* 503 // 6 = 83 per block; the first training part takes 503 - 5 * 83 = 88. */
        assert_int_equal(f.folds[i].ntest, 83);
        assert_int_equal(f.folds[i].ntrain, 88 + 83 * i);
        int32_t newest_train = INT32_MIN, oldest_test = INT32_MAX;
        for (size_t j = 0; j < f.folds[i].ntrain; j++)
            if (c->data.date[f.folds[i].train[j]] > newest_train)
                newest_train = c->data.date[f.folds[i].train[j]];
        for (size_t j = 0; j < f.folds[i].ntest; j++)
            if (c->data.date[f.folds[i].test[j]] < oldest_test)
                oldest_test = c->data.date[f.folds[i].test[j]];
        assert_true(newest_train < oldest_test);
    }
    size_t never = 0;
    for (size_t r = 0; r < 503; r++) {
        assert_true(seen[r] <= 1);
        never += seen[r] == 0;
    }
    assert_int_equal(never, 88);
    spl_folds_free(&f);
    tbl_free(t);
}

static void test_cv_repeats_differ(void **state)
{
    (void)state;
    enum { N = 60, K = 4, R = 3 };
    static double y[N];
    for (size_t r = 0; r < N; r++)
        y[r] = (double)(r % 3 == 0);
    for (int m = 0; m < 2; m++) {
        /* Repeats shuffle even without `shuffle`; repeat r uses seed + r. */
        spl_cv_spec s = {.method = m ? SPL_CV_STRATIFIED : SPL_CV_KFOLD,
                         .folds = K,
                         .repeats = R,
                         .seed = 100,
                         .y = y,
                         .nclasses = 2};
        spl_folds f, one;
        ml_error err = {0};
        assert_int_equal(spl_cv(NULL, N, &s, &f, &err), ML_OK);
        assert_int_equal(f.nfolds, K * R);
        size_t seen[N];
        for (size_t rep = 0; rep < R; rep++) {
            check_folds(&f, rep * K, K, N, true, seen);
            for (size_t r = 0; r < N; r++)
                assert_int_equal(seen[r], 1);
        }
        for (size_t rep = 1; rep < R; rep++) {
            bool differs = false;
            for (size_t i = 0; i < K; i++)
                differs |= f.folds[i].ntest != f.folds[rep * K + i].ntest ||
                           memcmp(f.folds[i].test, f.folds[rep * K + i].test,
                                  f.folds[i].ntest * sizeof(size_t)) != 0;
            assert_true(differs);
        }
        /* The second repeat is the single shuffled run with seed + 1. */
        s.repeats = 1;
        s.shuffle = true;
        s.seed = 101;
        assert_int_equal(spl_cv(NULL, N, &s, &one, &err), ML_OK);
        for (size_t i = 0; i < K; i++)
            assert_rows(one.folds[i].test, one.folds[i].ntest, f.folds[K + i].test,
                        f.folds[K + i].ntest);
        spl_folds_free(&one);
        spl_folds_free(&f);
    }
}

static void expect_cv_error(const tbl_table *t, size_t n, const spl_cv_spec *s, const char *msg)
{
    spl_folds f;
    ml_error err = {0};
    assert_int_equal(spl_cv(t, n, s, &f, &err), ML_EINVAL);
    assert_string_equal(err.message, msg);
    assert_int_equal(f.nfolds, 0);
    assert_null(f.folds);
}

static void test_cv_errors(void **state)
{
    (void)state;
    tbl_table *t = table(10);
    static const double y[10] = {0, 1, 2, 1, 0, 1, 0, 1, 2.5, 0};
    spl_cv_spec s = {.method = SPL_CV_KFOLD, .folds = 1, .repeats = 1};
    expect_cv_error(NULL, 10, &s, "cross-validation needs at least 2 folds, got 1");
    s.folds = 11;
    expect_cv_error(NULL, 10, &s, "cannot make 11 cross-validation folds from 10 rows");
    s.folds = 3;
    s.repeats = 0;
    expect_cv_error(NULL, 10, &s, "cross-validation repeats must be at least 1, got 0");
    s.repeats = 1;
    expect_cv_error(t, 12, &s, "cross-validation over 12 rows was given a table of 10 rows");
    s.method = (spl_cv_method)9;
    expect_cv_error(NULL, 10, &s, "unknown cross-validation method 9");

    s = (spl_cv_spec){.method = SPL_CV_STRATIFIED, .folds = 3, .repeats = 1, .nclasses = 2};
    expect_cv_error(NULL, 10, &s, "a stratified cross-validation needs the class of every row");
    s.y = y;
    expect_cv_error(NULL, 10, &s,
                    "a stratified cross-validation needs class indices in [0, 2); data row 3 "
                    "has 2");
    s.nclasses = 3;
    expect_cv_error(NULL, 10, &s,
                    "a stratified cross-validation needs class indices in [0, 3); data row 9 "
                    "has 2.5");

    s = (spl_cv_spec){.method = SPL_CV_GROUP, .folds = 3, .repeats = 1};
    expect_cv_error(t, 10, &s, "a group cross-validation needs a split column");
    s.column = "user";
    expect_cv_error(NULL, 10, &s,
                    "a group cross-validation needs the table holding split column 'user'");
    s.column = "nope";
    expect_cv_error(t, 10, &s, "split column 'nope' not found in the data");
    s.column = "user";
    s.repeats = 2;
    expect_cv_error(t, 10, &s,
                    "a group cross-validation cannot be repeated (repeats 2): its folds do not "
                    "depend on a seed; repeats are for k-fold and stratified");
    s.repeats = 1;
    s.shuffle = true;
    expect_cv_error(t, 10, &s,
                    "a group cross-validation cannot shuffle: its groups go to folds by size");
    static const char *const keys[] = {"a", "b", "a", "N", "b", "N"};
    tbl_table *g = group_table(keys, 6);
    s = (spl_cv_spec){.method = SPL_CV_GROUP, .folds = 4, .repeats = 1, .column = "g"};
    expect_cv_error(g, 6, &s, "split column 'g' has 3 groups, fewer than the 4 folds");
    s.folds = 3; /* the nulls are the third group */
    spl_folds f;
    ml_error err = {0};
    assert_int_equal(spl_cv(g, 6, &s, &f, &err), ML_OK);
    assert_rows(f.folds[2].test, f.folds[2].ntest, (size_t[]){3, 5}, 2);
    spl_folds_free(&f);
    tbl_free(g);

    s = (spl_cv_spec){.method = SPL_CV_TIME, .folds = 3, .repeats = 1};
    expect_cv_error(t, 10, &s, "a time-series cross-validation needs a split column");
    s.column = "user";
    expect_cv_error(t, 10, &s,
                    "split column 'user' is text; a time split needs a date, timestamp or number");
    s.column = "when";
    s.shuffle = true;
    expect_cv_error(t, 10, &s,
                    "a time-series cross-validation cannot shuffle: its folds follow the time "
                    "order");
    s.shuffle = false;
    s.repeats = 3;
    expect_cv_error(t, 10, &s,
                    "a time-series cross-validation cannot be repeated (repeats 3): its folds "
                    "do not depend on a seed; repeats are for k-fold and stratified");
    s.repeats = 1;
    s.folds = 10;
    expect_cv_error(t, 10, &s,
                    "a time-series cross-validation with 10 folds needs at least 11 rows (the "
                    "earliest block only trains), got 10");
    s.folds = 3;
    ml_error e2 = {0};
    tbl_set_null(t, 0, 6, &e2);
    expect_cv_error(t, 10, &s,
                    "split column 'when' has no time at data row 7; a time-series "
                    "cross-validation needs every row's time");
    tbl_free(t);

    t = tbl_create();
    tbl_add_column(t, "x", TBL_F64, &e2);
    tbl_resize(t, 5, &e2);
    for (size_t r = 0; r < 5; r++)
        tbl_set_f64(t, 0, r, (double)r);
    tbl_set_f64(t, 0, 2, NAN);
    s.column = "x";
    expect_cv_error(t, 5, &s,
                    "split column 'x' has no time at data row 3; a time-series "
                    "cross-validation needs every row's time");
    tbl_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_sizes_and_order),
        cmocka_unit_test(test_stratified_keeps_class_shares),
        cmocka_unit_test(test_time_puts_the_latest_rows_in_test),
        cmocka_unit_test(test_group_keeps_groups_whole),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_cv_kfold_sizes_match_sklearn),
        cmocka_unit_test(test_cv_kfold_shuffle_is_seeded),
        cmocka_unit_test(test_cv_stratified_matches_sklearn),
        cmocka_unit_test(test_cv_stratified_balance),
        cmocka_unit_test(test_cv_group_matches_sklearn),
        cmocka_unit_test(test_cv_group_integrity),
        cmocka_unit_test(test_cv_time_matches_sklearn),
        cmocka_unit_test(test_cv_time_sizes_and_order),
        cmocka_unit_test(test_cv_repeats_differ),
        cmocka_unit_test(test_cv_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
