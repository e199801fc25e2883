/* Unit tests for src/models/params.c: parsing, every type, every error message. */
#include "test_util.h"

#include "models/params.h"

#include <stdbool.h>

typedef struct demo {
    int num_leaves;
    double learning_rate;
    bool verbose;
    int objective;
    const char *label;
} demo;

static const param_spec specs[] = {
    {"num_leaves", PARAM_INT, offsetof(demo, num_leaves), 2, 131072, NULL, "leaves per tree"},
    {"learning_rate", PARAM_DOUBLE, offsetof(demo, learning_rate), 1e-9, 1, NULL, "shrinkage"},
    {"verbose", PARAM_BOOL, offsetof(demo, verbose), 0, 1, NULL, "print progress"},
    {"objective", PARAM_ENUM, offsetof(demo, objective), 0, 0, "regression|binary|multiclass",
     "loss"},
    {"label", PARAM_STRING, offsetof(demo, label), 0, 0, NULL, "a name"},
};
#define NSPECS (sizeof specs / sizeof specs[0])

/* Applies one "key=value" to d; returns the status. */
static int apply1(demo *d, const char *text, ml_error *err)
{
    static char buf[256];
    param_kv kv;
    int rc = param_kv_parse(text, buf, &kv, err);
    if (rc)
        return rc;
    return params_apply(specs, NSPECS, &kv, 1, d, err);
}

static void parses_key_value(void **state)
{
    (void)state;
    ml_error err = {0};
    char buf[64];
    param_kv kv;
    assert_int_equal(param_kv_parse("num_leaves=31", buf, &kv, &err), ML_OK);
    assert_string_equal(kv.key, "num_leaves");
    assert_string_equal(kv.value, "31");
    assert_int_equal(param_kv_parse("a=b=c", buf, &kv, &err), ML_OK);
    assert_string_equal(kv.key, "a");
    assert_string_equal(kv.value, "b=c");
    assert_int_equal(param_kv_parse("a=", buf, &kv, &err), ML_OK);
    assert_string_equal(kv.value, "");
    assert_error(param_kv_parse("x", buf, &kv, &err), err, ML_EINVAL,
                 "expected key=value, got 'x' (no '=')");
    assert_error(param_kv_parse("=3", buf, &kv, &err), err, ML_EINVAL,
                 "expected key=value, got '=3' (empty key)");
    assert_error(param_kv_parse("", buf, &kv, &err), err, ML_EINVAL,
                 "expected key=value, got '' (no '=')");
}

static void applies_every_type(void **state)
{
    (void)state;
    ml_error err = {0};
    demo d = {0};
    const char *texts[] = {"num_leaves=31", "learning_rate=0.05", "verbose=yes", "objective=binary",
                           "label=y"};
    char bufs[5][64];
    param_kv kv[5];
    for (int i = 0; i < 5; i++)
        assert_int_equal(param_kv_parse(texts[i], bufs[i], &kv[i], &err), ML_OK);
    assert_int_equal(params_apply(specs, NSPECS, kv, 5, &d, &err), ML_OK);
    assert_int_equal(d.num_leaves, 31);
    assert_true(d.learning_rate == 0.05);
    assert_true(d.verbose);
    assert_int_equal(d.objective, 1);
    assert_string_equal(d.label, "y");
    assert_ptr_equal(d.label, kv[4].value); /* borrowed, not copied */

    const char *t[] = {"true", "1", "yes", "TRUE"}, *f[] = {"false", "0", "no", "No"};
    char line[64];
    for (int i = 0; i < 4; i++) {
        snprintf(line, sizeof line, "verbose=%s", f[i]);
        assert_int_equal(apply1(&d, line, &err), ML_OK);
        assert_false(d.verbose);
        snprintf(line, sizeof line, "verbose=%s", t[i]);
        assert_int_equal(apply1(&d, line, &err), ML_OK);
        assert_true(d.verbose);
    }
    assert_int_equal(apply1(&d, "objective=regression", &err), ML_OK);
    assert_int_equal(d.objective, 0);
    assert_int_equal(apply1(&d, "objective=multiclass", &err), ML_OK);
    assert_int_equal(d.objective, 2);
    assert_int_equal(apply1(&d, "num_leaves=+2", &err), ML_OK);
    assert_int_equal(d.num_leaves, 2);
    assert_int_equal(apply1(&d, "learning_rate=1e-3", &err), ML_OK);
    assert_true(d.learning_rate == 1e-3);
    assert_int_equal(apply1(&d, "learning_rate=1", &err), ML_OK);
    assert_true(d.learning_rate == 1);
}

static void last_value_wins(void **state)
{
    (void)state;
    ml_error err = {0};
    demo d = {0};
    param_kv kv[2] = {{"num_leaves", "10"}, {"num_leaves", "20"}};
    assert_int_equal(params_apply(specs, NSPECS, kv, 2, &d, &err), ML_OK);
    assert_int_equal(d.num_leaves, 20);
}

static void unknown_keys_suggest(void **state)
{
    (void)state;
    ml_error err = {0};
    demo d = {0};
    assert_error(apply1(&d, "num_leafs=3", &err), err, ML_EINVAL,
                 "unknown parameter 'num_leafs' (did you mean 'num_leaves'?)");
    assert_error(apply1(&d, "learningrate=3", &err), err, ML_EINVAL,
                 "(did you mean 'learning_rate'?)");
    assert_error(apply1(&d, "zzzzzz=1", &err), err, ML_EINVAL, "unknown parameter 'zzzzzz'");
    assert_null(strstr(err.message, "did you mean"));
    assert_string_equal(params_closest(specs, NSPECS, "verbos"), "verbose");
    assert_string_equal(params_closest(specs, NSPECS, "lable"), "label");
    assert_null(params_closest(specs, NSPECS, "completely_unrelated"));
    assert_null(params_closest(specs, NSPECS, ""));
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_null(params_closest(specs, NSPECS, longname));
    assert_ptr_equal(params_find(specs, NSPECS, "label"), &specs[4]);
    assert_null(params_find(specs, NSPECS, "Label"));
}

static void bad_ints(void **state)
{
    (void)state;
    ml_error err = {0};
    demo d = {0};
    const char *bad[] = {"num_leaves=",   "num_leaves=3.5", "num_leaves=abc", "num_leaves= 3",
                         "num_leaves=3 ", "num_leaves=-",   "num_leaves=0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_error(apply1(&d, bad[i], &err), err, ML_EINVAL,
                     "parameter 'num_leaves' expects an integer, got '");
    assert_error(apply1(&d, "num_leaves=1", &err), err, ML_EINVAL,
                 "parameter 'num_leaves' must be between 2 and 131072, got 1");
    assert_error(apply1(&d, "num_leaves=131073", &err), err, ML_EINVAL,
                 "must be between 2 and 131072, got 131073");
    assert_error(apply1(&d, "num_leaves=99999999999999999999999", &err), err, ML_EINVAL,
                 "must be between 2 and 131072, got 99999999999999999999999");
    assert_int_equal(d.num_leaves, 0); /* untouched on error */
}

static void bad_doubles(void **state)
{
    (void)state;
    ml_error err = {0};
    demo d = {0};
    const char *bad[] = {"learning_rate=", "learning_rate=fast", "learning_rate=0.1x",
                         "learning_rate= 0.1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_error(apply1(&d, bad[i], &err), err, ML_EINVAL,
                     "parameter 'learning_rate' expects a number, got '");
    assert_error(apply1(&d, "learning_rate=5", &err), err, ML_EINVAL,
                 "parameter 'learning_rate' must be between 1e-09 and 1, got 5");
    assert_error(apply1(&d, "learning_rate=0", &err), err, ML_EINVAL, "got 0");
    assert_error(apply1(&d, "learning_rate=nan", &err), err, ML_EINVAL, "got nan");
    assert_error(apply1(&d, "learning_rate=inf", &err), err, ML_EINVAL, "got inf");
    assert_error(apply1(&d, "learning_rate=1e999", &err), err, ML_EINVAL, "got 1e999");
}

static void bad_bools_and_enums(void **state)
{
    (void)state;
    ml_error err = {0};
    demo d = {0};
    assert_error(apply1(&d, "verbose=maybe", &err), err, ML_EINVAL,
                 "parameter 'verbose' expects true or false, got 'maybe'");
    assert_error(apply1(&d, "verbose=", &err), err, ML_EINVAL, "got ''");
    assert_error(apply1(&d, "objective=poisson", &err), err, ML_EINVAL,
                 "parameter 'objective' must be one of regression|binary|multiclass, got "
                 "'poisson'");
    assert_error(apply1(&d, "objective=binar", &err), err, ML_EINVAL, "got 'binar'");
    assert_error(apply1(&d, "objective=binaryx", &err), err, ML_EINVAL, "got 'binaryx'");
    assert_error(apply1(&d, "objective=", &err), err, ML_EINVAL, "got ''");
}

static void describes_the_table(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    params_describe(specs, NSPECS, out);
    fclose(out);
    assert_non_null(strstr(
        text, "  num_leaves     int                           [2, 131072]  leaves per tree\n"));
    assert_non_null(
        strstr(text, "  learning_rate  double                        [1e-09, 1]   shrinkage\n"));
    assert_non_null(
        strstr(text, "  objective      regression|binary|multiclass               loss\n"));
    assert_non_null(
        strstr(text, "  label          string                                     a name\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_key_value),
        cmocka_unit_test(applies_every_type),
        cmocka_unit_test(last_value_wins),
        cmocka_unit_test(unknown_keys_suggest),
        cmocka_unit_test(bad_ints),
        cmocka_unit_test(bad_doubles),
        cmocka_unit_test(bad_bools_and_enums),
        cmocka_unit_test(describes_the_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
