/*
 * params.c — TEMPORARY minimal implementation written in the wt-linear
 * worktree only so the linear model links and its tests run; the real
 * params.c (edit-distance suggestions, full help text) replaces it at
 * integration.
 */
#include "models/params.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int param_kv_parse(const char *text, char *buf, param_kv *kv, ml_error *err)
{
    strcpy(buf, text);
    char *eq = strchr(buf, '=');
    if (!eq || eq == buf)
        return ml_err(err, ML_EINVAL, "parameter '%s' is not key=value", text);
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
    (void)specs;
    (void)nspecs;
    (void)name;
    return NULL;
}

static int enum_index(const char *choices, const char *value)
{
    size_t vlen = strlen(value);
    int idx = 0;
    for (const char *p = choices;; idx++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == vlen && strncmp(p, value, len) == 0)
            return idx;
        if (!bar)
            return -1;
        p = bar + 1;
    }
}

int params_apply(const param_spec *specs, size_t nspecs, const param_kv *kv, size_t nkv,
                 void *target, ml_error *err)
{
    for (size_t i = 0; i < nkv; i++) {
        const param_spec *s = params_find(specs, nspecs, kv[i].key);
        if (!s)
            return ml_err(err, ML_EINVAL, "unknown parameter '%s'", kv[i].key);
        char *dst = (char *)target + s->offset;
        const char *v = kv[i].value;
        char *end = NULL;
        errno = 0;
        switch (s->type) {
        case PARAM_INT:
        case PARAM_DOUBLE: {
            double d = strtod(v, &end);
            if (end == v || *end || errno || !isfinite(d) ||
                (s->type == PARAM_INT && d != floor(d)))
                return ml_err(err, ML_EINVAL, "parameter '%s': '%s' is not a number", s->name, v);
            if (d < s->min || d > s->max)
                return ml_err(err, ML_EINVAL, "parameter '%s': %s is outside [%g, %g]", s->name, v,
                              s->min, s->max);
            if (s->type == PARAM_INT)
                *(int *)dst = (int)d;
            else
                *(double *)dst = d;
            break;
        }
        case PARAM_BOOL:
            if (!strcmp(v, "true") || !strcmp(v, "1"))
                *(bool *)dst = true;
            else if (!strcmp(v, "false") || !strcmp(v, "0"))
                *(bool *)dst = false;
            else
                return ml_err(err, ML_EINVAL, "parameter '%s': '%s' is not true or false", s->name,
                              v);
            break;
        case PARAM_ENUM: {
            int idx = enum_index(s->choices, v);
            if (idx < 0)
                return ml_err(err, ML_EINVAL, "parameter '%s': '%s' is not one of %s", s->name, v,
                              s->choices);
            *(int *)dst = idx;
            break;
        }
        case PARAM_STRING:
            *(const char **)dst = v;
            break;
        }
    }
    return ML_OK;
}

void params_describe(const param_spec *specs, size_t nspecs, FILE *out)
{
    for (size_t i = 0; i < nspecs; i++)
        fprintf(out, "  %-14s %s\n", specs[i].name, specs[i].help ? specs[i].help : "");
}
