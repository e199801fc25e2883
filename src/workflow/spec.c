/*
 * spec.c — the workflow file, read and validated into a wf_spec (spec.h).
 *
 * Three passes, each simple on its own:
 *
 *  1. libyaml's event stream becomes a small tree of our own (mapping,
 *     list, scalar), every node carrying its line and, for a mapping's
 *     member, its key and the key's line.  Nodes live in one arena freed
 *     at the end of the load.  The tree refuses what we never want to
 *     validate: duplicate keys, aliases (a YAML bomb is an alias bomb),
 *     non-scalar keys, more than one document, nesting beyond MAX_DEPTH.
 *  2. Each `--set key.path=value` parses its value with the same builder
 *     (so `[a, b]` and `{}` work) and grafts it into the tree, creating
 *     missing mappings on the way.  Grafted nodes have line 0 and remember
 *     the --set text, so a bad value is reported as "--set split.test=2:
 *     split.test: …" rather than at a line of the file it never came from.
 *     Overriding the tree, not the typed spec, means an override is checked
 *     by exactly the code that checks the file.
 *  3. The schema walk: one function per section reads its mapping with
 *     small typed getters (string, number in a range, integer, bool, one
 *     of a list of names), each of which reports "where: key.path: what
 *     was expected, got what".  Every section first checks its keys
 *     against the list it knows, so a typo is an error with a suggestion,
 *     never silently ignored.  Strings copied into the spec are malloc'd;
 *     wf_spec_free releases them, on success and on every error path.
 *
 * Choices where the schema leaves room:
 *  - A null value (`key:` with nothing after it, `~`, `null`) is never
 *    accepted as "use the default": leave the key out for that.
 *  - Numbers are decimal text (no hex, inf or nan), quoted or not.
 *    Booleans are true/false (also True/TRUE…), never yes/no.
 *  - Column options: `value` (numeric constant) and `fill_value`
 *    (categorical constant) imply `impute: constant` when impute is not
 *    given and are refused beside any other impute method.  A per-column
 *    `impute` without its own constant takes the section's constant
 *    (numeric `value`, categorical `fill_value`), since the pipeline copies
 *    the impute fields as one group.  `clip` and `bins` take a method name
 *    or a mapping; `clip.k` defaults to 1.5 for iqr and 3 for zscore.
 *    The datetime section accepts the numeric options too (the parts are
 *    numbers and go through the numeric steps); the numeric and
 *    categorical sections refuse each other's keys and the datetime ones.
 *  - tune.method defaults to random; tune.space is required and its names
 *    must be parameters of the model; a range is two plain numbers (quoted
 *    ones are choices); grid search needs choices or int ranges.  A metric
 *    must suit the task when the task is given.
 *  - gate needs a metric and at least one bound; monitor.drift needs
 *    method and threshold; retrain_on items are drift, schedule or
 *    "labels >= N".  A database score.to needs score.table and a file
 *    refuses it, as data does with query/table.
 *  - --set keys cannot contain dots (the dot separates the path).
 */
#include "workflow/spec.h"

#include "core/arena.h"
#include "core/file.h"
#include "core/names.h"
#include "data/source.h"
#include "eval/metrics.h"
#include "models/model.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

enum {
    MAX_FILE = 1 << 20,  /* bytes of workflow text */
    MAX_DEPTH = 64,      /* nesting of mappings and lists */
    MAX_EXPANDED = 65536 /* a string after ${NAME} expansion */
};
#define PATH_SIZE 320

/* ---- the node tree ------------------------------------------------------------------------ */

typedef enum nkind { N_SCALAR, N_SEQ, N_MAP } nkind;

typedef struct node node;
struct node {
    nkind kind;
    int line;        /* 1-based; 0 for --set values */
    const char *set; /* the --set argument the value came from, or NULL */
    char *text;      /* scalars */
    bool plain;      /* an unquoted scalar (only those can be null) */
    char *key;       /* a mapping's member: its key */
    int key_line;
    const char *key_set;
    size_t index;              /* position in the parent */
    node *first, *last, *next; /* members of a list or mapping */
    size_t n;
};

typedef struct ctx {
    const char *file; /* the path for messages */
    ml_arena *arena;
    ml_error *err;
    wf_spec *s;
} ctx;

static int oom(const ctx *c)
{
    return ml_err(c->err, ML_ENOMEM, "out of memory reading %s", c->file);
}

static bool is_null(const node *v)
{
    return v->kind == N_SCALAR && v->plain &&
           (!v->text[0] || !strcmp(v->text, "~") || !strcmp(v->text, "null") ||
            !strcmp(v->text, "Null") || !strcmp(v->text, "NULL"));
}

/* "a mapping", "a list", "nothing" or 'text' (shortened), for "got …". */
static const char *describe(const node *v, char *buf, size_t size)
{
    if (v->kind == N_MAP)
        return "a mapping";
    if (v->kind == N_SEQ)
        return "a list";
    if (is_null(v))
        return "nothing";
    size_t len = strlen(v->text);
    if (len > 60)
        snprintf(buf, size, "'%.57s...'", v->text);
    else
        snprintf(buf, size, "'%s'", v->text);
    return buf;
}

/* describe() into a buffer that lives until the end of the caller's block. */
#define GOT(v) describe((v), (char[80]){""}, 80)

static const node *get(const node *map, const char *key)
{
    for (const node *m = map->first; m; m = m->next)
        if (!strcmp(m->key, key))
            return m;
    return NULL;
}

/* Appends s to buf (PATH_SIZE bytes, used so far), cutting what does not fit. */
static void path_cat(char *buf, size_t *used, const char *s)
{
    size_t n = strlen(s);
    if (n > PATH_SIZE - 1 - *used)
        n = PATH_SIZE - 1 - *used;
    memcpy(buf + *used, s, n);
    *used += n;
    buf[*used] = '\0';
}

/* "prefix.key" (or "key" at the top) into buf, PATH_SIZE bytes. */
static const char *join(char *buf, const char *prefix, const char *key)
{
    size_t used = 0;
    buf[0] = '\0';
    if (prefix && *prefix) {
        path_cat(buf, &used, prefix);
        path_cat(buf, &used, ".");
    }
    path_cat(buf, &used, key);
    return buf;
}

/* "prefix[i]" into buf, PATH_SIZE bytes. */
static const char *item(char *buf, const char *prefix, size_t i)
{
    char index[32];
    size_t used = 0;
    snprintf(index, sizeof index, "[%zu]", i);
    buf[0] = '\0';
    path_cat(buf, &used, prefix);
    path_cat(buf, &used, index);
    return buf;
}

/* ---- messages ---------------------------------------------------------------------------- */

__attribute__((format(printf, 5, 0))) static int failv(const ctx *c, const char *set, int line,
                                                       const char *key, const char *fmt, va_list ap)
{
    char msg[768];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (set)
        return ml_err(c->err, ML_EINVAL, "--set %s: %s: %s", set, key, msg);
    if (line > 0)
        return ml_err(c->err, ML_EINVAL, "%s:%d: %s: %s", c->file, line, key, msg);
    return ml_err(c->err, ML_EINVAL, "%s: %s: %s", c->file, key, msg);
}

/* An error about a value, at the value's line. */
__attribute__((format(printf, 4, 5))) static int bad_value(const ctx *c, const node *v,
                                                           const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = failv(c, v->set, v->line, key, fmt, ap);
    va_end(ap);
    return rc;
}

/* An error about a key (unknown, duplicate, misplaced, missing inside it),
 * at the key's line. */
__attribute__((format(printf, 4, 5))) static int bad_key(const ctx *c, const node *m,
                                                         const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = failv(c, m ? m->key_set : NULL, m ? m->key_line : 0, key, fmt, ap);
    va_end(ap);
    return rc;
}

static int missing(const ctx *c, const node *section, const char *path, const char *key)
{
    char p[PATH_SIZE];
    return bad_key(c, section, join(p, path, key), "required key is missing");
}

/* ---- pass 1: YAML text → tree ------------------------------------------------------------- */

typedef struct builder {
    ctx *c;
    const char *set; /* parsing a --set value */
    const char *text;
    size_t len;
    node *stack[MAX_DEPTH];
    node *keys[MAX_DEPTH]; /* a mapping's pending key scalar */
    int depth;
    node *root;
} builder;

static void line_col_of(const char *text, size_t len, size_t offset, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int syntax_error(builder *b, const yaml_parser_t *p)
{
    const ctx *c = b->c;
    if (p->error == YAML_MEMORY_ERROR)
        return oom(c);
    const char *problem = p->problem ? p->problem : "malformed YAML";
    size_t line, col;
    if (p->error == YAML_READER_ERROR) {
        line_col_of(b->text, b->len, p->problem_offset, &line, &col);
    } else {
        line = p->problem_mark.line + 1;
        col = p->problem_mark.column + 1;
    }
    char context[160] = "";
    if (p->context && p->error != YAML_READER_ERROR) {
        if (b->set)
            snprintf(context, sizeof context, " (%s)", p->context);
        else
            snprintf(context, sizeof context, " (%s on line %zu)", p->context,
                     p->context_mark.line + 1);
    }
    if (b->set)
        return ml_err(c->err, ML_EINVAL, "--set %s: %s at column %zu of the value%s", b->set,
                      problem, col, context);
    return ml_err(c->err, ML_EINVAL, "%s:%zu:%zu: %s%s", c->file, line, col, problem, context);
}

/* An error found while building, at line and column of the file (or the --set). */
__attribute__((format(printf, 3, 4))) static int build_error(builder *b, const yaml_mark_t *mark,
                                                             const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (b->set)
        return ml_err(b->c->err, ML_EINVAL, "--set %s: %s", b->set, msg);
    return ml_err(b->c->err, ML_EINVAL, "%s:%zu:%zu: %s", b->c->file, mark->line + 1,
                  mark->column + 1, msg);
}

/* The dotted path of the innermost open container. */
static const char *stack_path(const builder *b, char *buf)
{
    size_t used = 0;
    buf[0] = '\0';
    if (b->set) { /* a --set value sits at the path before its '=' */
        const char *eq = strchr(b->set, '=');
        int w = snprintf(buf, PATH_SIZE, "%.*s", eq ? (int)(eq - b->set) : 0, b->set);
        used = w < 0 ? 0 : (size_t)w < PATH_SIZE ? (size_t)w : PATH_SIZE - 1;
    }
    for (int i = 1; i < b->depth; i++) {
        const node *n = b->stack[i];
        int w = n->key ? snprintf(buf + used, PATH_SIZE - used, "%s%s", used ? "." : "", n->key)
                       : snprintf(buf + used, PATH_SIZE - used, "[%zu]", n->index);
        if (w < 0 || (size_t)w >= PATH_SIZE - used)
            break;
        used += (size_t)w;
    }
    return buf;
}

static node *new_node(builder *b, nkind kind, const yaml_mark_t *mark)
{
    node *n = ml_arena_alloc(b->c->arena, sizeof *n);
    if (!n)
        return NULL;
    memset(n, 0, sizeof *n);
    n->kind = kind;
    if (b->set) {
        n->set = b->set;
    } else {
        n->line = (int)mark->line + 1;
    }
    return n;
}

static void append(node *parent, node *child)
{
    child->index = parent->n++;
    if (parent->last)
        parent->last->next = child;
    else
        parent->first = child;
    parent->last = child;
}

/* Places a finished (or just opened) node in its parent. */
static int place(builder *b, node *n, const yaml_mark_t *mark)
{
    if (b->depth == 0) {
        b->root = n;
        return ML_OK;
    }
    node *parent = b->stack[b->depth - 1];
    if (parent->kind == N_SEQ) {
        append(parent, n);
        return ML_OK;
    }
    node **key = &b->keys[b->depth - 1];
    if (!*key) {
        if (n->kind != N_SCALAR)
            return build_error(b, mark, "a mapping key must be plain text, not %s",
                               n->kind == N_MAP ? "a mapping" : "a list");
        *key = n;
        return ML_OK;
    }
    n->key = (*key)->text;
    n->key_line = (*key)->line;
    n->key_set = (*key)->set;
    *key = NULL;
    append(parent, n);
    return ML_OK;
}

static int cmp_members(const void *a, const void *b)
{
    const node *x = *(const node *const *)a, *y = *(const node *const *)b;
    int d = strcmp(x->key, y->key);
    if (d)
        return d;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Duplicate keys of a mapping, found by sorting (a file of many keys
 * must not take quadratic time): the earliest repeated key is reported. */
static int check_duplicates(builder *b, const node *map)
{
    if (map->n < 2)
        return ML_OK;
    const node **v = malloc(map->n * sizeof *v);
    if (!v)
        return oom(b->c);
    size_t k = 0;
    for (const node *m = map->first; m; m = m->next)
        v[k++] = m;
    qsort(v, map->n, sizeof *v, cmp_members);
    const node *dup = NULL, *first = NULL;
    for (size_t i = 1; i < map->n; i++)
        if (!strcmp(v[i]->key, v[i - 1]->key) && (!dup || v[i]->index < dup->index)) {
            dup = v[i];
            first = v[i - 1];
        }
    int rc = ML_OK;
    if (dup) {
        char path[PATH_SIZE], full[PATH_SIZE];
        stack_path(b, path);
        join(full, path, dup->key);
        if (b->set)
            rc = ml_err(b->c->err, ML_EINVAL, "--set %s: %s: duplicate key", b->set, full);
        else
            rc = ml_err(b->c->err, ML_EINVAL, "%s:%d: %s: duplicate key (first on line %d)",
                        b->c->file, dup->key_line, full, first->key_line);
    }
    free(v);
    return rc;
}

static int on_event(builder *b, const yaml_event_t *ev, bool *done)
{
    const yaml_mark_t *mark = &ev->start_mark;
    node *n;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (b->root)
            return build_error(b, mark, "a workflow is one YAML document; found a second");
        return ML_OK;
    case YAML_ALIAS_EVENT:
        return build_error(b, mark, "aliases (*%s) are not supported in a workflow",
                           (const char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT:
        if (!(n = new_node(b, N_SCALAR, mark)) ||
            !(n->text = ml_arena_strndup(b->c->arena, (const char *)ev->data.scalar.value,
                                         ev->data.scalar.length)))
            return oom(b->c);
        if (strlen(n->text) != ev->data.scalar.length)
            return build_error(b, mark, "a NUL character inside a value");
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        return place(b, n, mark);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        if (b->depth == MAX_DEPTH)
            return build_error(b, mark, "nesting deeper than %d levels", MAX_DEPTH);
        n = new_node(b, ev->type == YAML_MAPPING_START_EVENT ? N_MAP : N_SEQ, mark);
        if (!n)
            return oom(b->c);
        int rc = place(b, n, mark);
        if (rc)
            return rc;
        b->keys[b->depth] = NULL;
        b->stack[b->depth++] = n;
        return ML_OK;
    }
    case YAML_SEQUENCE_END_EVENT:
        b->depth--;
        return ML_OK;
    case YAML_MAPPING_END_EVENT: {
        int rc = check_duplicates(b, b->stack[b->depth - 1]);
        b->depth--;
        return rc;
    }
    case YAML_STREAM_END_EVENT:
        *done = true;
        return ML_OK;
    default:
        return ML_OK;
    }
}

/* Builds the tree of text; *root is NULL for an empty document. */
static int build(ctx *c, const char *text, size_t len, const char *set, node **root)
{
    builder b = {.c = c, .set = set, .text = text, .len = len};
    yaml_parser_t p;
    *root = NULL;
    if (!yaml_parser_initialize(&p))
        return oom(c);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int rc = ML_OK;
    for (bool done = false; !done && !rc;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            rc = syntax_error(&b, &p);
            break;
        }
        rc = on_event(&b, &ev, &done);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    *root = rc ? NULL : b.root;
    return rc;
}

/* ---- pass 2: --set overrides ------------------------------------------------------------ */

static int apply_set(ctx *c, node *root, const char *set)
{
    const char *eq = strchr(set, '=');
    bool ok = eq && eq > set && set[0] != '.' && eq[-1] != '.';
    for (const char *q = set; ok && q < eq; q++)
        ok = !(q[0] == '.' && q[1] == '.');
    if (!ok)
        return ml_err(c->err, ML_EINVAL, "--set %s: expected key.path=value", set);
    node *value = NULL;
    const char *vtext = eq + 1;
    int rc = build(c, vtext, strlen(vtext), set, &value);
    if (rc)
        return rc;
    if (!value) { /* `key=`: an empty value, which validation reports as nothing */
        yaml_mark_t none = {0};
        builder b = {.c = c, .set = set};
        if (!(value = new_node(&b, N_SCALAR, &none)) ||
            !(value->text = ml_arena_strndup(c->arena, "", 0)))
            return oom(c);
        value->plain = true;
    }
    node *map = root;
    char path[PATH_SIZE] = "";
    for (const char *k = set; k < eq;) {
        const char *dot = memchr(k, '.', (size_t)(eq - k));
        const char *end = dot ? dot : eq;
        char *key = ml_arena_strndup(c->arena, k, (size_t)(end - k));
        if (!key)
            return oom(c);
        node *prev = NULL, *m = map->first;
        while (m && strcmp(m->key, key)) {
            prev = m;
            m = m->next;
        }
        char sub[PATH_SIZE];
        join(sub, path, key);
        node *next;
        if (!dot) {
            next = value;
        } else if (m && m->kind == N_MAP) {
            next = m;
        } else if (m && !is_null(m)) {
            return ml_err(c->err, ML_EINVAL, "--set %s: %s: expected a mapping, got %s", set, sub,
                          GOT(m));
        } else {
            yaml_mark_t none = {0};
            builder b = {.c = c, .set = set};
            if (!(next = new_node(&b, N_MAP, &none)))
                return oom(c);
        }
        if (next != m) { /* put next where m was, or at the end */
            next->key = key;
            next->key_line = 0;
            next->key_set = set;
            if (m) {
                next->index = m->index;
                next->next = m->next;
                if (prev)
                    prev->next = next;
                else
                    map->first = next;
                if (map->last == m)
                    map->last = next;
            } else {
                append(map, next);
            }
        }
        snprintf(path, sizeof path, "%s", sub);
        map = next;
        k = dot ? dot + 1 : eq;
    }
    return ML_OK;
}

/* ---- typed getters ---------------------------------------------------------------------- */

static int want_kind(const ctx *c, const node *v, const char *key, nkind kind)
{
    if (v->kind == kind && !(kind == N_SCALAR && is_null(v)))
        return ML_OK;
    static const char *const what[] = {"a string", "a list", "a mapping"};
    return bad_value(c, v, key, "expected %s, got %s", what[kind], GOT(v));
}

/* Every member of map is one of known (NULL-terminated). */
static int check_keys(const ctx *c, const node *map, const char *path, const char *const *known)
{
    size_t n = 0;
    while (known[n])
        n++;
    for (const node *m = map->first; m; m = m->next) {
        size_t i = 0;
        while (i < n && strcmp(m->key, known[i]))
            i++;
        if (i < n)
            continue;
        char p[PATH_SIZE];
        join(p, path, m->key);
        const char *near = ml_closest_name(known, n, m->key);
        if (near)
            return bad_key(c, m, p, "unknown key (did you mean '%s'?)", near);
        char list[512];
        size_t used = 0;
        list[0] = '\0';
        for (size_t j = 0; j < n && used < sizeof list; j++)
            used +=
                (size_t)snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", known[j]);
        return bad_key(c, m, p, "unknown key (known keys: %s)", list);
    }
    return ML_OK;
}

static int get_string(const ctx *c, const node *v, const char *key, bool allow_empty, char **out)
{
    int rc = want_kind(c, v, key, N_SCALAR);
    if (rc)
        return rc;
    if (!allow_empty && !v->text[0])
        return bad_value(c, v, key, "expected a non-empty string");
    char *copy = strdup(v->text);
    if (!copy)
        return oom(c);
    free(*out);
    *out = copy;
    return ML_OK;
}

/* Decimal text only: no hex, inf or nan (which strtod would take). */
static bool parse_number(const char *s, double *out)
{
    if (!*s || strspn(s, "0123456789+-.eE") != strlen(s) || !strpbrk(s, "0123456789"))
        return false;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (*end || !isfinite(x))
        return false;
    *out = x;
    return true;
}

/* A number within [lo, hi], either end open; infinite ends are left unsaid. */
static int get_number(const ctx *c, const node *v, const char *key, double lo, bool lo_open,
                      double hi, bool hi_open, double *out)
{
    double x;
    if (v->kind != N_SCALAR || is_null(v) || !parse_number(v->text, &x))
        return bad_value(c, v, key, "expected a number, got %s", GOT(v));
    bool ok = (lo_open ? x > lo : x >= lo) && (hi_open ? x < hi : x <= hi);
    if (ok) {
        *out = x;
        return ML_OK;
    }
    if (isinf(hi))
        return bad_value(c, v, key, "expected a number %s %g, got %s", lo_open ? ">" : ">=", lo,
                         v->text);
    return bad_value(c, v, key, "expected a number in %c%g, %g%c, got %s", lo_open ? '(' : '[', lo,
                     hi, hi_open ? ')' : ']', v->text);
}

static int get_int(const ctx *c, const node *v, const char *key, long long lo, long long hi,
                   long long *out)
{
    const char *s = v->kind == N_SCALAR ? v->text : "";
    size_t digits = strspn(s + (*s == '-' || *s == '+'), "0123456789");
    bool is_int = v->kind == N_SCALAR && digits > 0 && !s[(*s == '-' || *s == '+') + digits];
    long long x = 0;
    if (is_int) {
        errno = 0;
        x = strtoll(s, NULL, 10);
        is_int = errno == 0;
    }
    if (!is_int)
        return bad_value(c, v, key, "expected an integer, got %s", GOT(v));
    if (x < lo || x > hi) {
        if (hi >= INT_MAX && x < lo)
            return bad_value(c, v, key, "expected an integer >= %lld, got %s", lo, s);
        return bad_value(c, v, key, "expected an integer in [%lld, %lld], got %s", lo, hi, s);
    }
    *out = x;
    return ML_OK;
}

static int get_int32(const ctx *c, const node *v, const char *key, int lo, int *out)
{
    long long x = 0;
    int rc = get_int(c, v, key, lo, INT_MAX, &x);
    if (!rc)
        *out = (int)x;
    return rc;
}

static int get_bool(const ctx *c, const node *v, const char *key, bool *out)
{
    static const char *const yes[] = {"true", "True", "TRUE"}, *const no[] = {"false", "False",
                                                                              "FALSE"};
    for (size_t i = 0; v->kind == N_SCALAR && i < 3; i++) {
        if (!strcmp(v->text, yes[i]) || !strcmp(v->text, no[i])) {
            *out = !strcmp(v->text, yes[i]);
            return ML_OK;
        }
    }
    return bad_value(c, v, key, "expected true or false, got %s", GOT(v));
}

/* One of names[0..n) ('|'-listed in the message); *out is its index. */
static int get_enum(const ctx *c, const node *v, const char *key, const char *const *names,
                    size_t n, int *out)
{
    for (size_t i = 0; v->kind == N_SCALAR && !is_null(v) && i < n; i++)
        if (!strcmp(v->text, names[i])) {
            *out = (int)i;
            return ML_OK;
        }
    char list[256];
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < n && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? "|" : "", names[i]);
    return bad_value(c, v, key, "expected one of %s, got %s", list, GOT(v));
}

#define GET_ENUM(c, v, key, names, out)                                                            \
    get_enum(c, v, key, names, sizeof names / sizeof *names, out)

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* A string or a list of strings. */
static int get_string_list(const ctx *c, const node *v, const char *key, char ***out, size_t *n)
{
    free_strings(*out, *n);
    *out = NULL;
    *n = 0;
    size_t count = v->kind == N_SEQ ? v->n : 1;
    char **list = calloc(count ? count : 1, sizeof *list);
    if (!list)
        return oom(c);
    int rc = ML_OK;
    if (v->kind != N_SEQ) {
        rc = get_string(c, v, key, false, &list[0]);
    } else {
        for (const node *it = v->first; it && !rc; it = it->next) {
            char p[PATH_SIZE];
            item(p, key, it->index);
            rc = get_string(c, it, p, false, &list[it->index]);
        }
    }
    if (rc) {
        free_strings(list, count);
        return rc;
    }
    *out = list;
    *n = count;
    return ML_OK;
}

/* ---- ${NAME} and relative paths ---------------------------------------------------------- */

/* Appends len bytes to a malloc'd string: ML_OK, ML_ELIMIT past
 * MAX_EXPANDED or ML_ENOMEM. */
static int grow_append(char **s, size_t *used, const char *add, size_t len)
{
    if (*used + len + 1 > MAX_EXPANDED)
        return ML_ELIMIT;
    char *t = realloc(*s, *used + len + 1);
    if (!t)
        return ML_ENOMEM;
    memcpy(t + *used, add, len);
    *used += len;
    t[*used] = '\0';
    *s = t;
    return ML_OK;
}

/* Replaces ${NAME} in *s with the environment variable's value. */
static int expand_env(const ctx *c, const node *v, const char *key, char **s)
{
    if (!strstr(*s, "${"))
        return ML_OK;
    char *out = NULL;
    size_t used = 0;
    const char *p = *s;
    int rc = ML_OK;
    while (*p && !rc) {
        const char *open = strstr(p, "${");
        if (!open) {
            rc = grow_append(&out, &used, p, strlen(p));
            break;
        }
        if ((rc = grow_append(&out, &used, p, (size_t)(open - p))))
            break;
        const char *name = open + 2, *close = strchr(name, '}');
        size_t nlen = close ? (size_t)(close - name) : 0;
        bool valid = nlen > 0 && (isalpha((unsigned char)name[0]) || name[0] == '_');
        for (size_t i = 0; valid && i < nlen; i++)
            valid = isalnum((unsigned char)name[i]) || name[i] == '_';
        if (!valid) {
            rc = bad_value(c, v, key, "'${' must be followed by a variable name and '}'");
            break;
        }
        char var[256];
        snprintf(var, sizeof var, "%.*s", (int)nlen, name);
        const char *value = getenv(var);
        if (!value) {
            rc = bad_value(c, v, key, "environment variable '%s' is not set", var);
            break;
        }
        rc = grow_append(&out, &used, value, strlen(value));
        p = close + 1;
    }
    if (rc == ML_ENOMEM)
        rc = oom(c);
    else if (rc == ML_ELIMIT)
        rc = bad_value(c, v, key, "longer than the %d KiB cap once ${...} is expanded",
                       MAX_EXPANDED / 1024);
    if (rc) {
        free(out);
        return rc;
    }
    free(*s);
    *s = out ? out : strdup("");
    return *s ? ML_OK : oom(c);
}

/* Rewrites a relative file path (or sqlite:PATH) against the workflow's
 * folder; *kind tells the caller whether it is a database. */
static int resolve_source(const ctx *c, const node *v, const char *key, char **s, src_kind *kind)
{
    const char *loc;
    ml_error e = {0};
    if (src_parse_uri(*s, kind, &loc, &e))
        return bad_value(c, v, key, "%s", e.message);
    if (*kind == SRC_POSTGRES || loc[0] == '/' || !strcmp(loc, "-") || !strcmp(loc, ":memory:"))
        return ML_OK;
    char *abs;
    if (asprintf(&abs, "%s%s/%s", *kind == SRC_SQLITE ? "sqlite:" : "", c->s->dir, loc) < 0)
        return oom(c);
    free(*s);
    *s = abs;
    return ML_OK;
}

/* ---- features ---------------------------------------------------------------------------- */

enum { S_NUM = 1, S_CAT = 2, S_DT = 4, S_COL = 8 };
enum {
    S_ALL = S_NUM | S_CAT | S_DT | S_COL,
    S_NUMISH = S_NUM | S_DT | S_COL,
    S_CATISH = S_CAT | S_COL,
    S_DTISH = S_DT | S_COL
};

static const struct opt_key {
    const char *name;
    unsigned where;
} opt_keys[] = {
    {"type", S_COL},
    {"impute", S_ALL},
    {"value", S_NUMISH},
    {"fill_value", S_CATISH},
    {"missing_indicator", S_ALL},
    {"clip", S_NUMISH},
    {"scale", S_NUMISH},
    {"log1p", S_NUMISH},
    {"bins", S_NUMISH},
    {"encode", S_CATISH},
    {"max_categories", S_CATISH},
    {"min_frequency", S_CATISH},
    {"unknown", S_CATISH},
    {"smoothing", S_CATISH},
    {"folds", S_CATISH},
    {"parts", S_DTISH},
    {"cyclic", S_DTISH},
};
enum { NOPT_KEYS = sizeof opt_keys / sizeof *opt_keys };

static const char *const impute_names[] = {"none", "mean", "median", "constant", "most_frequent"};
static const char *const clip_names[] = {"none", "iqr", "zscore", "quantile"};
static const char *const action_names[] = {"clip", "drop"};
static const char *const scale_names[] = {"none", "standard", "minmax", "robust"};
static const char *const bins_names[] = {"none", "quantile", "uniform"};
static const char *const encode_names[] = {"onehot", "ordinal", "frequency", "target", "native"};
static const char *const unknown_names[] = {"zeros", "other"};
static const char *const kind_names[] = {"auto", "numeric", "categorical", "datetime"};
static const char *const part_names[] = {"year", "month", "day", "dayofweek", "hour", "epoch_days"};

/* Unknown and misplaced keys of a column-options mapping. */
static int check_option_keys(const ctx *c, const node *map, const char *path, unsigned sec)
{
    const char *known[NOPT_KEYS + 1];
    size_t nknown = 0;
    for (size_t i = 0; i < NOPT_KEYS; i++)
        if (opt_keys[i].where & sec)
            known[nknown++] = opt_keys[i].name;
    for (const node *m = map->first; m; m = m->next) {
        size_t i = 0;
        while (i < NOPT_KEYS && strcmp(m->key, opt_keys[i].name))
            i++;
        char p[PATH_SIZE];
        join(p, path, m->key);
        if (i == NOPT_KEYS) {
            const char *near = ml_closest_name(known, nknown, m->key);
            if (near)
                return bad_key(c, m, p, "unknown key (did you mean '%s'?)", near);
            return bad_key(c, m, p, "unknown key");
        }
        unsigned w = opt_keys[i].where;
        if (w & sec)
            continue;
        if (w == S_COL)
            return bad_key(c, m, p, "'%s' belongs under features.columns.<name> only", m->key);
        const char *what = w == S_CATISH ? "categorical" : w == S_DTISH ? "datetime" : "numeric";
        const char *belongs = w == S_CATISH  ? "features.categorical"
                              : w == S_DTISH ? "features.datetime"
                                             : "features.numeric, features.datetime";
        const char *hint = !strcmp(m->key, "value") ? " (categorical constants use fill_value)"
                           : !strcmp(m->key, "fill_value") ? " (numeric constants use value)"
                                                           : "";
        return bad_key(c, m, p,
                       "'%s' is a %s option; it belongs under %s or "
                       "features.columns.<name>%s",
                       m->key, what, belongs, hint);
    }
    return ML_OK;
}

static int parse_clip(const ctx *c, const node *v, const char *path, fp_column_opts *o)
{
    char p[PATH_SIZE];
    int method = 0, rc;
    if (v->kind != N_MAP) { /* the method name alone */
        if ((rc = GET_ENUM(c, v, path, clip_names, &method)))
            return rc;
        o->clip = (fp_clip)method;
        o->clip_k = method == FP_CLIP_ZSCORE ? 3.0 : 1.5;
        o->clip_low = 0.01;
        o->clip_high = 0.99;
        o->outlier_action = FP_OUTLIER_CLIP;
        return ML_OK;
    }
    static const char *const keys[] = {"method", "k", "low", "high", "action", NULL};
    if ((rc = check_keys(c, v, path, keys)))
        return rc;
    const node *m = get(v, "method"), *k = get(v, "k"), *low = get(v, "low"),
               *high = get(v, "high"), *action = get(v, "action");
    if (!m)
        return missing(c, v, path, "method");
    if ((rc = GET_ENUM(c, m, join(p, path, "method"), clip_names, &method)))
        return rc;
    o->clip = (fp_clip)method;
    o->clip_k = method == FP_CLIP_ZSCORE ? 3.0 : 1.5;
    o->clip_low = 0.01;
    o->clip_high = 0.99;
    o->outlier_action = FP_OUTLIER_CLIP;
    if (k) {
        join(p, path, "k");
        if (method != FP_CLIP_IQR && method != FP_CLIP_ZSCORE)
            return bad_key(c, k, p, "only used with method iqr or zscore");
        if ((rc = get_number(c, k, p, 0, true, INFINITY, false, &o->clip_k)))
            return rc;
    }
    const node *bounds[2] = {low, high};
    double *dst[2] = {&o->clip_low, &o->clip_high};
    for (int i = 0; i < 2; i++) {
        if (!bounds[i])
            continue;
        join(p, path, i ? "high" : "low");
        if (method != FP_CLIP_QUANTILE)
            return bad_key(c, bounds[i], p, "only used with method quantile");
        if ((rc = get_number(c, bounds[i], p, 0, false, 1, false, dst[i])))
            return rc;
    }
    if (o->clip_low >= o->clip_high)
        return bad_value(c, high ? high : low, join(p, path, high ? "high" : "low"),
                         "expected low < high, got low %g and high %g", o->clip_low, o->clip_high);
    if (action) {
        int a = 0;
        if ((rc = GET_ENUM(c, action, join(p, path, "action"), action_names, &a)))
            return rc;
        o->outlier_action = (fp_outlier_action)a;
    }
    return ML_OK;
}

static int parse_bins(const ctx *c, const node *v, const char *path, fp_column_opts *o)
{
    char p[PATH_SIZE];
    int method = 0, rc;
    o->nbins = 5;
    if (v->kind != N_MAP) {
        if ((rc = GET_ENUM(c, v, path, bins_names, &method)))
            return rc;
        o->bins = (fp_bins)method;
        return ML_OK;
    }
    static const char *const keys[] = {"method", "n", NULL};
    if ((rc = check_keys(c, v, path, keys)))
        return rc;
    const node *m = get(v, "method"), *n = get(v, "n");
    if (!m)
        return missing(c, v, path, "method");
    if ((rc = GET_ENUM(c, m, join(p, path, "method"), bins_names, &method)))
        return rc;
    o->bins = (fp_bins)method;
    long long nb;
    if (n && (rc = get_int(c, n, join(p, path, "n"), 2, 256, &nb)))
        return rc;
    if (n)
        o->nbins = (int)nb;
    return ML_OK;
}

static int parse_parts(const ctx *c, const node *v, const char *path, unsigned *parts)
{
    int rc = want_kind(c, v, path, N_SEQ);
    if (rc)
        return rc;
    if (!v->n)
        return bad_value(c, v, path, "expected at least one part (drop the column instead)");
    unsigned bits = 0;
    for (const node *it = v->first; it; it = it->next) {
        char p[PATH_SIZE];
        item(p, path, it->index);
        int part = 0;
        if ((rc = GET_ENUM(c, it, p, part_names, &part)))
            return rc;
        if (bits & (1u << part))
            return bad_value(c, it, p, "'%s' is listed twice", part_names[part]);
        bits |= 1u << part;
    }
    *parts = bits;
    return ML_OK;
}

/* The column options that are one scalar each: where the value goes, how it
 * is read and which FP_SET_* bit says it was given. */
typedef enum { CO_BOOL, CO_ENUM, CO_INT, CO_NUMBER, CO_CLIP, CO_BINS, CO_PARTS } column_kind;

typedef struct column_option {
    const char *key;
    column_kind kind;
    unsigned flag;
    size_t offset;            /* into fp_column_opts */
    const char *const *names; /* CO_ENUM */
    size_t nnames;
    double lo, hi; /* CO_INT: lo is the minimum; CO_NUMBER: the range */
    bool hi_open;  /* CO_NUMBER: hi itself refused */
} column_option;

#define CO_FIELD(k, f) .key = #f, .kind = k, .offset = offsetof(fp_column_opts, f)
#define CO_NAMES(a) .names = a, .nnames = sizeof a / sizeof *a
static const column_option column_options[] = {
    {CO_FIELD(CO_BOOL, missing_indicator), .flag = FP_SET_MISSING_INDICATOR},
    {.key = "clip", .kind = CO_CLIP, .flag = FP_SET_CLIP},
    {CO_FIELD(CO_ENUM, scale), .flag = FP_SET_SCALE, CO_NAMES(scale_names)},
    {CO_FIELD(CO_BOOL, log1p), .flag = FP_SET_LOG1P},
    {.key = "bins", .kind = CO_BINS, .flag = FP_SET_BINS},
    {CO_FIELD(CO_ENUM, encode), .flag = FP_SET_ENCODE, CO_NAMES(encode_names)},
    {CO_FIELD(CO_INT, max_categories), .flag = FP_SET_MAX_CATEGORIES, .lo = 1},
    {CO_FIELD(CO_NUMBER, min_frequency), .flag = FP_SET_MIN_FREQUENCY, .lo = 0, .hi = 1,
     .hi_open = true},
    {CO_FIELD(CO_ENUM, unknown), .flag = FP_SET_UNKNOWN, CO_NAMES(unknown_names)},
    {CO_FIELD(CO_NUMBER, smoothing), .flag = FP_SET_SMOOTHING, .lo = 0, .hi = INFINITY},
    {CO_FIELD(CO_INT, folds), .flag = FP_SET_FOLDS, .lo = 2},
    {.key = "parts", .kind = CO_PARTS, .flag = FP_SET_PARTS},
    {CO_FIELD(CO_BOOL, cyclic), .flag = FP_SET_CYCLIC},
};
#undef CO_NAMES
#undef CO_FIELD

static int parse_column_option(const ctx *c, const node *n, const char *key,
                               const column_option *co, fp_column_opts *o)
{
    void *field = (char *)o + co->offset;
    int rc = ML_OK, e = 0;
    switch (co->kind) {
    case CO_BOOL:
        rc = get_bool(c, n, key, field);
        break;
    case CO_ENUM: /* the option enums are int-sized, values from 0 */
        if (!(rc = get_enum(c, n, key, co->names, co->nnames, &e)))
            *(int *)field = e;
        break;
    case CO_INT:
        rc = get_int32(c, n, key, (int)co->lo, field);
        break;
    case CO_NUMBER:
        rc = get_number(c, n, key, co->lo, false, co->hi, co->hi_open, field);
        break;
    case CO_CLIP:
        rc = parse_clip(c, n, key, o);
        break;
    case CO_BINS:
        rc = parse_bins(c, n, key, o);
        break;
    case CO_PARTS:
        rc = parse_parts(c, n, key, &o->parts);
        break;
    }
    if (!rc)
        o->set |= co->flag;
    return rc;
}

/* Options of one section (sec) or column (S_COL) into o; defaults holds
 * the per-type sections for a column's constants (NULL for a section). */
static int parse_column_opts(const ctx *c, const node *v, const char *path, unsigned sec,
                             const fp_options *defaults, fp_column_opts *o)
{
    char p[PATH_SIZE];
    int rc, e = 0;
    if ((rc = want_kind(c, v, path, N_MAP)) || (rc = check_option_keys(c, v, path, sec)))
        return rc;
    o->line = v->key_line;
    const node *n;
    if ((n = get(v, "type"))) {
        if ((rc = GET_ENUM(c, n, join(p, path, "type"), kind_names, &e)))
            return rc;
        if (e == FP_KIND_AUTO)
            return bad_value(c, n, p, "expected one of numeric|categorical|datetime, got 'auto'");
        o->kind = (fp_kind)e;
        o->set |= FP_SET_KIND;
    }
    bool categorical =
        sec == S_CAT || (sec == S_COL && (o->set & FP_SET_KIND) && o->kind == FP_KIND_CATEGORICAL);
    const node *impute = get(v, "impute"), *value = get(v, "value"), *fill = get(v, "fill_value");
    if (impute) {
        if ((rc = GET_ENUM(c, impute, join(p, path, "impute"), impute_names, &e)))
            return rc;
        if (categorical && (e == FP_IMPUTE_MEAN || e == FP_IMPUTE_MEDIAN))
            return bad_value(c, impute, p,
                             "%s needs numbers; a categorical column takes none, constant or "
                             "most_frequent",
                             impute_names[e]);
        o->impute = (fp_impute)e;
        o->set |= FP_SET_IMPUTE;
    }
    const node *consts[2] = {value, fill};
    for (int i = 0; i < 2; i++) {
        if (!consts[i])
            continue;
        join(p, path, i ? "fill_value" : "value");
        if (impute && o->impute != FP_IMPUTE_CONSTANT)
            return bad_key(c, consts[i], p, "only used with impute: constant (impute is %s)",
                           impute_names[o->impute]);
        rc = i ? get_string(c, fill, p, true, &o->fill_value)
               : get_number(c, value, p, -INFINITY, false, INFINITY, false, &o->impute_value);
        if (rc)
            return rc;
        o->impute = FP_IMPUTE_CONSTANT;
        o->set |= FP_SET_IMPUTE;
    }
    if (defaults && o->impute == FP_IMPUTE_CONSTANT) {
        /* The pipeline takes a column's impute fields as one group: a
         * constant the column does not give comes from its section. */
        const fp_column_opts *d =
            o->kind == FP_KIND_DATETIME ? &defaults->datetime : &defaults->numeric;
        if (!value)
            o->impute_value = d->impute_value;
        if (!fill && defaults->categorical.fill_value &&
            !(o->fill_value = strdup(defaults->categorical.fill_value)))
            return oom(c);
    }
    for (size_t i = 0; i < sizeof column_options / sizeof *column_options; i++) {
        const column_option *co = &column_options[i];
        if ((n = get(v, co->key)) &&
            (rc = parse_column_option(c, n, join(p, path, co->key), co, o)))
            return rc;
    }
    return ML_OK;
}

static int parse_columns(const ctx *c, const node *v, fp_options *o)
{
    const char *path = "features.columns";
    int rc = want_kind(c, v, path, N_MAP);
    if (rc)
        return rc;
    if (!(o->columns = calloc(v->n ? v->n : 1, sizeof *o->columns)))
        return oom(c);
    for (const node *m = v->first; m; m = m->next) {
        fp_column_override *ov = &o->columns[o->ncolumns];
        fp_column_opts_init(&ov->opts);
        if (!(ov->name = strdup(m->key)))
            return oom(c);
        o->ncolumns++;
        if (!m->key[0])
            return bad_key(c, m, path, "a column name cannot be empty");
        char p[PATH_SIZE];
        if ((rc = parse_column_opts(c, m, join(p, path, m->key), S_COL, o, &ov->opts)))
            return rc;
    }
    return ML_OK;
}

typedef struct named {
    const char *name;
    const node *at;
    size_t order;
} named;

static int cmp_named(const void *a, const void *b)
{
    const named *x = a, *y = b;
    int d = strcmp(x->name, y->name);
    return d ? d : (x->order > y->order) - (x->order < y->order);
}

/* The first repeated name of v[0..n) (in input order), or NULL; sorts v. */
static const named *first_repeat(named *v, size_t n, const named **original)
{
    qsort(v, n, sizeof *v, cmp_named);
    const named *dup = NULL;
    for (size_t i = 1; i < n; i++)
        if (!strcmp(v[i].name, v[i - 1].name) && (!dup || v[i].order < dup->order)) {
            dup = &v[i];
            *original = &v[i - 1];
        }
    return dup;
}

static int parse_derived(const ctx *c, const node *v, fp_options *o)
{
    const char *path = "features.derived";
    int rc = want_kind(c, v, path, N_SEQ);
    if (rc)
        return rc;
    if (!(o->derived = calloc(v->n ? v->n : 1, sizeof *o->derived)))
        return oom(c);
    static const char *const keys[] = {"name", "expr", NULL};
    for (const node *it = v->first; it; it = it->next) {
        char p[PATH_SIZE], q[PATH_SIZE];
        item(p, path, it->index);
        fp_derived *d = &o->derived[o->nderived++];
        d->line = it->line;
        if ((rc = want_kind(c, it, p, N_MAP)) || (rc = check_keys(c, it, p, keys)))
            return rc;
        const node *name = get(it, "name"), *expr = get(it, "expr");
        if (!name || !expr) /* the item has no key of its own: its line is the mapping's */
            return bad_value(c, it, join(q, p, name ? "expr" : "name"), "required key is missing");
        if ((rc = get_string(c, name, join(q, p, "name"), false, &d->name)) ||
            (rc = get_string(c, expr, join(q, p, "expr"), false, &d->expr)))
            return rc;
    }
    named *names = malloc((v->n ? v->n : 1) * sizeof *names);
    if (!names)
        return oom(c);
    size_t i = 0;
    for (const node *it = v->first; it; it = it->next, i++)
        names[i] = (named){o->derived[i].name, get(it, "name"), i};
    const named *orig = NULL, *dup = first_repeat(names, v->n, &orig);
    if (dup) {
        char p[PATH_SIZE], q[PATH_SIZE];
        join(p, item(q, path, dup->order), "name");
        if (orig->at->line > 0)
            rc = bad_value(c, dup->at, p, "'%s' is already defined on line %d", dup->name,
                           orig->at->line);
        else
            rc = bad_value(c, dup->at, p, "'%s' is already defined at %s[%zu]", dup->name, path,
                           orig->order);
    }
    free(names);
    return rc;
}

static int parse_select(const ctx *c, const node *v, fp_select *sel)
{
    const char *path = "features.select";
    char p[PATH_SIZE];
    static const char *const keys[] = {"drop_constant", "near_constant", "max_correlation",
                                       "method",        "top_k",         NULL};
    static const char *const methods[] = {"none", "mutual_info", "importance"};
    int rc, e = 0;
    if ((rc = want_kind(c, v, path, N_MAP)) || (rc = check_keys(c, v, path, keys)))
        return rc;
    sel->line = v->key_line;
    const node *n;
    if ((n = get(v, "drop_constant")) &&
        (rc = get_bool(c, n, join(p, path, "drop_constant"), &sel->drop_constant)))
        return rc;
    if ((n = get(v, "near_constant")) && (rc = get_number(c, n, join(p, path, "near_constant"), 0,
                                                          true, 1, false, &sel->near_constant)))
        return rc;
    if ((n = get(v, "max_correlation")) &&
        (rc = get_number(c, n, join(p, path, "max_correlation"), 0, true, 1, false,
                         &sel->max_correlation)))
        return rc;
    if ((n = get(v, "method"))) {
        if ((rc = GET_ENUM(c, n, join(p, path, "method"), methods, &e)))
            return rc;
        sel->method = (fp_select_method)e;
    }
    const node *top = get(v, "top_k");
    if (top) {
        if (sel->method == FP_SELECT_NONE)
            return bad_key(c, top, join(p, path, "top_k"),
                           "only used with a method (mutual_info or importance)");
        if ((rc = get_int32(c, top, join(p, path, "top_k"), 1, &sel->top_k)))
            return rc;
    } else if (sel->method != FP_SELECT_NONE) {
        return missing(c, v, path, "top_k");
    }
    return ML_OK;
}

static int parse_features(const ctx *c, const node *v)
{
    fp_options *o = &c->s->features;
    static const char *const keys[] = {"drop",    "id",      "numeric", "categorical", "datetime",
                                       "columns", "derived", "select",  NULL};
    int rc;
    if ((rc = want_kind(c, v, "features", N_MAP)) || (rc = check_keys(c, v, "features", keys)))
        return rc;
    const node *n;
    if ((n = get(v, "drop"))) {
        o->drop_line = n->key_line;
        if ((rc = get_string_list(c, n, "features.drop", &o->drop, &o->ndrop)))
            return rc;
    }
    if ((n = get(v, "id"))) {
        o->ids_line = n->key_line;
        if ((rc = get_string_list(c, n, "features.id", &o->ids, &o->nids)))
            return rc;
    }
    static const struct {
        const char *key, *path;
        unsigned sec;
        size_t offset;
    } sections[] = {
        {"numeric", "features.numeric", S_NUM, offsetof(fp_options, numeric)},
        {"categorical", "features.categorical", S_CAT, offsetof(fp_options, categorical)},
        {"datetime", "features.datetime", S_DT, offsetof(fp_options, datetime)},
    };
    for (size_t i = 0; i < 3; i++)
        if ((n = get(v, sections[i].key)) &&
            (rc = parse_column_opts(c, n, sections[i].path, sections[i].sec, NULL,
                                    (fp_column_opts *)((char *)o + sections[i].offset))))
            return rc;
    if ((n = get(v, "columns")) && (rc = parse_columns(c, n, o)))
        return rc;
    if ((n = get(v, "derived")) && (rc = parse_derived(c, n, o)))
        return rc;
    if ((n = get(v, "select")) && (rc = parse_select(c, n, &o->select)))
        return rc;
    return ML_OK;
}

/* ---- the other sections ---------------------------------------------------------------- */

static bool is_database(src_kind k)
{
    return k == SRC_SQLITE || k == SRC_POSTGRES;
}

static int parse_data(const ctx *c, const node *v)
{
    static const char *const keys[] = {"source", "query", "table", NULL};
    int rc;
    if ((rc = want_kind(c, v, "data", N_MAP)) || (rc = check_keys(c, v, "data", keys)))
        return rc;
    wf_spec *s = c->s;
    s->data.line = v->key_line;
    const node *src = get(v, "source"), *query = get(v, "query"), *table = get(v, "table");
    if (!src)
        return missing(c, v, "data", "source");
    src_kind kind;
    if ((rc = get_string(c, src, "data.source", false, &s->data.source)) ||
        (rc = expand_env(c, src, "data.source", &s->data.source)) ||
        (rc = resolve_source(c, src, "data.source", &s->data.source, &kind)))
        return rc;
    if (query && ((rc = get_string(c, query, "data.query", false, &s->data.query)) ||
                  (rc = expand_env(c, query, "data.query", &s->data.query))))
        return rc;
    if (table && (rc = get_string(c, table, "data.table", false, &s->data.table)))
        return rc;
    if (!is_database(kind) && (query || table))
        return bad_key(c, query ? query : table, query ? "data.query" : "data.table",
                       "only for database sources (sqlite:PATH, postgresql://...); the source "
                       "is a file");
    if (is_database(kind) && !query && !table)
        return bad_key(c, v, "data", "a database source needs query or table");
    if (query && table)
        return bad_key(c, table, "data.table", "give query or table, not both");
    return ML_OK;
}

static int parse_split(const ctx *c, const node *v)
{
    static const char *const keys[] = {"method", "test", "seed", "column", NULL};
    static const char *const methods[] = {"random", "stratified", "time", "group"};
    int rc;
    if ((rc = want_kind(c, v, "split", N_MAP)) || (rc = check_keys(c, v, "split", keys)))
        return rc;
    wf_spec *s = c->s;
    s->split.present = true;
    s->split.line = v->key_line;
    const node *n, *column = get(v, "column");
    if ((n = get(v, "method")) && (rc = GET_ENUM(c, n, "split.method", methods, &s->split.method)))
        return rc;
    if ((n = get(v, "test")) &&
        (rc = get_number(c, n, "split.test", 0, true, 1, true, &s->split.test)))
        return rc;
    if ((n = get(v, "seed"))) {
        const char *t = n->kind == N_SCALAR ? n->text : "";
        if (!t[0] || strspn(t, "0123456789") != strlen(t))
            return bad_value(c, n, "split.seed", "expected a non-negative integer, got %s", GOT(n));
        errno = 0;
        unsigned long long seed = strtoull(t, NULL, 10);
        if (errno)
            return bad_value(c, n, "split.seed", "expected an integer below 2^64, got %s", t);
        s->split.seed = seed;
    }
    bool needs_column = s->split.method == WF_SPLIT_TIME || s->split.method == WF_SPLIT_GROUP;
    if (needs_column && !column)
        return missing(c, v, "split", "column");
    if (column && !needs_column)
        return bad_key(c, column, "split.column", "only used with method time or group");
    if (column && (rc = get_string(c, column, "split.column", false, &s->split.column)))
        return rc;
    if (s->split.method == WF_SPLIT_STRATIFIED && s->task == MDL_TASK_REGRESSION)
        return bad_value(c, get(v, "method"), "split.method",
                         "stratified needs a classification task; this one is regression (use "
                         "random, time or group)");
    return ML_OK;
}

static int parse_cv(const ctx *c, const node *v)
{
    static const char *const keys[] = {"folds", "method", "column", "repeats", "shuffle", NULL};
    static const char *const methods[] = {"kfold", "stratified", "group", "time"};
    wf_spec *s = c->s;
    s->cv.present = true;
    s->cv.line = v->key_line;
    if (v->kind == N_SCALAR) /* cv: 5 */
        return get_int32(c, v, "cv", 2, &s->cv.folds);
    int rc;
    if ((rc = want_kind(c, v, "cv", N_MAP)) || (rc = check_keys(c, v, "cv", keys)))
        return rc;
    const node *n, *column = get(v, "column");
    if ((n = get(v, "folds")) && (rc = get_int32(c, n, "cv.folds", 2, &s->cv.folds)))
        return rc;
    if ((n = get(v, "method")) && (rc = GET_ENUM(c, n, "cv.method", methods, &s->cv.method)))
        return rc;
    if ((n = get(v, "repeats")) && (rc = get_int32(c, n, "cv.repeats", 1, &s->cv.repeats)))
        return rc;
    if ((n = get(v, "shuffle")) && (rc = get_bool(c, n, "cv.shuffle", &s->cv.shuffle)))
        return rc;
    bool needs_column = s->cv.method == WF_CV_GROUP || s->cv.method == WF_CV_TIME;
    if (needs_column && !column)
        return missing(c, v, "cv", "column");
    if (column && !needs_column)
        return bad_key(c, column, "cv.column", "only used with method group or time");
    if (column && (rc = get_string(c, column, "cv.column", false, &s->cv.column)))
        return rc;
    if (needs_column && (n = get(v, "repeats")) && s->cv.repeats > 1)
        return bad_value(c, n, "cv.repeats", "repeats need method kfold or stratified");
    if (s->cv.method == WF_CV_STRATIFIED && s->task == MDL_TASK_REGRESSION)
        return bad_value(c, get(v, "method"), "cv.method",
                         "stratified needs a classification task; this one is regression");
    return ML_OK;
}

static int parse_threshold(const ctx *c, const node *v)
{
    static const char *const keys[] = {"method", "target", "fp", "fn", NULL};
    static const char *const methods[] = {"fixed", "f1", "youden", "precision", "recall", "cost"};
    wf_spec *s = c->s;
    s->threshold.present = true;
    s->threshold.line = v->key_line;
    s->threshold.cost_fp = s->threshold.cost_fn = 1;
    if (s->task == MDL_TASK_MULTICLASS || s->task == MDL_TASK_REGRESSION)
        return bad_key(c, v, "threshold", "a decision threshold needs a binary task");
    if (v->kind == N_SCALAR) { /* threshold: 0.35 */
        s->threshold.method = WF_THRESHOLD_FIXED;
        return get_number(c, v, "threshold", 0, false, 1, false, &s->threshold.value);
    }
    int rc;
    if ((rc = want_kind(c, v, "threshold", N_MAP)) || (rc = check_keys(c, v, "threshold", keys)))
        return rc;
    const node *method = get(v, "method"), *target = get(v, "target"), *fp = get(v, "fp"),
               *fn = get(v, "fn");
    if (!method)
        return missing(c, v, "threshold", "method");
    if ((rc = GET_ENUM(c, method, "threshold.method", methods, &s->threshold.method)))
        return rc;
    int m = s->threshold.method;
    if (m == WF_THRESHOLD_FIXED)
        return bad_value(c, method, "threshold.method",
                         "a fixed threshold is written as `threshold: 0.35`");
    bool wants_target = m == WF_THRESHOLD_PRECISION || m == WF_THRESHOLD_RECALL;
    if (wants_target && !target)
        return missing(c, v, "threshold", "target");
    if (target && !wants_target)
        return bad_key(c, target, "threshold.target", "only used with method precision or recall");
    if (target &&
        (rc = get_number(c, target, "threshold.target", 0, true, 1, false, &s->threshold.target)))
        return rc;
    if ((fp || fn) && m != WF_THRESHOLD_COST)
        return bad_key(c, fp ? fp : fn, fp ? "threshold.fp" : "threshold.fn",
                       "only used with method cost");
    if (fp &&
        (rc = get_number(c, fp, "threshold.fp", 0, false, 1e300, false, &s->threshold.cost_fp)))
        return rc;
    if (fn &&
        (rc = get_number(c, fn, "threshold.fn", 0, false, 1e300, false, &s->threshold.cost_fn)))
        return rc;
    if (m == WF_THRESHOLD_COST && s->threshold.cost_fp == 0 && s->threshold.cost_fn == 0)
        return bad_value(c, fp ? fp : v, "threshold.fp", "fp and fn cannot both be 0");
    return ML_OK;
}

static int parse_model(const ctx *c, const node *v)
{
    static const char *const keys[] = {"type", "params", "valid_fraction", NULL};
    int rc;
    if ((rc = want_kind(c, v, "model", N_MAP)) || (rc = check_keys(c, v, "model", keys)))
        return rc;
    wf_spec *s = c->s;
    s->model.line = v->key_line;
    const node *n;
    if ((n = get(v, "type"))) {
        mdl_kind kind;
        if ((rc = want_kind(c, n, "model.type", N_SCALAR)))
            return rc;
        if (mdl_kind_parse(n->text, &kind, NULL))
            return bad_value(c, n, "model.type", "expected one of gbdt|linear|forest, got '%s'",
                             n->text);
        s->model.kind = kind;
    }
    if ((n = get(v, "valid_fraction")) && (rc = get_number(c, n, "model.valid_fraction", 0, false,
                                                           1, true, &s->model.valid_fraction)))
        return rc;
    const node *params = get(v, "params");
    if (!params)
        return ML_OK;
    if ((rc = want_kind(c, params, "model.params", N_MAP)))
        return rc;
    if (!(s->model.params = calloc(params->n ? params->n : 1, sizeof *s->model.params)))
        return oom(c);
    param_kv *kv = calloc(params->n ? params->n : 1, sizeof *kv);
    if (!kv)
        return oom(c);
    for (const node *m = params->first; m && !rc; m = m->next) {
        char p[PATH_SIZE];
        join(p, "model.params", m->key);
        wf_param *w = &s->model.params[s->model.nparams++];
        w->line = m->key_line;
        if (!(w->key = strdup(m->key))) {
            rc = oom(c);
            break;
        }
        if (m->kind != N_SCALAR || is_null(m)) {
            rc = bad_value(c, m, p, "expected a single value, got %s", GOT(m));
            break;
        }
        if ((rc = get_string(c, m, p, true, &w->value)))
            break;
        kv[m->index] = (param_kv){w->key, w->value};
        if (mdl_check_params((mdl_kind)s->model.kind, &kv[m->index], 1, c->err)) {
            rc = c->err->code;
            if (m->key_set)
                ml_err_prefix(c->err, "--set %s: %s", m->key_set, p);
            else
                ml_err_prefix(c->err, "%s:%d: %s", c->file, m->key_line, p);
        }
    }
    if (!rc && mdl_check_params((mdl_kind)s->model.kind, kv, s->model.nparams, c->err)) {
        rc = c->err->code;
        if (params->key_set)
            ml_err_prefix(c->err, "--set %s: model.params", params->key_set);
        else
            ml_err_prefix(c->err, "%s:%d: model.params", c->file, params->key_line);
    }
    free(kv);
    return rc;
}

static int parse_metric(const ctx *c, const node *n, const char *key, char **out)
{
    met_id id;
    int rc = get_string(c, n, key, false, out);
    if (rc)
        return rc;
    ml_error e = {0};
    if (met_parse(n->text, &id, &e))
        return bad_value(c, n, key, "%s", e.message);
    if (c->s->task >= 0 && !met_valid_for_task(id, c->s->task))
        return bad_value(c, n, key, "%s does not apply to a %s task", n->text,
                         mdl_task_name((mdl_task)c->s->task));
    return ML_OK;
}

static int parse_space_dim(const ctx *c, const node *m, const char *path, wf_tune_dim *d)
{
    int rc = want_kind(c, m, path, N_SEQ);
    if (rc)
        return rc;
    if (!m->n)
        return bad_value(c, m, path,
                         "expected [lo, hi], [lo, hi, log], [lo, hi, int] or a "
                         "list of choices, got an empty list");
    const node *a = m->first, *b = a->next, *k = b ? b->next : NULL;
    double lo, hi;
    /* Two plain numbers (and log or int) are a range; anything else, quoted
     * numbers included, is a list of choices. */
    bool range = (m->n == 2 || m->n == 3) && b && a->kind == N_SCALAR && a->plain &&
                 b->kind == N_SCALAR && b->plain && parse_number(a->text, &lo) &&
                 parse_number(b->text, &hi);
    if (range && m->n == 3)
        range = k->kind == N_SCALAR && (!strcmp(k->text, "log") || !strcmp(k->text, "int"));
    if (range) {
        d->kind = !k ? WF_TUNE_FLOAT : !strcmp(k->text, "log") ? WF_TUNE_LOG : WF_TUNE_INT;
        d->lo = lo;
        d->hi = hi;
        if (!(lo < hi))
            return bad_value(c, m, path, "expected lo < hi, got [%s, %s]", a->text, b->text);
        if (d->kind == WF_TUNE_LOG && lo <= 0)
            return bad_value(c, m, path, "a log range needs lo > 0, got %s", a->text);
        if (d->kind == WF_TUNE_INT && (lo != floor(lo) || hi != floor(hi)))
            return bad_value(c, m, path, "an int range needs integer ends, got [%s, %s]", a->text,
                             b->text);
        return ML_OK;
    }
    d->kind = WF_TUNE_CHOICE;
    if (!(d->choices = calloc(m->n, sizeof *d->choices)))
        return oom(c);
    for (const node *it = m->first; it; it = it->next) {
        char p[PATH_SIZE];
        item(p, path, it->index);
        d->nchoices++;
        if ((rc = get_string(c, it, p, true, &d->choices[it->index])))
            return rc;
    }
    return ML_OK;
}

static int parse_tune(const ctx *c, const node *v)
{
    static const char *const keys[] = {"method",      "trials",   "cv",     "metric", "space",
                                       "time_budget", "parallel", "budget", NULL};
    static const char *const budgets[] = {"rows", "rounds"};
    static const char *const methods[] = {"grid", "random", "halving"};
    int rc, e = 0;
    if ((rc = want_kind(c, v, "tune", N_MAP)) || (rc = check_keys(c, v, "tune", keys)))
        return rc;
    wf_spec *s = c->s;
    s->tune.present = true;
    s->tune.line = v->key_line;
    const node *n;
    e = 1; /* random */
    if ((n = get(v, "method")) && (rc = GET_ENUM(c, n, "tune.method", methods, &e)))
        return rc;
    if (!(s->tune.method = strdup(methods[e])))
        return oom(c);
    if ((n = get(v, "trials")) && (rc = get_int32(c, n, "tune.trials", 1, &s->tune.trials)))
        return rc;
    if ((n = get(v, "cv")) && (rc = get_int32(c, n, "tune.cv", 2, &s->tune.cv)))
        return rc;
    if ((n = get(v, "metric")) && (rc = parse_metric(c, n, "tune.metric", &s->tune.metric)))
        return rc;
    if ((n = get(v, "time_budget")) &&
        (rc = get_number(c, n, "tune.time_budget", 0, true, 1e9, false, &s->tune.time_budget)))
        return rc;
    if ((n = get(v, "budget"))) {
        int b = 0;
        if ((rc = GET_ENUM(c, n, "tune.budget", budgets, &b)))
            return rc;
        s->tune.budget_rounds = b == 1;
        if (s->tune.budget_rounds && s->model.kind != MDL_KIND_GBDT)
            return bad_value(c, n, "tune.budget", "rounds are a budget of gbdt models only");
    }
    if ((n = get(v, "parallel")) && (rc = get_int32(c, n, "tune.parallel", 1, &s->tune.parallel)))
        return rc;
    const node *space = get(v, "space");
    if (!space)
        return missing(c, v, "tune", "space");
    if ((rc = want_kind(c, space, "tune.space", N_MAP)))
        return rc;
    if (!space->n)
        return bad_value(c, space, "tune.space", "expected at least one parameter to tune");
    if (!(s->tune.space = calloc(space->n, sizeof *s->tune.space)))
        return oom(c);
    size_t nspecs;
    const param_spec *specs = mdl_param_specs((mdl_kind)s->model.kind, &nspecs);
    for (const node *m = space->first; m; m = m->next) {
        char p[PATH_SIZE];
        join(p, "tune.space", m->key);
        wf_tune_dim *d = &s->tune.space[s->tune.nspace++];
        d->line = m->key_line;
        if (!(d->name = strdup(m->key)))
            return oom(c);
        if (!params_find(specs, nspecs, m->key)) {
            const char *near = params_closest(specs, nspecs, m->key);
            const char *model = mdl_kind_name((mdl_kind)s->model.kind);
            if (near)
                return bad_key(c, m, p, "not a parameter of %s (did you mean '%s'?)", model, near);
            return bad_key(c, m, p, "not a parameter of %s", model);
        }
        if ((rc = parse_space_dim(c, m, p, d)))
            return rc;
        if (e == 0 && (d->kind == WF_TUNE_FLOAT || d->kind == WF_TUNE_LOG))
            return bad_value(c, m, p, "grid search needs a list of choices or an int range");
    }
    return ML_OK;
}

static int parse_gate(const ctx *c, const node *v)
{
    static const char *const keys[] = {"metric", "min", "max", "vs_production", NULL};
    int rc;
    if ((rc = want_kind(c, v, "gate", N_MAP)) || (rc = check_keys(c, v, "gate", keys)))
        return rc;
    wf_spec *s = c->s;
    s->gate.present = true;
    s->gate.line = v->key_line;
    const node *metric = get(v, "metric"), *min = get(v, "min"), *max = get(v, "max"),
               *vs = get(v, "vs_production");
    if (!metric)
        return missing(c, v, "gate", "metric");
    if ((rc = parse_metric(c, metric, "gate.metric", &s->gate.metric)))
        return rc;
    if (!min && !max && !vs)
        return bad_key(c, v, "gate", "give min, max or vs_production");
    if (min &&
        (rc = get_number(c, min, "gate.min", -INFINITY, false, INFINITY, false, &s->gate.min)))
        return rc;
    if (max &&
        (rc = get_number(c, max, "gate.max", -INFINITY, false, INFINITY, false, &s->gate.max)))
        return rc;
    if (vs && (rc = get_number(c, vs, "gate.vs_production", -INFINITY, false, INFINITY, false,
                               &s->gate.vs_production)))
        return rc;
    s->gate.has_min = min != NULL;
    s->gate.has_max = max != NULL;
    s->gate.has_vs_production = vs != NULL;
    if (min && max && s->gate.min > s->gate.max)
        return bad_value(c, max, "gate.max", "expected max >= min, got min %s and max %s",
                         min->text, max->text);
    return ML_OK;
}

static int parse_deploy(const ctx *c, const node *v)
{
    static const char *const keys[] = {"alias", NULL};
    int rc;
    if ((rc = want_kind(c, v, "deploy", N_MAP)) || (rc = check_keys(c, v, "deploy", keys)))
        return rc;
    c->s->deploy.present = true;
    c->s->deploy.line = v->key_line;
    const node *alias = get(v, "alias");
    if (!alias)
        return missing(c, v, "deploy", "alias");
    return get_string(c, alias, "deploy.alias", false, &c->s->deploy.alias);
}

static int parse_score(const ctx *c, const node *v)
{
    static const char *const keys[] = {"to", "table", "id", NULL};
    int rc;
    if ((rc = want_kind(c, v, "score", N_MAP)) || (rc = check_keys(c, v, "score", keys)))
        return rc;
    wf_spec *s = c->s;
    s->score.present = true;
    s->score.line = v->key_line;
    const node *to = get(v, "to"), *table = get(v, "table"), *id = get(v, "id");
    if (!to)
        return missing(c, v, "score", "to");
    src_kind kind;
    if ((rc = get_string(c, to, "score.to", false, &s->score.to)) ||
        (rc = expand_env(c, to, "score.to", &s->score.to)) ||
        (rc = resolve_source(c, to, "score.to", &s->score.to, &kind)))
        return rc;
    if (table && (rc = get_string(c, table, "score.table", false, &s->score.table)))
        return rc;
    if (id && (rc = get_string(c, id, "score.id", false, &s->score.id)))
        return rc;
    if (is_database(kind) && !table)
        return missing(c, v, "score", "table");
    if (!is_database(kind) && table)
        return bad_key(c, table, "score.table",
                       "only for database destinations (sqlite:PATH, postgresql://...); "
                       "score.to is a file");
    return ML_OK;
}

/* One cron field: comma-separated *, N, N-M, each with an optional /STEP. */
static bool cron_field(const char *f, size_t len, int lo, int hi, const char *const *names)
{
    const char *end = f + len;
    while (f < end) {
        const char *comma = memchr(f, ',', (size_t)(end - f));
        const char *item_end = comma ? comma : end;
        const char *slash = memchr(f, '/', (size_t)(item_end - f));
        const char *range_end = slash ? slash : item_end;
        if (slash) {
            char *e;
            long step = strtol(slash + 1, &e, 10);
            if (slash + 1 == item_end || !isdigit((unsigned char)slash[1]) || e != item_end ||
                step < 1 || step > hi)
                return false;
        }
        if (!(range_end - f == 1 && *f == '*')) {
            long v[2];
            int nv = 0;
            const char *p = f;
            while (p < range_end && nv < 2) {
                if (isdigit((unsigned char)*p)) {
                    char *e;
                    v[nv] = strtol(p, &e, 10);
                    p = e;
                } else {
                    int k = -1;
                    for (int i = 0; names && names[i] && k < 0; i++)
                        if (range_end - p >= 3 && !strncasecmp(p, names[i], 3))
                            k = i;
                    if (k < 0)
                        return false;
                    v[nv] = k + (lo == 1 ? 1 : 0);
                    p += 3;
                }
                if (v[nv] < lo || v[nv] > hi)
                    return false;
                nv++;
                if (p < range_end && *p == '-' && nv == 1)
                    p++;
                else
                    break;
            }
            if (p != range_end || (nv == 2 && v[0] > v[1]))
                return false;
        }
        f = comma ? comma + 1 : end;
        if (comma && f == end)
            return false;
    }
    return len > 0;
}

static int check_cron(const ctx *c, const node *n, const char *key)
{
    static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
                                         "aug", "sep", "oct", "nov", "dec", NULL};
    static const char *const days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};
    static const struct {
        const char *name;
        int lo, hi;
        const char *const *names;
    } fields[5] = {{"minute", 0, 59, NULL},
                   {"hour", 0, 23, NULL},
                   {"day of month", 1, 31, NULL},
                   {"month", 1, 12, months},
                   {"day of week", 0, 7, days}};
    const char *p = n->text;
    int nf = 0;
    const char *start[8];
    size_t len[8];
    while (*p) {
        p += strspn(p, " \t");
        if (!*p)
            break;
        size_t l = strcspn(p, " \t");
        if (nf < 8) {
            start[nf] = p;
            len[nf] = l;
        }
        nf++;
        p += l;
    }
    if (nf != 5)
        return bad_value(c, n, key,
                         "expected five cron fields (minute hour day-of-month month "
                         "day-of-week), got %d in '%s'",
                         nf, n->text);
    for (int i = 0; i < 5; i++)
        if (!cron_field(start[i], len[i], fields[i].lo, fields[i].hi, fields[i].names))
            return bad_value(c, n, key,
                             "%s field '%.*s' is not valid (expected *, N, N-M, "
                             "lists and /STEP within %d-%d)",
                             fields[i].name, (int)len[i], start[i], fields[i].lo, fields[i].hi);
    return ML_OK;
}

static int parse_monitor(const ctx *c, const node *v)
{
    static const char *const keys[] = {"drift", "schedule", "retrain_on", NULL};
    static const char *const drift_keys[] = {"method", "threshold", NULL};
    static const char *const methods[] = {"psi", "ks", "chi2", "wasserstein"};
    int rc, e = 0;
    if ((rc = want_kind(c, v, "monitor", N_MAP)) || (rc = check_keys(c, v, "monitor", keys)))
        return rc;
    wf_spec *s = c->s;
    s->monitor.present = true;
    s->monitor.line = v->key_line;
    const node *drift = get(v, "drift"), *schedule = get(v, "schedule"),
               *retrain = get(v, "retrain_on");
    if (drift) {
        if ((rc = want_kind(c, drift, "monitor.drift", N_MAP)) ||
            (rc = check_keys(c, drift, "monitor.drift", drift_keys)))
            return rc;
        const node *m = get(drift, "method"), *t = get(drift, "threshold");
        if (!m)
            return missing(c, drift, "monitor.drift", "method");
        if (!t)
            return missing(c, drift, "monitor.drift", "threshold");
        if ((rc = GET_ENUM(c, m, "monitor.drift.method", methods, &e)))
            return rc;
        if (!(s->monitor.drift_method = strdup(methods[e])))
            return oom(c);
        if ((rc = get_number(c, t, "monitor.drift.threshold", 0, true, INFINITY, false,
                             &s->monitor.drift_threshold)))
            return rc;
    }
    if (schedule &&
        ((rc = get_string(c, schedule, "monitor.schedule", false, &s->monitor.schedule)) ||
         (rc = check_cron(c, schedule, "monitor.schedule"))))
        return rc;
    if (!retrain)
        return ML_OK;
    if ((rc = get_string_list(c, retrain, "monitor.retrain_on", &s->monitor.retrain_on,
                              &s->monitor.nretrain_on)))
        return rc;
    bool list = retrain->kind == N_SEQ;
    for (const node *at = list ? retrain->first : retrain; at; at = list ? at->next : NULL) {
        const char *r = at->text;
        char p[PATH_SIZE] = "monitor.retrain_on";
        if (list)
            item(p, "monitor.retrain_on", at->index);
        if (!strcmp(r, "drift") && !drift)
            return bad_value(c, at, p, "'drift' needs monitor.drift");
        if (!strcmp(r, "schedule") && !schedule)
            return bad_value(c, at, p, "'schedule' needs monitor.schedule");
        if (!strcmp(r, "drift") || !strcmp(r, "schedule"))
            continue;
        unsigned long long count;
        int used = 0;
        if (sscanf(r, "labels >= %llu%n", &count, &used) == 1 && !r[used] && count > 0 &&
            isdigit((unsigned char)r[used - 1]))
            continue;
        return bad_value(c, at, p, "expected drift, schedule or 'labels >= N', got '%s'", r);
    }
    return ML_OK;
}

/* ---- the top level ------------------------------------------------------------------------ */

static int parse_top(const ctx *c, const node *root)
{
    static const char *const keys[] = {"name",     "data",    "target", "task",      "split",
                                       "features", "model",   "tune",   "gate",      "deploy",
                                       "score",    "monitor", "cv",     "threshold", NULL};
    static const char *const tasks[] = {"binary", "multiclass", "regression"};
    wf_spec *s = c->s;
    int rc = check_keys(c, root, "", keys);
    if (rc)
        return rc;
    static const char *const required[] = {"name", "data", "target"};
    for (size_t i = 0; i < 3; i++)
        if (!get(root, required[i]))
            return missing(c, NULL, "", required[i]);
    const node *n = get(root, "name");
    if ((rc = get_string(c, n, "name", false, &s->name)))
        return rc;
    if (strspn(s->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
        strlen(s->name))
        return bad_value(c, n, "name", "expected letters, digits, '_', '.' and '-' only, got '%s'",
                         s->name);
    n = get(root, "target");
    s->target_line = n->key_line;
    if ((rc = get_string(c, n, "target", false, &s->target)))
        return rc;
    if ((n = get(root, "task")) && (rc = GET_ENUM(c, n, "task", tasks, &s->task)))
        return rc;
    if ((rc = parse_data(c, get(root, "data"))))
        return rc;
    /* In this order: later sections check themselves against earlier ones
     * (tune's space against the model, threshold against the task). */
    static const struct {
        const char *key;
        int (*parse)(const ctx *, const node *);
    } sections[] = {{"split", parse_split},         {"features", parse_features},
                    {"model", parse_model},         {"cv", parse_cv},
                    {"threshold", parse_threshold}, {"tune", parse_tune},
                    {"gate", parse_gate},           {"deploy", parse_deploy},
                    {"score", parse_score},         {"monitor", parse_monitor}};
    for (size_t i = 0; i < sizeof sections / sizeof *sections; i++)
        if ((n = get(root, sections[i].key)) && (rc = sections[i].parse(c, n)))
            return rc;
    return ML_OK;
}

/* The absolute folder of path (the current folder for a bare name). */
static char *folder_of(const char *path)
{
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    const char *slash = strrchr(path, '/');
    if (path[0] == '/')
        return strndup(path, slash == path ? 1 : (size_t)(slash - path));
    char *cwd = getcwd(NULL, 0);
    if (!cwd || !slash)
        return cwd;
    char *dir;
    if (asprintf(&dir, "%s/%.*s", cwd, (int)(slash - path), path) < 0)
        dir = NULL;
    free(cwd);
    return dir;
}

static void spec_defaults(wf_spec *s)
{
    s->task = -1;
    s->split.method = -1;
    s->split.test = 0.2;
    s->split.seed = 42;
    fp_options_init(&s->features);
    s->model.kind = MDL_KIND_GBDT;
    s->model.valid_fraction = 0.1;
    s->cv.folds = 5;
    s->cv.method = -1;
    s->cv.repeats = 1;
    s->cv.shuffle = true;
    s->tune.trials = 20;
    s->tune.cv = 5;
}

int wf_spec_parse(const char *text, size_t len, const char *path, const char *const *sets,
                  size_t nsets, wf_spec **out, ml_error *err)
{
    *out = NULL;
    if (!path)
        path = "workflow";
    if (len > MAX_FILE)
        return ml_err(err, ML_ELIMIT, "%s: the workflow is larger than the %d KiB cap", path,
                      MAX_FILE / 1024);
    wf_spec *s = calloc(1, sizeof *s);
    ml_arena *arena = ml_arena_create(0);
    ctx c = {.file = path, .arena = arena, .err = err, .s = s};
    node *root = NULL;
    int rc = ML_OK;
    if (!s || !arena) {
        free(s);
        ml_arena_free(arena);
        return ml_err(err, ML_ENOMEM, "out of memory reading %s", path);
    }
    spec_defaults(s);
    if (!(s->path = strdup(path))) {
        rc = oom(&c);
        goto done;
    }
    if (!(s->dir = folder_of(path))) {
        rc = errno == ENOMEM ? oom(&c)
                             : ml_err(err, ML_EIO, "%s: cannot find the current folder: %s", path,
                                      strerror(errno));
        goto done;
    }
    if ((rc = build(&c, text, len, NULL, &root)))
        goto done;
    if (!root) {
        rc = ml_err(err, ML_EINVAL, "%s: the workflow is empty", path);
        goto done;
    }
    if (root->kind != N_MAP) {
        rc = ml_err(err, ML_EINVAL, "%s:%d: expected a mapping of workflow keys, got %s", path,
                    root->line, GOT(root));
        goto done;
    }
    for (size_t i = 0; i < nsets && !rc; i++)
        rc = apply_set(&c, root, sets[i]);
    if (!rc)
        rc = parse_top(&c, root);
done:
    ml_arena_free(arena);
    if (rc) {
        wf_spec_free(s);
        return rc;
    }
    *out = s;
    return ML_OK;
}

int wf_spec_load(const char *path, const char *const *sets, size_t nsets, wf_spec **out,
                 ml_error *err)
{
    *out = NULL;
    ml_file f;
    int rc = ml_file_load(path, &f, err);
    if (rc)
        return rc;
    if (f.len > MAX_FILE)
        rc = ml_err(err, ML_ELIMIT, "%s: the workflow is larger than the %d KiB cap", path,
                    MAX_FILE / 1024);
    else
        rc = wf_spec_parse(f.data, f.len, path, sets, nsets, out, err);
    ml_file_release(&f);
    return rc;
}

void wf_spec_free(wf_spec *s)
{
    if (!s)
        return;
    free(s->path);
    free(s->dir);
    free(s->name);
    free(s->data.source);
    free(s->data.query);
    free(s->data.table);
    free(s->target);
    free(s->split.column);
    free(s->cv.column);
    fp_options_free(&s->features);
    for (size_t i = 0; i < s->model.nparams; i++) {
        free(s->model.params[i].key);
        free(s->model.params[i].value);
    }
    free(s->model.params);
    free(s->tune.method);
    free(s->tune.metric);
    for (size_t i = 0; i < s->tune.nspace; i++) {
        free(s->tune.space[i].name);
        free_strings(s->tune.space[i].choices, s->tune.space[i].nchoices);
    }
    free(s->tune.space);
    free(s->gate.metric);
    free(s->deploy.alias);
    free(s->score.to);
    free(s->score.table);
    free(s->score.id);
    free(s->monitor.drift_method);
    free(s->monitor.schedule);
    free_strings(s->monitor.retrain_on, s->monitor.nretrain_on);
    free(s);
}

void wf_spec_where(const wf_spec *s, int line, char *buf, size_t size)
{
    const char *path = s && s->path ? s->path : "workflow";
    if (line > 0)
        snprintf(buf, size, "%s:%d", path, line);
    else
        snprintf(buf, size, "%s", path);
}
