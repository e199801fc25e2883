/* Unit tests for src/data/value.c: parsing and exact round trips. */
#include "test_util.h"

#include "data/value.h"

#include <math.h>

static void parses_integers(void **state)
{
    (void)state;
    int64_t v;
    assert_true(val_parse_i64("42", 2, &v) && v == 42);
    assert_true(val_parse_i64(" -7 ", 4, &v) && v == -7);
    assert_true(val_parse_i64("+3", 2, &v) && v == 3);
    assert_true(val_parse_i64("9223372036854775807", 19, &v) && v == INT64_MAX);
    assert_true(val_parse_i64("-9223372036854775808", 20, &v) && v == INT64_MIN);
    assert_false(val_parse_i64("9223372036854775808", 19, &v));
    assert_false(val_parse_i64("1.0", 3, &v));
    assert_false(val_parse_i64("-", 1, &v));
    assert_false(val_parse_i64("", 0, &v));
    assert_false(val_parse_i64("12a", 3, &v));
}

static void parses_floats_exactly(void **state)
{
    (void)state;
    const char *cases[] = {"0.1",
                           "1e-5",
                           "-2.5E+3",
                           ".5",
                           "5.",
                           "3.141592653589793",
                           "1e308",
                           "4.9e-324",
                           "123456789012345678901234",
                           "0.30000000000000004",
                           "  7.25 "};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v;
        assert_true(val_parse_f64(cases[i], strlen(cases[i]), &v));
        assert_true(v == strtod(cases[i], NULL));
    }
    double v;
    assert_true(val_parse_f64("-inf", 4, &v) && isinf(v) && v < 0);
    assert_true(val_parse_f64("Infinity", 8, &v) && isinf(v));
    assert_false(val_parse_f64("e5", 2, &v));
    assert_false(val_parse_f64("1e", 2, &v));
    assert_false(val_parse_f64(".", 1, &v));
    assert_false(val_parse_f64("1.2.3", 5, &v));
    assert_false(val_parse_f64("abc", 3, &v));
    assert_false(val_parse_f64("0x10", 4, &v));
}

static void formats_floats_round_trip(void **state)
{
    (void)state;
    double samples[] = {0.1, 1.0 / 3.0, 2.5, -1e-300, 1e300, 123456.789, 5e-324, 1e15, 1e16};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char buf[VAL_TEXT_MAX];
        size_t n = val_format_f64(samples[i], buf);
        double back;
        assert_true(val_parse_f64(buf, n, &back));
        assert_memory_equal(&back, &samples[i], sizeof back);
    }
    char buf[VAL_TEXT_MAX];
    val_format_f64(0.1, buf);
    assert_string_equal(buf, "0.1");
    val_format_f64(42.0, buf);
    assert_string_equal(buf, "42");
}

static void parses_bools(void **state)
{
    (void)state;
    bool b;
    assert_true(val_parse_bool("true", 4, &b) && b);
    assert_true(val_parse_bool("FALSE", 5, &b) && !b);
    assert_false(val_parse_bool("yes", 3, &b));
    assert_false(val_parse_bool("1", 1, &b));
}

static void parses_dates_and_timestamps(void **state)
{
    (void)state;
    int32_t d;
    assert_true(val_parse_date("1970-01-01", 10, &d) && d == 0);
    assert_true(val_parse_date("2024-02-29", 10, &d) && d == 19782);
    assert_false(val_parse_date("2023-02-29", 10, &d));
    assert_false(val_parse_date("2023-13-01", 10, &d));
    assert_false(val_parse_date("2023-1-01", 9, &d));
    int64_t us;
    assert_true(val_parse_timestamp("1970-01-01T00:00:01", 19, &us) && us == 1000000);
    assert_true(val_parse_timestamp("1970-01-01 01:00:00+01:00", 25, &us) && us == 0);
    assert_true(val_parse_timestamp("1970-01-01T00:00:00.5Z", 22, &us) && us == 500000);
    assert_true(val_parse_timestamp("2024-05-06 07:08", 16, &us));
    assert_false(val_parse_timestamp("2024-05-06", 10, &us));
    assert_false(val_parse_timestamp("2024-05-06T25:00:00", 19, &us));
    char buf[VAL_TEXT_MAX];
    val_format_timestamp(1500000, buf);
    assert_string_equal(buf, "1970-01-01T00:00:01.500000");
    val_format_timestamp(-1, buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.999999");
    val_format_date(19782, buf);
    assert_string_equal(buf, "2024-02-29");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_integers),
        cmocka_unit_test(parses_floats_exactly),
        cmocka_unit_test(formats_floats_round_trip),
        cmocka_unit_test(parses_bools),
        cmocka_unit_test(parses_dates_and_timestamps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
