/*
 * csv_scan.h — internal to the CSV module: the record tokenizer and the
 * byte-level helpers (null tokens, UTF-8 validation, delimiter detection,
 * newline/quote counting) that csv.c's whole-file and streaming readers
 * share.  Nothing here allocates except csv_nullset_init.
 *
 * Contract
 *  - Every function works on spans [p, end): no NUL termination is assumed
 *    and none is looked for; a NUL byte is an ordinary byte.
 *  - csv_scan_record reads exactly one record (RFC 4180; a quote inside an
 *    unquoted field is literal; CRLF or LF ends a record) and fills up to
 *    max_spans field spans, counting every field.  With at_eof false it
 *    answers CSV_MORE instead of guessing when the record may continue past
 *    end.  Fields with doubled quotes are left escaped (CSV_ESCAPED): the
 *    caller unescapes them with csv_unescape when it needs their text.
 */
#ifndef ML_DATA_CSV_SCAN_H
#define ML_DATA_CSV_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Hard caps (STYLE 12): a record, and the fields of one record. */
#define CSV_MAX_RECORD ((size_t)64 << 20)
#define CSV_MAX_RECORD_TEXT "64 MiB"
#define CSV_MAX_FIELDS 100000

enum {
    CSV_QUOTED = 1,    /* the field was quoted */
    CSV_ESCAPED = 2,   /* quoted with doubled quotes inside; p/len are the raw content */
    CSV_UNESCAPED = 4, /* csv_unescape ran: p points into the caller's scratch */
};

typedef struct csv_span {
    const char *p;   /* content: after the opening quote when quoted */
    uint32_t len;    /* content bytes (raw, still escaped, when CSV_ESCAPED) */
    uint32_t flags;  /* CSV_QUOTED | CSV_ESCAPED */
    const char *raw; /* first byte of the field in the input (the quote when quoted) */
} csv_span;

typedef enum csv_scan_rc {
    CSV_REC = 0,       /* a record was read */
    CSV_MORE,          /* the record may continue past end (only when !at_eof) */
    CSV_E_QUOTE,       /* unterminated quoted field; err_at = the opening quote */
    CSV_E_AFTER_QUOTE, /* a byte after a closing quote that is no delimiter or line end */
    CSV_E_FIELDS,      /* more than CSV_MAX_FIELDS fields; err_at = the first field too many */
    CSV_E_RECORD,      /* a field or record longer than CSV_MAX_RECORD; err_at = record start */
} csv_scan_rc;

typedef struct csv_record {
    size_t nfields;     /* every field, also those past max_spans */
    const char *end;    /* where the record's text ends: its '\n', the '\r' of CRLF, or end */
    const char *next;   /* first byte of the next record */
    const char *err_at; /* position of an error */
    bool escaped;       /* some stored span is CSV_ESCAPED */
} csv_record;

/* Reads the record starting at p (p < end).  See the contract above. */
csv_scan_rc csv_scan_record(const char *p, const char *end, bool at_eof, char delim,
                            csv_span *spans, size_t max_spans, csv_record *rec);

/* A record that is one empty unquoted field: an empty line, skipped by readers. */
static inline bool csv_record_blank(const csv_record *rec, const csv_span *spans)
{
    return rec->nfields == 1 && spans[0].len == 0 && !(spans[0].flags & CSV_QUOTED);
}

/* Writes the content of s (CSV_ESCAPED) with doubled quotes undone to out,
 * which holds s->len bytes, and points s at it (flags gain CSV_UNESCAPED). */
void csv_unescape(csv_span *s, char *out);

/* ---- null tokens ------------------------------------------------------ */

typedef struct csv_nullset {
    uint64_t lenmask; /* bit n: some token has length n (n < 64) */
    bool long_tokens; /* some token is 64 bytes or longer */
    size_t count;
    const char **tok; /* into text */
    uint32_t *len;
    char *text; /* owned copy of the option string */
} csv_nullset;

/* Parses a comma-separated token list (NULL: the defaults).  0, or -1 on
 * out of memory. */
int csv_nullset_init(csv_nullset *ns, const char *list);
void csv_nullset_free(csv_nullset *ns);

/* True for an empty or blank-only cell, or one whose blank-trimmed text is a token. */
static inline bool csv_is_null(const csv_nullset *ns, const char *s, size_t len)
{
    if (len == 0)
        return true;
    if (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t') {
        while (len && (*s == ' ' || *s == '\t')) {
            s++;
            len--;
        }
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        if (len == 0)
            return true;
    }
    if (len < 64 ? !((ns->lenmask >> len) & 1) : !ns->long_tokens)
        return false;
    for (size_t i = 0; i < ns->count; i++)
        if (ns->len[i] == len && memcmp(ns->tok[i], s, len) == 0)
            return true;
    return false;
}

/* ---- byte helpers ------------------------------------------------------ */

/* Offset of the first byte that is not part of valid UTF-8, or len when all is valid
 * (no overlongs, no surrogates, nothing above U+10FFFF). */
size_t csv_utf8_check(const char *s, size_t len);

/* '\n' bytes in [p, end). */
size_t csv_count_newlines(const char *p, const char *end);
/* '\n' and '"' bytes in [p, end). */
void csv_count_nl_quotes(const char *p, const char *end, size_t *newlines, size_t *quotes);

/* Picks the delimiter among , \t ; | from the first records of [p, end):
 * the candidate whose first record has more than one field and which most
 * of the sampled records agree with; ',' when none splits the first record. */
char csv_detect_delimiter(const char *p, const char *end, bool at_eof);

#endif
