/*
 * source.c — one place that maps a URI to its backend, so every command
 * reads and writes data the same way.  Backends export a whole-table read
 * (where they have a faster path than batching) and ops tables for
 * streaming readers and transactional writers.
 */
#include "data/source.h"

#include "data/csv.h"
#include "data/libsvm.h"
#include "data/pg_io.h"
#include "data/sqlite_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

int src_parse_uri(const char *uri, src_kind *kind, const char **location, ml_error *err)
{
    if (!uri || !*uri)
        return ml_err(err, ML_EINVAL, "empty data source");
    if (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0) {
        *kind = SRC_POSTGRES;
        *location = uri;
        return ML_OK;
    }
    if (strncmp(uri, "sqlite:", 7) == 0) {
        const char *path = uri + 7;
        if (strncmp(path, "//", 2) == 0) /* sqlite:///abs/path and sqlite://rel */
            path += 2;
        if (!*path)
            return ml_err(err, ML_EINVAL, "%s: sqlite source without a path (sqlite:PATH)", uri);
        *kind = SRC_SQLITE;
        *location = path;
        return ML_OK;
    }
    const char *scheme_end = strstr(uri, "://");
    if (scheme_end) {
        return ml_err(err, ML_EINVAL,
                      "%s: unsupported URI scheme '%.*s' (use a file path, sqlite:PATH or "
                      "postgresql://…)",
                      uri, (int)(scheme_end - uri), uri);
    }
    *location = uri;
    if (has_suffix(uri, ".svm") || has_suffix(uri, ".libsvm") || has_suffix(uri, ".svmlight"))
        *kind = SRC_LIBSVM;
    else
        *kind = SRC_CSV;
    return ML_OK;
}

void src_display_uri(const char *uri, char *buf, size_t size)
{
    snprintf(buf, size, "%s", uri);
    const char *scheme = strstr(uri, "://");
    if (!scheme)
        return;
    const char *auth = scheme + 3;
    const char *at = strchr(auth, '@');
    const char *slash = strchr(auth, '/');
    if (!at || (slash && slash < at))
        return;
    const char *colon = memchr(auth, ':', (size_t)(at - auth));
    if (!colon)
        return;
    snprintf(buf, size, "%.*s:***%s", (int)(colon - uri), uri, at);
}

void src_report_note_coerced(src_report *report, const char *column, size_t cells)
{
    char *out = report->coerced_detail;
    size_t size = sizeof report->coerced_detail, len = strnlen(out, size);
    if (!cells || (len >= 3 && strcmp(out + len - 3, "…") == 0))
        return;
    size_t nl = strlen(column);
    if (nl > 64) {
        nl = 64;
        while (nl && ((unsigned char)column[nl] & 0xC0) == 0x80)
            nl--;
    }
    char piece[160];
    int n = snprintf(piece, sizeof piece, "%s%.*s%s: %zu", len ? ", " : "", (int)nl, column,
                     nl < strlen(column) ? "…" : "", cells);
    if (n < 0)
        return;
    if (len + (size_t)n + sizeof ", …" > size) {
        snprintf(out + len, size - len, "%s…", len ? ", " : "");
        return;
    }
    memcpy(out + len, piece, (size_t)n + 1);
}

static const src_options default_options;

struct src_reader {
    const src_reader_ops *ops;
    void *impl;
};

int src_open(const char *uri, const src_options *opts, src_reader **out, ml_error *err)
{
    src_kind kind;
    const char *loc;
    int rc = src_parse_uri(uri, &kind, &loc, err);
    if (rc)
        return rc;
    if (!opts)
        opts = &default_options;
    src_reader *r = calloc(1, sizeof *r);
    if (!r)
        return ml_err(err, ML_ENOMEM, "out of memory opening %s", uri);
    switch (kind) {
    case SRC_CSV:
        rc = csv_reader_open(loc, opts, &r->ops, &r->impl, err);
        break;
    case SRC_LIBSVM:
        rc = libsvm_reader_open(loc, opts, &r->ops, &r->impl, err);
        break;
    case SRC_SQLITE:
        rc = sqlite_reader_open(loc, opts, &r->ops, &r->impl, err);
        break;
    case SRC_POSTGRES:
        rc = pg_reader_open(loc, opts, &r->ops, &r->impl, err);
        break;
    }
    if (rc) {
        free(r);
        return rc;
    }
    *out = r;
    return ML_OK;
}

int src_next_batch(src_reader *r, size_t max_rows, tbl_table **batch, ml_error *err)
{
    *batch = NULL;
    return r->ops->next_batch(r->impl, max_rows ? max_rows : 65536, batch, err);
}

const src_report *src_reader_report(const src_reader *r)
{
    return r->ops->report(r->impl);
}

int src_batch_finish(int rc, tbl_table *t, size_t n, bool *started, bool *failed, tbl_table **batch)
{
    if (rc) {
        tbl_free(t);
        *failed = true;
        return rc;
    }
    if (n == 0 && *started) {
        tbl_free(t);
        return ML_OK;
    }
    *started = true;
    *batch = t;
    return ML_OK;
}

void src_close(src_reader *r)
{
    if (!r)
        return;
    r->ops->close(r->impl);
    free(r);
}

int src_read_table(const char *uri, const src_options *opts, tbl_table **out, src_report *report,
                   ml_error *err)
{
    src_kind kind;
    const char *loc;
    int rc = src_parse_uri(uri, &kind, &loc, err);
    if (rc)
        return rc;
    if (!opts)
        opts = &default_options;
    src_report scratch;
    if (!report)
        report = &scratch;
    memset(report, 0, sizeof *report);
    if (kind == SRC_CSV)
        return csv_read_table(loc, opts, out, report, err);
    if (kind == SRC_LIBSVM)
        return libsvm_read_table(loc, opts, out, err);

    src_reader *r;
    rc = src_open(uri, opts, &r, err);
    if (rc)
        return rc;
    tbl_table *all = tbl_create();
    if (!all) {
        src_close(r);
        return ml_err(err, ML_ENOMEM, "out of memory reading %s", uri);
    }
    for (;;) {
        tbl_table *batch;
        rc = src_next_batch(r, 65536, &batch, err);
        if (rc || !batch)
            break;
        rc = tbl_append(all, batch, err);
        tbl_free(batch);
        if (rc)
            break;
    }
    if (!rc)
        *report = *src_reader_report(r);
    src_close(r);
    if (rc) {
        tbl_free(all);
        return rc;
    }
    *out = all;
    return ML_OK;
}

/* ---- sinks --------------------------------------------------------------- */

struct sink_writer {
    const sink_writer_ops *ops;
    void *impl;
};

static const sink_options default_sink_options;

int sink_open(const char *uri, const sink_options *opts, const tbl_table *schema, sink_writer **out,
              ml_error *err)
{
    src_kind kind;
    const char *loc;
    int rc = src_parse_uri(uri, &kind, &loc, err);
    if (rc)
        return rc;
    if (!opts)
        opts = &default_sink_options;
    sink_writer *w = calloc(1, sizeof *w);
    if (!w)
        return ml_err(err, ML_ENOMEM, "out of memory opening %s", uri);
    switch (kind) {
    case SRC_CSV:
        rc = csv_sink_open(loc, opts, schema, &w->ops, &w->impl, err);
        break;
    case SRC_SQLITE:
        rc = sqlite_sink_open(loc, opts, schema, &w->ops, &w->impl, err);
        break;
    case SRC_POSTGRES:
        rc = pg_sink_open(loc, opts, schema, &w->ops, &w->impl, err);
        break;
    case SRC_LIBSVM:
        rc =
            ml_err(err, ML_EUNSUPPORTED,
                   "%s: cannot write LIBSVM files; write .csv, sqlite:PATH or postgresql://…", uri);
        break;
    }
    if (rc) {
        free(w);
        return rc;
    }
    *out = w;
    return ML_OK;
}

int sink_write(sink_writer *w, const tbl_table *batch, ml_error *err)
{
    return w->ops->write(w->impl, batch, err);
}

int sink_commit(sink_writer *w, ml_error *err)
{
    int rc = w->ops->commit(w->impl, err);
    free(w);
    return rc;
}

void sink_abort(sink_writer *w)
{
    if (!w)
        return;
    w->ops->abort(w->impl);
    free(w);
}

int sink_write_table(const char *uri, const sink_options *opts, const tbl_table *t, ml_error *err)
{
    sink_writer *w;
    int rc = sink_open(uri, opts, t, &w, err);
    if (rc)
        return rc;
    rc = sink_write(w, t, err);
    if (rc) {
        sink_abort(w);
        return rc;
    }
    return sink_commit(w, err);
}
