/*
 * file.h — a whole file's bytes in memory, the cheapest way the kernel
 * offers: regular files are mapped read-only (nothing copied; pages come and
 * go with the page cache), anything else (a pipe, a device) is read into
 * one growing buffer.  Readers that parse a whole file call this instead of
 * each opening, mapping and falling back on their own.
 */
#ifndef ML_CORE_FILE_H
#define ML_CORE_FILE_H

#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct ml_file {
    const char *data; /* len bytes; not NUL-terminated */
    size_t len;
    bool mapped; /* data is a private read-only mapping (madvise may drop pages) */
    void *map_;
    char *heap_;
} ml_file;

/* Fills f; errors are ML_EIO "PATH: cannot open: reason" (a directory
 * included) or "PATH: cannot read: reason", and ML_ENOMEM. */
int ml_file_load(const char *path, ml_file *f, ml_error *err);
void ml_file_release(ml_file *f);

/* Creates an empty temporary file ".NAME.tmp.XXXXXX" beside path (same
 * file system, so renaming it over path is atomic): returns its descriptor
 * and its malloc'd name in *tmp_path, or -1 (errno set, *tmp_path NULL). */
int ml_file_temp_beside(const char *path, char **tmp_path);

/* Permission bits a new file gets here (0666 less the process umask), for
 * temp files that replace a destination by rename. */
mode_t ml_file_new_mode(void);
/* fsync of the directory holding path, so a rename into it is durable;
 * best effort (the rename has happened either way). */
void ml_fsync_dir_of(const char *path);

#endif
