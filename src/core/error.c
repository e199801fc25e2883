/*
 * error.c — status names and messages generated from MLOOP_STATUS_MAP, and
 * the formatting helpers that fill an ml_error.  Messages are truncated, never
 * overflowed, at MLOOP_ERROR_MESSAGE_SIZE.
 */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *mloop_version(void)
{
    return MLOOP_VERSION_STRING;
}

int mloop_version_num(void)
{
    return MLOOP_VERSION_NUM;
}

const char *mloop_strerror(mloop_status status)
{
    switch (status) {
#define ML_STATUS_TEXT(name, value, text)                                                          \
    case MLOOP_##name:                                                                             \
        return text;
        MLOOP_STATUS_MAP(ML_STATUS_TEXT)
#undef ML_STATUS_TEXT
    }
    return "unknown status";
}

const char *mloop_status_name(mloop_status status)
{
    switch (status) {
#define ML_STATUS_NAME(name, value, text)                                                          \
    case MLOOP_##name:                                                                             \
        return #name;
        MLOOP_STATUS_MAP(ML_STATUS_NAME)
#undef ML_STATUS_NAME
    }
    return "UNKNOWN";
}

int ml_err(ml_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->code = (mloop_status)code;
    }
    return code;
}

int ml_err_prefix(ml_error *err, const char *fmt, ...)
{
    if (!err)
        return ML_EINTERNAL;
    char prefix[MLOOP_ERROR_MESSAGE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    if (n < 0)
        return err->code;
    /* Build "prefix: message" in place, truncating the message's tail. */
    size_t plen = strlen(prefix), cap = sizeof err->message;
    if (plen + 2 >= cap)
        plen = cap - 3;
    size_t mlen = strnlen(err->message, cap - 1);
    if (plen + 2 + mlen >= cap)
        mlen = cap - 1 - plen - 2;
    memmove(err->message + plen + 2, err->message, mlen);
    memcpy(err->message, prefix, plen);
    err->message[plen] = ':';
    err->message[plen + 1] = ' ';
    err->message[plen + 2 + mlen] = '\0';
    return err->code;
}

void ml_err_clear(ml_error *err)
{
    if (err) {
        err->code = MLOOP_OK;
        err->message[0] = '\0';
    }
}

int ml_exit_code(int status)
{
    switch (status) {
    case ML_OK:
        return 0;
    case ML_ENOMEM:
    case ML_EINTERNAL:
    case ML_ECONNECT:
        return 1;
    default:
        return 2;
    }
}
