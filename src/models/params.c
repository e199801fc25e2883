/*
 * params.c — validation of `--param key=value` against a model's table.
 *
 * Design
 *  - A model describes its parameters once, as data (param_spec); nothing
 *    here knows any model.  Values are stored through `offset` into the
 *    caller's parameter struct, so adding a parameter is adding a row.
 *  - Pairs are applied in order, so a key given twice keeps the last value
 *    (the usual command-line rule: a later flag overrides an earlier one).
 *  - Parsing is strict and locale-independent in intent: an int must be all
 *    digits (optional sign) and fit in int; a double must be consumed whole
 *    by strtod and be finite.  Nothing is silently truncated or clamped.
 *  - An unknown key is most often a typo, so the error suggests the closest
 *    name by Levenshtein distance when it is close enough to be plausible
 *    (distance <= max(2, len/3)); a far-off name gets no suggestion rather
 *    than a misleading one.
 *  - Validation happens pair by pair, so on failure the target may hold the
 *    pairs applied before the bad one; callers apply to a scratch copy of
 *    their defaults and discard it on error.
 */
#include "models/params.h"

#include "core/names.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int param_kv_parse(const char *text, char *buf, param_kv *kv, ml_error *err)
{
    size_t n = strlen(text);
    memcpy(buf, text, n + 1);
    char *eq = strchr(buf, '=');
    if (!eq)
        return ml_err(err, ML_EINVAL, "expected key=value, got '%s' (no '=')", text);
    if (eq == buf)
        return ml_err(err, ML_EINVAL, "expected key=value, got '%s' (empty key)", text);
    *eq = '\0';
    kv->key = buf;
    kv->value = eq + 1;
    return ML_OK;
}

const param_spec *params_find(const param_spec *specs, size_t nspecs, const char *name)
{
    for (size_t i = 0; i < nspecs; i++)
        if (strcmp(specs[i].name, name) == 0)
            return &specs[i];
    return NULL;
}

const char *params_closest(const param_spec *specs, size_t nspecs, const char *name)
{
    return ml_closest_name_in(specs, nspecs, sizeof(*specs), name);
}

static int parse_int(const param_spec *s, const char *v, int *out, ml_error *err)
{
    const char *p = v;
    if (*p == '+' || *p == '-')
        p++;
    bool digits = *p != '\0';
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            digits = false;
    if (!digits)
        return ml_err(err, ML_EINVAL, "parameter '%s' expects an integer, got '%s'", s->name, v);
    errno = 0;
    long long x = strtoll(v, NULL, 10);
    if (errno == ERANGE || x < INT_MIN || x > INT_MAX || (double)x < s->min || (double)x > s->max)
        return ml_err(err, ML_EINVAL, "parameter '%s' must be between %.0f and %.0f, got %s",
                      s->name, s->min, s->max, v);
    *out = (int)x;
    return ML_OK;
}

static int parse_double(const param_spec *s, const char *v, double *out, ml_error *err)
{
    char *end = NULL;
    errno = 0;
    double x = *v ? strtod(v, &end) : 0;
    if (!*v || *end != '\0' || isspace((unsigned char)*v))
        return ml_err(err, ML_EINVAL, "parameter '%s' expects a number, got '%s'", s->name, v);
    if (!isfinite(x) || x < s->min || x > s->max)
        return ml_err(err, ML_EINVAL, "parameter '%s' must be between %g and %g, got %s", s->name,
                      s->min, s->max, v);
    *out = x;
    return ML_OK;
}

static int parse_bool(const param_spec *s, const char *v, bool *out, ml_error *err)
{
    static const char *const yes[] = {"true", "1", "yes"}, *const no[] = {"false", "0", "no"};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return ML_OK;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return ML_OK;
        }
    }
    return ml_err(err, ML_EINVAL, "parameter '%s' expects true or false, got '%s'", s->name, v);
}

static int parse_enum(const param_spec *s, const char *v, int *out, ml_error *err)
{
    const char *c = s->choices ? s->choices : "";
    size_t vlen = strlen(v);
    for (int idx = 0;; idx++) {
        const char *bar = strchr(c, '|');
        size_t n = bar ? (size_t)(bar - c) : strlen(c);
        if (n == vlen && strncmp(c, v, n) == 0) {
            *out = idx;
            return ML_OK;
        }
        if (!bar)
            break;
        c = bar + 1;
    }
    return ml_err(err, ML_EINVAL, "parameter '%s' must be one of %s, got '%s'", s->name,
                  s->choices ? s->choices : "(none)", v);
}

static int apply_one(const param_spec *s, const char *v, char *target, ml_error *err)
{
    void *field = target + s->offset;
    switch (s->type) {
    case PARAM_INT: {
        int x = 0;
        int rc = parse_int(s, v, &x, err);
        if (!rc)
            memcpy(field, &x, sizeof x);
        return rc;
    }
    case PARAM_DOUBLE: {
        double x = 0;
        int rc = parse_double(s, v, &x, err);
        if (!rc)
            memcpy(field, &x, sizeof x);
        return rc;
    }
    case PARAM_BOOL: {
        bool x = false;
        int rc = parse_bool(s, v, &x, err);
        if (!rc)
            memcpy(field, &x, sizeof x);
        return rc;
    }
    case PARAM_ENUM: {
        int x = 0;
        int rc = parse_enum(s, v, &x, err);
        if (!rc)
            memcpy(field, &x, sizeof x);
        return rc;
    }
    case PARAM_STRING:
        memcpy(field, &v, sizeof v);
        return ML_OK;
    }
    return ml_err(err, ML_EINVAL, "parameter '%s' has an unknown type", s->name);
}

int params_apply(const param_spec *specs, size_t nspecs, const param_kv *kv, size_t nkv,
                 void *target, ml_error *err)
{
    for (size_t i = 0; i < nkv; i++) {
        const param_spec *s = params_find(specs, nspecs, kv[i].key);
        if (!s) {
            const char *near = params_closest(specs, nspecs, kv[i].key);
            if (near)
                return ml_err(err, ML_EINVAL, "unknown parameter '%s' (did you mean '%s'?)",
                              kv[i].key, near);
            return ml_err(err, ML_EINVAL, "unknown parameter '%s'", kv[i].key);
        }
        int rc = apply_one(s, kv[i].value ? kv[i].value : "", target, err);
        if (rc)
            return rc;
    }
    return ML_OK;
}

static const char *type_name(const param_spec *s)
{
    switch (s->type) {
    case PARAM_INT:
        return "int";
    case PARAM_DOUBLE:
        return "double";
    case PARAM_BOOL:
        return "bool";
    case PARAM_ENUM:
        return s->choices ? s->choices : "enum";
    case PARAM_STRING:
        return "string";
    }
    return "?";
}

/* "[2, 131072]" for numbers, "" where a range means nothing. */
static void range_text(const param_spec *s, char *buf, size_t size)
{
    if (s->type == PARAM_INT)
        snprintf(buf, size, "[%.0f, %.0f]", s->min, s->max);
    else if (s->type == PARAM_DOUBLE)
        snprintf(buf, size, "[%g, %g]", s->min, s->max);
    else
        buf[0] = '\0';
}

void params_describe(const param_spec *specs, size_t nspecs, FILE *out)
{
    int wname = 0, wtype = 0, wrange = 0;
    char range[96];
    for (size_t i = 0; i < nspecs; i++) {
        range_text(&specs[i], range, sizeof range);
        int n = (int)strlen(specs[i].name), t = (int)strlen(type_name(&specs[i]));
        int r = (int)strlen(range);
        wname = n > wname ? n : wname;
        wtype = t > wtype ? t : wtype;
        wrange = r > wrange ? r : wrange;
    }
    for (size_t i = 0; i < nspecs; i++) {
        range_text(&specs[i], range, sizeof range);
        fprintf(out, "  %-*s  %-*s  %-*s  %s\n", wname, specs[i].name, wtype, type_name(&specs[i]),
                wrange, range, specs[i].help ? specs[i].help : "");
    }
}
