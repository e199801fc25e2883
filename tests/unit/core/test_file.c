/* Unit tests for src/core/file.c: mapped files, unmappable inputs, errors. */
#include "test_util.h"

#include "core/file.h"

static void maps_regular_files(void **state)
{
    (void)state;
    ml_error err = {0};
    const char *path = TEST_WRITE(0, ".txt", "hello\nworld\n");
    ml_file f;
    assert_int_equal(ml_file_load(path, &f, &err), ML_OK);
    assert_true(f.mapped);
    assert_int_equal(f.len, 12);
    assert_memory_equal(f.data, "hello\nworld\n", 12);
    ml_file_release(&f);
    assert_null(f.data);
    unlink(path);
}

static void reads_what_cannot_be_mapped(void **state)
{
    (void)state;
    ml_error err = {0};
    const char *path = TEST_WRITE(1, ".txt", "");
    ml_file f;
    assert_int_equal(ml_file_load(path, &f, &err), ML_OK);
    assert_int_equal(f.len, 0);
    ml_file_release(&f);
    unlink(path);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "a,b\n1,2\n", 8), 8);
    close(fds[1]);
    char name[64];
    snprintf(name, sizeof name, "/dev/fd/%d", fds[0]);
    assert_int_equal(ml_file_load(name, &f, &err), ML_OK);
    assert_false(f.mapped);
    assert_int_equal(f.len, 8);
    assert_memory_equal(f.data, "a,b\n1,2\n", 8);
    ml_file_release(&f);
    close(fds[0]);
}

static void names_the_file_in_errors(void **state)
{
    (void)state;
    ml_error err = {0};
    ml_file f;
    int rc = ml_file_load("/nonexistent/x.csv", &f, &err);
    assert_error(rc, err, ML_EIO, "/nonexistent/x.csv: cannot open: No such file or directory");
    rc = ml_file_load("/tmp", &f, &err);
    assert_error(rc, err, ML_EIO, "/tmp: cannot open: Is a directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(maps_regular_files),
        cmocka_unit_test(reads_what_cannot_be_mapped),
        cmocka_unit_test(names_the_file_in_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
