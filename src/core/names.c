/*
 * names.c — closest-name suggestions (names.h).
 */
#include "core/names.h"

#include <string.h>

size_t ml_edit_distance(const char *a, const char *b, size_t cap)
{
    size_t la = strlen(a), lb = strlen(b);
    enum { MAXN = 64 };
    if (la > MAXN || lb > MAXN)
        return cap + 1;
    size_t row[MAXN + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb] > cap ? cap + 1 : row[lb];
}

const char *ml_closest_name_in(const void *items, size_t n, size_t stride, const char *name)
{
    size_t len = strlen(name);
    size_t limit = len / 3 > 2 ? len / 3 : 2;
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; i < n; i++) {
        const char *candidate;
        memcpy(&candidate, (const char *)items + i * stride, sizeof(candidate));
        if (!candidate)
            continue;
        size_t d = ml_edit_distance(name, candidate, limit);
        if (d < best_d) {
            best_d = d;
            best = candidate;
        }
    }
    return best;
}

const char *ml_closest_name(const char *const *names, size_t n, const char *name)
{
    return ml_closest_name_in(names, n, sizeof(*names), name);
}
