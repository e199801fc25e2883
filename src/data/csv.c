/*
 * csv.c — delimited text in and out: the parallel whole-file reader, the
 * streaming reader and the atomic writer.
 *
 * Whole-file reads (csv_read_table) are the hot path: a 1M-row, 32-column
 * file has 32M cells, so everything per cell is a scan, a parse and a store
 * into a preallocated array — no allocation, no copy.
 *
 *  1. The file is mapped (MAP_PRIVATE, read-only); a .gz file is inflated
 *     into one malloc'd buffer instead.  The delimiter is guessed from the
 *     first records (csv_scan.c) and the header is read on one thread.
 *  2. The data is cut into one chunk per thread at record boundaries.  One
 *     SSE2 pass per thread counts newlines and quotes of its region; the
 *     quote parity at each region start (a prefix sum) gives the first '\n'
 *     outside quotes after it.  That guess is right for RFC 4180 input but a
 *     quote inside an unquoted field (taken literally) flips the parity, so
 *     it is verified: chunk i is trusted only when chunk i-1, parsed from a
 *     trusted start, ended exactly where chunk i begins.  A wrong guess
 *     costs a single-threaded re-parse, never a wrong table.
 *  3. A chunk has at most as many records as newlines (+1 when it does not
 *     end with one), so every column gets one array reserving 8 bytes a row
 *     for the whole file, allocated once; each chunk writes its own slice.
 *     A column writes at the width of its current type (8 bytes for
 *     numbers and timestamps, 4 for string codes and dates, 1 for bools)
 *     and pages never touched cost no memory, so a string column costs
 *     4 bytes a row while parsing, as it does in the table.  Null masks are
 *     calloc'd the same way and written only for nulls.
 *  4. Each chunk types each column on the fly from every cell: int64 until
 *     a float appears (then its earlier values are converted in place), and
 *     likewise date→timestamp (widened in place, backwards); bools and dates
 *     keep their type; anything else turns the column into strings interned
 *     in a per-chunk dictionary (tbl_dict), the code going into the slot.
 *     The text of cells parsed before a column turned into strings is not
 *     kept: the buffer still holds it, so those rows are re-scanned later,
 *     once per chunk for all such columns together, into a second "prefix"
 *     dictionary.  Codes stay in first-seen order: prefix dictionary first,
 *     then the main one.
 *  5. Merge: each column's type is decided from its chunks' states (and,
 *     with --coerce, the count of numeric cells); chunks whose state cannot
 *     be converted in place are re-scanned (in parallel); per-chunk
 *     dictionaries are interned, in chunk order, into one dictionary per
 *     column, so codes do not depend on the thread count; then each column
 *     is moved in place over the gaps between chunk slices (memmove, or the
 *     code remapping loop), shrunk with realloc and handed to the table with
 *     tbl_adopt_column.
 *  6. Behind each thread the parsed part of the mapping is dropped with
 *     madvise(MADV_DONTNEED) so the file's pages do not add to peak memory;
 *     a re-scan simply faults them back in from the page cache.
 *
 * Errors are found on the chunk's thread and kept as (kind, byte position);
 * line and column are computed only for the error reported, by counting
 * newlines from the start, and the earliest chunk's error wins, so the
 * result — table or message — is the same for any thread count.
 *
 * The streaming reader (csv_reader_open) shares the tokenizer and the cell
 * typing: a batch's text stays in one growing buffer until the batch is
 * done (so re-scans work), types come from the first batch (or a schema)
 * and later batches parse with fixed types.
 *
 * The writer formats cells with tbl_cell_text into a 1 MiB buffer, quotes
 * only where needed, and makes the file appear atomically (temp file,
 * fsync, rename).  Floats with integral values are written as "3.0" and NaN
 * as "NaN" so that a written table reads back with the same types.
 *
 * Trade-offs and limits, deliberately:
 *  - Quoting does not change typing: "1" in quotes is the number 1 (as in
 *    pandas).  Empty lines are skipped (a single-column table's null is
 *    written as "" so it survives).  A lone CR is data, not a line end.
 *  - A column whose type changes late costs a re-scan of its chunk's
 *    earlier rows; a mis-guessed split costs a single-threaded re-parse.
 *    Both only cost time: the table is the same.
 *  - Memory is the table plus the per-chunk dictionaries and a window of
 *    the input per thread; a .gz input is held inflated in memory.
 *  - Caps: 64 MiB per record, 100000 fields per record (ML_ELIMIT).
 */
#include "data/csv.h"

#include "core/file.h"

#include "data/csv_scan.h"
#include "data/value.h"

#include <errno.h>
#include <fcntl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define MIN_PARALLEL ((size_t)1 << 20) /* smaller inputs are parsed on one thread */
#define RELEASE_STEP ((size_t)1 << 20) /* madvise granularity behind a parsing thread */
#define MAX_CHUNKS 256                 /* whatever the thread count asked for */
#define USEC_PER_DAY INT64_C(86400000000)
#define STREAM_BLOCK ((size_t)1 << 20)
#define BATCH_START 4096               /* rows a streaming batch's arrays start with */
#define DETECT_BYTES ((size_t)1 << 20) /* the streaming reader guesses the delimiter from this */
#define SHOW_VALUE 60                  /* bytes of a bad value quoted in a message */

/* ---- cell typing ----------------------------------------------------------- */

/* What a column looks like so far within one chunk. */
typedef enum cstate { ST_NONE, ST_I64, ST_F64, ST_BOOL, ST_DATE, ST_TS, ST_STR, ST_COUNT } cstate;

static tbl_type state_type(cstate s)
{
    static const tbl_type t[ST_COUNT] = {TBL_F64,  TBL_I64,       TBL_F64, TBL_BOOL,
                                         TBL_DATE, TBL_TIMESTAMP, TBL_STR};
    return (unsigned)s < ST_COUNT ? t[s] : TBL_STR;
}

static cstate type_state(tbl_type t)
{
    switch (t) {
    case TBL_F64:
        return ST_F64;
    case TBL_I64:
        return ST_I64;
    case TBL_BOOL:
        return ST_BOOL;
    case TBL_STR:
        return ST_STR;
    case TBL_DATE:
        return ST_DATE;
    case TBL_TIMESTAMP:
        return ST_TS;
    }
    return ST_STR;
}

/* One column within one chunk. */
typedef struct part {
    uint8_t state;         /* cstate */
    bool fixed;            /* the type is given: a mismatch is an error (or, coercing, a null) */
    bool str_float;        /* coerce, ST_STR: a numeric cell was not an int64 */
    void *slot;            /* the chunk's slice: 8 bytes a row reserved, state_width used */
    uint8_t *null;         /* the chunk's slice of the column's null mask */
    size_t nulls;          /* null cells, coerced ones included */
    size_t nonnull;        /* non-null cells while typing (bad ones included) */
    size_t bad;            /* cells turned into nulls by --coerce */
    size_t str_num;        /* coerce, ST_STR: cells that are numbers */
    size_t str_from;       /* ST_STR: first row interned into dict */
    size_t nonnull_before; /* ST_STR: non-null cells before str_from */
    tbl_dict *dict;        /* ST_STR: rows >= str_from */
    tbl_dict *pre;         /* ST_STR: rows < str_from, filled by a re-scan */
} part;

enum ekind { E_NONE, E_SCAN, E_RAGGED, E_UTF8, E_TYPE, E_NOMEM, E_INTERNAL };

typedef struct cerr {
    int kind;        /* ekind */
    int scan;        /* csv_scan_rc for E_SCAN */
    const char *at;  /* where */
    const char *rec; /* E_RAGGED: the record's first byte */
    size_t a, b;     /* E_RAGGED: expected, found */
    size_t col;      /* E_TYPE: column */
    const char *val; /* E_TYPE: the cell */
    size_t val_len;
} cerr;

/* What every chunk of one read shares (read-only while chunks run). */
typedef struct rctx {
    const char *name;       /* the path, for messages */
    const char *base, *end; /* the data: after a BOM (whole file) or the stream buffer */
    size_t line_base;       /* line number of base[0] */
    char delim;
    size_t nfile;           /* fields per record */
    size_t ncols;           /* columns read */
    const int32_t *map;     /* field → column, or -1 for a field not read; NULL: identity */
    const size_t *field_of; /* column → field (NULL: identity) */
    char *const *names;     /* per column */
    csv_nullset nulls;
    bool coerce, skip_bad;
    const char *origin; /* where fixed types come from, for messages */
    bool release;       /* madvise(DONTNEED) what was parsed: a file mapping */
    size_t page;
} rctx;

/* Records starting in [begin, end), parsed into rows [row0, row0 + cap) of the columns. */
typedef struct chunk {
    const char *begin, *end;
    const char *stop;     /* where parsing stopped: the byte after the last record */
    const char *released; /* madvise'd up to here */
    size_t row0, cap, nrows;
    part *parts;     /* ncols */
    csv_span *spans; /* nfile + 1 */
    char *esc;       /* unescaped text of the current record */
    size_t esc_cap;
    size_t skipped;
    const char *skipped_at[SRC_REPORT_LINES];
    cerr err;
} chunk;

static inline int fail(chunk *ch, int kind, const char *at)
{
    ch->err.kind = kind;
    ch->err.at = at;
    return -1;
}

/* Bytes a state writes per row: its final width, so a string, date or bool
 * column never touches the pages an 8-byte value would need (ST_NONE writes
 * nothing: its rows are zeroed when a type arrives). */
static inline size_t state_width(cstate s)
{
    switch (s) {
    case ST_NONE:
        return 0;
    case ST_STR:
    case ST_DATE:
        return 4;
    case ST_BOOL:
        return 1;
    default:
        return 8;
    }
}

static inline int64_t *s64(const part *pt)
{
    return (int64_t *)pt->slot;
}

static inline int32_t *s32(const part *pt)
{
    return (int32_t *)pt->slot;
}

static inline uint8_t *s8(const part *pt)
{
    return (uint8_t *)pt->slot;
}

/* A null's value is 0, written at the state's width. */
static inline void set_zero(part *pt, size_t row)
{
    switch (state_width((cstate)pt->state)) {
    case 8:
        s64(pt)[row] = 0;
        break;
    case 4:
        s32(pt)[row] = 0;
        break;
    case 1:
        s8(pt)[row] = 0;
        break;
    }
}

static inline void set_null(part *pt, size_t row)
{
    set_zero(pt, row);
    pt->null[row] = 1;
    pt->nulls++;
}

static inline void store_f64(part *pt, size_t row, double v)
{
    memcpy(s64(pt) + row, &v, sizeof v);
}

static int check_utf8(chunk *ch, const csv_span *sp)
{
    size_t bad = csv_utf8_check(sp->p, sp->len);
    if (bad == sp->len)
        return 0;
    /* Unescaped text lives in scratch: point at the field instead. */
    return fail(ch, E_UTF8, (sp->flags & CSV_UNESCAPED) ? sp->raw : sp->p + bad);
}

static void count_numeric(part *pt, const csv_span *sp)
{
    int64_t i;
    double d;
    if (val_parse_i64(sp->p, sp->len, &i)) {
        pt->str_num++;
    } else if (val_parse_f64(sp->p, sp->len, &d)) {
        pt->str_num++;
        pt->str_float = true;
    }
}

static int put_str(const rctx *rx, chunk *ch, part *pt, size_t row, const csv_span *sp)
{
    if (!pt->dict && !(pt->dict = tbl_dict_create()))
        return fail(ch, E_NOMEM, sp->raw);
    size_t before = tbl_dict_size(pt->dict);
    int32_t code = tbl_dict_intern(pt->dict, sp->p, sp->len);
    if (code < 0)
        return fail(ch, E_NOMEM, sp->raw);
    /* Only a new distinct value needs validating: the check is nearly free. */
    if ((size_t)code == before && check_utf8(ch, sp))
        return -1;
    if (rx->coerce && !pt->fixed)
        count_numeric(pt, sp);
    s32(pt)[row] = code;
    return 0;
}

static void ints_to_f64(part *pt, size_t rows)
{
    for (size_t r = 0; r < rows; r++)
        store_f64(pt, r, (double)s64(pt)[r]);
}

/* int32 days become int64 microseconds in place: backwards, as each wider
 * value covers narrower ones of later rows, already converted. */
static void dates_to_ts(part *pt, size_t rows)
{
    for (size_t r = rows; r-- > 0;)
        s64(pt)[r] = (int64_t)s32(pt)[r] * USEC_PER_DAY;
}

/* Leaves ST_NONE for s: the null rows before row get their zero values. */
static inline void first_state(part *pt, cstate s, size_t row)
{
    pt->state = (uint8_t)s;
    memset(pt->slot, 0, row * state_width(s));
}

/* The first non-null cell of a column in this chunk picks its state. */
static int first_cell(const rctx *rx, chunk *ch, part *pt, size_t row, const csv_span *sp)
{
    int64_t i;
    double d;
    bool b;
    int32_t day;
    if (val_parse_i64(sp->p, sp->len, &i)) {
        first_state(pt, ST_I64, row);
        s64(pt)[row] = i;
    } else if (val_parse_f64(sp->p, sp->len, &d)) {
        first_state(pt, ST_F64, row);
        store_f64(pt, row, d);
    } else if (val_parse_bool(sp->p, sp->len, &b)) {
        first_state(pt, ST_BOOL, row);
        s8(pt)[row] = b;
    } else if (val_parse_date(sp->p, sp->len, &day)) {
        first_state(pt, ST_DATE, row);
        s32(pt)[row] = day;
    } else if (val_parse_timestamp(sp->p, sp->len, &i)) {
        first_state(pt, ST_TS, row);
        s64(pt)[row] = i;
    } else {
        first_state(pt, ST_STR, row);
        pt->str_from = row;
        pt->nonnull_before = 0;
        return put_str(rx, ch, pt, row, sp);
    }
    return 0;
}

/* A cell that does not fit the column's state. */
static int mismatch(const rctx *rx, chunk *ch, part *pt, size_t row, const csv_span *sp)
{
    if (pt->fixed) {
        if (rx->coerce) {
            if (check_utf8(ch, sp))
                return -1;
            pt->nonnull--;
            pt->bad++;
            set_null(pt, row);
            return 0;
        }
        ch->err.col = (size_t)(pt - ch->parts);
        ch->err.a = pt->state;
        ch->err.val = sp->p;
        ch->err.val_len = sp->len;
        return fail(ch, E_TYPE, sp->raw);
    }
    if (rx->coerce && (pt->state == ST_I64 || pt->state == ST_F64)) {
        /* Validated like a string cell, so an invalid one is reported wherever it is. */
        if (check_utf8(ch, sp))
            return -1;
        pt->bad++;
        set_null(pt, row);
        return 0;
    }
    /* Earlier rows are re-scanned as text during the merge. */
    pt->state = ST_STR;
    pt->str_from = row;
    pt->nonnull_before = pt->nonnull - 1;
    return put_str(rx, ch, pt, row, sp);
}

static __attribute__((noinline)) int put_cell(const rctx *rx, chunk *ch, part *pt, size_t row,
                                              const csv_span *sp)
{
    const char *s = sp->p;
    size_t len = sp->len;
    if (csv_is_null(&rx->nulls, s, len)) {
        set_null(pt, row);
        return 0;
    }
    pt->nonnull++;
    switch ((cstate)pt->state) {
    case ST_F64: {
        double v;
        if (val_parse_f64(s, len, &v)) {
            store_f64(pt, row, v);
            return 0;
        }
        break;
    }
    case ST_I64: {
        int64_t v;
        double d;
        if (val_parse_i64(s, len, &v)) {
            s64(pt)[row] = v;
            return 0;
        }
        if (!pt->fixed && val_parse_f64(s, len, &d)) {
            ints_to_f64(pt, row);
            pt->state = ST_F64;
            store_f64(pt, row, d);
            return 0;
        }
        break;
    }
    case ST_STR:
        return put_str(rx, ch, pt, row, sp);
    case ST_BOOL: {
        bool b;
        if (val_parse_bool(s, len, &b)) {
            s8(pt)[row] = b;
            return 0;
        }
        break;
    }
    case ST_DATE: {
        int32_t d;
        int64_t ts;
        if (val_parse_date(s, len, &d)) {
            s32(pt)[row] = d;
            return 0;
        }
        if (!pt->fixed && val_parse_timestamp(s, len, &ts)) {
            dates_to_ts(pt, row);
            pt->state = ST_TS;
            s64(pt)[row] = ts;
            return 0;
        }
        break;
    }
    case ST_TS: {
        int64_t ts;
        int32_t d;
        if (val_parse_timestamp(s, len, &ts)) {
            s64(pt)[row] = ts;
            return 0;
        }
        if (val_parse_date(s, len, &d)) {
            s64(pt)[row] = d * USEC_PER_DAY;
            return 0;
        }
        break;
    }
    case ST_NONE:
        return first_cell(rx, ch, pt, row, sp);
    case ST_COUNT:
        break;
    }
    return mismatch(rx, ch, pt, row, sp);
}

/* Undoes doubled quotes of the record's escaped fields into the chunk's scratch. */
static int unescape_record(chunk *ch, size_t nspans)
{
    size_t need = 0;
    for (size_t j = 0; j < nspans; j++)
        if (ch->spans[j].flags & CSV_ESCAPED)
            need += ch->spans[j].len;
    if (need > ch->esc_cap) {
        char *e = realloc(ch->esc, need);
        if (!e)
            return fail(ch, E_NOMEM, ch->spans[0].raw);
        ch->esc = e;
        ch->esc_cap = need;
    }
    char *o = ch->esc;
    for (size_t j = 0; j < nspans; j++) {
        if (ch->spans[j].flags & CSV_ESCAPED) {
            csv_unescape(&ch->spans[j], o);
            o += ch->spans[j].len;
        }
    }
    return 0;
}

/* A cell that cannot be null: no blank at either end, and no token has its length. */
static inline bool surely_not_null(const csv_nullset *ns, const char *s, size_t len)
{
    return len && len < 64 && !((ns->lenmask >> len) & 1) && s[0] != ' ' && s[0] != '\t' &&
           s[len - 1] != ' ' && s[len - 1] != '\t';
}

/* The common cases inline: a float, an int or a string already seen.
 * Everything else (nulls, new strings, type changes) goes to put_cell. */
static inline int put_cell_fast(const rctx *rx, chunk *ch, part *pt, size_t row, const csv_span *sp)
{
    if (surely_not_null(&rx->nulls, sp->p, sp->len)) {
        if (pt->state == ST_F64) {
            double v;
            if (val_parse_f64(sp->p, sp->len, &v)) {
                store_f64(pt, row, v);
                pt->nonnull++;
                return 0;
            }
        } else if (pt->state == ST_I64) {
            int64_t v;
            if (val_parse_i64(sp->p, sp->len, &v)) {
                s64(pt)[row] = v;
                pt->nonnull++;
                return 0;
            }
        } else if (pt->state == ST_STR && pt->dict && !(rx->coerce && !pt->fixed)) {
            int32_t code = tbl_dict_find(pt->dict, sp->p, sp->len);
            if (code >= 0) {
                s32(pt)[row] = code;
                pt->nonnull++;
                return 0;
            }
        }
    }
    return put_cell(rx, ch, pt, row, sp);
}

static int put_row(const rctx *rx, chunk *ch, size_t row)
{
    const csv_span *sp = ch->spans;
    if (!rx->map) {
        for (size_t j = 0; j < rx->nfile; j++)
            if (put_cell_fast(rx, ch, &ch->parts[j], row, &sp[j]))
                return -1;
        return 0;
    }
    for (size_t j = 0; j < rx->nfile; j++)
        if (rx->map[j] >= 0 && put_cell_fast(rx, ch, &ch->parts[rx->map[j]], row, &sp[j]))
            return -1;
    return 0;
}

static void note_skip(chunk *ch, const char *at)
{
    if (ch->skipped < SRC_REPORT_LINES)
        ch->skipped_at[ch->skipped] = at;
    ch->skipped++;
}

/* madvise(DONTNEED) the whole pages of [a, b); returns where the next release starts. */
static const char *release_range(const rctx *rx, const char *a, const char *b)
{
    if (!rx->release)
        return b;
    uintptr_t mask = (uintptr_t)rx->page - 1;
    uintptr_t pa = ((uintptr_t)a + mask) & ~mask, pb = (uintptr_t)b & ~mask;
    if (pb > pa) {
        madvise((void *)pa, pb - pa, MADV_DONTNEED);
        return (const char *)pb;
    }
    return a;
}

/* Outcome of reading one record of a chunk. */
enum { REC_ROW, REC_BLANK, REC_BAD, REC_MORE, REC_ERROR };

static int next_record(const rctx *rx, chunk *ch, const char *p, bool at_eof, const char *end,
                       csv_record *rec)
{
    csv_scan_rc rc = csv_scan_record(p, end, at_eof, rx->delim, ch->spans, rx->nfile + 1, rec);
    if (rc == CSV_MORE)
        return REC_MORE;
    if (rc != CSV_REC) {
        ch->err.scan = rc;
        fail(ch, E_SCAN, rc == CSV_E_RECORD ? p : rec->err_at);
        return REC_ERROR;
    }
    if (csv_record_blank(rec, ch->spans))
        return REC_BLANK;
    if (rec->nfields != rx->nfile) {
        if (rx->skip_bad)
            return REC_BAD;
        ch->err.a = rx->nfile;
        ch->err.b = rec->nfields;
        ch->err.rec = p;
        /* The first extra field, or the end of a short record. */
        fail(ch, E_RAGGED, rec->nfields > rx->nfile ? ch->spans[rx->nfile].raw : rec->end);
        return REC_ERROR;
    }
    if (rec->escaped && unescape_record(ch, rx->nfile))
        return REC_ERROR;
    return REC_ROW;
}

static void parse_chunk(const rctx *rx, chunk *ch)
{
    const char *p = ch->begin;
    size_t row = 0;
    ch->released = p;
    while (p < ch->end) {
        csv_record rec;
        int kind = next_record(rx, ch, p, true, rx->end, &rec);
        if (kind == REC_ERROR || kind == REC_MORE)
            break;
        if (kind == REC_BAD)
            note_skip(ch, p);
        if (kind == REC_ROW) {
            if (row == ch->cap) {
                fail(ch, E_INTERNAL, p);
                break;
            }
            if (put_row(rx, ch, row))
                break;
            row++;
        }
        p = rec.next;
        if ((size_t)(p - ch->released) >= RELEASE_STEP)
            ch->released = release_range(rx, ch->released, p);
    }
    ch->stop = p;
    ch->nrows = row;
}

/* ---- re-scans ---------------------------------------------------------- */

enum { TO_STR, TO_I64, TO_F64 };

typedef struct rescan {
    size_t col;
    size_t rows; /* rows [0, rows) */
    int to;
} rescan;

/* Rewrites a cell at the part's (already final) state; nulls get a zero. */
static int rescan_cell(const rctx *rx, chunk *ch, part *pt, size_t row, const csv_span *sp, int to)
{
    if (csv_is_null(&rx->nulls, sp->p, sp->len)) {
        set_zero(pt, row);
        return 0;
    }
    if (to == TO_STR) {
        if (pt->null[row]) { /* a cell --coerce had nulled */
            pt->null[row] = 0;
            pt->nulls--;
        }
        if (!pt->pre && !(pt->pre = tbl_dict_create()))
            return fail(ch, E_NOMEM, sp->raw);
        int32_t code = tbl_dict_intern(pt->pre, sp->p, sp->len);
        if (code < 0)
            return fail(ch, E_NOMEM, sp->raw);
        s32(pt)[row] = code;
        return 0;
    }
    int64_t i;
    double d;
    if (to == TO_I64 && val_parse_i64(sp->p, sp->len, &i)) {
        s64(pt)[row] = i;
    } else if (to == TO_F64 && val_parse_f64(sp->p, sp->len, &d)) {
        store_f64(pt, row, d);
    } else {
        pt->bad++;
        set_null(pt, row);
    }
    return 0;
}

/* Re-reads the chunk's first rows for the columns in reqs: one pass for all. */
static int rescan_chunk(const rctx *rx, chunk *ch, const rescan *reqs, size_t nreq)
{
    size_t limit = 0;
    for (size_t k = 0; k < nreq; k++)
        if (reqs[k].rows > limit)
            limit = reqs[k].rows;
    const char *p = ch->begin;
    const char *released = p;
    size_t row = 0;
    while (row < limit && p < ch->end) {
        csv_record rec;
        int kind = next_record(rx, ch, p, true, rx->end, &rec);
        if (kind == REC_ERROR || kind == REC_MORE)
            return -1;
        if (kind == REC_ROW) {
            for (size_t k = 0; k < nreq; k++) {
                if (row >= reqs[k].rows)
                    continue;
                size_t c = reqs[k].col, j = rx->field_of ? rx->field_of[c] : c;
                if (rescan_cell(rx, ch, &ch->parts[c], row, &ch->spans[j], reqs[k].to))
                    return -1;
            }
            row++;
        }
        p = rec.next;
        if ((size_t)(p - released) >= RELEASE_STEP)
            released = release_range(rx, released, p);
    }
    return 0;
}

/* ---- merging chunks ------------------------------------------------------ */

/* The column's final state from its chunks' states. */
static cstate decide_type(const rctx *rx, chunk *chunks, size_t nch, size_t c)
{
    bool has[ST_COUNT] = {false};
    size_t m = 0, n = 0, bad = 0;
    bool flt = false;
    for (size_t i = 0; i < nch; i++) {
        const part *pt = &chunks[i].parts[c];
        if (pt->fixed)
            return (cstate)pt->state;
        has[pt->state] = true;
        m += pt->nonnull;
        bad += pt->bad;
        if (pt->state == ST_I64 || pt->state == ST_F64)
            n += pt->nonnull - pt->bad;
        if (pt->state == ST_STR) {
            n += pt->str_num;
            flt |= pt->str_float;
        }
    }
    flt |= has[ST_F64];
    bool numeric_only = !has[ST_BOOL] && !has[ST_DATE] && !has[ST_TS] && !has[ST_STR];
    if (numeric_only && !bad)
        return has[ST_I64] && !has[ST_F64] ? ST_I64 : ST_F64; /* all null: float */
    if (rx->coerce && n > 0 && n * 10 >= m * 9)
        return flt ? ST_F64 : ST_I64;
    if (bad || has[ST_STR] || has[ST_I64] || has[ST_F64])
        return ST_STR;
    if (has[ST_BOOL])
        return has[ST_DATE] || has[ST_TS] ? ST_STR : ST_BOOL;
    return has[ST_TS] ? ST_TS : ST_DATE;
}

/* Converts a chunk's column to the final state in place, or asks for a
 * re-scan (the part takes the final state first, so the re-scan writes at
 * its width). */
static void plan_column(part *pt, size_t nrows, cstate final, size_t col, rescan *req, size_t *nreq)
{
    cstate s = (cstate)pt->state;
    if (s == ST_STR && final == ST_STR) {
        if (pt->str_from > 0 && pt->nonnull_before > 0)
            req[(*nreq)++] = (rescan){col, pt->str_from, TO_STR};
        return;
    }
    if (s == ST_NONE) {
        first_state(pt, final, nrows); /* all null: zero values at the final width */
        return;
    }
    if (s == final)
        return;
    if (final == ST_STR) {
        pt->state = ST_STR;
        pt->str_from = nrows; /* every row comes from the prefix dictionary */
        pt->bad = 0;          /* cells --coerce nulled become strings again */
        req[(*nreq)++] = (rescan){col, nrows, TO_STR};
        return;
    }
    if (final == ST_F64 && s == ST_I64) {
        ints_to_f64(pt, nrows);
        pt->state = ST_F64;
        return;
    }
    if (final == ST_TS && s == ST_DATE) {
        dates_to_ts(pt, nrows);
        pt->state = ST_TS;
        return;
    }
    /* --coerce made a numeric column of a chunk that looked otherwise. */
    tbl_dict_free(pt->dict);
    pt->dict = NULL;
    pt->bad = 0;
    pt->state = (uint8_t) final;
    req[(*nreq)++] = (rescan){col, nrows, final == ST_I64 ? TO_I64 : TO_F64};
}

/* Interns the chunk dictionaries into one, in chunk order; maps[i][0|1] map
 * each chunk's prefix and main codes.  A column with one contributing
 * dictionary keeps it as it is (maps stay NULL). */
static int merge_dicts(chunk *chunks, size_t nch, size_t c, tbl_dict **out, int32_t ***maps_out)
{
    size_t contributing = 0;
    tbl_dict *only = NULL;
    for (size_t i = 0; i < nch; i++) {
        part *pt = &chunks[i].parts[c];
        if (pt->pre && tbl_dict_size(pt->pre))
            contributing++, only = pt->pre;
        if (pt->dict && tbl_dict_size(pt->dict))
            contributing++, only = pt->dict;
    }
    *maps_out = NULL;
    if (contributing <= 1) {
        /* Take it out of its part so the part's cleanup does not free it. */
        for (size_t i = 0; i < nch && only; i++) {
            part *pt = &chunks[i].parts[c];
            if (pt->pre == only)
                pt->pre = NULL;
            if (pt->dict == only)
                pt->dict = NULL;
        }
        *out = only ? only : tbl_dict_create();
        return *out ? 0 : -1;
    }
    tbl_dict *g = tbl_dict_create();
    int32_t **maps = calloc(2 * nch, sizeof *maps);
    if (!g || !maps)
        goto oom;
    for (size_t i = 0; i < nch; i++) {
        part *pt = &chunks[i].parts[c];
        tbl_dict *ds[2] = {pt->pre, pt->dict};
        for (int k = 0; k < 2; k++) {
            size_t n = ds[k] ? tbl_dict_size(ds[k]) : 0;
            if (!n)
                continue;
            int32_t *m = malloc(n * sizeof *m);
            if (!m)
                goto oom;
            maps[2 * i + k] = m;
            for (size_t code = 0; code < n; code++) {
                size_t len;
                const char *s = tbl_dict_get(ds[k], (int32_t)code, &len);
                if ((m[code] = tbl_dict_intern(g, s, len)) < 0)
                    goto oom;
            }
        }
    }
    *out = g;
    *maps_out = maps;
    return 0;
oom:
    if (maps)
        for (size_t i = 0; i < 2 * nch; i++)
            free(maps[i]);
    free(maps);
    tbl_dict_free(g);
    return -1;
}

/* Moves one chunk's rows of a column from its slice (at 8 * row0 bytes) to
 * their final place dst (dst * width <= 8 * row0, so a forward copy is
 * safe), remapping string codes into the merged dictionary on the way. */
static void compact_rows(char *base, const chunk *ch, size_t dst, cstate final, const part *pt,
                         const int32_t *map_pre, const int32_t *map_main)
{
    size_t n = ch->nrows, w = state_width(final);
    const char *src = base + ch->row0 * sizeof(int64_t);
    if (final == ST_STR && (map_pre || map_main)) {
        const int32_t *in = (const int32_t *)(const void *)src;
        int32_t *o = (int32_t *)(void *)base + dst;
        for (size_t k = 0; k < n; k++) {
            int32_t v = in[k];
            o[k] = pt->null[k] ? 0 : (k < pt->str_from ? map_pre : map_main)[v];
        }
        return;
    }
    if (src != base + dst * w)
        memmove(base + dst * w, src, n * w);
}

typedef struct colout {
    cstate type;
    void *data;
    uint8_t *nulls;
    tbl_dict *dict;
    size_t nrows;
    size_t coerced;
} colout;

/* Turns column c's slot and null arrays (taken) into its final arrays. */
static int finish_column(chunk *chunks, size_t nch, size_t c, cstate final, int64_t *slots,
                         uint8_t *nulls, colout *out)
{
    int32_t **maps = NULL;
    tbl_dict *dict = NULL;
    if (final == ST_STR && merge_dicts(chunks, nch, c, &dict, &maps)) {
        free(slots);
        free(nulls);
        return -1;
    }
    size_t dst = 0, null_total = 0, coerced = 0;
    for (size_t i = 0; i < nch; i++) {
        const chunk *ch = &chunks[i];
        const part *pt = &ch->parts[c];
        compact_rows((char *)slots, ch, dst, final, pt, maps ? maps[2 * i] : NULL,
                     maps ? maps[2 * i + 1] : NULL);
        if (ch->row0 != dst)
            memmove(nulls + dst, nulls + ch->row0, ch->nrows);
        dst += ch->nrows;
        null_total += pt->nulls;
        coerced += pt->bad;
    }
    if (maps) {
        for (size_t i = 0; i < 2 * nch; i++)
            free(maps[i]);
        free(maps);
    }
    size_t w = tbl_type_width(state_type(final));
    void *data = realloc(slots, (dst ? dst : 1) * w);
    out->data = data ? data : slots;
    if (null_total) {
        uint8_t *nn = realloc(nulls, dst ? dst : 1);
        out->nulls = nn ? nn : nulls;
    } else {
        free(nulls);
        out->nulls = NULL;
    }
    out->type = final;
    out->dict = dict;
    out->nrows = dst;
    out->coerced = coerced;
    return 0;
}

/* ---- errors and reports ------------------------------------------------- */

static void locate(const rctx *rx, const char *at, size_t *line, size_t *col)
{
    *line = rx->line_base + csv_count_newlines(rx->base, at);
    const char *nl = at > rx->base ? memrchr(rx->base, '\n', (size_t)(at - rx->base)) : NULL;
    *col = (size_t)(at - (nl ? nl + 1 : rx->base)) + 1;
}

static int report_error(const rctx *rx, const cerr *e, ml_error *err)
{
    size_t line, col;
    locate(rx, e->at, &line, &col);
    if (e->kind == E_RAGGED) {
        /* The line the record starts on; the column counts bytes from that
         * line's start, embedded newlines included (the same as the
         * physical column whenever the record is one line). */
        size_t rec_col;
        locate(rx, e->rec, &line, &rec_col);
        col = (size_t)(e->at - e->rec) + rec_col;
    }
    const char *nm = rx->name;
    switch (e->kind) {
    case E_SCAN:
        switch (e->scan) {
        case CSV_E_QUOTE:
            return ml_err(err, ML_EFORMAT, "%s:%zu:%zu: unterminated quoted field", nm, line, col);
        case CSV_E_AFTER_QUOTE:
            return ml_err(err, ML_EFORMAT, "%s:%zu:%zu: unexpected character after closing quote",
                          nm, line, col);
        case CSV_E_FIELDS:
            return ml_err(err, ML_ELIMIT, "%s:%zu:%zu: record has more than %d fields (the limit)",
                          nm, line, col, CSV_MAX_FIELDS);
        case CSV_E_RECORD:
            return ml_err(err, ML_ELIMIT, "%s:%zu: record longer than %s (the limit)", nm, line,
                          CSV_MAX_RECORD_TEXT);
        }
        break;
    case E_RAGGED:
        return ml_err(err, ML_EFORMAT, "%s:%zu:%zu: expected %zu fields, found %zu", nm, line, col,
                      e->a, e->b);
    case E_UTF8:
        return ml_err(err, ML_EFORMAT, "%s:%zu:%zu: invalid UTF-8", nm, line, col);
    case E_TYPE: {
        int shown = e->val_len > SHOW_VALUE ? SHOW_VALUE : (int)e->val_len;
        return ml_err(err, ML_EFORMAT, "%s:%zu:%zu: column '%s' is %s (from %s) but found '%.*s%s'",
                      nm, line, col, rx->names[e->col], tbl_type_name(state_type((cstate)e->a)),
                      rx->origin, shown, e->val, e->val_len > SHOW_VALUE ? "…" : "");
    }
    case E_NOMEM:
        return ml_err(err, ML_ENOMEM, "%s:%zu: out of memory", nm, line);
    }
    return ml_err(err, ML_EINTERNAL, "%s:%zu:%zu: internal error in the CSV reader", nm, line, col);
}

/* Appends "name: n" pieces for the columns with coerced cells, cut with "…" to fit. */
/* ---- header ------------------------------------------------------------- */

/* Reads the whole record at p, growing *spans until every field fits.
 * Returns a csv_scan_rc, or -1 on out of memory. */
static int scan_full(char delim, const char *p, const char *end, bool at_eof, csv_span **spans,
                     size_t *cap, csv_record *rec)
{
    for (;;) {
        csv_scan_rc rc = csv_scan_record(p, end, at_eof, delim, *spans, *cap, rec);
        if (rc != CSV_REC || rec->nfields <= *cap)
            return rc;
        csv_span *s = realloc(*spans, rec->nfields * sizeof *s);
        if (!s)
            return -1;
        *spans = s;
        *cap = rec->nfields;
    }
}

static int scan_error(const rctx *rx, int rc, const char *at, ml_error *err)
{
    if (rc < 0)
        return ml_err(err, ML_ENOMEM, "%s: out of memory reading the header", rx->name);
    cerr e = {.kind = E_SCAN, .scan = rc, .at = at};
    return report_error(rx, &e, err);
}

static void free_names(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Column names from the header's spans (or c0..cN without a header). */
static int build_names(const rctx *rx, csv_span *spans, size_t n, bool no_header,
                       const char *rec_start, char ***out, ml_error *err)
{
    char **names = calloc(n, sizeof *names);
    size_t *first = malloc(n * sizeof *first);
    tbl_dict *seen = tbl_dict_create();
    char *tmp = NULL;
    int rc = ML_OK;
    if (!names || !first || !seen)
        goto oom;
    for (size_t i = 0; i < n && !no_header; i++) {
        csv_span s = spans[i];
        if (s.flags & CSV_ESCAPED) {
            free(tmp);
            if (!(tmp = malloc(s.len ? s.len : 1)))
                goto oom;
            csv_unescape(&s, tmp);
        }
        if (!s.len)
            continue;
        size_t bad = csv_utf8_check(s.p, s.len);
        const char *nul = memchr(s.p, '\0', s.len);
        if (bad < s.len || nul) {
            size_t line, col;
            locate(rx,
                   (s.flags & CSV_UNESCAPED) ? s.raw
                   : bad < s.len             ? s.p + bad
                                             : nul,
                   &line, &col);
            rc = ml_err(err, ML_EFORMAT, "%s:%zu:%zu: %s", rx->name, line, col,
                        bad < s.len ? "invalid UTF-8" : "NUL byte in a column name");
            goto done;
        }
        size_t before = tbl_dict_size(seen);
        int32_t code = tbl_dict_intern(seen, s.p, s.len);
        if (code < 0)
            goto oom;
        if ((size_t)code < before) {
            size_t line, col;
            locate(rx, rec_start, &line, &col);
            rc = ml_err(err, ML_EFORMAT,
                        "%s:%zu: duplicate column name '%.*s' (columns %zu and %zu)", rx->name,
                        line, (int)s.len, s.p, first[code] + 1, i + 1);
            goto done;
        }
        first[code] = i;
        if (!(names[i] = strndup(s.p, s.len)))
            goto oom;
    }
    /* Empty names become c<index>, made unique should a real column be called that. */
    for (size_t i = 0; i < n; i++) {
        if (names[i])
            continue;
        char gen[48];
        int len = snprintf(gen, sizeof gen, "c%zu", i);
        for (size_t k = 2; tbl_dict_find(seen, gen, (size_t)len) >= 0; k++)
            len = snprintf(gen, sizeof gen, "c%zu_%zu", i, k);
        if (tbl_dict_intern(seen, gen, (size_t)len) < 0 || !(names[i] = strdup(gen)))
            goto oom;
    }
    *out = names;
    names = NULL;
    goto done;
oom:
    rc = ml_err(err, ML_ENOMEM, "%s: out of memory reading the header", rx->name);
done:
    free_names(names, n);
    free(first);
    free(tmp);
    tbl_dict_free(seen);
    return rc;
}

/* First byte at or after p that does not start a blank line (or end). */
static const char *skip_blank(const rctx *rx, const char *p, const char *end, bool at_eof)
{
    while (p < end) {
        csv_span s;
        csv_record rec;
        if (csv_scan_record(p, end, at_eof, rx->delim, &s, 1, &rec) != CSV_REC ||
            !csv_record_blank(&rec, &s))
            return p;
        p = rec.next;
    }
    return p;
}

/* Columns to read: all fields, or the schema's columns by name with its types. */
typedef struct colmap {
    size_t ncols;
    char **names;     /* borrowed from the file's names or the schema */
    int32_t *map;     /* field → column (NULL: identity) */
    size_t *field_of; /* column → field (NULL: identity) */
    cstate *fixed;    /* per column, or NULL */
} colmap;

static void colmap_free(colmap *cm)
{
    free(cm->names);
    free(cm->map);
    free(cm->field_of);
    free(cm->fixed);
    memset(cm, 0, sizeof *cm);
}

static int map_columns(const rctx *rx, char **file_names, size_t nfile, const tbl_table *schema,
                       size_t header_line, colmap *cm, ml_error *err)
{
    memset(cm, 0, sizeof *cm);
    size_t n = schema ? tbl_ncols(schema) : nfile;
    if (schema && n == 0)
        return ml_err(err, ML_EINVAL, "%s: the schema to read has no columns", rx->name);
    cm->ncols = n;
    cm->names = malloc(n * sizeof *cm->names);
    if (!cm->names)
        goto oom;
    if (!schema) {
        memcpy(cm->names, file_names, n * sizeof *cm->names);
        return ML_OK;
    }
    cm->map = malloc(nfile * sizeof *cm->map);
    cm->field_of = malloc(n * sizeof *cm->field_of);
    cm->fixed = malloc(n * sizeof *cm->fixed);
    tbl_dict *idx = tbl_dict_create();
    if (!cm->map || !cm->field_of || !cm->fixed || !idx) {
        tbl_dict_free(idx);
        goto oom;
    }
    for (size_t j = 0; j < nfile; j++) {
        cm->map[j] = -1;
        if (tbl_dict_intern(idx, file_names[j], strlen(file_names[j])) < 0) {
            tbl_dict_free(idx);
            goto oom;
        }
    }
    for (size_t c = 0; c < n; c++) {
        const tbl_column *sc = tbl_col(schema, c);
        int32_t j = tbl_dict_find(idx, sc->name, strlen(sc->name));
        if (j < 0) {
            tbl_dict_free(idx);
            int rc = ml_err(err, ML_EFORMAT, "%s:%zu: missing column '%s'", rx->name, header_line,
                            sc->name);
            colmap_free(cm);
            return rc;
        }
        cm->map[j] = (int32_t)c;
        cm->field_of[c] = (size_t)j;
        cm->names[c] = file_names[j];
        cm->fixed[c] = type_state(sc->type);
    }
    tbl_dict_free(idx);
    return ML_OK;
oom:
    colmap_free(cm);
    return ml_err(err, ML_ENOMEM, "%s: out of memory", rx->name);
}

static int check_delimiter(const char *name, char d, ml_error *err)
{
    if (d == '"' || d == '\n' || d == '\r')
        return ml_err(err, ML_EINVAL, "%s: cannot use %s as the delimiter", name,
                      d == '"' ? "'\"'" : "a line break");
    return ML_OK;
}

static int init_rctx(rctx *rx, const char *name, const src_options *opts, ml_error *err)
{
    rx->name = name;
    rx->line_base = 1;
    rx->coerce = opts->coerce;
    rx->skip_bad = opts->bad_rows == SRC_BAD_ROWS_SKIP;
    rx->origin = opts->schema ? "the schema" : "the first rows";
    rx->page = (size_t)sysconf(_SC_PAGESIZE);
    int rc = check_delimiter(name, opts->delimiter, err);
    if (rc)
        return rc;
    if (csv_nullset_init(&rx->nulls, opts->null_values))
        return ml_err(err, ML_ENOMEM, "%s: out of memory", name);
    return ML_OK;
}

/* ---- chunks: set-up, merge, table ---------------------------------------- */

static void chunk_release(chunk *ch, size_t ncols)
{
    if (ch->parts) {
        for (size_t c = 0; c < ncols; c++) {
            tbl_dict_free(ch->parts[c].dict);
            tbl_dict_free(ch->parts[c].pre);
        }
    }
    free(ch->parts);
    free(ch->spans);
    free(ch->esc);
    memset(ch, 0, sizeof *ch);
}

static int chunk_init(chunk *ch, const rctx *rx, const char *begin, const char *end, size_t row0,
                      size_t cap, int64_t **slots, uint8_t **nullv, const cstate *fixed)
{
    memset(ch, 0, sizeof *ch);
    ch->begin = begin;
    ch->end = end;
    ch->row0 = row0;
    ch->cap = cap;
    ch->parts = calloc(rx->ncols ? rx->ncols : 1, sizeof *ch->parts);
    ch->spans = malloc((rx->nfile + 1) * sizeof *ch->spans);
    if (!ch->parts || !ch->spans)
        return -1;
    for (size_t c = 0; c < rx->ncols; c++) {
        part *pt = &ch->parts[c];
        pt->slot = slots[c] + row0;
        pt->null = nullv[c] + row0;
        if (fixed) {
            pt->state = (uint8_t)fixed[c];
            pt->fixed = true;
        }
    }
    return 0;
}

/* Column arrays reserving 8 bytes a row, and null masks (untouched pages cost nothing). */
static int alloc_columns(size_t ncols, size_t rows, int64_t ***slots, uint8_t ***nullv)
{
    *slots = calloc(ncols ? ncols : 1, sizeof **slots);
    *nullv = calloc(ncols ? ncols : 1, sizeof **nullv);
    if (!*slots || !*nullv)
        return -1;
    if (rows > SIZE_MAX / sizeof(int64_t))
        return -1;
    for (size_t c = 0; c < ncols; c++) {
        (*slots)[c] = malloc((rows ? rows : 1) * sizeof(int64_t));
        (*nullv)[c] = calloc(rows ? rows : 1, 1);
        if (!(*slots)[c] || !(*nullv)[c])
            return -1;
    }
    return 0;
}

static void free_columns(size_t ncols, int64_t **slots, uint8_t **nullv)
{
    for (size_t c = 0; slots && c < ncols; c++)
        free(slots[c]);
    for (size_t c = 0; nullv && c < ncols; c++)
        free(nullv[c]);
    free(slots);
    free(nullv);
}

/* Types, re-scans and compaction: the chunks' columns become final arrays in
 * cols (slots and nullv are taken). */
static int merge_chunks(const rctx *rx, chunk *chunks, size_t nch, int threads, int64_t **slots,
                        uint8_t **nullv, colout *cols, ml_error *err)
{
    size_t ncols = rx->ncols;
    cstate *final = malloc((ncols ? ncols : 1) * sizeof *final);
    rescan *reqs = malloc(nch * (ncols ? ncols : 1) * sizeof *reqs);
    size_t *nreq = calloc(nch, sizeof *nreq);
    int rc = ML_OK;
    if (!final || !reqs || !nreq) {
        rc = ml_err(err, ML_ENOMEM, "%s: out of memory", rx->name);
        goto done;
    }
    for (size_t c = 0; c < ncols; c++)
        final[c] = decide_type(rx, chunks, nch, c);

    int failed = -1;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (size_t i = 0; i < nch; i++) {
        rescan *r = reqs + i * ncols;
        for (size_t c = 0; c < ncols; c++)
            plan_column(&chunks[i].parts[c], chunks[i].nrows, final[c], c, r, &nreq[i]);
        if (nreq[i] && rescan_chunk(rx, &chunks[i], r, nreq[i])) {
#pragma omp critical(csv_merge_fail)
            if (failed < 0 || (size_t)failed > i)
                failed = (int)i;
        }
    }
    if (failed >= 0) {
        rc = report_error(rx, &chunks[failed].err, err);
        goto done;
    }

    int col_failed = 0;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (size_t c = 0; c < ncols; c++) {
        if (finish_column(chunks, nch, c, final[c], slots[c], nullv[c], &cols[c])) {
#pragma omp atomic write
            col_failed = 1;
        }
        slots[c] = NULL;
        nullv[c] = NULL;
    }
    if (col_failed)
        rc = ml_err(err, ML_ENOMEM, "%s: out of memory merging columns", rx->name);
done:
    free(final);
    free(reqs);
    free(nreq);
    return rc;
}

static void colouts_free(colout *cols, size_t ncols)
{
    for (size_t c = 0; cols && c < ncols; c++) {
        free(cols[c].data);
        free(cols[c].nulls);
        tbl_dict_free(cols[c].dict);
    }
}

/* Hands the columns to a new table (every array is taken, even on failure). */
static int build_table(const rctx *rx, colout *cols, tbl_table **out, ml_error *err)
{
    tbl_table *t = tbl_create();
    int rc = t ? ML_OK : ml_err(err, ML_ENOMEM, "%s: out of memory", rx->name);
    for (size_t c = 0; c < rx->ncols; c++) {
        colout *co = &cols[c];
        if (!rc && co->type == ST_STR && !co->dict && !(co->dict = tbl_dict_create()))
            rc = ml_err(err, ML_ENOMEM, "%s: out of memory", rx->name);
        if (!rc) {
            rc = tbl_adopt_column(t, rx->names[c], state_type(co->type), co->data, co->nulls,
                                  co->dict, co->nrows, err);
        } else {
            free(co->data);
            free(co->nulls);
            tbl_dict_free(co->dict);
        }
        co->data = co->nulls = NULL;
        co->dict = NULL;
    }
    if (rc) {
        tbl_free(t);
        return rc;
    }
    *out = t;
    return ML_OK;
}

/* ---- whole-file read --------------------------------------------------- */

/* Where chunk i starts: the first '\n' outside quotes (by parity) at or after a. */
static const char *boundary_after(const char *a, const char *end, unsigned parity)
{
    for (const char *x = a; x < end; x++) {
        if (*x == '"')
            parity ^= 1;
        else if (*x == '\n' && !parity)
            return x + 1;
    }
    return end;
}

/* Splits [d0, end) into nch chunks: bounds[0..nch] and caps[i], a bound on
 * chunk i's records: its newlines, plus one when it does not end with '\n'
 * (every record but a last unterminated one ends at its own newline, and a
 * record running past the chunk's end owns the chunk's last newline). */
static int plan_chunks(const rctx *rx, const char *d0, size_t nch, int threads, const char **bounds,
                       size_t *caps)
{
    const char *end = rx->end;
    size_t n = (size_t)(end - d0);
    const char **a = malloc((nch + 1) * sizeof *a);
    size_t *nl = calloc(nch + 1, sizeof *nl), *qt = calloc(nch, sizeof *qt);
    if (!a || !nl || !qt) {
        free(a);
        free(nl);
        free(qt);
        return -1;
    }
    for (size_t i = 0; i <= nch; i++)
        a[i] = d0 + (size_t)((unsigned __int128)n * i / nch);
#pragma omp parallel for num_threads(threads) schedule(static, 1)
    for (size_t i = 0; i < nch; i++) {
        const char *p = a[i], *released = p;
        while (p < a[i + 1]) {
            const char *q = (size_t)(a[i + 1] - p) > RELEASE_STEP ? p + RELEASE_STEP : a[i + 1];
            size_t l, k;
            csv_count_nl_quotes(p, q, &l, &k);
            nl[i] += l;
            qt[i] += k;
            p = q;
            released = release_range(rx, released, p);
        }
    }
    /* nl becomes the prefix count: newlines in [d0, a[i]). */
    size_t acc = 0;
    unsigned parity = 0;
    bounds[0] = d0;
    for (size_t i = 0; i < nch; i++) {
        size_t here = nl[i];
        nl[i] = acc;
        acc += here;
        if (i > 0) {
            const char *b = boundary_after(a[i], end, parity);
            bounds[i] = b > bounds[i - 1] ? b : bounds[i - 1];
        }
        parity ^= (unsigned)(qt[i] & 1);
    }
    nl[nch] = acc;
    bounds[nch] = end;
    /* Newlines before each bound, from the region it falls in. */
    size_t prev = 0, k = 0;
    for (size_t i = 0; i <= nch; i++) {
        while (k + 1 < nch && a[k + 1] <= bounds[i])
            k++;
        size_t before = bounds[i] == end ? acc : nl[k] + csv_count_newlines(a[k], bounds[i]);
        if (i > 0)
            caps[i - 1] = before - prev + (bounds[i] > bounds[i - 1] && bounds[i][-1] != '\n');
        prev = before;
    }
    free(a);
    free(nl);
    free(qt);
    return 0;
}

typedef struct wread {
    rctx rx;
    char **file_names;
    size_t nfile;
    colmap cm;
    int64_t **slots;
    uint8_t **nullv;
    size_t rows_ub;
    chunk *chunks;
    size_t nch;
    colout *cols;
} wread;

static void wread_free(wread *w)
{
    for (size_t i = 0; w->chunks && i < w->nch; i++)
        chunk_release(&w->chunks[i], w->rx.ncols);
    free(w->chunks);
    free_columns(w->rx.ncols, w->slots, w->nullv);
    colouts_free(w->cols, w->rx.ncols);
    free(w->cols);
    colmap_free(&w->cm);
    free_names(w->file_names, w->nfile);
    csv_nullset_free(&w->rx.nulls);
}

/* Parses every chunk; on a wrong split guess, parses again on one thread. */
static int parse_chunks(wread *w, const char *d0, int threads, size_t min_parallel, ml_error *err)
{
    rctx *rx = &w->rx;
    size_t n = (size_t)(rx->end - d0);
    size_t nch = threads < 1 || n < min_parallel ? 1 : (size_t)threads;
    if (nch > MAX_CHUNKS)
        nch = MAX_CHUNKS;
    if (nch > n)
        nch = n ? n : 1;
    const char **bounds = malloc((nch + 1) * sizeof *bounds);
    size_t *caps = malloc(nch * sizeof *caps);
    int rc = ML_OK;
    w->chunks = calloc(nch, sizeof *w->chunks);
    w->nch = nch;
    if (!bounds || !caps || !w->chunks || plan_chunks(rx, d0, nch, threads, bounds, caps))
        goto oom;
    w->rows_ub = 0;
    for (size_t i = 0; i < nch; i++)
        w->rows_ub += caps[i];
    if (alloc_columns(rx->ncols, w->rows_ub, &w->slots, &w->nullv))
        goto oom;
    size_t row0 = 0;
    for (size_t i = 0; i < nch; i++) {
        if (chunk_init(&w->chunks[i], rx, bounds[i], bounds[i + 1], row0, caps[i], w->slots,
                       w->nullv, w->cm.fixed))
            goto oom;
        row0 += caps[i];
    }
#pragma omp parallel for num_threads((int)nch) schedule(dynamic, 1)
    for (size_t i = 0; i < nch; i++)
        parse_chunk(rx, &w->chunks[i]);
    /* Chunk i counts only if chunk i-1 ended exactly where it begins. */
    for (size_t i = 0; i < nch; i++) {
        chunk *ch = &w->chunks[i];
        if (ch->err.kind) {
            rc = report_error(rx, &ch->err, err);
            goto done;
        }
        if (ch->stop != ch->end) {
            for (size_t k = 0; k < nch; k++) {
                chunk *ck = &w->chunks[k];
                size_t touched = ck->nrows < ck->cap ? ck->nrows + 1 : ck->cap;
                for (size_t c = 0; c < rx->ncols; c++)
                    memset(w->nullv[c] + ck->row0, 0, touched);
                chunk_release(ck, rx->ncols);
            }
            w->nch = 1;
            if (chunk_init(&w->chunks[0], rx, d0, rx->end, 0, w->rows_ub, w->slots, w->nullv,
                           w->cm.fixed))
                goto oom;
            parse_chunk(rx, &w->chunks[0]);
            if (w->chunks[0].err.kind)
                rc = report_error(rx, &w->chunks[0].err, err);
            goto done;
        }
    }
    goto done;
oom:
    rc = ml_err(err, ML_ENOMEM, "%s: out of memory for %zu rows", rx->name, w->rows_ub);
done:
    free(bounds);
    free(caps);
    return rc;
}

static void fill_report(const rctx *rx, const chunk *chunks, size_t nch, const colout *cols,
                        src_report *report)
{
    size_t k = 0, line = rx->line_base;
    const char *pos = rx->base;
    for (size_t i = 0; i < nch; i++) {
        report->rows_skipped += chunks[i].skipped;
        for (size_t s = 0; s < chunks[i].skipped && s < SRC_REPORT_LINES && k < SRC_REPORT_LINES;
             s++) {
            line += csv_count_newlines(pos, chunks[i].skipped_at[s]);
            pos = chunks[i].skipped_at[s];
            report->skipped_lines[k++] = line;
        }
    }
    report->coerced_detail[0] = '\0';
    for (size_t c = 0; c < rx->ncols; c++) {
        report->cells_coerced += cols[c].coerced;
        src_report_note_coerced(report, rx->names[c], cols[c].coerced);
    }
}

/* Header, names and the columns to read; *d0 is where the data starts. */
static int read_header(wread *w, const char *p, bool no_header, const tbl_table *schema,
                       const char **d0, ml_error *err)
{
    rctx *rx = &w->rx;
    const char *first = skip_blank(rx, p, rx->end, true);
    if (first == rx->end)
        return ml_err(err, ML_EFORMAT, "%s: empty file", rx->name);
    csv_span *spans = NULL;
    size_t cap = 0;
    csv_record rec;
    int rc = scan_full(rx->delim, first, rx->end, true, &spans, &cap, &rec);
    if (rc != CSV_REC) {
        rc = scan_error(rx, rc, rc == CSV_E_RECORD ? first : rec.err_at, err);
        free(spans);
        return rc;
    }
    w->nfile = rec.nfields;
    rc = build_names(rx, spans, rec.nfields, no_header, first, &w->file_names, err);
    free(spans);
    if (rc)
        return rc;
    *d0 = no_header ? first : rec.next;
    if (!no_header && skip_blank(rx, *d0, rx->end, true) == rx->end)
        return ml_err(err, ML_EFORMAT, "%s: has a header but no data rows", rx->name);
    size_t line, col;
    locate(rx, first, &line, &col);
    rc = map_columns(rx, w->file_names, w->nfile, schema, line, &w->cm, err);
    if (rc)
        return rc;
    rx->nfile = w->nfile;
    rx->ncols = w->cm.ncols;
    rx->names = w->cm.names;
    rx->map = w->cm.map;
    rx->field_of = w->cm.field_of;
    return ML_OK;
}

static const src_options default_options;

/* Classic Mac text ends lines with a bare CR.  Read as RFC 4180 it would be
 * one enormous header, so it is refused with a message that says what to do
 * (judged on the first DETECT_BYTES: no LF at all, but a CR not before one). */
static int check_line_endings(const char *name, const char *p, const char *end, ml_error *err)
{
    size_t n = (size_t)(end - p) < DETECT_BYTES ? (size_t)(end - p) : DETECT_BYTES;
    if (memchr(p, '\n', n))
        return ML_OK;
    const char *cr = memchr(p, '\r', n);
    if (cr && cr + 1 < p + n)
        return ml_err(err, ML_EFORMAT,
                      "%s:1: lines end with a bare carriage return (classic Mac text); "
                      "convert them to LF or CRLF first",
                      name);
    return ML_OK;
}

static int read_data(const char *name, const char *data, size_t len, bool mapped,
                     const src_options *opts, size_t min_parallel, tbl_table **out,
                     src_report *report, ml_error *err)
{
    if (!opts)
        opts = &default_options;
    src_report scratch;
    if (!report)
        report = &scratch;
    memset(report, 0, sizeof *report);
    wread w = {0};
    rctx *rx = &w.rx;
    const char *p = data, *end = data + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    int rc = check_line_endings(name, p, end, err);
    if (!rc)
        rc = init_rctx(rx, name, opts, err);
    if (rc)
        goto done;
    rx->base = p;
    rx->end = end;
    rx->release = mapped;
    rx->delim = opts->delimiter ? opts->delimiter : csv_detect_delimiter(p, end, true);
    const char *d0 = NULL;
    rc = read_header(&w, p, opts->no_header, opts->schema, &d0, err);
    if (rc)
        goto done;
    int threads = opts->threads > 0 ? opts->threads : omp_get_max_threads();
    if (threads > MAX_CHUNKS)
        threads = MAX_CHUNKS;
    rc = parse_chunks(&w, d0, threads, min_parallel ? min_parallel : MIN_PARALLEL, err);
    if (rc)
        goto done;
    w.cols = calloc(rx->ncols ? rx->ncols : 1, sizeof *w.cols);
    if (!w.cols) {
        rc = ml_err(err, ML_ENOMEM, "%s: out of memory", name);
        goto done;
    }
    rc = merge_chunks(rx, w.chunks, w.nch, threads, w.slots, w.nullv, w.cols, err);
    if (rc)
        goto done;
    fill_report(rx, w.chunks, w.nch, w.cols, report);
    rc = build_table(rx, w.cols, out, err);
done:
    wread_free(&w);
    return rc;
}

int csv_read_buffer(const char *name, const char *data, size_t len, const src_options *opts,
                    size_t min_parallel, tbl_table **out, src_report *report, ml_error *err)
{
    return read_data(name, data, len, false, opts, min_parallel, out, report, err);
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* A gzip bomb must not take the machine's memory: the whole-file path holds
 * the inflated text, so it stops at this size (the streaming reader, which
 * holds one block at a time, has no such limit). */
#define CSV_GZ_MAX_INFLATED ((size_t)16 << 30)

/* Inflates a .gz file into one malloc'd buffer. */
static int read_gz(const char *path, char **out, size_t *out_len, ml_error *err)
{
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return ml_err(err, ML_EIO, "%s: cannot open: %s", path,
                      errno ? strerror(errno) : "out of memory");
    gzbuffer(gz, 256 * 1024);
    size_t cap = (size_t)1 << 20, len = 0;
    char *buf = malloc(cap);
    int rc = ML_OK;
    while (buf) {
        if (cap - len < ((size_t)1 << 20)) {
            if (cap >= CSV_GZ_MAX_INFLATED) {
                rc = ml_err(err, ML_ELIMIT,
                            "%s: inflates to more than %zu GiB (the cap CSV_GZ_MAX_INFLATED); "
                            "decompress it first",
                            path, CSV_GZ_MAX_INFLATED >> 30);
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
        size_t want = cap - len > ((size_t)1 << 30) ? (size_t)1 << 30 : cap - len;
        int n = gzread(gz, buf + len, (unsigned)want);
        if (n < 0) {
            int zerr;
            const char *msg = gzerror(gz, &zerr);
            rc = zerr == Z_ERRNO ? ml_err(err, ML_EIO, "%s: read error: %s", path, strerror(errno))
                                 : ml_err(err, ML_EFORMAT, "%s: corrupt gzip data (%s)", path, msg);
            break;
        }
        if (n == 0) {
            gzclose(gz);
            *out = buf;
            *out_len = len;
            return ML_OK;
        }
        len += (size_t)n;
    }
    gzclose(gz);
    free(buf);
    return rc ? rc : ml_err(err, ML_ENOMEM, "%s: out of memory inflating %zu bytes", path, len);
}

int csv_read_table(const char *path, const src_options *opts, tbl_table **out, src_report *report,
                   ml_error *err)
{
    if (has_suffix(path, ".gz")) {
        char *buf = NULL;
        size_t len = 0;
        int rc = read_gz(path, &buf, &len, err);
        if (rc)
            return rc;
        rc = read_data(path, buf, len, false, opts, 0, out, report, err);
        free(buf);
        return rc;
    }
    ml_file f;
    int rc = ml_file_load(path, &f, err);
    if (rc)
        return rc;
    rc = read_data(path, f.data, f.len, f.mapped, opts, 0, out, report, err);
    ml_file_release(&f);
    return rc;
}

/* ---- streaming reader ---------------------------------------------------- */

typedef struct stream {
    rctx rx;
    char *path;
    FILE *f;
    gzFile gz;
    char *buf;
    size_t len, cap, pos; /* buf[pos, len) is not consumed yet */
    size_t base_off;      /* rx.base = buf + base_off (a BOM before the header) */
    size_t block;
    bool eof, done, typed;
    char **file_names;
    size_t nfile;
    colmap cm;
    cstate *types;   /* per column, once typed */
    size_t *coerced; /* per column, all batches */
    src_report report;
} stream;

/* Reads one more block; grows the buffer rather than dropping unparsed text. */
static int stream_fill(stream *s, ml_error *err)
{
    if (s->eof)
        return ML_OK;
    if (s->cap - s->len < s->block) {
        size_t cap = s->cap ? s->cap : s->block;
        while (cap - s->len < s->block)
            cap *= 2;
        char *b = realloc(s->buf, cap);
        if (!b)
            return ml_err(err, ML_ENOMEM, "%s: out of memory for a %zu-byte read buffer", s->path,
                          cap);
        s->buf = b;
        s->cap = cap;
    }
    size_t n;
    if (s->gz) {
        int r = gzread(s->gz, s->buf + s->len, (unsigned)s->block);
        if (r < 0) {
            int zerr;
            const char *msg = gzerror(s->gz, &zerr);
            return zerr == Z_ERRNO
                       ? ml_err(err, ML_EIO, "%s: read error: %s", s->path, strerror(errno))
                       : ml_err(err, ML_EFORMAT, "%s: corrupt gzip data (%s)", s->path, msg);
        }
        n = (size_t)r;
    } else {
        n = fread(s->buf + s->len, 1, s->block, s->f);
        if (n == 0 && ferror(s->f))
            return ml_err(err, ML_EIO, "%s: read error: %s", s->path, strerror(errno));
    }
    if (n == 0)
        s->eof = true;
    s->len += n;
    s->rx.base = s->buf + s->base_off;
    return ML_OK;
}

/* A record too long to ever complete in the buffer. */
static int stream_too_long(stream *s, ml_error *err)
{
    cerr e = {.kind = E_SCAN, .scan = CSV_E_RECORD, .at = s->buf + s->pos};
    s->rx.base = s->buf + s->base_off;
    return report_error(&s->rx, &e, err);
}

/* Reads the header (or the first record's width) and decides the columns. */
static int stream_header(stream *s, const src_options *opts, ml_error *err)
{
    rctx *rx = &s->rx;
    csv_span *spans = NULL;
    size_t cap = 0;
    csv_record rec;
    int rc;
    for (;;) {
        if (s->pos == s->len) {
            if (s->eof) {
                rc = ml_err(err, ML_EFORMAT, "%s: empty file", s->path);
                goto done;
            }
            if ((rc = stream_fill(s, err)))
                goto done;
            continue;
        }
        const char *p = s->buf + s->pos;
        int sr = scan_full(rx->delim, p, s->buf + s->len, s->eof, &spans, &cap, &rec);
        if (sr == CSV_MORE) {
            if (s->len - s->pos > CSV_MAX_RECORD) {
                rc = stream_too_long(s, err);
                goto done;
            }
            if ((rc = stream_fill(s, err)))
                goto done;
            continue;
        }
        if (sr != CSV_REC) {
            rc = scan_error(rx, sr, sr == CSV_E_RECORD ? p : rec.err_at, err);
            goto done;
        }
        if (!csv_record_blank(&rec, spans))
            break;
        s->pos = (size_t)(rec.next - s->buf);
    }
    const char *first = s->buf + s->pos;
    s->nfile = rec.nfields;
    rc = build_names(rx, spans, rec.nfields, opts->no_header, first, &s->file_names, err);
    if (rc)
        goto done;
    size_t line, col;
    locate(rx, first, &line, &col);
    if (!opts->no_header) {
        s->pos = (size_t)(rec.next - s->buf);
        /* Some data must follow: skip blank lines, reading as needed. */
        for (;;) {
            if (s->pos == s->len) {
                if (s->eof) {
                    rc = ml_err(err, ML_EFORMAT, "%s: has a header but no data rows", s->path);
                    goto done;
                }
                if ((rc = stream_fill(s, err)))
                    goto done;
                continue;
            }
            csv_span one;
            csv_record r1;
            csv_scan_rc sr =
                csv_scan_record(s->buf + s->pos, s->buf + s->len, s->eof, rx->delim, &one, 1, &r1);
            if (sr == CSV_MORE && s->len - s->pos <= CSV_MAX_RECORD) {
                if ((rc = stream_fill(s, err)))
                    goto done;
                continue;
            }
            if (sr != CSV_REC || !csv_record_blank(&r1, &one))
                break;
            s->pos = (size_t)(r1.next - s->buf);
        }
    }
    rc = map_columns(rx, s->file_names, s->nfile, opts->schema, line, &s->cm, err);
    if (rc)
        goto done;
    rx->nfile = s->nfile;
    rx->ncols = s->cm.ncols;
    rx->names = s->cm.names;
    rx->map = s->cm.map;
    rx->field_of = s->cm.field_of;
    s->coerced = calloc(rx->ncols, sizeof *s->coerced);
    s->types = malloc(rx->ncols * sizeof *s->types);
    if (!s->coerced || !s->types) {
        rc = ml_err(err, ML_ENOMEM, "%s: out of memory", s->path);
        goto done;
    }
    if (s->cm.fixed) {
        memcpy(s->types, s->cm.fixed, rx->ncols * sizeof *s->types);
        s->typed = true;
    }
done:
    free(spans);
    return rc;
}

/* Drops the consumed text so a batch starts at buf[0] (a line start). */
static void stream_compact(stream *s)
{
    s->rx.line_base += csv_count_newlines(s->buf + s->base_off, s->buf + s->pos);
    memmove(s->buf, s->buf + s->pos, s->len - s->pos);
    s->len -= s->pos;
    s->pos = 0;
    s->base_off = 0;
    s->rx.base = s->buf;
}

/* Doubles a batch's column arrays (up to max_rows) and re-points the parts. */
static int grow_batch(const rctx *rx, chunk *ch, int64_t **slots, uint8_t **nullv, size_t max_rows)
{
    size_t cap = ch->cap * 2 < max_rows ? ch->cap * 2 : max_rows;
    for (size_t c = 0; c < rx->ncols; c++) {
        int64_t *sl = realloc(slots[c], cap * sizeof *sl);
        if (sl)
            slots[c] = sl;
        uint8_t *nu = realloc(nullv[c], cap);
        if (nu) {
            memset(nu + ch->cap, 0, cap - ch->cap);
            nullv[c] = nu;
        }
        if (!sl || !nu)
            return -1;
        ch->parts[c].slot = slots[c];
        ch->parts[c].null = nullv[c];
    }
    ch->cap = cap;
    return 0;
}

/* Parses up to max_rows records into ch; the batch's text stays in buf. */
static int stream_parse(stream *s, chunk *ch, int64_t **slots, uint8_t **nullv, size_t max_rows,
                        ml_error *err)
{
    rctx *rx = &s->rx;
    size_t row = 0;
    while (row < max_rows) {
        if (row == ch->cap && grow_batch(rx, ch, slots, nullv, max_rows))
            return ml_err(err, ML_ENOMEM, "%s: out of memory for a batch of %zu rows", s->path,
                          ch->cap * 2);
        if (s->pos == s->len) {
            if (s->eof)
                break;
            int rc = stream_fill(s, err);
            if (rc)
                return rc;
            continue;
        }
        const char *p = s->buf + s->pos;
        csv_record rec;
        int kind = next_record(rx, ch, p, s->eof, s->buf + s->len, &rec);
        if (kind == REC_MORE) {
            if (s->len - s->pos > CSV_MAX_RECORD)
                return stream_too_long(s, err);
            int rc = stream_fill(s, err);
            if (rc)
                return rc;
            continue;
        }
        if (kind == REC_ERROR || (kind == REC_ROW && put_row(rx, ch, row)))
            return report_error(rx, &ch->err, err);
        if (kind == REC_BAD) {
            if (s->report.rows_skipped < SRC_REPORT_LINES)
                s->report.skipped_lines[s->report.rows_skipped] =
                    rx->line_base + csv_count_newlines(rx->base, p);
            s->report.rows_skipped++;
        }
        row += kind == REC_ROW;
        s->pos = (size_t)(rec.next - s->buf);
    }
    ch->nrows = row;
    return ML_OK;
}

static int stream_next(void *impl, size_t max_rows, tbl_table **batch, ml_error *err)
{
    stream *s = impl;
    rctx *rx = &s->rx;
    *batch = NULL;
    if (s->done)
        return ML_OK;
    if (max_rows == 0)
        max_rows = 65536;
    stream_compact(s);
    int64_t **slots = NULL;
    uint8_t **nullv = NULL;
    colout *cols = calloc(rx->ncols, sizeof *cols);
    chunk ch;
    memset(&ch, 0, sizeof ch);
    int rc = ML_OK;
    /* Arrays start small and double: max_rows is a limit, not a size hint. */
    size_t cap = max_rows < BATCH_START ? max_rows : BATCH_START;
    if (!cols || alloc_columns(rx->ncols, cap, &slots, &nullv) ||
        chunk_init(&ch, rx, NULL, NULL, 0, cap, slots, nullv, s->typed ? s->types : NULL)) {
        rc = ml_err(err, ML_ENOMEM, "%s: out of memory for a batch of %zu rows", s->path, cap);
        goto done;
    }
    rc = stream_parse(s, &ch, slots, nullv, max_rows, err);
    if (rc)
        goto done;
    if (ch.nrows == 0) {
        s->done = true;
        goto done;
    }
    /* The batch's text is buf[0, pos): re-scans read it from there. */
    ch.begin = s->buf;
    ch.end = ch.stop = s->buf + s->pos;
    rx->base = s->buf;
    rx->end = ch.end;
    rc = merge_chunks(rx, &ch, 1, 1, slots, nullv, cols, err);
    if (rc)
        goto done;
    for (size_t c = 0; c < rx->ncols; c++) {
        if (!s->typed)
            s->types[c] = cols[c].type;
        s->coerced[c] += cols[c].coerced;
        s->report.cells_coerced += cols[c].coerced;
    }
    s->typed = true;
    s->report.coerced_detail[0] = '\0';
    for (size_t c = 0; c < rx->ncols; c++)
        src_report_note_coerced(&s->report, rx->names[c], s->coerced[c]);
    rc = build_table(rx, cols, batch, err);
done:
    chunk_release(&ch, rx->ncols);
    free_columns(rx->ncols, slots, nullv);
    colouts_free(cols, rx->ncols);
    free(cols);
    if (rc)
        s->done = true;
    return rc;
}

static const src_report *stream_report(const void *impl)
{
    return &((const stream *)impl)->report;
}

static void stream_close(void *impl)
{
    stream *s = impl;
    if (!s)
        return;
    if (s->f)
        fclose(s->f);
    if (s->gz)
        gzclose(s->gz);
    free(s->buf);
    free(s->path);
    free_names(s->file_names, s->nfile);
    colmap_free(&s->cm);
    free(s->types);
    free(s->coerced);
    csv_nullset_free(&s->rx.nulls);
    free(s);
}

static const src_reader_ops stream_ops = {stream_next, stream_report, stream_close};

int csv_reader_open_block(const char *path, const src_options *opts, size_t block,
                          const src_reader_ops **ops, void **impl, ml_error *err)
{
    if (!opts)
        opts = &default_options;
    stream *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return ml_err(err, ML_ENOMEM, "%s: out of memory", path);
    }
    s->block = block ? block : STREAM_BLOCK;
    int rc = init_rctx(&s->rx, s->path, opts, err);
    if (rc)
        goto fail;
    errno = 0;
    if (has_suffix(path, ".gz"))
        s->gz = gzopen(path, "rb");
    else
        s->f = fopen(path, "rb");
    struct stat st;
    if (!s->f && !s->gz) {
        rc = ml_err(err, ML_EIO, "%s: cannot open: %s", path,
                    errno ? strerror(errno) : "out of memory");
        goto fail;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        rc = ml_err(err, ML_EIO, "%s: cannot open: %s", path, strerror(EISDIR));
        goto fail;
    }
    /* Enough text to guess the delimiter from. */
    while (!s->eof && s->len < DETECT_BYTES)
        if ((rc = stream_fill(s, err)))
            goto fail;
    if (s->len >= 3 && memcmp(s->buf, "\xEF\xBB\xBF", 3) == 0)
        s->pos = s->base_off = 3;
    s->rx.base = s->buf + s->base_off;
    if ((rc = check_line_endings(path, s->buf + s->pos, s->buf + s->len, err)))
        goto fail;
    s->rx.delim = opts->delimiter ? opts->delimiter
                                  : csv_detect_delimiter(s->buf + s->pos, s->buf + s->len, s->eof);
    rc = stream_header(s, opts, err);
    if (rc)
        goto fail;
    *ops = &stream_ops;
    *impl = s;
    return ML_OK;
fail:
    stream_close(s);
    return rc;
}

int csv_reader_open(const char *path, const src_options *opts, const src_reader_ops **ops,
                    void **impl, ml_error *err)
{
    return csv_reader_open_block(path, opts, 0, ops, impl, err);
}

/* ---- writer ------------------------------------------------------------ */

#define OUT_BUF ((size_t)1 << 20)

typedef struct sink {
    char *path, *tmp;
    int fd;
    gzFile gz;
    char delim;
    sink_if_exists mode;
    size_t ncols;
    tbl_type *types;
    char *buf;
    size_t len;
    uint8_t special[256]; /* bytes that force quoting */
} sink;

static int sink_flush(sink *k, ml_error *err)
{
    size_t off = 0;
    while (off < k->len) {
        if (k->gz) {
            size_t want = k->len - off > ((size_t)1 << 30) ? (size_t)1 << 30 : k->len - off;
            int n = gzwrite(k->gz, k->buf + off, (unsigned)want);
            if (n <= 0) {
                int zerr;
                const char *msg = gzerror(k->gz, &zerr);
                return ml_err(err, ML_EIO, "%s: write error: %s", k->path,
                              zerr == Z_ERRNO ? strerror(errno) : msg);
            }
            off += (size_t)n;
            continue;
        }
        ssize_t n = write(k->fd, k->buf + off, k->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ml_err(err, ML_EIO, "%s: write error: %s", k->path, strerror(errno));
        off += (size_t)n;
    }
    k->len = 0;
    return ML_OK;
}

/* Room for n more bytes in the buffer (flushing first when needed). */
static int sink_room(sink *k, size_t n, ml_error *err)
{
    if (k->len + n <= OUT_BUF)
        return ML_OK;
    int rc = sink_flush(k, err);
    if (rc)
        return rc;
    if (n > OUT_BUF) {
        char *b = realloc(k->buf, n);
        if (!b)
            return ml_err(err, ML_ENOMEM, "%s: out of memory for a %zu-byte field", k->path, n);
        k->buf = b;
    }
    return ML_OK;
}

static bool needs_quotes(const sink *k, const char *s, size_t n)
{
    if (n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        return true;
    for (size_t i = 0; i < n; i++)
        if (k->special[(unsigned char)s[i]])
            return true;
    return false;
}

static int put_field(sink *k, const char *s, size_t n, bool force_quotes, ml_error *err)
{
    if (!force_quotes && !needs_quotes(k, s, n)) {
        int rc = sink_room(k, n + 1, err);
        if (rc)
            return rc;
        memcpy(k->buf + k->len, s, n);
        k->len += n;
        return ML_OK;
    }
    int rc = sink_room(k, 2 * n + 3, err); /* every byte a quote, at worst */
    if (rc)
        return rc;
    char *o = k->buf + k->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            *o++ = '"';
        *o++ = s[i];
    }
    *o++ = '"';
    k->len = (size_t)(o - k->buf);
    return ML_OK;
}

static int put_char(sink *k, char c, ml_error *err)
{
    int rc = sink_room(k, 1, err);
    if (!rc)
        k->buf[k->len++] = c;
    return rc;
}

/* Floats keep looking like floats ("3.0", not "3") so they read back as
 * floats; NaN is written as the null token "NaN". */
static size_t float_text(const tbl_column *c, size_t row, char *buf, const char **out)
{
    size_t n = tbl_cell_text(c, row, buf, out);
    double v = c->data.f64[row];
    if (v != v) {
        *out = "NaN";
        return 3;
    }
    if (*out == buf && n + 2 < TBL_CELL_TEXT_MAX && strspn(buf, "-0123456789") == n) {
        memcpy(buf + n, ".0", 3);
        n += 2;
    }
    return n;
}

static int sink_write_batch(void *impl, const tbl_table *t, ml_error *err)
{
    sink *k = impl;
    if (tbl_ncols(t) != k->ncols)
        return ml_err(err, ML_EINVAL, "%s: a batch of %zu columns for a file of %zu", k->path,
                      tbl_ncols(t), k->ncols);
    for (size_t c = 0; c < k->ncols; c++)
        if (tbl_col(t, c)->type != k->types[c])
            return ml_err(err, ML_EINVAL, "%s: column %zu of the batch is %s, not %s", k->path,
                          c + 1, tbl_type_name(tbl_col(t, c)->type), tbl_type_name(k->types[c]));
    size_t nrows = tbl_nrows(t);
    char text[TBL_CELL_TEXT_MAX];
    for (size_t r = 0; r < nrows; r++) {
        for (size_t c = 0; c < k->ncols; c++) {
            const tbl_column *col = tbl_col(t, c);
            const char *s;
            size_t n;
            if (col->type == TBL_F64 && !tbl_is_null(col, r))
                n = float_text(col, r, text, &s);
            else
                n = tbl_cell_text(col, r, text, &s);
            /* A lone null would be a blank line, which readers skip: write "". */
            bool force = k->ncols == 1 && n == 0;
            int rc = put_field(k, s, n, force, err);
            if (!rc)
                rc = put_char(k, c + 1 < k->ncols ? k->delim : '\n', err);
            if (rc)
                return rc;
        }
    }
    return ML_OK;
}

static void sink_free(sink *k, bool unlink_tmp)
{
    if (k->gz)
        gzclose(k->gz);
    if (k->fd >= 0)
        close(k->fd);
    if (unlink_tmp && k->tmp)
        unlink(k->tmp);
    free(k->path);
    free(k->tmp);
    free(k->types);
    free(k->buf);
    free(k);
}

static void sink_abort_impl(void *impl)
{
    sink_free(impl, true);
}

static int sink_commit_impl(void *impl, ml_error *err)
{
    sink *k = impl;
    int rc = sink_flush(k, err);
    if (!rc && k->gz) {
        int z = gzclose(k->gz);
        k->gz = NULL;
        if (z != Z_OK)
            rc = ml_err(err, ML_EIO, "%s: write error: gzip stream (%d)", k->path, z);
    }
    if (!rc && fsync(k->fd) != 0)
        rc = ml_err(err, ML_EIO, "%s: cannot sync: %s", k->path, strerror(errno));
    if (!rc) {
        int fd = k->fd;
        k->fd = -1;
        if (close(fd) != 0)
            rc = ml_err(err, ML_EIO, "%s: write error: %s", k->path, strerror(errno));
    }
    if (!rc) {
        int r;
        if (k->mode == SINK_FAIL) {
            r = renameat2(AT_FDCWD, k->tmp, AT_FDCWD, k->path, RENAME_NOREPLACE);
            if (r != 0 && (errno == EINVAL || errno == ENOSYS)) {
                /* A file system without RENAME_NOREPLACE: link fails on an existing name too. */
                r = link(k->tmp, k->path);
                if (r == 0)
                    unlink(k->tmp);
            }
        } else {
            r = rename(k->tmp, k->path);
        }
        if (r != 0) {
            rc = errno == EEXIST ? ml_err(err, ML_EINVAL,
                                          "%s: already exists (replace it with --if-exists "
                                          "replace)",
                                          k->path)
                                 : ml_err(err, ML_EIO, "%s: cannot rename the temporary file: %s",
                                          k->path, strerror(errno));
        }
    }
    if (!rc)
        ml_fsync_dir_of(k->path);
    sink_free(k, rc != ML_OK);
    return rc;
}

static const sink_writer_ops sink_ops = {sink_write_batch, sink_commit_impl, sink_abort_impl};

static int sink_header(sink *k, const tbl_table *schema, ml_error *err)
{
    for (size_t c = 0; c < k->ncols; c++) {
        const char *name = tbl_col(schema, c)->name;
        int rc = put_field(k, name, strlen(name), false, err);
        if (!rc)
            rc = put_char(k, c + 1 < k->ncols ? k->delim : '\n', err);
        if (rc)
            return rc;
    }
    return ML_OK;
}

int csv_sink_open(const char *path, const sink_options *opts, const tbl_table *schema,
                  const sink_writer_ops **ops, void **impl, ml_error *err)
{
    static const sink_options defaults;
    if (!opts)
        opts = &defaults;
    if (opts->if_exists == SINK_APPEND)
        return ml_err(err, ML_EUNSUPPORTED,
                      "%s: cannot append to a CSV file; write a new file or use --if-exists "
                      "replace",
                      path);
    char delim = opts->delimiter;
    if (!delim)
        delim = has_suffix(path, ".tsv") || has_suffix(path, ".tsv.gz") ? '\t' : ',';
    int rc = check_delimiter(path, delim, err);
    if (rc)
        return rc;
    if (tbl_ncols(schema) == 0)
        return ml_err(err, ML_EINVAL, "%s: cannot write a table without columns", path);
    struct stat st;
    if (opts->if_exists == SINK_FAIL && lstat(path, &st) == 0)
        return ml_err(err, ML_EINVAL, "%s: already exists (replace it with --if-exists replace)",
                      path);
    sink *k = calloc(1, sizeof *k);
    if (!k)
        return ml_err(err, ML_ENOMEM, "%s: out of memory", path);
    k->fd = -1;
    k->delim = delim;
    k->mode = opts->if_exists;
    k->ncols = tbl_ncols(schema);
    k->path = strdup(path);
    k->types = malloc(k->ncols * sizeof *k->types);
    k->buf = malloc(OUT_BUF);
    if (!k->path || !k->types || !k->buf) {
        sink_free(k, false);
        return ml_err(err, ML_ENOMEM, "%s: out of memory", path);
    }
    k->fd = ml_file_temp_beside(path, &k->tmp);
    if (k->fd < 0) {
        rc = ml_err(err, ML_EIO, "%s: cannot create a temporary file beside it: %s", path,
                    strerror(errno));
        free(k->tmp);
        k->tmp = NULL;
        sink_free(k, false);
        return rc;
    }
    fchmod(k->fd, ml_file_new_mode());
    if (has_suffix(path, ".gz")) {
        int dupfd = dup(k->fd);
        k->gz = dupfd >= 0 ? gzdopen(dupfd, "wb") : NULL;
        if (!k->gz) {
            if (dupfd >= 0)
                close(dupfd);
            sink_free(k, true);
            return ml_err(err, ML_ENOMEM, "%s: cannot start a gzip stream", path);
        }
    }
    for (size_t c = 0; c < k->ncols; c++)
        k->types[c] = tbl_col(schema, c)->type;
    k->special[(unsigned char)delim] = 1;
    k->special['"'] = k->special['\r'] = k->special['\n'] = 1;
    rc = sink_header(k, schema, err);
    if (rc) {
        sink_free(k, true);
        return rc;
    }
    *ops = &sink_ops;
    *impl = k;
    return ML_OK;
}
