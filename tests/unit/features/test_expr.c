/* Unit tests for src/features/expr.c: precedence and associativity, every
 * function, null propagation and three-valued logic, text columns through
 * their category codes, names, fx_uses, the column evaluator against the
 * row evaluator over many chunks, and every compile error's exact message.
 * Each value is checked through fx_eval_row and fx_eval (folded constants
 * and column kernels both), with the operands as constants and as columns. */
#include "test_util.h"

#include "features/expr.h"

#include <math.h>

/* ---- fixture ---------------------------------------------------------------- */

enum { A, B, C, TENURE, PLAN, FEE, CITY, REGION, ODD, AND_COL, NIN };

static const char *const names[NIN] = {"a",           "b",        "c",      "tenure_months", "plan",
                                       "monthly fee", "geo.city", "region", "odd`name",      "and"};
static const tbl_dict *dicts[NIN];
static tbl_dict *plan_dict, *region_dict;
static const fx_inputs inputs = {NIN, names, dicts};

static int setup(void **state)
{
    (void)state;
    plan_dict = tbl_dict_create();
    region_dict = tbl_dict_create();
    const char *plans[] = {"basic", "premium", "pro", "it's", "say \"hi\""};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(tbl_dict_intern(plan_dict, plans[i], strlen(plans[i])), (int32_t)i);
    assert_int_equal(tbl_dict_intern(region_dict, "north", 5), 0);
    assert_int_equal(tbl_dict_intern(region_dict, "south", 5), 1);
    dicts[PLAN] = plan_dict;
    dicts[REGION] = region_dict;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tbl_dict_free(plan_dict);
    tbl_dict_free(region_dict);
    return 0;
}

static fx_expr *compile_ok(const char *text)
{
    fx_expr *e = NULL;
    ml_error err = {0};
    int rc = fx_compile(text, &inputs, &e, &err);
    if (rc != ML_OK)
        fail_msg("'%s' did not compile: %s", text, err.message);
    assert_non_null(e);
    return e;
}

static bool same(double x, double y)
{
    return (isnan(x) && isnan(y)) || x == y;
}

/* The value of text on one row, by both evaluators (which must agree). */
static double eval_on(const char *text, const double *row)
{
    fx_expr *e = compile_ok(text);
    double by_row = fx_eval_row(e, row);
    const double *cols[NIN];
    double three[NIN][3];
    for (size_t i = 0; i < NIN; i++) {
        three[i][0] = three[i][1] = three[i][2] = row[i];
        cols[i] = three[i];
    }
    double out[3];
    fx_eval(e, cols, 3, out);
    for (size_t r = 0; r < 3; r++)
        if (!same(out[r], by_row))
            fail_msg("'%s': fx_eval gives %.17g, fx_eval_row %.17g", text, out[r], by_row);
    fx_free(e);
    return by_row;
}

/* a = 2, b = 3, c = -1, tenure_months = 12, plan = "premium", monthly fee = 70.5,
 * geo.city = 5, region = "south". */
static const double base_row[NIN] = {2, 3, -1, 12, 1, 70.5, 5, 1, 7, 1};

static void check_value(const char *text, const double *row, double want)
{
    double got = eval_on(text, row);
    bool ok = isnan(want) ? isnan(got) : fabs(got - want) <= 1e-12 * fmax(1, fabs(want));
    if (!ok)
        fail_msg("'%s' = %.17g, want %.17g", text, got, want);
    if (!isnan(got) && !isfinite(got))
        fail_msg("'%s' gave a non-finite value", text);
}

#define VAL(text, want) check_value(text, base_row, want)

static void check_error(const char *text, const char *want)
{
    fx_expr *e = (fx_expr *)&e; /* must be reset to NULL */
    ml_error err = {0};
    int rc = fx_compile(text, &inputs, &e, &err);
    if (rc != ML_EINVAL)
        fail_msg("'%s' compiled (rc %d), want error '%s'", text, rc, want);
    assert_null(e);
    if (strcmp(err.message, want))
        fail_msg("'%s': message '%s', want '%s'", text, err.message, want);
}

/* ---- tests -------------------------------------------------------------------- */

static void test_precedence(void **state)
{
    (void)state;
    VAL("-2^2", -4);
    VAL("-a^2", -4);
    VAL("2^3^2", 512);
    VAL("a^b^a", 512);
    VAL("(2^3)^2", 64);
    VAL("2^-1", 0.5);
    VAL("a^-a", 0.25);
    VAL("- -3", 3);
    VAL("-(-a)", 2);
    VAL("1+2*3", 7);
    VAL("a+b*a", 8);
    VAL("(1+2)*3", 9);
    VAL("(a+1)*b", 9);
    VAL("2*3^2", 18);
    VAL("a*b^a", 18);
    VAL("7-3-2", 2);
    VAL("tenure_months-b-a", 7);
    VAL("16/4/2", 2);
    VAL("tenure_months/b/a", 2);
    VAL("7 % 3", 1);
    VAL("-7 % 3", -1);
    VAL("tenure_months % 5 * 2", 4);
    VAL("a * -b", -6);
    VAL("1 + 2 < 4", 1);
    VAL("a + b < 4", 0);
    VAL("a + b >= 5", 1);
    VAL("a <= 2", 1);
    VAL("a > 2", 0);
    VAL("a == 2", 1);
    VAL("a != 2", 0);
    VAL("1 - 1 == 0", 1);
    VAL("not 1 == 2", 1);
    VAL("not a == 2", 0);
    VAL("true or false and false", 1);
    VAL("a > 0 or a > 5 and a > 5", 1);
    VAL("(true or false) and false", 0);
    VAL("(a > 0 or a > 5) and a > 5", 0);
    VAL("not true or true", 1);
    VAL("not a > 0 or b > 0", 1);
    VAL("not (true or true)", 0);
    VAL("not (a > 0 or b > 0)", 0);
    VAL("not not a", 1);
    VAL("a > 1 and (b > 1) == 1", 1);
    /* Literals. */
    VAL("1e3", 1000);
    VAL(".5 + 1.5e-1", 0.65);
    VAL("2.", 2);
    VAL("1E+2", 100);
    VAL("true + true", 2);
    VAL("false", 0);
    VAL("null", NAN);
    VAL("  a\t*\n2  ", 4);
}

static void test_functions(void **state)
{
    (void)state;
    VAL("log(1)", 0);
    VAL("log(exp(a))", 2);
    VAL("log(0)", NAN);
    VAL("log(a - 2)", NAN);
    VAL("log(c)", NAN);
    VAL("exp(0)", 1);
    VAL("exp(a)", exp(2));
    VAL("exp(1000)", NAN);
    VAL("exp(a * 500)", NAN);
    VAL("sqrt(16)", 4);
    VAL("sqrt(a * 8)", 4);
    VAL("sqrt(-1)", NAN);
    VAL("sqrt(c)", NAN);
    VAL("abs(-3)", 3);
    VAL("abs(c)", 1);
    VAL("round(2.5)", 3);
    VAL("round(-2.5)", -3);
    VAL("round(`monthly fee`)", 71);
    VAL("round(-`monthly fee`)", -71);
    VAL("floor(-1.5)", -2);
    VAL("floor(`monthly fee`)", 70);
    VAL("ceil(-1.5)", -1);
    VAL("ceil(`monthly fee`)", 71);
    VAL("min(3, 1, 2)", 1);
    VAL("min(a, b, c)", -1);
    VAL("min(a, 10)", 2);
    VAL("min(10, a)", 2);
    VAL("max(3, 1, 2)", 3);
    VAL("max(a, b, c)", 3);
    VAL("max(c, 0)", 0);
    VAL("coalesce(null, null, 3)", 3);
    VAL("coalesce(null, a, 3)", 2);
    VAL("coalesce(a / 0, b)", 3);
    VAL("coalesce(a / 0, 7)", 7);
    VAL("coalesce(null, null)", NAN);
    VAL("coalesce(a / 0, null)", NAN);
    VAL("if(1, 2, 3)", 2);
    VAL("if(0, 2, 3)", 3);
    VAL("if(null, 2, 3)", NAN);
    VAL("if(a > 1, b, c)", 3);
    VAL("if(a > 5, b, c)", -1);
    VAL("if(a > 1, 10, 20)", 10);
    VAL("if(a < 1, 10, 20)", 20);
    VAL("if(a / 0, 10, 20)", NAN);
    VAL("if(c, a, b)", 2);
    VAL("if(true, a, b)", 2);
    VAL("if(false, a, b)", 3);
    VAL("if(a > 1, if(b > 5, 1, 2), if(c > 0, 3, 4))", 2);
    VAL("if(a > 1, a + b * c, (a - b) * (c - a))", -1);
    VAL("min(max(a, b), if(c < 0, abs(c), 0), sqrt(b * 3))", 1);
}

static void test_nulls(void **state)
{
    (void)state;
    const char *arith[] = {"null + 1",     "a + null",     "null - a",     "null * 0",
                           "0 * null",     "null / 1",     "null % 2",     "null ^ 0",
                           "1 ^ null",     "-null",        "log(null)",    "exp(null)",
                           "sqrt(null)",   "abs(null)",    "round(null)",  "floor(null)",
                           "ceil(null)",   "min(1, null)", "max(null, a)", "min(a, b, null)",
                           "null == null", "a == null",    "null != 1",    "a < null",
                           "null <= a",    "a > null",     "null >= 1",    "not null"};
    for (size_t i = 0; i < sizeof arith / sizeof *arith; i++)
        VAL(arith[i], NAN);
    /* Columns holding null (NaN) and infinities (read as null). */
    double row[NIN];
    memcpy(row, base_row, sizeof row);
    row[A] = NAN;
    row[B] = INFINITY;
    row[C] = -INFINITY;
    const char *cols[] = {"a",      "b",          "c",          "a + 1",  "b * 0",
                          "1 / b",  "c > 0",      "a ^ 0",      "1 ^ a",  "b == b",
                          "a != 1", "min(a, 1)",  "max(1, b)",  "abs(c)", "if(a, 1, 2)",
                          "not b",  "a and true", "b or false", "exp(a)", "if(a > 0, 1, 2)"};
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
        check_value(cols[i], row, NAN);
    check_value("coalesce(a, b, c, 4)", row, 4);
    check_value("coalesce(b, 5)", row, 5);
    check_value("if(tenure_months > 0, 1, a)", row, 1);

    /* Three-valued logic over {false, true, null}, constant and columns. */
    const double v[3] = {0, 1, NAN};
    const char *lit[3] = {"false", "true", "null"};
    for (int x = 0; x < 3; x++) {
        for (int y = 0; y < 3; y++) {
            bool fx = x == 0, fy = y == 0, tx = x == 1, ty = y == 1, nul = x == 2 || y == 2;
            double want_and = fx || fy ? 0 : nul ? NAN : 1;
            double want_or = tx || ty ? 1 : nul ? NAN : 0;
            char text[64];
            snprintf(text, sizeof text, "%s and %s", lit[x], lit[y]);
            VAL(text, want_and);
            snprintf(text, sizeof text, "%s or %s", lit[x], lit[y]);
            VAL(text, want_or);
            row[A] = v[x];
            row[B] = v[y];
            check_value("a and b", row, want_and);
            check_value("a or b", row, want_or);
            check_value("a and true", row, x == 2 ? NAN : x == 1);
            check_value("false or b", row, y == 2 ? NAN : y == 1);
        }
        row[A] = v[x];
        check_value("not a", row, x == 2 ? NAN : x == 0);
    }
    /* Non-zero is true, whatever its sign or size. */
    VAL("c and 0.5", 1);
    VAL("-0.25 or 0", 1);
    VAL("not -3", 0);
}

static void test_division_and_overflow(void **state)
{
    (void)state;
    VAL("1 / 0", NAN);
    VAL("a / 0", NAN);
    VAL("a / (b - 3)", NAN);
    VAL("0 / 0", NAN);
    VAL("(a - 2) / (b - 3)", NAN);
    VAL("-a / 0", NAN);
    VAL("5 % 0", NAN);
    VAL("a % (b - b)", NAN);
    VAL("a / b", 2.0 / 3.0);
    VAL("1e308 * 10", NAN);
    VAL("a * 1e308", NAN);
    VAL("-1e308 - 1e308", NAN);
    VAL("10 ^ 400", NAN);
    VAL("a ^ 2000", NAN);
    VAL("0 ^ -1", NAN);
    VAL("(a - 2) ^ -1", NAN);
    VAL("c ^ 0.5", NAN);
    VAL("(1 / 0) * 0", NAN);
    VAL("coalesce(1 / 0, 0) + 1", 1);
}

static void test_text_columns(void **state)
{
    (void)state;
    double row[NIN];
    memcpy(row, base_row, sizeof row);
    struct {
        double code;
        double eq_premium, ne_premium, eq_gold, ne_gold;
    } cases[] = {
        {1, 1, 0, 0, 1},          /* premium */
        {0, 0, 1, 0, 1},          /* basic */
        {-1, 0, 1, 0, 1},         /* a category the dictionary lacks */
        {-7, 0, 1, 0, 1},         /* any negative code */
        {NAN, NAN, NAN, NAN, NAN} /* null */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        row[PLAN] = cases[i].code;
        check_value("plan == \"premium\"", row, cases[i].eq_premium);
        check_value("\"premium\" == plan", row, cases[i].eq_premium);
        check_value("plan == 'premium'", row, cases[i].eq_premium);
        check_value("plan != \"premium\"", row, cases[i].ne_premium);
        check_value("'premium' != plan", row, cases[i].ne_premium);
        check_value("plan == \"gold\"", row, cases[i].eq_gold);
        check_value("plan != \"gold\"", row, cases[i].ne_gold);
        check_value("plan == \"\"", row, cases[i].eq_gold);
    }
    row[PLAN] = 3;
    check_value("plan == 'it''s'", row, 1);
    check_value("plan == \"it's\"", row, 1);
    row[PLAN] = 4;
    check_value("plan == 'say \"hi\"'", row, 1);
    check_value("plan == \"say \"\"hi\"\"\"", row, 1);
    /* In larger expressions. */
    row[PLAN] = 1;
    row[REGION] = 1;
    check_value("if(plan == \"premium\" and region != \"north\", `monthly fee` * 2, `monthly fee`)",
                row, 141);
    check_value("(plan == \"pro\") + (region == \"south\") * 10", row, 10);
    check_value("not (plan == \"basic\") or null", row, 1);
    check_value("coalesce(plan == \"basic\", 5)", row, 0);
    row[PLAN] = NAN;
    check_value("coalesce(plan == \"basic\", 5)", row, 5);
}

static void test_names(void **state)
{
    (void)state;
    VAL("`monthly fee` * 2", 141);
    VAL("`a` + `b`", 5);
    VAL("geo.city + 1", 6);
    VAL("`geo.city`", 5);
    VAL("`odd``name`", 7);
    VAL("`and` + a", 3);
    VAL("`tenure_months`/12", 1);
    /* Function names are not columns, and columns may share a function's
     * name only through a call's absence: `abs` would be a column. */
    check_error("abs", "1:1: unknown column 'abs' (did you mean 'a'?)");
    check_error("Log(a)", "1:1: unknown function 'Log' (did you mean 'log'?)");
    check_error("AND", "1:1: unknown column 'AND'");
}

static void check_uses(const char *text, const size_t *want, size_t nwant)
{
    fx_expr *e = compile_ok(text);
    size_t n = 99;
    const size_t *uses = fx_uses(e, &n);
    if (n != nwant)
        fail_msg("'%s' uses %zu inputs, want %zu", text, n, nwant);
    for (size_t i = 0; i < n && i < nwant; i++)
        if (uses[i] != want[i])
            fail_msg("'%s': use %zu is %zu, want %zu", text, i, uses[i], want[i]);
    fx_free(e);
}

static void test_uses(void **state)
{
    (void)state;
    check_uses("1 + 2", (size_t[]){0}, 0);
    size_t w1[] = {A, B, C};
    check_uses("c + b * a * a + if(c > 0, a, b)", w1, 3);
    size_t w2[] = {A};
    check_uses("a", w2, 1);
    /* Named but folded away still counts: the text must compile again
     * against the inputs fx_uses keeps. */
    size_t w4[] = {A, B, C};
    check_uses("if(true, a, b) + 0 * c", w4, 3);
    check_uses("coalesce(1, a, b, c)", w4, 3);
    size_t w3[] = {B, PLAN, FEE, REGION};
    check_uses("if(region == 'north' and plan != 'pro', `monthly fee`, b)", w3, 4);
    fx_free(NULL);
}

/* fx_eval over many chunks against fx_eval_row row by row, bit for bit. */
static void test_blocks(void **state)
{
    (void)state;
    enum { N = 1000 };
    static double col[NIN][N];
    uint64_t s = 88172645463325252ull;
    for (size_t r = 0; r < N; r++)
        for (size_t i = 0; i < NIN; i++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            double u = (double)(s >> 11) / 9007199254740992.0;
            col[i][r] = r % 17 == i ? NAN : r % 29 == i ? 0 : (u - 0.3) * 10;
            if (i == PLAN || i == REGION)
                col[i][r] = r % 13 == 0 ? NAN : (double)(s % 7) - 1;
        }
    const char *exprs[] = {
        "a / b",
        "a",
        "3",
        "-a^2 + b % 3 - c * 2",
        "log(a) + sqrt(b) - exp(c) + abs(a) + round(b) + floor(c) + ceil(a)",
        "min(a, b, c, 1) + max(a, 2, b) + coalesce(a, b, c, 0)",
        "if(a > b, a - b, if(c < 0, c, 2 * b)) + (a <= b) + (a >= c) + (b != c) + (a == a)",
        "(a > 0 and b < 0) + (a > 0 or not c > 0) * 2",
        "if(plan == 'premium' or region != \"south\", `monthly fee`, 0) + (plan == 'nope')",
        "((a + b) * (c + a)) / ((b - c) + (a * b)) - ((a - c) * (b + c)) / ((c - a) + (b / c))",
        "2 ^ a + a ^ 2 + 1 / a + a / 0.5 + 10 % a + a % 3",
        "coalesce(1 / a, 0) + coalesce(0, a)",
    };
    const double *cols[NIN];
    for (size_t i = 0; i < NIN; i++)
        cols[i] = col[i];
    for (size_t x = 0; x < sizeof exprs / sizeof *exprs; x++) {
        fx_expr *e = compile_ok(exprs[x]);
        for (size_t n = N; n > 0; n -= n > 500 ? 499 : n) {
            double *out = malloc(n * sizeof *out);
            fx_eval(e, cols, n, out);
            double row[NIN];
            for (size_t r = 0; r < n; r++) {
                for (size_t i = 0; i < NIN; i++)
                    row[i] = col[i][r];
                double want = fx_eval_row(e, row);
                if (!same(out[r], want) || (!isnan(want) && !isfinite(want)))
                    fail_msg("'%s' row %zu of %zu: fx_eval %.17g, fx_eval_row %.17g", exprs[x], r,
                             n, out[r], want);
            }
            free(out);
        }
        fx_eval(e, cols, 0, NULL);
        fx_free(e);
    }
    /* The output may be one of the inputs. */
    fx_expr *e = compile_ok("a * 2 + b");
    double *want = malloc(N * sizeof *want), *a = malloc(N * sizeof *a);
    fx_eval(e, cols, N, want);
    memcpy(a, col[A], N * sizeof *a);
    cols[A] = a;
    fx_eval(e, cols, N, a);
    for (size_t r = 0; r < N; r++)
        assert_true(same(a[r], want[r]));
    free(a);
    free(want);
    fx_free(e);
}

/* A long left-deep chain: deep tree, two slots, right answer. */
static void test_long_chain(void **state)
{
    (void)state;
    char text[FX_MAX_LENGTH + 1];
    size_t n = 0;
    text[n++] = 'a';
    while (n + 2 <= FX_MAX_LENGTH) {
        text[n] = n % 4 == 1 ? '+' : '-';
        text[n + 1] = n % 8 < 4 ? 'a' : 'b';
        n += 2;
    }
    text[n] = '\0';
    double want = base_row[A];
    for (size_t i = 1; i + 1 < n; i += 2)
        want += (text[i] == '+' ? 1 : -1) * (text[i + 1] == 'a' ? base_row[A] : base_row[B]);
    VAL(text, want);
    /* The same length of constants folds to one. */
    for (size_t i = 0; i < n; i += 2)
        text[i] = '1';
    fx_expr *e = compile_ok(text);
    size_t nuses;
    fx_uses(e, &nuses);
    assert_int_equal(nuses, 0);
    fx_free(e);
}

static void test_errors(void **state)
{
    (void)state;
    check_error("a * 2 + 10 - (tenure_month)",
                "1:15: unknown column 'tenure_month' (did you mean 'tenure_months'?)");
    check_error("zzzzzz", "1:1: unknown column 'zzzzzz'");
    check_error("`monthly_fee`", "1:1: unknown column 'monthly_fee' (did you mean 'monthly fee'?)");
    check_error("(a + b", "1:7: expected ')'");
    check_error("((a + b) c", "1:10: expected ')'");
    check_error("a $ b", "1:3: unexpected character '$'");
    check_error("a + b€", "1:6: unexpected character '€'");
    check_error("'é' $", "1:5: unexpected character '$'");
    check_error("a +\n  zzzzzz", "2:3: unknown column 'zzzzzz'");
    check_error("a = 1", "1:3: unexpected character '=' (did you mean '=='?)");
    check_error("!a", "1:1: unexpected character '!' (did you mean 'not'?)");
    check_error("a && b", "1:3: unexpected character '&' (did you mean 'and'?)");
    check_error("a || b", "1:3: unexpected character '|' (did you mean 'or'?)");
    check_error("a \x01", "1:3: unexpected character 0x01");
    check_error("plan",
                "1:1: text column 'plan' can only be compared with == or != to a string literal");
    check_error("plan + 1",
                "1:1: text column 'plan' can only be compared with == or != to a string literal");
    check_error("a + plan",
                "1:5: text column 'plan' can only be compared with == or != to a string literal");
    check_error("plan < 'pro'",
                "1:1: text column 'plan' can only be compared with == or != to a string literal");
    check_error("plan == 1",
                "1:1: text column 'plan' can only be compared with == or != to a string literal");
    check_error("plan == region",
                "1:1: text column 'plan' can only be compared with == or != to a string literal");
    check_error("if(plan, 1, 2)",
                "1:4: text column 'plan' can only be compared with == or != to a string literal");
    check_error(
        "coalesce(a, region)",
        "1:13: text column 'region' can only be compared with == or != to a string literal");
    check_error("a == \"x\"",
                "1:6: a string literal can only be compared with == or != to a text column");
    check_error("'x' == 'x'",
                "1:1: a string literal can only be compared with == or != to a text column");
    check_error("'x'", "1:1: a string literal can only be compared with == or != to a text column");
    check_error("(plan == 'x') == 'y'",
                "1:18: a string literal can only be compared with == or != to a text column");
    check_error("lg(a)", "1:1: unknown function 'lg' (did you mean 'log'?)");
    check_error("a + frobnicate(a)", "1:5: unknown function 'frobnicate'");
    check_error("if(a, b)", "1:1: if() takes 3 arguments, got 2");
    check_error("if(a, b, c, 1)", "1:1: if() takes 3 arguments, got 4");
    check_error("log()", "1:1: log() takes 1 argument, got 0");
    check_error("sqrt(a, b)", "1:1: sqrt() takes 1 argument, got 2");
    check_error("min(a)", "1:1: min() takes at least 2 arguments, got 1");
    check_error("coalesce()", "1:1: coalesce() takes at least 2 arguments, got 0");
    check_error("min(a b)", "1:7: expected ',' or ')'");
    check_error("max(a,", "1:7: unexpected end of expression");
    check_error("", "1:1: empty expression");
    check_error("  \n ", "1:1: empty expression");
    check_error("a b", "1:3: unexpected 'b' after a complete expression");
    check_error("2x", "1:2: unexpected 'x' after a complete expression");
    check_error("a)", "1:2: unmatched ')'");
    check_error("a +", "1:4: unexpected end of expression");
    check_error("a + * b", "1:5: unexpected '*'");
    check_error("+a", "1:1: unexpected '+'");
    check_error("()", "1:2: unexpected ')'");
    check_error("a == not b", "1:6: unexpected 'not'");
    check_error("a < b < c", "1:7: comparisons cannot be chained (combine them with 'and')");
    check_error("a == b != c", "1:8: comparisons cannot be chained (combine them with 'and')");
    check_error("plan == 'abc", "1:9: unterminated string literal");
    check_error("\"abc''", "1:1: unterminated string literal");
    check_error("`abc", "1:1: unterminated backquoted name");
    check_error("1e999", "1:1: number '1e999' is out of range");
    check_error("a + 1e-", "1:6: unexpected 'e' after a complete expression");
    /* A NULL error record is allowed. */
    fx_expr *e = NULL;
    assert_int_equal(fx_compile("a +", &inputs, &e, NULL), ML_EINVAL);
    assert_null(e);
}

static void test_limits(void **state)
{
    (void)state;
    char text[3 * FX_MAX_LENGTH];
    char want[256];
    /* Exactly the maximum length compiles; one more character does not. */
    memset(text, ' ', FX_MAX_LENGTH);
    text[0] = 'a';
    text[FX_MAX_LENGTH] = '\0';
    VAL(text, 2);
    text[FX_MAX_LENGTH] = ' ';
    text[FX_MAX_LENGTH + 1] = '\0';
    check_error(text, "1:4097: expression is longer than 4096 characters");
    /* Characters, not bytes: a name of 4094 two-byte characters in
     * backquotes is within the limit, one more character is not. */
    size_t n;
    for (int extra = 0; extra <= 1; extra++) {
        n = 0;
        text[n++] = '`';
        for (int i = 0; i < FX_MAX_LENGTH - 2 + extra; i++) {
            text[n++] = (char)0xc3;
            text[n++] = (char)0xa9;
        }
        text[n++] = '`';
        text[n] = '\0';
        fx_expr *e = NULL;
        ml_error err = {0};
        assert_int_equal(fx_compile(text, &inputs, &e, &err), ML_EINVAL);
        const char *want_start = extra ? "1:4097: expression is longer than 4096 characters"
                                       : "1:1: unknown column '\xc3\xa9\xc3\xa9";
        if (strncmp(err.message, want_start, strlen(want_start)))
            fail_msg("message '%.60s', want '%s'", err.message, want_start);
    }

    /* Nesting: FX_MAX_DEPTH levels of each kind compile, one more fails at
     * the token that goes too deep. */
    struct {
        const char *open, *close;
        size_t step; /* characters per level */
    } kinds[] = {{"(", ")", 1}, {"-", "", 1}, {"not ", "", 4}, {"abs(", ")", 4}, {"a^", "", 2}};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        for (int levels = FX_MAX_DEPTH; levels <= FX_MAX_DEPTH + 1; levels++) {
            n = 0;
            for (int i = 0; i < levels; i++)
                for (const char *s = kinds[k].open; *s; s++)
                    text[n++] = *s;
            text[n++] = 'b';
            for (int i = 0; i < levels; i++)
                for (const char *s = kinds[k].close; *s; s++)
                    text[n++] = *s;
            text[n] = '\0';
            if (levels == FX_MAX_DEPTH) {
                fx_free(compile_ok(text));
                continue;
            }
            size_t col = FX_MAX_DEPTH * kinds[k].step + 1;
            if (k == 4) /* the 65th '^' */
                col = FX_MAX_DEPTH * 2 + 2;
            snprintf(want, sizeof want, "1:%zu: expression is nested deeper than %d levels", col,
                     FX_MAX_DEPTH);
            check_error(text, want);
        }
    }
    /* Nesting levels are counted on the way down, not in total. */
    n = 0;
    for (int i = 0; i < 3 * FX_MAX_DEPTH; i++) {
        memcpy(text + n, "(a)+", 4);
        n += 4;
    }
    text[n++] = 'a';
    text[n] = '\0';
    VAL(text, 3 * FX_MAX_DEPTH * 2 + 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence),   cmocka_unit_test(test_functions),
        cmocka_unit_test(test_nulls),        cmocka_unit_test(test_division_and_overflow),
        cmocka_unit_test(test_text_columns), cmocka_unit_test(test_names),
        cmocka_unit_test(test_uses),         cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_long_chain),   cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
