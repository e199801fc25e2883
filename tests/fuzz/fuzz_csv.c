/*
 * fuzz_csv.c — libFuzzer target for the CSV reader.
 *
 * The first input byte picks the options (header, coerce, bad rows, a forced
 * delimiter, custom null tokens); the rest is the file.  Besides crashes and
 * leaks it checks that three readings agree exactly — same table, report or
 * error message:
 *   - csv_read_buffer on one thread,
 *   - csv_read_buffer split into 3 chunks however small the input,
 *   - the streaming reader with 7-byte reads and one batch for everything
 *     (types from the first batch = from every row).
 * A second streaming pass with 2-row batches only has to survive.
 * (When every row is skipped, the whole read has a 0-row table and the
 * stream no batch at all: only the row counts are compared then.)
 */
#include "data/csv.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int memfd = -1;
static char memfd_path[64];

static void check(bool ok, const char *what, const char *detail)
{
    if (!ok) {
        fprintf(stderr, "fuzz_csv: %s: %s\n", what, detail ? detail : "");
        abort();
    }
}

static bool reports_equal(const src_report *a, const src_report *b)
{
    return a->rows_skipped == b->rows_skipped &&
           memcmp(a->skipped_lines, b->skipped_lines, sizeof a->skipped_lines) == 0 &&
           a->cells_coerced == b->cells_coerced &&
           strcmp(a->coerced_detail, b->coerced_detail) == 0;
}

/* Streams the memfd; *out gets every batch appended (NULL on error). */
static int stream(const src_options *o, size_t batch, tbl_table **out, src_report *rep,
                  ml_error *err)
{
    const src_reader_ops *ops;
    void *impl;
    *out = NULL;
    int rc = csv_reader_open_block(memfd_path, o, 7, &ops, &impl, err);
    if (rc)
        return rc;
    tbl_table *all = tbl_create();
    for (;;) {
        tbl_table *b = NULL;
        rc = ops->next_batch(impl, batch, &b, err);
        if (rc || !b)
            break;
        ml_error e2 = {0};
        rc = tbl_append(all, b, &e2);
        tbl_free(b);
        check(rc == 0, "append", e2.message);
    }
    *rep = *ops->report(impl);
    ops->close(impl);
    if (rc)
        tbl_free(all);
    else
        *out = all;
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;

    src_options o = {0};
    o.no_header = sel & 1;
    o.coerce = (sel & 2) != 0;
    o.bad_rows = (sel & 4) ? SRC_BAD_ROWS_SKIP : SRC_BAD_ROWS_ERROR;
    if (sel & 8)
        o.delimiter = ",;\t|"[(sel >> 4) & 3];
    if (sel & 64)
        o.null_values = "x,,-, ?";

    tbl_table *a = NULL, *b = NULL, *s = NULL;
    src_report ra, rb, rs;
    ml_error ea = {0}, eb = {0}, es = {0};
    o.threads = 1;
    int rca = csv_read_buffer("fuzz.csv", text, len, &o, 0, &a, &ra, &ea);
    o.threads = 3;
    int rcb = csv_read_buffer("fuzz.csv", text, len, &o, 1, &b, &rb, &eb);
    check(rca == rcb, "1 vs 3 threads: status", ea.message);
    char why[512];
    if (rca) {
        check(strcmp(ea.message, eb.message) == 0, "1 vs 3 threads: message", eb.message);
    } else {
        check(tbl_equal(a, b, why, sizeof why), "1 vs 3 threads: table", why);
        check(reports_equal(&ra, &rb), "1 vs 3 threads: report", NULL);
    }

    if (memfd < 0) {
        memfd = memfd_create("fuzz_csv", 0);
        check(memfd >= 0, "memfd_create", NULL);
        snprintf(memfd_path, sizeof memfd_path, "/proc/self/fd/%d", memfd);
    }
    check(ftruncate(memfd, 0) == 0 && pwrite(memfd, text, len, 0) == (ssize_t)len, "memfd write",
          NULL);
    o.threads = 1;
    int rcs = stream(&o, (size_t)1 << 30, &s, &rs, &es);
    /* The streaming reader names the path it was given; compare what follows. */
    const char *ms = strncmp(es.message, memfd_path, strlen(memfd_path)) == 0
                         ? es.message + strlen(memfd_path)
                         : es.message;
    const char *ma = strncmp(ea.message, "fuzz.csv", 8) == 0 ? ea.message + 8 : ea.message;
    check(rca == rcs, "whole vs stream: status", es.message);
    if (rca) {
        check(strcmp(ma, ms) == 0, "whole vs stream: message", es.message);
    } else {
        /* With every row skipped the stream has no batch to give a schema. */
        if (tbl_nrows(a) == 0)
            check(tbl_nrows(s) == 0, "whole vs stream: rows", NULL);
        else
            check(tbl_equal(a, s, why, sizeof why), "whole vs stream: table", why);
        check(reports_equal(&ra, &rs), "whole vs stream: report", NULL);
    }
    tbl_free(s);
    s = NULL;
    stream(&o, 2, &s, &rs, &es);
    tbl_free(s);
    tbl_free(a);
    tbl_free(b);
    return 0;
}
