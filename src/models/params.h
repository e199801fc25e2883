/*
 * params.h — `--param key=value` handling shared by every model: a model
 * declares its parameters once as a table (name, type, range, where the
 * value lives in its parameter struct) and params_apply validates and
 * stores a list of key=value pairs against it.
 *
 * Contract
 *  - An unknown key fails with ML_EINVAL and suggests the closest known
 *    name ("unknown parameter 'num_leafs' (did you mean 'num_leaves'?)").
 *  - A value that does not parse or lies outside [min, max] fails with
 *    ML_EINVAL naming the key, the value and the valid range.
 *  - PARAM_ENUM stores the index of the value in `choices` ("a|b|c") as an
 *    int; PARAM_STRING stores a borrowed pointer into the kv list.
 *  - params_describe writes the table as help text.
 */
#ifndef ML_MODELS_PARAMS_H
#define ML_MODELS_PARAMS_H

#include "core/error.h"

#include <stddef.h>
#include <stdio.h>

typedef enum param_type {
    PARAM_INT,    /* int */
    PARAM_DOUBLE, /* double */
    PARAM_BOOL,   /* bool: true/false/1/0 */
    PARAM_ENUM,   /* int index into choices */
    PARAM_STRING, /* const char * (borrowed) */
} param_type;

typedef struct param_spec {
    const char *name;
    param_type type;
    size_t offset; /* offsetof(params struct, field) */
    double min, max;
    const char *choices; /* PARAM_ENUM: "a|b|c" */
    const char *help;
} param_spec;

typedef struct param_kv {
    const char *key;
    const char *value;
} param_kv;

/* Parses "key=value" into kv (pointers into a copy the caller owns in buf,
 * which must hold strlen(text)+1 bytes). */
int param_kv_parse(const char *text, char *buf, param_kv *kv, ml_error *err);

int params_apply(const param_spec *specs, size_t nspecs, const param_kv *kv, size_t nkv,
                 void *target, ml_error *err);

/* The spec with this name, or NULL. */
const param_spec *params_find(const param_spec *specs, size_t nspecs, const char *name);

/* Closest name among specs by edit distance, or NULL when nothing is close. */
const char *params_closest(const param_spec *specs, size_t nspecs, const char *name);

void params_describe(const param_spec *specs, size_t nspecs, FILE *out);

#endif
