/*
 * source.h — where tables come from and go to, named by one string.
 *
 *   file.csv  file.tsv  file.csv.gz  (any other path: delimited text)
 *   file.svm  file.libsvm  file.svmlight          LIBSVM text format
 *   sqlite:PATH                                   with --table T or --query Q
 *   postgresql://…  postgres://…                  any libpq URI, --table/--query
 *
 * Readers: src_read_table loads a whole table (CSV takes its fast parallel
 * path); src_open/src_next_batch stream bounded batches whose schema is fixed
 * by the first batch, or by opts->schema when given.  Writers: sink_open /
 * sink_write / sink_commit make the output visible only on commit (temp file
 * + rename, one SQL transaction); sink_abort, or any failure, leaves nothing.
 *
 * Every error names the place: file:line:column for text, the server's
 * message for SQL, the URI for connections.
 */
#ifndef ML_DATA_SOURCE_H
#define ML_DATA_SOURCE_H

#include "data/table.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum src_kind {
    SRC_CSV,
    SRC_LIBSVM,
    SRC_SQLITE,
    SRC_POSTGRES,
} src_kind;

typedef enum src_bad_rows {
    SRC_BAD_ROWS_ERROR = 0, /* a ragged row stops the load with file:line:column */
    SRC_BAD_ROWS_SKIP,      /* ragged rows are dropped and counted */
} src_bad_rows;

typedef struct src_options {
    bool no_header;          /* first record is data; columns are c0..cN */
    char delimiter;          /* 0: detect among , \t ; | */
    const char *null_values; /* comma-separated null tokens replacing the defaults */
    src_bad_rows bad_rows;
    bool coerce;             /* mostly-numeric columns stay numeric; bad cells become null */
    const char *query;       /* database sources: a SELECT … */
    const char *table;       /* database sources: a table name */
    int threads;             /* 0: every core (OMP_NUM_THREADS respected) */
    const tbl_table *schema; /* when set, read columns as these names/types */
} src_options;

/* What a read did besides returning rows. */
#define SRC_REPORT_LINES 5
typedef struct src_report {
    size_t rows_skipped;                    /* --bad-rows skip */
    size_t skipped_lines[SRC_REPORT_LINES]; /* first few, 1-based file lines */
    size_t cells_coerced;                   /* --coerce: cells turned into nulls */
    char coerced_detail[512];               /* "col: n, col2: m" */
} src_report;

/* Appends "column: cells" to report->coerced_detail (", "-separated; long
 * names cut at a UTF-8 boundary; "…" once the buffer is full).  Counting
 * cells_coerced is the caller's job. */
void src_report_note_coerced(src_report *report, const char *column, size_t cells);

/* Default null tokens: empty and whitespace-only cells are always null. */
#define SRC_DEFAULT_NULLS "NA,N/A,NaN,null,NULL"

/* Kind of a URI, and the part after its scheme (the path for files and
 * sqlite:, the whole URI for PostgreSQL).  Unknown "scheme://" → ML_EINVAL. */
int src_parse_uri(const char *uri, src_kind *kind, const char **location, ml_error *err);

/* The URI as it may be shown to a person: a password is replaced by "***". */
void src_display_uri(const char *uri, char *buf, size_t size);

int src_read_table(const char *uri, const src_options *opts, tbl_table **out, src_report *report,
                   ml_error *err);

typedef struct src_reader src_reader;
int src_open(const char *uri, const src_options *opts, src_reader **out, ml_error *err);
/* Next batch of at most max_rows rows; *batch is NULL at the end. */
int src_next_batch(src_reader *r, size_t max_rows, tbl_table **batch, ml_error *err);
/* Counts so far (skipped rows, coerced cells). */
const src_report *src_reader_report(const src_reader *r);
void src_close(src_reader *r);

/* How a database reader ends a batch of n rows built in t (rc: how building
 * went).  On failure t is freed and *failed set; an empty batch after the
 * first means the end (*batch stays NULL); the first batch is returned even
 * when empty, so a caller learns the columns of an empty result. */
int src_batch_finish(int rc, tbl_table *t, size_t n, bool *started, bool *failed,
                     tbl_table **batch);

/* Backends implement this; src_open wraps it. */
typedef struct src_reader_ops {
    int (*next_batch)(void *impl, size_t max_rows, tbl_table **batch, ml_error *err);
    const src_report *(*report)(const void *impl);
    void (*close)(void *impl);
} src_reader_ops;

/* ---- sinks --------------------------------------------------------------- */

typedef enum sink_if_exists {
    SINK_FAIL = 0, /* an existing table (or file) is an error */
    SINK_REPLACE,  /* replaced in the same transaction / rename */
    SINK_APPEND,   /* database tables only: rows are added */
} sink_if_exists;

typedef struct sink_options {
    const char *table; /* database sinks: the table to create */
    sink_if_exists if_exists;
    char delimiter; /* CSV: 0 picks ',' (or '\t' for .tsv) */
} sink_options;

typedef struct sink_writer sink_writer;
/* Opens a writer for tables shaped like schema (its rows are not written). */
int sink_open(const char *uri, const sink_options *opts, const tbl_table *schema, sink_writer **out,
              ml_error *err);
int sink_write(sink_writer *w, const tbl_table *batch, ml_error *err);
/* Makes everything written visible at once, then frees the writer. */
int sink_commit(sink_writer *w, ml_error *err);
/* Discards everything written, then frees the writer. */
void sink_abort(sink_writer *w);

int sink_write_table(const char *uri, const sink_options *opts, const tbl_table *t, ml_error *err);

typedef struct sink_writer_ops {
    int (*write)(void *impl, const tbl_table *batch, ml_error *err);
    int (*commit)(void *impl, ml_error *err); /* frees impl whatever happens */
    void (*abort)(void *impl);                /* frees impl */
} sink_writer_ops;

#endif
