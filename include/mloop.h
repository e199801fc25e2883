/*
 * mloop.h — the public C API of mloop.
 *
 * Contract: every call that can fail returns an mloop_status and, when the
 * caller passes an mloop_error, fills it with a human message that names the
 * place (file:line:column, field, key).  Status codes are only ever appended.
 * Handles are opaque and come in create/free pairs.  This header grows with
 * the model API (load, describe, predict); for now it carries the version and
 * the status codes every module shares.
 */
#ifndef MLOOP_H
#define MLOOP_H

#ifdef __cplusplus
extern "C" {
#endif

#define MLOOP_VERSION_MAJOR 0
#define MLOOP_VERSION_MINOR 1
#define MLOOP_VERSION_PATCH 0
#define MLOOP_VERSION_NUM                                                                          \
    (MLOOP_VERSION_MAJOR * 10000 + MLOOP_VERSION_MINOR * 100 + MLOOP_VERSION_PATCH)
#define MLOOP_VERSION_STRING "0.1.0"

/* X(name, value, description).  Append only: values are part of the ABI. */
#define MLOOP_STATUS_MAP(X)                                                                        \
    X(OK, 0, "ok")                                                                                 \
    X(EINVAL, 1, "invalid argument")                                                               \
    X(EIO, 2, "input/output error")                                                                \
    X(ENOMEM, 3, "out of memory")                                                                  \
    X(EFORMAT, 4, "malformed input")                                                               \
    X(ENOTFOUND, 5, "not found")                                                                   \
    X(EDB, 6, "database error")                                                                    \
    X(ELIMIT, 7, "limit exceeded")                                                                 \
    X(EUNSUPPORTED, 8, "unsupported")                                                              \
    X(EINTERNAL, 9, "internal error")                                                              \
    X(ECONNECT, 10, "connection failed")

typedef enum mloop_status {
#define MLOOP_STATUS_ENUM(name, value, text) MLOOP_##name = value,
    MLOOP_STATUS_MAP(MLOOP_STATUS_ENUM)
#undef MLOOP_STATUS_ENUM
} mloop_status;

#define MLOOP_ERROR_MESSAGE_SIZE 1024

/* Caller-owned error record; zero-initialise it (or call nothing): a call
 * that succeeds leaves it untouched. */
typedef struct mloop_error {
    mloop_status code;
    char message[MLOOP_ERROR_MESSAGE_SIZE];
} mloop_error;

/* Library version as "MAJOR.MINOR.PATCH". */
const char *mloop_version(void);
int mloop_version_num(void);

/* Short description of a status ("malformed input"); never NULL. */
const char *mloop_strerror(mloop_status status);
/* Symbolic name of a status ("EFORMAT"); never NULL. */
const char *mloop_status_name(mloop_status status);

#ifdef __cplusplus
}
#endif
#endif
