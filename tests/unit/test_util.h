/*
 * test_util.h — what the unit tests share: cmocka, temp files, and the
 * location of the optional real datasets (tests that need them skip with a
 * message when ../shared/data is absent).
 */
#ifndef ML_TEST_UTIL_H
#define ML_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes text to a fresh file under $TMPDIR (or /tmp) named after suffix;
 * the path is returned in a static buffer per slot (0..7). */
static inline const char *test_write_file(int slot, const char *suffix, const char *text,
                                          size_t len)
{
    static char paths[8][256];
    const char *tmp = getenv("TMPDIR");
    snprintf(paths[slot], sizeof paths[slot], "%s/mloop-test-%d-%d%s", tmp ? tmp : "/tmp",
             (int)getpid(), slot, suffix);
    FILE *f = fopen(paths[slot], "wb");
    if (!f)
        return NULL;
    fwrite(text, 1, len, f);
    fclose(f);
    return paths[slot];
}

#define TEST_WRITE(slot, suffix, literal) test_write_file(slot, suffix, literal, sizeof literal - 1)

/* Directory of the shared datasets, or NULL (and a message) when absent. */
static inline const char *test_shared_data(void)
{
    const char *dir = getenv("MLOOP_SHARED_DATA");
    static char probe[1024];
    if (dir) {
        snprintf(probe, sizeof probe, "%s/README.md", dir);
        if (access(probe, R_OK) == 0)
            return dir;
    }
    fprintf(stderr, "skipping: the shared datasets (../shared/data) are absent\n");
    return NULL;
}

/* Asserts that an mloop call failed with code and that its message contains needle. */
#define assert_error(rc, err, want_code, needle)                                                   \
    do {                                                                                           \
        assert_int_equal((rc), (want_code));                                                       \
        if (!strstr((err).message, (needle))) {                                                    \
            fail_msg("message '%s' lacks '%s'", (err).message, (needle));                          \
        }                                                                                          \
    } while (0)

#endif
