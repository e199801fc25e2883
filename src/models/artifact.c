/*
 * artifact.c — writing and loading `.mloop` artifacts.
 *
 * Writing
 *  The whole file is built in memory first (artifacts are models, not
 *  datasets: megabytes, not gigabytes), so the SHA-256 trailer is computed
 *  over exactly the bytes that go to disk and there is a single write path.
 *  Each section is compressed with zstd level 3 and stored raw instead when
 *  that does not make it smaller (empty and incompressible sections).  The
 *  bytes go to `.NAME.tmp.XXXXXX` beside the destination (same file system,
 *  so rename is atomic), are fsync'd, renamed over the destination, and the
 *  directory is fsync'd so the rename itself survives a crash.  Any failure
 *  unlinks the temporary file.
 *
 * Loading: the order of checks, and why
 *  1. Structure, cheapest first: magic, minimum size, format version,
 *     section count (<= 64), the table inside the file, then every entry:
 *     known codec, payload inside the payload region (between the table and
 *     the SHA trailer; computed without overflow), raw_len <= 4 GiB, stored
 *     sections with stored_len == raw_len, no two payloads overlapping.
 *     These give precise messages and allocate nothing.
 *  2. Each section is decompressed and its XXH64 checked, in table order.
 *     The zstd frame must be exactly one frame of exactly stored_len bytes
 *     whose declared content size equals raw_len and which its own block
 *     headers can actually produce (ZSTD_decompressBound), so no allocation
 *     is larger than the compressed bytes can expand to; the decompressed
 *     size is then checked exactly.  A mismatch names the section ("model
 *     section checksum mismatch"), which tells a user more than a whole-file
 *     mismatch would.
 *  3. Last, the SHA-256 of the whole file against its trailer, catching
 *     corruption anywhere else (the header, gaps, the trailer itself).
 *  Doing the section checks before the SHA means a random flip in a
 *  payload is reported by section, and lets a fuzzer reach the decoder
 *  without forging hashes.  It costs nothing in safety: accidental damage
 *  cannot make two independent fields (raw_len and the frame's content
 *  size) agree on a huge size, and a deliberate forger could recompute the
 *  SHA anyway.
 *
 *  Versions: a newer version than ART_FORMAT_VERSION is refused with
 *  ML_EUNSUPPORTED before anything else is read; older ones go through
 *  entry_size/read_entry, which keep a case per version ever written, so a
 *  format change adds a case and never removes one.  Messages name the
 *  section and the file offset of the table entry or payload at fault.
 *
 *  Loaded section bytes are copied (or decompressed) into buffers the
 *  art_file owns, so the input may be unmapped as soon as the load returns.
 *  Unknown section kinds are verified and kept like the others.
 */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_decompressBound */
#include "models/artifact.h"

#include "core/buf.h"
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#define ART_MAGIC "MLOOPART"
#define ART_HEADER_SIZE 16 /* magic, version, count */
#define ART_ENTRY_SIZE 40  /* kind, codec, offset, stored_len, raw_len, xxh64 */
#define ART_SHA_SIZE 32
#define ART_MAX_RAW ((uint64_t)4 << 30)
#define ART_ZSTD_LEVEL 3

enum { CODEC_STORED = 0, CODEC_ZSTD = 1 };

struct art_file {
    uint32_t version;
    char sha[65];
    size_t n;
    struct {
        uint32_t kind;
        uint8_t *data; /* malloc'd, never NULL (1 byte for an empty section) */
        size_t len;
    } sec[ART_MAX_SECTIONS];
};

/* "model section", or "section of kind 9" for kinds this version does not name. */
static const char *section_label(uint32_t kind, char *buf, size_t size)
{
    static const char *const names[] = {NULL, "schema", "pipeline", "model", "profile", "metadata"};
    if (kind >= 1 && kind < sizeof names / sizeof names[0])
        snprintf(buf, size, "%s section", names[kind]);
    else
        snprintf(buf, size, "section of kind %u", (unsigned)kind);
    return buf;
}

static void sha256(const void *p, size_t len, uint8_t out[ART_SHA_SIZE])
{
    unsigned int n = 0;
    if (!EVP_Digest(p, len, out, &n, EVP_sha256(), NULL))
        memset(out, 0, ART_SHA_SIZE); /* cannot happen with the default provider */
}

static void to_hex(const uint8_t *digest, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < ART_SHA_SIZE; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[64] = '\0';
}

/* ---- writing ------------------------------------------------------------ */

/* Encodes the sections into one buffer (header, table, payloads, SHA). */
static int encode(const art_section *sections, size_t n, ml_wbuf *w, ml_error *err)
{
    int rc = ML_OK;
    uint8_t **comp = calloc(n ? n : 1, sizeof *comp);
    size_t *clen = calloc(n ? n : 1, sizeof *clen);
    if (!comp || !clen) {
        rc = ml_err(err, ML_ENOMEM, "out of memory compressing the artifact");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = sections[i].len;
        if (len == 0)
            continue;
        size_t bound = ZSTD_compressBound(len);
        comp[i] = malloc(bound);
        if (!comp[i]) {
            rc = ml_err(err, ML_ENOMEM, "out of memory compressing the artifact");
            goto done;
        }
        size_t z = ZSTD_compress(comp[i], bound, sections[i].data, len, ART_ZSTD_LEVEL);
        if (ZSTD_isError(z) || z >= len) { /* no gain: store raw */
            free(comp[i]);
            comp[i] = NULL;
        } else {
            clen[i] = z;
        }
    }
    wbuf_bytes(w, ART_MAGIC, 8);
    wbuf_u32(w, ART_FORMAT_VERSION);
    wbuf_u32(w, (uint32_t)n);
    uint64_t offset = ART_HEADER_SIZE + (uint64_t)n * ART_ENTRY_SIZE;
    for (size_t i = 0; i < n; i++) {
        uint64_t stored = comp[i] ? clen[i] : sections[i].len;
        wbuf_u32(w, sections[i].kind);
        wbuf_u32(w, comp[i] ? CODEC_ZSTD : CODEC_STORED);
        wbuf_u64(w, offset);
        wbuf_u64(w, stored);
        wbuf_u64(w, sections[i].len);
        wbuf_u64(w, XXH64(sections[i].len ? sections[i].data : "", sections[i].len, 0));
        offset += stored;
    }
    for (size_t i = 0; i < n; i++) {
        if (comp[i])
            wbuf_bytes(w, comp[i], clen[i]);
        else if (sections[i].len)
            wbuf_bytes(w, sections[i].data, sections[i].len);
    }
    rc = wbuf_status(w, err);
    if (!rc) {
        uint8_t digest[ART_SHA_SIZE];
        sha256(w->data, w->len, digest);
        wbuf_bytes(w, digest, sizeof digest);
        rc = wbuf_status(w, err);
    }
done:
    for (size_t i = 0; comp && i < n; i++)
        free(comp[i]);
    free(comp);
    free(clen);
    return rc;
}

/* Writes all bytes to a temporary beside path and renames it over path. */
static int write_atomically(const char *path, const uint8_t *p, size_t len, ml_error *err)
{
    char *tmp;
    int fd = ml_file_temp_beside(path, &tmp);
    if (fd < 0)
        return ml_err(err, errno == ENOMEM ? ML_ENOMEM : ML_EIO,
                      "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
    int rc = ML_OK;
    if (fchmod(fd, ml_file_new_mode()) != 0)
        rc = ml_err(err, ML_EIO, "%s: cannot set permissions: %s", path, strerror(errno));
    for (size_t done = 0; !rc && done < len;) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = ml_err(err, ML_EIO, "%s: write error: %s", path,
                        w < 0 ? strerror(errno) : "no progress");
        else
            done += (size_t)w;
    }
    if (!rc && fsync(fd) != 0)
        rc = ml_err(err, ML_EIO, "%s: cannot sync: %s", path, strerror(errno));
    if (close(fd) != 0 && !rc)
        rc = ml_err(err, ML_EIO, "%s: write error: %s", path, strerror(errno));
    if (!rc && rename(tmp, path) != 0)
        rc = ml_err(err, ML_EIO, "%s: cannot rename the temporary file: %s", path, strerror(errno));
    if (rc)
        unlink(tmp);
    else
        ml_fsync_dir_of(path);
    free(tmp);
    return rc;
}

int art_write(const char *path, const art_section *sections, size_t n, char *sha256_hex,
              ml_error *err)
{
    if (n > ART_MAX_SECTIONS)
        return ml_err(err, ML_EINVAL, "%s: %zu sections, at most %d fit in an artifact", path, n,
                      ART_MAX_SECTIONS);
    char label[64];
    for (size_t i = 0; i < n; i++) {
        if (sections[i].len > ART_MAX_RAW)
            return ml_err(err, ML_ELIMIT, "%s: %s is %zu bytes, more than the 4 GiB limit", path,
                          section_label(sections[i].kind, label, sizeof label), sections[i].len);
        if (sections[i].len && !sections[i].data)
            return ml_err(err, ML_EINVAL, "%s: %s has no data", path,
                          section_label(sections[i].kind, label, sizeof label));
    }
    ml_wbuf w;
    wbuf_init(&w);
    int rc = encode(sections, n, &w, err);
    if (rc) {
        wbuf_free(&w);
        ml_err_prefix(err, "%s", path);
        return rc;
    }
    rc = write_atomically(path, w.data, w.len, err);
    if (!rc && sha256_hex)
        to_hex(w.data + w.len - ART_SHA_SIZE, sha256_hex);
    wbuf_free(&w);
    return rc;
}

/* ---- loading ------------------------------------------------------------ */

typedef struct entry {
    uint32_t kind, codec;
    uint64_t offset, stored, raw, xxh;
} entry;

/* Bytes per table entry in each format version; 0 for versions this mloop
 * cannot read.  A future version that changes the entry layout adds a row
 * here and a case in read_entry, and keeps the old ones, so every artifact
 * ever written keeps loading. */
static size_t entry_size(uint32_t version)
{
    switch (version) {
    case 1:
        return ART_ENTRY_SIZE;
    default:
        return 0;
    }
}

static int read_entry(uint32_t version, ml_rbuf *r, entry *e, ml_error *err)
{
    switch (version) {
    case 1: {
        int rc = rbuf_u32(r, &e->kind, "section kind", err);
        rc = rc ? rc : rbuf_u32(r, &e->codec, "section codec", err);
        rc = rc ? rc : rbuf_u64(r, &e->offset, "section offset", err);
        rc = rc ? rc : rbuf_u64(r, &e->stored, "section stored length", err);
        rc = rc ? rc : rbuf_u64(r, &e->raw, "section raw length", err);
        return rc ? rc : rbuf_u64(r, &e->xxh, "section checksum", err);
    }
    default:
        return ml_err(err, ML_EUNSUPPORTED, "artifact format version %u has no table layout",
                      (unsigned)version);
    }
}

static int check_entries(const entry *e, size_t n, size_t esize, uint64_t begin, uint64_t end,
                         ml_error *err)
{
    char label[64];
    for (size_t i = 0; i < n; i++) {
        const char *what = section_label(e[i].kind, label, sizeof label);
        size_t at = ART_HEADER_SIZE + i * esize; /* of the table entry */
        if (e[i].codec != CODEC_STORED && e[i].codec != CODEC_ZSTD)
            return ml_err(err, ML_EFORMAT,
                          "%s uses unknown compression codec %u (table entry at offset %zu)", what,
                          (unsigned)e[i].codec, at);
        if (e[i].offset < begin || e[i].offset > end || e[i].stored > end - e[i].offset)
            return ml_err(err, ML_EFORMAT,
                          "%s lies outside the file (offset %llu, %llu bytes; payloads span "
                          "%llu..%llu)",
                          what, (unsigned long long)e[i].offset, (unsigned long long)e[i].stored,
                          (unsigned long long)begin, (unsigned long long)end);
        if (e[i].raw > ART_MAX_RAW)
            return ml_err(err, ML_ELIMIT,
                          "%s claims %llu bytes, more than the 4 GiB limit (table entry at offset "
                          "%zu)",
                          what, (unsigned long long)e[i].raw, at);
        if (e[i].codec == CODEC_STORED && e[i].stored != e[i].raw)
            return ml_err(err, ML_EFORMAT,
                          "%s is stored uncompressed but its lengths differ (%llu stored, %llu "
                          "raw; table entry at offset %zu)",
                          what, (unsigned long long)e[i].stored, (unsigned long long)e[i].raw, at);
    }
    /* Both ranges are in bounds, so the sums cannot overflow. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (e[i].stored && e[j].stored && e[i].offset < e[j].offset + e[j].stored &&
                e[j].offset < e[i].offset + e[i].stored)
                return ml_err(err, ML_EFORMAT,
                              "sections %zu and %zu overlap (offsets %llu..%llu and %llu..%llu)",
                              i + 1, j + 1, (unsigned long long)e[i].offset,
                              (unsigned long long)(e[i].offset + e[i].stored),
                              (unsigned long long)e[j].offset,
                              (unsigned long long)(e[j].offset + e[j].stored));
    return ML_OK;
}

/* Decompresses (or copies) one verified-in-bounds entry and checks its XXH64. */
static int load_section(const uint8_t *file, const entry *e, uint8_t **out, ml_error *err)
{
    char label[64];
    const char *what = section_label(e->kind, label, sizeof label);
    const uint8_t *src = file + e->offset;
    size_t stored = (size_t)e->stored, raw = (size_t)e->raw;
    if (e->codec == CODEC_ZSTD) {
        unsigned long long content = ZSTD_getFrameContentSize(src, stored);
        if (content == ZSTD_CONTENTSIZE_ERROR || content == ZSTD_CONTENTSIZE_UNKNOWN)
            return ml_err(err, ML_EFORMAT, "%s is not a zstd frame with a known size (offset %llu)",
                          what, (unsigned long long)e->offset);
        if (content != e->raw)
            return ml_err(err, ML_EFORMAT,
                          "%s: zstd frame holds %llu bytes, the table says %llu (offset %llu)",
                          what, content, (unsigned long long)e->raw, (unsigned long long)e->offset);
        size_t frame = ZSTD_findFrameCompressedSize(src, stored);
        if (ZSTD_isError(frame) || frame != stored)
            return ml_err(err, ML_EFORMAT,
                          "%s is not exactly one zstd frame of %zu bytes (offset %llu)", what,
                          stored, (unsigned long long)e->offset);
        unsigned long long bound = ZSTD_decompressBound(src, stored);
        if (bound == ZSTD_CONTENTSIZE_ERROR || bound < content)
            return ml_err(err, ML_EFORMAT,
                          "%s: zstd frame cannot hold the %llu bytes it declares (offset %llu)",
                          what, content, (unsigned long long)e->offset);
    }
    uint8_t *dst = malloc(raw ? raw : 1);
    if (!dst)
        return ml_err(err, ML_ENOMEM, "out of memory loading the %s (%zu bytes)", what, raw);
    if (e->codec == CODEC_ZSTD) {
        size_t got = ZSTD_decompress(dst, raw, src, stored);
        if (ZSTD_isError(got) || got != raw) {
            free(dst);
            return ml_err(err, ML_EFORMAT, "%s does not decompress: %s (offset %llu)", what,
                          ZSTD_isError(got) ? ZSTD_getErrorName(got) : "wrong size",
                          (unsigned long long)e->offset);
        }
    } else if (raw) {
        memcpy(dst, src, raw);
    }
    if (XXH64(dst, raw, 0) != e->xxh) {
        free(dst);
        return ml_err(err, ML_EFORMAT, "%s checksum mismatch: the file is corrupted", what);
    }
    *out = dst;
    return ML_OK;
}

int art_read_buffer(const void *p, size_t len, art_file **out, ml_error *err)
{
    *out = NULL;
    const uint8_t *bytes = p;
    if (len < 8 || memcmp(bytes, ART_MAGIC, 8) != 0)
        return ml_err(err, ML_EFORMAT, "not an mloop artifact");
    if (len < ART_HEADER_SIZE + ART_SHA_SIZE)
        return ml_err(err, ML_EFORMAT, "truncated artifact: %zu bytes, at least %d needed", len,
                      ART_HEADER_SIZE + ART_SHA_SIZE);
    ml_rbuf r;
    rbuf_init(&r, bytes, len - ART_SHA_SIZE, "artifact");
    r.pos = 8; /* past the magic, so errors give file offsets */
    uint32_t version = 0, count = 0;
    int rc = rbuf_u32(&r, &version, "format version", err);
    if (!rc)
        rc = rbuf_u32(&r, &count, "section count", err);
    if (rc)
        return rc;
    if (version > ART_FORMAT_VERSION)
        return ml_err(err, ML_EUNSUPPORTED,
                      "artifact format version %u is newer than this mloop supports (%d)",
                      (unsigned)version, ART_FORMAT_VERSION);
    size_t esize = entry_size(version);
    if (esize == 0)
        return ml_err(err, ML_EFORMAT, "artifact format version %u is invalid", (unsigned)version);
    if (count > ART_MAX_SECTIONS)
        return ml_err(err, ML_EFORMAT, "artifact has %u sections, at most %d are allowed",
                      (unsigned)count, ART_MAX_SECTIONS);
    uint64_t table_end = ART_HEADER_SIZE + (uint64_t)count * esize;
    uint64_t payload_end = len - ART_SHA_SIZE;
    if (table_end > payload_end)
        return ml_err(err, ML_EFORMAT,
                      "truncated artifact: %u sections need %llu bytes before the checksum, the "
                      "file has %llu",
                      (unsigned)count, (unsigned long long)table_end,
                      (unsigned long long)payload_end);
    entry e[ART_MAX_SECTIONS];
    for (uint32_t i = 0; i < count && !rc; i++)
        rc = read_entry(version, &r, &e[i], err);
    if (rc)
        return rc;
    rc = check_entries(e, count, esize, table_end, payload_end, err);
    if (rc)
        return rc;

    art_file *f = calloc(1, sizeof *f);
    if (!f)
        return ml_err(err, ML_ENOMEM, "out of memory loading an artifact");
    f->version = version;
    for (uint32_t i = 0; i < count; i++) {
        rc = load_section(bytes, &e[i], &f->sec[i].data, err);
        if (rc)
            break;
        f->sec[i].kind = e[i].kind;
        f->sec[i].len = (size_t)e[i].raw;
        f->n = i + 1;
    }
    if (!rc) {
        uint8_t digest[ART_SHA_SIZE];
        sha256(bytes, len - ART_SHA_SIZE, digest);
        if (memcmp(digest, bytes + len - ART_SHA_SIZE, ART_SHA_SIZE) != 0)
            rc = ml_err(err, ML_EFORMAT, "artifact checksum mismatch: the file is corrupted");
        else
            to_hex(digest, f->sha);
    }
    if (rc) {
        art_file_free(f);
        return rc;
    }
    *out = f;
    return ML_OK;
}

int art_read(const char *path, art_file **out, ml_error *err)
{
    *out = NULL;
    ml_file file;
    int rc = ml_file_load(path, &file, err);
    if (rc)
        return rc; /* already names the path */
    rc = art_read_buffer(file.data, file.len, out, err);
    ml_file_release(&file);
    if (rc)
        ml_err_prefix(err, "%s", path);
    return rc;
}

const void *art_section_data(const art_file *f, uint32_t kind, size_t *len)
{
    for (size_t i = 0; i < f->n; i++) {
        if (f->sec[i].kind == kind) {
            *len = f->sec[i].len;
            return f->sec[i].data;
        }
    }
    *len = 0;
    return NULL;
}

const char *art_sha256(const art_file *f)
{
    return f->sha;
}

uint32_t art_format_version(const art_file *f)
{
    return f->version;
}

void art_file_free(art_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        free(f->sec[i].data);
    free(f);
}
