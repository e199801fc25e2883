/*
 * expr.h — the derived-feature expression language: a small, safe
 * arithmetic over a row's columns, compiled once and evaluated over whole
 * columns (training, batch scoring) or one row (serving).
 *
 * Language
 *  - Numbers (`3`, `0.5`, `1e-3`), `true`/`false` (1/0), `null`, string
 *    literals in double or single quotes, column names (identifiers
 *    [A-Za-z_][A-Za-z0-9_.]*, or any name in backquotes: `monthly fee`).
 *  - Operators, loosest first: `or`; `and`; `not`; comparisons `< <= > >=
 *    == !=`; `+ -`; `* / %`; unary `-`; `^` (right-associative, binds
 *    tighter than unary minus: -2^2 = -4).
 *  - Functions: if(c, a, b), log(x) (natural), exp, sqrt, abs, min(a, b,
 *    ...), max(a, b, ...), coalesce(a, b, ...) (first non-null), round(x),
 *    floor, ceil.  Names are case-sensitive; keywords are lowercase.
 *  - Values are doubles; null is NaN.  Null propagates through every
 *    operator and function except coalesce, and `if` whose condition is null
 *    gives null (a null in the arm not taken does not matter).  and/or/not
 *    treat non-zero as true and give 1 or 0, with SQL's three-valued logic:
 *    `false and null` is 0 and `true or null` is 1; otherwise a null operand
 *    gives null.  Comparisons with null give null; min and max give null
 *    when any argument is null.
 *    Division (and %) by zero, log of x <= 0, sqrt of x < 0 and any result
 *    that is not finite give null.
 *  - Text columns take part only in `==` and `!=` against a string literal
 *    (`plan == "premium"`), compared through the column's category codes;
 *    any other use of a text column, or a string literal elsewhere, is a
 *    compile error.
 *
 * Contract
 *  - fx_compile resolves names against the given inputs; every error names
 *    the 1-based character position in the expression ("1:15: unknown
 *    column 'tenure_month' (did you mean 'tenure_months'?)"), and the
 *    caller adds which expression it was.  The position is line:column:
 *    line 1 unless the text spans lines; columns count characters (UTF-8),
 *    not bytes.
 *  - Nesting deeper than FX_MAX_DEPTH or an expression longer than
 *    FX_MAX_LENGTH characters is an error, never a stack overflow.
 *  - Evaluation never fails and allocates nothing; a compiled expression is
 *    immutable and may be evaluated from many threads at once.
 */
#ifndef ML_FEATURES_EXPR_H
#define ML_FEATURES_EXPR_H

#include "core/error.h"
#include "data/table.h"

#include <stdbool.h>
#include <stddef.h>

#define FX_MAX_DEPTH 64
#define FX_MAX_LENGTH 4096

/* The columns an expression may name.  Input i is column i of the arrays
 * handed to fx_eval / fx_eval_row.  dicts[i] is non-NULL exactly for text
 * columns: their values are codes into it (index of the category), NaN
 * for null, and any negative code for a category not in it. */
typedef struct fx_inputs {
    size_t n;
    const char *const *names;
    const tbl_dict *const *dicts;
} fx_inputs;

typedef struct fx_expr fx_expr;

int fx_compile(const char *text, const fx_inputs *inputs, fx_expr **out, ml_error *err);
void fx_free(fx_expr *e);

/* The inputs the expression names (indexes into fx_inputs), sorted, no
 * duplicates; *count is set.  Owned by e.  Evaluation reads no others;
 * it may read fewer (`if(true, a, b)` names b but never reads it), yet the
 * text compiles again against exactly these names. */
const size_t *fx_uses(const fx_expr *e, size_t *count);

/* out[r] = value of the expression for row r, r in [0, nrows); cols[i]
 * points at nrows values of input i (only the inputs in fx_uses are read).
 * out may be one of the input columns but must not otherwise overlap them. */
void fx_eval(const fx_expr *e, const double *const *cols, size_t nrows, double *out);

/* The value for one row: row[i] is input i. */
double fx_eval_row(const fx_expr *e, const double *row);

#endif
