/* Unit tests for src/data/csv.c and csv_scan.c: RFC 4180 reading, type
 * inference, nulls, coercion, bad rows, every error message, .gz, the
 * streaming reader, the writer, and thread-count independence.
 *
 * Most inputs go through read_both(), which parses them on one thread and
 * again split into 4 chunks even when tiny, and insists on the same table,
 * report or error message: every behaviour test doubles as a test of the
 * parallel path. */
#include "test_util.h"

#include "data/csv.h"
#include "data/csv_scan.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <zlib.h>

#define NAME "t.csv"

static void assert_reports_equal(const src_report *a, const src_report *b)
{
    assert_int_equal(a->rows_skipped, b->rows_skipped);
    for (int i = 0; i < SRC_REPORT_LINES; i++)
        assert_int_equal(a->skipped_lines[i], b->skipped_lines[i]);
    assert_int_equal(a->cells_coerced, b->cells_coerced);
    assert_string_equal(a->coerced_detail, b->coerced_detail);
}

/* The table contract: a null cell's value is 0. */
static void assert_nulls_are_zero(const tbl_table *t)
{
    for (size_t c = 0; t && c < tbl_ncols(t); c++) {
        const tbl_column *col = tbl_col(t, c);
        size_t w = tbl_type_width(col->type);
        for (size_t r = 0; col->nulls && r < tbl_nrows(t); r++) {
            if (!col->nulls[r])
                continue;
            const unsigned char *v = (const unsigned char *)col->data.raw + r * w;
            for (size_t k = 0; k < w; k++)
                if (v[k])
                    fail_msg("column '%s' row %zu: a null with a non-zero value", col->name, r + 1);
        }
    }
}

/* Reads text with 1 thread and with 4 (split even when tiny); both must agree.
 * Returns the status; *out and *err from the one-thread read. */
static int read_both_n(const char *text, size_t len, const src_options *opts, tbl_table **out,
                       src_report *rep, ml_error *err)
{
    src_options o1 = opts ? *opts : (src_options){0};
    src_options o4 = o1;
    o1.threads = 1;
    o4.threads = 4;
    src_report r1, r4;
    ml_error e1 = {0}, e4 = {0};
    tbl_table *t1 = NULL, *t4 = NULL;
    int rc1 = csv_read_buffer(NAME, text, len, &o1, 0, &t1, &r1, &e1);
    int rc4 = csv_read_buffer(NAME, text, len, &o4, 1, &t4, &r4, &e4);
    assert_int_equal(rc1, rc4);
    if (rc1) {
        assert_string_equal(e1.message, e4.message);
    } else {
        char why[512];
        if (!tbl_equal(t1, t4, why, sizeof why))
            fail_msg("1 vs 4 threads: %s", why);
        assert_reports_equal(&r1, &r4);
    }
    assert_nulls_are_zero(t1);
    assert_nulls_are_zero(t4);
    tbl_free(t4);
    if (out)
        *out = t1;
    else
        tbl_free(t1);
    if (rep)
        *rep = r1;
    if (err)
        *err = e1;
    return rc1;
}

#define read_both(lit, opts, out, rep, err) read_both_n(lit, sizeof lit - 1, opts, out, rep, err)

static tbl_table *read_ok(const char *text, const src_options *opts, src_report *rep)
{
    tbl_table *t = NULL;
    ml_error err = {0};
    int rc = read_both_n(text, strlen(text), opts, &t, rep, &err);
    if (rc)
        fail_msg("read failed: %s", err.message);
    return t;
}

static void read_fails(const char *text, const src_options *opts, int code, const char *msg)
{
    ml_error err = {0};
    int rc = read_both_n(text, strlen(text), opts, NULL, NULL, &err);
    assert_int_equal(rc, code);
    if (strcmp(err.message, msg) != 0)
        fail_msg("message '%s', expected '%s'", err.message, msg);
}

/* The text of a cell ("" for null). */
static const char *cell(const tbl_table *t, const char *col, size_t row)
{
    static char buf[8][TBL_CELL_TEXT_MAX + 256];
    static int slot;
    int i = tbl_find(t, col);
    if (i < 0)
        fail_msg("no column '%s'", col);
    const tbl_column *c = tbl_col(t, (size_t)i);
    char tmp[TBL_CELL_TEXT_MAX];
    const char *s;
    size_t n = tbl_cell_text(c, row, tmp, &s);
    char *b = buf[slot++ & 7];
    snprintf(b, sizeof buf[0], "%.*s", (int)n, s);
    return b;
}

static tbl_type type_of(const tbl_table *t, const char *col)
{
    int i = tbl_find(t, col);
    if (i < 0)
        fail_msg("no column '%s'", col);
    return tbl_col(t, (size_t)i)->type;
}

static bool is_null(const tbl_table *t, const char *col, size_t row)
{
    return tbl_is_null(tbl_col(t, (size_t)tbl_find(t, col)), row);
}

/* ---- RFC 4180 ------------------------------------------------------------ */

static void reads_quoted_fields(void **state)
{
    (void)state;
    tbl_table *t = read_ok("a,b,c\n"
                           "\"x, y\",\"say \"\"hi\"\"\",\"line1\nline2\"\n"
                           "plain,\"\"\"\",\"crlf\r\ninside\"\n"
                           "\"q\",\"\",last",
                           NULL, NULL);
    assert_int_equal(tbl_nrows(t), 3);
    assert_int_equal(tbl_ncols(t), 3);
    assert_string_equal(cell(t, "a", 0), "x, y");
    assert_string_equal(cell(t, "b", 0), "say \"hi\"");
    assert_string_equal(cell(t, "c", 0), "line1\nline2");
    assert_string_equal(cell(t, "a", 1), "plain");
    assert_string_equal(cell(t, "b", 1), "\"");
    assert_string_equal(cell(t, "c", 1), "crlf\r\ninside");
    assert_string_equal(cell(t, "a", 2), "q");
    assert_true(is_null(t, "b", 2)); /* a quoted empty field is null */
    assert_string_equal(cell(t, "c", 2), "last");
    tbl_free(t);
}

static void reads_crlf_and_last_line_without_newline(void **state)
{
    (void)state;
    tbl_table *t = read_ok("a,b\r\n1,x\r\n2,y\r\n3,z", NULL, NULL);
    assert_int_equal(tbl_nrows(t), 3);
    assert_int_equal(type_of(t, "a"), TBL_I64);
    assert_string_equal(cell(t, "b", 0), "x");
    assert_string_equal(cell(t, "b", 2), "z");
    tbl_free(t);
    t = read_ok("a,b\r\n1,\"x\"\r\n2,\"y\"\r\n", NULL, NULL);
    assert_int_equal(tbl_nrows(t), 2);
    assert_string_equal(cell(t, "b", 1), "y");
    tbl_free(t);
}

static void skips_bom_and_blank_lines(void **state)
{
    (void)state;
    tbl_table *t = read_ok("\xEF\xBB\xBF"
                           "id,v\n\n1,2\n\r\n3,4\n\n",
                           NULL, NULL);
    assert_int_equal(tbl_find(t, "id"), 0);
    assert_int_equal(tbl_nrows(t), 2);
    assert_string_equal(cell(t, "v", 1), "4");
    tbl_free(t);
}

static void quote_inside_unquoted_field_is_literal(void **state)
{
    (void)state;
    tbl_table *t = read_ok("h,w\n5\" tall,a\"b\"c\n", NULL, NULL);
    assert_string_equal(cell(t, "h", 0), "5\" tall");
    assert_string_equal(cell(t, "w", 0), "a\"b\"c");
    tbl_free(t);
}

static void detects_each_delimiter(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *second;
    } cases[] = {
        {"a,b,c\n1,2,3\n4,5,6\n", "b"},
        {"a\tb\tc\n1\t2\t3\n4\t5\t6\n", "b"},
        {"a;b;c\n1,5;2;3\n4;5;6\n", "b"},
        {"a|b|c\n1|2|3\n4|5|6\n", "b"},
        {"a\tb\n\"x,y\"\tz\nhello, world\t2\n", "b"},
        {"name;n\n\"a;b\";1\nc;2\n", "n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tbl_table *t = read_ok(cases[i].text, NULL, NULL);
        assert_int_equal(tbl_find(t, cases[i].second), 1);
        tbl_free(t);
    }
    /* European decimals: ';' splits, ',' would not split the header. */
    tbl_table *t = read_ok("x;y\n1,5;2\n", NULL, NULL);
    assert_string_equal(cell(t, "x", 0), "1,5");
    tbl_free(t);
}

static void single_column_and_explicit_delimiter(void **state)
{
    (void)state;
    tbl_table *t = read_ok("value\n1\n2\n3\n", NULL, NULL);
    assert_int_equal(tbl_ncols(t), 1);
    assert_int_equal(tbl_nrows(t), 3);
    assert_int_equal(type_of(t, "value"), TBL_I64);
    tbl_free(t);
    src_options o = {.delimiter = ';'};
    t = read_ok("a,b;c\n1,2;3\n", &o, NULL);
    assert_string_equal(cell(t, "a,b", 0), "1,2");
    tbl_free(t);
    o.delimiter = '"';
    read_fails("a\n1\n", &o, ML_EINVAL, NAME ": cannot use '\"' as the delimiter");
}

static void no_header_names_columns(void **state)
{
    (void)state;
    src_options o = {.no_header = true};
    tbl_table *t = read_ok("1\tx\t2.5\n2\ty\t3.5\n", &o, NULL);
    assert_int_equal(tbl_nrows(t), 2);
    assert_int_equal(tbl_ncols(t), 3);
    assert_int_equal(tbl_find(t, "c0"), 0);
    assert_int_equal(tbl_find(t, "c2"), 2);
    assert_int_equal(type_of(t, "c2"), TBL_F64);
    assert_string_equal(cell(t, "c1", 1), "y");
    tbl_free(t);
}

static void empty_header_names_get_an_index(void **state)
{
    (void)state;
    tbl_table *t = read_ok("a,,c\n1,2,3\n", NULL, NULL);
    assert_int_equal(tbl_find(t, "c1"), 1);
    tbl_free(t);
    t = read_ok(",c0\n1,2\n", NULL, NULL); /* c0 is taken: the generated name differs */
    assert_int_equal(tbl_find(t, "c0"), 1);
    assert_int_equal(tbl_find(t, "c0_2"), 0);
    tbl_free(t);
}

/* ---- nulls ------------------------------------------------------------- */

static void default_null_tokens(void **state)
{
    (void)state;
    tbl_table *t = read_ok("x,s\n"
                           "1,a\n,NA\n  ,N/A\nNaN,null\nNULL,\"\"\n\" NA \",na\n6,\" \"\n",
                           NULL, NULL);
    assert_int_equal(type_of(t, "x"), TBL_I64);
    assert_int_equal(tbl_col(t, 0)->null_count, 5);
    assert_string_equal(cell(t, "x", 6), "6");
    /* Tokens are exact (case matters): "na" is a value. */
    assert_int_equal(type_of(t, "s"), TBL_STR);
    assert_string_equal(cell(t, "s", 5), "na");
    assert_int_equal(tbl_col(t, 1)->null_count, 5);
    tbl_free(t);
}

static void custom_null_tokens(void **state)
{
    (void)state;
    src_options o = {.null_values = "-, missing ,?"};
    tbl_table *t = read_ok("x,s\n1,-\n?,NA\n3,missing\n", &o, NULL);
    assert_int_equal(type_of(t, "x"), TBL_I64);
    assert_true(is_null(t, "x", 1));
    assert_true(is_null(t, "s", 0));
    assert_true(is_null(t, "s", 2));
    assert_string_equal(cell(t, "s", 1), "NA"); /* defaults are replaced */
    tbl_free(t);
    o.null_values = "";
    t = read_ok("x\n1\nNA\n", &o, NULL);
    assert_int_equal(type_of(t, "x"), TBL_STR);
    tbl_free(t);
}

/* ---- types ------------------------------------------------------------- */

static void infers_each_type(void **state)
{
    (void)state;
    tbl_table *t = read_ok("i,f,b,d,ts,s,n,big,sp\n"
                           "1,1.5,true,2024-01-02,2024-01-02T03:04:05,a,,1,\" 7 \"\n"
                           "-2,2,FALSE,2024-02-29,2024-01-02 03:04:05.25,b,NA,"
                           "99999999999999999999, 8\n"
                           "3,1e3,True,1970-01-01,2024-01-02T03:04:05+01:00,1,,2,9\n",
                           NULL, NULL);
    assert_int_equal(type_of(t, "i"), TBL_I64);
    assert_int_equal(type_of(t, "f"), TBL_F64);
    assert_int_equal(type_of(t, "b"), TBL_BOOL);
    assert_int_equal(type_of(t, "d"), TBL_DATE);
    assert_int_equal(type_of(t, "ts"), TBL_TIMESTAMP);
    assert_int_equal(type_of(t, "s"), TBL_STR);
    assert_int_equal(type_of(t, "n"), TBL_F64); /* all null */
    assert_int_equal(type_of(t, "big"), TBL_F64);
    assert_int_equal(type_of(t, "sp"), TBL_I64); /* numbers with blanks */
    assert_string_equal(cell(t, "i", 1), "-2");
    assert_string_equal(cell(t, "f", 2), "1000");
    assert_string_equal(cell(t, "b", 1), "false");
    assert_string_equal(cell(t, "d", 1), "2024-02-29");
    assert_string_equal(cell(t, "ts", 1), "2024-01-02T03:04:05.250000");
    assert_string_equal(cell(t, "ts", 2), "2024-01-02T02:04:05");
    assert_string_equal(cell(t, "s", 2), "1");
    assert_string_equal(cell(t, "big", 1), "1e+20");
    assert_string_equal(cell(t, "sp", 0), "7");
    assert_int_equal(tbl_col(t, 6)->null_count, 3);
    tbl_free(t);
}

static void mixed_kinds_become_strings(void **state)
{
    (void)state;
    tbl_table *t =
        read_ok("a,b,c,d\n1,true,2024-01-01,x\ntrue,2024-01-01,1,\" padded \"\n", NULL, NULL);
    assert_int_equal(type_of(t, "a"), TBL_STR);
    assert_int_equal(type_of(t, "b"), TBL_STR);
    assert_int_equal(type_of(t, "c"), TBL_STR);
    assert_string_equal(cell(t, "a", 0), "1");
    assert_string_equal(cell(t, "b", 1), "2024-01-01");
    assert_string_equal(cell(t, "d", 1), " padded "); /* strings are not trimmed */
    tbl_free(t);
    /* Dates and timestamps mix into timestamps. */
    t = read_ok("d\n2024-01-01\n2024-01-02T12:00:00\n", NULL, NULL);
    assert_int_equal(type_of(t, "d"), TBL_TIMESTAMP);
    assert_string_equal(cell(t, "d", 0), "2024-01-01T00:00:00");
    tbl_free(t);
}

static void late_type_changes(void **state)
{
    (void)state;
    char *text = malloc(200000);
    size_t n = (size_t)sprintf(text, "i,s,d\n");
    for (int r = 0; r < 5000; r++)
        n += (size_t)sprintf(text + n, "%d,%d.50,2024-01-%02d\n", r, r, r % 28 + 1);
    n += (size_t)sprintf(text + n, "0.5,abc,2024-01-01 10:00\n");
    tbl_table *t = NULL;
    ml_error err = {0};
    assert_int_equal(read_both_n(text, n, NULL, &t, NULL, &err), ML_OK);
    assert_int_equal(tbl_nrows(t), 5001);
    assert_int_equal(type_of(t, "i"), TBL_F64);
    assert_string_equal(cell(t, "i", 4999), "4999");
    assert_string_equal(cell(t, "i", 5000), "0.5");
    /* The earlier numbers keep their text as written. */
    assert_int_equal(type_of(t, "s"), TBL_STR);
    assert_string_equal(cell(t, "s", 7), "7.50");
    assert_string_equal(cell(t, "s", 5000), "abc");
    assert_int_equal(tbl_dict_size(tbl_col(t, 1)->dict), 5001);
    assert_string_equal(tbl_dict_get(tbl_col(t, 1)->dict, 0, NULL), "0.50"); /* first seen */
    assert_int_equal(type_of(t, "d"), TBL_TIMESTAMP);
    assert_string_equal(cell(t, "d", 5000), "2024-01-01T10:00:00");
    tbl_free(t);
    free(text);
}

/* ---- coerce ------------------------------------------------------------ */

static void coerce_keeps_mostly_numeric_columns(void **state)
{
    (void)state;
    char text[4096];
    size_t n = (size_t)sprintf(text, "x,y,z\n");
    for (int r = 1; r <= 30; r++)
        n += (size_t)sprintf(text + n, "%d.5,%d,%s\n", r, r, r % 2 ? "a" : "1");
    n += (size_t)sprintf(text + n, "abc,?,b\n");
    src_options o = {.coerce = true};
    src_report rep;
    tbl_table *t = NULL;
    assert_int_equal(read_both_n(text, n, &o, &t, &rep, NULL), ML_OK);
    assert_int_equal(type_of(t, "x"), TBL_F64);
    assert_int_equal(type_of(t, "y"), TBL_I64);
    assert_int_equal(type_of(t, "z"), TBL_STR); /* half numbers: stays text */
    assert_true(is_null(t, "x", 30));
    assert_true(is_null(t, "y", 30));
    assert_string_equal(cell(t, "z", 1), "1");
    assert_int_equal(rep.cells_coerced, 2);
    assert_string_equal(rep.coerced_detail, "x: 1, y: 1");
    tbl_free(t);
    /* Without --coerce the same column is text. */
    assert_int_equal(read_both_n(text, n, NULL, &t, &rep, NULL), ML_OK);
    assert_int_equal(type_of(t, "x"), TBL_STR);
    assert_string_equal(cell(t, "x", 0), "1.5");
    assert_int_equal(rep.cells_coerced, 0);
    tbl_free(t);
}

static void coerce_when_text_comes_first(void **state)
{
    (void)state;
    char text[4096];
    size_t n = (size_t)sprintf(text, "v,w\n\"n/a \",x\n");
    for (int r = 1; r <= 20; r++)
        n += (size_t)sprintf(text + n, "%d,%s\n", r, r < 15 ? "x" : "1");
    src_options o = {.coerce = true};
    src_report rep;
    tbl_table *t = NULL;
    assert_int_equal(read_both_n(text, n, &o, &t, &rep, NULL), ML_OK);
    assert_int_equal(type_of(t, "v"), TBL_I64);
    assert_true(is_null(t, "v", 0));
    assert_string_equal(cell(t, "v", 20), "20");
    assert_int_equal(type_of(t, "w"), TBL_STR);
    assert_int_equal(rep.cells_coerced, 1);
    assert_string_equal(rep.coerced_detail, "v: 1");
    tbl_free(t);
}

static void coerce_detail_is_cut_to_fit(void **state)
{
    (void)state;
    char *text = malloc(1 << 20);
    size_t n = 0;
    for (int c = 0; c < 60; c++)
        n += (size_t)sprintf(text + n, "%scolumn_with_a_long_name_%02d", c ? "," : "", c);
    text[n++] = '\n';
    for (int r = 0; r < 20; r++)
        for (int c = 0; c < 60; c++)
            n += (size_t)sprintf(text + n, "%s%s", r == 0 ? "zz" : "1", c < 59 ? "," : "\n");
    src_options o = {.coerce = true};
    src_report rep;
    tbl_table *t = NULL;
    assert_int_equal(read_both_n(text, n, &o, &t, &rep, NULL), ML_OK);
    assert_int_equal(rep.cells_coerced, 60);
    size_t len = strlen(rep.coerced_detail);
    assert_true(len < sizeof rep.coerced_detail);
    assert_non_null(strstr(rep.coerced_detail, "column_with_a_long_name_00: 1, "));
    assert_string_equal(rep.coerced_detail + len - strlen(", …"), ", …");
    tbl_free(t);
    free(text);
}

/* ---- bad rows ------------------------------------------------------------ */

static void ragged_rows_are_errors(void **state)
{
    (void)state;
    read_fails("a,b,c\n1,2,3\n4,5\n6,7,8\n", NULL, ML_EFORMAT,
               NAME ":3:4: expected 3 fields, found 2");
    read_fails("a,b,c\n1,2,3\n\"x\ny\",5,6,77\n", NULL, ML_EFORMAT,
               NAME ":3:11: expected 3 fields, found 4");
    read_fails("a,b\r\n1,2\r\n3\r\n", NULL, ML_EFORMAT, NAME ":3:2: expected 2 fields, found 1");
}

static void ragged_rows_can_be_skipped(void **state)
{
    (void)state;
    src_options o = {.bad_rows = SRC_BAD_ROWS_SKIP};
    src_report rep;
    tbl_table *t = read_ok("a,b,c\n1,2,3\n4,5\n6,7,8\n9,10,11,12\n\"multi\nline\"\n13,14,15\n"
                           "1\n2\n3\n4\n",
                           &o, &rep);
    assert_int_equal(tbl_nrows(t), 3);
    assert_string_equal(cell(t, "a", 2), "13");
    assert_int_equal(rep.rows_skipped, 7);
    size_t want[SRC_REPORT_LINES] = {3, 5, 6, 9, 10};
    for (int i = 0; i < SRC_REPORT_LINES; i++)
        assert_int_equal(rep.skipped_lines[i], want[i]);
    tbl_free(t);
}

/* ---- errors -------------------------------------------------------------- */

static void quote_errors(void **state)
{
    (void)state;
    read_fails("a,b\n1,2\n3,\"x\n4,5\n", NULL, ML_EFORMAT, NAME ":3:3: unterminated quoted field");
    read_fails("a,b\n\"ab\"c,2\n", NULL, ML_EFORMAT,
               NAME ":2:5: unexpected character after closing quote");
    read_fails("a,b\n1,\"x\" \n", NULL, ML_EFORMAT,
               NAME ":2:6: unexpected character after closing quote");
    read_fails("\"a,b\n1,2\n", NULL, ML_EFORMAT, NAME ":1:1: unterminated quoted field");
}

static void empty_inputs(void **state)
{
    (void)state;
    read_fails("", NULL, ML_EFORMAT, NAME ": empty file");
    read_fails("\n\r\n\n", NULL, ML_EFORMAT, NAME ": empty file");
    read_fails("\xEF\xBB\xBF", NULL, ML_EFORMAT, NAME ": empty file");
    read_fails("a,b,c\n", NULL, ML_EFORMAT, NAME ": has a header but no data rows");
    read_fails("a,b,c\n\n\n", NULL, ML_EFORMAT, NAME ": has a header but no data rows");
    src_options o = {.no_header = true};
    read_fails("\n", &o, ML_EFORMAT, NAME ": empty file");
}

static void duplicate_column_names(void **state)
{
    (void)state;
    read_fails("x,a,b,c,a\n1,2,3,4,5\n", NULL, ML_EFORMAT,
               NAME ":1: duplicate column name 'a' (columns 2 and 5)");
    read_fails("\n\nx,x\n1,2\n", NULL, ML_EFORMAT,
               NAME ":3: duplicate column name 'x' (columns 1 and 2)");
}

static void invalid_utf8(void **state)
{
    (void)state;
    read_fails("id,name\n1,ok\n2,b\xff"
               "d\n",
               NULL, ML_EFORMAT, NAME ":3:4: invalid UTF-8");
    read_fails("id,n\xc3\n1,2\n", NULL, ML_EFORMAT, NAME ":1:5: invalid UTF-8");
    read_fails("id,name\n1,\"a\"\"\xed\xa0\x80\"\n", NULL, ML_EFORMAT, NAME ":2:3: invalid UTF-8");
    /* Even in a column --coerce keeps numeric. */
    src_options o = {.coerce = true};
    read_fails("x\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n\xc0\n", &o, ML_EFORMAT,
               NAME ":12:1: invalid UTF-8");
    /* Valid multi-byte text is fine. */
    tbl_table *t = read_ok("città,naïve\nZürich,日本\n", NULL, NULL);
    assert_string_equal(cell(t, "naïve", 0), "日本");
    tbl_free(t);
}

static void nul_bytes_are_ordinary(void **state)
{
    (void)state;
    static const char text[] = "a,b\nx\0y,1\n\0,2\n";
    tbl_table *t = NULL;
    assert_int_equal(read_both(text, NULL, &t, NULL, NULL), ML_OK);
    size_t len;
    const char *s = tbl_dict_get(tbl_col(t, 0)->dict, tbl_col(t, 0)->data.code[0], &len);
    assert_int_equal(len, 3);
    assert_memory_equal(s, "x\0y", 3);
    tbl_free(t);
    ml_error err = {0};
    static const char bad[] = "a,b\0c\n1,2\n";
    assert_int_equal(read_both(bad, NULL, NULL, NULL, &err), ML_EFORMAT);
    assert_string_equal(err.message, NAME ":1:4: NUL byte in a column name");
}

static void limits(void **state)
{
    (void)state;
    size_t n = 2 * (CSV_MAX_FIELDS + 1);
    char *text = malloc(n + 8);
    for (size_t i = 0; i < CSV_MAX_FIELDS + 1; i++) {
        text[2 * i] = 'x';
        text[2 * i + 1] = ',';
    }
    text[n - 1] = '\n';
    ml_error err = {0};
    int rc = csv_read_buffer(NAME, text, n, NULL, 0, NULL, NULL, &err);
    assert_error(rc, err, ML_ELIMIT, NAME ":1:200001: record has more than 100000 fields");
    free(text);

    size_t big = CSV_MAX_RECORD + 16;
    text = malloc(big + 16);
    memcpy(text, "a\n\"", 3);
    memset(text + 3, 'y', big);
    memcpy(text + 3 + big, "\"\n", 2);
    rc = csv_read_buffer(NAME, text, big + 5, NULL, 0, NULL, NULL, &err);
    assert_error(rc, err, ML_ELIMIT, NAME ":2: record longer than 64 MiB (the limit)");
    free(text);
}

static void cannot_open(void **state)
{
    (void)state;
    ml_error err = {0};
    tbl_table *t;
    int rc = csv_read_table("/nonexistent/x.csv", NULL, &t, NULL, &err);
    assert_error(rc, err, ML_EIO, "/nonexistent/x.csv: cannot open: No such file or directory");
    rc = csv_read_table("/tmp", NULL, &t, NULL, &err);
    assert_error(rc, err, ML_EIO, "/tmp: cannot open: Is a directory");
    const src_reader_ops *ops;
    void *impl;
    rc = csv_reader_open("/nonexistent/x.csv.gz", NULL, &ops, &impl, &err);
    assert_error(rc, err, ML_EIO, "/nonexistent/x.csv.gz: cannot open: No such file");
    const char *empty = test_write_file(0, ".csv", "", 0);
    rc = csv_read_table(empty, NULL, &t, NULL, &err);
    assert_error(rc, err, ML_EFORMAT, "empty file");
    unlink(empty);
}

/* Classic Mac line endings are refused with advice, by both readers. */
static void refuses_bare_cr_line_endings(void **state)
{
    (void)state;
    read_fails("a,b\r1,2\r3,4\r", NULL, ML_EFORMAT,
               NAME ":1: lines end with a bare carriage return (classic Mac text); convert them "
                    "to LF or CRLF first");
    const char *path = TEST_WRITE(1, ".csv", "a\r1\r");
    const src_reader_ops *ops;
    void *impl;
    ml_error err = {0};
    int rc = csv_reader_open(path, NULL, &ops, &impl, &err);
    assert_error(rc, err, ML_EFORMAT, ":1: lines end with a bare carriage return");
    unlink(path);
    /* A CR inside a CRLF file is data, not a line ending. */
    tbl_table *t = read_ok("a,b\r\n\"x\ry\",2\r\n", NULL, NULL);
    assert_string_equal(cell(t, "a", 0), "x\ry");
    tbl_free(t);
}

/* ---- files ----------------------------------------------------------------- */

static const char *write_gz(int slot, const char *text)
{
    static char paths[8][256];
    const char *tmp = getenv("TMPDIR");
    snprintf(paths[slot], sizeof paths[slot], "%s/mloop-test-%d-%d.csv.gz", tmp ? tmp : "/tmp",
             (int)getpid(), slot);
    gzFile gz = gzopen(paths[slot], "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, text, (unsigned)strlen(text)), (int)strlen(text));
    assert_int_equal(gzclose(gz), Z_OK);
    return paths[slot];
}

static void reads_files_and_gzip(void **state)
{
    (void)state;
    static const char text[] = "a\tb\n1\tx\n2\ty\n";
    const char *plain = TEST_WRITE(1, ".tsv", text);
    const char *gz = write_gz(2, text);
    ml_error err = {0};
    tbl_table *a, *b;
    assert_int_equal(csv_read_table(plain, NULL, &a, NULL, &err), ML_OK);
    assert_int_equal(csv_read_table(gz, NULL, &b, NULL, &err), ML_OK);
    char why[256];
    assert_true(tbl_equal(a, b, why, sizeof why));
    assert_int_equal(tbl_nrows(a), 2);
    tbl_free(a);
    tbl_free(b);
    /* A corrupt .gz file is an error, not garbage. */
    const char *bad = TEST_WRITE(3, ".csv.gz", "\x1f\x8b\x08\x00garbage-garbage-garbage");
    int rc = csv_read_table(bad, NULL, &a, NULL, &err);
    assert_int_not_equal(rc, ML_OK);
    assert_non_null(strstr(err.message, bad));
    unlink(plain);
    unlink(gz);
    unlink(bad);
}

/* ---- writer -------------------------------------------------------------- */

static tbl_table *varied_table(void)
{
    tbl_table *t = read_ok("id,name,score,ok,day,at,whole\n"
                           "1,\"x, y\",1.25,true,2024-01-02,2024-01-02T03:04:05.5,1.0\n"
                           "2,\"say \"\"hi\"\"\",,false,,2024-01-02T00:00:00,2\n"
                           "3,\"two\nlines\",-0.001,,1999-12-31,,-3\n"
                           "4,\" padded \",1e300,true,2000-02-29,2024-01-02T03:04:05Z,4\n"
                           "5,\"a\tb;c|d\r\",inf,false,2000-01-01,2024-01-02T03:04:05,5\n"
                           "6,,-inf,true,2000-01-01,2024-01-02T03:04:05,6\n",
                           NULL, NULL);
    assert_int_equal(type_of(t, "whole"), TBL_F64);
    return t;
}

static void round_trips(void **state)
{
    (void)state;
    const char *paths[] = {"rt.csv", "rt.tsv", "rt.csv.gz", "rt.txt"};
    tbl_table *t = varied_table();
    char dir[] = "/tmp/mloop-csv-XXXXXX";
    assert_non_null(mkdtemp(dir));
    for (size_t i = 0; i < 4; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, paths[i]);
        sink_options so = {.delimiter = i == 3 ? '|' : 0};
        const sink_writer_ops *ops;
        void *impl;
        ml_error err = {0};
        assert_int_equal(csv_sink_open(path, &so, t, &ops, &impl, &err), ML_OK);
        assert_int_equal(ops->write(impl, t, &err), ML_OK);
        assert_int_equal(ops->write(impl, t, &err), ML_OK);
        assert_int_equal(ops->commit(impl, &err), ML_OK);
        tbl_table *back;
        if (csv_read_table(path, NULL, &back, NULL, &err))
            fail_msg("%s: %s", path, err.message);
        tbl_table *both = tbl_create();
        assert_int_equal(tbl_append(both, t, &err), ML_OK);
        assert_int_equal(tbl_append(both, t, &err), ML_OK);
        char why[512];
        if (!tbl_equal(both, back, why, sizeof why))
            fail_msg("%s: %s", paths[i], why);
        tbl_free(back);
        tbl_free(both);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        /* Not mkstemp's 0600: what a new file gets under the umask. */
        mode_t mask = umask(0);
        umask(mask);
        assert_int_equal(st.st_mode & 0777, 0666 & ~mask);
        unlink(path);
    }
    /* What the file looks like. */
    char path[512];
    snprintf(path, sizeof path, "%s/look.csv", dir);
    tbl_table *small = read_ok("a,b\n\"x,y\",1.5\n\" q\"\"\",2.5\n", NULL, NULL);
    ml_error err = {0};
    sink_options so = {0};
    const sink_writer_ops *ops;
    void *impl;
    assert_int_equal(csv_sink_open(path, &so, small, &ops, &impl, &err), ML_OK);
    assert_int_equal(ops->write(impl, small, &err), ML_OK);
    assert_int_equal(ops->commit(impl, &err), ML_OK);
    FILE *f = fopen(path, "r");
    char buf[256] = {0};
    assert_int_equal(fread(buf, 1, sizeof buf - 1, f) > 0, 1);
    fclose(f);
    assert_string_equal(buf, "a,b\n\"x,y\",1.5\n\" q\"\"\",2.5\n");
    unlink(path);
    tbl_free(small);
    /* A single-column table with a null must not produce a blank line. */
    small = read_ok("v\nx\n\"\"\ny\n", NULL, NULL);
    assert_int_equal(csv_sink_open(path, &so, small, &ops, &impl, &err), ML_OK);
    assert_int_equal(ops->write(impl, small, &err), ML_OK);
    assert_int_equal(ops->commit(impl, &err), ML_OK);
    tbl_table *back;
    assert_int_equal(csv_read_table(path, NULL, &back, NULL, &err), ML_OK);
    assert_true(tbl_equal(small, back, NULL, 0));
    tbl_free(back);
    tbl_free(small);
    unlink(path);
    rmdir(dir);
    tbl_free(t);
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void writer_is_atomic(void **state)
{
    (void)state;
    tbl_table *t = varied_table();
    char dir[] = "/tmp/mloop-csv-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    ml_error err = {0};
    const sink_writer_ops *ops;
    void *impl;
    /* Abort leaves nothing, not even the temp file. */
    assert_int_equal(csv_sink_open(path, NULL, t, &ops, &impl, &err), ML_OK);
    assert_int_equal(count_entries(dir), 1); /* the temp file, hidden */
    assert_int_equal(ops->write(impl, t, &err), ML_OK);
    ops->abort(impl);
    assert_int_equal(count_entries(dir), 0);
    /* An existing file: refused by default, untouched by an aborted replace. */
    FILE *f = fopen(path, "w");
    fputs("precious\n", f);
    fclose(f);
    int rc = csv_sink_open(path, NULL, t, &ops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "out.csv: already exists");
    sink_options replace = {.if_exists = SINK_REPLACE};
    assert_int_equal(csv_sink_open(path, &replace, t, &ops, &impl, &err), ML_OK);
    assert_int_equal(ops->write(impl, t, &err), ML_OK);
    ops->abort(impl);
    assert_int_equal(count_entries(dir), 1);
    char buf[64] = {0};
    f = fopen(path, "r");
    assert_true(fread(buf, 1, sizeof buf - 1, f) > 0);
    fclose(f);
    assert_string_equal(buf, "precious\n");
    /* A batch of another shape fails and, aborted, leaves the old file. */
    tbl_table *other = read_ok("z\n1\n", NULL, NULL);
    assert_int_equal(csv_sink_open(path, &replace, t, &ops, &impl, &err), ML_OK);
    rc = ops->write(impl, other, &err);
    assert_error(rc, err, ML_EINVAL, "a batch of 1 columns for a file of 7");
    ops->abort(impl);
    tbl_free(other);
    /* A commit with --if-exists replace replaces it. */
    assert_int_equal(csv_sink_open(path, &replace, t, &ops, &impl, &err), ML_OK);
    assert_int_equal(ops->write(impl, t, &err), ML_OK);
    assert_int_equal(ops->commit(impl, &err), ML_OK);
    assert_int_equal(count_entries(dir), 1);
    tbl_table *back;
    assert_int_equal(csv_read_table(path, NULL, &back, NULL, &err), ML_OK);
    assert_true(tbl_equal(t, back, NULL, 0));
    tbl_free(back);
    /* Append is for databases; a missing directory is an I/O error. */
    sink_options append = {.if_exists = SINK_APPEND};
    rc = csv_sink_open(path, &append, t, &ops, &impl, &err);
    assert_error(rc, err, ML_EUNSUPPORTED, "cannot append to a CSV file");
    rc = csv_sink_open("/nonexistent/dir/x.csv", NULL, t, &ops, &impl, &err);
    assert_error(rc, err, ML_EIO, "/nonexistent/dir/x.csv: cannot create a temporary file");
    unlink(path);
    rmdir(dir);
    tbl_free(t);
}

/* ---- streaming ----------------------------------------------------------- */

static tbl_table *stream_all(const char *path, const src_options *o, size_t block, size_t batch,
                             size_t *nbatches, src_report *rep, ml_error *err, int *rc_out)
{
    const src_reader_ops *ops;
    void *impl;
    *rc_out = csv_reader_open_block(path, o, block, &ops, &impl, err);
    if (*rc_out)
        return NULL;
    tbl_table *all = tbl_create();
    size_t n = 0;
    for (;;) {
        tbl_table *b = NULL;
        int rc = ops->next_batch(impl, batch, &b, err);
        if (rc) {
            *rc_out = rc;
            break;
        }
        if (!b)
            break;
        assert_true(tbl_nrows(b) <= batch);
        assert_true(tbl_nrows(b) > 0);
        assert_nulls_are_zero(b);
        assert_int_equal(tbl_append(all, b, err), ML_OK);
        tbl_free(b);
        n++;
    }
    if (rep)
        *rep = *ops->report(impl);
    ops->close(impl);
    if (nbatches)
        *nbatches = n;
    if (*rc_out) {
        tbl_free(all);
        return NULL;
    }
    return all;
}

static void streaming_equals_whole_read(void **state)
{
    (void)state;
    char *text = malloc(1 << 20);
    size_t n = (size_t)sprintf(text, "\xEF\xBB\xBFid;name;v;day\r\n");
    for (int r = 0; r < 3000; r++)
        n += (size_t)sprintf(text + n, "%d;\"n%d;\"\"x\"\"\n%s\";%s;2024-01-%02d\r\n", r, r % 37,
                             r % 5 ? "a" : "", r % 7 ? "1.5" : "NA", r % 28 + 1);
    text[n] = '\0';
    const char *path = test_write_file(4, ".csv", text, n);
    ml_error err = {0};
    tbl_table *whole;
    assert_int_equal(csv_read_table(path, NULL, &whole, NULL, &err), ML_OK);
    assert_int_equal(tbl_nrows(whole), 3000);
    size_t blocks[] = {0, 7, 100};
    size_t batches[] = {1000, 7, 5000};
    for (int i = 0; i < 3; i++) {
        size_t nb;
        int rc;
        tbl_table *all = stream_all(path, NULL, blocks[i], batches[i], &nb, NULL, &err, &rc);
        if (rc)
            fail_msg("%s", err.message);
        char why[512];
        if (!tbl_equal(whole, all, why, sizeof why))
            fail_msg("block %zu batch %zu: %s", blocks[i], batches[i], why);
        assert_int_equal(nb, (3000 + batches[i] - 1) / batches[i]);
        tbl_free(all);
    }
    tbl_free(whole);
    free(text);
    /* gzip too. */
    const char *gz = write_gz(5, "a,b\n1,x\n2,y\n3,z\n");
    size_t nb;
    int rc;
    tbl_table *all = stream_all(gz, NULL, 3, 2, &nb, NULL, &err, &rc);
    assert_int_equal(rc, ML_OK);
    assert_int_equal(tbl_nrows(all), 3);
    assert_int_equal(nb, 2);
    tbl_free(all);
    unlink(gz);
    unlink(path);
}

static void streaming_types_come_from_the_first_batch(void **state)
{
    (void)state;
    const char *path = TEST_WRITE(6, ".csv", "a,b\n1,x\n2,y\n3.5,z\nabc,w\n");
    ml_error err = {0};
    int rc;
    /* Batch 1 fixes a as int: 3.5 does not fit. */
    tbl_table *t = stream_all(path, NULL, 0, 2, NULL, NULL, &err, &rc);
    assert_null(t);
    assert_error(rc, err, ML_EFORMAT,
                 ":4:1: column 'a' is int (from the first rows) but found '3.5'");
    /* One batch sees everything: a becomes a string column. */
    t = stream_all(path, NULL, 0, 100, NULL, NULL, &err, &rc);
    assert_int_equal(rc, ML_OK);
    assert_int_equal(type_of(t, "a"), TBL_STR);
    tbl_free(t);
    /* --coerce: the misfits become nulls and are counted. */
    src_options o = {.coerce = true};
    src_report rep;
    t = stream_all(path, &o, 0, 2, NULL, &rep, &err, &rc);
    assert_int_equal(rc, ML_OK);
    assert_int_equal(type_of(t, "a"), TBL_I64);
    assert_true(is_null(t, "a", 2));
    assert_true(is_null(t, "a", 3));
    assert_int_equal(rep.cells_coerced, 2);
    assert_string_equal(rep.coerced_detail, "a: 2");
    tbl_free(t);
    unlink(path);
}

static void streaming_with_a_schema(void **state)
{
    (void)state;
    const char *path = TEST_WRITE(7, ".csv", "extra,b,a\nq,1,2024-01-01\nr,2,2024-01-02\n");
    ml_error err = {0};
    tbl_table *schema = tbl_create();
    assert_int_equal(tbl_add_column(schema, "a", TBL_TIMESTAMP, &err), ML_OK);
    assert_int_equal(tbl_add_column(schema, "b", TBL_F64, &err), ML_OK);
    src_options o = {.schema = schema};
    int rc;
    tbl_table *t = stream_all(path, &o, 5, 1, NULL, NULL, &err, &rc);
    assert_int_equal(rc, ML_OK);
    assert_int_equal(tbl_ncols(t), 2);
    assert_int_equal(tbl_find(t, "a"), 0);
    assert_int_equal(type_of(t, "a"), TBL_TIMESTAMP);
    assert_int_equal(type_of(t, "b"), TBL_F64);
    assert_string_equal(cell(t, "a", 1), "2024-01-02T00:00:00");
    tbl_free(t);
    /* The whole-file reader honours the schema too. */
    assert_int_equal(csv_read_table(path, &o, &t, NULL, &err), ML_OK);
    assert_int_equal(tbl_ncols(t), 2);
    assert_string_equal(cell(t, "b", 1), "2");
    tbl_free(t);
    /* A missing column; a cell of the wrong type. */
    assert_int_equal(tbl_add_column(schema, "zz", TBL_STR, &err), ML_OK);
    t = stream_all(path, &o, 0, 10, NULL, NULL, &err, &rc);
    assert_error(rc, err, ML_EFORMAT, ":1: missing column 'zz'");
    rc = csv_read_table(path, &o, &t, NULL, &err);
    assert_error(rc, err, ML_EFORMAT, ":1: missing column 'zz'");
    tbl_free(schema);
    schema = tbl_create();
    assert_int_equal(tbl_add_column(schema, "extra", TBL_I64, &err), ML_OK);
    o.schema = schema;
    t = stream_all(path, &o, 0, 10, NULL, NULL, &err, &rc);
    assert_error(rc, err, ML_EFORMAT,
                 ":2:1: column 'extra' is int (from the schema) but found 'q'");
    rc = csv_read_table(path, &o, &t, NULL, &err);
    assert_error(rc, err, ML_EFORMAT,
                 ":2:1: column 'extra' is int (from the schema) but found 'q'");
    tbl_free(schema);
    unlink(path);
}

static void streaming_errors_and_skips(void **state)
{
    (void)state;
    ml_error err = {0};
    int rc;
    const char *path = TEST_WRITE(0, ".csv", "a,b\n1,2\n3\n4,5\n\"6,7\n");
    tbl_table *t = stream_all(path, NULL, 3, 10, NULL, NULL, &err, &rc);
    assert_error(rc, err, ML_EFORMAT, ":3:2: expected 2 fields, found 1");
    src_options o = {.bad_rows = SRC_BAD_ROWS_SKIP};
    t = stream_all(path, &o, 3, 1, NULL, NULL, &err, &rc);
    assert_error(rc, err, ML_EFORMAT, ":5:1: unterminated quoted field");
    unlink(path);
    path = TEST_WRITE(0, ".csv", "a,b\n1,2\n3\n4,5\n6\n7\n8\n9\n10,11\n");
    src_report rep;
    t = stream_all(path, &o, 2, 2, NULL, &rep, &err, &rc);
    assert_int_equal(rc, ML_OK);
    assert_int_equal(tbl_nrows(t), 3);
    assert_int_equal(rep.rows_skipped, 5);
    size_t want[SRC_REPORT_LINES] = {3, 5, 6, 7, 8};
    for (int i = 0; i < SRC_REPORT_LINES; i++)
        assert_int_equal(rep.skipped_lines[i], want[i]);
    tbl_free(t);
    unlink(path);
    path = TEST_WRITE(0, ".csv", "a,b\n\n");
    t = stream_all(path, NULL, 1, 2, NULL, NULL, &err, &rc);
    assert_error(rc, err, ML_EFORMAT, ": has a header but no data rows");
    path = TEST_WRITE(0, ".csv", "\n\n");
    t = stream_all(path, NULL, 1, 2, NULL, NULL, &err, &rc);
    assert_error(rc, err, ML_EFORMAT, ": empty file");
    path = TEST_WRITE(0, ".csv", "a,a\n1,2\n");
    t = stream_all(path, NULL, 1, 2, NULL, NULL, &err, &rc);
    assert_error(rc, err, ML_EFORMAT, ":1: duplicate column name 'a' (columns 1 and 2)");
    path = TEST_WRITE(0, ".csv", "a,b\n1,\xe2\x82\n");
    t = stream_all(path, NULL, 1, 2, NULL, NULL, &err, &rc);
    assert_error(rc, err, ML_EFORMAT, ":2:3: invalid UTF-8");
    unlink(path);
}

/* ---- threads ------------------------------------------------------------- */

/* A few MB with quotes, embedded newlines, nulls, late type changes and
 * types that differ between chunks. */
static char *generated(size_t rows, bool literal_quotes, size_t *len)
{
    size_t cap = rows * 160 + 256;
    char *t = malloc(cap);
    size_t n = (size_t)sprintf(t, "id,f,late_float,late_str,cat,flag,when,text,mixed\n");
    for (size_t r = 0; r < rows; r++) {
        bool tail = r > rows * 9 / 10;
        n += (size_t)sprintf(t + n, "%zu,", r);
        n += r % 11 == 0 ? (size_t)sprintf(t + n, ",")
                         : (size_t)sprintf(t + n, "%zu.%zu,", r, r % 7);
        n += (size_t)sprintf(t + n, r == rows - 1 ? "%zu.5," : "%zu,", r % 1000);
        n += (size_t)sprintf(t + n, r == rows - 2 ? "oops," : "%zu,", r % 100);
        n += (size_t)sprintf(t + n, "\"c%zu\",", r % 13);
        n += (size_t)sprintf(t + n, "%s,", r % 3 == 0 ? "NA" : r % 2 ? "true" : "False");
        n +=
            (size_t)sprintf(t + n, tail ? "2024-02-%02zuT10:11:12," : "2024-01-%02zu,", r % 28 + 1);
        if (r % 17 == 0)
            n += (size_t)sprintf(t + n, "\"multi\nline, \"\"quoted\"\" %zu\",", r);
        else if (literal_quotes && r % 19 == 0)
            n += (size_t)sprintf(t + n, "5\" tall %zu,", r);
        else
            n += (size_t)sprintf(t + n, "plain %zu,", r % 50);
        /* Numbers in the first half, words in the second: chunks disagree. */
        n += (size_t)sprintf(t + n, r < rows / 2 ? "%zu\n" : "w%zu\n", r % 5);
    }
    *len = n;
    return t;
}

static void thread_count_does_not_matter(void **state)
{
    (void)state;
    size_t len;
    char *text = generated(60000, false, &len);
    assert_true(len > (size_t)3 << 20);
    tbl_table *t1, *t4, *t2;
    ml_error err = {0};
    src_options o1 = {.threads = 1}, o4 = {.threads = 4}, o2 = {.threads = 2};
    assert_int_equal(csv_read_buffer(NAME, text, len, &o1, 0, &t1, NULL, &err), ML_OK);
    assert_int_equal(csv_read_buffer(NAME, text, len, &o4, 0, &t4, NULL, &err), ML_OK);
    assert_int_equal(csv_read_buffer(NAME, text, len, &o2, 0, &t2, NULL, &err), ML_OK);
    char why[512];
    if (!tbl_equal(t1, t4, why, sizeof why))
        fail_msg("1 vs 4 threads: %s", why);
    if (!tbl_equal(t1, t2, why, sizeof why))
        fail_msg("1 vs 2 threads: %s", why);
    /* Dictionary codes too, not just the text they stand for. */
    for (size_t c = 0; c < tbl_ncols(t1); c++) {
        const tbl_column *a = tbl_col(t1, c), *b = tbl_col(t4, c);
        if (a->type == TBL_STR)
            assert_memory_equal(a->data.code, b->data.code, tbl_nrows(t1) * sizeof(int32_t));
    }
    assert_nulls_are_zero(t1);
    assert_nulls_are_zero(t4);
    assert_int_equal(tbl_nrows(t1), 60000);
    assert_int_equal(type_of(t1, "id"), TBL_I64);
    assert_int_equal(type_of(t1, "f"), TBL_F64);
    assert_int_equal(type_of(t1, "late_float"), TBL_F64);
    assert_int_equal(type_of(t1, "late_str"), TBL_STR);
    assert_int_equal(type_of(t1, "flag"), TBL_BOOL);
    assert_int_equal(type_of(t1, "when"), TBL_TIMESTAMP);
    assert_int_equal(type_of(t1, "mixed"), TBL_STR);
    assert_string_equal(cell(t1, "text", 17), "multi\nline, \"quoted\" 17");
    assert_string_equal(cell(t1, "late_str", 59998), "oops");
    assert_string_equal(cell(t1, "late_str", 5), "5");
    assert_int_equal(tbl_col(t1, 1)->null_count, (60000 + 10) / 11);
    tbl_free(t1);
    tbl_free(t4);
    tbl_free(t2);
    free(text);
}

static void literal_quotes_do_not_break_the_split(void **state)
{
    (void)state;
    size_t len;
    char *text = generated(30000, true, &len);
    tbl_table *t1, *t4;
    ml_error err = {0};
    src_options o1 = {.threads = 1}, o4 = {.threads = 4};
    assert_int_equal(csv_read_buffer(NAME, text, len, &o1, 0, &t1, NULL, &err), ML_OK);
    assert_int_equal(csv_read_buffer(NAME, text, len, &o4, 0, &t4, NULL, &err), ML_OK);
    char why[512];
    if (!tbl_equal(t1, t4, why, sizeof why))
        fail_msg("1 vs 4 threads: %s", why);
    assert_string_equal(cell(t1, "text", 19), "5\" tall 19");
    tbl_free(t1);
    tbl_free(t4);
    /* An error late in the file is the same error whatever the split. */
    memcpy(text + len - 40, "\"oops\"x", 7);
    ml_error e1 = {0}, e4 = {0};
    int rc1 = csv_read_buffer(NAME, text, len, &o1, 0, &t1, NULL, &e1);
    int rc4 = csv_read_buffer(NAME, text, len, &o4, 0, &t4, NULL, &e4);
    assert_int_not_equal(rc1, ML_OK);
    assert_int_equal(rc1, rc4);
    assert_string_equal(e1.message, e4.message);
    free(text);
}

/* ---- the scanner ----------------------------------------------------------- */

static void scanner_asks_for_more(void **state)
{
    (void)state;
    csv_span s[4];
    csv_record rec;
    static const char *partial[] = {"a,b", "\"a", "\"a\"", "a,\"b\"\r", "a\r"};
    for (size_t i = 0; i < sizeof partial / sizeof partial[0]; i++) {
        const char *p = partial[i];
        assert_int_equal(csv_scan_record(p, p + strlen(p), false, ',', s, 4, &rec), CSV_MORE);
        assert_int_equal(csv_scan_record(p, p + strlen(p), true, ',', s, 4, &rec),
                         i == 1 ? CSV_E_QUOTE : CSV_REC);
    }
    const char *p = "a,\"b\"\"c\",d\r\nnext";
    assert_int_equal(csv_scan_record(p, p + strlen(p), false, ',', s, 4, &rec), CSV_REC);
    assert_int_equal(rec.nfields, 3);
    assert_true(rec.escaped);
    assert_string_equal(rec.next, "next");
    char out[8];
    csv_unescape(&s[1], out);
    assert_int_equal(s[1].len, 3);
    assert_memory_equal(s[1].p, "b\"c", 3);
    assert_int_equal(s[2].len, 1);
    assert_int_equal(csv_utf8_check("a\xe2\x82\xac\xf0\x9f\x98\x80z", 9), 9);
    assert_int_equal(csv_utf8_check("ab\xc0\x80", 4), 2);       /* overlong */
    assert_int_equal(csv_utf8_check("\xf4\x90\x80\x80", 4), 0); /* beyond U+10FFFF */
    static const char nl[] = "\n\n\nabcdefghijklmnopqrstuvwxyz\n0123456789\"";
    size_t lines, quotes;
    csv_count_nl_quotes(nl, nl + sizeof nl - 1, &lines, &quotes);
    assert_int_equal(lines, 4);
    assert_int_equal(quotes, 1);
    assert_int_equal(csv_count_newlines(nl, nl + sizeof nl - 1), 4);
}

/* ---- real data --------------------------------------------------------- */

static void shared_datasets(void **state)
{
    (void)state;
    const char *dir = test_shared_data();
    if (!dir)
        skip();
    char path[1200];
    ml_error err = {0};
    tbl_table *t;
    src_report rep;

    snprintf(path, sizeof path, "%s/telco_churn.csv", dir);
    if (csv_read_table(path, NULL, &t, &rep, &err))
        fail_msg("%s", err.message);
    assert_int_equal(tbl_nrows(t), 7043);
    assert_int_equal(tbl_ncols(t), 26);
    assert_int_equal(tbl_find(t, "customerID"), 0); /* the BOM is gone */
    assert_int_equal(type_of(t, "customerID"), TBL_STR);
    assert_int_equal(type_of(t, "TotalCharges"), TBL_F64);
    assert_int_equal(tbl_col(t, (size_t)tbl_find(t, "TotalCharges"))->null_count, 11);
    assert_int_equal(type_of(t, "tenure"), TBL_I64);
    assert_int_equal(type_of(t, "Churn"), TBL_STR);
    tbl_free(t);

    snprintf(path, sizeof path, "%s/mlbench_BreastCancer.csv", dir);
    if (csv_read_table(path, NULL, &t, &rep, &err))
        fail_msg("%s", err.message);
    assert_int_equal(tbl_nrows(t), 699);
    assert_int_equal(tbl_ncols(t), 11);
    assert_int_equal(type_of(t, "Bare.nuclei"), TBL_I64); /* quoted numbers are numbers */
    assert_int_equal(tbl_col(t, (size_t)tbl_find(t, "Bare.nuclei"))->null_count, 16);
    assert_int_equal(type_of(t, "Class"), TBL_STR);
    tbl_free(t);

    snprintf(path, sizeof path, "%s/iris.csv", dir);
    if (csv_read_table(path, NULL, &t, &rep, &err))
        fail_msg("%s", err.message);
    assert_int_equal(tbl_nrows(t), 150);
    assert_int_equal(tbl_ncols(t), 5);
    assert_int_equal(type_of(t, "sepal length (cm)"), TBL_F64);
    assert_int_equal(type_of(t, "target"), TBL_I64);
    tbl_free(t);

    snprintf(path, sizeof path, "%s/lgb_binary.train", dir);
    src_options o = {.no_header = true};
    if (csv_read_table(path, &o, &t, &rep, &err))
        fail_msg("%s", err.message);
    assert_int_equal(tbl_nrows(t), 7000);
    assert_int_equal(tbl_ncols(t), 29);
    assert_int_equal(type_of(t, "c0"), TBL_I64);
    assert_int_equal(type_of(t, "c28"), TBL_F64);
    /* The streaming reader agrees with the whole-file read. */
    int rc;
    tbl_table *s = stream_all(path, &o, 4096, 1000, NULL, NULL, &err, &rc);
    assert_int_equal(rc, ML_OK);
    assert_true(tbl_equal(t, s, NULL, 0));
    tbl_free(s);
    tbl_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refuses_bare_cr_line_endings),
        cmocka_unit_test(reads_quoted_fields),
        cmocka_unit_test(reads_crlf_and_last_line_without_newline),
        cmocka_unit_test(skips_bom_and_blank_lines),
        cmocka_unit_test(quote_inside_unquoted_field_is_literal),
        cmocka_unit_test(detects_each_delimiter),
        cmocka_unit_test(single_column_and_explicit_delimiter),
        cmocka_unit_test(no_header_names_columns),
        cmocka_unit_test(empty_header_names_get_an_index),
        cmocka_unit_test(default_null_tokens),
        cmocka_unit_test(custom_null_tokens),
        cmocka_unit_test(infers_each_type),
        cmocka_unit_test(mixed_kinds_become_strings),
        cmocka_unit_test(late_type_changes),
        cmocka_unit_test(coerce_keeps_mostly_numeric_columns),
        cmocka_unit_test(coerce_when_text_comes_first),
        cmocka_unit_test(coerce_detail_is_cut_to_fit),
        cmocka_unit_test(ragged_rows_are_errors),
        cmocka_unit_test(ragged_rows_can_be_skipped),
        cmocka_unit_test(quote_errors),
        cmocka_unit_test(empty_inputs),
        cmocka_unit_test(duplicate_column_names),
        cmocka_unit_test(invalid_utf8),
        cmocka_unit_test(nul_bytes_are_ordinary),
        cmocka_unit_test(limits),
        cmocka_unit_test(cannot_open),
        cmocka_unit_test(reads_files_and_gzip),
        cmocka_unit_test(round_trips),
        cmocka_unit_test(writer_is_atomic),
        cmocka_unit_test(streaming_equals_whole_read),
        cmocka_unit_test(streaming_types_come_from_the_first_batch),
        cmocka_unit_test(streaming_with_a_schema),
        cmocka_unit_test(streaming_errors_and_skips),
        cmocka_unit_test(thread_count_does_not_matter),
        cmocka_unit_test(literal_quotes_do_not_break_the_split),
        cmocka_unit_test(scanner_asks_for_more),
        cmocka_unit_test(shared_datasets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
