/*
 * test_data.h — helpers the data-module tests share: comparing tables with
 * a readable difference, writing a whole table through a backend's sink
 * ops, and finding the suite's throwaway PostgreSQL.
 */
#ifndef ML_TEST_DATA_H
#define ML_TEST_DATA_H

#include "test_util.h"

#include "data/source.h"

static inline void assert_tables_equal(const tbl_table *a, const tbl_table *b)
{
    char why[512];
    if (!tbl_equal(a, b, why, sizeof why))
        fail_msg("tables differ: %s", why);
}

typedef int (*test_sink_open_fn)(const char *location, const sink_options *opts,
                                 const tbl_table *schema, const sink_writer_ops **ops, void **impl,
                                 ml_error *err);

/* Writes t to a new table through one backend, committing or aborting as a
 * command would. */
static inline int test_sink_write(test_sink_open_fn open_fn, const char *location,
                                  const char *table, sink_if_exists mode, const tbl_table *t,
                                  ml_error *err)
{
    sink_options so = {.table = table, .if_exists = mode};
    const sink_writer_ops *ops;
    void *impl;
    int rc = open_fn(location, &so, t, &ops, &impl, err);
    if (rc)
        return rc;
    rc = ops->write(impl, t, err);
    if (rc) {
        ops->abort(impl);
        return rc;
    }
    return ops->commit(impl, err);
}

/* Reads the URI of the suite's PostgreSQL (the file named by
 * MLOOP_PG_URI_FILE) into uri; false, with a skip message, when there is none. */
static inline bool test_pg_uri(char *uri, size_t size)
{
    const char *file = getenv("MLOOP_PG_URI_FILE");
    FILE *f = file ? fopen(file, "r") : NULL;
    bool ok = f && fgets(uri, (int)size, f);
    if (f)
        fclose(f);
    if (!ok) {
        fprintf(stderr, "skipping: no PostgreSQL for tests (MLOOP_PG_URI_FILE %s)\n",
                file ? "names no readable URI" : "is unset");
        return false;
    }
    uri[strcspn(uri, "\r\n")] = '\0';
    return true;
}

#endif
