/*
 * error.h — status codes and the error record every internal module fills.
 *
 * Internal code spells the public MLOOP_* codes as ML_*.  A failing function
 * calls ml_err(err, code, fmt, ...) once, at the place that knows the most
 * (file, line, column, key), and returns the code it was given; callers
 * propagate the code and may prefix context with ml_err_prefix.
 */
#ifndef ML_CORE_ERROR_H
#define ML_CORE_ERROR_H

#include "mloop.h"

#include <stddef.h>

#define ML_STATUS_ALIAS(name, value, text) ML_##name = MLOOP_##name,
enum { MLOOP_STATUS_MAP(ML_STATUS_ALIAS) };
#undef ML_STATUS_ALIAS

typedef mloop_error ml_error;

/* Sets err (when non-NULL) and returns code, so `return ml_err(...)` reads well. */
int ml_err(ml_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an error already set (keeps its code); returns the code. */
int ml_err_prefix(ml_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears the record to ML_OK with an empty message. */
void ml_err_clear(ml_error *err);

/* Exit code a CLI should use for a status: 0 ok, 1 runtime failure, 2 usage or input error. */
int ml_exit_code(int status);

#endif
