/*
 * names.h — "did you mean" suggestions: the closest of a list of names to a
 * misspelt one, by Levenshtein distance, only when it is close enough to be
 * plausible (distance <= max(2, len/3)); a far-off name gets no suggestion
 * rather than a misleading one.
 */
#ifndef ML_CORE_NAMES_H
#define ML_CORE_NAMES_H

#include <stddef.h>

/* Edit distance of a and b, or cap + 1 when it exceeds cap or a name is
 * longer than 64 characters. */
size_t ml_edit_distance(const char *a, const char *b, size_t cap);

/* The name among names[0..n) closest to name, or NULL.  NULL entries are
 * skipped. */
const char *ml_closest_name(const char *const *names, size_t n, const char *name);

/* The same over an array of structs whose first member is `const char *`
 * (or `char *`): stride is the struct's size. */
const char *ml_closest_name_in(const void *items, size_t n, size_t stride, const char *name);

#endif
