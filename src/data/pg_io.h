/*
 * pg_io.h — PostgreSQL sources and sinks (any libpq URI).
 *
 * Reading streams `COPY (query) TO STDOUT` so memory stays bounded; types
 * come from the result's OIDs (int2/4/8, float4/8, numeric, bool, text,
 * varchar, char, date, timestamp, timestamptz).  Writing runs CREATE TABLE
 * and COPY FROM STDIN inside one transaction: a failure leaves nothing.
 */
#ifndef ML_DATA_PG_IO_H
#define ML_DATA_PG_IO_H

#include "data/source.h"

int pg_reader_open(const char *uri, const src_options *opts, const src_reader_ops **ops,
                   void **impl, ml_error *err);
int pg_sink_open(const char *uri, const sink_options *opts, const tbl_table *schema,
                 const sink_writer_ops **ops, void **impl, ml_error *err);

#endif
