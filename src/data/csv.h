/*
 * csv.h — delimited text (CSV, TSV, .gz) in and out.
 *
 * Reading: RFC 4180 (quoted fields, doubled quotes, delimiters and newlines
 * inside quotes, CRLF), a UTF-8 BOM, header on by default, delimiter
 * detected among , \t ; | unless given.  csv_read_table infers each column's
 * type from every cell of the file and parses in parallel; the streaming
 * reader fixes types from its first batch (or opts->schema).
 * Writing: RFC 4180 quoting where needed, to a temp file renamed on commit.
 */
#ifndef ML_DATA_CSV_H
#define ML_DATA_CSV_H

#include "data/source.h"

int csv_read_table(const char *path, const src_options *opts, tbl_table **out, src_report *report,
                   ml_error *err);
int csv_reader_open(const char *path, const src_options *opts, const src_reader_ops **ops,
                    void **impl, ml_error *err);
int csv_sink_open(const char *path, const sink_options *opts, const tbl_table *schema,
                  const sink_writer_ops **ops, void **impl, ml_error *err);

#endif
