/*
 * value.h — text ⇄ typed value conversions shared by every reader, writer
 * and the profiler.  Locale-independent (always the C locale's '.'), exact:
 * a float formatted by val_format_f64 parses back to the same bits.
 *
 * Parsers take a span (not NUL-terminated), tolerate leading and trailing
 * blanks (space, tab) and return false when the whole span is not a value of
 * that type; they never allocate.
 */
#ifndef ML_DATA_VALUE_H
#define ML_DATA_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* [+-]digits, fitting int64. */
bool val_parse_i64(const char *s, size_t len, int64_t *out);
/* Decimal with optional fraction and exponent, or inf/infinity (any case).
 * Correctly rounded. */
bool val_parse_f64(const char *s, size_t len, double *out);
/* true/false, any case. */
bool val_parse_bool(const char *s, size_t len, bool *out);
/* YYYY-MM-DD (a real calendar day) → days since 1970-01-01. */
bool val_parse_date(const char *s, size_t len, int32_t *days);
/* YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z|±HH[:MM]] → microseconds since the
 * epoch, UTC (an offset is applied; no offset means UTC). */
bool val_parse_timestamp(const char *s, size_t len, int64_t *micros);

#define VAL_TEXT_MAX 40
/* Shortest text that parses back to the same double ("inf", "-inf", "nan"
 * for the specials).  buf holds VAL_TEXT_MAX bytes; returns the length. */
size_t val_format_f64(double v, char *buf);
size_t val_format_i64(int64_t v, char *buf);
size_t val_format_date(int32_t days, char *buf);
size_t val_format_timestamp(int64_t micros, char *buf);

/* Days since 1970-01-01 of a proleptic Gregorian date (no validation). */
int64_t val_days_from_civil(int64_t y, unsigned m, unsigned d);
void val_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
