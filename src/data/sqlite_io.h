/*
 * sqlite_io.h — SQLite sources and sinks (`sqlite:PATH`).
 *
 * Reading streams a prepared statement (`--query`, or SELECT * from
 * `--table`); column types come from the declared types (INTEGER, REAL,
 * TEXT, BOOLEAN, DATE, TIMESTAMP…), falling back to the stored values' types.
 * Writing creates the table and inserts every row inside one transaction.
 */
#ifndef ML_DATA_SQLITE_IO_H
#define ML_DATA_SQLITE_IO_H

#include "data/source.h"

int sqlite_reader_open(const char *path, const src_options *opts, const src_reader_ops **ops,
                       void **impl, ml_error *err);
int sqlite_sink_open(const char *path, const sink_options *opts, const tbl_table *schema,
                     const sink_writer_ops **ops, void **impl, ml_error *err);

#endif
