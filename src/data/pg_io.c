/*
 * pg_io.c — PostgreSQL as a source and a sink, through libpq.
 *
 * Reading.  The statement is prepared and described first (PQprepare +
 * PQdescribePrepared), which gives the column names and type OIDs without
 * running it; then `COPY (query) TO STDOUT` streams the rows in text format,
 * one PQgetCopyData line at a time, so a result of any size is read in
 * bounded batches (a plain SELECT would make libpq buffer the whole result).
 * Fields are unescaped in place in libpq's line buffer (\N is null; \t \n \r
 * \\ \b \f \v, octal and \x escapes) and converted by the column's type:
 * int2/4/8 → int, float4/8 and numeric → float, bool → bool, date → date,
 * timestamp and timestamptz → timestamp (the session runs in UTC, so a
 * timestamptz arrives as a UTC instant), text-like and every other type →
 * string (its text form).  The session is read-only, in UTC, ISO dates,
 * shortest-exact floats (extra_float_digits = 3), UTF-8.
 *
 * Writing.  BEGIN; the table's existence is checked with to_regclass; DROP
 * (replace) and CREATE happen in the same transaction; rows go through one
 * `COPY t (cols) FROM STDIN` in text format, sent in chunks of about 1 MiB;
 * COMMIT happens only on sink commit.  Any failure ends the COPY with an
 * error and rolls back, so nothing partial is ever visible.
 *
 * Every message names the URI with its password replaced by "***"
 * (src_display_uri for user:password@, and ?password= here), and server
 * errors carry the server's text.  A malformed URI is ML_EINVAL (a usage
 * error); a server that cannot be reached is ML_ECONNECT, after at most
 * PG_CONNECT_TIMEOUT seconds unless the URI sets connect_timeout.
 * libpq's notices (e.g. DROP TABLE IF EXISTS's) are swallowed: library code
 * never prints.
 */
#include "data/pg_io.h"

#include "data/value.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Built-in type OIDs (catalog/pg_type.dat; fixed since forever). */
enum {
    PG_OID_BOOL = 16,
    PG_OID_CHAR = 18,
    PG_OID_NAME = 19,
    PG_OID_INT8 = 20,
    PG_OID_INT2 = 21,
    PG_OID_INT4 = 23,
    PG_OID_TEXT = 25,
    PG_OID_FLOAT4 = 700,
    PG_OID_FLOAT8 = 701,
    PG_OID_BPCHAR = 1042,
    PG_OID_VARCHAR = 1043,
    PG_OID_DATE = 1082,
    PG_OID_TIMESTAMP = 1114,
    PG_OID_TIMESTAMPTZ = 1184,
    PG_OID_NUMERIC = 1700,
};

#define PG_DISPLAY_MAX 512
#define PG_COPY_CHUNK ((size_t)1 << 20)
#define PG_CONNECT_TIMEOUT "15" /* seconds, unless the URI says otherwise */

/* ---- small helpers ------------------------------------------------------- */

/* A growable byte buffer; `oom` latches the first allocation failure. */
typedef struct pg_buf {
    char *p;
    size_t len, cap;
    bool oom;
} pg_buf;

static bool buf_reserve(pg_buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static void buf_add(pg_buf *b, const char *s, size_t n)
{
    if (!buf_reserve(b, n) || n == 0 || !b->p)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_adds(pg_buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* Appends an identifier, quoted by libpq (false on failure). */
static bool buf_add_ident(pg_buf *b, PGconn *conn, const char *name, size_t len)
{
    char *q = PQescapeIdentifier(conn, name, len);
    if (!q)
        return false;
    buf_adds(b, q);
    PQfreemem(q);
    return !b->oom;
}

/* A table name quoted for SQL: "schema"."table" when it has one dot, else
 * one identifier. */
static bool buf_add_table(pg_buf *b, PGconn *conn, const char *name)
{
    const char *dot = strchr(name, '.');
    if (dot && dot > name && dot[1] && !strchr(dot + 1, '.')) {
        return buf_add_ident(b, conn, name, (size_t)(dot - name)) && (buf_adds(b, "."), true) &&
               buf_add_ident(b, conn, dot + 1, strlen(dot + 1));
    }
    return buf_add_ident(b, conn, name, strlen(name));
}

/* The URI as a person may see it: src_display_uri hides user:PASSWORD@, and
 * a password=… parameter in the query string is hidden here too. */
static void pg_display(const char *uri, char *out, size_t size)
{
    char base[PG_DISPLAY_MAX];
    src_display_uri(uri, base, sizeof base);
    pg_buf b = {0};
    const char *q = strchr(base, '?');
    if (!q) {
        buf_adds(&b, base);
    } else {
        buf_add(&b, base, (size_t)(q + 1 - base));
        for (const char *param = q + 1; *param;) {
            size_t n = strcspn(param, "&");
            if (n >= 9 && strncasecmp(param, "password=", 9) == 0)
                buf_adds(&b, "password=***");
            else
                buf_add(&b, param, n);
            param += n;
            if (*param == '&') {
                buf_adds(&b, "&");
                param++;
            }
        }
    }
    snprintf(out, size, "%s", b.oom || !b.p ? "postgresql://…" : b.p);
    free(b.p);
}

/* A libpq message on one line: newlines and their indentation become one
 * space, trailing blanks go. */
static void pg_oneline(const char *msg, char *out, size_t size)
{
    size_t o = 0;
    for (const char *s = msg ? msg : ""; *s && o + 1 < size; s++) {
        if (*s == '\n' || *s == '\r') {
            while (s[1] == '\n' || s[1] == '\r' || s[1] == '\t' || s[1] == ' ')
                s++;
            if (s[1])
                out[o++] = ' ';
            continue;
        }
        out[o++] = *s == '\t' ? ' ' : *s;
    }
    while (o && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
}

/* ML_EDB with the server's error: its first line ("ERROR:  …"), then the
 * position in the user's query, the hint and the first line of the context
 * when the server gave them. */
static int pg_result_err(ml_error *err, const char *display, PGconn *conn, const PGresult *res,
                         bool position)
{
    const char *msg = res ? PQresultErrorMessage(res) : NULL;
    if (!msg || !*msg)
        msg = PQerrorMessage(conn);
    char line[640];
    size_t n = strcspn(msg, "\n");
    snprintf(line, sizeof line, "%.*s", (int)(n < 600 ? n : 600), msg);
    char extra[768] = "";
    size_t off = 0;
    const char *pos = res && position ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
    const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
    const char *ctx = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
    if (pos)
        off += (size_t)snprintf(extra + off, sizeof extra - off, " (at character %s)", pos);
    if (hint && off < sizeof extra)
        off += (size_t)snprintf(extra + off, sizeof extra - off, "; hint: %.300s", hint);
    if (ctx && off < sizeof extra)
        snprintf(extra + off, sizeof extra - off, "; context: %.*s", (int)strcspn(ctx, "\n"), ctx);
    return ml_err(err, ML_EDB, "%s: %s%s", display, line, extra);
}

static void pg_ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Runs a command that returns no rows. */
static int pg_exec(PGconn *conn, const char *display, const char *sql, ml_error *err)
{
    PGresult *res = PQexec(conn, sql);
    int rc = ML_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = pg_result_err(err, display, conn, res, false);
    PQclear(res);
    return rc;
}

static bool pg_port_ok(const char *ports)
{
    /* libpq takes a comma-separated list, one per host; empty means default. */
    for (const char *p = ports; *p;) {
        size_t n = strcspn(p, ",");
        long v = 0;
        for (size_t i = 0; i < n; i++) {
            if (!isdigit((unsigned char)p[i]) || v > 65535)
                return false;
            v = v * 10 + (p[i] - '0');
        }
        if (n && (v < 1 || v > 65535))
            return false;
        p += n;
        if (*p == ',')
            p++;
    }
    return true;
}

/* Connects and sets the session up.  A URI libpq cannot parse (or a port that
 * is not a number) is ML_EINVAL; a server that cannot be reached or refuses
 * us is ML_ECONNECT. */
static int pg_connect(const char *uri, const char *display, bool read_only, PGconn **out,
                      ml_error *err)
{
    char *perr = NULL;
    char msg[512];
    PQconninfoOption *opts = PQconninfoParse(uri, &perr);
    if (!opts) {
        pg_oneline(perr ? perr : "out of memory", msg, sizeof msg);
        PQfreemem(perr);
        return ml_err(err, ML_EINVAL, "%s: invalid connection URI: %s", display, msg);
    }
    int rc = ML_OK;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (o->val && strcmp(o->keyword, "port") == 0 && !pg_port_ok(o->val))
            rc = ml_err(err, ML_EINVAL,
                        "%s: invalid connection URI: port '%s' is not a number "
                        "in 1-65535",
                        display, o->val);
    }
    PQconninfoFree(opts);
    if (rc)
        return rc;

    /* Defaults come before the URI, so the URI's own settings win: a host
     * that never answers fails after PG_CONNECT_TIMEOUT instead of hanging. */
    static const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname",
                                       NULL};
    const char *const values[] = {PG_CONNECT_TIMEOUT, "mloop", uri, NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (!conn)
        return ml_err(err, ML_ENOMEM, "%s: out of memory connecting", display);
    if (PQstatus(conn) != CONNECTION_OK) {
        pg_oneline(PQerrorMessage(conn), msg, sizeof msg);
        PQfinish(conn);
        return ml_err(err, ML_ECONNECT, "%s: cannot connect: %s", display, msg);
    }
    PQsetNoticeProcessor(conn, pg_ignore_notice, NULL);
    rc = pg_exec(conn, display,
                 read_only ? "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; "
                             "SET extra_float_digits = 3; SET client_encoding = 'UTF8'; "
                             "SET default_transaction_read_only = on"
                           : "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; "
                             "SET extra_float_digits = 3; SET client_encoding = 'UTF8'",
                 err);
    if (rc) {
        PQfinish(conn);
        return rc;
    }
    *out = conn;
    return ML_OK;
}

/* Table type of a type OID; false for the types read as their text form. */
static bool pg_oid_type(Oid oid, tbl_type *out)
{
    switch (oid) {
    case PG_OID_INT2:
    case PG_OID_INT4:
    case PG_OID_INT8:
        *out = TBL_I64;
        return true;
    case PG_OID_FLOAT4:
    case PG_OID_FLOAT8:
    case PG_OID_NUMERIC:
        *out = TBL_F64;
        return true;
    case PG_OID_BOOL:
        *out = TBL_BOOL;
        return true;
    case PG_OID_TEXT:
    case PG_OID_VARCHAR:
    case PG_OID_BPCHAR:
    case PG_OID_NAME:
    case PG_OID_CHAR:
        *out = TBL_STR;
        return true;
    case PG_OID_DATE:
        *out = TBL_DATE;
        return true;
    case PG_OID_TIMESTAMP:
    case PG_OID_TIMESTAMPTZ:
        *out = TBL_TIMESTAMP;
        return true;
    default:
        *out = TBL_STR;
        return false;
    }
}

/* ======================================================================== */
/* reader                                                                   */
/* ======================================================================== */

typedef struct pg_col {
    char *name;
    tbl_type type;
    size_t coerced;
} pg_col;

typedef struct pg_reader {
    PGconn *conn;
    char display[PG_DISPLAY_MAX];
    bool coerce;
    bool started; /* the first batch (which carries the schema) was returned */
    bool copying; /* COPY OUT in progress */
    bool done;
    bool failed;
    int ncols;
    pg_col *cols;
    size_t rows; /* rows returned so far */
    src_report report;
} pg_reader;

/* Undoes COPY text escaping in place; returns the new length. */
static size_t pg_unescape(char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch != '\\' || i + 1 == n) {
            s[w++] = ch;
            continue;
        }
        ch = s[++i];
        switch (ch) {
        case 'b':
            s[w++] = '\b';
            break;
        case 'f':
            s[w++] = '\f';
            break;
        case 'n':
            s[w++] = '\n';
            break;
        case 'r':
            s[w++] = '\r';
            break;
        case 't':
            s[w++] = '\t';
            break;
        case 'v':
            s[w++] = '\v';
            break;
        case '0':
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7': {
            unsigned v = (unsigned)(ch - '0');
            for (int k = 0; k < 2 && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7'; k++)
                v = v * 8 + (unsigned)(s[++i] - '0');
            s[w++] = (char)(v & 0xff);
            break;
        }
        case 'x':
            if (i + 1 < n && isxdigit((unsigned char)s[i + 1])) {
                unsigned v = 0;
                for (int k = 0; k < 2 && i + 1 < n && isxdigit((unsigned char)s[i + 1]); k++) {
                    char h = s[++i];
                    v = v * 16 +
                        (unsigned)(isdigit((unsigned char)h) ? h - '0' : (tolower(h) - 'a' + 10));
                }
                s[w++] = (char)v;
            } else {
                s[w++] = 'x';
            }
            break;
        default:
            s[w++] = ch;
            break;
        }
    }
    return w;
}

static int pg_store(pg_reader *r, tbl_table *t, int c, size_t row, const char *s, size_t len,
                    ml_error *err)
{
    pg_col *col = &r->cols[c];
    bool ok = false;
    switch (col->type) {
    case TBL_F64: {
        double d = 0;
        ok = val_parse_f64(s, len, &d);
        if (!ok && len == 3 && strncasecmp(s, "nan", 3) == 0) {
            d = NAN;
            ok = true;
        }
        if (ok)
            tbl_set_f64(t, (size_t)c, row, d);
        break;
    }
    case TBL_I64: {
        int64_t i;
        ok = val_parse_i64(s, len, &i);
        if (ok)
            tbl_set_i64(t, (size_t)c, row, i);
        break;
    }
    case TBL_BOOL: {
        bool b = false;
        if (len == 1 && (s[0] == 't' || s[0] == 'f')) {
            b = s[0] == 't';
            ok = true;
        } else {
            ok = val_parse_bool(s, len, &b);
        }
        if (ok)
            tbl_set_bool(t, (size_t)c, row, b);
        break;
    }
    case TBL_STR:
        return tbl_set_str(t, (size_t)c, row, s, len, err);
    case TBL_DATE: {
        int32_t days;
        ok = val_parse_date(s, len, &days);
        if (ok)
            tbl_set_date(t, (size_t)c, row, days);
        break;
    }
    case TBL_TIMESTAMP: {
        int64_t us = 0;
        int32_t days;
        if (val_parse_timestamp(s, len, &us)) {
            ok = true;
        } else if (val_parse_date(s, len, &days)) {
            us = (int64_t)days * 86400 * 1000000;
            ok = true;
        }
        if (ok)
            tbl_set_timestamp(t, (size_t)c, row, us);
        break;
    }
    }
    if (ok)
        return ML_OK;
    if (r->coerce) {
        col->coerced++;
        r->report.cells_coerced++;
        return tbl_set_null(t, (size_t)c, row, err);
    }
    return ml_err(err, ML_EFORMAT, "%s: row %zu, column '%s': expected %s, found '%.*s%s'",
                  r->display, r->rows + row + 1, col->name, tbl_type_name(col->type),
                  (int)(len > 40 ? 40 : len), s, len > 40 ? "…" : "");
}

/* Splits one COPY text line (tab-separated, \N null) into the batch's row. */
static int pg_parse_row(pg_reader *r, tbl_table *t, size_t row, char *line, size_t len,
                        ml_error *err)
{
    if (len && line[len - 1] == '\n')
        len--;
    size_t pos = 0;
    int c = 0;
    for (;;) {
        size_t start = pos;
        while (pos < len && line[pos] != '\t')
            pos++;
        if (c >= r->ncols)
            return ml_err(err, ML_EFORMAT, "%s: row %zu has more fields than the %d columns",
                          r->display, r->rows + row + 1, r->ncols);
        char *f = line + start;
        size_t n = pos - start;
        int rc;
        if (n == 2 && f[0] == '\\' && f[1] == 'N') {
            rc = tbl_set_null(t, (size_t)c, row, err);
        } else {
            if (memchr(f, '\\', n))
                n = pg_unescape(f, n);
            rc = pg_store(r, t, c, row, f, n, err);
        }
        if (rc)
            return rc;
        c++;
        if (pos >= len)
            break;
        pos++;
    }
    if (c != r->ncols)
        return ml_err(err, ML_EFORMAT, "%s: row %zu has %d fields, expected %d", r->display,
                      r->rows + row + 1, c, r->ncols);
    return ML_OK;
}

/* After the last COPY line: the command's own status (errors raised while
 * the query ran arrive here). */
static int pg_finish_copy(pg_reader *r, ml_error *err)
{
    int rc = ML_OK;
    PGresult *res;
    r->copying = false;
    while ((res = PQgetResult(r->conn))) {
        if (!rc && PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = pg_result_err(err, r->display, r->conn, res, false);
        PQclear(res);
    }
    return rc;
}

static int pg_new_table(const pg_reader *r, tbl_table **out, ml_error *err)
{
    tbl_table *t = tbl_create();
    if (!t)
        return ml_err(err, ML_ENOMEM, "%s: out of memory", r->display);
    for (int c = 0; c < r->ncols; c++) {
        if (tbl_add_column(t, r->cols[c].name, r->cols[c].type, err)) {
            tbl_free(t);
            return ml_err_prefix(err, "%s", r->display);
        }
    }
    *out = t;
    return ML_OK;
}

static void pg_report_update(pg_reader *r)
{
    r->report.coerced_detail[0] = '\0';
    for (int c = 0; c < r->ncols; c++)
        src_report_note_coerced(&r->report, r->cols[c].name, r->cols[c].coerced);
}

static int pg_next_batch(void *impl, size_t max_rows, tbl_table **batch, ml_error *err)
{
    pg_reader *r = impl;
    *batch = NULL;
    if (r->failed)
        return ml_err(err, ML_EINVAL, "%s: reading after an error", r->display);
    if (r->done && r->started)
        return ML_OK;
    if (!max_rows)
        max_rows = 1;
    tbl_table *t = NULL;
    int rc = pg_new_table(r, &t, err);
    size_t n = 0;
    while (!rc && !r->done && n < max_rows) {
        char *line = NULL;
        int len = PQgetCopyData(r->conn, &line, 0);
        if (len == -1) {
            r->done = true;
            rc = pg_finish_copy(r, err);
            break;
        }
        if (len < 0) {
            char msg[512];
            pg_oneline(PQerrorMessage(r->conn), msg, sizeof msg);
            rc = ml_err(err, ML_ECONNECT, "%s: reading rows: %s", r->display, msg);
            break;
        }
        rc = tbl_resize(t, n + 1, err);
        if (!rc)
            rc = pg_parse_row(r, t, n, line, (size_t)len, err);
        PQfreemem(line);
        if (!rc)
            n++;
    }
    pg_report_update(r);
    r->rows += rc ? 0 : n;
    return src_batch_finish(rc, t, n, &r->started, &r->failed, batch);
}

static const src_report *pg_report(const void *impl)
{
    return &((const pg_reader *)impl)->report;
}

static void pg_close(void *impl)
{
    pg_reader *r = impl;
    if (!r)
        return;
    if (r->conn && r->copying) {
        /* Stop the server producing rows nobody will read. */
        PGcancel *cancel = PQgetCancel(r->conn);
        if (cancel) {
            char buf[256];
            PQcancel(cancel, buf, sizeof buf);
            PQfreeCancel(cancel);
        }
    }
    PQfinish(r->conn);
    if (r->cols) {
        for (int c = 0; c < r->ncols; c++)
            free(r->cols[c].name);
        free(r->cols);
    }
    free(r);
}

static const src_reader_ops pg_reader_ops = {
    .next_batch = pg_next_batch,
    .report = pg_report,
    .close = pg_close,
};

static int pg_describe(pg_reader *r, const char *sql, bool user_query, const tbl_table *schema,
                       ml_error *err)
{
    PGresult *res = PQprepare(r->conn, "", sql, 0, NULL);
    int rc = ML_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = pg_result_err(err, r->display, r->conn, res, user_query);
    PQclear(res);
    if (rc)
        return rc;
    res = PQdescribePrepared(r->conn, "");
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = pg_result_err(err, r->display, r->conn, res, false);
        PQclear(res);
        return rc;
    }
    int n = PQnfields(res);
    if (n <= 0) {
        PQclear(res);
        return ml_err(err, ML_EINVAL, "%s: the query returns no columns", r->display);
    }
    if (!(r->cols = calloc((size_t)n, sizeof *r->cols)))
        rc = ml_err(err, ML_ENOMEM, "%s: out of memory", r->display);
    if (!rc)
        r->ncols = n;
    for (int c = 0; !rc && c < n; c++) {
        const char *name = PQfname(res, c);
        for (int k = 0; !rc && k < c; k++) {
            if (strcmp(r->cols[k].name, name) == 0)
                rc = ml_err(err, ML_EFORMAT,
                            "%s: the result has two columns named '%s' (columns %d and %d); "
                            "rename one with AS",
                            r->display, name, k + 1, c + 1);
        }
        if (!rc && !*name)
            rc = ml_err(err, ML_EFORMAT, "%s: result column %d has an empty name", r->display,
                        c + 1);
        if (!rc && !(r->cols[c].name = strdup(name)))
            rc = ml_err(err, ML_ENOMEM, "%s: out of memory", r->display);
        if (rc)
            break;
        int si = schema ? tbl_find(schema, name) : -1;
        if (si >= 0)
            r->cols[c].type = tbl_col(schema, (size_t)si)->type;
        else
            pg_oid_type(PQftype(res, c), &r->cols[c].type);
    }
    PQclear(res);
    return rc;
}

int pg_reader_open(const char *uri, const src_options *opts, const src_reader_ops **ops,
                   void **impl, ml_error *err)
{
    static const src_options none;
    if (!opts)
        opts = &none;
    pg_reader *r = calloc(1, sizeof *r);
    if (!r)
        return ml_err(err, ML_ENOMEM, "out of memory");
    pg_display(uri, r->display, sizeof r->display);
    r->coerce = opts->coerce;
    bool has_table = opts->table && *opts->table, has_query = opts->query && *opts->query;
    pg_buf sql = {0}, copy = {0};
    int rc = ML_OK;
    if (!has_table && !has_query)
        rc = ml_err(err, ML_EINVAL, "%s: give --table or --query", r->display);
    else if (has_table && has_query)
        rc = ml_err(err, ML_EINVAL, "%s: give --table or --query, not both", r->display);
    if (!rc)
        rc = pg_connect(uri, r->display, true, &r->conn, err);
    if (rc)
        goto done;

    if (has_table) {
        buf_adds(&sql, "SELECT * FROM ");
        if (!buf_add_table(&sql, r->conn, opts->table) && !sql.oom) {
            rc = ml_err(err, ML_EINVAL, "%s: bad table name '%s': %s", r->display, opts->table,
                        PQerrorMessage(r->conn));
            goto done;
        }
    } else {
        /* COPY (…) takes no trailing semicolon. */
        const char *q = opts->query ? opts->query : "";
        size_t n = strlen(q);
        while (n && (isspace((unsigned char)q[n - 1]) || q[n - 1] == ';'))
            n--;
        buf_add(&sql, q, n);
    }
    if (sql.oom || !sql.p) {
        rc = ml_err(err, sql.oom ? ML_ENOMEM : ML_EINVAL, "%s: %s", r->display,
                    sql.oom ? "out of memory" : "the query is empty");
        goto done;
    }
    rc = pg_describe(r, sql.p, has_query, opts->schema, err);
    if (rc)
        goto done;
    buf_adds(&copy, "COPY (");
    buf_adds(&copy, sql.p);
    buf_adds(&copy, ") TO STDOUT");
    if (copy.oom) {
        rc = ml_err(err, ML_ENOMEM, "%s: out of memory", r->display);
        goto done;
    }
    PGresult *res = PQexec(r->conn, copy.p);
    if (PQresultStatus(res) == PGRES_COPY_OUT)
        r->copying = true;
    else
        rc = pg_result_err(err, r->display, r->conn, res, false);
    PQclear(res);
done:
    free(sql.p);
    free(copy.p);
    if (rc) {
        pg_close(r);
        return rc;
    }
    *ops = &pg_reader_ops;
    *impl = r;
    return ML_OK;
}

/* ======================================================================== */
/* sink                                                                     */
/* ======================================================================== */

typedef struct pg_sink {
    PGconn *conn; /* NULL once rolled back after a failure */
    char display[PG_DISPLAY_MAX];
    char *table;
    size_t ncols;
    char **names;
    tbl_type *types;
    bool copying; /* COPY IN in progress */
    pg_buf data;  /* COPY text not yet sent */
    size_t rows;  /* rows written so far */
} pg_sink;

static const char *pg_sql_type(tbl_type type)
{
    switch (type) {
    case TBL_F64:
        return "double precision";
    case TBL_I64:
        return "bigint";
    case TBL_BOOL:
        return "boolean";
    case TBL_STR:
        return "text";
    case TBL_DATE:
        return "date";
    case TBL_TIMESTAMP:
        return "timestamp";
    }
    return "text";
}

/* Ends the COPY with an error, rolls back and disconnects. */
static void pg_sink_release(pg_sink *s)
{
    if (!s->conn)
        return;
    bool ok = true;
    if (s->copying) {
        s->copying = false;
        ok = PQputCopyEnd(s->conn, "aborted by mloop") == 1;
        PGresult *res;
        for (int i = 0; ok && i < 8 && (res = PQgetResult(s->conn)); i++)
            PQclear(res);
    }
    /* A broken connection rolls back by itself when it closes. */
    if (ok && PQstatus(s->conn) == CONNECTION_OK)
        PQclear(PQexec(s->conn, "ROLLBACK"));
    PQfinish(s->conn);
    s->conn = NULL;
}

static void pg_sink_free(pg_sink *s)
{
    if (!s)
        return;
    pg_sink_release(s);
    if (s->names) {
        for (size_t i = 0; i < s->ncols; i++)
            free(s->names[i]);
        free(s->names);
    }
    free(s->types);
    free(s->table);
    free(s->data.p);
    free(s);
}

static int pg_flush(pg_sink *s, ml_error *err)
{
    if (!s->data.len)
        return ML_OK;
    if (PQputCopyData(s->conn, s->data.p, (int)s->data.len) != 1) {
        char msg[512];
        pg_oneline(PQerrorMessage(s->conn), msg, sizeof msg);
        return ml_err(err, ML_EDB, "%s: sending rows of '%s': %s", s->display, s->table, msg);
    }
    s->data.len = 0;
    return ML_OK;
}

/* Appends a string escaped for COPY text format. */
static int pg_add_text(pg_sink *s, const char *str, size_t len, size_t col, size_t row,
                       ml_error *err)
{
    if (!buf_reserve(&s->data, 2 * len + 1))
        return ml_err(err, ML_ENOMEM, "%s: out of memory", s->display);
    char *o = s->data.p + s->data.len;
    for (size_t i = 0; i < len; i++) {
        char ch = str[i];
        switch (ch) {
        case '\\':
            *o++ = '\\';
            *o++ = '\\';
            break;
        case '\t':
            *o++ = '\\';
            *o++ = 't';
            break;
        case '\n':
            *o++ = '\\';
            *o++ = 'n';
            break;
        case '\r':
            *o++ = '\\';
            *o++ = 'r';
            break;
        case '\0':
            return ml_err(err, ML_EFORMAT,
                          "%s: row %zu, column '%s': the string holds a NUL byte, which "
                          "PostgreSQL text cannot store",
                          s->display, s->rows + row + 1, s->names[col]);
        default:
            *o++ = ch;
            break;
        }
    }
    s->data.len = (size_t)(o - s->data.p);
    return ML_OK;
}

static int pg_add_cell(pg_sink *s, const tbl_column *c, size_t col, size_t row, ml_error *err)
{
    char num[VAL_TEXT_MAX];
    size_t n;
    if (tbl_is_null(c, row)) {
        buf_add(&s->data, "\\N", 2);
        return ML_OK;
    }
    switch (c->type) {
    case TBL_F64:
        n = val_format_f64(c->data.f64[row], num);
        break;
    case TBL_I64:
        n = val_format_i64(c->data.i64[row], num);
        break;
    case TBL_BOOL:
        num[0] = c->data.b[row] ? 't' : 'f';
        n = 1;
        break;
    case TBL_DATE:
        n = val_format_date(c->data.date[row], num);
        break;
    case TBL_TIMESTAMP:
        n = val_format_timestamp(c->data.ts[row], num);
        break;
    case TBL_STR: {
        size_t len;
        const char *str = tbl_dict_get(c->dict, c->data.code[row], &len);
        return pg_add_text(s, str, len, col, row, err);
    }
    default:
        n = 0;
        break;
    }
    buf_add(&s->data, num, n);
    return ML_OK;
}

static int pg_sink_write(void *impl, const tbl_table *b, ml_error *err)
{
    pg_sink *s = impl;
    if (!s->conn)
        return ml_err(err, ML_EINVAL, "%s: writing after an error (nothing was kept)", s->display);
    int rc = ML_OK;
    if (tbl_ncols(b) != s->ncols)
        rc = ml_err(err, ML_EINVAL, "%s: a batch of %zu columns for a table of %zu", s->display,
                    tbl_ncols(b), s->ncols);
    for (size_t i = 0; !rc && i < s->ncols; i++) {
        const tbl_column *c = tbl_col(b, i);
        if (strcmp(c->name, s->names[i]) != 0 || c->type != s->types[i])
            rc = ml_err(err, ML_EINVAL,
                        "%s: the batch's column %zu is '%s' (%s), the table's "
                        "'%s' (%s)",
                        s->display, i + 1, c->name, tbl_type_name(c->type), s->names[i],
                        tbl_type_name(s->types[i]));
    }
    size_t nrows = tbl_nrows(b);
    for (size_t row = 0; !rc && row < nrows; row++) {
        for (size_t i = 0; !rc && i < s->ncols; i++) {
            rc = pg_add_cell(s, tbl_col(b, i), i, row, err);
            buf_add(&s->data, i + 1 < s->ncols ? "\t" : "\n", 1);
        }
        if (!rc && s->data.oom)
            rc = ml_err(err, ML_ENOMEM, "%s: out of memory", s->display);
        if (!rc && s->data.len >= PG_COPY_CHUNK)
            rc = pg_flush(s, err);
    }
    if (rc) {
        pg_sink_release(s);
        return rc;
    }
    s->rows += nrows;
    return ML_OK;
}

static int pg_sink_commit(void *impl, ml_error *err)
{
    pg_sink *s = impl;
    int rc = ML_OK;
    if (!s->conn) {
        rc = ml_err(err, ML_EINVAL, "%s: committing after an error (nothing was kept)", s->display);
        goto done;
    }
    rc = pg_flush(s, err);
    if (rc)
        goto done;
    if (PQputCopyEnd(s->conn, NULL) != 1) {
        char msg[512];
        pg_oneline(PQerrorMessage(s->conn), msg, sizeof msg);
        rc = ml_err(err, ML_EDB, "%s: ending the COPY into '%s': %s", s->display, s->table, msg);
        goto done;
    }
    s->copying = false;
    PGresult *res;
    while ((res = PQgetResult(s->conn))) {
        if (!rc && PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = pg_result_err(err, s->display, s->conn, res, false);
        PQclear(res);
    }
    if (rc)
        goto done;
    res = PQexec(s->conn, "COMMIT");
    /* COMMIT of a failed transaction "succeeds" with the tag ROLLBACK. */
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = pg_result_err(err, s->display, s->conn, res, false);
    else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
        rc = ml_err(err, ML_EDB, "%s: the transaction writing '%s' was rolled back", s->display,
                    s->table);
    PQclear(res);
    if (!rc) {
        PQfinish(s->conn);
        s->conn = NULL;
    }
done:
    pg_sink_free(s);
    return rc;
}

static void pg_sink_abort(void *impl)
{
    pg_sink_free(impl);
}

static const sink_writer_ops pg_sink_ops = {
    .write = pg_sink_write,
    .commit = pg_sink_commit,
    .abort = pg_sink_abort,
};

/* 1 when the relation exists, 0 when not, negative on error. */
static int pg_table_exists(pg_sink *s, const char *quoted, ml_error *err)
{
    const char *params[1] = {quoted};
    PGresult *res =
        PQexecParams(s->conn, "SELECT to_regclass($1) IS NOT NULL", 1, NULL, params, NULL, NULL, 0);
    int exists;
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        pg_result_err(err, s->display, s->conn, res, false);
        exists = -1;
    } else {
        exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    }
    PQclear(res);
    return exists;
}

/* The existing table must have exactly the data's columns, with types that read back the same. */
static int pg_check_append(pg_sink *s, const char *quoted, ml_error *err)
{
    pg_buf sql = {0};
    buf_adds(&sql, "SELECT * FROM ");
    buf_adds(&sql, quoted);
    if (sql.oom) {
        free(sql.p);
        return ml_err(err, ML_ENOMEM, "%s: out of memory", s->display);
    }
    int rc = ML_OK;
    PGresult *res = PQprepare(s->conn, "", sql.p, 0, NULL);
    free(sql.p);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = pg_result_err(err, s->display, s->conn, res, false);
    PQclear(res);
    if (rc)
        return rc;
    res = PQdescribePrepared(s->conn, "");
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = pg_result_err(err, s->display, s->conn, res, false);
        PQclear(res);
        return rc;
    }
    int n = PQnfields(res);
    for (size_t i = 0; !rc && i < s->ncols; i++) {
        int f = -1;
        for (int k = 0; k < n; k++)
            if (strcmp(PQfname(res, k), s->names[i]) == 0)
                f = k;
        tbl_type have;
        if (f < 0)
            rc = ml_err(err, ML_EINVAL,
                        "%s: cannot append to table '%s': it has no column '%s' (%d columns "
                        "there, %zu in the data)",
                        s->display, s->table, s->names[i], n, s->ncols);
        else if (pg_oid_type(PQftype(res, f), &have) && have != s->types[i])
            rc = ml_err(err, ML_EINVAL,
                        "%s: cannot append to table '%s': column '%s' is %s there, %s in the "
                        "data",
                        s->display, s->table, s->names[i], tbl_type_name(have),
                        tbl_type_name(s->types[i]));
    }
    if (!rc && (size_t)n != s->ncols)
        rc = ml_err(err, ML_EINVAL,
                    "%s: cannot append to table '%s': it has %d columns, the data %zu", s->display,
                    s->table, n, s->ncols);
    PQclear(res);
    return rc;
}

/* CREATE TABLE (unless appending) and start the COPY. */
static int pg_start_copy(pg_sink *s, const char *quoted, bool create, ml_error *err)
{
    pg_buf ddl = {0}, copy = {0};
    int rc = ML_OK;
    buf_adds(&ddl, "CREATE TABLE ");
    buf_adds(&ddl, quoted);
    buf_adds(&ddl, " (");
    buf_adds(&copy, "COPY ");
    buf_adds(&copy, quoted);
    buf_adds(&copy, " (");
    for (size_t i = 0; i < s->ncols; i++) {
        const char *sep = i ? ", " : "";
        buf_adds(&ddl, sep);
        buf_adds(&copy, sep);
        if (!buf_add_ident(&ddl, s->conn, s->names[i], strlen(s->names[i])) ||
            !buf_add_ident(&copy, s->conn, s->names[i], strlen(s->names[i]))) {
            rc = ml_err(err, ML_EINVAL, "%s: bad column name '%s'", s->display, s->names[i]);
            break;
        }
        buf_adds(&ddl, " ");
        buf_adds(&ddl, pg_sql_type(s->types[i]));
    }
    buf_adds(&ddl, ")");
    buf_adds(&copy, ") FROM STDIN");
    if (!rc && (ddl.oom || copy.oom))
        rc = ml_err(err, ML_ENOMEM, "%s: out of memory", s->display);
    if (!rc && create)
        rc = pg_exec(s->conn, s->display, ddl.p, err);
    if (!rc) {
        PGresult *res = PQexec(s->conn, copy.p);
        if (PQresultStatus(res) == PGRES_COPY_IN)
            s->copying = true;
        else
            rc = pg_result_err(err, s->display, s->conn, res, false);
        PQclear(res);
    }
    free(ddl.p);
    free(copy.p);
    return rc;
}

int pg_sink_open(const char *uri, const sink_options *opts, const tbl_table *schema,
                 const sink_writer_ops **ops, void **impl, ml_error *err)
{
    pg_sink *s = calloc(1, sizeof *s);
    if (!s)
        return ml_err(err, ML_ENOMEM, "out of memory");
    pg_display(uri, s->display, sizeof s->display);
    pg_buf quoted = {0};
    int rc = ML_OK;
    if (!opts || !opts->table || !*opts->table) {
        rc = ml_err(err, ML_EINVAL, "%s: name the table to write (--to-table)", s->display);
        goto done;
    }
    if (!schema || tbl_ncols(schema) == 0) {
        rc = ml_err(err, ML_EINVAL, "%s: nothing to write: the data has no columns", s->display);
        goto done;
    }
    s->ncols = tbl_ncols(schema);
    s->table = strdup(opts->table);
    s->names = calloc(s->ncols, sizeof *s->names);
    s->types = calloc(s->ncols, sizeof *s->types);
    if (!s->table || !s->names || !s->types) {
        rc = ml_err(err, ML_ENOMEM, "%s: out of memory", s->display);
        goto done;
    }
    for (size_t i = 0; i < s->ncols; i++) {
        s->types[i] = tbl_col(schema, i)->type;
        if (!(s->names[i] = strdup(tbl_col(schema, i)->name))) {
            rc = ml_err(err, ML_ENOMEM, "%s: out of memory", s->display);
            goto done;
        }
    }
    rc = pg_connect(uri, s->display, false, &s->conn, err);
    if (rc)
        goto done;
    if (!buf_add_table(&quoted, s->conn, s->table)) {
        rc = ml_err(err, ML_EINVAL, "%s: bad table name '%s'", s->display, s->table);
        goto done;
    }
    rc = pg_exec(s->conn, s->display, "BEGIN", err);
    if (rc)
        goto done;
    int exists = pg_table_exists(s, quoted.p, err);
    bool create = true;
    if (exists < 0) {
        rc = err ? (int)err->code : ML_EDB;
    } else if (exists) {
        switch (opts->if_exists) {
        case SINK_FAIL:
            rc = ml_err(err, ML_EINVAL,
                        "%s: table '%s' already exists (use --if-exists replace or append)",
                        s->display, s->table);
            break;
        case SINK_REPLACE: {
            pg_buf drop = {0};
            buf_adds(&drop, "DROP TABLE IF EXISTS ");
            buf_adds(&drop, quoted.p);
            rc = drop.oom ? ml_err(err, ML_ENOMEM, "%s: out of memory", s->display)
                          : pg_exec(s->conn, s->display, drop.p, err);
            free(drop.p);
            break;
        }
        case SINK_APPEND:
            rc = pg_check_append(s, quoted.p, err);
            create = false;
            break;
        }
    }
    if (!rc)
        rc = pg_start_copy(s, quoted.p, create, err);
done:
    free(quoted.p);
    if (rc) {
        pg_sink_free(s);
        return rc;
    }
    *ops = &pg_sink_ops;
    *impl = s;
    return ML_OK;
}
