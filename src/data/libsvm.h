/*
 * libsvm.h — the LIBSVM / SVMlight text format (`label idx:value …`), as
 * XGBoost and LightGBM read it.  The table has a float column `label` and
 * one float column per feature index (f<idx>, from the smallest to the
 * largest index seen); an absent feature is 0, as in those tools' dense view.
 */
#ifndef ML_DATA_LIBSVM_H
#define ML_DATA_LIBSVM_H

#include "data/source.h"

int libsvm_read_table(const char *path, const src_options *opts, tbl_table **out, ml_error *err);
int libsvm_reader_open(const char *path, const src_options *opts, const src_reader_ops **ops,
                       void **impl, ml_error *err);

#endif
