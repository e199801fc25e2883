/*
 * csv_scan.c — the byte-level half of the CSV reader: find where fields and
 * records end, decide whether a cell is null, validate UTF-8, count
 * newlines, guess the delimiter.
 *
 * The tokenizer is on the hot path (one call per record, tens of millions
 * per load), so it is shaped for the common case: an unquoted field is
 * ended by the first delimiter or '\n', found 16 bytes at a time with SSE2
 * compares; a quote only matters as a field's first byte (a quote inside an
 * unquoted field is literal, as in Python's csv), so the unquoted path never
 * looks for quotes.  A trailing '\r' is trimmed from the last field once the
 * record's '\n' is found instead of being a third byte to search for.
 * Quoted fields take a memchr loop out of line; doubled quotes are only
 * flagged (CSV_ESCAPED) and undone later by the caller, and only when it
 * needs the text, so no byte is copied for ordinary quoted fields.
 *
 * Every scan is bounded by an explicit end pointer: the input may be a
 * read-only file mapping with no terminator after its last byte.
 */
#include "data/csv_scan.h"

#include "data/source.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* First delimiter or '\n' in [p, end), or end. */
static inline const char *find_field_end(const char *p, const char *end, char delim)
{
#ifdef __SSE2__
    const __m128i vd = _mm_set1_epi8(delim), vn = _mm_set1_epi8('\n');
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m =
            (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, vd), _mm_cmpeq_epi8(x, vn)));
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#endif
    while (p < end && *p != delim && *p != '\n')
        p++;
    return p;
}

static inline void put_span(csv_span *spans, size_t max_spans, size_t n, const char *p, size_t len,
                            uint32_t flags, const char *raw)
{
    if (n < max_spans)
        spans[n] = (csv_span){p, (uint32_t)len, flags, raw};
}

csv_scan_rc csv_scan_record(const char *p, const char *end, bool at_eof, char delim,
                            csv_span *spans, size_t max_spans, csv_record *rec)
{
    const char *start = p;
    size_t n = 0;
    rec->escaped = false;
    rec->err_at = start;
    for (;;) {
        if (n == CSV_MAX_FIELDS) {
            rec->nfields = n;
            rec->err_at = p;
            return CSV_E_FIELDS;
        }
        const char *f = p;
        if (p < end && *p == '"') {
            const char *q = p + 1;
            uint32_t flags = CSV_QUOTED;
            for (;;) {
                q = memchr(q, '"', (size_t)(end - q));
                if (!q) {
                    if (!at_eof)
                        return CSV_MORE;
                    rec->err_at = f;
                    return CSV_E_QUOTE;
                }
                if (q + 1 < end && q[1] == '"') {
                    flags |= CSV_ESCAPED;
                    q += 2;
                    continue;
                }
                if (q + 1 == end && !at_eof)
                    return CSV_MORE;
                break;
            }
            size_t len = (size_t)(q - f - 1);
            if (len > CSV_MAX_RECORD)
                return CSV_E_RECORD;
            put_span(spans, max_spans, n, f + 1, len, flags, f);
            if ((flags & CSV_ESCAPED) && n < max_spans)
                rec->escaped = true;
            n++;
            const char *a = q + 1;
            if (a == end) {
                rec->end = rec->next = a;
                break;
            }
            if (*a == delim) {
                p = a + 1;
                continue;
            }
            if (*a == '\n') {
                rec->end = a;
                rec->next = a + 1;
                break;
            }
            if (*a == '\r') {
                if (a + 1 == end) {
                    if (!at_eof)
                        return CSV_MORE;
                    rec->end = a;
                    rec->next = a + 1;
                    break;
                }
                if (a[1] == '\n') {
                    rec->end = a;
                    rec->next = a + 2;
                    break;
                }
            }
            rec->nfields = n;
            rec->err_at = a;
            return CSV_E_AFTER_QUOTE;
        }
        const char *e = find_field_end(p, end, delim);
        if (e == end && !at_eof)
            return CSV_MORE;
        size_t len = (size_t)(e - p);
        if (len > CSV_MAX_RECORD)
            return CSV_E_RECORD;
        if (e < end && *e == delim) {
            put_span(spans, max_spans, n, p, len, 0, f);
            n++;
            p = e + 1;
            continue;
        }
        /* The record ends at e ('\n' or end); a CR before it belongs to CRLF. */
        rec->end = e;
        if (len && e[-1] == '\r') {
            len--;
            rec->end = e - 1;
        }
        put_span(spans, max_spans, n, p, len, 0, f);
        n++;
        rec->next = e < end ? e + 1 : e;
        break;
    }
    rec->nfields = n;
    if ((size_t)(rec->next - start) > CSV_MAX_RECORD)
        return CSV_E_RECORD;
    return CSV_REC;
}

void csv_unescape(csv_span *s, char *out)
{
    const char *p = s->p, *e = p + s->len;
    char *o = out;
    while (p < e) {
        const char *q = memchr(p, '"', (size_t)(e - p));
        if (!q) {
            memcpy(o, p, (size_t)(e - p));
            o += e - p;
            break;
        }
        /* Inside quoted content quotes come in pairs: keep one of each. */
        memcpy(o, p, (size_t)(q + 1 - p));
        o += q + 1 - p;
        p = q + 2;
    }
    s->p = out;
    s->len = (uint32_t)(o - out);
    s->flags = (s->flags & ~(uint32_t)CSV_ESCAPED) | CSV_UNESCAPED;
}

/* ---- null tokens ------------------------------------------------------ */

int csv_nullset_init(csv_nullset *ns, const char *list)
{
    memset(ns, 0, sizeof *ns);
    if (!list)
        list = SRC_DEFAULT_NULLS;
    size_t n = strlen(list), max = 1;
    for (size_t i = 0; i < n; i++)
        max += list[i] == ',';
    ns->text = malloc(n + 1);
    ns->tok = malloc(max * sizeof *ns->tok);
    ns->len = malloc(max * sizeof *ns->len);
    if (!ns->text || !ns->tok || !ns->len) {
        csv_nullset_free(ns);
        return -1;
    }
    memcpy(ns->text, list, n + 1);
    const char *p = ns->text, *end = ns->text + n;
    while (p <= end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        if (!c)
            c = end;
        const char *a = p, *b = c;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        size_t len = (size_t)(b - a);
        if (len) {
            ns->tok[ns->count] = a;
            ns->len[ns->count] = (uint32_t)len;
            ns->count++;
            if (len < 64)
                ns->lenmask |= (uint64_t)1 << len;
            else
                ns->long_tokens = true;
        }
        p = c + 1;
    }
    return 0;
}

void csv_nullset_free(csv_nullset *ns)
{
    free(ns->text);
    free(ns->tok);
    free(ns->len);
    memset(ns, 0, sizeof *ns);
}

/* ---- byte helpers ------------------------------------------------------ */

size_t csv_utf8_check(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (len - i >= 8) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            if (!(w & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        unsigned c = u[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t more;
        if (c >= 0xC2 && c <= 0xDF)
            more = 1;
        else if (c >= 0xE0 && c <= 0xEF)
            more = 2;
        else if (c >= 0xF0 && c <= 0xF4)
            more = 3;
        else
            return i;
        if (len - i - 1 < more)
            return i;
        unsigned c1 = u[i + 1];
        if ((c1 & 0xC0) != 0x80 || (c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) ||
            (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F))
            return i;
        for (size_t k = 2; k <= more; k++)
            if ((u[i + k] & 0xC0) != 0x80)
                return i;
        i += more + 1;
    }
    return len;
}

#ifdef __SSE2__
/* Adds the byte counts of an epi8 accumulator (each lane < 256) to *total. */
static inline void flush_counts(__m128i acc, size_t *total)
{
    __m128i s = _mm_sad_epu8(acc, _mm_setzero_si128());
    *total += (size_t)_mm_cvtsi128_si32(s) + (size_t)_mm_extract_epi16(s, 4);
}
#endif

size_t csv_count_newlines(const char *p, const char *end)
{
    size_t nl = 0;
#ifdef __SSE2__
    const __m128i vn = _mm_set1_epi8('\n');
    while (end - p >= 16) {
        size_t blocks = (size_t)(end - p) / 16;
        if (blocks > 255)
            blocks = 255;
        __m128i acc = _mm_setzero_si128();
        for (size_t i = 0; i < blocks; i++, p += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(x, vn));
        }
        flush_counts(acc, &nl);
    }
#endif
    for (; p < end; p++)
        nl += *p == '\n';
    return nl;
}

void csv_count_nl_quotes(const char *p, const char *end, size_t *newlines, size_t *quotes)
{
    size_t nl = 0, qt = 0;
#ifdef __SSE2__
    const __m128i vn = _mm_set1_epi8('\n'), vq = _mm_set1_epi8('"');
    while (end - p >= 16) {
        size_t blocks = (size_t)(end - p) / 16;
        if (blocks > 255)
            blocks = 255;
        __m128i an = _mm_setzero_si128(), aq = _mm_setzero_si128();
        for (size_t i = 0; i < blocks; i++, p += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
            an = _mm_sub_epi8(an, _mm_cmpeq_epi8(x, vn));
            aq = _mm_sub_epi8(aq, _mm_cmpeq_epi8(x, vq));
        }
        flush_counts(an, &nl);
        flush_counts(aq, &qt);
    }
#endif
    for (; p < end; p++) {
        nl += *p == '\n';
        qt += *p == '"';
    }
    *newlines = nl;
    *quotes = qt;
}

char csv_detect_delimiter(const char *p, const char *end, bool at_eof)
{
    static const char cand[] = {',', '\t', ';', '|'};
    char best = ',';
    size_t best_agree = 0, best_total = 1, best_n0 = 0;
    for (size_t c = 0; c < sizeof cand; c++) {
        const char *q = p;
        size_t n0 = 0, total = 0, agree = 0;
        while (total < 20 && q < end) {
            csv_span first;
            csv_record rec;
            if (csv_scan_record(q, end, at_eof, cand[c], &first, 1, &rec) != CSV_REC)
                break;
            q = rec.next;
            if (csv_record_blank(&rec, &first))
                continue;
            if (total == 0)
                n0 = rec.nfields;
            total++;
            agree += rec.nfields == n0;
        }
        if (n0 <= 1)
            continue;
        /* Higher agreement wins, then more fields, then the earlier candidate. */
        size_t lhs = agree * best_total, rhs = best_agree * total;
        if (lhs > rhs || (lhs == rhs && n0 > best_n0)) {
            best = cand[c];
            best_agree = agree;
            best_total = total;
            best_n0 = n0;
        }
    }
    return best;
}
