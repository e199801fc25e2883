/*
 * expr.c — the derived-feature expression language (see expr.h).
 *
 * Compilation is three steps over one pass of the text:
 *
 *  - A hand-written lexer and a recursive-descent parser (one function per
 *    precedence level) build a small tree in one node array sized from the
 *    text (each node has a token of its own, two for a string literal of
 *    at least two characters, so len + 1 nodes are enough and the array
 *    never grows).  Names are resolved, string
 *    literals are turned into category codes, operand rules are checked and
 *    constant sub-trees are folded while the tree is built, so every error
 *    is found at the place that knows the most and carries that token's
 *    line:column (columns count UTF-8 characters, not bytes).  The parser's
 *    recursion is bounded by FX_MAX_DEPTH levels of nesting (parentheses,
 *    calls, unary minus, `not`, the right side of `^`), so hostile input
 *    costs a few hundred small frames at most, never a stack overflow.
 *  - Each node records how many evaluation slots it needs (Sethi–Ullman
 *    numbering: children are evaluated most demanding first, so a chain
 *    like a + b + c + ... needs 2 slots whatever its length and the count
 *    only grows with balanced trees).  More than FX_MAX_DEPTH slots is a
 *    compile error, which a FX_MAX_LENGTH-character text cannot actually
 *    reach; it is checked anyway because the evaluator's buffers rely on it.
 *  - Register code is emitted by an iterative post-order walk (an explicit
 *    stack, because a long left-deep chain makes a tall tree).  Slots come
 *    from a 64-bit free mask, lowest first, and an operator frees its
 *    operands' slots before taking its own, so most operations run in
 *    place.  Constants are immediates of binary operators (`a / 2`,
 *    `coalesce(x, 0)`), never loaded; only `if` arms load them.  A column is
 *    loaded once per reference.
 *
 * Evaluation runs the program over chunks of rows.  Each instruction is one
 * tight `omp simd` loop over the chunk (no per-row dispatch: the switch is
 * per chunk and instruction), its slots are columns of a fixed 32 KiB
 * buffer on the stack (FX_BUF doubles, so the chunk is FX_BUF / slots rows,
 * at most 256: small enough for OpenMP worker stacks and L1), and the last
 * instruction writes straight into the caller's output.  `a / b` is three
 * passes over data that stays in L1: two loads and a divide (about 800M
 * rows/s on one core of the development machine).  The row path (serving)
 * runs the same program through a scalar interpreter (a switch per
 * instruction, a few ns each) calling the same inline kernels as the chunk
 * loops and constant folding, so a served row, a batch row and a folded
 * constant cannot disagree.  Evaluation only reads the compiled program: no
 * allocation, no failure, no shared state.
 *
 * Semantics chosen where expr.h leaves room:
 *
 *  - Null is NaN and so is every value that is not finite: an infinite input
 *    reads as null, and each arithmetic result (+ - * / % ^ and the
 *    functions) that overflows or is undefined is null.  So x / 0, 0 / 0,
 *    x % 0, log(0), log(-1), sqrt(-1), exp(1000) and 10 ^ 400 are null.
 *  - `and`, `or` and `not` follow SQL's three-valued logic: non-zero is true,
 *    results are 1 or 0, `false and null` is 0, `true or null` is 1, and
 *    otherwise a null operand gives null (`true and null`, `false or null`,
 *    `not null`).  Both operands are always evaluated (there are no side
 *    effects, so this is only a matter of speed).
 *  - Comparisons with a null operand are null (SQL, not IEEE: `null == null`
 *    is null, not false).  Comparisons do not chain: `a < b < c` is an
 *    error rather than C's surprising (a < b) < c.
 *  - if(c, a, b): null when c is null, else a when c is non-zero, else b
 *    (a null in the arm not taken does not matter).
 *  - min and max are null when any argument is null (unlike fmin); coalesce
 *    gives its first non-null argument, null when all are.  All three take
 *    at least two arguments.
 *  - `%` is C's fmod: the result has the sign of the dividend (-7 % 3 is -1,
 *    as in SQL and C, not Python).  round() rounds halves away from zero.
 *    `^` is pow() with null in, null out (C's pow(1, NaN) is 1).
 *  - Text columns hold category codes; `plan == "premium"` compares the
 *    code with the literal's code, found once at compile time.  A literal
 *    that is not in the column's dictionary compiles to -0.5, a value no
 *    code (an integer, negative for unknown categories) can equal, so it
 *    matches no row: == gives 0, != gives 1, and a null code gives null.
 *  - Quotes inside string literals and backquoted names are written
 *    doubled, as in SQL: 'it''s', `odd``name`.
 */
#include "features/expr.h"

#include "core/names.h"
#include "data/value.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Doubles of slot buffer fx_eval keeps on its stack (32 KiB). */
enum { FX_BUF = 4096, FX_CHUNK_MAX = 256 };

/* Value of a text literal absent from the column's dictionary: matches no
 * code, codes being integers. */
#define FX_NO_CODE (-0.5)

enum op {
    /* leaves */
    OP_CONST, /* instruction: fill a slot with k */
    OP_LOAD,  /* column `col` */
    OP_STR,   /* string literal: parse time only */
    /* unary */
    OP_NEG,
    OP_NOT,
    OP_LOG,
    OP_EXP,
    OP_SQRT,
    OP_ABS,
    OP_ROUND,
    OP_FLOOR,
    OP_CEIL,
    /* binary */
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_MOD,
    OP_POW,
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_AND,
    OP_OR,
    OP_MIN,
    OP_MAX,
    OP_COALESCE,
    /* ternary */
    OP_IF,
};

static bool is_binary(int op)
{
    return op >= OP_ADD && op <= OP_COALESCE;
}

/* Operand forms of a binary instruction: slot/slot, slot/immediate,
 * immediate/slot. */
enum { FORM_VV, FORM_VK, FORM_KV };

typedef struct fx_ins {
    uint8_t op, form;
    uint8_t dst, src[3]; /* slots: result, operands in source order */
    uint32_t col;        /* OP_LOAD */
    double k;            /* OP_CONST, or the immediate of FORM_VK / FORM_KV */
} fx_ins;

struct fx_expr {
    fx_ins *code;
    size_t ncode;
    size_t *uses, nuses;
    size_t nslots, chunk;
};

/* ---- scalar kernels: shared by constant folding and both evaluators ------ */

static inline double fin(double x)
{
    return fabs(x) <= DBL_MAX ? x : NAN;
}

static inline bool either_null(double a, double b)
{
    return a != a || b != b;
}

static inline double k_neg(double a)
{
    return -a;
}
static inline double k_not(double a)
{
    return a != a ? NAN : a == 0 ? 1.0 : 0.0;
}
static inline double k_log(double a)
{
    return fin(log(a));
}
static inline double k_exp(double a)
{
    return fin(exp(a));
}
static inline double k_sqrt(double a)
{
    return a < 0 ? NAN : sqrt(a);
}
static inline double k_abs(double a)
{
    return fabs(a);
}
static inline double k_round(double a)
{
    return round(a);
}
static inline double k_floor(double a)
{
    return floor(a);
}
static inline double k_ceil(double a)
{
    return ceil(a);
}
static inline double k_add(double a, double b)
{
    return fin(a + b);
}
static inline double k_sub(double a, double b)
{
    return fin(a - b);
}
static inline double k_mul(double a, double b)
{
    return fin(a * b);
}
/* x / 0 is ±inf or NaN, both null. */
static inline double k_div(double a, double b)
{
    return fin(a / b);
}
static inline double k_mod(double a, double b)
{
    return fin(fmod(a, b));
}
static inline double k_pow(double a, double b)
{
    return either_null(a, b) ? NAN : fin(pow(a, b));
}
static inline double k_eq(double a, double b)
{
    return either_null(a, b) ? NAN : a == b ? 1.0 : 0.0;
}
static inline double k_ne(double a, double b)
{
    return either_null(a, b) ? NAN : a != b ? 1.0 : 0.0;
}
static inline double k_lt(double a, double b)
{
    return either_null(a, b) ? NAN : a < b ? 1.0 : 0.0;
}
static inline double k_le(double a, double b)
{
    return either_null(a, b) ? NAN : a <= b ? 1.0 : 0.0;
}
static inline double k_gt(double a, double b)
{
    return either_null(a, b) ? NAN : a > b ? 1.0 : 0.0;
}
static inline double k_ge(double a, double b)
{
    return either_null(a, b) ? NAN : a >= b ? 1.0 : 0.0;
}
/* Three-valued: a definite false decides, then null, then true. */
static inline double k_and(double a, double b)
{
    return a == 0 || b == 0 ? 0.0 : either_null(a, b) ? NAN : 1.0;
}
static inline double k_or(double a, double b)
{
    return (a == a && a != 0) || (b == b && b != 0) ? 1.0 : either_null(a, b) ? NAN : 0.0;
}
static inline double k_min(double a, double b)
{
    return either_null(a, b) ? NAN : a < b ? a : b;
}
static inline double k_max(double a, double b)
{
    return either_null(a, b) ? NAN : a > b ? a : b;
}
static inline double k_coalesce(double a, double b)
{
    return a != a ? b : a;
}
static inline double k_if(double c, double a, double b)
{
    return c != c ? NAN : c != 0 ? a : b;
}

static inline double fold1(int op, double a)
{
    switch (op) {
    case OP_NEG:
        return k_neg(a);
    case OP_NOT:
        return k_not(a);
    case OP_LOG:
        return k_log(a);
    case OP_EXP:
        return k_exp(a);
    case OP_SQRT:
        return k_sqrt(a);
    case OP_ABS:
        return k_abs(a);
    case OP_ROUND:
        return k_round(a);
    case OP_FLOOR:
        return k_floor(a);
    default:
        return k_ceil(a);
    }
}

static inline double fold2(int op, double a, double b)
{
    switch (op) {
    case OP_ADD:
        return k_add(a, b);
    case OP_SUB:
        return k_sub(a, b);
    case OP_MUL:
        return k_mul(a, b);
    case OP_DIV:
        return k_div(a, b);
    case OP_MOD:
        return k_mod(a, b);
    case OP_POW:
        return k_pow(a, b);
    case OP_EQ:
        return k_eq(a, b);
    case OP_NE:
        return k_ne(a, b);
    case OP_LT:
        return k_lt(a, b);
    case OP_LE:
        return k_le(a, b);
    case OP_GT:
        return k_gt(a, b);
    case OP_GE:
        return k_ge(a, b);
    case OP_AND:
        return k_and(a, b);
    case OP_OR:
        return k_or(a, b);
    case OP_MIN:
        return k_min(a, b);
    case OP_MAX:
        return k_max(a, b);
    default:
        return k_coalesce(a, b);
    }
}

/* ---- evaluation ------------------------------------------------------------ */

#define FX_LOOP(expr)                                                                              \
    do {                                                                                           \
        _Pragma("omp simd") for (size_t r = 0; r < n; r++) d[r] = (expr);                          \
    } while (0)

#define FX_UNARY(f) FX_LOOP(f(A[r]))

/* Kernels that call libm (log, exp, pow, ...): no vector versions without
 * -ffast-math, so no `omp simd` promise a compiler would have to break. */
#define FX_CALLS(expr)                                                                             \
    do {                                                                                           \
        for (size_t r = 0; r < n; r++)                                                             \
            d[r] = (expr);                                                                         \
    } while (0)

#define FX_BINARY(f)                                                                               \
    do {                                                                                           \
        if (in->form == FORM_VV)                                                                   \
            FX_LOOP(f(A[r], B[r]));                                                                \
        else if (in->form == FORM_VK)                                                              \
            FX_LOOP(f(A[r], k));                                                                   \
        else                                                                                       \
            FX_LOOP(f(k, B[r]));                                                                   \
    } while (0)

/* Runs the program over rows [r0, r0 + n).  Slot s is buf[s * stride ..];
 * the last instruction writes to out.  A destination may be an operand's
 * slot (element r reads and writes index r only, so `omp simd` holds). */
static void run(const fx_expr *e, const double *const *cols, size_t r0, size_t n, double *buf,
                size_t stride, double *out)
{
    for (size_t i = 0; i < e->ncode; i++) {
        const fx_ins *in = &e->code[i];
        double *d = i + 1 == e->ncode ? out : buf + in->dst * stride;
        const double *A = buf + in->src[0] * stride, *B = buf + in->src[1] * stride;
        const double *C = buf + in->src[2] * stride;
        double k = in->k;
        switch (in->op) {
        case OP_CONST:
            FX_LOOP(k);
            break;
        case OP_LOAD:
            FX_LOOP(fin(cols[in->col][r0 + r]));
            break;
        case OP_NEG:
            FX_UNARY(k_neg);
            break;
        case OP_NOT:
            FX_UNARY(k_not);
            break;
        case OP_LOG:
            FX_CALLS(k_log(A[r]));
            break;
        case OP_EXP:
            FX_CALLS(k_exp(A[r]));
            break;
        case OP_SQRT:
            FX_CALLS(k_sqrt(A[r]));
            break;
        case OP_ABS:
            FX_UNARY(k_abs);
            break;
        case OP_ROUND:
            FX_CALLS(k_round(A[r]));
            break;
        case OP_FLOOR:
            FX_CALLS(k_floor(A[r]));
            break;
        case OP_CEIL:
            FX_CALLS(k_ceil(A[r]));
            break;
        case OP_ADD:
            FX_BINARY(k_add);
            break;
        case OP_SUB:
            FX_BINARY(k_sub);
            break;
        case OP_MUL:
            FX_BINARY(k_mul);
            break;
        case OP_DIV:
            FX_BINARY(k_div);
            break;
        case OP_MOD:
            if (in->form == FORM_VV)
                FX_CALLS(k_mod(A[r], B[r]));
            else if (in->form == FORM_VK)
                FX_CALLS(k_mod(A[r], k));
            else
                FX_CALLS(k_mod(k, B[r]));
            break;
        case OP_POW:
            if (in->form == FORM_VV)
                FX_CALLS(k_pow(A[r], B[r]));
            else if (in->form == FORM_VK)
                FX_CALLS(k_pow(A[r], k));
            else
                FX_CALLS(k_pow(k, B[r]));
            break;
        case OP_EQ:
            FX_BINARY(k_eq);
            break;
        case OP_NE:
            FX_BINARY(k_ne);
            break;
        case OP_LT:
            FX_BINARY(k_lt);
            break;
        case OP_LE:
            FX_BINARY(k_le);
            break;
        case OP_GT:
            FX_BINARY(k_gt);
            break;
        case OP_GE:
            FX_BINARY(k_ge);
            break;
        case OP_AND:
            FX_BINARY(k_and);
            break;
        case OP_OR:
            FX_BINARY(k_or);
            break;
        case OP_MIN:
            FX_BINARY(k_min);
            break;
        case OP_MAX:
            FX_BINARY(k_max);
            break;
        case OP_COALESCE:
            FX_BINARY(k_coalesce);
            break;
        case OP_IF:
            FX_LOOP(k_if(A[r], B[r], C[r]));
            break;
        default:
            break;
        }
    }
}

void fx_eval(const fx_expr *e, const double *const *cols, size_t nrows, double *out)
{
    _Alignas(64) double buf[FX_BUF];
    size_t chunk = e->chunk;
    for (size_t r0 = 0; r0 < nrows; r0 += chunk) {
        size_t n = nrows - r0 < chunk ? nrows - r0 : chunk;
        run(e, cols, r0, n, buf, chunk, out + r0);
    }
}

/* One row: a scalar interpreter over the same program and kernels (the
 * chunk loops' set-up costs more than the arithmetic for a single row). */
double fx_eval_row(const fx_expr *e, const double *row)
{
    double s[FX_MAX_DEPTH], v = NAN;
    for (size_t i = 0; i < e->ncode; i++) {
        const fx_ins *in = &e->code[i];
        if (in->op == OP_CONST)
            v = in->k;
        else if (in->op == OP_LOAD)
            v = fin(row[in->col]);
        else if (in->op == OP_IF)
            v = k_if(s[in->src[0]], s[in->src[1]], s[in->src[2]]);
        else if (is_binary(in->op))
            v = fold2(in->op, in->form == FORM_KV ? in->k : s[in->src[0]],
                      in->form == FORM_VK ? in->k : s[in->src[1]]);
        else
            v = fold1(in->op, s[in->src[0]]);
        s[in->dst] = v;
    }
    return v;
}

const size_t *fx_uses(const fx_expr *e, size_t *count)
{
    *count = e->nuses;
    return e->uses;
}

void fx_free(fx_expr *e)
{
    if (!e)
        return;
    free(e->code);
    free(e->uses);
    free(e);
}

/* ---- lexer ----------------------------------------------------------------- */

enum tok {
    T_END,
    T_NUM,
    T_NAME,  /* identifier (not a keyword) */
    T_QNAME, /* `backquoted name` */
    T_STR,
    T_LP,
    T_RP,
    T_COMMA,
    T_PLUS,
    T_MINUS,
    T_STAR,
    T_SLASH,
    T_PCT,
    T_CARET,
    T_EQ,
    T_NE,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_AND,
    T_OR,
    T_NOT,
    T_TRUE,
    T_FALSE,
    T_NULL,
};

typedef struct node {
    uint8_t op, nkids, need;
    int8_t slot;       /* code generation */
    uint32_t pos;      /* byte offset of the token, for errors */
    int32_t kid[3];    /* operands in source order */
    uint32_t col;      /* OP_LOAD */
    uint32_t soff, sn; /* OP_STR: decoded text in parser.strs */
    double k;          /* OP_CONST */
} node;

typedef struct parser {
    const char *src;
    size_t len;
    const fx_inputs *in;
    ml_error *err;
    /* current token */
    int tok;
    size_t tpos, tend;
    double num;
    uint32_t soff, sn; /* T_NAME, T_QNAME, T_STR: decoded, NUL-terminated */
    char *strs;        /* decoded names and literals, append only */
    size_t nstrs;
    node *nodes;
    size_t nnodes, cap;
    int depth;
    int rc; /* the first error's code */
} parser;

/* "line:column" of a byte offset, columns in characters. */
static void where(const parser *p, size_t off, unsigned *line, unsigned *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < p->len; i++) {
        unsigned char c = (unsigned char)p->src[i];
        if (c == '\n') {
            ++*line;
            *col = 1;
        } else if ((c & 0xC0) != 0x80) {
            ++*col;
        }
    }
}

__attribute__((format(printf, 3, 4))) static int fail(parser *p, size_t off, const char *fmt, ...)
{
    char msg[MLOOP_ERROR_MESSAGE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    unsigned line, col;
    where(p, off, &line, &col);
    return p->rc = ml_err(p->err, ML_EINVAL, "%u:%u: %s", line, col, msg);
}

/* The source text of [a, b), cut at 40 bytes on a character boundary. */
static void snippet(const parser *p, size_t a, size_t b, char *buf, size_t size)
{
    size_t n = b - a;
    if (n > 40) {
        n = 40;
        while (n > 0 && ((unsigned char)p->src[a + n] & 0xC0) == 0x80)
            n--;
    }
    if (n >= size)
        n = size - 1;
    memcpy(buf, p->src + a, n);
    buf[n] = '\0';
    if (n < b - a && n + 4 < size)
        memcpy(buf + n, "...", 4);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c)
{
    return is_name_start(c) || is_digit(c) || c == '.';
}

/* Decodes a quoted run starting at the quote src[i] (a doubled quote stands
 * for itself) into strs; returns the offset past the closing quote, or 0
 * when it is unterminated. */
static size_t lex_quoted(parser *p, size_t i)
{
    char q = p->src[i++];
    p->soff = (uint32_t)p->nstrs;
    for (;;) {
        if (i >= p->len)
            return 0;
        if (p->src[i] == q) {
            if (i + 1 < p->len && p->src[i + 1] == q) {
                p->strs[p->nstrs++] = q;
                i += 2;
                continue;
            }
            break;
        }
        p->strs[p->nstrs++] = p->src[i++];
    }
    p->sn = (uint32_t)(p->nstrs - p->soff);
    p->strs[p->nstrs++] = '\0';
    return i + 1;
}

static int bad_char(parser *p, size_t i)
{
    unsigned char c = (unsigned char)p->src[i];
    char after = i + 1 < p->len ? p->src[i + 1] : '\0';
    const char *hint = NULL;
    if (c == '=')
        hint = "==";
    else if (c == '!')
        hint = "not";
    else if (c == '&' && after == '&')
        hint = "and";
    else if (c == '|' && after == '|')
        hint = "or";
    if (hint)
        return fail(p, i, "unexpected character '%c' (did you mean '%s'?)", c, hint);
    if (c < 0x20 || c == 0x7f)
        return fail(p, i, "unexpected character 0x%02x", c);
    size_t n = 1;
    while (c >= 0x80 && n < 4 && i + n < p->len && ((unsigned char)p->src[i + n] & 0xC0) == 0x80)
        n++;
    return fail(p, i, "unexpected character '%.*s'", (int)n, p->src + i);
}

static int lex_number(parser *p, size_t i)
{
    size_t s = i;
    while (i < p->len && is_digit(p->src[i]))
        i++;
    if (i < p->len && p->src[i] == '.') {
        i++;
        while (i < p->len && is_digit(p->src[i]))
            i++;
    }
    if (i < p->len && (p->src[i] == 'e' || p->src[i] == 'E')) {
        size_t j = i + 1;
        if (j < p->len && (p->src[j] == '+' || p->src[j] == '-'))
            j++;
        if (j < p->len && is_digit(p->src[j])) {
            while (j < p->len && is_digit(p->src[j]))
                j++;
            i = j;
        }
    }
    p->tend = i;
    char text[64];
    snippet(p, s, i, text, sizeof text);
    if (!val_parse_f64(p->src + s, i - s, &p->num))
        return fail(p, s, "malformed number '%s'", text);
    if (!isfinite(p->num))
        return fail(p, s, "number '%s' is out of range", text);
    p->tok = T_NUM;
    return ML_OK;
}

static int keyword(const char *s, size_t n)
{
    static const struct {
        const char *word;
        int tok;
    } words[] = {{"and", T_AND},   {"or", T_OR},       {"not", T_NOT},
                 {"true", T_TRUE}, {"false", T_FALSE}, {"null", T_NULL}};
    for (size_t w = 0; w < sizeof words / sizeof *words; w++)
        if (strlen(words[w].word) == n && !memcmp(words[w].word, s, n))
            return words[w].tok;
    return T_NAME;
}

static int next(parser *p)
{
    size_t i = p->tend;
    while (i < p->len && is_space(p->src[i]))
        i++;
    p->tpos = i;
    if (i >= p->len) {
        p->tok = T_END;
        p->tend = i;
        return ML_OK;
    }
    char c = p->src[i], c2 = i + 1 < p->len ? p->src[i + 1] : '\0';
    if (is_digit(c) || (c == '.' && is_digit(c2)))
        return lex_number(p, i);
    if (is_name_start(c)) {
        size_t s = i;
        while (i < p->len && is_name_char(p->src[i]))
            i++;
        p->tend = i;
        p->tok = keyword(p->src + s, i - s);
        p->soff = (uint32_t)p->nstrs;
        p->sn = (uint32_t)(i - s);
        memcpy(p->strs + p->nstrs, p->src + s, i - s);
        p->nstrs += i - s;
        p->strs[p->nstrs++] = '\0';
        return ML_OK;
    }
    if (c == '`' || c == '"' || c == '\'') {
        size_t end = lex_quoted(p, i);
        if (!end)
            return fail(p, i,
                        c == '`' ? "unterminated backquoted name" : "unterminated string literal");
        p->tend = end;
        p->tok = c == '`' ? T_QNAME : T_STR;
        return ML_OK;
    }
    int t = -1, two = 0;
    switch (c) {
    case '(':
        t = T_LP;
        break;
    case ')':
        t = T_RP;
        break;
    case ',':
        t = T_COMMA;
        break;
    case '+':
        t = T_PLUS;
        break;
    case '-':
        t = T_MINUS;
        break;
    case '*':
        t = T_STAR;
        break;
    case '/':
        t = T_SLASH;
        break;
    case '%':
        t = T_PCT;
        break;
    case '^':
        t = T_CARET;
        break;
    case '=':
        if (c2 == '=')
            t = T_EQ, two = 1;
        break;
    case '!':
        if (c2 == '=')
            t = T_NE, two = 1;
        break;
    case '<':
        two = c2 == '=';
        t = two ? T_LE : T_LT;
        break;
    case '>':
        two = c2 == '=';
        t = two ? T_GE : T_GT;
        break;
    default:
        break;
    }
    if (t < 0)
        return bad_char(p, i);
    p->tok = t;
    p->tend = i + 1 + (size_t)two;
    return ML_OK;
}

/* ---- tree building: checks, folding, slot needs --------------------------- */

static int new_node(parser *p, int op, size_t pos)
{
    if (p->nnodes == p->cap) /* cannot happen: one node per token at most */
        return fail(p, pos, "expression is too complex"), -1;
    node *n = &p->nodes[p->nnodes];
    memset(n, 0, sizeof *n);
    n->op = (uint8_t)op;
    n->pos = (uint32_t)pos;
    n->slot = -1;
    return (int)p->nnodes++;
}

static int new_const(parser *p, double k, size_t pos)
{
    int n = new_node(p, OP_CONST, pos);
    if (n >= 0)
        p->nodes[n].k = k;
    return n;
}

static bool is_text(const parser *p, const node *n)
{
    return n->op == OP_LOAD && p->in->dicts && p->in->dicts[n->col];
}

/* Text columns and string literals are only operands of the text == and
 * != built by text_compare; anywhere else they are an error. */
static int check_operand(parser *p, int x)
{
    const node *n = &p->nodes[x];
    if (n->op == OP_STR)
        return fail(p, n->pos,
                    "a string literal can only be compared with == or != to a text column");
    if (is_text(p, n))
        return fail(p, n->pos,
                    "text column '%s' can only be compared with == or != to a string literal",
                    p->in->names[n->col]);
    return ML_OK;
}

/* Slots a node needs: its children's needs (constants: 0 for binary
 * operators, whose constants are immediates, 1 elsewhere) sorted
 * descending, n_i + i at most, and one for the result. */
static int set_need(parser *p, int x)
{
    node *n = &p->nodes[x];
    unsigned need[3], best = 1;
    for (int i = 0; i < n->nkids; i++) {
        const node *c = &p->nodes[n->kid[i]];
        need[i] = c->op != OP_CONST ? c->need : is_binary(n->op) ? 0 : 1;
    }
    for (int i = 0; i < n->nkids; i++)
        for (int j = i + 1; j < n->nkids; j++)
            if (need[j] > need[i]) {
                unsigned t = need[i];
                need[i] = need[j];
                need[j] = t;
            }
    for (int i = 0; i < n->nkids; i++)
        if (need[i] && need[i] + (unsigned)i > best)
            best = need[i] + (unsigned)i;
    if (best > FX_MAX_DEPTH)
        return fail(p, n->pos, "expression needs more than %d evaluation slots", FX_MAX_DEPTH), -1;
    n->need = (uint8_t)best;
    return x;
}

static int mk_unary(parser *p, int op, size_t pos, int a)
{
    if (check_operand(p, a))
        return -1;
    if (p->nodes[a].op == OP_CONST) {
        p->nodes[a].k = fold1(op, p->nodes[a].k);
        p->nodes[a].pos = (uint32_t)pos;
        return a;
    }
    int x = new_node(p, op, pos);
    if (x < 0)
        return -1;
    p->nodes[x].nkids = 1;
    p->nodes[x].kid[0] = a;
    return set_need(p, x);
}

static int mk_binary(parser *p, int op, size_t pos, int a, int b)
{
    if (check_operand(p, a) || check_operand(p, b))
        return -1;
    if (p->nodes[a].op == OP_CONST && p->nodes[b].op == OP_CONST) {
        p->nodes[a].k = fold2(op, p->nodes[a].k, p->nodes[b].k);
        return a;
    }
    int x = new_node(p, op, pos);
    if (x < 0)
        return -1;
    p->nodes[x].nkids = 2;
    p->nodes[x].kid[0] = a;
    p->nodes[x].kid[1] = b;
    return set_need(p, x);
}

static int mk_if(parser *p, size_t pos, const int *args)
{
    for (int i = 0; i < 3; i++)
        if (check_operand(p, args[i]))
            return -1;
    node *c = &p->nodes[args[0]];
    if (c->op == OP_CONST) {
        if (c->k != c->k)
            return args[0]; /* null */
        return c->k != 0 ? args[1] : args[2];
    }
    int x = new_node(p, OP_IF, pos);
    if (x < 0)
        return -1;
    p->nodes[x].nkids = 3;
    memcpy(p->nodes[x].kid, args, 3 * sizeof *args);
    return set_need(p, x);
}

/* text == "literal" (either way round): the column's code against the
 * literal's code, or FX_NO_CODE when the dictionary lacks it. */
static int text_compare(parser *p, int op, size_t pos, int col, int str)
{
    const node *s = &p->nodes[str];
    const tbl_dict *d = p->in->dicts[p->nodes[col].col];
    int32_t code = tbl_dict_find(d, p->strs + s->soff, s->sn);
    int k = new_const(p, code >= 0 ? (double)code : FX_NO_CODE, s->pos);
    if (k < 0)
        return -1;
    int x = new_node(p, op, pos);
    if (x < 0)
        return -1;
    p->nodes[x].nkids = 2;
    p->nodes[x].kid[0] = col;
    p->nodes[x].kid[1] = k;
    return set_need(p, x);
}

/* ---- parser ------------------------------------------------------------------ */

static int parse_or(parser *p);
static int parse_unary(parser *p);

static int nest(parser *p, size_t pos)
{
    if (p->depth >= FX_MAX_DEPTH)
        return fail(p, pos, "expression is nested deeper than %d levels", FX_MAX_DEPTH);
    p->depth++;
    return ML_OK;
}

static int unexpected(parser *p)
{
    if (p->tok == T_END)
        return fail(p, p->tpos, "unexpected end of expression");
    char text[64];
    snippet(p, p->tpos, p->tend, text, sizeof text);
    return fail(p, p->tpos, "unexpected '%s'", text);
}

typedef struct fn_def {
    const char *name;
    int op;
    int nargs; /* < 0: at least -nargs, folded pairwise */
} fn_def;

static const fn_def functions[] = {
    {"if", OP_IF, 3},       {"log", OP_LOG, 1},
    {"exp", OP_EXP, 1},     {"sqrt", OP_SQRT, 1},
    {"abs", OP_ABS, 1},     {"min", OP_MIN, -2},
    {"max", OP_MAX, -2},    {"coalesce", OP_COALESCE, -2},
    {"round", OP_ROUND, 1}, {"floor", OP_FLOOR, 1},
    {"ceil", OP_CEIL, 1},
};

static int parse_call(parser *p, const char *name, size_t pos)
{
    const fn_def *f = NULL;
    for (size_t i = 0; i < sizeof functions / sizeof *functions; i++)
        if (!strcmp(functions[i].name, name))
            f = &functions[i];
    if (!f) {
        const char *near = ml_closest_name_in(functions, sizeof functions / sizeof *functions,
                                              sizeof *functions, name);
        if (near)
            return fail(p, pos, "unknown function '%s' (did you mean '%s'?)", name, near), -1;
        return fail(p, pos, "unknown function '%s'", name), -1;
    }
    if (nest(p, pos) || next(p)) /* past '(' */
        return -1;
    int args[3] = {-1, -1, -1}, nargs = 0;
    if (p->tok != T_RP) {
        for (;;) {
            int a = parse_or(p);
            if (a < 0)
                return -1;
            if (f->nargs < 0 && nargs >= 1) {
                if ((args[0] = mk_binary(p, f->op, pos, args[0], a)) < 0)
                    return -1;
            } else if (nargs < 3) {
                args[nargs] = a;
            }
            nargs++;
            if (p->tok == T_RP)
                break;
            if (p->tok != T_COMMA)
                return fail(p, p->tpos, "expected ',' or ')'"), -1;
            if (next(p))
                return -1;
        }
    }
    if (next(p)) /* past ')' */
        return -1;
    p->depth--;
    if (f->nargs < 0 && nargs < -f->nargs)
        return fail(p, pos, "%s() takes at least %d arguments, got %d", f->name, -f->nargs, nargs),
               -1;
    if (f->nargs >= 0 && nargs != f->nargs)
        return fail(p, pos, "%s() takes %d argument%s, got %d", f->name, f->nargs,
                    f->nargs == 1 ? "" : "s", nargs),
               -1;
    if (f->nargs < 0)
        return check_operand(p, args[0]) ? -1 : args[0];
    if (f->op == OP_IF)
        return mk_if(p, pos, args);
    return mk_unary(p, f->op, pos, args[0]);
}

static int column(parser *p, const char *name, size_t pos)
{
    for (size_t i = 0; i < p->in->n; i++)
        if (p->in->names[i] && !strcmp(p->in->names[i], name)) {
            int x = new_node(p, OP_LOAD, pos);
            if (x >= 0) {
                p->nodes[x].col = (uint32_t)i;
                p->nodes[x].need = 1;
            }
            return x;
        }
    const char *near = ml_closest_name(p->in->names, p->in->n, name);
    if (near)
        return fail(p, pos, "unknown column '%s' (did you mean '%s'?)", name, near), -1;
    return fail(p, pos, "unknown column '%s'", name), -1;
}

static int parse_primary(parser *p)
{
    size_t pos = p->tpos;
    int x;
    switch (p->tok) {
    case T_NUM:
        x = new_const(p, p->num, pos);
        break;
    case T_TRUE:
    case T_FALSE:
    case T_NULL:
        x = new_const(p, p->tok == T_TRUE ? 1.0 : p->tok == T_FALSE ? 0.0 : NAN, pos);
        break;
    case T_STR:
        if ((x = new_node(p, OP_STR, pos)) >= 0) {
            p->nodes[x].soff = p->soff;
            p->nodes[x].sn = p->sn;
        }
        break;
    case T_QNAME:
        x = column(p, p->strs + p->soff, pos);
        break;
    case T_NAME: {
        const char *name = p->strs + p->soff;
        if (next(p))
            return -1;
        if (p->tok == T_LP)
            return parse_call(p, name, pos);
        return column(p, name, pos);
    }
    case T_LP:
        if (nest(p, pos) || next(p) || (x = parse_or(p)) < 0)
            return -1;
        if (p->tok != T_RP)
            return fail(p, p->tpos, "expected ')'"), -1;
        p->depth--;
        break;
    default:
        return unexpected(p), -1;
    }
    if (x < 0 || next(p))
        return -1;
    return x;
}

/* primary ('^' unary)?: right-associative, and its right side may carry a
 * sign (2 ^ -1). */
static int parse_pow(parser *p)
{
    int a = parse_primary(p);
    if (a < 0 || p->tok != T_CARET)
        return a;
    size_t pos = p->tpos;
    if (nest(p, pos) || next(p))
        return -1;
    int b = parse_unary(p);
    if (b < 0)
        return -1;
    p->depth--;
    return mk_binary(p, OP_POW, pos, a, b);
}

static int parse_unary(parser *p)
{
    if (p->tok != T_MINUS)
        return parse_pow(p);
    size_t pos = p->tpos;
    if (nest(p, pos) || next(p))
        return -1;
    int a = parse_unary(p);
    if (a < 0)
        return -1;
    p->depth--;
    return mk_unary(p, OP_NEG, pos, a);
}

static int binop_of(int tok)
{
    switch (tok) {
    case T_PLUS:
        return OP_ADD;
    case T_MINUS:
        return OP_SUB;
    case T_STAR:
        return OP_MUL;
    case T_SLASH:
        return OP_DIV;
    case T_PCT:
        return OP_MOD;
    case T_EQ:
        return OP_EQ;
    case T_NE:
        return OP_NE;
    case T_LT:
        return OP_LT;
    case T_LE:
        return OP_LE;
    case T_GT:
        return OP_GT;
    case T_GE:
        return OP_GE;
    case T_AND:
        return OP_AND;
    case T_OR:
        return OP_OR;
    default:
        return -1;
    }
}

static int parse_mul(parser *p)
{
    int a = parse_unary(p);
    while (a >= 0 && (p->tok == T_STAR || p->tok == T_SLASH || p->tok == T_PCT)) {
        int op = binop_of(p->tok);
        size_t pos = p->tpos;
        int b;
        if (next(p) || (b = parse_unary(p)) < 0)
            return -1;
        a = mk_binary(p, op, pos, a, b);
    }
    return a;
}

static int parse_add(parser *p)
{
    int a = parse_mul(p);
    while (a >= 0 && (p->tok == T_PLUS || p->tok == T_MINUS)) {
        int op = binop_of(p->tok);
        size_t pos = p->tpos;
        int b;
        if (next(p) || (b = parse_mul(p)) < 0)
            return -1;
        a = mk_binary(p, op, pos, a, b);
    }
    return a;
}

static bool is_comparison(int tok)
{
    return tok >= T_EQ && tok <= T_GE;
}

static int parse_cmp(parser *p)
{
    int a = parse_add(p);
    if (a < 0 || !is_comparison(p->tok))
        return a;
    int op = binop_of(p->tok);
    size_t pos = p->tpos;
    int b;
    if (next(p) || (b = parse_add(p)) < 0)
        return -1;
    if (is_comparison(p->tok))
        return fail(p, p->tpos, "comparisons cannot be chained (combine them with 'and')"), -1;
    if (op == OP_EQ || op == OP_NE) {
        const node *na = &p->nodes[a], *nb = &p->nodes[b];
        if (is_text(p, na) && nb->op == OP_STR)
            return text_compare(p, op, pos, a, b);
        if (na->op == OP_STR && is_text(p, nb))
            return text_compare(p, op, pos, b, a);
    }
    return mk_binary(p, op, pos, a, b);
}

static int parse_not(parser *p)
{
    if (p->tok != T_NOT)
        return parse_cmp(p);
    size_t pos = p->tpos;
    if (nest(p, pos) || next(p))
        return -1;
    int a = parse_not(p);
    if (a < 0)
        return -1;
    p->depth--;
    return mk_unary(p, OP_NOT, pos, a);
}

static int parse_and(parser *p)
{
    int a = parse_not(p);
    while (a >= 0 && p->tok == T_AND) {
        size_t pos = p->tpos;
        int b;
        if (next(p) || (b = parse_not(p)) < 0)
            return -1;
        a = mk_binary(p, OP_AND, pos, a, b);
    }
    return a;
}

static int parse_or(parser *p)
{
    int a = parse_and(p);
    while (a >= 0 && p->tok == T_OR) {
        size_t pos = p->tpos;
        int b;
        if (next(p) || (b = parse_and(p)) < 0)
            return -1;
        a = mk_binary(p, OP_OR, pos, a, b);
    }
    return a;
}

/* ---- code generation ---------------------------------------------------------- */

typedef struct gen_frame {
    int32_t node;
    uint8_t next;     /* children visited so far */
    uint8_t order[3]; /* children, most demanding first */
} gen_frame;

static int alloc_slot(uint64_t *live, size_t *nslots)
{
    if (*live == UINT64_MAX)
        return -1;
    int s = __builtin_ctzll(~*live);
    *live |= 1ull << s;
    if ((size_t)s + 1 > *nslots)
        *nslots = (size_t)s + 1;
    return s;
}

/* Emits node n once its children's code is out: frees their slots, takes
 * one for the result. */
static int emit(parser *p, fx_expr *e, node *n, uint64_t *live)
{
    fx_ins *in = &e->code[e->ncode];
    memset(in, 0, sizeof *in);
    in->op = n->op;
    in->k = n->k;
    in->col = n->col;
    int kconst = -1;
    for (int i = 0; i < n->nkids && i < 3; i++) {
        const node *c = &p->nodes[n->kid[i]];
        if (c->slot < 0) { /* an immediate */
            kconst = i;
            in->k = c->k;
            continue;
        }
        in->src[i] = (uint8_t)c->slot;
        *live &= ~(1ull << c->slot);
    }
    if (is_binary(n->op))
        in->form = kconst < 0 ? FORM_VV : kconst == 0 ? FORM_KV : FORM_VK;
    int s = alloc_slot(live, &e->nslots);
    if (s < 0) /* set_need bounds this */
        return fail(p, n->pos, "expression needs more than %d evaluation slots", FX_MAX_DEPTH);
    in->dst = (uint8_t)s;
    n->slot = (int8_t)s;
    e->ncode++;
    return ML_OK;
}

static int generate(parser *p, int root, fx_expr *e)
{
    gen_frame *st = malloc(p->nnodes * sizeof *st);
    e->code = malloc(p->nnodes * sizeof *e->code);
    if (!st || !e->code) {
        free(st);
        return ml_err(p->err, ML_ENOMEM, "out of memory compiling an expression");
    }
    uint64_t live = 0;
    size_t sp = 0;
    st[sp++] = (gen_frame){.node = root};
    int rc = ML_OK;
    while (sp && !rc) {
        gen_frame *f = &st[sp - 1];
        node *n = &p->nodes[f->node];
        int nk = n->nkids < 3 ? n->nkids : 3;
        if (f->next == 0) { /* first visit: order the children */
            for (int i = 0; i < nk; i++)
                f->order[i] = (uint8_t)i;
            for (int i = 0; i < nk; i++)
                for (int j = i + 1; j < nk; j++)
                    if (p->nodes[n->kid[f->order[j]]].need > p->nodes[n->kid[f->order[i]]].need) {
                        uint8_t t = f->order[i];
                        f->order[i] = f->order[j];
                        f->order[j] = t;
                    }
        }
        if (f->next < nk) {
            int kid = n->kid[f->order[f->next++]];
            node *c = &p->nodes[kid];
            if (c->op == OP_CONST && is_binary(n->op)) {
                c->slot = -1; /* an immediate */
                continue;
            }
            st[sp++] = (gen_frame){.node = kid};
            continue;
        }
        rc = emit(p, e, n, &live);
        sp--;
    }
    free(st);
    return rc;
}

static int compare_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* Every column the text names, also those folding made dead (`if(true, a,
 * b)` names b): callers prune inputs by fx_uses and compile the text again
 * against what is left, which must still resolve every name. */
static int collect_uses(const parser *p, fx_expr *e)
{
    e->uses = malloc((p->nnodes ? p->nnodes : 1) * sizeof *e->uses);
    if (!e->uses)
        return ml_err(p->err, ML_ENOMEM, "out of memory compiling an expression");
    size_t n = 0;
    for (size_t i = 0; i < p->nnodes; i++)
        if (p->nodes[i].op == OP_LOAD)
            e->uses[n++] = p->nodes[i].col;
    qsort(e->uses, n, sizeof *e->uses, compare_size);
    e->nuses = 0;
    for (size_t i = 0; i < n; i++)
        if (!e->nuses || e->uses[e->nuses - 1] != e->uses[i])
            e->uses[e->nuses++] = e->uses[i];
    return ML_OK;
}

/* ---- compile ------------------------------------------------------------------ */

int fx_compile(const char *text, const fx_inputs *inputs, fx_expr **out, ml_error *err)
{
    *out = NULL;
    parser p = {.src = text, .len = strlen(text), .in = inputs, .err = err};
    fx_expr *e = calloc(1, sizeof *e);
    int rc = ML_OK;
    size_t chars = 0;
    for (size_t i = 0; i < p.len; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80 && ++chars > FX_MAX_LENGTH) {
            rc = fail(&p, i, "expression is longer than %d characters", FX_MAX_LENGTH);
            goto done;
        }
    p.cap = p.len + 1;
    p.nodes = malloc(p.cap * sizeof *p.nodes);
    p.strs = malloc(2 * p.len + 2);
    if (!e || !p.nodes || !p.strs) {
        rc = ml_err(err, ML_ENOMEM, "out of memory compiling an expression");
        goto done;
    }
    if ((rc = next(&p)))
        goto done;
    if (p.tok == T_END) {
        rc = fail(&p, 0, "empty expression");
        goto done;
    }
    int root = parse_or(&p);
    if (root < 0) {
        rc = p.rc;
        goto done;
    }
    if (p.tok != T_END) {
        char tail[64];
        snippet(&p, p.tpos, p.tend, tail, sizeof tail);
        if (p.tok == T_RP)
            rc = fail(&p, p.tpos, "unmatched ')'");
        else
            rc = fail(&p, p.tpos, "unexpected '%s' after a complete expression", tail);
        goto done;
    }
    if ((rc = check_operand(&p, root)) || (rc = generate(&p, root, e)) ||
        (rc = collect_uses(&p, e)))
        goto done;
    size_t chunk = FX_BUF / (e->nslots ? e->nslots : 1);
    e->chunk = chunk > FX_CHUNK_MAX ? FX_CHUNK_MAX : chunk & ~(size_t)7;
    *out = e;
    e = NULL;
done:
    free(p.nodes);
    free(p.strs);
    fx_free(e);
    return rc;
}
