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

/* Reads a whole file (mapped; a .gz file is inflated in memory).  Types come
 * from every cell; opts->threads chunks are parsed in parallel above 1 MiB
 * and the result does not depend on their number.  report may be NULL. */
int csv_read_table(const char *path, const src_options *opts, tbl_table **out, src_report *report,
                   ml_error *err);

/* csv_read_table on text in memory (not modified, not kept); name stands for
 * the path in messages.  Inputs of at least min_parallel bytes are split
 * across threads (0: the default, 1 MiB) — tests and fuzzers pass small
 * values to exercise the split on small inputs. */
int csv_read_buffer(const char *name, const char *data, size_t len, const src_options *opts,
                    size_t min_parallel, tbl_table **out, src_report *report, ml_error *err);

/* Streaming reader: batches in bounded memory.  Column types come from
 * opts->schema (its columns, by name, in its order) or from the first
 * batch; a later cell that does not fit is an error, or a null with
 * opts->coerce. */
int csv_reader_open(const char *path, const src_options *opts, const src_reader_ops **ops,
                    void **impl, ml_error *err);
/* csv_reader_open reading block bytes at a time (0: 1 MiB); tests use tiny
 * blocks so records straddle reads. */
int csv_reader_open_block(const char *path, const src_options *opts, size_t block,
                          const src_reader_ops **ops, void **impl, ml_error *err);

/* Writer: a temp file beside path (".NAME.tmp.XXXXXX") renamed on commit;
 * gzip when path ends in .gz; delimiter from opts, else '\t' for .tsv, else
 * ','.  SINK_FAIL refuses an existing file, SINK_APPEND is unsupported. */
int csv_sink_open(const char *path, const sink_options *opts, const tbl_table *schema,
                  const sink_writer_ops **ops, void **impl, ml_error *err);

#endif
