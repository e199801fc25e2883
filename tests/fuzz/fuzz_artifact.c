/*
 * fuzz_artifact.c — libFuzzer target for the artifact loader.
 *
 * The first input byte picks a mode; the rest is the file.  Bit 0 set: the
 * SHA-256 trailer is recomputed before loading, so mutations of the table
 * and payloads also reach the success path (the loader checks structure and
 * each section before the SHA, so the decoder is reached in either mode).
 * On success every section is read back in full and the invariants checked:
 * a 64-digit hash, version 1, an absent kind gives NULL and 0.
 *
 * Seeds (tests/fuzz/corpus/artifact) are written by the unit test:
 *   MLOOP_WRITE_FUZZ_SEEDS=tests/fuzz/corpus/artifact build/unit_models_test_artifact
 */
#include "models/artifact.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_artifact: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    size_t len = size - 1;
    /* An exact-size copy, so any read past the end is an ASan report. */
    uint8_t *p = malloc(len ? len : 1);
    memcpy(p, data + 1, len);
    if ((sel & 1) && len >= 32) {
        unsigned int n;
        EVP_Digest(p, len - 32, p + len - 32, &n, EVP_sha256(), NULL);
    }
    art_file *f = NULL;
    ml_error err = {0};
    int rc = art_read_buffer(p, len, &f, &err);
    if (rc) {
        check(f == NULL, "failure returned a file");
        check(err.message[0] != '\0', "failure without a message");
    } else {
        check(strlen(art_sha256(f)) == 64, "hash length");
        check(art_format_version(f) == 1, "format version");
        volatile uint8_t sink = 0;
        for (uint32_t kind = 0; kind < 8; kind++) {
            size_t n = 99;
            const uint8_t *d = art_section_data(f, kind, &n);
            check(d != NULL || n == 0, "absent section with a length");
            for (size_t i = 0; i < n; i++)
                sink ^= d[i];
        }
        (void)sink;
        art_file_free(f);
    }
    free(p);
    return 0;
}
