/* Unit tests for src/core/error.c: codes, names, messages, exit codes. */
#include "test_util.h"

#include "core/error.h"

static void names_and_texts_come_from_one_list(void **state)
{
    (void)state;
    assert_string_equal(mloop_status_name(MLOOP_EFORMAT), "EFORMAT");
    assert_string_equal(mloop_strerror(MLOOP_EIO), "input/output error");
    assert_string_equal(mloop_status_name((mloop_status)999), "UNKNOWN");
    assert_int_equal(ML_EDB, MLOOP_EDB);
    assert_string_equal(mloop_version(), MLOOP_VERSION_STRING);
    assert_int_equal(mloop_version_num(), MLOOP_VERSION_NUM);
}

static void formats_and_prefixes(void **state)
{
    (void)state;
    ml_error err = {0};
    assert_int_equal(ml_err(&err, ML_EFORMAT, "bad %s at %d", "cell", 7), ML_EFORMAT);
    assert_string_equal(err.message, "bad cell at 7");
    assert_int_equal(ml_err_prefix(&err, "file.csv:%d", 3), ML_EFORMAT);
    assert_string_equal(err.message, "file.csv:3: bad cell at 7");
    ml_err_clear(&err);
    assert_int_equal(err.code, ML_OK);
    assert_string_equal(err.message, "");
    assert_int_equal(ml_err(NULL, ML_EIO, "ignored"), ML_EIO);
}

static void long_messages_truncate_safely(void **state)
{
    (void)state;
    ml_error err = {0};
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ml_err(&err, ML_EINVAL, "%s", big);
    assert_int_equal(strlen(err.message), MLOOP_ERROR_MESSAGE_SIZE - 1);
    ml_err_prefix(&err, "%s", big);
    assert_int_equal(strlen(err.message), MLOOP_ERROR_MESSAGE_SIZE - 1);
    assert_int_equal(err.code, ML_EINVAL);
}

static void exit_codes_follow_the_convention(void **state)
{
    (void)state;
    assert_int_equal(ml_exit_code(ML_OK), 0);
    assert_int_equal(ml_exit_code(ML_ENOMEM), 1);
    assert_int_equal(ml_exit_code(ML_ECONNECT), 1);
    assert_int_equal(ml_exit_code(ML_EFORMAT), 2);
    assert_int_equal(ml_exit_code(ML_EIO), 2);
    assert_int_equal(ml_exit_code(ML_EDB), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_and_texts_come_from_one_list),
        cmocka_unit_test(formats_and_prefixes),
        cmocka_unit_test(long_messages_truncate_safely),
        cmocka_unit_test(exit_codes_follow_the_convention),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
