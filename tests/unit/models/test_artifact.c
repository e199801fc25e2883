/*
 * Unit tests for src/models/artifact.c: round trips, atomic writes, and a
 * loader that survives every truncation, every bit flip and hand-built
 * hostile tables.
 *
 * Check order (see artifact.c): structure first, then each section's zstd
 * frame and XXH64, then the whole-file SHA-256.  Tests of structural errors
 * reseal the SHA anyway, so they would hold under either order.
 */
#include "test_util.h"

#include "core/file.h"
#include "models/artifact.h"

#include <dirent.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#define ENTRY(i) (16 + 40 * (size_t)(i))

static char tmpdir[256];

static int make_tmpdir(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/mloop-art-XXXXXX", t ? t : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *de;
        char p[600];
        while ((de = readdir(d)))
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
                snprintf(p, sizeof p, "%s/%s", tmpdir, de->d_name);
                if (rmdir(p) != 0)
                    unlink(p);
            }
        closedir(d);
    }
    rmdir(tmpdir);
    return 0;
}

static const char *tmp_path(const char *name)
{
    static char p[8][512];
    static int slot;
    slot = (slot + 1) % 8;
    snprintf(p[slot], sizeof p[slot], "%s/%s", tmpdir, name);
    return p[slot];
}

static size_t count_entries(void)
{
    size_t n = 0;
    DIR *d = opendir(tmpdir);
    struct dirent *de;
    while ((de = readdir(d)))
        n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
    closedir(d);
    return n;
}

/* The whole file in a malloc'd buffer of exactly its size (so ASan sees overreads). */
static uint8_t *slurp(const char *path, size_t *len)
{
    ml_file f;
    ml_error err = {0};
    assert_int_equal(ml_file_load(path, &f, &err), ML_OK);
    uint8_t *p = malloc(f.len ? f.len : 1);
    memcpy(p, f.data, f.len);
    *len = f.len;
    ml_file_release(&f);
    return p;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Recomputes the SHA-256 trailer after a test edits the bytes. */
static void reseal(uint8_t *p, size_t len)
{
    unsigned int n;
    assert_int_equal(EVP_Digest(p, len - 32, p + len - 32, &n, EVP_sha256(), NULL), 1);
}

static char model_bytes[200];

/* schema (stored), model (zstd), metadata (stored): a small artifact. */
static uint8_t *small_artifact(size_t *len)
{
    memset(model_bytes, 'm', sizeof model_bytes);
    art_section s[] = {
        {ART_SCHEMA, "schema-bytes", 12},
        {ART_MODEL, model_bytes, sizeof model_bytes},
        {ART_METADATA, "{}", 2},
    };
    ml_error err = {0};
    const char *path = tmp_path("small.mloop");
    assert_int_equal(art_write(path, s, 3, NULL, &err), ML_OK);
    uint8_t *p = slurp(path, len);
    unlink(path);
    assert_int_equal(p[ENTRY(0) + 4], 0); /* stored */
    assert_int_equal(p[ENTRY(1) + 4], 1); /* zstd */
    return p;
}

static int load(const uint8_t *p, size_t len, ml_error *err)
{
    art_file *f = (art_file *)1;
    int rc = art_read_buffer(p, len, &f, err);
    if (rc)
        assert_null(f);
    art_file_free(f);
    return rc;
}

static void round_trips(void **state)
{
    (void)state;
    size_t big_len = 1 << 20;
    char *big = malloc(big_len);
    for (size_t i = 0; i < big_len; i++)
        big[i] = "abcdefgh"[(i / 7) % 8];
    uint8_t noise[1000];
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < sizeof noise; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        noise[i] = (uint8_t)x;
    }
    const char *json = "{\"name\":\"churn\"}";
    art_section s[] = {
        {ART_SCHEMA, "a,b,c", 5},  {ART_PIPELINE, NULL, 0},
        {ART_MODEL, big, big_len}, {ART_PROFILE, noise, sizeof noise},
        {99, "future", 6},         {ART_METADATA, json, strlen(json)},
    };
    ml_error err = {0};
    char hex[65];
    const char *path = tmp_path("rt.mloop");
    assert_int_equal(art_write(path, s, 6, hex, &err), ML_OK);
    assert_int_equal(strlen(hex), 64);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size < 100000); /* the big section compressed */

    art_file *f = NULL;
    assert_int_equal(art_read(path, &f, &err), ML_OK);
    assert_string_equal(art_sha256(f), hex);
    assert_int_equal(art_format_version(f), 1);
    size_t len;
    const void *d = art_section_data(f, ART_SCHEMA, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(d, "a,b,c", 5);
    d = art_section_data(f, ART_PIPELINE, &len);
    assert_non_null(d); /* present but empty */
    assert_int_equal(len, 0);
    d = art_section_data(f, ART_MODEL, &len);
    assert_int_equal(len, big_len);
    assert_memory_equal(d, big, big_len);
    d = art_section_data(f, ART_PROFILE, &len);
    assert_int_equal(len, sizeof noise);
    assert_memory_equal(d, noise, sizeof noise);
    d = art_section_data(f, 99, &len);
    assert_int_equal(len, 6);
    assert_memory_equal(d, "future", 6);
    d = art_section_data(f, ART_METADATA, &len);
    assert_int_equal(len, strlen(json));
    assert_memory_equal(d, json, len);
    len = 123;
    assert_null(art_section_data(f, 42, &len));
    assert_int_equal(len, 0);
    art_file_free(f);

    /* Incompressible sections are stored raw. */
    size_t flen;
    uint8_t *p = slurp(path, &flen);
    assert_int_equal(p[ENTRY(3) + 4], 0);
    assert_int_equal(get_u64(p + ENTRY(3) + 16), sizeof noise);
    assert_int_equal(p[ENTRY(2) + 4], 1);
    free(p);
    unlink(path);

    /* No sections at all is a valid artifact. */
    assert_int_equal(art_write(path, NULL, 0, NULL, &err), ML_OK);
    assert_int_equal(art_read(path, &f, &err), ML_OK);
    assert_null(art_section_data(f, ART_MODEL, &len));
    art_file_free(f);
    unlink(path);
    free(big);
}

static void every_truncation_fails(void **state)
{
    (void)state;
    size_t len;
    uint8_t *p = small_artifact(&len);
    ml_error err = {0};
    assert_int_equal(load(p, len, &err), ML_OK);
    for (size_t n = 0; n < len; n++) {
        uint8_t *q = malloc(n ? n : 1);
        memcpy(q, p, n);
        int rc = load(q, n, &err);
        if (rc == ML_OK)
            fail_msg("a %zu-byte prefix of %zu loaded", n, len);
        assert_true(err.message[0] != '\0');
        free(q);
    }
    assert_error(load(p, 20, &err), err, ML_EFORMAT, "truncated artifact: 20 bytes");
    assert_error(load(p, 7, &err), err, ML_EFORMAT, "not an mloop artifact");
    free(p);
}

static void every_bit_flip_fails(void **state)
{
    (void)state;
    size_t len;
    uint8_t *p = small_artifact(&len);
    ml_error err = {0};
    for (size_t i = 0; i < len; i++) {
        for (int b = 0; b < 8; b++) {
            p[i] ^= (uint8_t)(1u << b);
            if (load(p, len, &err) == ML_OK)
                fail_msg("flipping bit %d of byte %zu went unnoticed", b, i);
            p[i] ^= (uint8_t)(1u << b);
        }
    }
    /* A flip in a payload names its section; one in the trailer, the file. */
    size_t schema_at = (size_t)get_u64(p + ENTRY(0) + 8);
    p[schema_at] ^= 1;
    assert_error(load(p, len, &err), err, ML_EFORMAT,
                 "schema section checksum mismatch: the file is corrupted");
    p[schema_at] ^= 1;
    size_t meta_at = (size_t)get_u64(p + ENTRY(2) + 8);
    p[meta_at + 1] ^= 1;
    assert_error(load(p, len, &err), err, ML_EFORMAT, "metadata section checksum mismatch");
    p[meta_at + 1] ^= 1;
    p[len - 1] ^= 1;
    assert_error(load(p, len, &err), err, ML_EFORMAT,
                 "artifact checksum mismatch: the file is corrupted");
    p[len - 1] ^= 1;
    /* The model checksum itself, even with a valid SHA. */
    p[ENTRY(1) + 32] ^= 1;
    reseal(p, len);
    assert_error(load(p, len, &err), err, ML_EFORMAT,
                 "model section checksum mismatch: the file is corrupted");
    free(p);
}

static void refuses_foreign_and_future_files(void **state)
{
    (void)state;
    size_t len;
    uint8_t *p = small_artifact(&len);
    ml_error err = {0};
    p[0] = 'X';
    assert_error(load(p, len, &err), err, ML_EFORMAT, "not an mloop artifact");
    p[0] = 'M';
    put_u32(p + 8, 2);
    reseal(p, len);
    assert_error(load(p, len, &err), err, ML_EUNSUPPORTED,
                 "artifact format version 2 is newer than this mloop supports (1)");
    put_u32(p + 8, 0);
    reseal(p, len);
    assert_error(load(p, len, &err), err, ML_EFORMAT, "artifact format version 0 is invalid");
    free(p);
    assert_error(load((const uint8_t *)"", 0, &err), err, ML_EFORMAT, "not an mloop artifact");
}

/* Edits one field of a fresh small artifact, reseals it and expects an error. */
static void expect_edit(size_t at, int width, uint64_t v, int code, const char *needle)
{
    size_t len;
    uint8_t *p = small_artifact(&len);
    if (width == 4)
        put_u32(p + at, (uint32_t)v);
    else
        put_u64(p + at, v);
    reseal(p, len);
    ml_error err = {0};
    assert_error(load(p, len, &err), err, code, needle);
    free(p);
}

static void refuses_hostile_tables(void **state)
{
    (void)state;
    /* Section count. */
    expect_edit(12, 4, 65, ML_EFORMAT, "artifact has 65 sections, at most 64 are allowed");
    expect_edit(12, 4, 40, ML_EFORMAT, "truncated artifact: 40 sections need 1616 bytes");
    /* Fewer sections than written: the rest is an ignored gap, and still loads. */
    {
        size_t len;
        uint8_t *p = small_artifact(&len);
        put_u32(p + 12, 1);
        reseal(p, len);
        ml_error err = {0};
        art_file *f = NULL;
        assert_int_equal(art_read_buffer(p, len, &f, &err), ML_OK);
        size_t n;
        assert_non_null(art_section_data(f, ART_SCHEMA, &n));
        assert_null(art_section_data(f, ART_MODEL, &n));
        art_file_free(f);
        free(p);
    }
    /* Offsets: into the table, past the end, overflowing. */
    expect_edit(ENTRY(0) + 8, 8, 0, ML_EFORMAT, "schema section lies outside the file");
    expect_edit(ENTRY(0) + 8, 8, 16 + 3 * 40 - 1, ML_EFORMAT, "lies outside the file");
    expect_edit(ENTRY(2) + 8, 8, 100000, ML_EFORMAT, "metadata section lies outside the file");
    expect_edit(ENTRY(2) + 8, 8, UINT64_MAX - 1, ML_EFORMAT, "lies outside the file");
    expect_edit(ENTRY(2) + 16, 8, UINT64_MAX, ML_EFORMAT, "lies outside the file");
    /* The last payload may not run into the SHA trailer. */
    expect_edit(ENTRY(2) + 16, 8, 3, ML_EFORMAT, "lies outside the file");
    /* Overlap: the metadata section pointed at the schema's bytes. */
    {
        size_t len;
        uint8_t *p = small_artifact(&len);
        uint64_t schema_at = get_u64(p + ENTRY(0) + 8);
        put_u64(p + ENTRY(2) + 8, schema_at + 1);
        reseal(p, len);
        ml_error err = {0};
        char want[128];
        snprintf(want, sizeof want, "sections 1 and 3 overlap (offsets %llu..%llu and %llu..",
                 (unsigned long long)schema_at, (unsigned long long)schema_at + 12,
                 (unsigned long long)schema_at + 1);
        assert_error(load(p, len, &err), err, ML_EFORMAT, want);
        free(p);
    }
    /* Lengths and codecs. */
    expect_edit(ENTRY(1) + 4, 4, 7, ML_EFORMAT,
                "model section uses unknown compression codec 7 (table entry at offset 56)");
    expect_edit(ENTRY(0) + 24, 8, 11, ML_EFORMAT,
                "schema section is stored uncompressed but its lengths differ (12 stored, 11 raw; "
                "table entry at offset 16)");
    expect_edit(ENTRY(1) + 24, 8, ((uint64_t)4 << 30) + 1, ML_ELIMIT,
                "model section claims 4294967297 bytes, more than the 4 GiB limit");
    expect_edit(ENTRY(1) + 24, 8, 100000, ML_EFORMAT,
                "model section: zstd frame holds 200 bytes, the table says 100000 (offset 148)");
    expect_edit(ENTRY(0) + 4, 4, 1, ML_EFORMAT, "schema section is not a zstd frame");
    /* A kind this version does not name is still verified, and named by number. */
    {
        size_t len;
        uint8_t *p = small_artifact(&len);
        put_u32(p + ENTRY(0), 77);
        p[ENTRY(0) + 32] ^= 1;
        reseal(p, len);
        ml_error err = {0};
        assert_error(load(p, len, &err), err, ML_EFORMAT, "section of kind 77 checksum mismatch");
        free(p);
    }
    /* A zstd section one byte shorter than its frame. */
    {
        size_t len;
        uint8_t *p = small_artifact(&len);
        put_u64(p + ENTRY(1) + 16, get_u64(p + ENTRY(1) + 16) - 1);
        reseal(p, len);
        ml_error err = {0};
        int rc = load(p, len, &err);
        assert_int_equal(rc, ML_EFORMAT);
        assert_non_null(strstr(err.message, "model section"));
        free(p);
    }
}

static void writes_atomically(void **state)
{
    (void)state;
    ml_error err = {0};
    art_section s1 = {ART_MODEL, "first", 5}, s2 = {ART_MODEL, "second", 6};
    /* A missing directory: ML_EIO and nothing created. */
    const char *missing = tmp_path("no-such-dir/x.mloop");
    size_t before = count_entries();
    assert_error(art_write(missing, &s1, 1, NULL, &err), err, ML_EIO,
                 "no-such-dir/x.mloop: cannot create a temporary file beside it");
    assert_int_equal(count_entries(), before);

    /* Overwriting replaces the file. */
    const char *path = tmp_path("over.mloop");
    char h1[65], h2[65];
    assert_int_equal(art_write(path, &s1, 1, h1, &err), ML_OK);
    assert_int_equal(art_write(path, &s2, 1, h2, &err), ML_OK);
    assert_string_not_equal(h1, h2);
    art_file *f = NULL;
    assert_int_equal(art_read(path, &f, &err), ML_OK);
    size_t len;
    const void *d = art_section_data(f, ART_MODEL, &len);
    assert_int_equal(len, 6);
    assert_memory_equal(d, "second", 6);
    assert_string_equal(art_sha256(f), h2);
    art_file_free(f);
    assert_int_equal(count_entries(), before + 1);
    unlink(path);

    /* A failed rename (the destination is a directory) leaves no temporary. */
    const char *dir = tmp_path("a-dir");
    assert_int_equal(mkdir(dir, 0700), 0);
    before = count_entries();
    assert_error(art_write(dir, &s1, 1, NULL, &err), err, ML_EIO,
                 "cannot rename the temporary file");
    assert_int_equal(count_entries(), before);
    rmdir(dir);

    /* Bad arguments. */
    art_section many[65] = {{0}};
    assert_error(art_write(path, many, 65, NULL, &err), err, ML_EINVAL,
                 "65 sections, at most 64 fit in an artifact");
    art_section nodata = {ART_MODEL, NULL, 3};
    assert_error(art_write(path, &nodata, 1, NULL, &err), err, ML_EINVAL,
                 "model section has no data");
    assert_int_equal(access(path, F_OK), -1);
}

static void read_names_the_path(void **state)
{
    (void)state;
    ml_error err = {0};
    art_file *f = (art_file *)1;
    const char *path = tmp_path("missing.mloop");
    assert_error(art_read(path, &f, &err), err, ML_EIO, "missing.mloop: cannot open");
    assert_null(f);
    path = tmp_path("text.mloop");
    FILE *fp = fopen(path, "w");
    fputs("hello, world\n", fp);
    fclose(fp);
    assert_int_equal(art_read(path, &f, &err), ML_EFORMAT);
    char want[600];
    snprintf(want, sizeof want, "%s: not an mloop artifact", path);
    assert_string_equal(err.message, want);
    unlink(path);
}

/* With MLOOP_WRITE_FUZZ_SEEDS=DIR, regenerates the fuzz seeds
 * (tests/fuzz/corpus/artifact): a mode byte (see fuzz_artifact.c), then a
 * small artifact with a stored, a zstd, an empty and a JSON section; and the
 * bare magic.  Otherwise does nothing. */
static void writes_fuzz_seeds(void **state)
{
    (void)state;
    const char *dir = getenv("MLOOP_WRITE_FUZZ_SEEDS");
    if (!dir || !*dir)
        skip();
    char model[300];
    memset(model, 'm', sizeof model);
    art_section s[] = {
        {ART_SCHEMA, "x:f64,y:str", 11},
        {ART_MODEL, model, sizeof model},
        {ART_PIPELINE, NULL, 0},
        {ART_METADATA, "{\"a\":1}", 7},
    };
    ml_error err = {0};
    const char *path = tmp_path("seed.mloop");
    assert_int_equal(art_write(path, s, 4, NULL, &err), ML_OK);
    size_t len;
    uint8_t *p = slurp(path, &len);
    unlink(path);
    char out[1024];
    for (int mode = 0; mode < 2; mode++) {
        snprintf(out, sizeof out, "%s/small_%d", dir, mode);
        FILE *fp = fopen(out, "wb");
        assert_non_null(fp);
        fputc(mode, fp);
        fwrite(p, 1, len, fp);
        assert_int_equal(fclose(fp), 0);
    }
    snprintf(out, sizeof out, "%s/magic_only", dir);
    FILE *fp = fopen(out, "wb");
    assert_non_null(fp);
    fputc(0, fp);
    fwrite("MLOOPART", 1, 8, fp);
    assert_int_equal(fclose(fp), 0);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trips),
        cmocka_unit_test(every_truncation_fails),
        cmocka_unit_test(every_bit_flip_fails),
        cmocka_unit_test(refuses_foreign_and_future_files),
        cmocka_unit_test(refuses_hostile_tables),
        cmocka_unit_test(writes_atomically),
        cmocka_unit_test(read_names_the_path),
        cmocka_unit_test(writes_fuzz_seeds),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
